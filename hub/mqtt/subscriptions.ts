// The hub client's handlers, one per topic filter (at most SUBSCRIPTIONS_MAX), and the wait for
// one: a persistent session's messages arrive right after CONNACK, before the hub has subscribed
// again, so a message with no handler yet waits a bounded time for its subscribe().

import type { IPublishPacket } from 'mqtt'
import type { Cancel, Clock } from '../../protocol/clock'
import { MqttError } from './errors'
import { topicMatchesFilter } from './topic-filter'

const SUBSCRIPTIONS_MAX = 64

export type MessageHandler = (topic: string, payload: Buffer, packet: IPublishPacket) => void | Promise<void>

export interface Subscription {
  readonly filter: string
  readonly handler: MessageHandler
}

export class Subscriptions {
  private readonly entries: Subscription[] = []
  /** One message is dispatched at a time, so at most one waiter is ever queued. */
  private waiters: Array<() => void> = []

  constructor(private readonly clock: Clock, private readonly wait_ms: number) {}

  /** Registers `handler` for `filter`; refuses a second handler for one filter, or one past the bound. */
  add(filter: string, handler: MessageHandler): Subscription {
    if (typeof filter !== 'string' || filter.length === 0 || typeof handler !== 'function') {
      throw new MqttError('INVALID_OPTIONS', 'subscribe needs a non-empty filter and a handler')
    }
    if (this.entries.some(subscription => subscription.filter === filter)) {
      throw new MqttError('INVALID_OPTIONS', `already subscribed to ${JSON.stringify(filter)}`)
    }
    if (this.entries.length >= SUBSCRIPTIONS_MAX) throw new MqttError('INVALID_OPTIONS', `at most ${SUBSCRIPTIONS_MAX} subscriptions`)
    const subscription: Subscription = { filter, handler }
    this.entries.push(subscription)
    this.wake()
    return subscription
  }

  remove(subscription: Subscription): void {
    const index = this.entries.indexOf(subscription)
    if (index >= 0) this.entries.splice(index, 1)
  }

  /**
   * The subscriptions whose filter matches `topic`, waiting up to wait_ms for a matching add() if
   * there is none yet; none when the wait ends first, or once `stopped()` (woken by wake()).
   */
  async matching(topic: string, stopped: () => boolean): Promise<Subscription[]> {
    const matchingNow = (): Subscription[] => this.entries.filter(subscription => topicMatchesFilter(subscription.filter, topic))
    let matching = matchingNow()
    if (matching.length > 0 || stopped()) return matching
    let timedOut = false
    const cancel: Cancel = this.clock.setTimer(() => {
      timedOut = true
      this.wake()
    }, this.wait_ms)
    try {
      while (matching.length === 0 && !timedOut && !stopped()) {
        await new Promise<void>(resolve => this.waiters.push(resolve))
        matching = matchingNow()
      }
    } finally {
      cancel()
    }
    return matching
  }

  /** Lets a waiting matching() look again. */
  wake(): void {
    const waiters = this.waiters
    this.waiters = []
    for (const wake of waiters) wake()
  }
}
