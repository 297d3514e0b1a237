// Commits that return before their fsync, for work that answers only later. The ingest's batch settlement commits
// with synchronous=NORMAL (its WAL frames written, not yet on disk) and goes on with the next batch; each batch is
// acked only once an fsync of the WAL, run on libuv's thread pool, has covered its commit. One fsync covers every
// commit made before it started, so under load many batches share one, and the main thread never waits on the disk.
// Every other transaction keeps synchronous=FULL and is on disk when it returns.

import { open, type FileHandle } from 'node:fs/promises'
import { assert } from '../../protocol/errors'
import type { SqliteDatabase } from './database'
import { StoreError } from './errors'

const SYNCHRONOUS_NORMAL = 1
const SYNCHRONOUS_FULL = 2

type Waiter = { readonly resolve: () => void; readonly reject: (error: Error) => void }

/** What fsyncs the WAL: a file handle opened once (a test brings one whose sync it controls). */
export type OpenForSync = (path: string) => Promise<Pick<FileHandle, 'sync' | 'close'>>

const openReadWrite: OpenForSync = path => open(path, 'r+')

export class WalSync {
  /** Commits made unsynced since the last fsync started: nothing to wait for when there are none. */
  private unsyncedCommits = 0
  private waiting: Waiter[] = []
  private syncing: Promise<void> | undefined
  private handle: ReturnType<OpenForSync> | undefined
  /** Set by a failed fsync: what it should have covered may be lost, so nothing is ever called durable again. */
  private failure: StoreError | undefined

  /** `walPath` is the database's `-wal` file; undefined for a database without one (in memory), whose commits are never on disk. */
  constructor(
    private readonly database: SqliteDatabase,
    private readonly walPath: string | undefined,
    private readonly openForSync: OpenForSync = openReadWrite,
  ) {}

  /**
   * Runs `commit`, which must run and commit exactly one transaction of `database` synchronously, with
   * synchronous=NORMAL; what it committed is durable once a later `synced()` resolves.
   */
  commitUnsynced<T>(commit: () => T): T {
    if (this.walPath === undefined) return commit()
    assert(!this.database.inTransaction, 'an unsynced commit is a transaction of its own')
    this.setSynchronous(SYNCHRONOUS_NORMAL)
    try {
      const result = commit()
      this.unsyncedCommits++
      return result
    } finally {
      this.setSynchronous(SYNCHRONOUS_FULL)
    }
  }

  /**
   * As commitUnsynced, for a transaction open across awaits (SqliteEngine.writeUnsynced, which holds the connection's
   * gate meanwhile, so no other transaction commits under synchronous=NORMAL).
   */
  async commitUnsyncedAsync<T>(commit: () => Promise<T>): Promise<T> {
    if (this.walPath === undefined) return commit()
    assert(!this.database.inTransaction, 'an unsynced commit is a transaction of its own')
    this.setSynchronous(SYNCHRONOUS_NORMAL)
    try {
      const result = await commit()
      this.unsyncedCommits++
      return result
    } finally {
      this.setSynchronous(SYNCHRONOUS_FULL)
    }
  }

  /**
   * Resolves once every commit made before the call is on disk. Rejects with SYNC_FAILED if an fsync failed: the
   * kernel may have dropped the pages it could not write, so the hub answers nothing more until it restarts.
   */
  synced(): Promise<void> {
    if (this.failure !== undefined) return Promise.reject(this.failure)
    if (this.unsyncedCommits === 0) {
      // Every unsynced commit so far is covered by the fsync under way, if any.
      return (this.syncing ?? Promise.resolve()).then(() => {
        if (this.failure !== undefined) throw this.failure
      })
    }
    return new Promise((resolve, reject) => {
      this.waiting.push({ resolve, reject })
      this.startSync()
    })
  }

  /** Waits for the fsync under way, then closes the WAL's file handle. */
  async close(): Promise<void> {
    await this.syncing?.catch(() => undefined)
    const handle = this.handle
    this.handle = undefined
    await (await handle?.catch(() => undefined))?.close()
  }

  /** One fsync at a time; the callers who arrive meanwhile wait for the next, which covers their commits. */
  private startSync(): void {
    if (this.syncing !== undefined) return
    const covered = this.waiting
    this.waiting = []
    this.unsyncedCommits = 0
    this.syncing = this.fsyncWal().then(
      () => covered.forEach(waiter => waiter.resolve()),
      (error: unknown) => {
        this.failure = new StoreError('SYNC_FAILED', `could not fsync ${this.walPath}: ${String(error)}`)
        covered.forEach(waiter => waiter.reject(this.failure!))
      },
    ).finally(() => {
      this.syncing = undefined
      if (this.failure !== undefined) {
        for (const waiter of this.waiting.splice(0)) waiter.reject(this.failure)
      } else if (this.waiting.length > 0) {
        this.startSync()
      }
    })
  }

  private async fsyncWal(): Promise<void> {
    // Opened once the first unsynced commit has made sure the file exists; fsync flushes the file's pages
    // whichever descriptor wrote them.
    this.handle ??= this.openForSync(this.walPath!)
    await (await this.handle).sync()
  }

  private setSynchronous(level: number): void {
    this.database.pragma(`synchronous = ${level}`)
    assert(this.database.pragma('synchronous', { simple: true }) === level, `synchronous=${level} is accepted`)
  }
}
