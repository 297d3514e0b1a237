// What differs between LoRaWAN network servers' MQTT integrations: the uplink topic filter, the
// uplink JSON, and how a downlink is queued. One implementation per server (chirpstack.ts, tts.ts).

import type { LoraUplink } from './uplink'

export const NETWORK_SERVER_FORMATS = ['chirpstack', 'tts'] as const
export type NetworkServerFormatName = (typeof NETWORK_SERVER_FORMATS)[number]

export interface LoraDevice {
  readonly devEui: string
  readonly deviceId: string
}

export interface Downlink {
  readonly topic: string
  readonly payload: string
}

export interface NetworkServerFormat {
  readonly name: NetworkServerFormatName
  /** Every device's uplinks of the configured application. */
  readonly uplinkFilter: string
  /** Throws LoraPathError for anything that is not an uplink of this application. */
  parseUplink(topic: string, payload: Uint8Array): LoraUplink
  downlink(device: LoraDevice, fPort: number, payload: Uint8Array, confirmed: boolean): Downlink
}

/** One MQTT topic level: no wildcard, no separator, not empty. */
export function isTopicLevel(text: string): boolean {
  return text.length > 0 && text.length <= 128 && !/[/+#\u0000]/.test(text)
}
