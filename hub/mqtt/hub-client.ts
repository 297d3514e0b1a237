// The hub's own MQTT client, for the embedded broker and for an external one (Mosquitto, EMQX)
// alike: a persistent session, QoS 1 acknowledged only once the handler is done, and reconnects
// with bounded exponential backoff.
//
// Ordering and durability: received messages go into a bounded queue that one worker drains,
// awaiting each message's handlers before the next, so messages are processed strictly in arrival
// order (hence each gateway's in order). The worker sends the PUBACK itself, only after the
// handlers resolved: acked by the hub ⇒ processed. mqtt.js's own `handleMessage` hook would ack
// after a callback too, but it holds back every later packet until then, including the PUBACKs
// of the hub's own publishes, so a handler that awaits a publish (the ack to the gateway) would
// deadlock. When a handler fails, or the queue overflows, nothing more is taken from that
// connection and it is dropped (after the queue drains, for an overflow), so the broker
// redelivers from the first unacknowledged message on, in order, after the reconnect.

import { connect, type IClientOptions, type IPublishPacket, type MqttClient } from 'mqtt'
import { MqttError } from './errors'
import { sharedSubscriptionFilter, topicMatchesFilter } from './topic-filter'

export const RECONNECT_INITIAL_MS_DEFAULT = 1_000
export const RECONNECT_MAX_MS_DEFAULT = 30_000
export const CONNECT_TIMEOUT_MS_DEFAULT = 30_000
export const HANDLER_WAIT_MS_DEFAULT = 10_000
export const CLOSE_TIMEOUT_MS_DEFAULT = 5_000
export const PUBLISHES_IN_FLIGHT_MAX_DEFAULT = 10_000
export const INBOUND_QUEUE_MESSAGES_MAX_DEFAULT = 1_000
export const INBOUND_QUEUE_BYTES_MAX_DEFAULT = 32 * 1024 * 1024
export const SUBSCRIPTIONS_MAX = 64
export const KEEPALIVE_S_DEFAULT = 30

export type MessageHandler = (topic: string, payload: Buffer, packet: IPublishPacket) => void | Promise<void>

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
  log?: (event: HubClientEvent) => void
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
  /** Received messages waiting for their handlers; MQTT 5 tells the broker this as Receive Maximum. */
  inboundQueueMessagesMax?: number
  inboundQueueBytesMax?: number
}

export interface PublishOptions {
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

interface Subscription {
  readonly filter: string
  readonly handler: MessageHandler
}

export async function connectHubClient(options: HubClientOptions): Promise<HubClient> {
  const reconnectInitial_ms = options.reconnectInitial_ms ?? RECONNECT_INITIAL_MS_DEFAULT
  const reconnectMax_ms = options.reconnectMax_ms ?? RECONNECT_MAX_MS_DEFAULT
  const connectTimeout_ms = options.connectTimeout_ms ?? CONNECT_TIMEOUT_MS_DEFAULT
  const handlerWait_ms = options.handlerWait_ms ?? HANDLER_WAIT_MS_DEFAULT
  const closeTimeout_ms = options.closeTimeout_ms ?? CLOSE_TIMEOUT_MS_DEFAULT
  const publishesInFlightMax = options.publishesInFlightMax ?? PUBLISHES_IN_FLIGHT_MAX_DEFAULT
  const keepalive_s = options.keepalive_s ?? KEEPALIVE_S_DEFAULT
  const inboundQueueMessagesMax = options.inboundQueueMessagesMax ?? INBOUND_QUEUE_MESSAGES_MAX_DEFAULT
  const inboundQueueBytesMax = options.inboundQueueBytesMax ?? INBOUND_QUEUE_BYTES_MAX_DEFAULT
  for (const [name, value] of Object.entries({
    reconnectInitial_ms,
    reconnectMax_ms,
    connectTimeout_ms,
    handlerWait_ms,
    closeTimeout_ms,
    publishesInFlightMax,
    keepalive_s,
    inboundQueueMessagesMax,
    inboundQueueBytesMax,
  })) {
    if (!Number.isSafeInteger(value) || value <= 0) {
      throw new MqttError('INVALID_OPTIONS', `${name} must be a positive integer, got ${value}`)
    }
  }
  if (reconnectMax_ms < reconnectInitial_ms) {
    throw new MqttError('INVALID_OPTIONS', 'reconnectMax_ms must be at least reconnectInitial_ms')
  }
  if (inboundQueueMessagesMax > 65_535) {
    throw new MqttError('INVALID_OPTIONS', 'inboundQueueMessagesMax is at most 65535, the MQTT packet id space')
  }
  if (typeof options.clientId !== 'string' || options.clientId.length === 0) {
    throw new MqttError('INVALID_OPTIONS', 'the hub needs a stable, non-empty clientId')
  }
  if (options.shareGroup !== undefined) sharedSubscriptionFilter(options.shareGroup, 'validate')
  const userLog = options.log ?? noop
  const log = (event: HubClientEvent): void => {
    try {
      userLog(event)
    } catch {
      // Logging is best effort.
    }
  }

  const protocolVersion = options.protocolVersion ?? 4
  const clientOptions: IClientOptions = {
    clientId: options.clientId,
    username: options.username,
    password: options.password,
    protocolVersion,
    // MQTT 5 brokers then never have more unacknowledged messages out to us than the queue holds.
    ...(protocolVersion === 5 ? { properties: { receiveMaximum: inboundQueueMessagesMax } } : {}),
    clean: false,
    keepalive: keepalive_s,
    reconnectPeriod: reconnectInitial_ms,
    // Once running, a refused reconnect (broker restarting, overloaded) is retried too.
    reconnectOnConnackError: true,
    // mqtt.js's per-attempt CONNACK wait; connectTimeout_ms bounds all first attempts together.
    connectTimeout: Math.min(connectTimeout_ms, CONNECT_TIMEOUT_MS_DEFAULT),
    resubscribe: true,
    manualConnect: true,
  }
  const client: MqttClient = connect(options.url, clientOptions)

  const subscriptions: Subscription[] = []
  let handlerWaiters: Array<() => void> = []
  let closing = false
  let closed: Promise<void> | undefined
  let handling: Promise<void> = Promise.resolve()

  // A connection is identified by its network stream (mqtt.js may hand over session messages
  // before it emits 'connect'). Nothing more is taken from a failed or overflowed connection.
  let failedStream: unknown
  let overflowedStream: unknown

  // Backoff: consecutive failures double the delay up to the bound; a connection that handles a
  // message resets it. A connection dropped after a handler failure is a failure too.
  let consecutiveFailures = 0
  let droppedAfterHandlerFailure = false
  // Prepended so the delay is set before mqtt.js's own 'close' listener schedules the reconnect.
  // A period of 0 stops reconnecting once closed: with manualConnect, mqtt.js clears its
  // `disconnecting` flag after end(), and a socket closing later would otherwise reconnect.
  client.prependListener('close', () => {
    if (closing) {
      client.options.reconnectPeriod = 0
      return
    }
    const delay_ms = Math.min(reconnectMax_ms, reconnectInitial_ms * 2 ** Math.min(consecutiveFailures, 30))
    client.options.reconnectPeriod = delay_ms
    consecutiveFailures++
    log({ kind: 'reconnecting', delay_ms })
  })
  client.on('connect', (connack) => {
    if (!droppedAfterHandlerFailure) consecutiveFailures = 0
    droppedAfterHandlerFailure = false
    log({ kind: 'connected', sessionPresent: connack.sessionPresent })
  })
  client.on('offline', () => log({ kind: 'disconnected' }))
  // Without an 'error' listener an EventEmitter throws; mqtt.js reconnects on its own.
  client.on('error', (error: Error & { code?: string | number }) => {
    log({ kind: 'error', message: error.message, code: error.code })
  })

  interface Inbound {
    readonly packet: IPublishPacket
    readonly stream: MqttClient['stream']
    readonly bytes: number
  }
  const inbound: Inbound[] = []
  let inboundBytes = 0
  let draining = false

  client.handleMessage = (packet: IPublishPacket, callback: (error?: Error) => void): void => {
    const stream = client.stream
    const bytes = typeof packet.payload === 'string' ? Buffer.byteLength(packet.payload) : packet.payload.length
    if (!closing && stream !== failedStream && stream !== overflowedStream) {
      if (inbound.length < inboundQueueMessagesMax && inboundBytes + bytes <= inboundQueueBytesMax) {
        inbound.push({ packet, stream, bytes })
        inboundBytes += bytes
        drainInbound()
      } else {
        log({ kind: 'inbound-overflow', queuedMessages: inbound.length, queuedBytes: inboundBytes })
        overflowedStream = stream
      }
    }
    // Any error makes mqtt.js skip its own PUBACK; acknowledge() sends it once the message is handled.
    callback(DEFERRED)
  }

  function drainInbound(): void {
    if (draining) return
    draining = true
    handling = (async () => {
      while (inbound.length > 0 && !closing) {
        const item = inbound.shift()!
        inboundBytes -= item.bytes
        // From a connection that is gone or failed: the broker redelivers it after the reconnect.
        if (item.stream !== client.stream || item.stream === failedStream) continue
        try {
          await dispatch(item.packet)
        } catch (error) {
          if (closing) break
          log({ kind: 'handler-failed', topic: item.packet.topic, message: error instanceof Error ? error.message : String(error) })
          failedStream = item.stream
          droppedAfterHandlerFailure = true
          cycleConnection(item.stream)
          continue
        }
        consecutiveFailures = 0
        acknowledge(item)
      }
      inbound.length = 0
      inboundBytes = 0
      draining = false
      // Everything taken before the overflow is handled and acked; the rest comes again.
      if (overflowedStream === client.stream && !closing) cycleConnection(client.stream)
    })()
  }

  let acksWritten: Promise<void> = Promise.resolve()

  /**
   * Closes a connection so that the broker redelivers what it did not get a PUBACK for. The acks
   * already sent are flushed first, and the socket is ended rather than destroyed: a reset could
   * make the broker drop them unread, and it would redeliver messages already handled.
   */
  function cycleConnection(stream: MqttClient['stream']): void {
    void acksWritten.then(() => {
      if (stream.destroyed) return
      stream.end()
      setTimeout(() => stream.destroy(), closeTimeout_ms).unref()
    })
  }

  function acknowledge(item: Inbound): void {
    const { qos, messageId } = item.packet
    if (qos !== 1 || messageId === undefined || item.stream !== client.stream || !client.connected) return
    // mqtt.js has no public call for a PUBACK; _sendPacket is what its own publish handler uses.
    acksWritten = new Promise((resolve) => client['_sendPacket']({ cmd: 'puback', messageId }, () => resolve()))
  }

  async function dispatch(packet: IPublishPacket): Promise<void> {
    const topic = packet.topic
    const matching = await handlersFor(topic)
    if (matching.length === 0) {
      if (closing) throw new MqttError('CLIENT_CLOSED', 'closing before a handler was registered')
      log({ kind: 'message-unrouted', topic })
      return
    }
    const payload = Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload)
    for (const subscription of matching) await subscription.handler(topic, payload, packet)
  }

  /** The matching subscriptions, waiting up to handlerWait_ms for a subscribe() if there are none yet. */
  async function handlersFor(topic: string): Promise<Subscription[]> {
    const matchingNow = (): Subscription[] =>
      subscriptions.filter((subscription) => topicMatchesFilter(subscription.filter, topic))
    let matching = matchingNow()
    if (matching.length > 0 || closing) return matching
    let timedOut = false
    const timer = setTimeout(() => {
      timedOut = true
      wakeHandlerWaiters()
    }, handlerWait_ms)
    try {
      while (matching.length === 0 && !timedOut && !closing) {
        // One message is dispatched at a time, so at most one waiter is ever queued.
        await new Promise<void>((resolve) => handlerWaiters.push(resolve))
        matching = matchingNow()
      }
    } finally {
      clearTimeout(timer)
    }
    return matching
  }

  function wakeHandlerWaiters(): void {
    const waiters = handlerWaiters
    handlerWaiters = []
    for (const wake of waiters) wake()
  }

  let publishesInFlight = 0
  let publishesIdleWaiters: Array<() => void> = []
  /** Rejects each publish still waiting for its PUBACK, when the client closes. */
  const abandoners = new Set<(error: Error) => void>()

  await firstConnack(client, connectTimeout_ms, () => {
    closing = true
  })

  return {
    clientId: options.clientId,

    get connected(): boolean {
      return client.connected
    },

    async subscribe(filter: string, handler: MessageHandler): Promise<void> {
      if (closing) throw new MqttError('CLIENT_CLOSED', 'the hub client is closed')
      if (typeof filter !== 'string' || filter.length === 0 || typeof handler !== 'function') {
        throw new MqttError('INVALID_OPTIONS', 'subscribe needs a non-empty filter and a handler')
      }
      if (subscriptions.some((subscription) => subscription.filter === filter)) {
        throw new MqttError('INVALID_OPTIONS', `already subscribed to ${JSON.stringify(filter)}`)
      }
      if (subscriptions.length >= SUBSCRIPTIONS_MAX) {
        throw new MqttError('INVALID_OPTIONS', `at most ${SUBSCRIPTIONS_MAX} subscriptions`)
      }
      const subscription: Subscription = { filter, handler }
      subscriptions.push(subscription)
      wakeHandlerWaiters()
      const wireFilter = options.shareGroup === undefined ? filter : sharedSubscriptionFilter(options.shareGroup, filter)
      try {
        const granted = await client.subscribeAsync(wireFilter, { qos: 1 })
        if (granted.some((grant) => (grant.qos & 0x80) !== 0)) throw new Error('granted 0x80')
      } catch (error) {
        subscriptions.splice(subscriptions.indexOf(subscription), 1)
        throw new MqttError('SUBSCRIBE_REFUSED', `the broker refused ${JSON.stringify(wireFilter)}`, { cause: error })
      }
    },

    async publish(topic: string, payload: Uint8Array | string, publishOptions: PublishOptions = {}): Promise<void> {
      if (closing) throw new MqttError('CLIENT_CLOSED', 'the hub client is closed')
      const qos = publishOptions.qos ?? 1
      if (qos !== 0 && qos !== 1) throw new MqttError('INVALID_OPTIONS', `qos must be 0 or 1, got ${String(qos)}`)
      if (publishesInFlight >= publishesInFlightMax) {
        throw new MqttError('PUBLISH_QUEUE_FULL', `${publishesInFlight} publishes are waiting for the broker`)
      }
      publishesInFlight++
      try {
        const bytes = typeof payload === 'string' ? Buffer.from(payload, 'utf8') : Buffer.from(payload)
        await new Promise<void>((resolve, reject) => {
          abandoners.add(reject)
          client.publishAsync(topic, bytes, { qos, retain: publishOptions.retain ?? false })
            .then(() => resolve(), reject)
            .finally(() => abandoners.delete(reject))
        })
      } finally {
        publishesInFlight--
        if (publishesInFlight === 0) {
          const waiters = publishesIdleWaiters
          publishesIdleWaiters = []
          for (const wake of waiters) wake()
        }
      }
    },

    close(): Promise<void> {
      closed ??= (async () => {
        closing = true
        wakeHandlerWaiters()
        await withinTimeout(handling, closeTimeout_ms)
        if (publishesInFlight > 0) {
          await withinTimeout(new Promise<void>((resolve) => publishesIdleWaiters.push(resolve)), closeTimeout_ms)
        }
        // A graceful end sends DISCONNECT but first waits for every unacked publish; force past those.
        await client.endAsync(!client.connected || publishesInFlight > 0)
        // mqtt.js keeps a persistent session's unacked publishes for the next connection and never
        // settles them: their callers are told here, so nothing waits on a closed client forever.
        for (const abandon of [...abandoners]) abandon(new MqttError('CLIENT_CLOSED', 'the hub client closed before the broker took this publish'))
      })()
      return closed
    },
  }
}

/** Resolves on the first CONNACK; rejects at once if the broker refuses, or after connectTimeout_ms. */
function firstConnack(client: MqttClient, connectTimeout_ms: number, stop: () => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const fail = (error: MqttError): void => {
      cleanUp()
      stop()
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
    const timer = setTimeout(
      () => fail(new MqttError('CONNECT_TIMEOUT', `no CONNACK within ${connectTimeout_ms} ms`)),
      connectTimeout_ms,
    )
    function cleanUp(): void {
      clearTimeout(timer)
      client.off('connect', onConnect)
      client.off('error', onError)
    }
    client.on('connect', onConnect)
    client.on('error', onError)
    client.connect()
  })
}

function withinTimeout(promise: Promise<unknown>, timeout_ms: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, timeout_ms)
    promise.then(
      () => {
        clearTimeout(timer)
        resolve()
      },
      () => {
        clearTimeout(timer)
        resolve()
      },
    )
  })
}

/** Passed to mqtt.js's handleMessage callback so that it does not send the PUBACK itself. */
const DEFERRED = new Error('deferred: the hub client acknowledges once the handlers are done')

function noop(): void {}
