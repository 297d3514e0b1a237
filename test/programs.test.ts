// The README's `npx payall-hub|payall-terminal|payall-sim` run the built launchers through their
// first line, so each must be executable after `npm install` (which builds) and answer --help.

import t from 'tap'
import { execFile } from 'node:child_process'
import { accessSync, constants, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { promisify } from 'node:util'

const root = join(__dirname, '..')
const { bin, engines } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { bin: Record<string, string>; engines: { node: string } }

for (const [name, file] of Object.entries(bin)) {
  t.test(`${name} is an executable launcher that answers --help`, async t => {
    const path = join(root, file)
    t.match(readFileSync(path, 'utf8').split('\n')[0], /^#!\/usr\/bin\/env (-S )?node( |$)/)
    t.doesNotThrow(() => accessSync(path, constants.X_OK), 'executable')
    const env = { ...process.env, PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ''}` }
    const { stdout } = await promisify(execFile)(path, ['--help'], { env })
    t.match(stdout, new RegExp(`^${name} `))
    // The commands and an example open the help, before any option or detail.
    const opening = stdout.split('\n').slice(0, 12).join('\n')
    t.match(opening, /\nUsage: /, 'the usage in the opening lines')
    t.match(opening, /\nExample: /, 'an example in the opening lines')
    t.notMatch(stdout, /\b[\w/-]+\.(ts|mjs)\b/, 'no help text points into a source file')
  })
}

t.test('the Node versions package.json supports are the README\'s, and the Node running the tests is one of them', async t => {
  t.equal(engines.node, '^20.19.0')
  t.ok(readFileSync(join(root, 'README.md'), 'utf8').includes(`"node": "${engines.node}"`), 'the README quotes engines as it is')
  const [major, minor] = process.versions.node.split('.').map(Number)
  t.ok(major === 20 && minor! >= 19, `Node ${process.versions.node} is in ${engines.node}`)
})
