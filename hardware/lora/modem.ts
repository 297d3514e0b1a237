// One interface for the LoRaWAN AT modems (RAK3172 RUI3, Microchip RN2483): join, send within
// what the current data rate carries, hear downlinks. Drivers take an open port, never a path.

import { CodedError } from '../../protocol/errors'

export type LoraErrorCode =
  | 'NO_ANSWER' // the modem did not answer in time
  | 'BAD_REPLY' // a reply the driver cannot read
  | 'REFUSED' // the modem answered a command with an error (AT_*_ERROR, invalid_param, …)
  | 'BUSY'
  | 'NOT_JOINED'
  | 'JOIN_FAILED'
  | 'SEND_FAILED' // a confirmed uplink got no confirmation, or mac_err
  | 'PAYLOAD_TOO_LARGE'
  | 'BAD_PAYLOAD' // not bytes, or empty
  | 'BAD_PORT'
  | 'BAD_SETTINGS' // keys, region or data rate the driver will not send to the modem
  | 'CLOSED'

export class LoraError extends CodedError<LoraErrorCode> {
  override readonly name = 'LoraError'
}

export type LoraRegion = 'EU868' | 'US915'
export const LORA_REGIONS: readonly LoraRegion[] = ['EU868', 'US915']

/**
 * Largest application payload per uplink data rate (LoRa Alliance RP002-1.0.1), without MAC
 * commands in FOpts: EU868 DR6 is SF7/250 kHz and DR7 FSK; US915 DR4 is SF8/500 kHz.
 */
export const MAX_PAYLOAD_BYTES: Readonly<Record<LoraRegion, readonly number[]>> = Object.freeze({
  EU868: Object.freeze([51, 51, 51, 115, 242, 242, 242, 242]),
  US915: Object.freeze([11, 53, 125, 242, 242]),
})

export function maxPayloadBytes(region: LoraRegion, dataRate: number): number {
  const table = MAX_PAYLOAD_BYTES[region]
  const bytes = table[dataRate]
  if (!Number.isInteger(dataRate) || bytes === undefined) {
    throw new LoraError('BAD_SETTINGS', `${region} has no data rate DR${dataRate} (DR0–DR${table.length - 1})`)
  }
  return bytes
}

/** Application ports 1–223 (0 is MAC commands, 224 and up are reserved). */
export function assertApplicationPort(port: number): void {
  if (!Number.isInteger(port) || port < 1 || port > 223) throw new LoraError('BAD_PORT', `port ${port} is not 1–223`)
}

export interface LoraDownlink {
  readonly port: number
  readonly payload: Uint8Array
  readonly rssi?: number
  readonly snr?: number
}

export interface LoraJoinSettings {
  readonly region: LoraRegion
  /** EUI-64s and the AppKey as hex. */
  readonly devEui: string
  readonly appEui: string
  readonly appKey: string
}

export interface LoraModem {
  readonly model: 'rak3172' | 'rn2483'
  /** The firmware's own version line. */
  version(): Promise<string>
  /** Configures region and keys, then joins by OTAA; throws LoraError JOIN_FAILED when the network refuses. */
  join(settings: LoraJoinSettings): Promise<void>
  readonly joined: boolean
  /** What one uplink may carry at the current data rate. */
  maxPayloadBytes(): number
  /** One uplink; refuses (PAYLOAD_TOO_LARGE) before writing anything when the payload does not fit. */
  send(port: number, payload: Uint8Array, options?: { readonly confirmed?: boolean }): Promise<void>
  /** Downlinks as they arrive (class A: after an uplink); returns the unsubscribe. */
  onDownlink(listener: (downlink: LoraDownlink) => void): () => void
  close(): Promise<void>
}
