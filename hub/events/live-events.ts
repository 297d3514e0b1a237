// The hub's in-process event hub: producers publish an event once what it reports has committed; the hub
// resolves who may see it, numbers it, keeps the last EVENTS_KEPT_MAX for clients that resume with
// Last-Event-ID, and hands it to its listeners (the open GET /events streams). Hubs sharing one database share
// their events through a relay (relay.ts): each hub numbers what it hears from the others with ids of its own.

import type { FastifyBaseLogger } from 'fastify'
import { assert } from '../../protocol/errors'
import { SerialQueue } from '../../protocol/serial-queue'
import type { LiveEvent, NewLiveEvent } from './model'
import type { EventRelay, RelayedEvent } from './relay'

/**
 * Events kept for resumption. Past it the oldest is forgotten; a client whose Last-Event-ID is older than
 * the oldest kept (or from before a restart: the ring lives in memory) gets a `reset` event instead.
 */
export const EVENTS_KEPT_MAX = 1_000
/**
 * Ids taken from the database per write: one write, a synchronous commit and its fsync on the main thread, per this
 * many events (at 5,000 payments a second, one every 200 s; 10,000 cost a settling hub 3% of its main thread). A
 * restart skips what is left of a block: ids are safe integers, 2^53, so the skips never run them out.
 */
const IDS_PER_RESERVATION = 1_000_000
/**
 * Events published and waiting for their audience to be resolved. Past it a new event is dropped and
 * logged: what it reports has happened all the same, and the pages show it on their next load.
 */
const EVENTS_PENDING_MAX = 10_000

/** Who owns what: read once per event, when it is published, through the hub's stores. */
export interface AudienceLookups {
  /** The owner of a gateway, by its id; null or undefined when it has none. */
  gatewayOwner(gatewayId: string): Promise<string | null | undefined>
  /** The user a ledger account belongs to; null or undefined for a system account or an unknown one. */
  accountOwner(accountId: string): Promise<string | null | undefined>
}

/**
 * What the publisher knows already of who may see an event, read in the transaction that made it: the owner of the
 * event's gateway (null: none). Spares a lookup per event on the settlement path; without it the hub reads it.
 */
export interface KnownAudience {
  readonly gatewayOwner?: string | null
}

export interface LiveEventListener {
  /** Called with every event, in id order; must not throw (a throw is logged, and the others still hear it). */
  event(event: LiveEvent): void
  /** The user's sessions, suspension or roles changed: the user's streams check their access again now. */
  accessChanged(userId: string): void
}

/** What a client resuming after an id gets: the events it missed, or `reset` when they are no longer all kept. */
export type Resumption = { readonly kind: 'events'; readonly events: readonly LiveEvent[] } | { readonly kind: 'reset' }

export interface LiveEventsOptions {
  readonly ids: { reserve(count: number): Promise<number> }
  readonly lookups: AudienceLookups
  readonly log: Pick<FastifyBaseLogger, 'warn'>
  /** EVENTS_KEPT_MAX where not given. */
  readonly kept_max?: number
  /** The other hubs on the same database: what this hub publishes goes to them, and what they publish comes here. */
  readonly relay?: EventRelay
}

export class LiveEvents {
  /** A ring: `kept[(start + i) % kept_max]` is the i-th oldest; its ids are consecutive. */
  private readonly kept: LiveEvent[] = []
  private start = 0
  /** Undefined until the first block of ids is reserved (ready()). */
  private nextId: number | undefined
  private reservedUntil = 0
  private opening: Promise<void> | undefined
  private readonly listeners = new Set<LiveEventListener>()
  private readonly pending = new SerialQueue(EVENTS_PENDING_MAX, 'the live events')
  private readonly kept_max: number

  constructor(private readonly options: LiveEventsOptions) {
    this.kept_max = options.kept_max ?? EVENTS_KEPT_MAX
    assert(Number.isSafeInteger(this.kept_max) && this.kept_max > 0, 'the hub keeps at least one event')
    this.ready().catch((error: unknown) => options.log.warn({ err: error }, 'the live events have no ids yet: the first event tries again'))
    options.relay?.receive({
      events: events => this.appendRelayed(events),
      accessChanged: userId => this.tellAccessChanged(userId),
      lost: () => this.forgetKept(),
    })
  }

  /**
   * Resolves once the hub holds its first block of ids (reserved from the moment it is made): lastId and resume
   * answer from then on. Tries again after a reservation that failed.
   */
  ready(): Promise<void> {
    this.opening ??= this.pending.run(async () => {
      if (this.nextId === undefined) await this.reserveBlock()
    }).catch((error: unknown) => {
      this.opening = undefined
      throw error
    })
    return this.opening
  }

  /**
   * Publishes an event. Call it once what the event reports has committed, never for a change rolled back.
   * Its audience is resolved first, one event at a time, so events keep the order they were published in.
   */
  publish(event: NewLiveEvent, known: KnownAudience = {}): void {
    this.publishAll([event], known)
  }

  /**
   * Publishes events in their order, as one job: a batch's payments, announced together once the batch committed.
   * One whose audience cannot be resolved is logged and left out; the others are still published.
   */
  publishAll(events: readonly NewLiveEvent[], known: KnownAudience = {}): void {
    if (events.length === 0) return
    this.pending.run(async () => {
      const relayed: RelayedEvent[] = []
      for (const event of events) {
        try {
          const audience = await this.audienceOf(event, known)
          await this.append(event, audience)
          relayed.push({ ...event, audience })
        } catch (error) {
          this.options.log.warn({ err: error, type: event.type }, 'a live event was not published')
        }
      }
      this.options.relay?.sendEvents(relayed)
    }).catch(error => this.options.log.warn({ err: error, count: events.length }, 'live events were not published'))
  }

  /** Settles once every event published so far has been handed to the listeners. */
  async idle(): Promise<void> {
    await this.pending.run(() => undefined)
  }

  /** The newest id handed out, or the one before the first this hub will hand out. Once ready(). */
  get lastId(): number {
    assert(this.nextId !== undefined, 'the live events are ready() before their ids are read')
    return this.nextId - 1
  }

  /**
   * The events after `afterId`, if the hub still keeps every one of them. Once ready(). Ids are this hub's own, so a
   * client that resumes here with an id another hub gave it is outside the ids kept here: it gets `reset`.
   */
  resume(afterId: number): Resumption {
    const oldestId = this.kept.length === 0 ? this.lastId + 1 : this.at(0).id
    if (afterId < oldestId - 1 || afterId > this.lastId) return { kind: 'reset' }
    const events: LiveEvent[] = []
    for (let i = afterId - oldestId + 1; i < this.kept.length; i++) events.push(this.at(i))
    return { kind: 'events', events }
  }

  /** Adds a listener until the returned function is called. */
  listen(listener: LiveEventListener): () => void {
    this.listeners.add(listener)
    return () => {
      this.listeners.delete(listener)
    }
  }

  /**
   * Tells the listeners that a user's access changed (suspended, sessions ended, roles changed). They are told
   * once the running synchronous work is done: a caller inside a database transaction has committed it by then
   * (or rolled it back), so what they read again is what holds.
   */
  accessChanged(userId: string): void {
    queueMicrotask(() => {
      this.tellAccessChanged(userId)
      this.options.relay?.sendAccessChanged(userId)
    })
  }

  private tellAccessChanged(userId: string): void {
    for (const listener of this.listeners) this.tell(() => listener.accessChanged(userId))
  }

  /** Events another hub published, with the audience it resolved: numbered here, after what was published before. */
  private appendRelayed(events: readonly RelayedEvent[]): void {
    this.pending.run(async () => {
      for (const event of events) {
        try {
          await this.append(event, event.audience)
        } catch (error) {
          this.options.log.warn({ err: error, type: event.type }, 'a live event from another hub was not kept')
        }
      }
    }).catch(error => this.options.log.warn({ err: error, count: events.length }, 'live events from another hub were not kept'))
  }

  /**
   * Some events never reached this hub: a client resuming from before now would miss them silently, so the kept ones
   * are forgotten (resumers get `reset`). One id is skipped too, so that a client already holding the newest id does
   * not resume from it with nothing to send.
   */
  private forgetKept(): void {
    this.pending.run(async () => {
      await this.takeId()
      this.kept.length = 0
      this.start = 0
    }).catch(error => this.options.log.warn({ err: error }, 'the live events could not forget what they kept after a gap'))
  }

  private async append(published: NewLiveEvent, audience: readonly string[]): Promise<void> {
    const event: LiveEvent = { ...published, id: await this.takeId(), audience }
    if (this.kept.length < this.kept_max) {
      this.kept.push(event)
    } else {
      this.kept[this.start] = event
      this.start = (this.start + 1) % this.kept_max
    }
    for (const listener of this.listeners) this.tell(() => listener.event(event))
  }

  private async takeId(): Promise<number> {
    if (this.nextId === undefined || this.nextId === this.reservedUntil) await this.reserveBlock()
    return this.nextId!++
  }

  /** The next block of ids; called from the pending jobs only, one at a time. */
  private async reserveBlock(): Promise<void> {
    const first = await this.options.ids.reserve(IDS_PER_RESERVATION)
    if (this.nextId !== undefined && first !== this.nextId) {
      // Another process reserved in between: the ids skip, so the ring's would no longer be consecutive.
      this.kept.length = 0
      this.start = 0
    }
    this.nextId = first
    this.reservedUntil = first + IDS_PER_RESERVATION
  }

  private at(index: number): LiveEvent {
    return this.kept[(this.start + index) % this.kept.length]!
  }

  private tell(call: () => void): void {
    try {
      call()
    } catch (error) {
      this.options.log.warn({ err: error }, 'a live event listener failed')
    }
  }

  /** The users, besides operators, who may see the event. */
  private async audienceOf(event: NewLiveEvent, known: KnownAudience): Promise<string[]> {
    const { lookups } = this.options
    const users = new Set<string | null | undefined>()
    switch (event.type) {
      case 'payment.settled': {
        const { gatewayId, payerAccountId, payeeAccountId } = event.data
        if (gatewayId !== null) users.add(known.gatewayOwner !== undefined ? known.gatewayOwner : await lookups.gatewayOwner(gatewayId))
        users.add(await lookups.accountOwner(payerAccountId))
        users.add(await lookups.accountOwner(payeeAccountId))
        break
      }
      case 'gateway.presence':
        users.add(await lookups.gatewayOwner(event.data.gatewayId))
        break
      case 'order.decided':
        users.add(event.data.buyerId)
        break
      case 'kyc.reviewed':
        users.add(event.data.userId)
        break
      case 'doublespend.flagged':
        // Fraud evidence is for operators only.
        break
    }
    return [...users].filter((user): user is string => typeof user === 'string')
  }
}
