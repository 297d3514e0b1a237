// What both AT modem drivers share: checking join settings and payloads before anything is
// written, and handing downlinks to listeners that cannot break the driver.

import { LoraError, type LoraDownlink, type LoraJoinSettings } from './modem'
import { LORA_REGIONS } from './modem'

const EUI_HEX = /^[0-9A-Fa-f]{16}$/
const KEY_HEX = /^[0-9A-Fa-f]{32}$/
const LISTENERS_MAX = 32

/** The keys in the upper-case hex both modems take; BAD_SETTINGS before any byte is written. */
export function checkJoinSettings(settings: LoraJoinSettings): { devEui: string; appEui: string; appKey: string } {
  if (typeof settings !== 'object' || settings === null) throw new LoraError('BAD_SETTINGS', 'join settings are required')
  if (!LORA_REGIONS.includes(settings.region)) throw new LoraError('BAD_SETTINGS', `unknown region ${String(settings.region)}`)
  const hex = (value: unknown, pattern: RegExp, field: string, digits: number): string => {
    if (typeof value !== 'string') throw new LoraError('BAD_SETTINGS', `${field} must be ${digits} hex digits`)
    const compact = value.replace(/[-:]/g, '')
    if (!pattern.test(compact)) throw new LoraError('BAD_SETTINGS', `${field} must be ${digits} hex digits`)
    return compact.toUpperCase()
  }
  return {
    devEui: hex(settings.devEui, EUI_HEX, 'devEui', 16),
    appEui: hex(settings.appEui, EUI_HEX, 'appEui', 16),
    appKey: hex(settings.appKey, KEY_HEX, 'appKey', 32),
  }
}

/** Refuses what the modem would refuse, or worse, send: not bytes, empty, larger than the data rate carries. */
export function checkPayload(payload: Uint8Array, max_bytes: number): void {
  if (!(payload instanceof Uint8Array)) throw new LoraError('BAD_PAYLOAD', 'the payload must be bytes')
  if (payload.length === 0) throw new LoraError('BAD_PAYLOAD', 'the payload is empty')
  if (payload.length > max_bytes) {
    throw new LoraError('PAYLOAD_TOO_LARGE', `${payload.length} bytes, the current data rate carries ${max_bytes}`)
  }
}

/** A downlink's bytes, or undefined for what is not an application downlink (port 0, bad hex). */
export function downlinkPayload(port: number, hex: string): Uint8Array | undefined {
  if (!Number.isInteger(port) || port < 1 || port > 223) return undefined
  if (!/^(?:[0-9A-Fa-f]{2})*$/.test(hex)) return undefined
  return new Uint8Array(Buffer.from(hex, 'hex'))
}

export class DownlinkListeners {
  private readonly listeners = new Set<(downlink: LoraDownlink) => void>()

  add(listener: (downlink: LoraDownlink) => void): () => void {
    if (this.listeners.size >= LISTENERS_MAX) throw new LoraError('BAD_SETTINGS', `more than ${LISTENERS_MAX} downlink listeners`)
    this.listeners.add(listener)
    return () => {
      this.listeners.delete(listener)
    }
  }

  emit(downlink: LoraDownlink): void {
    for (const listener of [...this.listeners]) {
      try {
        listener(downlink)
      } catch {
        // A listener's failure is its own; the modem goes on.
      }
    }
  }
}
