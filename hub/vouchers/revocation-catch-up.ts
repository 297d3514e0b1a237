// Answers a gateway that missed revocation deltas (RevocationCatchUpRequest on its
// `revocations/request` topic) on its own `revocations/catch-up` topic, QoS 1: the deltas since the
// serial it holds when they are all kept and not too many, else the whole list in its signed parts.
// Like proofs (anchor/proof-publisher.ts), a malformed or foreign request is logged and dropped.

import type { FastifyBaseLogger } from 'fastify'
import { ProtocolError } from '../../protocol/errors'
import { revocationCatchUpRequestCodec, type RevocationCatchUpRequest } from '../../protocol/messages/revocation-catch-up'
import { revocationDeltaCodec } from '../../protocol/messages/revocation-delta'
import { revocationListCodec } from '../../protocol/messages/revocation-list'
import { gatewayTopic } from '../../protocol/topics'
import type { MessageBus } from '../bus'
import type { Clock } from '../../protocol/clock'
import { REVOCATION_DELTAS_KEPT, type Revocations } from './revocations'

/** A gateway further behind than this many deltas gets the whole list: fewer, larger messages. */
const CATCH_UP_DELTAS_MAX = REVOCATION_DELTAS_KEPT
/** One answer per gateway per interval: a gateway asking in a loop cannot have the whole list sent in a loop. */
export const CATCH_UP_ANSWER_INTERVAL_MS = 5_000
/** Gateways whose last answer is remembered; past this the least recently answered is forgotten (it may be answered early once). */
const CATCH_UP_GATEWAYS_TRACKED_MAX = 4_096

export type CatchUpPlan =
  | { readonly kind: 'up-to-date' }
  /** The gateway holds a serial the hub never reached (a hub restored from an old backup). */
  | { readonly kind: 'ahead' }
  | { readonly kind: 'deltas' }
  | { readonly kind: 'list' }

/** What to send a gateway at `gatewaySerial`, given the hub's serial and the oldest delta it keeps. */
export function planCatchUp(gatewaySerial: number, hubSerial: number, oldestKeptDelta: number | undefined): CatchUpPlan {
  if (gatewaySerial === hubSerial) return { kind: 'up-to-date' }
  if (gatewaySerial > hubSerial) return { kind: 'ahead' }
  const allKept = oldestKeptDelta !== undefined && oldestKeptDelta <= gatewaySerial + 1
  return allKept && hubSerial - gatewaySerial <= CATCH_UP_DELTAS_MAX ? { kind: 'deltas' } : { kind: 'list' }
}

export interface RevocationCatchUpOptions {
  readonly revocations: Revocations
  readonly bus: MessageBus
  readonly clock: Clock
  readonly log: FastifyBaseLogger
}

export class RevocationCatchUp {
  /**
   * Per gateway, when this hub last answered it; insertion order is answer order. A throttle, not a decision: with
   * several hubs a gateway may be answered once per hub per interval, and every answer is as good as another.
   */
  private readonly answeredAtMs = new Map<string, number>()

  constructor(private readonly options: RevocationCatchUpOptions) {}

  /** Answers one request; never throws for what the gateway sent. Returns what was sent (for logs and tests). */
  async answer(eui: string, payload: Uint8Array): Promise<CatchUpPlan['kind'] | 'refused' | 'throttled'> {
    const { revocations, bus, clock, log } = this.options
    let request: RevocationCatchUpRequest
    try {
      request = revocationCatchUpRequestCodec.decode(payload)
    } catch (error) {
      if (!(error instanceof ProtocolError)) throw error
      log.warn({ eui, code: error.code, reason: error.message }, 'a malformed revocation catch-up request was dropped')
      return 'refused'
    }
    if (request.gatewayEui !== eui) {
      log.warn({ eui, named: request.gatewayEui }, 'a revocation catch-up request naming another gateway was dropped')
      return 'refused'
    }
    const now_ms = clock.now_ms()
    const last = this.answeredAtMs.get(eui)
    if (last !== undefined && now_ms - last < CATCH_UP_ANSWER_INTERVAL_MS) return 'throttled'
    this.answeredAtMs.delete(eui)
    this.answeredAtMs.set(eui, now_ms)
    if (this.answeredAtMs.size > CATCH_UP_GATEWAYS_TRACKED_MAX) this.answeredAtMs.delete(this.answeredAtMs.keys().next().value!)

    const hubSerial = await revocations.serial()
    const plan = planCatchUp(request.serial, hubSerial, await revocations.store.oldestDeltaSerial())
    const topic = gatewayTopic(eui, 'revocations/catch-up')
    switch (plan.kind) {
      case 'up-to-date':
        break
      case 'ahead':
        log.warn({ eui, gatewaySerial: request.serial, hubSerial }, 'a gateway holds a revocation serial beyond the hub\'s')
        break
      case 'deltas':
        for (const delta of await revocations.store.deltasAfter(request.serial, CATCH_UP_DELTAS_MAX)) {
          await bus.publish(topic, revocationDeltaCodec.encode(delta))
        }
        break
      case 'list':
        for (const part of await revocations.fullList()) await bus.publish(topic, revocationListCodec.encode(part))
        break
    }
    return plan.kind
  }
}
