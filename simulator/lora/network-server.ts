// A simulated LoRaWAN network server: registered devices join by OTAA, uplinks go out over MQTT as
// ChirpStack v4 or The Things Stack v3 publish them, and downlinks an application publishes are
// queued per device and delivered class A, in the RX window after the device's next uplink.

import { connectAsync, type IClientOptions, type MqttClient } from 'mqtt'
import { fromBase64, toBase64, toHex } from '../../protocol/bytes'
import type { Clock, RandomBytes } from '../../protocol/clock'
import { CodedError } from '../../protocol/errors'
import { MAX_PAYLOAD_BYTES, type LoraRegion } from '../../hardware/lora/modem'
import {
  TTS_PRIORITIES,
  chirpstackCommandDownFilter,
  chirpstackEui,
  chirpstackEventTopic,
  ttsApplicationUser,
  ttsDefaultDeviceId,
  ttsUpstreamTopic,
  type ChirpstackDeviceInfo,
  type ChirpstackJoinEvent,
  type ChirpstackUplinkEvent,
  type LnsFlavour,
  type TtsEndDeviceIds,
  type TtsJoinEvent,
  type TtsUplinkEvent,
} from './lns-messages'
import { loraModulation, uplinkChannel, type JoinAnswer, type JoinRequest, type LoraRadio, type RadioDownlink, type Uplink, type UplinkAnswer } from './radio'

export type LnsErrorCode =
  | 'BAD_OPTIONS'
  | 'BAD_JSON' // a downlink message that is not the JSON the flavour defines
  | 'BAD_DOWNLINK' // well-formed JSON with a bad port, payload or flag
  | 'UNKNOWN_DEVICE'
  | 'QUEUE_FULL'
  | 'DOWNLINK_TOO_LARGE' // more than the device's data rate carries: discarded, as ChirpStack does
  | 'PUBLISH_FAILED'

export class LnsError extends CodedError<LnsErrorCode> {
  override readonly name = 'LnsError'
}

export type LnsEvent =
  | { readonly kind: 'joined'; readonly devEui: string; readonly devAddr: string }
  | { readonly kind: 'join-denied'; readonly devEui: string; readonly reason: 'UNKNOWN_DEVICE' | 'WRONG_KEY' | 'WRONG_REGION' }
  | { readonly kind: 'uplink'; readonly devEui: string; readonly fCnt: number; readonly topic: string }
  | { readonly kind: 'uplink-unheard'; readonly devEui: string }
  | { readonly kind: 'downlink-queued'; readonly devEui: string; readonly port: number; readonly queued: number }
  | { readonly kind: 'downlink-delivered'; readonly devEui: string; readonly port: number }
  | { readonly kind: 'downlink-rejected'; readonly topic: string; readonly error: LnsError }
  | { readonly kind: 'downlink-discarded'; readonly devEui: string; readonly error: LnsError }
  | { readonly kind: 'publish-failed'; readonly topic: string; readonly error: LnsError }

export interface LnsDevice {
  /** 16 hex digits, any case. */
  readonly devEui: string
  /** 32 hex digits. */
  readonly appKey: string
  /** ChirpStack's deviceName and TTS's device_id; TTS's `eui-…` default when absent. */
  readonly name?: string
}

export interface NetworkServerOptions {
  readonly flavour: LnsFlavour
  /** One region for the whole network, as one LNS deployment usually has. */
  readonly region: LoraRegion
  /** ChirpStack: the tenant's UUID; TTS: the tenant id of `{app}@{tenant}` (empty on an open-source TTS). */
  readonly tenantId: string
  /** ChirpStack: the application's UUID; TTS: the application id. */
  readonly applicationId: string
  readonly gatewayId?: string
  readonly clock: Clock
  readonly randomBytes: RandomBytes
  readonly log?: (event: LnsEvent) => void
  readonly downlinkQueueMax?: number
  /** What the gateway hears of the device and the device of the gateway. */
  readonly uplinkSignal?: { readonly rssi: number; readonly snr: number }
  readonly downlinkSignal?: { readonly rssi: number; readonly snr: number }
  /** MQTT QoS of the events; both servers default to 0. */
  readonly qos?: 0 | 1
}

const DOWNLINK_QUEUE_MAX_DEFAULT = 16
/** A downlink message larger than this is not read at all. */
const DOWNLINK_MESSAGE_BYTES_MAX = 16 * 1024
const DOWNLINKS_PER_PUSH_MAX = DOWNLINK_QUEUE_MAX_DEFAULT
const TTS_DEVICE_ID = /^[a-z0-9](?:-?[a-z0-9]){2,35}$/
const HEX_EUI = /^[0-9A-Fa-f]{16}$/
const HEX_KEY = /^[0-9A-Fa-f]{32}$/
const PAYLOAD_BYTES_MAX = 242

interface Session {
  readonly devAddr: string
  fCntUp: number
  readonly sessionKeyId: string
}

interface DeviceState {
  readonly devEui: string
  readonly appKey: string
  readonly name: string
  session: Session | undefined
  dataRate: number
  readonly queue: RadioDownlink[]
}

export class SimulatedNetworkServer implements LoraRadio {
  readonly flavour: LnsFlavour
  private readonly options: NetworkServerOptions
  private readonly devices = new Map<string, DeviceState>()
  private readonly queue_max: number
  private client: MqttClient | undefined

  constructor(options: NetworkServerOptions) {
    if (options.flavour !== 'chirpstack-v4' && options.flavour !== 'tts-v3') {
      throw new LnsError('BAD_OPTIONS', `unknown flavour ${String(options.flavour)}`)
    }
    if (!/^[A-Za-z0-9-]+$/.test(options.applicationId)) throw new LnsError('BAD_OPTIONS', 'applicationId must be letters, digits and -')
    if (options.flavour === 'chirpstack-v4' && !/^[A-Za-z0-9-]+$/.test(options.tenantId)) {
      throw new LnsError('BAD_OPTIONS', 'tenantId must be letters, digits and -')
    }
    if (options.flavour === 'tts-v3' && !/^[a-z0-9-]*$/.test(options.tenantId)) throw new LnsError('BAD_OPTIONS', 'tenantId must be a TTS id')
    this.queue_max = options.downlinkQueueMax ?? DOWNLINK_QUEUE_MAX_DEFAULT
    if (!Number.isSafeInteger(this.queue_max) || this.queue_max < 1) throw new LnsError('BAD_OPTIONS', 'downlinkQueueMax must be a positive integer')
    this.flavour = options.flavour
    this.options = options
  }

  /** `{app}@{tenant}`: TTS's MQTT username and topic prefix. */
  get ttsApplicationUser(): string {
    return ttsApplicationUser(this.options.applicationId, this.options.tenantId)
  }

  register(device: LnsDevice): void {
    if (typeof device.devEui !== 'string' || !HEX_EUI.test(device.devEui)) throw new LnsError('BAD_OPTIONS', 'devEui must be 16 hex digits')
    if (typeof device.appKey !== 'string' || !HEX_KEY.test(device.appKey)) throw new LnsError('BAD_OPTIONS', 'appKey must be 32 hex digits')
    const devEui = device.devEui.toUpperCase()
    const name = device.name ?? ttsDefaultDeviceId(devEui)
    if (!TTS_DEVICE_ID.test(name)) throw new LnsError('BAD_OPTIONS', `device name ${JSON.stringify(name)} is not a lower-case id`)
    for (const other of this.devices.values()) {
      if (other.name === name && other.devEui !== devEui) throw new LnsError('BAD_OPTIONS', `device name ${name} is taken`)
    }
    this.devices.set(devEui, { devEui, appKey: device.appKey.toUpperCase(), name, session: undefined, dataRate: 0, queue: [] })
  }

  /** Connects the MQTT integration and subscribes to the flavour's downlink topics. */
  async connect(url: string, clientOptions: IClientOptions = {}): Promise<void> {
    if (this.client !== undefined) throw new LnsError('BAD_OPTIONS', 'already connected')
    const client = await connectAsync(url, { reconnectPeriod: 100, ...clientOptions })
    client.on('message', (topic, payload) => this.receive(topic, payload))
    const filters =
      this.flavour === 'chirpstack-v4'
        ? [chirpstackCommandDownFilter(this.options.applicationId)]
        : [`v3/${this.ttsApplicationUser}/devices/+/down/push`, `v3/${this.ttsApplicationUser}/devices/+/down/replace`]
    await client.subscribeAsync(filters, { qos: 1 })
    this.client = client
  }

  async close(): Promise<void> {
    const client = this.client
    this.client = undefined
    if (client !== undefined) await client.endAsync()
  }

  /** Downlinks waiting for a device's next uplink. */
  queued(devEui: string): readonly RadioDownlink[] {
    return this.devices.get(devEui.toUpperCase())?.queue ?? []
  }

  join(request: JoinRequest): JoinAnswer {
    const devEui = String(request.devEui).toUpperCase()
    const device = this.devices.get(devEui)
    if (device === undefined) return this.denyJoin(devEui, 'UNKNOWN_DEVICE')
    // A wrong key fails the join request's MIC: the server stays silent, the device hears nothing.
    if (String(request.appKey).toUpperCase() !== device.appKey) return this.denyJoin(devEui, 'WRONG_KEY')
    if (request.region !== this.options.region) return this.denyJoin(devEui, 'WRONG_REGION')
    const devAddr = toHex(this.options.randomBytes(4)).toUpperCase()
    device.session = { devAddr, fCntUp: 0, sessionKeyId: toBase64(this.options.randomBytes(16)) }
    // Both servers flush the device queue on a new session: queued frames were for the old keys.
    device.queue.length = 0
    this.log({ kind: 'joined', devEui, devAddr })
    this.publishJoin(device, device.session)
    return { accepted: true, devAddr }
  }

  uplink(frame: Uplink): UplinkAnswer {
    const device = this.devices.get(String(frame.devEui).toUpperCase())
    if (device?.session === undefined) {
      this.log({ kind: 'uplink-unheard', devEui: String(frame.devEui) })
      return { heard: false, acked: false }
    }
    const session = device.session
    const fCnt = session.fCntUp++
    device.dataRate = frame.dataRate
    const topic = this.publishUplink(device, session, frame, fCnt)
    this.log({ kind: 'uplink', devEui: device.devEui, fCnt, topic })
    const downlink = this.nextDownlink(device)
    return downlink === undefined ? { heard: true, acked: frame.confirmed } : { heard: true, acked: frame.confirmed, downlink }
  }

  private denyJoin(devEui: string, reason: 'UNKNOWN_DEVICE' | 'WRONG_KEY' | 'WRONG_REGION'): JoinAnswer {
    this.log({ kind: 'join-denied', devEui, reason })
    return { accepted: false }
  }

  private nextDownlink(device: DeviceState): RadioDownlink | undefined {
    const fits = this.options.region === 'EU868' ? (MAX_PAYLOAD_BYTES.EU868[device.dataRate] ?? 0) : PAYLOAD_BYTES_MAX
    for (;;) {
      const downlink = device.queue.shift()
      if (downlink === undefined) return undefined
      if (downlink.payload.length <= fits) {
        this.log({ kind: 'downlink-delivered', devEui: device.devEui, port: downlink.port })
        return downlink
      }
      const error = new LnsError('DOWNLINK_TOO_LARGE', `${downlink.payload.length} bytes do not fit DR${device.dataRate} (${fits} bytes)`)
      this.log({ kind: 'downlink-discarded', devEui: device.devEui, error })
    }
  }

  // MQTT in: downlinks -----------------------------------------------------------------------------

  private receive(topic: string, message: Buffer): void {
    try {
      if (message.length > DOWNLINK_MESSAGE_BYTES_MAX) throw new LnsError('BAD_JSON', `message of ${message.length} bytes`)
      let body: unknown
      try {
        body = JSON.parse(message.toString('utf8'))
      } catch {
        throw new LnsError('BAD_JSON', 'not JSON')
      }
      if (this.flavour === 'chirpstack-v4') this.receiveChirpstack(topic, body)
      else this.receiveTts(topic, body)
    } catch (error) {
      const typed = error instanceof LnsError ? error : new LnsError('BAD_DOWNLINK', String(error))
      this.log({ kind: 'downlink-rejected', topic, error: typed })
    }
  }

  private receiveChirpstack(topic: string, body: unknown): void {
    const match = /^application\/([^/]+)\/device\/([^/]+)\/command\/down$/.exec(topic)
    if (match === null || match[1] !== this.options.applicationId) throw new LnsError('BAD_DOWNLINK', `not a command topic: ${topic}`)
    const device = this.deviceByEui(match[2]!)
    if (!isObject(body)) throw new LnsError('BAD_JSON', 'a downlink command is a JSON object')
    if (body.devEui !== undefined && (typeof body.devEui !== 'string' || chirpstackEui(body.devEui) !== chirpstackEui(device.devEui))) {
      throw new LnsError('BAD_DOWNLINK', 'devEui in the body is not the topic device')
    }
    const confirmed = optionalBoolean(body.confirmed, 'confirmed')
    const port = applicationPort(body.fPort, 'fPort')
    const payload = base64Payload(body.data, 'data')
    this.enqueue(device, [{ port, payload, confirmed }], false)
  }

  private receiveTts(topic: string, body: unknown): void {
    const prefix = `v3/${this.ttsApplicationUser}/devices/`
    if (!topic.startsWith(prefix)) throw new LnsError('BAD_DOWNLINK', `not a downlink topic: ${topic}`)
    const [deviceId, ...rest] = topic.slice(prefix.length).split('/')
    const kind = rest.join('/')
    if (kind !== 'down/push' && kind !== 'down/replace') throw new LnsError('BAD_DOWNLINK', `not a downlink topic: ${topic}`)
    const device = [...this.devices.values()].find((candidate) => candidate.name === deviceId)
    if (device === undefined) throw new LnsError('UNKNOWN_DEVICE', `no device ${deviceId}`)
    if (!isObject(body) || !Array.isArray(body.downlinks)) throw new LnsError('BAD_JSON', 'expected {"downlinks": [...]}')
    if (body.downlinks.length > DOWNLINKS_PER_PUSH_MAX) throw new LnsError('QUEUE_FULL', `${body.downlinks.length} downlinks in one message`)
    const items = body.downlinks.map((item: unknown, index: number) => {
      if (!isObject(item)) throw new LnsError('BAD_JSON', `downlinks[${index}] is not an object`)
      if (item.priority !== undefined && !TTS_PRIORITIES.includes(item.priority as never)) {
        throw new LnsError('BAD_DOWNLINK', `downlinks[${index}].priority ${JSON.stringify(item.priority)}`)
      }
      return {
        port: applicationPort(item.f_port, `downlinks[${index}].f_port`),
        payload: base64Payload(item.frm_payload, `downlinks[${index}].frm_payload`),
        confirmed: optionalBoolean(item.confirmed, `downlinks[${index}].confirmed`),
      }
    })
    this.enqueue(device, items, kind === 'down/replace')
  }

  private enqueue(device: DeviceState, items: Array<{ port: number; payload: Uint8Array; confirmed: boolean }>, replace: boolean): void {
    const kept = replace ? 0 : device.queue.length
    if (kept + items.length > this.queue_max) throw new LnsError('QUEUE_FULL', `${device.devEui} already has ${kept} queued (max ${this.queue_max})`)
    if (replace) device.queue.length = 0
    const signal = this.options.downlinkSignal ?? { rssi: -45, snr: 9 }
    for (const item of items) {
      device.queue.push({ ...item, rssi: signal.rssi, snr: signal.snr })
      this.log({ kind: 'downlink-queued', devEui: device.devEui, port: item.port, queued: device.queue.length })
    }
  }

  private deviceByEui(eui: string): DeviceState {
    const device = HEX_EUI.test(eui) ? this.devices.get(eui.toUpperCase()) : undefined
    if (device === undefined) throw new LnsError('UNKNOWN_DEVICE', `no device ${eui}`)
    return device
  }

  // MQTT out: events -------------------------------------------------------------------------------

  private publishJoin(device: DeviceState, session: Session): void {
    const time = this.isoTime()
    if (this.flavour === 'chirpstack-v4') {
      const event: ChirpstackJoinEvent = {
        deduplicationId: this.uuid(),
        time,
        deviceInfo: this.chirpstackDeviceInfo(device),
        devAddr: session.devAddr.toLowerCase(),
      }
      this.publish(chirpstackEventTopic(this.options.applicationId, device.devEui, 'join'), event)
    } else {
      const event: TtsJoinEvent = {
        end_device_ids: this.ttsIds(device, session),
        correlation_ids: [`as:up:${this.correlationId()}`],
        received_at: time,
        join_accept: { session_key_id: session.sessionKeyId, received_at: time },
      }
      this.publish(ttsUpstreamTopic(this.ttsApplicationUser, device.name, 'join'), event)
    }
  }

  private publishUplink(device: DeviceState, session: Session, frame: Uplink, fCnt: number): string {
    const time = this.isoTime()
    const signal = this.options.uplinkSignal ?? { rssi: -60, snr: 8.5 }
    const modulation = loraModulation(this.options.region, frame.dataRate)
    const channel = uplinkChannel(this.options.region, fCnt)
    const gatewayId = this.options.gatewayId ?? '0016c001f153a14c'
    if (this.flavour === 'chirpstack-v4') {
      // Protobuf JSON leaves default values out; so does ChirpStack.
      const event: ChirpstackUplinkEvent = {
        deduplicationId: this.uuid(),
        time,
        deviceInfo: this.chirpstackDeviceInfo(device),
        devAddr: session.devAddr.toLowerCase(),
        ...(frame.dataRate !== 0 ? { dr: frame.dataRate } : {}),
        ...(fCnt !== 0 ? { fCnt } : {}),
        fPort: frame.port,
        ...(frame.confirmed ? { confirmed: true } : {}),
        ...(frame.payload.length > 0 ? { data: toBase64(frame.payload) } : {}),
        rxInfo: [{ gatewayId, rssi: signal.rssi, snr: signal.snr, channel: channel.index, context: toBase64(this.options.randomBytes(4)) }],
        txInfo: {
          frequency: channel.frequency_hz,
          modulation: { lora: { bandwidth: modulation.bandwidth, spreadingFactor: modulation.spreadingFactor, codeRate: 'CR_4_5' } },
        },
      }
      const topic = chirpstackEventTopic(this.options.applicationId, device.devEui, 'up')
      this.publish(topic, event)
      return topic
    }
    const event: TtsUplinkEvent = {
      end_device_ids: this.ttsIds(device, session),
      correlation_ids: [`as:up:${this.correlationId()}`],
      received_at: time,
      uplink_message: {
        session_key_id: session.sessionKeyId,
        f_port: frame.port,
        ...(fCnt !== 0 ? { f_cnt: fCnt } : {}),
        ...(frame.payload.length > 0 ? { frm_payload: toBase64(frame.payload) } : {}),
        rx_metadata: [
          {
            gateway_ids: { gateway_id: `eui-${gatewayId}`, eui: gatewayId.toUpperCase() },
            time,
            rssi: signal.rssi,
            channel_rssi: signal.rssi,
            snr: signal.snr,
            channel_index: channel.index,
          },
        ],
        settings: {
          data_rate: { lora: { bandwidth: modulation.bandwidth, spreading_factor: modulation.spreadingFactor, coding_rate: '4/5' } },
          frequency: String(channel.frequency_hz),
        },
        received_at: time,
        ...(frame.confirmed ? { confirmed: true } : {}),
      },
    }
    const topic = ttsUpstreamTopic(this.ttsApplicationUser, device.name, 'up')
    this.publish(topic, event)
    return topic
  }

  private publish(topic: string, body: object): void {
    const client = this.client
    if (client === undefined) return
    client.publish(topic, JSON.stringify(body), { qos: this.options.qos ?? 0 }, (error) => {
      if (error) this.log({ kind: 'publish-failed', topic, error: new LnsError('PUBLISH_FAILED', error.message, { cause: error }) })
    })
  }

  private chirpstackDeviceInfo(device: DeviceState): ChirpstackDeviceInfo {
    return {
      tenantId: this.options.tenantId,
      tenantName: 'PayAll',
      applicationId: this.options.applicationId,
      applicationName: 'payall-terminals',
      deviceName: device.name,
      devEui: chirpstackEui(device.devEui),
      tags: {},
    }
  }

  private ttsIds(device: DeviceState, session: Session): TtsEndDeviceIds {
    return {
      device_id: device.name,
      application_ids: { application_id: this.options.applicationId },
      dev_eui: device.devEui,
      dev_addr: session.devAddr,
    }
  }

  private isoTime(): string {
    return new Date(this.options.clock.now_ms()).toISOString()
  }

  private uuid(): string {
    const bytes = this.options.randomBytes(16)
    bytes[6] = (bytes[6]! & 0x0f) | 0x40
    bytes[8] = (bytes[8]! & 0x3f) | 0x80
    const hex = toHex(bytes)
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`
  }

  private correlationId(): string {
    return toHex(this.options.randomBytes(13)).toUpperCase()
  }

  private log(event: LnsEvent): void {
    try {
      this.options.log?.(event)
    } catch {
      // A failing logger must not stop the radio.
    }
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function optionalBoolean(value: unknown, field: string): boolean {
  if (value === undefined) return false
  if (typeof value !== 'boolean') throw new LnsError('BAD_DOWNLINK', `${field} must be a boolean`)
  return value
}

function applicationPort(value: unknown, field: string): number {
  if (!Number.isInteger(value) || (value as number) < 1 || (value as number) > 223) {
    throw new LnsError('BAD_DOWNLINK', `${field} must be an integer 1–223, got ${JSON.stringify(value)}`)
  }
  return value as number
}

function base64Payload(value: unknown, field: string): Uint8Array {
  if (typeof value !== 'string') throw new LnsError('BAD_DOWNLINK', `${field} must be a base64 string`)
  let payload: Uint8Array
  try {
    payload = fromBase64(value)
  } catch {
    throw new LnsError('BAD_DOWNLINK', `${field} is not base64`)
  }
  if (payload.length > PAYLOAD_BYTES_MAX) throw new LnsError('BAD_DOWNLINK', `${field} is ${payload.length} bytes (max ${PAYLOAD_BYTES_MAX})`)
  return payload
}
