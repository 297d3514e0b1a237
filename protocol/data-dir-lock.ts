// One process at a time on a data folder: a hub's (one ledger, one hub key) or a gateway's (one
// chain, one MQTT login). A lock file made with O_EXCL holds the owner's pid; a lock whose pid is no
// longer alive (a crash, kill -9) is taken over. Here rather than in hub/ or terminal/, which never
// import each other. A pid file and not proper-lockfile: that one keeps no pid to name the holder by,
// and judges staleness by a file's age, which a stopped-but-alive process or a slow disk confuses.

import { closeSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { CodedError } from './errors'

export const LOCK_FILE = 'payall.lock'

export type DataDirLockErrorCode = 'DATA_DIR_IN_USE'

export class DataDirLockError extends CodedError<DataDirLockErrorCode> {
  override readonly name = 'DataDirLockError'

  constructor(readonly dataDir: string, readonly holderPid: number) {
    super('DATA_DIR_IN_USE', `${dataDir} is in use by process ${holderPid}; stop it first, or give another --data-dir`)
  }
}

export interface DataDirLock {
  readonly file: string
  /** Deletes the lock file if it is still this process's; safe to call twice. */
  release(): void
}

/** Whether a process with this pid runs (EPERM: it does, under another user). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/**
 * Takes the lock on `dataDir` (created if missing) for process `pid`, or throws DataDirLockError
 * naming the folder and the live holder. Two processes starting in the same instant over a stale
 * lock might both take it: this guards against a second start by hand, not against that race.
 */
export function lockDataDir(dataDir: string, pid: number = process.pid, alive: (pid: number) => boolean = processAlive): DataDirLock {
  const folder = resolve(dataDir)
  mkdirSync(folder, { recursive: true, mode: 0o700 })
  const file = join(folder, LOCK_FILE)
  // Two rounds at most: the first may find a stale lock and delete it.
  for (let round = 1; ; round++) {
    let fd: number
    try {
      fd = openSync(file, 'wx', 0o600)
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
      const holder = lockHolder(file)
      if (holder !== undefined && alive(holder)) throw new DataDirLockError(folder, holder)
      if (round > 1) throw error
      removeIfThere(file)
      continue
    }
    try {
      writeSync(fd, `${pid}\n`)
    } finally {
      closeSync(fd)
    }
    let released = false
    return {
      file,
      release: () => {
        if (released) return
        released = true
        if (lockHolder(file) === pid) removeIfThere(file)
      },
    }
  }
}

/** The pid a lock file names; undefined when it is gone or unreadable (a crash mid-write). */
function lockHolder(file: string): number | undefined {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw error
  }
  const pid = /^(\d{1,10})\n?$/.exec(text)?.[1]
  return pid === undefined ? undefined : Number(pid)
}

function removeIfThere(file: string): void {
  try {
    unlinkSync(file)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
  }
}
