// Sync with the hub over MQTT (DESIGN "Sync over MQTT"): one mqtt.js connection with a fresh
// signed password per CONNECT and bounded exponential backoff; unacked records go up in signed
// batches at QoS 1, from the first unacked one (so a restart resumes exactly there); the hub's
// acks, RiskConfig and revocation deltas are applied once verified, and a gateway that missed a
// delta asks for a catch-up (the deltas since its serial, or the whole list); online
// authorizations are asked and answered by correlation id.

import mqtt, { type IClientOptions, type MqttClient } from 'mqtt'
import { equalBytes, toHex } from '../protocol/bytes'
import { ProtocolError, assert, codedText, errorText } from '../protocol/errors'
import { transferIdOf, type Authorization } from '../protocol/messages/authorization'
import { chainHeadCodec } from '../protocol/messages/chain-head'
import { MessageType } from '../protocol/codec'
import { ID_BYTES } from '../protocol/messages/fields'
import {
  onlineAuthorizationRequestCodec, onlineAuthorizationResponseCodec,
} from '../protocol/messages/online-authorization'
import { BATCH_RECORDS_MAX, recordBatchCodec } from '../protocol/messages/record-batch'
import { refundRequestCodec, refundResponseCodec } from '../protocol/messages/refund'
import { revocationCatchUpRequestCodec } from '../protocol/messages/revocation-catch-up'
import { transferRecordCodec } from '../protocol/messages/transfer-record'
import type { Ed25519 } from '../protocol/signature/ed25519'
import type { Clock, RandomBytes } from './environment'
import { TerminalError, type TerminalErrorCode } from './errors'
import type { TerminalEmitter } from './events'
import { judgeAck, judgeRevocationDelta, judgeRevocationList, judgeRiskConfig, type Refusal, type Trust } from './hub-messages'
import { makeGatewayPassword } from '../protocol/mqtt-password'
import { gatewayTopic } from '../protocol/topics'
import { ProofKeeper } from './proofs'
import type { OnlineAnswer, OnlineAuthorizer, OnlineRefunder, RefundAnswer } from './payment'
import type { AckApplied, MqttSettings, StoredRecord, TerminalStore } from './store/store'

export const RECONNECT_INITIAL_MS_DEFAULT = 1_000
export const RECONNECT_MAX_MS_DEFAULT = 60_000
export const ACK_TIMEOUT_MS_DEFAULT = 20_000
export const ONLINE_TIMEOUT_MS_DEFAULT = 5_000
export const RETRY_AFTER_ERROR_MS_DEFAULT = 30_000
/** Batches published and not yet acked: bounds memory and what one ack timeout re-sends. */
export const BATCHES_IN_FLIGHT_MAX_DEFAULT = 4
/**
 * Records per batch unless told otherwise: half the protocol's BATCH_RECORDS_MAX. Measured by
 * `npm run bench` (10,000 records, 4 batches in flight): 512 peaks near 81 MB of RSS, over the
 * gateway's 80 MB budget, 256 near 76 MB, for about 0.4 s more to sync them all.
 */
export const BATCH_RECORDS_DEFAULT = 256
export const ONLINE_REQUESTS_MAX = 16
export const KEEPALIVE_S = 30
/** While the link is up and the gateway is behind the hub's revocation serial, it asks for a catch-up this often. */
export const REVOCATION_CATCH_UP_INTERVAL_MS_DEFAULT = 30_000

export interface SyncOptions {
  readonly store: TerminalStore
  readonly events: TerminalEmitter
  readonly clock: Clock
  readonly random: RandomBytes
  readonly ed25519: Ed25519
  readonly reconnectInitialMs?: number
  readonly reconnectMaxMs?: number
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

export interface SyncReport {
  readonly batches: number
  readonly recordsSent: number
  readonly settled: number
  readonly duplicate: number
  readonly rejected: number
  readonly flagged: number
  /** Unacked records left after the round. */
  readonly pendingLeft: number
  readonly error: { readonly code: TerminalErrorCode; readonly message: string } | null
}

/** Delay before reconnect attempt number `failures + 1`: doubling from `initialMs`, never above `maxMs`. */
export function reconnectDelayMs(failures: number, initialMs: number, maxMs: number): number {
  return Math.min(maxMs, initialMs * 2 ** Math.min(Math.max(failures, 0), 30))
}

interface AckWaiter {
  resolve(applied: AckApplied): void
  reject(error: TerminalError): void
}

/** A question to the hub waiting for its answer, which must be about the same payment. */
interface Waiter<Answer> {
  readonly transferId: Uint8Array
  resolve(answer: Answer | 'unreachable'): void
}

export class TerminalSync implements OnlineAuthorizer, OnlineRefunder {
  private readonly store: TerminalStore
  private readonly events: TerminalEmitter
  private readonly clock: Clock
  private readonly ed25519: Ed25519
  private readonly reconnectInitialMs: number
  private readonly reconnectMaxMs: number
  private readonly ackTimeoutMs: number
  private readonly onlineTimeoutMs: number
  private readonly retryAfterErrorMs: number
  private readonly batchesInFlightMax: number
  private readonly batchRecordsMax: number
  private readonly autoSync: boolean
  private readonly eui: string
  private readonly settings: MqttSettings
  private readonly trust: Trust
  /** Proofs travel on topics every hub derives from the EUI (protocol/topics.ts), not on provisioned ones. */
  private readonly proofTopics: { readonly bundles: string; readonly requests: string }
  private readonly proofs: ProofKeeper
  private proofTimer: NodeJS.Timeout | undefined
  /** A gateway's own revocation topics, derived from its EUI like the proof topics. */
  private readonly revocationTopics: { readonly catchUp: string; readonly requests: string }
  private readonly revocationCatchUpIntervalMs: number
  private revocationTimer: NodeJS.Timeout | undefined
  /** The highest revocation serial the hub was heard at (in memory: the retained delta says it again on every connect). */
  private revocationSerialHeard = 0
  /** A catch-up was asked for in this interval: at most one is outstanding. */
  private catchUpAsked = false

  private client: MqttClient | undefined
  private linkUp = false
  private failures = 0
  private stopped = false
  private readonly ackWaiters = new Map<number, AckWaiter>()
  private readonly onlineWaiters = new Map<string, Waiter<OnlineAnswer>>()
  private readonly refundWaiters = new Map<string, Waiter<RefundAnswer>>()
  private rounds: Promise<unknown> = Promise.resolve()
  private queuedRound: Promise<SyncReport> | undefined
  private retryTimer: NodeJS.Timeout | undefined
  private linkWaiters: Array<() => void> = []

  constructor(private readonly options: SyncOptions) {
    this.store = options.store
    this.events = options.events
    this.clock = options.clock
    this.ed25519 = options.ed25519
    this.reconnectInitialMs = options.reconnectInitialMs ?? RECONNECT_INITIAL_MS_DEFAULT
    this.reconnectMaxMs = options.reconnectMaxMs ?? RECONNECT_MAX_MS_DEFAULT
    this.ackTimeoutMs = options.ackTimeoutMs ?? ACK_TIMEOUT_MS_DEFAULT
    this.onlineTimeoutMs = options.onlineTimeoutMs ?? ONLINE_TIMEOUT_MS_DEFAULT
    this.retryAfterErrorMs = options.retryAfterErrorMs ?? RETRY_AFTER_ERROR_MS_DEFAULT
    this.batchesInFlightMax = options.batchesInFlightMax ?? BATCHES_IN_FLIGHT_MAX_DEFAULT
    this.batchRecordsMax = options.batchRecordsMax ?? BATCH_RECORDS_DEFAULT
    this.autoSync = options.autoSync ?? true
    this.revocationCatchUpIntervalMs = options.revocationCatchUpIntervalMs ?? REVOCATION_CATCH_UP_INTERVAL_MS_DEFAULT
    for (const [name, value] of Object.entries({
      reconnectInitialMs: this.reconnectInitialMs, reconnectMaxMs: this.reconnectMaxMs, ackTimeoutMs: this.ackTimeoutMs,
      onlineTimeoutMs: this.onlineTimeoutMs, retryAfterErrorMs: this.retryAfterErrorMs,
      batchesInFlightMax: this.batchesInFlightMax, batchRecordsMax: this.batchRecordsMax,
      revocationCatchUpIntervalMs: this.revocationCatchUpIntervalMs,
    })) {
      if (!Number.isSafeInteger(value) || value <= 0) throw new TerminalError('BAD_ARGUMENT', `${name} must be a positive integer, got ${value}`)
    }
    if (this.batchRecordsMax > BATCH_RECORDS_MAX) {
      throw new TerminalError('BAD_ARGUMENT', `batchRecordsMax is at most ${BATCH_RECORDS_MAX}`)
    }
    if (this.reconnectMaxMs < this.reconnectInitialMs) {
      throw new TerminalError('BAD_ARGUMENT', 'reconnectMaxMs must be at least reconnectInitialMs')
    }
    this.eui = this.store.identity().eui
    const pin = this.store.requireHubPin()
    const settings = this.store.mqttSettings()
    if (settings === undefined) throw new TerminalError('NOT_PROVISIONED', 'no MQTT settings: provision the gateway first')
    this.settings = settings
    this.trust = { hubPublicKey: pin.publicKey, eui: this.eui, ed25519: this.ed25519 }
    this.proofTopics = { bundles: gatewayTopic(this.eui, 'proofs'), requests: gatewayTopic(this.eui, 'proofs/request') }
    this.revocationTopics = {
      catchUp: gatewayTopic(this.eui, 'revocations/catch-up'), requests: gatewayTopic(this.eui, 'revocations/request'),
    }
    this.proofs = new ProofKeeper({
      store: this.store, events: this.events, clock: this.clock, trust: this.trust,
      retentionMs: options.recordRetentionMs, requestIntervalMs: options.proofRequestIntervalMs,
    })
  }

  /** Whether the link to the hub is up now. */
  get online(): boolean {
    return this.linkUp
  }

  /** Connects, and keeps reconnecting with backoff until stop(). */
  start(): void {
    assert(this.client === undefined && !this.stopped, 'a sync starts once')
    const password = (): string => makeGatewayPassword(this.eui, this.store.keys.secretKey, this.clock.nowMs(), this.options.random, this.ed25519)
    const connect = this.options.connect ?? mqtt.connect
    const client = connect(this.settings.url, {
      clientId: this.eui,
      username: this.eui,
      password: password(),
      // The broker keeps the session, so acks sent while the link was down arrive on reconnect.
      clean: false,
      keepalive: KEEPALIVE_S,
      reconnectPeriod: this.reconnectInitialMs,
      reconnectOnConnackError: true,
      connectTimeout: Math.min(30_000, this.reconnectMaxMs),
      // Subscriptions are made on every connect (below), in one place.
      resubscribe: false,
      // mqtt-packet's default is a table of 65,536 prebuilt two-byte buffers (about 9 MB of RSS,
      // measured by `npm run bench`) to save an allocation per packet id: not worth it on a Pi.
      writeCache: false,
    })
    this.client = client
    // Prepended so the delay is set before mqtt.js's own 'close' listener schedules the reconnect.
    client.prependListener('close', () => {
      client.options.reconnectPeriod = this.stopped ? 0 : reconnectDelayMs(this.failures, this.reconnectInitialMs, this.reconnectMaxMs)
      this.failures++
    })
    // A password opens one connection: each reconnect signs a new one.
    client.on('reconnect', () => {
      client.options.password = password()
    })
    client.on('connect', () => {
      this.failures = 0
      void this.onConnect(client)
    })
    client.on('close', () => this.onLinkDown())
    client.on('error', (error: Error & { code?: string | number }) => {
      this.events.emit('sync-error', { code: `MQTT_${String(error.code ?? 'ERROR')}`, message: error.message })
    })
    client.on('message', (topic, payload) => this.onMessage(topic, new Uint8Array(payload)))
  }

  /** Resolves true once the link is up, false if it is not within `timeoutMs`. */
  waitOnline(timeoutMs: number): Promise<boolean> {
    if (this.linkUp) return Promise.resolve(true)
    return new Promise(resolve => {
      const timer = setTimeout(() => {
        this.linkWaiters = this.linkWaiters.filter(waiter => waiter !== wake)
        resolve(false)
      }, timeoutMs)
      const wake = (): void => {
        clearTimeout(timer)
        resolve(true)
      }
      this.linkWaiters.push(wake)
    })
  }

  /** Starts a round soon, without waiting for it (after a payment, on reconnect). */
  kick(): void {
    if (!this.autoSync || this.stopped || !this.linkUp) return
    this.syncNow().catch(() => undefined)
  }

  /**
   * Uploads every record unacked when the round starts and waits for the acks. Rounds run one at a
   * time; a call while one waits to start joins that one.
   */
  syncNow(): Promise<SyncReport> {
    if (this.queuedRound !== undefined) return this.queuedRound
    const round = this.rounds.then(() => {
      this.queuedRound = undefined
      return this.runRound()
    })
    this.queuedRound = round
    this.rounds = round.catch(() => undefined)
    return round
  }

  /** Asks the hub to approve a payment now; 'unreachable' when the link is down or no answer comes in time. */
  async authorize(authorization: Authorization): Promise<OnlineAnswer | 'unreachable'> {
    const correlationId = this.options.random(ID_BYTES)
    const payload = onlineAuthorizationRequestCodec.encode({ correlationId, authorization })
    return this.ask(this.onlineWaiters, toHex(correlationId), transferIdOf(authorization), payload)
  }

  /**
   * Sends a signed RefundRequest (as stored, byte for byte) and waits for the hub's verified
   * answer; 'unreachable' when the link is down or no answer comes in time. The refund may still
   * have been made: the caller keeps it pending and sends the same bytes again.
   */
  async refund(request: Uint8Array): Promise<RefundAnswer | 'unreachable'> {
    const { refundId, transferId } = refundRequestCodec.decode(request)
    return this.ask(this.refundWaiters, toHex(refundId), transferId, request)
  }

  /** Publishes a question on the online request topic and waits for its answer, at most the online timeout. */
  private ask<Answer>(waiters: Map<string, Waiter<Answer>>, key: string, transferId: Uint8Array, payload: Uint8Array): Promise<Answer | 'unreachable'> {
    const client = this.client
    if (client === undefined || !this.linkUp || waiters.size >= ONLINE_REQUESTS_MAX || waiters.has(key)) {
      return Promise.resolve('unreachable')
    }
    const answer = new Promise<Answer | 'unreachable'>(resolve => {
      const timer = setTimeout(() => finish('unreachable'), this.onlineTimeoutMs)
      const finish = (value: Answer | 'unreachable'): void => {
        clearTimeout(timer)
        waiters.delete(key)
        resolve(value)
      }
      waiters.set(key, { transferId, resolve: finish })
    })
    client.publish(this.settings.topics.onlineRequest, Buffer.from(payload), { qos: 1 }, error => {
      if (error !== undefined && error !== null) waiters.get(key)?.resolve('unreachable')
    })
    return answer
  }

  async stop(): Promise<void> {
    if (this.stopped) return
    this.stopped = true
    clearTimeout(this.retryTimer)
    clearInterval(this.proofTimer)
    clearInterval(this.revocationTimer)
    this.failWaiters('SYNC_STOPPED', 'the sync was stopped')
    const client = this.client
    if (client !== undefined) {
      client.options.reconnectPeriod = 0
      await client.endAsync(true)
    }
    await this.rounds
    this.onLinkDown()
  }

  private async onConnect(client: MqttClient): Promise<void> {
    const { topics } = this.settings
    try {
      await client.subscribeAsync([
        topics.acks, topics.config, topics.onlineResponse, topics.revocations, this.proofTopics.bundles, this.revocationTopics.catchUp,
      ], { qos: 1 })
    } catch (error) {
      // A dropped connection reconnects by itself; a refusal by the broker's ACL stays reported.
      this.events.emit('sync-error', { code: 'SUBSCRIBE_REFUSED', message: (error as Error).message })
      return
    }
    if (!client.connected || this.stopped) return
    this.linkUp = true
    const nowMs = this.clock.nowMs()
    this.store.setLink('online', nowMs)
    this.events.emit('link', { online: true, atMs: nowMs })
    const waiters = this.linkWaiters
    this.linkWaiters = []
    for (const wake of waiters) wake()
    this.kick()
    // A gateway that was offline when its batches were anchored catches up; then it keeps asking now and then.
    this.askForProofs(client)
    clearInterval(this.proofTimer)
    this.proofTimer = setInterval(() => this.askForProofs(client), this.proofs.requestIntervalMs)
    this.proofTimer.unref()
    // The retained delta tells where the hub is; a gateway still behind after an interval asks again.
    this.catchUpAsked = false
    clearInterval(this.revocationTimer)
    this.revocationTimer = setInterval(() => {
      this.catchUpAsked = false
      if (this.revocationSerialHeard > this.store.revocations.state().serial) this.askForRevocations()
    }, this.revocationCatchUpIntervalMs)
    this.revocationTimer.unref()
  }

  /** Asks the hub for the revocations missed since the serial held, unless asked already in this interval. */
  private askForRevocations(): void {
    const client = this.client
    if (client === undefined || !this.linkUp || this.stopped || this.catchUpAsked) return
    this.catchUpAsked = true
    const request = revocationCatchUpRequestCodec.encode({ gatewayEui: this.eui, serial: this.store.revocations.state().serial })
    client.publish(this.revocationTopics.requests, Buffer.from(request), { qos: 1 })
  }

  /** Asks the hub for the proofs still missing (bounded), then prunes what is proved and old enough. */
  private askForProofs(client: MqttClient): void {
    if (!this.linkUp || this.stopped) return
    try {
      for (const request of this.proofs.takeRequests()) client.publish(this.proofTopics.requests, Buffer.from(request), { qos: 1 })
      this.proofs.prune()
    } catch (error) {
      this.events.emit('sync-error', { code: 'PROOFS_FAILED', message: (error as Error).message })
    }
  }

  private onLinkDown(): void {
    this.failWaiters('LINK_DOWN', 'the link to the hub went down')
    clearInterval(this.proofTimer)
    clearInterval(this.revocationTimer)
    if (!this.linkUp) return
    this.linkUp = false
    const nowMs = this.clock.nowMs()
    this.store.setLink('offline', nowMs)
    this.events.emit('link', { online: false, atMs: nowMs })
  }

  private failWaiters(code: TerminalErrorCode, message: string): void {
    for (const waiter of [...this.ackWaiters.values()]) waiter.reject(new TerminalError(code, message))
    this.ackWaiters.clear()
    for (const waiter of [...this.onlineWaiters.values()]) waiter.resolve('unreachable')
    for (const waiter of [...this.refundWaiters.values()]) waiter.resolve('unreachable')
  }

  private onMessage(topic: string, payload: Uint8Array): void {
    const { topics } = this.settings
    try {
      if (topic === topics.acks) this.onAck(payload)
      else if (topic === topics.config) this.onRiskConfig(payload)
      else if (topic === topics.revocations || topic === this.revocationTopics.catchUp) this.onRevocations(payload)
      else if (topic === topics.onlineResponse) this.onOnlineResponse(payload)
      else if (topic === this.proofTopics.bundles) this.proofs.onBundle(payload)
    } catch (error) {
      // A message the store could not take stays unapplied; the hub sends acks and lists again.
      this.events.emit('sync-error', { code: 'APPLY_FAILED', message: `${topic}: ${errorText(error)}` })
    }
  }

  private onAck(payload: Uint8Array): void {
    const judged = judgeAck(payload, this.trust)
    if (!judged.accepted) {
      this.events.emit('sync-error', { code: 'ACK_REFUSED', message: `an ack was ignored: ${judged.refusal}` })
      return
    }
    const ack = judged.value
    const applied = this.store.applyAck(ack, this.clock.nowMs())
    this.events.emit('records-acked', { headSeq: ack.headSeq, ...applied })
    const waiter = this.ackWaiters.get(ack.headSeq)
    if (waiter !== undefined) {
      this.ackWaiters.delete(ack.headSeq)
      waiter.resolve(applied)
    }
  }

  private onRiskConfig(payload: Uint8Array): void {
    const judged = judgeRiskConfig(payload, this.trust, this.store.riskConfig()?.serial)
    if (!judged.accepted) {
      // The retained config comes again on every connect: an old one is normal, not an error.
      if (judged.refusal !== 'stale') this.events.emit('sync-error', { code: 'CONFIG_REFUSED', message: `a RiskConfig was ignored: ${judged.refusal}` })
      return
    }
    if (this.store.saveRiskConfig(judged.value, this.clock.nowMs())) this.events.emit('risk-config', { serial: judged.value.serial })
  }

  /** A delta (on the global topic or a catch-up) or a part of the whole list (a catch-up), told apart by type. */
  private onRevocations(payload: Uint8Array): void {
    const held = this.store.revocations.state().serial
    const nowMs = this.clock.nowMs()
    if (payload[0] === MessageType.RevocationList) {
      const judged = judgeRevocationList(payload, this.trust, held)
      if (!judged.accepted) return this.refuseRevocations(judged.refusal)
      this.revocationSerialHeard = Math.max(this.revocationSerialHeard, judged.value.serial)
      if (this.store.revocations.applyListPart(judged.value, nowMs) === 'applied') this.revocationsApplied()
      return
    }
    const judged = judgeRevocationDelta(payload, this.trust, held)
    if (!judged.accepted) return this.refuseRevocations(judged.refusal)
    this.revocationSerialHeard = Math.max(this.revocationSerialHeard, judged.value.serial)
    const applied = this.store.revocations.applyDelta(judged.value, nowMs)
    if (applied === 'applied') this.revocationsApplied()
    else if (applied === 'gap') this.askForRevocations()
  }

  private revocationsApplied(): void {
    const { serial, revoked } = this.store.revocations.state()
    this.events.emit('revocations', { serial, count: revoked })
    if (serial >= this.revocationSerialHeard) this.catchUpAsked = false
  }

  /** A stale delta or part is normal (the retained one comes again on every connect); anything else is reported. */
  private refuseRevocations(refusal: Refusal): void {
    if (refusal !== 'stale') {
      this.events.emit('sync-error', { code: 'REVOCATIONS_REFUSED', message: `a revocation message was ignored: ${refusal}` })
    }
  }

  private onOnlineResponse(payload: Uint8Array): void {
    if (payload[0] === MessageType.RefundResponse) {
      this.onRefundResponse(payload)
      return
    }
    let response
    try {
      response = onlineAuthorizationResponseCodec.decode(payload)
    } catch (error) {
      if (error instanceof ProtocolError) return
      throw error
    }
    if (!onlineAuthorizationResponseCodec.verify(response, this.trust.hubPublicKey, this.ed25519)) {
      this.events.emit('sync-error', { code: 'ONLINE_ANSWER_REFUSED', message: 'an online answer not signed by the pinned hub key was ignored' })
      return
    }
    const waiter = this.onlineWaiters.get(toHex(response.correlationId))
    // An answer about another payment than the one asked under this id is no answer.
    if (waiter === undefined || !equalBytes(waiter.transferId, response.transferId)) return
    waiter.resolve({ approved: response.approved, reason: response.reason })
  }

  private onRefundResponse(payload: Uint8Array): void {
    let response
    try {
      response = refundResponseCodec.decode(payload)
    } catch (error) {
      if (error instanceof ProtocolError) return
      throw error
    }
    if (!refundResponseCodec.verify(response, this.trust.hubPublicKey, this.ed25519)) {
      this.events.emit('sync-error', { code: 'ONLINE_ANSWER_REFUSED', message: 'a refund answer not signed by the pinned hub key was ignored' })
      return
    }
    const waiter = this.refundWaiters.get(toHex(response.refundId))
    if (waiter === undefined || !equalBytes(waiter.transferId, response.transferId)) return
    waiter.resolve({ response, bytes: Uint8Array.from(payload) })
  }

  private async runRound(): Promise<SyncReport> {
    const totals = { batches: 0, recordsSent: 0, settled: 0, duplicate: 0, rejected: 0, flagged: 0 }
    let error: SyncReport['error'] = null
    try {
      await this.upload(totals)
    } catch (caught) {
      if (!(caught instanceof TerminalError)) throw caught
      error = { code: caught.code, message: caught.message }
    }
    const nowMs = this.clock.nowMs()
    this.store.noteSync(nowMs, error === null ? null : codedText(error.code, error.message))
    if (error !== null) {
      this.events.emit('sync-error', error)
      if (this.linkUp && !this.stopped && this.autoSync) {
        clearTimeout(this.retryTimer)
        this.retryTimer = setTimeout(() => this.kick(), this.retryAfterErrorMs)
        this.retryTimer.unref()
      }
    }
    const pendingLeft = this.store.pendingTotals().reduce((sum, line) => sum + line.count, 0)
    return { ...totals, pendingLeft, error }
  }

  /** Publishes batches, at most batchesInFlightMax unacked at once, and applies their acks. */
  private async upload(totals: { batches: number; recordsSent: number; settled: number; duplicate: number; rejected: number; flagged: number }): Promise<void> {
    const client = this.client
    if (client === undefined || !this.linkUp) throw new TerminalError('LINK_DOWN', 'the link to the hub is down')
    // Bounded: what is unacked when the round starts; records added meanwhile go in the next round.
    const lastSeq = this.store.chainHead().gatewaySeq
    const first = this.store.firstPendingSeq()
    if (first === undefined) return
    let afterSeq = first - 1
    const inFlight: Array<Promise<AckApplied>> = []
    for (;;) {
      while (inFlight.length < this.batchesInFlightMax && afterSeq < lastSeq) {
        const run = this.store.pendingRun(afterSeq, Math.min(this.batchRecordsMax, lastSeq - afterSeq)).filter(r => r.gatewaySeq <= lastSeq)
        if (run.length === 0) {
          afterSeq = lastSeq
          break
        }
        inFlight.push(this.publishBatch(client, run))
        totals.batches++
        totals.recordsSent += run.length
        afterSeq = run[run.length - 1]!.gatewaySeq
      }
      const oldest = inFlight.shift()
      if (oldest === undefined) return
      const applied = await oldest
      totals.settled += applied.settled
      totals.duplicate += applied.duplicate
      totals.rejected += applied.rejected
      totals.flagged += applied.flagged
    }
  }

  /** Resolves with what the batch's ack changed; rejects when no ack comes in time or the link drops. */
  private publishBatch(client: MqttClient, run: readonly StoredRecord[]): Promise<AckApplied> {
    const last = run[run.length - 1]!
    const head = chainHeadCodec.sign(
      { gatewayEui: this.eui, gatewaySeq: last.gatewaySeq, headHash: last.recordHash, timeMs: this.clock.nowMs() },
      this.store.keys.secretKey, this.ed25519,
    )
    const batch = recordBatchCodec.encode({
      gatewayEui: this.eui, records: run.map(record => transferRecordCodec.decode(record.record)), head,
    })
    const acked = new Promise<AckApplied>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.ackWaiters.delete(last.gatewaySeq)
        reject(new TerminalError('ACK_TIMEOUT', `no ack for records ${run[0]!.gatewaySeq}..${last.gatewaySeq} within ${this.ackTimeoutMs} ms`))
      }, this.ackTimeoutMs)
      this.ackWaiters.set(last.gatewaySeq, {
        resolve: applied => { clearTimeout(timer); resolve(applied) },
        reject: error => { clearTimeout(timer); reject(error) },
      })
    })
    // Rejections surface where the round awaits this batch; until then they must not go unhandled.
    acked.catch(() => undefined)
    client.publish(this.settings.topics.records, Buffer.from(batch), { qos: 1 }, error => {
      if (error !== undefined && error !== null) return
      this.events.emit('records-forwarded', { fromSeq: run[0]!.gatewaySeq, toSeq: last.gatewaySeq, count: run.length })
    })
    return acked
  }
}
