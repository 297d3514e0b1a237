// The terminal's questions to the hub, one way for all: an online authorization, a refund, a void, a
// revocation catch-up. Each is published and waits in its kind's table, under a key, for the
// handler of the answer to settle it, or for its timeout or the link going down.

import type { Clock } from '../../protocol/clock'

export type RequestKind = 'online-authorization' | 'refund' | 'online-void' | 'revocation-catch-up'

/** Questions of each kind waiting for an answer; one more is 'unreachable' at once. */
const REQUESTS_MAX: Readonly<Record<RequestKind, number>> = Object.freeze({
  'online-authorization': 16,
  refund: 16,
  'online-void': 16,
  // One catch-up outstanding at a time: the hub's answer to it covers everything missed.
  'revocation-catch-up': 1,
})

/** How a question went out: `failed` when the broker did not take it. */
export type Publish = (topic: string, payload: Uint8Array, done: (failed: boolean) => void) => void

export interface Question<Answer> {
  readonly kind: RequestKind
  /** Unique among the waiting questions of its kind (a correlation id, a refund id). */
  readonly key: string
  readonly topic: string
  readonly payload: Uint8Array
  readonly timeout_ms: number
  /** Whether an answer under this key is really about what was asked (the same payment). */
  readonly accepts?: (answer: Answer) => boolean
}

interface Waiter {
  accepts(answer: unknown): boolean
  finish(answer: unknown): void
}

export class HubRequests {
  private readonly waiting = new Map<RequestKind, Map<string, Waiter>>()

  constructor(private readonly clock: Clock, private readonly publish: Publish, private readonly linkUp: () => boolean) {}

  /**
   * Publishes the question and resolves with its answer; 'unreachable' when the link is down, the
   * kind's table is full, the key is already waiting, the broker refused it, or no answer came in time.
   */
  ask<Answer>(question: Question<Answer>): Promise<Answer | 'unreachable'> {
    const table = this.table(question.kind)
    if (!this.linkUp() || table.size >= REQUESTS_MAX[question.kind] || table.has(question.key)) {
      return Promise.resolve('unreachable')
    }
    const answer = new Promise<Answer | 'unreachable'>(resolve => {
      const cancel = this.clock.setTimer(() => finish('unreachable'), question.timeout_ms)
      const finish = (value: unknown): void => {
        cancel()
        table.delete(question.key)
        resolve(value as Answer | 'unreachable')
      }
      const accepts = question.accepts ?? (() => true)
      table.set(question.key, { accepts: value => accepts(value as Answer), finish })
    })
    this.publish(question.topic, question.payload, failed => {
      if (failed) table.get(question.key)?.finish('unreachable')
    })
    return answer
  }

  /** Settles the question waiting under `key` with `answer`, if there is one and the answer is about it. */
  answer<Answer>(kind: RequestKind, key: string, answer: Answer): void {
    const waiter = this.table(kind).get(key)
    if (waiter !== undefined && waiter.accepts(answer)) waiter.finish(answer)
  }

  /** Whether a question of this kind is waiting. */
  pending(kind: RequestKind): boolean {
    return this.table(kind).size > 0
  }

  /** Every waiting question is 'unreachable' (the link went down, the sync stopped). */
  failAll(): void {
    for (const table of this.waiting.values()) {
      for (const waiter of [...table.values()]) waiter.finish('unreachable')
    }
  }

  private table(kind: RequestKind): Map<string, Waiter> {
    let table = this.waiting.get(kind)
    if (table === undefined) {
      table = new Map()
      this.waiting.set(kind, table)
    }
    return table
  }
}
