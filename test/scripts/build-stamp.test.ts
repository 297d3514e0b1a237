// `npm start` builds only when the sources changed since the last build: the stamp check, on a tree
// whose modification times are set by hand.

import t from 'tap'
import { execFileSync } from 'node:child_process'
import { mkdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

const STAMP_MODULE = join(__dirname, '..', '..', 'scripts', 'build-stamp.mjs')

/** Runs the check in its own Node, as `npm start` does: the module is plain ESM. */
function upToDate(root: string): boolean {
  const script = `import { upToDate } from ${JSON.stringify(STAMP_MODULE)}; process.stdout.write(String(upToDate(${JSON.stringify(root)})))`
  return execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' }) === 'true'
}

function stamp(root: string, at: Date): void {
  const script = `import { writeStamp } from ${JSON.stringify(STAMP_MODULE)}; writeStamp(${JSON.stringify(root)}, new Date(${at.getTime()}))`
  execFileSync(process.execPath, ['--input-type=module', '-e', script])
}

function setTime(path: string, at: Date): void {
  utimesSync(path, at, at)
}

t.test('dist/ is up to date until a source file, a folder (a deleted file) or a build setting is newer than the stamp', async t => {
  const root = t.testdir({ hub: { 'cli.ts': 'x', store: { 'a.ts': 'y' } }, 'package.json': '{}', dist: {} })
  const before = new Date('2026-01-01T00:00:00Z')
  const built = new Date('2026-01-02T00:00:00Z')
  const after = new Date('2026-01-03T00:00:00Z')
  for (const path of ['hub/cli.ts', 'hub/store/a.ts', 'hub/store', 'hub', 'package.json']) setTime(join(root, path), before)
  t.equal(upToDate(root), false, 'never built: no stamp')
  stamp(root, built)
  t.equal(upToDate(root), true)

  setTime(join(root, 'hub/store/a.ts'), after)
  t.equal(upToDate(root), false, 'a source edited since')
  setTime(join(root, 'hub/store/a.ts'), before)
  t.equal(upToDate(root), true)

  rmSync(join(root, 'hub/store/a.ts'))
  setTime(join(root, 'hub/store'), after)
  t.equal(upToDate(root), false, 'a source deleted since: its folder changed')
  setTime(join(root, 'hub/store'), before)

  setTime(join(root, 'package.json'), after)
  t.equal(upToDate(root), false, 'a build setting changed since')
  setTime(join(root, 'package.json'), before)

  mkdirSync(join(root, 'hub/node_modules'))
  writeFileSync(join(root, 'hub/node_modules/dep.js'), '')
  setTime(join(root, 'hub/node_modules/dep.js'), after)
  setTime(join(root, 'hub/node_modules'), before)
  setTime(join(root, 'hub'), before)
  t.equal(upToDate(root), true, 'node_modules is not a source')
})
