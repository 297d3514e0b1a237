// EUI-64 identities of gateways. One canonical text form (16 uppercase hex digits) is used
// in topics, records and the ledger; parseEui also accepts the spellings people type.

import { fromHex, toHex } from './bytes'
import { ProtocolError } from './errors'

export const EUI_LENGTH_BYTES = 8

const CANONICAL = /^[0-9A-F]{16}$/
const COMPACT = /^[0-9A-Fa-f]{16}$/
// Eight byte pairs with one separator used throughout: "00-11-…" or "00:11:…", never mixed.
const SEPARATED = /^[0-9A-Fa-f]{2}([-:])[0-9A-Fa-f]{2}(?:\1[0-9A-Fa-f]{2}){6}$/
const SEPARATED_LENGTH_CHARS = 23

/** Parses an EUI-64 in upper or lower case, optionally with '-' or ':' between bytes; returns the canonical form. */
export function parseEui(text: string): string {
  if (typeof text !== 'string') throw new ProtocolError('BAD_EUI', 'an EUI must be a string')
  if (text.length > SEPARATED_LENGTH_CHARS) {
    throw new ProtocolError('BAD_EUI', `an EUI is at most ${SEPARATED_LENGTH_CHARS} characters, got ${text.length}`)
  }
  if (COMPACT.test(text)) return text.toUpperCase()
  if (SEPARATED.test(text)) return text.replace(/[-:]/g, '').toUpperCase()
  throw new ProtocolError('BAD_EUI', `not an EUI-64: ${JSON.stringify(text)}`)
}

/** True only for the canonical form: 16 uppercase hex digits. */
export function isEui(value: unknown): value is string {
  return typeof value === 'string' && CANONICAL.test(value)
}

/** The 8 bytes of an EUI given in any form parseEui accepts. */
export function euiToBytes(eui: string): Uint8Array {
  return fromHex(parseEui(eui), EUI_LENGTH_BYTES)
}

export function euiFromBytes(bytes: Uint8Array): string {
  if (!(bytes instanceof Uint8Array)) throw new ProtocolError('BAD_EUI', 'an EUI must be given as bytes')
  if (bytes.length !== EUI_LENGTH_BYTES) {
    throw new ProtocolError('BAD_EUI', `an EUI is ${EUI_LENGTH_BYTES} bytes, got ${bytes.length}`)
  }
  return toHex(bytes).toUpperCase()
}
