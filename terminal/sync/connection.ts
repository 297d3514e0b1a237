// The gateway's one MQTT connection to the hub's broker: an mqtt.js client with a fresh signed
// password per CONNECT, the broker keeping its session, bounded exponential backoff between
// attempts, and its subscriptions made again on every connect. It says when the link is up or
// down (the store, the 'link' event and whoever waits for it) and hands every message on. Each
// CONNECT also sets an MQTT last will, the gateway's signed presence saying offline, retained on its
// status topic; once the link is up it says online there, retained too, so a hub behind any broker
// knows who is connected. Over mqtts the broker must present the certificate pinned at provisioning
// (HUB_CERT_REFUSED otherwise, at every attempt).

import mqtt, { type IClientOptions, type MqttClient } from 'mqtt'
import { reconnectDelay_ms, type Clock, type RandomBytes } from '../../protocol/clock'
import { assert, errorText } from '../../protocol/errors'
import { gatewayPresenceCodec } from '../../protocol/messages/gateway-presence'
import { makeGatewayPassword } from '../../protocol/mqtt-password'
import type { Ed25519 } from '../../protocol/signature/ed25519'
import { gatewayTopic } from '../../protocol/topics'
import { pinnedCertificate, pinnedTlsOptions, type PinnedCertificate } from '../../protocol/tls-pin'
import { hubCertificateRefused } from '../hub-certificate'
import type { TerminalEmitter } from '../events'
import type { TerminalStore } from '../store/store'

const KEEPALIVE_S = 30
const CONNECT_TIMEOUT_MAX_MS = 30_000

export interface HubConnectionOptions {
  readonly url: string
  /** The certificate (PEM) the broker must present, pinned at provisioning; without it, plain MQTT or the system's CAs. */
  readonly certificate?: string
  /** The password an external broker whose logins the hub keeps gave at provisioning; absent: a signed one per CONNECT. */
  readonly password?: string
  readonly store: TerminalStore
  readonly events: TerminalEmitter
  readonly clock: Clock
  readonly random: RandomBytes
  readonly ed25519: Ed25519
  readonly reconnectInitialMs: number
  readonly reconnectMaxMs: number
  /** How long one attempt waits for the CONNACK; reconnectMaxMs (at most 30 s) by default. */
  readonly connectTimeoutMs?: number
  /** Every topic the gateway listens to, subscribed at QoS 1 on each connect. */
  readonly subscriptions: readonly string[]
  readonly connect?: (url: string, options: IClientOptions) => MqttClient
  readonly onMessage: (topic: string, payload: Uint8Array) => void
  /** The link came up: subscribed, and the 'link' event emitted. */
  readonly onUp: () => void
  /** Called on every close, whether or not the link was up. */
  readonly onDown: () => void
}

/**
 * A question on `online/request` (an online authorization, a refund) matters while the payment
 * waits for its answer, and the gateway moves on without one (takes the payment offline, keeps the
 * refund pending). At QoS 1 the session would ask it again after a reconnect, when the gateway has
 * moved on, and the hub would decide it then: a refusal decided then is final, and binds the
 * record the gateway had made in the meantime (found by the fault simulation, seed soak1.45). At
 * QoS 0 a question lost with its connection stays lost, as the gateway already assumes.
 */
function qosOf(topic: string): 0 | 1 {
  return topic.endsWith(ONLINE_REQUEST_SUFFIX) ? 0 : 1
}

const ONLINE_REQUEST_SUFFIX = '/online/request'

export class HubConnection {
  private client: MqttClient | undefined
  private linkUp = false
  private failures = 0
  private stopped = false
  private linkWaiters: Array<() => void> = []
  /** When the current (or next) connection was opened: its presence messages name it. */
  private connectedAt_ms = 0
  private readonly pinned: PinnedCertificate | undefined

  constructor(private readonly options: HubConnectionOptions) {
    this.pinned = options.certificate === undefined ? undefined : pinnedCertificate(options.certificate)
  }

  /** Whether the link to the hub is up now. */
  get online(): boolean {
    return this.linkUp
  }

  /** Connects, and keeps reconnecting with backoff until stop(). */
  start(): void {
    assert(this.client === undefined && !this.stopped, 'a sync starts once')
    const { store, clock, random, ed25519, reconnectInitialMs, reconnectMaxMs } = this.options
    const eui = store.identity().eui
    const given = this.options.password
    const password = (): string => given ?? makeGatewayPassword(eui, store.keys.secretKey, clock.now_ms(), random, ed25519)
    this.connectedAt_ms = clock.now_ms()
    const client = (this.options.connect ?? mqtt.connect)(this.options.url, {
      ...(this.pinned === undefined ? {} : pinnedTlsOptions(this.pinned)),
      clientId: eui,
      username: eui,
      password: password(),
      will: this.lastWill(),
      // The broker keeps the session, so acks sent while the link was down arrive on reconnect.
      clean: false,
      keepalive: KEEPALIVE_S,
      reconnectPeriod: reconnectInitialMs,
      reconnectOnConnackError: true,
      connectTimeout: this.options.connectTimeoutMs ?? Math.min(CONNECT_TIMEOUT_MAX_MS, reconnectMaxMs),
      // Subscriptions are made on every connect (below), in one place.
      resubscribe: false,
      // mqtt-packet's default is a table of 65,536 prebuilt two-byte buffers (about 9 MB of RSS,
      // measured by `npm run bench`) to save an allocation per packet id: not worth it on a Pi.
      writeCache: false,
    })
    this.client = client
    this.listen(client, password)
  }

  /** Resolves true once the link is up, false if it is not within `timeoutMs`. */
  waitOnline(timeout_ms: number): Promise<boolean> {
    if (this.linkUp) return Promise.resolve(true)
    return new Promise(resolve => {
      const cancel = this.options.clock.setTimer(() => {
        this.linkWaiters = this.linkWaiters.filter(waiter => waiter !== wake)
        resolve(false)
      }, timeout_ms)
      const wake = (): void => {
        cancel()
        resolve(true)
      }
      this.linkWaiters.push(wake)
    })
  }

  /**
   * Publishes at QoS 1, questions to the hub at QoS 0; `done` says whether the broker failed to take
   * it. Nothing goes out with the link down.
   */
  publish(topic: string, payload: Uint8Array, done?: (failed: boolean) => void): void {
    const client = this.client
    if (client === undefined || !this.linkUp) {
      done?.(true)
      return
    }
    client.publish(topic, Buffer.from(payload), { qos: qosOf(topic) }, error => done?.(error !== undefined && error !== null))
  }

  /** Closes the connection for good; the link is down when this resolves. */
  async stop(): Promise<void> {
    this.stopped = true
    const client = this.client
    if (client !== undefined) {
      client.options.reconnectPeriod = 0
      await client.endAsync(true)
    }
  }

  /** The link is down for good (after stop()), or for now: says so once, if it was up. */
  down(): void {
    this.options.onDown()
    if (!this.linkUp) return
    this.linkUp = false
    this.changed(false)
  }

  private listen(client: MqttClient, password: () => string): void {
    const { reconnectInitialMs, reconnectMaxMs, events } = this.options
    // Prepended so the delay is set before mqtt.js's own 'close' listener schedules the reconnect.
    client.prependListener('close', () => {
      client.options.reconnectPeriod = this.stopped ? 0 : reconnectDelay_ms(this.failures, reconnectInitialMs, reconnectMaxMs)
      this.failures++
    })
    // A password opens one connection: each reconnect signs a new one, and names the new connection in its will.
    client.on('reconnect', () => {
      client.options.password = password()
      this.connectedAt_ms = this.options.clock.now_ms()
      client.options.will = this.lastWill()
    })
    client.on('connect', () => {
      this.failures = 0
      void this.subscribe(client)
    })
    client.on('close', () => this.down())
    client.on('error', (error: Error & { code?: string | number }) => {
      const refused = hubCertificateRefused(error, `the broker at ${this.options.url}`, this.pinned)
      events.emit('sync-error', refused === undefined
        ? { code: `MQTT_${String(error.code ?? 'ERROR')}`, message: error.message }
        : { code: refused.code, message: refused.message })
    })
    client.on('message', (topic, payload) => this.options.onMessage(topic, new Uint8Array(payload)))
  }

  private async subscribe(client: MqttClient): Promise<void> {
    try {
      await client.subscribeAsync([...this.options.subscriptions], { qos: 1 })
    } catch (error) {
      // A dropped connection reconnects by itself; a refusal by the broker's ACL stays reported.
      this.options.events.emit('sync-error', { code: 'SUBSCRIBE_REFUSED', message: (error as Error).message })
      return
    }
    if (!client.connected || this.stopped) return
    // A connection that drops before the broker took it says online again on the next one.
    client.publish(gatewayTopic(this.eui, 'status'), this.presence(true), { qos: 1, retain: true })
    this.linkUp = true
    this.changed(true)
    const waiters = this.linkWaiters
    this.linkWaiters = []
    for (const wake of waiters) wake()
    this.options.onUp()
  }

  private get eui(): string {
    return this.options.store.identity().eui
  }

  /** What the broker publishes for this gateway when the connection ends without a DISCONNECT, as stop() ends it too. */
  private lastWill(): NonNullable<IClientOptions['will']> {
    return { topic: gatewayTopic(this.eui, 'status'), payload: this.presence(false), qos: 1, retain: true }
  }

  /** The gateway's signed presence for the current connection. */
  private presence(online: boolean): Buffer {
    const { store, ed25519 } = this.options
    const signed = gatewayPresenceCodec.sign({ gatewayEui: this.eui, online, connectedAtMs: this.connectedAt_ms }, store.keys.secretKey, ed25519)
    return Buffer.from(gatewayPresenceCodec.encode(signed))
  }

  /**
   * Notes the link in the store and says so. Called from mqtt.js's events, where a throw would end
   * the process: a store that cannot write (disk full, closed) is reported, and the link still changes.
   */
  private changed(online: boolean): void {
    const now_ms = this.options.clock.now_ms()
    try {
      this.options.store.setLink(online ? 'online' : 'offline', now_ms)
    } catch (error) {
      this.options.events.emit('sync-error', { code: 'LINK_NOT_NOTED', message: `the link state could not be stored: ${errorText(error)}` })
    }
    this.options.events.emit('link', { online, atMs: now_ms })
  }
}
