// The hub's database file as the running hub holds it: the main connection, the fsyncs its settlements share
// (wal-sync.ts) and the checkpoints run on a worker (checkpointer.ts), closed together and in order.

import { Checkpointer } from './checkpointer'
import { openDatabase, type SqliteDatabase } from './database'
import { SqliteEngine } from './sql'
import { WalSync } from './wal-sync'

export class HubDatabase {
  readonly db: SqliteDatabase
  /** The same connection as the stores written on SqlEngine use it: through its gate (sql.ts). */
  readonly engine: SqliteEngine
  readonly walSync: WalSync
  private checkpointer: Checkpointer | undefined

  /** `busyTimeout_ms`: how long a write waits for another process's lock before SQLITE_BUSY (a hub fault). */
  constructor(private readonly path: string, busyTimeout_ms?: number) {
    this.db = openDatabase(path, busyTimeout_ms === undefined ? {} : { busyTimeoutMs: busyTimeout_ms })
    this.engine = new SqliteEngine(this.db)
    this.walSync = new WalSync(this.db, `${path}-wal`)
  }

  /** From now on the WAL is checkpointed on a worker thread; `failed` hears of a checkpoint that failed. */
  checkpointOnWorker(failed: (message: string) => void): void {
    this.checkpointer ??= new Checkpointer(this.db, this.path, { failed })
  }

  /** Stops the checkpoints, waits for the fsync under way, then closes the main connection, which checkpoints what is left. */
  async close(): Promise<void> {
    try {
      await this.checkpointer?.stop()
      await this.walSync.close()
    } finally {
      this.db.close()
    }
  }
}
