// The nonces of the gateway passwords the broker has accepted, kept in the hub's database until they leave the time
// window, so a password opens one connection: across hub restarts, and across hubs sharing one database. Bounded:
// full of nonces that are still live, it refuses a new one rather than forget one.
//
// The database decides: a nonce is accepted when its row is inserted, and refused as a replay when the row is there
// (the primary key), whichever hub saw it first. Every nonce presented in one turn of the event loop is decided in one
// transaction, so a reconnect storm costs one commit (one fsync) per turn, not one per gateway.

import { assert } from '../../protocol/errors'
import type { SqlEngine, SqlQuery } from '../store/sql'
import { MqttError, requirePositiveInteger } from './errors'

const SEEN_NONCES_MAX_DEFAULT = 100_000

export interface SeenNoncesOptions {
  /** Nonces remembered at most; past it, a new one is refused. */
  entriesMax?: number
  /** Runs a commit after the current turn; setImmediate unless a test steps it. */
  schedule?: (commit: () => void) => void
}

/** What the database made of a nonce: remembered now, seen before, out of the window, or refused for room. */
export type NonceVerdict = 'accepted' | 'replayed' | 'expired' | 'overloaded'

interface PendingNonce {
  readonly eui: string
  readonly nonce: Buffer
  readonly expiresAtMs: number
  readonly decided: { resolve(verdict: NonceVerdict): void; reject(error: Error): void }
}

const SQL = {
  // The clock's high-water mark over every hub's readings: a clock set back, here or on another hub, reopens nothing.
  observeClock: `INSERT INTO mqtt_password_clock (id, highest_now_ms) VALUES (1, ?)
    ON CONFLICT (id) DO UPDATE SET highest_now_ms = CASE WHEN excluded.highest_now_ms > mqtt_password_clock.highest_now_ms
      THEN excluded.highest_now_ms ELSE mqtt_password_clock.highest_now_ms END
    RETURNING highest_now_ms`,
  evict: 'DELETE FROM mqtt_password_nonces WHERE expires_at_ms < ?',
  count: 'SELECT count(*) AS count FROM mqtt_password_nonces',
  has: 'SELECT 1 AS found FROM mqtt_password_nonces WHERE eui = ? AND nonce = ?',
  insert: 'INSERT INTO mqtt_password_nonces (eui, nonce, expires_at_ms) VALUES (?, ?, ?) ON CONFLICT (eui, nonce) DO NOTHING',
} as const

export class SeenNonces {
  readonly entries_max: number
  private readonly schedule: (commit: () => void) => void
  /** The nonces presented this turn, decided together by the next commit: bounded by entries_max. */
  private pending: PendingNonce[] = []
  private highestNow_ms = Number.NEGATIVE_INFINITY

  constructor(private readonly engine: SqlEngine, options: SeenNoncesOptions = {}) {
    this.entries_max = options.entriesMax ?? SEEN_NONCES_MAX_DEFAULT
    requirePositiveInteger(this.entries_max, 'entriesMax')
    // A turn of the event loop, not a time: kept off the hub's Clock, so nonces are committed whatever a manual clock does.
    this.schedule = options.schedule ?? (commit => setImmediate(commit))
  }

  /** Nonces in the database now, expired ones not yet evicted included (for metrics and tests). */
  async size(): Promise<number> {
    return (await this.engine.get<{ count: number }>(SQL.count))!.count
  }

  /**
   * Presents a nonce to remember until `expiresAt_ms`, with the clock reading `now_ms`; resolves with the database's
   * verdict once committed. Rejects with NONCE_NOT_STORED when the commit failed: nothing of it was remembered.
   */
  remember(eui: string, nonce: Uint8Array, expiresAt_ms: number, now_ms: number): Promise<NonceVerdict> {
    assert(Number.isSafeInteger(now_ms) && Number.isSafeInteger(expiresAt_ms), 'times are integer milliseconds')
    // More than a store's worth presented in one turn: the rest could not be remembered anyway.
    if (this.pending.length >= this.entries_max) return Promise.resolve('overloaded')
    this.highestNow_ms = Math.max(this.highestNow_ms, now_ms)
    return new Promise((resolve, reject) => {
      if (this.pending.length === 0) this.schedule(() => void this.commit())
      this.pending.push({ eui, nonce: Buffer.from(nonce), expiresAtMs: expiresAt_ms, decided: { resolve, reject } })
    })
  }

  private async commit(): Promise<void> {
    const batch = this.pending
    const now_ms = this.highestNow_ms
    this.pending = []
    this.highestNow_ms = Number.NEGATIVE_INFINITY
    // Keys in one order on every hub, so two hubs' commits never wait on each other's rows crosswise.
    const ordered = [...batch.keys()].sort((a, b) => compareNonces(batch[a]!, batch[b]!))
    let verdicts: NonceVerdict[]
    try {
      verdicts = await this.engine.write(sql => this.decide(sql, ordered.map(index => batch[index]!), now_ms))
    } catch (error) {
      const failure = new MqttError('NONCE_NOT_STORED', `password nonces not stored: ${error instanceof Error ? error.message : String(error)}`)
      for (const entry of batch) entry.decided.reject(failure)
      return
    }
    ordered.forEach((index, at) => batch[index]!.decided.resolve(verdicts[at]!))
  }

  /** One transaction: the clock's high-water mark moved on, the nonces it expires forgotten, then each nonce decided. */
  private async decide(sql: SqlQuery, entries: readonly PendingNonce[], now_ms: number): Promise<NonceVerdict[]> {
    const highest_ms = (await sql.get<{ highest_now_ms: number }>(SQL.observeClock, [now_ms]))!.highest_now_ms
    await sql.run(SQL.evict, [highest_ms])
    let stored = (await sql.get<{ count: number }>(SQL.count))!.count
    const verdicts: NonceVerdict[] = []
    for (const { eui, nonce, expiresAtMs } of entries) {
      // Out of the window by the latest reading of any hub: never remembered, so never accepted.
      if (expiresAtMs < highest_ms) {
        verdicts.push('expired')
      } else if (stored >= this.entries_max) {
        // Full of live nonces: a new one is refused rather than one forgotten that could be replayed.
        verdicts.push(await sql.get(SQL.has, [eui, nonce]) === undefined ? 'overloaded' : 'replayed')
      } else if ((await sql.run(SQL.insert, [eui, nonce, expiresAtMs])).changes === 1) {
        stored++
        verdicts.push('accepted')
      } else {
        verdicts.push('replayed')
      }
    }
    return verdicts
  }
}

function compareNonces(a: PendingNonce, b: PendingNonce): number {
  return a.eui < b.eui ? -1 : a.eui > b.eui ? 1 : Buffer.compare(a.nonce, b.nonce)
}
