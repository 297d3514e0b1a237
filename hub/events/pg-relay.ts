// The live events relay of hubs on one PostgreSQL (relay.ts): a connection of its own, outside any pool (LISTEN
// belongs to a session), listens on one channel; each hub sends with pg_notify on that channel, tagged with a random
// id of its own, and ignores what it hears with its own id. PostgreSQL hands a notification to every session
// listening when the sending transaction commits, in the order they committed.
//
// Nothing is queued for a connection that is down: what the other hubs send meanwhile goes past this hub, and what this
// hub sends is dropped. So on reconnecting the relay tells its receiver that it lost some, and, when it dropped any of
// its own, tells the other hubs so too: each forgets the events it kept (resumers get `reset` and reload).

import { Client, type ClientConfig, type Notification as PgNotification } from 'pg'
import type { FastifyBaseLogger } from 'fastify'
import { reconnectDelay_ms, repeat, SECOND_MS, type Cancel, type Clock, type RandomBytes } from '../../protocol/clock'
import { assert } from '../../protocol/errors'
import type { EventRelay, RelayedEvent, RelayReceiver } from './relay'
import { packNotifications, readNotification, type RelayMessage } from './relay-payload'

const CHANNEL_DEFAULT = 'payall_live_events'
const RECONNECT_INITIAL_MS = SECOND_MS
const RECONNECT_MAX_MS = 30 * SECOND_MS
/** How often the connection is checked: one that does not answer by the next check is taken for dead. */
const CHECK_INTERVAL_MS = 15 * SECOND_MS
/** Notifications sent and not yet answered; past it the next is dropped (and reported lost), never queued. */
const SENDS_PENDING_MAX = 1_000
/** Random bytes in a hub instance's id: two hubs never draw the same. */
const HUB_ID_BYTES = 12

/** The relay's connection, and its queries one at a time (pg would queue them itself, but deprecates being asked to). */
interface Connection {
  readonly client: Client
  queries: Promise<void>
}

export interface PgEventRelayOptions {
  /** How to reach the database; the relay opens a connection of its own with it. */
  readonly connection: ClientConfig
  readonly clock: Clock
  /** Draws this hub instance's id. */
  readonly random: RandomBytes
  readonly log: Pick<FastifyBaseLogger, 'info' | 'warn'>
  /** The channel hubs that share live events share; tests give each group of hubs its own. */
  readonly channel?: string
  /** SENDS_PENDING_MAX where not given. */
  readonly sendsPending_max?: number
}

/** A relay listening on the database; rejects when its first connection fails (the hub does not start half-deaf). */
export async function startPgEventRelay(options: PgEventRelayOptions): Promise<EventRelay> {
  const relay = new PgEventRelay(options)
  await relay.start()
  return relay
}

class PgEventRelay implements EventRelay {
  private readonly hubId: string
  private readonly channel: string
  private connection: Connection | undefined
  private receiver: RelayReceiver | undefined
  private stopped = false
  private failures = 0
  private cancelReconnect: Cancel = () => undefined
  private reconnecting: Promise<void> = Promise.resolve()
  private readonly cancelCheck: Cancel
  /** A check of the connection is waiting for its answer. */
  private checking = false
  /** Something this hub sent may not have reached the others, and they have not been told yet. */
  private unsent = false
  /** Notifications handed to the connection and not yet answered. */
  private sendsPending = 0
  private readonly sendsPending_max: number

  constructor(private readonly options: PgEventRelayOptions) {
    this.channel = options.channel ?? CHANNEL_DEFAULT
    // The channel is written into LISTEN as an identifier (it cannot be a parameter there).
    assert(/^[a-z_][a-z0-9_]{0,62}$/.test(this.channel), 'the channel is a lowercase SQL identifier')
    this.hubId = Buffer.from(options.random(HUB_ID_BYTES)).toString('hex')
    this.sendsPending_max = options.sendsPending_max ?? SENDS_PENDING_MAX
    assert(Number.isSafeInteger(this.sendsPending_max) && this.sendsPending_max > 0, 'the relay sends at least one notification at a time')
    this.cancelCheck = repeat(options.clock, () => this.check(), CHECK_INTERVAL_MS, { background: true })
  }

  async start(): Promise<void> {
    try {
      this.connection = await this.connect()
    } catch (error) {
      this.cancelCheck()
      throw error
    }
  }

  sendEvents(events: readonly RelayedEvent[]): void {
    if (events.length > 0) this.send({ kind: 'events', events })
  }

  sendAccessChanged(userId: string): void {
    this.send({ kind: 'access', userId })
  }

  receive(receiver: RelayReceiver): void {
    assert(this.receiver === undefined, 'a relay hands what it hears to one receiver')
    this.receiver = receiver
  }

  async stop(): Promise<void> {
    if (this.stopped) return
    this.stopped = true
    this.cancelCheck()
    this.cancelReconnect()
    await this.reconnecting
    const connection = this.connection
    this.connection = undefined
    if (connection === undefined) return
    // After the notifications sent before it, as every query on the connection.
    await this.query(connection, `UNLISTEN ${this.channel}`).catch(() => undefined)
    await connection.client.end().catch(() => undefined)
  }

  private async connect(): Promise<Connection> {
    const client = new Client(this.options.connection)
    const connection: Connection = { client, queries: Promise.resolve() }
    client.on('error', error => this.lose(connection, error))
    client.on('end', () => this.lose(connection, new Error('the connection ended')))
    client.on('notification', notification => this.hear(notification))
    try {
      await client.connect()
      await client.query(`LISTEN ${this.channel}`)
    } catch (error) {
      await client.end().catch(() => undefined)
      throw error
    }
    return connection
  }

  private query(connection: Connection, text: string, values: string[] = []): Promise<void> {
    const done = connection.queries.then(async () => {
      await connection.client.query(text, values)
    })
    connection.queries = done.catch(() => undefined)
    return done
  }

  private send(message: RelayMessage): void {
    const { payloads, refused } = packNotifications(this.hubId, message)
    if (refused.length > 0) this.options.log.warn({ refused }, 'live events too large for one notification were not relayed')
    for (const payload of payloads) this.notify(payload)
  }

  private notify(payload: string): void {
    const connection = this.connection
    if (connection === undefined || this.stopped || this.sendsPending >= this.sendsPending_max) {
      this.dropped(connection === undefined ? 'its connection is down' : 'too many notifications wait')
      return
    }
    this.sendsPending += 1
    this.query(connection, 'SELECT pg_notify($1, $2)', [this.channel, payload]).then(() => {
      this.sendsPending -= 1
      // The connection works, and some were dropped before (too many waited): the others hear of it now.
      if (this.unsent && this.connection === connection) this.tellLost()
    }, (error: unknown) => {
      this.sendsPending -= 1
      this.dropped(`a notification failed: ${error instanceof Error ? error.message : String(error)}`)
    })
  }

  /** Logged once until the others are told: a hub cut off would log every event otherwise. */
  private dropped(reason: string): void {
    if (!this.unsent) this.options.log.warn({ reason }, 'live events are not reaching the other hubs')
    this.unsent = true
  }

  /** Tells the other hubs that some of what this hub sent did not reach them. */
  private tellLost(): void {
    this.unsent = false
    this.send({ kind: 'lost' })
  }

  private hear(notification: PgNotification): void {
    if (notification.channel !== this.channel) return
    const reading = readNotification(notification.payload ?? '')
    if (!reading.ok) {
      this.options.log.warn({ reason: reading.reason, processId: notification.processId }, 'a malformed live events notification was dropped')
      return
    }
    const message = reading.notification
    const receiver = this.receiver
    if (message.hub === this.hubId || receiver === undefined) return
    if (message.kind === 'events') {
      receiver.events(message.events)
    } else if (message.kind === 'access') {
      receiver.accessChanged(message.userId)
    } else {
      this.options.log.info('another hub could not relay some of its live events')
      receiver.lost()
    }
  }

  /** A connection that failed or ended: dropped, and another one made after a delay. Once per connection. */
  private lose(connection: Connection, error: unknown): void {
    if (this.connection !== connection) return
    this.connection = undefined
    this.checking = false
    connection.client.end().catch(() => undefined)
    if (this.stopped) return
    this.options.log.warn({ err: error }, 'the live events relay lost its connection: it reconnects')
    this.reconnectLater()
  }

  private reconnectLater(): void {
    const delay_ms = reconnectDelay_ms(this.failures, RECONNECT_INITIAL_MS, RECONNECT_MAX_MS)
    this.cancelReconnect = this.options.clock.setTimer(() => {
      this.reconnecting = this.reconnect()
    }, delay_ms, { background: true })
  }

  private async reconnect(): Promise<void> {
    let connection: Connection
    try {
      connection = await this.connect()
    } catch (error) {
      this.failures += 1
      this.options.log.warn({ err: error, failures: this.failures }, 'the live events relay could not reconnect')
      if (!this.stopped) this.reconnectLater()
      return
    }
    if (this.stopped) {
      await connection.client.end().catch(() => undefined)
      return
    }
    this.connection = connection
    this.failures = 0
    this.options.log.info('the live events relay reconnected')
    // What the other hubs sent while this hub was not listening went past it.
    this.receiver?.lost()
    if (this.unsent) this.tellLost()
  }

  /** Asks the connection for an answer; one still unanswered from the last check means it is dead. */
  private check(): void {
    const connection = this.connection
    if (connection === undefined) return
    if (this.checking) {
      this.lose(connection, new Error(`the connection did not answer a check within ${CHECK_INTERVAL_MS} ms`))
      return
    }
    this.checking = true
    this.query(connection, 'SELECT 1').then(() => {
      if (this.connection === connection) this.checking = false
    }, (error: unknown) => this.lose(connection, error))
  }
}
