// The anchoring service a running hub keeps: on every tick it seals what is due, then moves each unanchored
// batch one step on the chain. Failures back off exponentially (bounded); nothing sealed is ever dropped.

import type { FastifyBaseLogger } from 'fastify'
import { repeat, type Cancel, type Clock } from '../../protocol/clock'
import { nodeEd25519 } from '../../protocol/signature/node'
import type { HubConfig } from '../config'
import type { HubContext } from '../context'
import { Anchorer, type StepOutcome } from './anchorer'
import { backoffDelay_ms, type AnchorBatch } from './batch'
import { connectAnchorChain, isAnchorError, type AnchorChain, type AnchorErrorCode } from './chain'
import { MerkleRootWorker, type MerkleRootOf } from './merkle-roots'
import { whileLeading } from '../store/leadership'
import { Sealer } from './seal'
import { anchorSettings, type AnchorSettings } from './settings'
import { AnchorStore } from './store'

/** Most batches one tick looks at; a backlog is worked off over several ticks. */
const BATCHES_PER_TICK_MAX = 64

export interface TickReport {
  /** Ids of the batches sealed in this tick. */
  readonly sealed: number[]
  /** 'deferred': the batch needs a first transaction, but inFlight_max transactions are out already. */
  readonly steps: Array<{ readonly batchId: number; readonly outcome: StepOutcome | 'deferred' }>
  /** Why no chain work was done: none configured, or backing off after failures. */
  readonly idle?: 'no_chain' | 'backing_off'
  /** What failed, when the tick ended in a failure. */
  readonly error?: AnchorErrorCode | 'INTERNAL'
}

export interface AnchorServiceOptions {
  readonly store: AnchorStore
  readonly sealer: Sealer
  readonly clock: Clock
  readonly log: FastifyBaseLogger
  readonly settings: AnchorSettings
  /** Opens the chain; undefined when none is configured, and then batches are sealed and wait. */
  readonly connect: (() => Promise<AnchorChain>) | undefined
  /** Told of each batch this service saw anchored (e.g. to push its proofs to gateways); must not throw. */
  readonly onAnchored?: (batchId: number) => void
  /** Called once stopped: what the service's parts hold (the Merkle root worker). */
  readonly release?: () => Promise<void>
}

export class AnchorService {
  private readonly anchorer: Anchorer
  private chain: AnchorChain | undefined
  private failures = 0
  private retryAt_ms = 0
  private stopTicking: Cancel | undefined
  private running: Promise<void> | undefined
  private stopped = false
  private unfollow: Cancel | undefined

  constructor(private readonly options: AnchorServiceOptions) {
    this.anchorer = new Anchorer(options.store, options.clock, options.log, options.settings.confirmations)
  }

  /** One round: seal what is due, then one step for each unanchored batch. Never throws for a chain failure. */
  async tick(): Promise<TickReport> {
    const { store, sealer, clock, log, settings, connect } = this.options
    const sealed = (await sealer.sealDue()).map(({ batch }) => {
      log.info({ batchId: batch.batchId, count: batch.count }, 'batch sealed')
      return batch.batchId
    })
    const steps: TickReport['steps'] = []
    if (connect === undefined) return { sealed, steps, idle: 'no_chain' }
    if (clock.now_ms() < this.retryAt_ms) return { sealed, steps, idle: 'backing_off' }

    // The batch the failure is recorded on: the one in hand, or else the first one waiting.
    let current: AnchorBatch | undefined
    try {
      this.chain ??= await connect()
      const chain = this.chain
      const batches = await store.unanchored(chain.target, BATCHES_PER_TICK_MAX)
      current = batches[0]
      if (batches.length > 0) {
        const headBlock = await chain.blockNumber()
        const isInFlight = (batch: AnchorBatch) => batch.status === 'sent' && this.anchorer.sentTo(batch, chain)
        let inFlight = batches.filter(isInFlight).length
        for (const batch of batches) {
          if (this.stopped) break
          // A batch without a transaction out cannot be on chain yet: while the bound is reached it is not even looked up.
          if (!isInFlight(batch) && inFlight >= settings.inFlight_max) {
            steps.push({ batchId: batch.batchId, outcome: 'deferred' })
            continue
          }
          current = batch
          const outcome = await this.anchorer.step(batch, chain, headBlock)
          if (outcome === 'sent' && !isInFlight(batch)) inFlight++
          if ((outcome === 'anchored' || outcome === 'conflict') && isInFlight(batch)) inFlight--
          steps.push({ batchId: batch.batchId, outcome })
          if (outcome === 'anchored') this.options.onAnchored?.(batch.batchId)
        }
      }
      this.failures = 0
      return { sealed, steps }
    } catch (error) {
      const code = isAnchorError(error) ? error.code : 'INTERNAL'
      this.failures++
      const retryIn_ms = backoffDelay_ms(this.failures, settings)
      this.retryAt_ms = clock.now_ms() + retryIn_ms
      // Reconnect next time: the node may have come back as another chain, or the contract may have moved.
      this.chain?.close()
      this.chain = undefined
      if (current !== undefined && !this.stopped) await store.recordError(current.batchId, code)
      if (code === 'INTERNAL') log.error({ err: error, retryIn_ms }, 'anchoring failed')
      else log.warn({ code, reason: (error as Error).message, failures: this.failures, retryIn_ms }, 'anchoring failed; will retry')
      return { sealed, steps, error: code }
    }
  }

  /**
   * Ticks every tickInterval_ms on the clock until pause() or stop(); one tick at a time, the next interval counted from
   * its end. Started again after a pause (this hub leads again), it goes on from what the database says.
   */
  start(): void {
    if (this.stopped || this.stopTicking !== undefined) return
    this.stopTicking = repeat(this.options.clock, () => {
      this.running = this.tick()
        .then(() => undefined, (error: unknown) => this.options.log.error({ err: error }, 'sealing failed'))
        .finally(() => {
          this.running = undefined
        })
      return this.running
    }, this.options.settings.tickInterval_ms, { background: true })
  }

  /**
   * Stops ticking once the tick in progress is done (this hub no longer leads: another one seals and anchors). A
   * transaction sent and not yet confirmed is found again by whichever hub ticks next, from the database.
   */
  async pause(): Promise<void> {
    this.stopTicking?.()
    this.stopTicking = undefined
    await this.running
  }

  /** `unfollow` stops what starts and pauses the service (the lease); stop() calls it first. */
  stopping(unfollow: Cancel): void {
    this.unfollow = unfollow
  }

  /** Resolves once no tick is running (at once when none is). */
  async idle(): Promise<void> {
    await this.running
  }

  /** Lets the tick in progress finish its current step (each RPC call is bounded by rpcTimeout_ms), then stops. */
  async stop(): Promise<void> {
    this.stopped = true
    this.unfollow?.()
    await this.pause()
    this.chain?.close()
    this.chain = undefined
    await this.options.release?.()
  }
}

/** The service over a hub context: the chain from PAYALL_CHAIN_RPC, PAYALL_CHAIN_KEY and PAYALL_ANCHOR_ADDRESS. */
export function createAnchorService(
  context: HubContext,
  settings: AnchorSettings,
  connect: (() => Promise<AnchorChain>) | undefined = chainConnector(context.config, settings, context.log),
  onAnchored?: (batchId: number) => void,
  /** Where the sealer's Merkle roots come from: a worker thread of the service's own unless given. */
  merkleRoot?: MerkleRootOf,
): AnchorService {
  const store = new AnchorStore(context.engine)
  const roots = merkleRoot === undefined ? new MerkleRootWorker() : undefined
  return new AnchorService({
    store,
    sealer: new Sealer(store, context.hubKeys, nodeEd25519, context.clock, settings, merkleRoot ?? roots!.root),
    release: async () => roots?.close(),
    clock: context.clock,
    log: context.log,
    settings,
    connect,
    onAnchored,
  })
}

/**
 * Creates the service and runs it while this hub leads (context.store.leadership): paused when another hub takes the
 * lease, started again when this one gets it back. Settings are ANCHOR_SETTINGS_DEFAULT with `overrides`.
 */
export function startAnchoring(
  context: HubContext, overrides: Partial<AnchorSettings> = {}, onAnchored?: (batchId: number) => void,
): AnchorService {
  const service = createAnchorService(context, anchorSettings(overrides), undefined, onAnchored)
  const stopFollowing = whileLeading(context.store.leadership, () => {
    service.start()
    return () => {
      service.pause().catch((error: unknown) => context.log.error({ err: error }, 'pausing the anchoring failed'))
    }
  })
  service.stopping(stopFollowing)
  return service
}

function chainConnector(
  config: HubConfig,
  settings: AnchorSettings,
  log: FastifyBaseLogger,
): (() => Promise<AnchorChain>) | undefined {
  const { chainRpcUrl, chainKey, anchorAddress } = config
  if (chainRpcUrl === undefined && chainKey === undefined && anchorAddress === undefined) {
    log.info('no chain configured: batches are sealed and wait to be anchored')
    return undefined
  }
  if (chainRpcUrl === undefined || chainKey === undefined || anchorAddress === undefined) {
    const missing = [
      chainRpcUrl === undefined ? 'PAYALL_CHAIN_RPC' : undefined,
      chainKey === undefined ? 'PAYALL_CHAIN_KEY' : undefined,
      anchorAddress === undefined ? 'PAYALL_ANCHOR_ADDRESS (payall-hub deploy-anchor prints one)' : undefined,
    ].filter(name => name !== undefined)
    log.warn({ missing }, 'anchoring needs all three chain settings: batches are sealed and wait to be anchored')
    return undefined
  }
  return () => connectAnchorChain({
    rpcUrl: chainRpcUrl,
    privateKey: chainKey,
    contractAddress: anchorAddress,
    maxFeePerGas_wei: settings.maxFeePerGas_wei,
    gasLimit_max: settings.gasLimit_max,
    rpcTimeout_ms: settings.rpcTimeout_ms,
  })
}
