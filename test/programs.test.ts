// The README's `npx payall-hub|payall-terminal|payall-sim` run the built launchers through their
// first line, so each must be executable after `npm install` (which builds) and answer --help.

import t from 'tap'
import { execFile } from 'node:child_process'
import { accessSync, constants, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { promisify } from 'node:util'

const root = join(__dirname, '..')
const { bin } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { bin: Record<string, string> }

for (const [name, file] of Object.entries(bin)) {
  t.test(`${name} is an executable launcher that answers --help`, async t => {
    const path = join(root, file)
    t.match(readFileSync(path, 'utf8').split('\n')[0], /^#!\/usr\/bin\/env (-S )?node( |$)/)
    t.doesNotThrow(() => accessSync(path, constants.X_OK), 'executable')
    const env = { ...process.env, PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ''}` }
    const { stdout } = await promisify(execFile)(path, ['--help'], { env })
    t.match(stdout, new RegExp(`^${name} `))
  })
}
