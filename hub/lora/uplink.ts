// An uplink as the hub needs it, whichever network server delivered it, and the defensive
// readers both formats' parsers share: every field is checked for presence and type.

import { fromBase64 } from '../../protocol/bytes'
import { ProtocolError } from '../../protocol/errors'
import { parseEui } from '../../protocol/eui'
import { LoraPathError } from './errors'

export interface LoraUplink {
  /** Canonical EUI-64 of the device: the gateway's EUI (the modem is configured with it). */
  readonly eui: string
  /** The network server's own spelling and name of the device, for downlinks. */
  readonly devEui: string
  readonly deviceId: string
  readonly fPort: number
  readonly fCnt: number
  readonly payload: Uint8Array
  /** Of the best receiving radio gateway, when the network server says. */
  readonly rssi: number | undefined
  readonly snr: number | undefined
}

/** Uplink JSON is small; anything larger is refused unparsed. */
const UPLINK_JSON_BYTES_MAX = 64 * 1024
/** Radio gateways whose metadata is read per uplink. */
const RX_INFO_MAX = 64

export function parseJsonObject(payload: Uint8Array): Record<string, unknown> {
  if (payload.length > UPLINK_JSON_BYTES_MAX) throw new LoraPathError('BAD_JSON', `${payload.length} bytes is over ${UPLINK_JSON_BYTES_MAX}`)
  let value: unknown
  try {
    value = JSON.parse(Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength).toString('utf8'))
  } catch (error) {
    throw new LoraPathError('BAD_JSON', `not JSON: ${(error as Error).message}`)
  }
  if (!isObject(value)) throw new LoraPathError('BAD_JSON', 'the uplink must be a JSON object')
  return value
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

export function objectField(parent: Record<string, unknown>, name: string): Record<string, unknown> {
  const value = parent[name]
  if (!isObject(value)) throw new LoraPathError('BAD_UPLINK', `${name} must be an object`)
  return value
}

export function stringField(parent: Record<string, unknown>, name: string): string {
  const value = parent[name]
  if (typeof value !== 'string' || value === '') throw new LoraPathError('BAD_UPLINK', `${name} must be a non-empty string`)
  return value
}

/** A counter or port: absent means 0, the protobuf JSON default both servers omit. */
export function countField(parent: Record<string, unknown>, name: string, max: number): number {
  const value = parent[name] ?? 0
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > max) {
    throw new LoraPathError('BAD_UPLINK', `${name} must be an integer 0–${max}`)
  }
  return value
}

export function devEuiField(parent: Record<string, unknown>, name: string): { eui: string; devEui: string } {
  const devEui = stringField(parent, name)
  try {
    return { eui: parseEui(devEui), devEui }
  } catch (error) {
    if (error instanceof ProtocolError) throw new LoraPathError('BAD_UPLINK', `${name} is not an EUI-64`)
    throw error
  }
}

/** Base64 payload; absent means empty (an uplink carrying MAC commands only). */
export function base64Field(parent: Record<string, unknown>, name: string): Uint8Array {
  const value = parent[name] ?? ''
  if (typeof value !== 'string') throw new LoraPathError('BAD_UPLINK', `${name} must be base64 text`)
  try {
    return fromBase64(value)
  } catch (error) {
    if (error instanceof ProtocolError) throw new LoraPathError('BAD_UPLINK', `${name} is not base64`)
    throw error
  }
}

/** The strongest reception among the radio gateways' metadata; each entry's fields are optional. */
export function bestReception(parent: Record<string, unknown>, name: string): { rssi: number | undefined; snr: number | undefined } {
  const list = parent[name]
  if (list === undefined) return { rssi: undefined, snr: undefined }
  if (!Array.isArray(list)) throw new LoraPathError('BAD_UPLINK', `${name} must be an array`)
  let best: { rssi: number | undefined; snr: number | undefined } = { rssi: undefined, snr: undefined }
  for (const entry of list.slice(0, RX_INFO_MAX)) {
    if (!isObject(entry)) throw new LoraPathError('BAD_UPLINK', `${name} entries must be objects`)
    const rssi = finiteOrUndefined(entry, 'rssi', name)
    const snr = finiteOrUndefined(entry, 'snr', name)
    if (best.rssi === undefined || (rssi !== undefined && rssi > best.rssi)) best = { rssi, snr }
  }
  return best
}

function finiteOrUndefined(entry: Record<string, unknown>, field: string, list: string): number | undefined {
  const value = entry[field]
  if (value === undefined) return undefined
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new LoraPathError('BAD_UPLINK', `${list}[].${field} must be a number`)
  return value
}
