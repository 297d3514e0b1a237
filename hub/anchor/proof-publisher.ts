// Sends gateways their proofs over MQTT (QoS 1, on each gateway's `proofs` topic): every gateway with payments in a
// batch as soon as the batch is anchored, and any gateway that asks (ProofRequest on `proofs/request`). Pushing is
// best effort: a gateway offline then, or a hub that stopped in between, is caught up by the gateway's requests.

import type { FastifyBaseLogger } from 'fastify'
import { ProtocolError } from '../../protocol/errors'
import { proofBundleCodec, proofRequestCodec, type ProofRequest } from '../../protocol/messages/proof-bundle'
import type { Ed25519, KeyPair } from '../../protocol/signature/ed25519'
import { gatewayTopic } from '../../protocol/topics'
import type { MessageBus } from '../bus'
import type { SqlEngine } from '../store/sql'
import { ProofBundler } from './proof-bundles'
import { AnchorStore } from './store'

/** Anchored batches waiting to be pushed; past this a batch is left to the gateways' requests. */
const ANCHORED_BATCHES_QUEUED_MAX = 1_024

export interface ProofPublisherOptions {
  readonly engine: SqlEngine
  readonly hubKeys: KeyPair
  readonly ed25519: Ed25519
  readonly bus: MessageBus
  readonly log: FastifyBaseLogger
}

export class ProofPublisher {
  private readonly bundler: ProofBundler
  private readonly queue: number[] = []
  private draining: Promise<void> | undefined
  private stopped = false

  constructor(private readonly options: ProofPublisherOptions) {
    this.bundler = new ProofBundler(options.engine, new AnchorStore(options.engine), options.hubKeys, options.ed25519)
  }

  /** Queues the push of a just-anchored batch's proofs; returns at once. */
  batchAnchored(batchId: number): void {
    if (this.stopped) return
    if (this.queue.length >= ANCHORED_BATCHES_QUEUED_MAX) {
      this.options.log.warn({ batchId }, 'proof push queue full: the gateways will ask for these proofs')
      return
    }
    this.queue.push(batchId)
    this.kick()
  }

  /** Resolves once every queued batch was pushed (or given up on). */
  async idle(): Promise<void> {
    while (this.draining !== undefined) await this.draining
  }

  /**
   * Answers a gateway's ProofRequest on its proofs topic. Never throws for what the gateway sent: a malformed
   * request, or one naming another gateway, is logged and dropped (the MQTT message is done with either way).
   */
  async answer(eui: string, payload: Uint8Array): Promise<void> {
    if (this.stopped) return
    let request: ProofRequest
    try {
      request = proofRequestCodec.decode(payload)
    } catch (error) {
      if (!(error instanceof ProtocolError)) throw error
      this.options.log.warn({ eui, code: error.code, reason: error.message }, 'a malformed proof request was dropped')
      return
    }
    if (request.gatewayEui !== eui) {
      this.options.log.warn({ eui, named: request.gatewayEui }, 'a proof request naming another gateway was dropped')
      return
    }
    for (const bundle of await this.bundler.answer(eui, request)) {
      await this.options.bus.publish(gatewayTopic(eui, 'proofs'), proofBundleCodec.encode(bundle))
    }
  }

  /** Stops taking work and waits for the push in hand. */
  async stop(): Promise<void> {
    this.stopped = true
    this.queue.length = 0
    await this.idle()
  }

  private kick(): void {
    if (this.draining !== undefined) return
    this.draining = this.drain().finally(() => {
      this.draining = undefined
      // A batch queued while the drain was finishing.
      if (this.queue.length > 0 && !this.stopped) this.kick()
    })
  }

  private async drain(): Promise<void> {
    for (let batchId = this.queue.shift(); batchId !== undefined; batchId = this.queue.shift()) {
      try {
        const bundles = await this.bundler.bundlesOfBatch(batchId)
        for (const { eui, bundle } of bundles) {
          await this.options.bus.publish(gatewayTopic(eui, 'proofs'), proofBundleCodec.encode(bundle))
        }
        if (bundles.length > 0) this.options.log.info({ batchId, bundles: bundles.length }, 'proofs pushed to gateways')
      } catch (error) {
        this.options.log.warn({ err: error, batchId }, 'pushing proofs failed: the gateways will ask for them')
      }
    }
  }
}
