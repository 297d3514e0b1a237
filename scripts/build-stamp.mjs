// Whether dist/ was built from the sources as they are: no source file, folder or build setting
// newer than the stamp the last build left. A folder counts too, so a deleted or renamed file is a change.

import { existsSync, readdirSync, statSync, utimesSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

/** What the build reads: the compiled folders, the dashboard, the contract, and the settings of them all. */
const SOURCES = ['protocol', 'hub', 'terminal', 'hardware', 'simulator', 'bench', 'web', 'contracts', 'package.json', 'package-lock.json', 'tsconfig.json']

export function stampFile(root) {
  return join(root, 'dist', '.build-stamp')
}

function newestMtime_ms(path) {
  const stat = statSync(path)
  if (!stat.isDirectory()) return stat.mtimeMs
  let newest = stat.mtimeMs
  for (const entry of readdirSync(path)) {
    if (entry === 'node_modules' || entry === 'dist') continue
    newest = Math.max(newest, newestMtime_ms(join(path, entry)))
  }
  return newest
}

export function upToDate(root) {
  const stamp = stampFile(root)
  if (!existsSync(stamp)) return false
  const built_ms = statSync(stamp).mtimeMs
  return SOURCES.map(name => join(root, name)).filter(path => existsSync(path)).every(path => newestMtime_ms(path) <= built_ms)
}

/** Stamped with the time the build started: a source saved while it ran is newer, and builds next time. */
export function writeStamp(root, started) {
  const stamp = stampFile(root)
  writeFileSync(stamp, `${started.toISOString()}\n`)
  utimesSync(stamp, started, started)
}
