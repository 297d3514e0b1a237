// Which hub runs the work that must run on one hub at a time: the voucher sweeper, the sealing and anchoring, the
// revocation publishing and the notification delivery. A hub on SQLite is alone, so always the leader. Hubs on one
// PostgreSQL hold a session-level advisory lock in turn: the hub whose own connection holds it leads, and when that
// hub dies its connection closes, PostgreSQL lets the lock go, and the next hub to try takes it (every `retry_ms`).
//
// A leader that cannot reach the database any more (its lock connection fails a check) stops leading at once, before
// PostgreSQL may have let the lock go: so two hubs may overlap by at most one check interval, never lead together for
// long. The work run under the lease is safe under that overlap anyway: every change it makes is decided by a
// constraint or a conditional UPDATE in the database, as every write of several hubs is.

import { Client, type ClientConfig } from 'pg'
import type { FastifyBaseLogger } from 'fastify'
import { repeat, type Cancel, type Clock } from '../../protocol/clock'
import { assert } from '../../protocol/errors'

/** How often a follower tries to take the lease, and a leader checks it still holds it. */
const LEADER_RETRY_DEFAULT_MS = 1_000
// Any fixed 64-bit number names the lock; this one is "paylead" in ASCII, beside the migrations' "payall".
const LEADER_LOCK_KEY = '31643496569839972'

export interface Leadership {
  /** Whether this hub leads now. */
  readonly leading: boolean
  /** Calls `listener` with every change, from now on; the returned function stops it. */
  onChange(listener: (leading: boolean) => void): Cancel
  /** Gives the lease up (another hub takes it within a retry) and stops trying. */
  stop(): Promise<void>
}

/** A hub alone on its database: it leads from start to stop. */
export function soleLeadership(): Leadership {
  return {
    leading: true,
    onChange: () => () => undefined,
    stop: async () => undefined,
  }
}

export interface PgLeaderLeaseOptions {
  /** How to reach the database: a connection of the lease's own, outside any pool, holds the lock. */
  readonly connection: ClientConfig
  readonly clock: Clock
  readonly log: Pick<FastifyBaseLogger, 'info' | 'warn'>
  readonly retry_ms?: number
  /** The lock's key; hubs that share a database and a role share it. Tests give each group of hubs its own. */
  readonly lockKey?: string
}

/** The lease of hubs on one PostgreSQL. It starts trying at once; `leading` turns true once this hub holds the lock. */
export class PgLeaderLease implements Leadership {
  private client: Client | undefined
  private current = false
  private stopped = false
  private readonly listeners = new Set<(leading: boolean) => void>()
  private readonly cancelRetry: Cancel
  private readonly key: string
  private attempt: Promise<void> = Promise.resolve()

  constructor(private readonly options: PgLeaderLeaseOptions) {
    this.key = options.lockKey ?? LEADER_LOCK_KEY
    assert(/^-?\d{1,19}$/.test(this.key), 'the lock key is a 64-bit integer')
    const retry_ms = options.retry_ms ?? LEADER_RETRY_DEFAULT_MS
    this.cancelRetry = repeat(options.clock, () => this.tick(), retry_ms, { background: true })
    void this.tick()
  }

  get leading(): boolean {
    return this.current
  }

  onChange(listener: (leading: boolean) => void): Cancel {
    this.listeners.add(listener)
    return () => {
      this.listeners.delete(listener)
    }
  }

  /** One try to take the lease, or one check that it is still held; runs one at a time. */
  tick(): Promise<void> {
    this.attempt = this.attempt.then(() => this.tryOnce())
    return this.attempt
  }

  async stop(): Promise<void> {
    this.stopped = true
    this.cancelRetry()
    await this.attempt
    // Closing the connection gives the lock back: the next hub to try takes it.
    await this.drop()
  }

  private async tryOnce(): Promise<void> {
    if (this.stopped) return
    try {
      const client = await this.connected()
      if (this.current) {
        await client.query('SELECT 1')
        return
      }
      const taken = await client.query<{ taken: boolean }>(`SELECT pg_try_advisory_lock(${this.key}) AS taken`)
      if (taken.rows[0]?.taken === true) this.change(true)
    } catch (error) {
      if (this.current) this.options.log.warn({ err: error }, 'the leader lost its database connection: it stops leading')
      await this.drop()
    }
  }

  private async connected(): Promise<Client> {
    if (this.client !== undefined) return this.client
    const client = new Client(this.options.connection)
    // A connection that breaks between two checks is noticed at the next; its error must not go unhandled.
    client.on('error', () => undefined)
    await client.connect()
    this.client = client
    return client
  }

  private async drop(): Promise<void> {
    const client = this.client
    this.client = undefined
    this.change(false)
    await client?.end().catch(() => undefined)
  }

  private change(leading: boolean): void {
    if (leading === this.current) return
    this.current = leading
    if (leading) this.options.log.info('this hub leads: it runs the sweeper, the anchoring, the revocations and the notifications')
    for (const listener of this.listeners) listener(leading)
  }
}

/**
 * Runs `start` while this hub leads, and cancels what it started when it stops leading (or when the returned
 * function is called); started again if the hub leads again.
 */
export function whileLeading(leadership: Leadership, start: () => Cancel): Cancel {
  let running: Cancel | undefined
  const follow = (leading: boolean): void => {
    if (leading && running === undefined) running = start()
    if (!leading && running !== undefined) {
      running()
      running = undefined
    }
  }
  const stopListening = leadership.onChange(follow)
  follow(leadership.leading)
  return () => {
    stopListening()
    follow(false)
  }
}
