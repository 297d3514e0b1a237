// The MQTT topics and JSON bodies of the two LoRaWAN network servers PayAll's hub listens to:
// ChirpStack v4's MQTT integration and The Things Stack v3's MQTT server. The simulated network
// server publishes exactly these; the hub's integration is tested against the same types.

export type LnsFlavour = 'chirpstack-v4' | 'tts-v3'

// ChirpStack v4 ----------------------------------------------------------------------------------

export type ChirpstackEventKind = 'up' | 'join' | 'ack' | 'txack' | 'status' | 'log' | 'location'

/** ChirpStack writes EUIs in topics and JSON as 16 lower-case hex digits. */
export function chirpstackEui(eui: string): string {
  return eui.replace(/[-:]/g, '').toLowerCase()
}

export function chirpstackEventTopic(applicationId: string, devEui: string, event: ChirpstackEventKind): string {
  return `application/${applicationId}/device/${chirpstackEui(devEui)}/event/${event}`
}

export function chirpstackCommandDownTopic(applicationId: string, devEui: string): string {
  return `application/${applicationId}/device/${chirpstackEui(devEui)}/command/down`
}

/** Every device's uplinks in one application (what a hub subscribes to). */
export function chirpstackUplinkFilter(applicationId: string): string {
  return `application/${applicationId}/device/+/event/up`
}

export function chirpstackCommandDownFilter(applicationId: string): string {
  return `application/${applicationId}/device/+/command/down`
}

export interface ChirpstackDeviceInfo {
  tenantId: string
  tenantName?: string
  applicationId: string
  applicationName?: string
  deviceProfileId?: string
  deviceProfileName?: string
  deviceName: string
  devEui: string
  tags?: Record<string, string>
}

interface ChirpstackRxInfo {
  gatewayId: string
  uplinkId?: number
  rssi?: number
  snr?: number
  channel?: number
  context?: string
}

interface ChirpstackTxInfo {
  frequency: number
  modulation: { lora: { bandwidth: number; spreadingFactor: number; codeRate: string } }
}

/**
 * `application/{applicationId}/device/{devEui}/event/up`. ChirpStack marshals protobuf to JSON
 * and leaves out fields at their default value (fCnt 0, dr 0, confirmed false, no data): a reader
 * must treat them as optional.
 */
export interface ChirpstackUplinkEvent {
  deduplicationId: string
  time: string
  deviceInfo: ChirpstackDeviceInfo
  devAddr: string
  adr?: boolean
  dr?: number
  fCnt?: number
  fPort?: number
  confirmed?: boolean
  /** Base64 FRMPayload. */
  data?: string
  rxInfo: ChirpstackRxInfo[]
  txInfo: ChirpstackTxInfo
}

/** `application/{applicationId}/device/{devEui}/event/join`. */
export interface ChirpstackJoinEvent {
  deduplicationId: string
  time: string
  deviceInfo: ChirpstackDeviceInfo
  devAddr: string
}

// The Things Stack v3 ----------------------------------------------------------------------------

/** TTS application ids on a multi-tenant deployment are `{app}@{tenant}`; on open source, `{app}` alone. */
export function ttsApplicationUser(applicationId: string, tenantId: string | undefined): string {
  return tenantId === undefined || tenantId === '' ? applicationId : `${applicationId}@${tenantId}`
}

export type TtsUpstreamKind = 'up' | 'join' | 'down/queued' | 'down/sent' | 'down/ack' | 'down/nack' | 'down/failed'

export function ttsUpstreamTopic(applicationUser: string, deviceId: string, kind: TtsUpstreamKind): string {
  return `v3/${applicationUser}/devices/${deviceId}/${kind}`
}

export function ttsUplinkFilter(applicationUser: string): string {
  return `v3/${applicationUser}/devices/+/up`
}

export type TtsDownstreamKind = 'down/push' | 'down/replace'

export function ttsDownstreamTopic(applicationUser: string, deviceId: string, kind: TtsDownstreamKind = 'down/push'): string {
  return `v3/${applicationUser}/devices/${deviceId}/${kind}`
}

/** TTS's default device id for a device registered by EUI. */
export function ttsDefaultDeviceId(devEui: string): string {
  return `eui-${devEui.replace(/[-:]/g, '').toLowerCase()}`
}

export interface TtsEndDeviceIds {
  device_id: string
  application_ids: { application_id: string }
  /** 16 upper-case hex digits. */
  dev_eui: string
  join_eui?: string
  dev_addr?: string
}

interface TtsRxMetadata {
  gateway_ids: { gateway_id: string; eui?: string }
  time?: string
  timestamp?: number
  rssi?: number
  channel_rssi?: number
  snr?: number
  channel_index?: number
}

interface TtsTxSettings {
  data_rate: { lora: { bandwidth: number; spreading_factor: number; coding_rate?: string } }
  /** A decimal string, as TTS marshals uint64. */
  frequency: string
  timestamp?: number
}

/** `v3/{app}@{tenant}/devices/{id}/up`; like ChirpStack, zero-valued fields (f_cnt 0, …) may be absent. */
export interface TtsUplinkEvent {
  end_device_ids: TtsEndDeviceIds
  correlation_ids: string[]
  received_at: string
  uplink_message: {
    session_key_id?: string
    f_port?: number
    f_cnt?: number
    /** Base64 FRMPayload. */
    frm_payload?: string
    rx_metadata: TtsRxMetadata[]
    settings: TtsTxSettings
    received_at: string
    confirmed?: boolean
  }
}

/** `v3/{app}@{tenant}/devices/{id}/join`. */
export interface TtsJoinEvent {
  end_device_ids: TtsEndDeviceIds
  correlation_ids: string[]
  received_at: string
  join_accept: { session_key_id: string; received_at: string }
}

export type TtsPriority = 'LOWEST' | 'LOW' | 'BELOW_NORMAL' | 'NORMAL' | 'ABOVE_NORMAL' | 'HIGH' | 'HIGHEST'
export const TTS_PRIORITIES: readonly TtsPriority[] = ['LOWEST', 'LOW', 'BELOW_NORMAL', 'NORMAL', 'ABOVE_NORMAL', 'HIGH', 'HIGHEST']

