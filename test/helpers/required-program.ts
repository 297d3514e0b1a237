// A program some tests need from the machine (Mosquitto, and later PostgreSQL or Chromium). Outside CI a
// missing one skips those tests and says so on stderr, where a developer sees it; under .ci/run
// (PAYALL_CI=1), which installs them, a missing one fails the test instead of passing unseen.

import { existsSync } from 'node:fs'

export interface RequiredProgram {
  /** The first of the candidate paths that exists, if any. */
  readonly path: string | undefined
  /** tap's `skip` option: the reason to skip, or false to run (and fail if the program is missing). */
  readonly skip: string | false
}

export function requiredProgram(name: string, candidatePaths: readonly string[], installHint: string): RequiredProgram {
  const path = candidatePaths.find(candidate => existsSync(candidate))
  if (path !== undefined || process.env.PAYALL_CI === '1') return { path, skip: false }
  const reason = `${name} is not installed (${installHint}): its tests are SKIPPED`
  process.stderr.write(`# ${reason}\n`)
  return { path, skip: reason }
}
