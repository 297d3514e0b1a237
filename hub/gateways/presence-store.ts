// The gateway_presence table (tables.ts) on either SQL engine: whether each gateway's MQTT connection is open, as the
// hub last learned it. Nothing here decides; presence.ts does, through the function it gives `change`.

import type { Statement } from 'better-sqlite3'
import { SqliteEngine, type SqlEngine, type SqlValue } from '../store/sql'
import type { WalSync } from '../store/wal-sync'

export interface Presence {
  readonly online: boolean
  /** The hub's time when it learned of the last change. */
  readonly lastSeenAtMs: number
  /** The gateway's own time of the connection its last presence message spoke for; null when the embedded broker told. */
  readonly connectedAtMs: number | null
}

/** What `change` found, and what it recorded (undefined: nothing). */
export interface PresenceChange {
  readonly known: Presence | undefined
  readonly recorded: Presence | undefined
}

type PresenceRow = {
  online: 0 | 1
  last_seen_at_ms: number
  connected_at_ms: number | null
}

const SQL = {
  presence: 'SELECT online, last_seen_at_ms, connected_at_ms FROM gateway_presence WHERE eui = ?',
  record: `INSERT INTO gateway_presence (eui, online, last_seen_at_ms, connected_at_ms) VALUES (?, ?, ?, ?)
    ON CONFLICT (eui) DO UPDATE SET online = excluded.online, last_seen_at_ms = excluded.last_seen_at_ms,
      connected_at_ms = excluded.connected_at_ms`,
  onlineEuis: 'SELECT eui FROM gateway_presence WHERE online = 1 ORDER BY eui LIMIT ?',
} as const

export class PresenceStore {
  /** SQLite's statements for the unsynced commits, prepared once each (the two texts of SQL they run). */
  private readonly unsyncedStatements = new Map<string, Statement>()

  /**
   * With `walSync` (SQLite only), a presence is committed without waiting for its fsync: a crash may undo the last
   * ones, and the hub learns them again as gateways connect, while a thousand gateways reconnecting at once do not
   * wait on the disk one by one on the main thread.
   */
  constructor(private readonly engine: SqlEngine, private readonly walSync?: WalSync) {}

  /** `eui` in canonical form; undefined for a gateway the hub has never seen connect. */
  async presence(eui: string): Promise<Presence | undefined> {
    return presenceOf(await this.engine.get<PresenceRow>(SQL.presence, [eui]))
  }

  /**
   * Reads the gateway's presence and records what `decide` makes of it (nothing when undefined), in one transaction:
   * two changes of one gateway, on this hub or another, never decide on the same reading. `decide` is pure: on
   * PostgreSQL the transaction may run it again.
   */
  async change(eui: string, decide: (known: Presence | undefined) => Presence | undefined): Promise<PresenceChange> {
    const { engine, walSync } = this
    if (walSync !== undefined && engine instanceof SqliteEngine) {
      // Synchronous on the connection, once no transaction of the engine is open: WalSync commits one transaction
      // with synchronous=NORMAL, which SQLite lets change only between transactions.
      return engine.exclusive(() => {
        const run = engine.db.transaction((): PresenceChange => {
          const known = presenceOf(this.unsynced(SQL.presence).get(eui) as PresenceRow | undefined)
          const recorded = decide(known)
          if (recorded !== undefined) this.unsynced(SQL.record).run(...recordParams(eui, recorded))
          return { known, recorded }
        })
        return engine.db.inTransaction ? run() : walSync.commitUnsynced(() => run())
      })
    }
    return engine.write(async (sql) => {
      const known = presenceOf(await sql.get<PresenceRow>(SQL.presence, [eui]))
      const recorded = decide(known)
      if (recorded !== undefined) await sql.run(SQL.record, recordParams(eui, recorded))
      return { known, recorded }
    })
  }

  /** Up to `limit` gateways recorded online. */
  async onlineEuis(limit: number): Promise<string[]> {
    return (await this.engine.all<{ eui: string }>(SQL.onlineEuis, [limit])).map(row => row.eui)
  }

  private unsynced(sql: string): Statement {
    const engine = this.engine as SqliteEngine
    let statement = this.unsyncedStatements.get(sql)
    if (statement === undefined) {
      statement = engine.db.prepare(sql)
      this.unsyncedStatements.set(sql, statement)
    }
    return statement
  }
}

function presenceOf(row: PresenceRow | undefined): Presence | undefined {
  return row === undefined ? undefined : { online: row.online === 1, lastSeenAtMs: row.last_seen_at_ms, connectedAtMs: row.connected_at_ms }
}

function recordParams(eui: string, presence: Presence): SqlValue[] {
  return [eui, presence.online ? 1 : 0, presence.lastSeenAtMs, presence.connectedAtMs]
}
