// Delivers what the outbox holds: each due message to its channel's adapter, one at a time, then
// sent, retried later with backoff, or failed and kept. One drain runs at a time in a hub, and a message is
// claimed in the database before it is sent, so hubs draining one outbox do not send it twice.

import type { FastifyBaseLogger } from 'fastify'
import type { Clock } from '../../protocol/clock'
import { afterFailure, type RetryPolicy } from './backoff'
import type { Channel } from './message'
import type { Outbox } from './outbox'
import { DeliveryError, type DeliveryAdapter } from './adapters/adapter'

/** Most messages one drain looks at; the rest wait for the next. */
const DUE_PER_DRAIN_MAX = 100
/**
 * How long a message this hub took for an attempt is not due to another: past any adapter's time limit
 * (sendTimeoutMs, 15 s by default). A hub that dies in the middle of a send leaves the message to be tried again then.
 */
const CLAIM_MS = 5 * 60_000

export interface DeliveryReport {
  sent: number
  retried: number
  failed: number
}

export class Dispatcher {
  private draining: Promise<DeliveryReport> | undefined

  constructor(
    private readonly outbox: Outbox,
    private readonly adapters: Readonly<Record<Channel, DeliveryAdapter>>,
    private readonly clock: Clock,
    private readonly policy: RetryPolicy,
    private readonly log: FastifyBaseLogger,
  ) {}

  /** Attempts every message due now (up to DUE_PER_DRAIN_MAX); a call during a drain joins it. */
  deliverDue(): Promise<DeliveryReport> {
    this.draining ??= this.drain().finally(() => {
      this.draining = undefined
    })
    return this.draining
  }

  /** Resolves once no drain is running. */
  async idle(): Promise<void> {
    await this.draining?.catch(() => undefined)
  }

  private async drain(): Promise<DeliveryReport> {
    const report: DeliveryReport = { sent: 0, retried: 0, failed: 0 }
    for (const message of await this.outbox.due(this.clock.now_ms(), DUE_PER_DRAIN_MAX)) {
      const attempts = message.attempts + 1
      const now_ms = this.clock.now_ms()
      if (!await this.outbox.claim(message.id, message.attempts, now_ms, now_ms + CLAIM_MS)) continue
      try {
        const { providerId } = await this.adapters[message.channel].send(message)
        await this.outbox.markSent(message.id, attempts, providerId, this.clock.now_ms())
        report.sent++
      } catch (error) {
        const permanent = error instanceof DeliveryError && error.permanent
        const reason = (error as Error).message ?? String(error)
        const next = afterFailure(attempts, permanent, this.clock.now_ms(), this.policy)
        if (next.status === 'failed') {
          await this.outbox.markFailed(message.id, attempts, this.clock.now_ms(), reason)
          report.failed++
          this.log.warn({ notificationId: message.id, kind: message.kind, attempts, reason }, 'notification failed; kept in the outbox')
        } else {
          await this.outbox.markRetry(message.id, attempts, next.nextAttemptAtMs, reason)
          report.retried++
          this.log.info({ notificationId: message.id, attempts, nextAttemptAtMs: next.nextAttemptAtMs, reason }, 'notification will be retried')
        }
      }
    }
    return report
  }
}
