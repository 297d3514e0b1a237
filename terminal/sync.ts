// Sync with the hub over MQTT (DESIGN "Sync over MQTT"), assembled from its parts in terminal/sync/:
// the connection (a fresh signed password per CONNECT, bounded backoff), the uploader (unacked
// records in signed batches at QoS 1, from the first unacked one, so a restart resumes exactly
// there), the questions to the hub (online authorizations and refunds by correlation id, revocation
// catch-ups) and the topic → handler table that applies what the hub sends once it is verified.

import { Reason } from '../protocol/reasons'
import type { IClientOptions, MqttClient } from 'mqtt'
import { repeat, type Cancel, type Clock, type RandomBytes } from '../protocol/clock'
import { equalBytes, toHex } from '../protocol/bytes'
import { transferIdOf, type Authorization } from '../protocol/messages/authorization'
import { ID_BYTES } from '../protocol/messages/fields'
import { onlineAuthorizationRequestCodec, type OnlineAuthorizationResponse } from '../protocol/messages/online-authorization'
import { proofRequestCodec } from '../protocol/messages/proof-bundle'
import { BATCH_RECORDS_MAX } from '../protocol/messages/record-batch'
import type { OnlineVoidResponseBody } from '../protocol/messages/online-void'
import { refundRequestCodec } from '../protocol/messages/refund'
import type { Ed25519 } from '../protocol/signature/ed25519'
import { gatewayTopic, UPDATE_KEY_TOPIC } from '../protocol/topics'
import { TerminalError, type TerminalErrorCode } from './errors'
import type { TerminalEmitter } from './events'
import type { Trust } from './hub-messages'
import type { OnlineAnswer, OnlineAuthorizer, OnlineRefunder, RefundAnswer } from './payment'
import { ProofKeeper } from './proofs'
import type { MqttSettings, TerminalStore } from './store/store'
import { RevocationCatchUp } from './sync/catch-up'
import { HubConnection } from './sync/connection'
import { dispatch, handlerTable, type Handler, type SyncContext } from './sync/handlers'
import { HubRequests } from './sync/requests'
import { Uploader, type SyncReport } from './sync/uploader'
import { OnlineAsks } from './voids'

export type { SyncReport } from './sync/uploader'

const RECONNECT_INITIAL_MS_DEFAULT = 1_000
const RECONNECT_MAX_MS_DEFAULT = 60_000
const ACK_TIMEOUT_MS_DEFAULT = 20_000
const ONLINE_TIMEOUT_MS_DEFAULT = 5_000
const RETRY_AFTER_ERROR_MS_DEFAULT = 30_000
/** Batches published and not yet acked: bounds memory and what one ack timeout re-sends. */
const BATCHES_IN_FLIGHT_MAX_DEFAULT = 4
/**
 * Records per batch unless told otherwise: half the protocol's BATCH_RECORDS_MAX. Measured by
 * `npm run bench` (10,000 records, 4 batches in flight): 512 peaks near 81 MB of RSS, over the
 * gateway's 80 MB budget, 256 near 76 MB, for about 0.4 s more to sync them all.
 */
const BATCH_RECORDS_DEFAULT = 256
/** While the link is up and the gateway is behind the hub's revocation serial, it asks for a catch-up this often. */
const REVOCATION_CATCH_UP_INTERVAL_MS_DEFAULT = 30_000

export interface SyncOptions {
  readonly store: TerminalStore
  readonly events: TerminalEmitter
  readonly clock: Clock
  readonly random: RandomBytes
  readonly ed25519: Ed25519
  readonly reconnectInitialMs?: number
  readonly reconnectMaxMs?: number
  /**
   * How long one connection attempt waits for the broker's answer; the backoff's most (at most 30 s) by default. A
   * simulated fleet reconnects every 200 ms but must give a broker busy with a thousand gateways longer to answer.
   */
  readonly connectTimeoutMs?: number
  readonly ackTimeoutMs?: number
  readonly onlineTimeoutMs?: number
  /** After a round that ended in an error while the link stayed up, the next one starts this much later. */
  readonly retryAfterErrorMs?: number
  readonly batchesInFlightMax?: number
  /** Records per batch, at most BATCH_RECORDS_MAX (default BATCH_RECORDS_DEFAULT). */
  readonly batchRecordsMax?: number
  /** Start a round on every (re)connect and after each kick(). True unless a caller syncs by hand. */
  readonly autoSync?: boolean
  /** How long an acked record whose anchoring proof is kept stays before it is pruned; 0: at once. */
  readonly recordRetentionMs?: number
  /** While the link is up, missing proofs are asked for (and records pruned) this often. */
  readonly proofRequestIntervalMs?: number
  /** While the link is up and revocation deltas are missing, a catch-up is asked for at most once per this interval. */
  readonly revocationCatchUpIntervalMs?: number
  /** mqtt.connect, or a stand-in. */
  readonly connect?: (url: string, options: IClientOptions) => MqttClient
}

/** The positive whole numbers a sync runs by, defaults filled in; BAD_ARGUMENT for any other. */
function timings(options: SyncOptions) {
  const values = {
    reconnectInitialMs: options.reconnectInitialMs ?? RECONNECT_INITIAL_MS_DEFAULT,
    reconnectMaxMs: options.reconnectMaxMs ?? RECONNECT_MAX_MS_DEFAULT,
    ackTimeoutMs: options.ackTimeoutMs ?? ACK_TIMEOUT_MS_DEFAULT,
    onlineTimeoutMs: options.onlineTimeoutMs ?? ONLINE_TIMEOUT_MS_DEFAULT,
    retryAfterErrorMs: options.retryAfterErrorMs ?? RETRY_AFTER_ERROR_MS_DEFAULT,
    batchesInFlightMax: options.batchesInFlightMax ?? BATCHES_IN_FLIGHT_MAX_DEFAULT,
    batchRecordsMax: options.batchRecordsMax ?? BATCH_RECORDS_DEFAULT,
    revocationCatchUpIntervalMs: options.revocationCatchUpIntervalMs ?? REVOCATION_CATCH_UP_INTERVAL_MS_DEFAULT,
  }
  for (const [name, value] of Object.entries(values)) {
    if (!Number.isSafeInteger(value) || value <= 0) throw new TerminalError('BAD_ARGUMENT', `${name} must be a positive integer, got ${value}`)
  }
  if (values.batchRecordsMax > BATCH_RECORDS_MAX) {
    throw new TerminalError('BAD_ARGUMENT', `batchRecordsMax is at most ${BATCH_RECORDS_MAX}`)
  }
  if (options.connectTimeoutMs !== undefined && (!Number.isSafeInteger(options.connectTimeoutMs) || options.connectTimeoutMs <= 0)) {
    throw new TerminalError('BAD_ARGUMENT', `connectTimeoutMs must be a positive integer, got ${options.connectTimeoutMs}`)
  }
  if (values.reconnectMaxMs < values.reconnectInitialMs) {
    throw new TerminalError('BAD_ARGUMENT', 'reconnectMaxMs must be at least reconnectInitialMs')
  }
  return values
}

export class TerminalSync implements OnlineAuthorizer, OnlineRefunder {
  private readonly settings: MqttSettings
  private readonly onlineTimeout_ms: number
  /** Proofs travel on topics every hub derives from the EUI (protocol/topics.ts), not on provisioned ones. */
  private readonly proofRequestsTopic: string
  private readonly connection: HubConnection
  private readonly uploader: Uploader
  private readonly requests: HubRequests
  private readonly catchUp: RevocationCatchUp
  private readonly proofs: ProofKeeper
  private readonly context: SyncContext
  private readonly handlers: ReadonlyMap<string, Handler>
  private readonly asks: OnlineAsks
  private sendingVoids: Promise<void> | undefined
  private stopProofRequests: Cancel = () => undefined
  private stopped = false

  constructor(private readonly options: SyncOptions) {
    const { store, events, clock, ed25519 } = options
    const values = timings(options)
    this.onlineTimeout_ms = values.onlineTimeoutMs
    const eui = store.identity().eui
    const pin = store.requireHubPin()
    const settings = store.mqttSettings()
    if (settings === undefined) throw new TerminalError('NOT_PROVISIONED', 'no MQTT settings: provision the gateway first')
    this.settings = settings
    this.proofRequestsTopic = gatewayTopic(eui, 'proofs/request')
    this.asks = new OnlineAsks(store, ed25519)
    const trust: Trust = { hubPublicKey: pin.publicKey, eui, ed25519 }
    const linkUp = (): boolean => this.connection.online
    const publish = (topic: string, payload: Uint8Array, done: (failed: boolean) => void): void => this.connection.publish(topic, payload, done)
    this.requests = new HubRequests(clock, publish, linkUp)
    this.uploader = new Uploader({
      store, eui, events, clock, ed25519, recordsTopic: settings.topics.records, publish, linkUp, stopped: () => this.stopped,
      ackTimeoutMs: values.ackTimeoutMs, batchesInFlightMax: values.batchesInFlightMax, batchRecordsMax: values.batchRecordsMax,
      retryAfterErrorMs: values.retryAfterErrorMs, autoSync: options.autoSync ?? true,
    })
    this.catchUp = new RevocationCatchUp({
      store, eui, clock, requests: this.requests, topic: gatewayTopic(eui, 'revocations/request'),
      interval_ms: values.revocationCatchUpIntervalMs, active: () => linkUp() && !this.stopped,
    })
    this.proofs = new ProofKeeper({
      store, events, clock, trust, retentionMs: options.recordRetentionMs, requestIntervalMs: options.proofRequestIntervalMs,
    })
    this.context = { store, events, clock, trust, uploader: this.uploader, requests: this.requests, catchUp: this.catchUp, proofs: this.proofs }
    this.handlers = handlerTable({
      ...settings.topics, proofs: gatewayTopic(eui, 'proofs'), revocationsCatchUp: gatewayTopic(eui, 'revocations/catch-up'), updateKey: UPDATE_KEY_TOPIC,
    })
    this.connection = new HubConnection({
      url: settings.url, ...(settings.certificate !== undefined && { certificate: settings.certificate }),
      ...(settings.password !== undefined && { password: settings.password }),
      store, events, clock, random: options.random, ed25519, ...(options.connect !== undefined && { connect: options.connect }),
      reconnectInitialMs: values.reconnectInitialMs, reconnectMaxMs: values.reconnectMaxMs,
      ...(options.connectTimeoutMs !== undefined && { connectTimeoutMs: options.connectTimeoutMs }), subscriptions: [...this.handlers.keys()],
      onMessage: (topic, payload) => dispatch(this.handlers, this.context, topic, payload),
      onUp: () => this.onLinkUp(),
      onDown: () => this.onLinkDown(),
    })
  }

  /** Whether the link to the hub is up now. */
  get online(): boolean {
    return this.connection.online
  }

  /**
   * Connects, and keeps reconnecting with backoff until stop(). An online request a restart left
   * without answer or record (the power went while it waited) is voided first.
   */
  start(): void {
    const voided = this.asks.recover(this.options.clock.now_ms())
    if (voided > 0) this.options.events.emit('sync-error', { code: 'ONLINE_VOIDED_AFTER_RESTART', message: `${voided} online request(s) left unanswered by a restart are voided` })
    this.connection.start()
  }

  /**
   * Sends the voids on file (voids.ts), one at a time, and keeps each answer; one left unanswered
   * stays on file for the next link-up. A call while they are being sent joins that run.
   */
  sendVoids(): Promise<void> {
    this.sendingVoids ??= this.sendPendingVoids().finally(() => {
      this.sendingVoids = undefined
    })
    return this.sendingVoids
  }

  /** Voids on file the hub has not answered yet. */
  pendingVoidCount(): number {
    return this.asks.pendingVoids().length
  }

  private async sendPendingVoids(): Promise<void> {
    try {
      for (const ask of this.asks.pendingVoids()) {
        if (!this.connection.online || this.stopped) return
        const answer = await this.requests.ask<{ response: OnlineVoidResponseBody; bytes: Uint8Array }>({
          kind: 'online-void', key: toHex(ask.transferId), topic: this.settings.topics.onlineRequest, payload: ask.voidRequest!,
          timeout_ms: this.onlineTimeout_ms, accepts: ({ response }) => equalBytes(response.transferId, ask.transferId),
        })
        if (answer === 'unreachable') return
        this.asks.answer(answer.response, answer.bytes, this.options.clock.now_ms())
        const { voided, reason, reversedMinor } = answer.response
        this.options.events.emit('online-void-answered', { transferIdHex: toHex(ask.transferId), voided, reason, reversedMinor })
      }
    } catch (error) {
      this.options.events.emit('sync-error', { code: 'VOID_FAILED', message: (error as Error).message })
    }
  }

  /** Resolves true once the link is up, false if it is not within `timeoutMs`. */
  waitOnline(timeout_ms: number): Promise<boolean> {
    return this.connection.waitOnline(timeout_ms)
  }

  /** Starts a round soon, without waiting for it (after a payment, on reconnect). */
  kick(): void {
    this.uploader.kick()
  }

  /**
   * Uploads every record unacked when the round starts and waits for the acks. Rounds run one at a
   * time; a call while one waits to start joins that one.
   */
  syncNow(): Promise<SyncReport> {
    return this.uploader.syncNow()
  }

  /**
   * Asks the hub to approve a payment now; 'unreachable' when the link is down, no answer comes in
   * time, or the hub answers that it could not decide (HubUnavailable: a fault of its own, or too busy).
   */
  async authorize(authorization: Authorization): Promise<OnlineAnswer | 'unreachable'> {
    const correlationId = this.options.random(ID_BYTES)
    const transferId = transferIdOf(authorization)
    const answer = await this.requests.ask<OnlineAuthorizationResponse>({
      kind: 'online-authorization', key: toHex(correlationId), topic: this.settings.topics.onlineRequest,
      payload: onlineAuthorizationRequestCodec.encode({ correlationId, authorization }), timeout_ms: this.onlineTimeout_ms,
      // An answer about another payment than the one asked under this id is no answer.
      accepts: response => equalBytes(response.transferId, transferId),
    })
    if (answer === 'unreachable' || (!answer.approved && answer.reason === Reason.HubUnavailable)) return 'unreachable'
    return { approved: answer.approved, reason: answer.reason }
  }

  /**
   * Sends a signed RefundRequest (as stored, byte for byte) and waits for the hub's verified
   * answer; 'unreachable' when the link is down or no answer comes in time. The refund may still
   * have been made: the caller keeps it pending and sends the same bytes again.
   */
  async refund(request: Uint8Array): Promise<RefundAnswer | 'unreachable'> {
    const { refundId, transferId } = refundRequestCodec.decode(request)
    return this.requests.ask<RefundAnswer>({
      kind: 'refund', key: toHex(refundId), topic: this.settings.topics.onlineRequest, payload: request,
      timeout_ms: this.onlineTimeout_ms, accepts: answer => equalBytes(answer.response.transferId, transferId),
    })
  }

  async stop(): Promise<void> {
    if (this.stopped) return
    this.stopped = true
    this.uploader.stop()
    this.stopWhileUp()
    this.failWaiters('SYNC_STOPPED', 'the sync was stopped')
    await this.connection.stop()
    await this.uploader.idle()
    this.connection.down()
  }

  private onLinkUp(): void {
    this.uploader.kick()
    void this.sendVoids()
    // A gateway that was offline when its batches were anchored catches up at once, even on proofs it asked for
    // just before the link went (the answer may have been lost with it); then it keeps asking now and then.
    this.askForProofs(true)
    this.stopProofRequests()
    this.stopProofRequests = repeat(this.options.clock, () => {
      this.askForProofs()
    }, this.proofs.requestInterval_ms, { background: true })
    // The retained delta tells where the hub is; a gateway still behind after an interval asks again.
    this.catchUp.linkUp()
  }

  private onLinkDown(): void {
    this.failWaiters('LINK_DOWN', 'the link to the hub went down')
    this.stopWhileUp()
  }

  /** Stops what runs only while the link is up. */
  private stopWhileUp(): void {
    this.stopProofRequests()
    this.catchUp.stop()
  }

  private failWaiters(code: TerminalErrorCode, message: string): void {
    this.uploader.failWaiters(code, message)
    this.requests.failAll()
  }

  /**
   * Asks the hub for every proof still missing (bounded) and waits up to `timeout_ms` for its answers, as
   * `payall-terminal sync` does before it disconnects. How many transfers were asked about.
   */
  async proofsNow(timeout_ms: number): Promise<number> {
    const requests = this.askForProofs(true)
    const asked = requests.reduce((count, request) => count + proofRequestCodec.decode(request).transferIds.length, 0)
    if (asked === 0) return 0
    let cancel: Cancel = () => undefined
    await Promise.race([
      this.proofs.answersTo(requests),
      new Promise<void>(resolve => {
        cancel = this.options.clock.setTimer(resolve, timeout_ms)
      }),
    ])
    cancel()
    return asked
  }

  /** Asks the hub for the proofs still missing (bounded), then prunes what is proved and old enough; the requests sent. */
  private askForProofs(everything = false): Uint8Array[] {
    if (!this.connection.online || this.stopped) return []
    try {
      const requests = this.proofs.takeRequests(everything)
      for (const request of requests) this.connection.publish(this.proofRequestsTopic, request)
      this.proofs.prune()
      return requests
    } catch (error) {
      this.options.events.emit('sync-error', { code: 'PROOFS_FAILED', message: (error as Error).message })
      return []
    }
  }
}
