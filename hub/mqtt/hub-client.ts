// The hub's own MQTT client, for the embedded broker and for an external one (Mosquitto, EMQX)
// alike: a persistent session, QoS 1 acknowledged only once the handler is done, and reconnects
// with bounded exponential backoff, timed on the injected Clock.
//
// Ordering and durability: received messages go into a bounded queue (inbound-queue.ts) handled
// one at a time, each message's handlers awaited before the next, so messages are processed
// strictly in arrival order (hence each gateway's in order). The client sends the PUBACK itself,
// only after the handlers resolved: acked by the hub ⇒ processed. mqtt.js's own `handleMessage`
// hook would ack after a callback too, but it holds back every later packet until then, including
// the PUBACKs of the hub's own publishes, so a handler that awaits a publish (the ack to the
// gateway) would deadlock. When a handler fails, or the queue overflows, nothing more is taken
// from that connection and it is dropped (after the queue drains, for an overflow), so the broker
// redelivers from the first unacknowledged message on, in order, after the reconnect.

import { connect, type IClientOptions, type IPublishPacket, type MqttClient } from 'mqtt'
import { reconnectDelay_ms, systemClock, type Cancel, type Clock } from '../../protocol/clock'
import type { PinnedTlsOptions } from '../../protocol/tls-pin'
import { MqttError, requirePositiveInteger } from './errors'
import { InboundQueue } from './inbound-queue'
import { PendingPublishes } from './pending-publishes'
import { Subscriptions, type MessageHandler } from './subscriptions'
import { sharedSubscriptionFilter } from './topic-filter'

export const RECONNECT_INITIAL_MS_DEFAULT = 1_000
export const RECONNECT_MAX_MS_DEFAULT = 30_000
const CONNECT_TIMEOUT_MS_DEFAULT = 30_000
const HANDLER_WAIT_MS_DEFAULT = 10_000
const CLOSE_TIMEOUT_MS_DEFAULT = 5_000
const PUBLISHES_IN_FLIGHT_MAX_DEFAULT = 10_000
const INBOUND_QUEUE_MESSAGES_MAX_DEFAULT = 1_000
const INBOUND_QUEUE_BYTES_MAX_DEFAULT = 32 * 1024 * 1024
const KEEPALIVE_S_DEFAULT = 30
/**
 * mqtt.js's own reconnect interval, set beyond any backoff (the most a Node timer takes): the hub
 * client reconnects on its Clock first, and this only stands behind it.
 */
const LIBRARY_RECONNECT_PERIOD_MS = 2 ** 31 - 1

export type HubClientEvent =
  | { readonly kind: 'connected'; readonly sessionPresent: boolean }
  | { readonly kind: 'disconnected' }
  | { readonly kind: 'reconnecting'; readonly delay_ms: number }
  | { readonly kind: 'error'; readonly message: string; readonly code: string | number | undefined }
  /** The handler threw: the message stays unacknowledged and the connection is dropped for redelivery. */
  | { readonly kind: 'handler-failed'; readonly topic: string; readonly message: string }
  /** No handler matched within handlerWait_ms: the message is acknowledged and dropped. */
  | { readonly kind: 'message-unrouted'; readonly topic: string }
  /** The inbound queue was full: the connection is cycled once the queue has drained, for redelivery. */
  | { readonly kind: 'inbound-overflow'; readonly queuedMessages: number; readonly queuedBytes: number }

export interface HubClientOptions {
  /** e.g. `mqtt://127.0.0.1:1883`, or PAYALL_MQTT_URL for an external broker. */
  url: string
  /** For an mqtts:// url: the one certificate to accept (the embedded broker's); without it, the system's CAs and the host name. */
  tls?: PinnedTlsOptions
  username: string
  password: string
  /** Stable across restarts: the broker keeps the session, and the QoS 1 messages queued in it, under this id. */
  clientId: string
  /**
   * Subscribe as `$share/<shareGroup>/<filter>` so hub instances split the load (not supported by
   * aedes). The broker then spreads one gateway's messages over the instances, so their order
   * holds only within each instance: settlement must not depend on it.
   */
  shareGroup?: string
  /**
   * The broker forgets the session when the client goes (MQTT clean session): a hub of a cluster, whose messages
   * should go to the hubs still running rather than wait in the session of one that died. False where not given:
   * the broker keeps the session, and what it queued for it, until the same client id is back.
   */
  cleanSession?: boolean
  log?: (event: HubClientEvent) => void
  /** Times the reconnects, the handler wait and the connect and close timeouts: the system's where not given. */
  clock?: Clock
  protocolVersion?: 4 | 5
  keepalive_s?: number
  reconnectInitial_ms?: number
  reconnectMax_ms?: number
  /** How long connectHubClient keeps trying to get its first CONNACK. */
  connectTimeout_ms?: number
  /** How long a received message waits for a subscribe() whose filter matches it (session messages arrive right after CONNACK). */
  handlerWait_ms?: number
  /** How long close() waits for the running handler and for pending publishes. */
  closeTimeout_ms?: number
  publishesInFlightMax?: number
  /**
   * Received messages waiting for their handlers or being handled; MQTT 5 tells the broker this as
   * Receive Maximum. Past it (or past inboundQueueBytesMax) the connection is cycled for redelivery.
   */
  inboundQueueMessagesMax?: number
  inboundQueueBytesMax?: number
}

interface PublishOptions {
  retain?: boolean
  qos?: 0 | 1
}

export interface HubClient {
  readonly clientId: string
  readonly connected: boolean
  /** Registers the handler for `filter` and subscribes at QoS 1; rejects with 'SUBSCRIBE_REFUSED' if the broker grants nothing. */
  subscribe(filter: string, handler: MessageHandler): Promise<void>
  /** Resolves when the broker acknowledged (QoS 1) or the packet was written (QoS 0). */
  publish(topic: string, payload: Uint8Array | string, options?: PublishOptions): Promise<void>
  /** Lets the running handler finish, waits (bounded) for pending publishes, then disconnects; the session stays on the broker. */
  close(): Promise<void>
}

/**
 * Connects, and resolves once the broker accepted the hub (or rejects: refused, no CONNACK in time, or `signal`
 * aborted first, CONNECT_ABORTED, with nothing left open).
 */
export function connectHubClient(options: HubClientOptions, signal?: AbortSignal): Promise<HubClient> {
  return MqttHubClient.connect(options, signal)
}

type Settings = Required<Omit<HubClientOptions, 'shareGroup' | 'log' | 'tls' | 'cleanSession'>> & Pick<HubClientOptions, 'shareGroup' | 'tls' | 'cleanSession'> & {
  log(event: HubClientEvent): void
}

type Stream = MqttClient['stream']

interface Inbound {
  readonly packet: IPublishPacket
  readonly stream: Stream
}

class MqttHubClient implements HubClient {
  private readonly client: MqttClient
  private readonly subscriptions: Subscriptions
  private readonly inbound: InboundQueue<Inbound>
  private readonly publishes: PendingPublishes
  private closing = false
  private closed: Promise<void> | undefined
  // A connection is identified by its network stream (mqtt.js may hand over session messages
  // before it emits 'connect'). Nothing more is taken from a failed or overflowed connection.
  private failedStream: unknown
  private overflowedStream: unknown
  // Backoff: consecutive failures double the delay up to the bound; a connection that handles a
  // message resets it. A connection dropped after a handler failure is a failure too.
  private consecutiveFailures = 0
  private droppedAfterHandlerFailure = false
  private cancelReconnect: Cancel = () => undefined
  private lastAckWritten: Promise<void> = Promise.resolve()

  static async connect(options: HubClientOptions, signal?: AbortSignal): Promise<MqttHubClient> {
    const settings = settingsOf(options)
    if (signal?.aborted === true) throw connectAborted()
    const client = new MqttHubClient(settings)
    await client.firstConnack(signal)
    return client
  }

  private constructor(private readonly settings: Settings) {
    this.client = connect(settings.url, libraryOptions(settings))
    this.subscriptions = new Subscriptions(settings.clock, settings.handlerWait_ms)
    this.inbound = new InboundQueue(settings.inboundQueueMessagesMax, settings.inboundQueueBytesMax, item => this.process(item))
    this.publishes = new PendingPublishes(settings.publishesInFlightMax)
    this.listen()
  }

  get clientId(): string {
    return this.settings.clientId
  }

  get connected(): boolean {
    return this.client.connected
  }

  async subscribe(filter: string, handler: MessageHandler): Promise<void> {
    if (this.closing) throw new MqttError('CLIENT_CLOSED', 'the hub client is closed')
    const subscription = this.subscriptions.add(filter, handler)
    const { shareGroup } = this.settings
    const wireFilter = shareGroup === undefined ? filter : sharedSubscriptionFilter(shareGroup, filter)
    try {
      const granted = await this.client.subscribeAsync(wireFilter, { qos: 1 })
      if (granted.some(grant => (grant.qos & 0x80) !== 0)) throw new Error('granted 0x80')
    } catch (error) {
      this.subscriptions.remove(subscription)
      throw new MqttError('SUBSCRIBE_REFUSED', `the broker refused ${JSON.stringify(wireFilter)}`, { cause: error })
    }
  }

  async publish(topic: string, payload: Uint8Array | string, options: PublishOptions = {}): Promise<void> {
    if (this.closing) throw new MqttError('CLIENT_CLOSED', 'the hub client is closed')
    const qos = options.qos ?? 1
    if (qos !== 0 && qos !== 1) throw new MqttError('INVALID_OPTIONS', `qos must be 0 or 1, got ${String(qos)}`)
    const bytes = typeof payload === 'string' ? Buffer.from(payload, 'utf8') : Buffer.from(payload)
    await this.publishes.track(() => this.client.publishAsync(topic, bytes, { qos, retain: options.retain ?? false }))
  }

  close(): Promise<void> {
    this.closed ??= (async () => {
      this.closing = true
      this.cancelReconnect()
      this.subscriptions.wake()
      const { clock, closeTimeout_ms } = this.settings
      await withinTimeout(clock, this.inbound.drained(), closeTimeout_ms)
      if (this.publishes.size > 0) await withinTimeout(clock, this.publishes.idle(), closeTimeout_ms)
      // A graceful end sends DISCONNECT but first waits for every unacked publish; force past those.
      await this.client.endAsync(!this.client.connected || this.publishes.size > 0)
      // mqtt.js keeps a persistent session's unacked publishes for the next connection and never
      // settles them: their callers are told here, so nothing waits on a closed client forever.
      this.publishes.abandonAll(new MqttError('CLIENT_CLOSED', 'the hub client closed before the broker took this publish'))
    })()
    return this.closed
  }

  private listen(): void {
    const { client } = this
    // Prepended so that it runs before mqtt.js's own 'close' listener.
    client.prependListener('close', () => this.onClose())
    client.on('connect', (connack) => {
      this.cancelReconnect()
      if (!this.droppedAfterHandlerFailure) this.consecutiveFailures = 0
      this.droppedAfterHandlerFailure = false
      this.log({ kind: 'connected', sessionPresent: connack.sessionPresent })
    })
    client.on('offline', () => this.log({ kind: 'disconnected' }))
    // Without an 'error' listener an EventEmitter throws; the client reconnects on its own.
    client.on('error', (error: Error & { code?: string | number }) => {
      this.log({ kind: 'error', message: error.message, code: error.code })
    })
    client.handleMessage = (packet, callback) => {
      this.receive(packet)
      // Any error makes mqtt.js skip its own PUBACK; acknowledge() sends it once the message is handled.
      callback(DEFERRED)
    }
  }

  /** A connection ended: the next attempt is due after the backoff, unless the client is closing. */
  private onClose(): void {
    this.cancelReconnect()
    if (this.closing) {
      // With manualConnect, mqtt.js clears its `disconnecting` flag after end(), and a socket
      // closing later would otherwise reconnect: a period of 0 stops it.
      this.client.options.reconnectPeriod = 0
      return
    }
    const { reconnectInitial_ms, reconnectMax_ms, clock } = this.settings
    const delay_ms = reconnectDelay_ms(this.consecutiveFailures, reconnectInitial_ms, reconnectMax_ms)
    this.consecutiveFailures++
    this.log({ kind: 'reconnecting', delay_ms })
    this.cancelReconnect = clock.setTimer(() => {
      if (!this.closing && !this.client.connected) this.client.connect()
    }, delay_ms)
  }

  private receive(packet: IPublishPacket): void {
    const stream = this.client.stream
    if (this.closing || stream === this.failedStream || stream === this.overflowedStream) return
    const bytes = typeof packet.payload === 'string' ? Buffer.byteLength(packet.payload) : packet.payload.length
    if (this.inbound.offer({ packet, stream }, bytes)) return
    this.log({ kind: 'inbound-overflow', queuedMessages: this.inbound.messages, queuedBytes: this.inbound.bytes })
    this.overflowedStream = stream
    // Everything taken before the overflow is handled and acked first; the rest comes again.
    void this.inbound.drained().then(() => {
      if (this.overflowedStream === this.client.stream && !this.closing) this.cycleConnection(this.client.stream)
    })
  }

  /** Handles one received message: acknowledged once its handlers resolved; on failure, its connection dropped. */
  private async process(item: Inbound): Promise<void> {
    // From a connection that is gone or failed, or the client is closing: the broker redelivers it after the reconnect.
    if (this.closing || item.stream !== this.client.stream || item.stream === this.failedStream) return
    try {
      await this.dispatch(item.packet)
    } catch (error) {
      if (this.closing) return
      this.log({ kind: 'handler-failed', topic: item.packet.topic, message: error instanceof Error ? error.message : String(error) })
      this.failedStream = item.stream
      this.droppedAfterHandlerFailure = true
      this.cycleConnection(item.stream)
      return
    }
    this.consecutiveFailures = 0
    this.acknowledge(item)
  }

  private async dispatch(packet: IPublishPacket): Promise<void> {
    const topic = packet.topic
    const matching = await this.subscriptions.matching(topic, () => this.closing)
    if (matching.length === 0) {
      if (this.closing) throw new MqttError('CLIENT_CLOSED', 'closing before a handler was registered')
      this.log({ kind: 'message-unrouted', topic })
      return
    }
    const payload = Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload)
    for (const subscription of matching) await subscription.handler(topic, payload, packet)
  }

  private acknowledge(item: Inbound): void {
    const { qos, messageId } = item.packet
    if (qos !== 1 || messageId === undefined || item.stream !== this.client.stream || !this.client.connected) return
    // mqtt.js has no public call for a PUBACK; _sendPacket is what its own publish handler uses.
    this.lastAckWritten = new Promise(resolve => this.client['_sendPacket']({ cmd: 'puback', messageId }, () => resolve()))
  }

  /**
   * Closes a connection so that the broker redelivers what it did not get a PUBACK for. The acks
   * already sent are flushed first, and the socket is ended rather than destroyed: a reset could
   * make the broker drop them unread, and it would redeliver messages already handled.
   */
  private cycleConnection(stream: Stream): void {
    void this.lastAckWritten.then(() => {
      if (stream.destroyed) return
      stream.end()
      this.settings.clock.setTimer(() => stream.destroy(), this.settings.closeTimeout_ms, { background: true })
    })
  }

  /** Resolves on the first CONNACK; rejects at once if the broker refuses, or after connectTimeout_ms. */
  private firstConnack(signal: AbortSignal | undefined): Promise<void> {
    const { client } = this
    const { clock, connectTimeout_ms } = this.settings
    return new Promise((resolve, reject) => {
      const fail = (error: MqttError): void => {
        cleanUp()
        this.closing = true
        this.cancelReconnect()
        client.options.reconnectPeriod = 0
        client.end(true)
        reject(error)
      }
      const onConnect = (): void => {
        cleanUp()
        resolve()
      }
      const onError = (error: Error & { code?: unknown }): void => {
        // A CONNACK refusal carries its numeric return code; network errors carry string codes and are retried.
        if (typeof error.code === 'number') {
          fail(new MqttError('CONNECT_REFUSED', `the broker refused the hub (code ${error.code}): ${error.message}`, { cause: error }))
        }
      }
      const onAbort = (): void => fail(connectAborted())
      const cancelTimeout = clock.setTimer(
        () => fail(new MqttError('CONNECT_TIMEOUT', `no CONNACK within ${connectTimeout_ms} ms`)),
        connectTimeout_ms,
      )
      function cleanUp(): void {
        cancelTimeout()
        client.off('connect', onConnect)
        client.off('error', onError)
        signal?.removeEventListener('abort', onAbort)
      }
      signal?.addEventListener('abort', onAbort, { once: true })
      client.on('connect', onConnect)
      client.on('error', onError)
      client.connect()
    })
  }

  private log(event: HubClientEvent): void {
    try {
      this.settings.log(event)
    } catch {
      // Logging is best effort.
    }
  }
}

function connectAborted(): MqttError {
  return new MqttError('CONNECT_ABORTED', 'the connection was given up before the broker accepted it')
}

/** The options with their defaults, checked: INVALID_OPTIONS for any that cannot work. */
function settingsOf(options: HubClientOptions): Settings {
  const settings: Settings = {
    url: options.url,
    tls: options.tls,
    username: options.username,
    password: options.password,
    clientId: options.clientId,
    shareGroup: options.shareGroup,
    cleanSession: options.cleanSession,
    log: options.log ?? (() => undefined),
    clock: options.clock ?? systemClock,
    protocolVersion: options.protocolVersion ?? 4,
    keepalive_s: options.keepalive_s ?? KEEPALIVE_S_DEFAULT,
    reconnectInitial_ms: options.reconnectInitial_ms ?? RECONNECT_INITIAL_MS_DEFAULT,
    reconnectMax_ms: options.reconnectMax_ms ?? RECONNECT_MAX_MS_DEFAULT,
    connectTimeout_ms: options.connectTimeout_ms ?? CONNECT_TIMEOUT_MS_DEFAULT,
    handlerWait_ms: options.handlerWait_ms ?? HANDLER_WAIT_MS_DEFAULT,
    closeTimeout_ms: options.closeTimeout_ms ?? CLOSE_TIMEOUT_MS_DEFAULT,
    publishesInFlightMax: options.publishesInFlightMax ?? PUBLISHES_IN_FLIGHT_MAX_DEFAULT,
    inboundQueueMessagesMax: options.inboundQueueMessagesMax ?? INBOUND_QUEUE_MESSAGES_MAX_DEFAULT,
    inboundQueueBytesMax: options.inboundQueueBytesMax ?? INBOUND_QUEUE_BYTES_MAX_DEFAULT,
  }
  const positive = ['reconnectInitial_ms', 'reconnectMax_ms', 'connectTimeout_ms', 'handlerWait_ms', 'closeTimeout_ms',
    'publishesInFlightMax', 'keepalive_s', 'inboundQueueMessagesMax', 'inboundQueueBytesMax'] as const
  for (const name of positive) requirePositiveInteger(settings[name], name)
  if (settings.reconnectMax_ms < settings.reconnectInitial_ms) {
    throw new MqttError('INVALID_OPTIONS', 'reconnectMax_ms must be at least reconnectInitial_ms')
  }
  if (settings.inboundQueueMessagesMax > 65_535) {
    throw new MqttError('INVALID_OPTIONS', 'inboundQueueMessagesMax is at most 65535, the MQTT packet id space')
  }
  if (typeof options.clientId !== 'string' || options.clientId.length === 0) {
    throw new MqttError('INVALID_OPTIONS', 'the hub needs a stable, non-empty clientId')
  }
  if (options.shareGroup !== undefined) sharedSubscriptionFilter(options.shareGroup, 'validate')
  return settings
}

function libraryOptions(settings: Settings): IClientOptions {
  return {
    ...settings.tls,
    clientId: settings.clientId,
    username: settings.username,
    password: settings.password,
    protocolVersion: settings.protocolVersion,
    // MQTT 5 brokers then never have more unacknowledged messages out to us than the queue holds.
    ...(settings.protocolVersion === 5 ? { properties: { receiveMaximum: settings.inboundQueueMessagesMax } } : {}),
    clean: settings.cleanSession ?? false,
    keepalive: settings.keepalive_s,
    reconnectPeriod: LIBRARY_RECONNECT_PERIOD_MS,
    // Once running, a refused reconnect (broker restarting, overloaded) is retried too.
    reconnectOnConnackError: true,
    // mqtt.js's per-attempt CONNACK wait; connectTimeout_ms bounds all first attempts together.
    connectTimeout: Math.min(settings.connectTimeout_ms, CONNECT_TIMEOUT_MS_DEFAULT),
    resubscribe: true,
    manualConnect: true,
  }
}

function withinTimeout(clock: Clock, promise: Promise<unknown>, timeout_ms: number): Promise<void> {
  return new Promise(resolve => {
    const cancel = clock.setTimer(resolve, timeout_ms)
    const done = (): void => {
      cancel()
      resolve()
    }
    promise.then(done, done)
  })
}

/** Passed to mqtt.js's handleMessage callback so that it does not send the PUBACK itself. */
const DEFERRED = new Error('deferred: the hub client acknowledges once the handlers are done')
