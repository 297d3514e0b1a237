// The gateway_presence table (tables.ts) behind prepared statements: whether each gateway's MQTT connection
// is open, as the hub last learned it. Nothing here decides; presence.ts does.

import type { SqliteDatabase } from '../store/database'
import type { WalSync } from '../store/wal-sync'

export interface Presence {
  readonly online: boolean
  /** The hub's time when it learned of the last change. */
  readonly lastSeenAtMs: number
  /** The gateway's own time of the connection its last presence message spoke for; null when the embedded broker told. */
  readonly connectedAtMs: number | null
}

interface PresenceRow {
  online: 0 | 1
  last_seen_at_ms: number
  connected_at_ms: number | null
}

export class PresenceStore {
  private readonly statements

  /**
   * With `walSync`, a presence is committed without waiting for its fsync: a crash may undo the last ones, and the hub
   * learns them again as gateways connect, while a thousand gateways reconnecting at once do not wait on the disk one
   * by one on the main thread.
   */
  constructor(private readonly db: SqliteDatabase, private readonly walSync?: WalSync) {
    this.statements = {
      presence: db.prepare<[string], PresenceRow>('SELECT online, last_seen_at_ms, connected_at_ms FROM gateway_presence WHERE eui = ?'),
      record: db.prepare<{ eui: string; online: 0 | 1; lastSeenAtMs: number; connectedAtMs: number | null }>(
        `INSERT INTO gateway_presence (eui, online, last_seen_at_ms, connected_at_ms)
         VALUES (:eui, :online, :lastSeenAtMs, :connectedAtMs)
         ON CONFLICT (eui) DO UPDATE SET online = excluded.online, last_seen_at_ms = excluded.last_seen_at_ms,
           connected_at_ms = excluded.connected_at_ms`),
      onlineEuis: db.prepare<[number], { eui: string }>('SELECT eui FROM gateway_presence WHERE online = 1 ORDER BY eui LIMIT ?'),
      setOffline: db.prepare<[string]>('UPDATE gateway_presence SET online = 0 WHERE eui = ?'),
    }
  }

  /** `eui` in canonical form; undefined for a gateway the hub has never seen connect. */
  presence(eui: string): Presence | undefined {
    const row = this.statements.presence.get(eui)
    return row === undefined ? undefined : { online: row.online === 1, lastSeenAtMs: row.last_seen_at_ms, connectedAtMs: row.connected_at_ms }
  }

  record(eui: string, presence: Presence): void {
    this.write(() => this.statements.record.run({ eui, ...presence, online: presence.online ? 1 : 0 }))
  }

  /** Up to `limit` gateways recorded online. */
  onlineEuis(limit: number): string[] {
    return this.statements.onlineEuis.all(limit).map(row => row.eui)
  }

  /** Offline, keeping when it was last seen: the hub does not know when the connection went. */
  setOffline(eui: string): void {
    this.write(() => this.statements.setOffline.run(eui))
  }

  /** One write in a transaction of its own, unsynced when the store has a WalSync and no transaction is open. */
  private write(run: () => unknown): void {
    if (this.walSync === undefined || this.db.inTransaction) {
      run()
      return
    }
    this.walSync.commitUnsynced(() => this.db.transaction(run)())
  }
}
