// `npm run build` (which `npm install` runs): TypeScript to dist/, the dashboard bundle, the launchers
// made executable, then a stamp. With --if-changed (`npm start`) it does nothing when dist/ is up to
// date with the sources (build-stamp.mjs), so a start takes a second instead of a full build.
// Plain JavaScript: it must run before anything is compiled.

import { execFileSync } from 'node:child_process'
import { chmodSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { upToDate, writeStamp } from './build-stamp.mjs'

const ROOT = join(import.meta.dirname, '..')

function run(args) {
  execFileSync(process.execPath, args, { cwd: ROOT, stdio: 'inherit' })
}

if (process.argv.includes('--if-changed') && upToDate(ROOT)) {
  process.stdout.write('build: dist/ is up to date with the sources (npm run build forces one)\n')
} else {
  const started = new Date()
  run([join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'])
  run([join(ROOT, 'dist', 'web', 'build.js')])
  const { bin } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'))
  for (const file of Object.values(bin)) chmodSync(join(ROOT, file), 0o755)
  writeStamp(ROOT, started)
}
