// The nonces of the gateway passwords the broker has accepted, kept in the hub's database until
// they leave the time window, so a password opens one connection, even across hub restarts.
// Bounded: full of nonces that are still live, it refuses a new one rather than forget one.
//
// A nonce counts as seen the moment it is added (a second CONNECT with it is refused at once); it
// is committed with every other nonce added in the same turn of the event loop, in one
// transaction, so a reconnect storm costs one fsync per turn, not one per gateway.

import { assert } from '../../protocol/errors'
import type { SqliteDatabase } from '../store/database'
import { requirePositiveInteger } from './errors'

const SEEN_NONCES_MAX_DEFAULT = 100_000

export interface SeenNoncesOptions {
  /** Nonces remembered at most; past it, add() refuses. */
  entriesMax?: number
  /** Runs a commit after the current turn; setImmediate unless a test steps it. */
  schedule?: (commit: () => void) => void
}

interface PendingNonce {
  readonly eui: string
  readonly nonce: Buffer
  readonly expiresAtMs: number
}

export class SeenNonces {
  readonly entries_max: number
  private readonly schedule: (commit: () => void) => void
  private readonly statements: ReturnType<typeof prepareStatements>
  private readonly commitTransaction: () => { inserted: number; evicted: number }
  private readonly pending = new Map<string, PendingNonce>()
  private waiting: Array<(error: Error | undefined) => void> = []
  private commitScheduled = false
  private storedCount: number
  private highestNow_ms: number

  constructor(db: SqliteDatabase, options: SeenNoncesOptions = {}) {
    this.entries_max = options.entriesMax ?? SEEN_NONCES_MAX_DEFAULT
    requirePositiveInteger(this.entries_max, 'entriesMax')
    // A turn of the event loop, not a time: kept off the hub's Clock, so nonces are committed whatever a manual clock does.
    this.schedule = options.schedule ?? (commit => setImmediate(commit))
    this.statements = prepareStatements(db)
    this.storedCount = db.prepare<[], number>('SELECT count(*) FROM mqtt_password_nonces').pluck().get()!
    this.highestNow_ms = db.prepare<[], number>('SELECT highest_now_ms FROM mqtt_password_clock WHERE id = 1').pluck().get()
      ?? Number.NEGATIVE_INFINITY
    // Expired nonces out with the clock reading that expired them, and the pending ones that are
    // still live in, at once: a nonce is never forgotten without the reading that keeps it refused.
    this.commitTransaction = db.transaction((): { inserted: number; evicted: number } => {
      let evicted = 0
      if (this.highestNow_ms !== Number.NEGATIVE_INFINITY) {
        this.statements.saveClock.run(this.highestNow_ms)
        evicted = this.statements.evict.run(this.highestNow_ms).changes
      }
      let inserted = 0
      for (const { eui, nonce, expiresAtMs } of this.pending.values()) {
        if (expiresAtMs < this.highestNow_ms) continue
        this.statements.insert.run(eui, nonce, expiresAtMs)
        inserted++
      }
      return { inserted, evicted }
    }).immediate
  }

  /** Nonces held now, committed or not; those expired since the last commit count until the next. */
  get size(): number {
    return this.storedCount + this.pending.size
  }

  /**
   * Takes a clock reading and returns the latest one ever taken, this run or an earlier one.
   * Nonces are forgotten once it puts them out of the window, so the window's lower edge is
   * measured from it too: a clock set back does not reopen them.
   */
  observeClock(now_ms: number): number {
    this.highestNow_ms = Math.max(this.highestNow_ms, now_ms)
    return this.highestNow_ms
  }

  /** Whether the nonce was added and has not expired by the high-water mark. */
  has(eui: string, nonce: Uint8Array): boolean {
    const pending = this.pending.get(pendingKey(eui, nonce))
    if (pending !== undefined && pending.expiresAtMs >= this.highestNow_ms) return true
    const liveFrom_ms = Number.isFinite(this.highestNow_ms) ? this.highestNow_ms : Number.MIN_SAFE_INTEGER
    return this.statements.has.get(eui, Buffer.from(nonce), liveFrom_ms) !== undefined
  }

  /**
   * Remembers a nonce not seen before until expiresAtMs. False, and nothing remembered, when full
   * of nonces that are still live: the caller refuses rather than forget one that could be replayed.
   */
  add(eui: string, nonce: Uint8Array, expiresAt_ms: number): boolean {
    assert(!this.has(eui, nonce), 'a nonce is added once')
    // Expired nonces leave at each commit; when full, commit now to make what room there is.
    if (this.size >= this.entries_max) this.commit()
    if (this.size >= this.entries_max) return false
    this.pending.set(pendingKey(eui, nonce), { eui, nonce: Buffer.from(nonce), expiresAtMs: expiresAt_ms })
    return true
  }

  /** Calls back once every nonce added so far is committed, or with the error that kept it out. */
  whenStored(callback: (error: Error | undefined) => void): void {
    this.waiting.push(callback)
    if (this.commitScheduled) return
    this.commitScheduled = true
    this.schedule(() => {
      this.commitScheduled = false
      const waiting = this.waiting
      this.waiting = []
      let failure: Error | undefined
      try {
        this.commit()
      } catch (error) {
        failure = error instanceof Error ? error : new Error(String(error))
      }
      for (const waiter of waiting) waiter(failure)
    })
  }

  /** On failure the transaction rolls back and the pending nonces stay pending, still refused. */
  private commit(): void {
    const { inserted, evicted } = this.commitTransaction()
    this.pending.clear()
    this.storedCount += inserted - evicted
    assert(this.storedCount >= 0, 'the count of stored nonces stays whole')
  }
}

function prepareStatements(db: SqliteDatabase) {
  return {
    has: db.prepare<[string, Buffer, number], number>(
      'SELECT 1 FROM mqtt_password_nonces WHERE eui = ? AND nonce = ? AND expires_at_ms >= ?').pluck(),
    insert: db.prepare<[string, Buffer, number]>('INSERT INTO mqtt_password_nonces (eui, nonce, expires_at_ms) VALUES (?, ?, ?)'),
    evict: db.prepare<[number]>('DELETE FROM mqtt_password_nonces WHERE expires_at_ms < ?'),
    saveClock: db.prepare<[number]>(
      `INSERT INTO mqtt_password_clock (id, highest_now_ms) VALUES (1, ?)
       ON CONFLICT (id) DO UPDATE SET highest_now_ms = max(highest_now_ms, excluded.highest_now_ms)`),
  }
}

function pendingKey(eui: string, nonce: Uint8Array): string {
  return `${eui}:${Buffer.from(nonce).toString('hex')}`
}
