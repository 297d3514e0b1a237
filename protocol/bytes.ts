// Small byte helpers shared by every encoder: hex, concatenation, comparison, hashing.

import { createHash, hash } from 'node:crypto'
import { ProtocolError } from './errors'

const HEX = /^(?:[0-9a-fA-F]{2})*$/

export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex')
}

/** Parses even-length hex (an optional 0x prefix allowed); `length` pins the byte count. */
export function fromHex(text: string, length?: number): Uint8Array {
  if (typeof text !== 'string') throw new ProtocolError('BAD_VALUE', 'hex must be a string')
  const body = text.startsWith('0x') || text.startsWith('0X') ? text.slice(2) : text
  if (!HEX.test(body)) throw new ProtocolError('BAD_VALUE', `not hex: ${JSON.stringify(text.slice(0, 80))}`)
  const bytes = new Uint8Array(Buffer.from(body, 'hex'))
  if (length !== undefined && bytes.length !== length) {
    throw new ProtocolError('BAD_LENGTH', `expected ${length} bytes of hex, got ${bytes.length}`)
  }
  return bytes
}

export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  let length = 0
  for (const part of parts) length += part.length
  const out = new Uint8Array(length)
  let offset = 0
  for (const part of parts) {
    out.set(part, offset)
    offset += part.length
  }
  return out
}

export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

/** Lexicographic order of two byte strings (-1, 0, 1). */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length)
  for (let i = 0; i < n; i++) {
    if (a[i] !== b[i]) return a[i]! < b[i]! ? -1 : 1
  }
  return a.length === b.length ? 0 : a.length < b.length ? -1 : 1
}

export function sha256(...parts: Uint8Array[]): Uint8Array {
  // One part (the common case: a transfer id per record) takes the one-shot crypto.hash, without a Hash object.
  if (parts.length === 1) return new Uint8Array(hash('sha256', parts[0]!, 'buffer'))
  const state = createHash('sha256')
  for (const part of parts) state.update(part)
  return new Uint8Array(state.digest())
}

export function toBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64')
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/

export function fromBase64(text: string): Uint8Array {
  if (typeof text !== 'string' || text.length % 4 !== 0 || !BASE64.test(text)) {
    throw new ProtocolError('BAD_VALUE', 'not canonical base64')
  }
  return new Uint8Array(Buffer.from(text, 'base64'))
}
