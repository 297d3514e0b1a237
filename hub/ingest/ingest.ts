// The hub's side of sync (DESIGN steps 6-8): gateways' record batches (batch.ts) and their online
// authorization requests (online.ts) and the voids of unanswered ones (void.ts), decided and settled one at a time, in arrival order, in one
// bounded queue, since both settle payments under the same vouchers.

import type { Ack } from '../../protocol/messages/ack'
import type { OnlineAuthorizationResponse } from '../../protocol/messages/online-authorization'
import type { OnlineVoidResponse } from '../../protocol/messages/online-void'
import { SerialQueue } from '../../protocol/serial-queue'
import { BatchIngest } from './batch'
import type { IngestDependencies } from './dependencies'
import { OnlineAuthorization } from './online'
import { Settlement } from './settlement'
import { OnlineVoids } from './void'

/**
 * Batches and online requests queued or running at once; past it a new one is refused with
 * QUEUE_FULL and nothing of it is kept (a gateway sends an unacked batch again; an unanswered
 * online request times out at the gateway). The MQTT side keeps at most INGESTS_IN_FLIGHT_MAX
 * batches and one online request in it.
 */
const INGEST_JOBS_MAX = 64

export class RecordIngest {
  private readonly batches: BatchIngest
  private readonly online: OnlineAuthorization
  private readonly voids: OnlineVoids

  constructor(deps: IngestDependencies) {
    const queue = new SerialQueue(deps.settings.jobsQueued_max ?? INGEST_JOBS_MAX, 'the ingest')
    const settlement = new Settlement(deps)
    this.batches = new BatchIngest(deps, queue, settlement)
    this.online = new OnlineAuthorization(deps, queue, settlement)
    this.voids = new OnlineVoids(deps, queue)
  }

  /**
   * Processes one payload from `payall/v1/gw/{eui}/records`. Returns the signed Ack to publish,
   * or null when the payload is not a batch of that gateway (kept for audit, nothing changed).
   * `settled` is told once the batch has left the queue, before its ack waits for the fsync.
   */
  ingest(topicEui: string, payload: Uint8Array, settled?: () => void): Promise<Ack | null> {
    return this.batches.ingest(topicEui, payload, settled)
  }

  /** Answers a gateway's real-time authorization request; null for a payload that is not one. */
  authorizeOnline(topicEui: string, payload: Uint8Array): Promise<OnlineAuthorizationResponse | null> {
    return this.online.authorize(topicEui, payload)
  }

  /** The answer to an online request the hub could not decide (see OnlineAuthorization.undecided); null for a payload that is not one. */
  undecidedOnline(payload: Uint8Array): OnlineAuthorizationResponse | null {
    return this.online.undecided(payload)
  }

  /** Answers a gateway's void of an online request it got no answer to; null for a payload that is not one. */
  voidOnline(topicEui: string, payload: Uint8Array): Promise<OnlineVoidResponse | null> {
    return this.voids.handle(topicEui, payload)
  }
}
