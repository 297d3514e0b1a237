// The MQTT password a gateway connects with: a fresh Ed25519 signature over its EUI, the time and
// a random nonce, so a password seen on the wire is worthless a few minutes later or a second time.
// Layout: base64(timeMs u64 BE ‖ nonce 16 ‖ signature 64), signature over
// 'payall/v1/mqtt-auth' ‖ EUI 8 bytes ‖ timeMs ‖ nonce. Terminals make it; the hub's broker checks it.

import { concatBytes, fromBase64, toBase64 } from './bytes'
import { assert, ProtocolError } from './errors'
import { euiToBytes, isEui } from './eui'
import { SIGNATURE_BYTES, type Ed25519 } from './signature/ed25519'

const GATEWAY_PASSWORD_DOMAIN = 'payall/v1/mqtt-auth'
const GATEWAY_PASSWORD_TIME_BYTES = 8
const GATEWAY_PASSWORD_NONCE_BYTES = 16
const GATEWAY_PASSWORD_BYTES = GATEWAY_PASSWORD_TIME_BYTES + GATEWAY_PASSWORD_NONCE_BYTES + SIGNATURE_BYTES
/** Base64 with padding: 4 characters per started 3 bytes. */
export const GATEWAY_PASSWORD_CHARS = Math.ceil(GATEWAY_PASSWORD_BYTES / 3) * 4

const DOMAIN_BYTES = new TextEncoder().encode(GATEWAY_PASSWORD_DOMAIN)

/** The bytes a gateway signs for one password. */
export function gatewayPasswordSignedBytes(eui: string, time: Uint8Array, nonce: Uint8Array): Uint8Array {
  return concatBytes(DOMAIN_BYTES, euiToBytes(eui), time, nonce)
}

/** A fresh password for `eui`; make one for every CONNECT, reconnects included: each is accepted once. */
export function makeGatewayPassword(
  eui: string,
  secretKey: Uint8Array,
  now_ms: number,
  random: (length: number) => Uint8Array,
  ed25519: Ed25519,
): string {
  if (!Number.isSafeInteger(now_ms) || now_ms < 0) {
    throw new ProtocolError('OUT_OF_RANGE', `nowMs must be a non-negative safe integer, got ${now_ms}`)
  }
  const nonce = random(GATEWAY_PASSWORD_NONCE_BYTES)
  if (!(nonce instanceof Uint8Array) || nonce.length !== GATEWAY_PASSWORD_NONCE_BYTES) {
    throw new ProtocolError('BAD_LENGTH', `random(${GATEWAY_PASSWORD_NONCE_BYTES}) must return that many bytes`)
  }
  const time = new Uint8Array(GATEWAY_PASSWORD_TIME_BYTES)
  new DataView(time.buffer).setBigUint64(0, BigInt(now_ms), false)
  const signature = ed25519.sign(gatewayPasswordSignedBytes(eui, time, nonce), secretKey)
  const password = toBase64(concatBytes(time, nonce, signature))
  assert(password.length === GATEWAY_PASSWORD_CHARS, 'gateway password has its fixed length')
  return password
}

export interface ParsedGatewayPassword {
  /** Undefined past Number.MAX_SAFE_INTEGER: such a time is outside any window anyway. */
  timeMs: number | undefined
  time: Uint8Array
  nonce: Uint8Array
  signature: Uint8Array
}

/** Splits a password into its parts, or null when it is not one (wrong length, not base64, bad EUI). */
export function parseGatewayPassword(eui: string, password: unknown): ParsedGatewayPassword | null {
  if (!isEui(eui) || typeof password !== 'string' || password.length !== GATEWAY_PASSWORD_CHARS) return null
  let bytes: Uint8Array
  try {
    bytes = fromBase64(password)
  } catch {
    return null
  }
  if (bytes.length !== GATEWAY_PASSWORD_BYTES) return null
  const time = bytes.subarray(0, GATEWAY_PASSWORD_TIME_BYTES)
  const value = new DataView(time.buffer, time.byteOffset, time.byteLength).getBigUint64(0, false)
  return {
    timeMs: value > BigInt(Number.MAX_SAFE_INTEGER) ? undefined : Number(value),
    time,
    nonce: bytes.subarray(GATEWAY_PASSWORD_TIME_BYTES, GATEWAY_PASSWORD_TIME_BYTES + GATEWAY_PASSWORD_NONCE_BYTES),
    signature: bytes.subarray(GATEWAY_PASSWORD_TIME_BYTES + GATEWAY_PASSWORD_NONCE_BYTES),
  }
}
