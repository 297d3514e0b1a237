// The MQTT password a gateway connects with: a fresh Ed25519 signature over its EUI, the time and
// a random nonce, so a password seen on the wire is worthless a few minutes later or a second time.
// Layout: base64(timeMs u64 BE ‖ nonce 16 ‖ signature 64), signature over
// 'payall/v1/mqtt-auth' ‖ EUI 8 bytes ‖ timeMs ‖ nonce.

import { concatBytes, fromBase64, toBase64, toHex } from '../../protocol/bytes'
import { assert } from '../../protocol/errors'
import { euiToBytes, isEui } from '../../protocol/eui'
import { SIGNATURE_BYTES, type Ed25519 } from '../../protocol/signature/ed25519'
import { MqttError } from './errors'
import { ReplayCache } from './replay-cache'

export const GATEWAY_PASSWORD_DOMAIN = 'payall/v1/mqtt-auth'
export const GATEWAY_PASSWORD_TIME_BYTES = 8
export const GATEWAY_PASSWORD_NONCE_BYTES = 16
export const GATEWAY_PASSWORD_BYTES = GATEWAY_PASSWORD_TIME_BYTES + GATEWAY_PASSWORD_NONCE_BYTES + SIGNATURE_BYTES
/** Base64 with padding: 4 characters per started 3 bytes. */
export const GATEWAY_PASSWORD_CHARS = Math.ceil(GATEWAY_PASSWORD_BYTES / 3) * 4

export const GATEWAY_PASSWORD_WINDOW_MS_DEFAULT = 5 * 60_000
export const REPLAY_CACHE_ENTRIES_MAX_DEFAULT = 100_000

const DOMAIN_BYTES = new TextEncoder().encode(GATEWAY_PASSWORD_DOMAIN)

/** Milliseconds since the Unix epoch; injected so tests and the simulator control time. */
export type Clock = () => number

export type GatewayPasswordRefusal =
  /** Not canonical base64, wrong length, or the EUI is not canonical. */
  | 'MALFORMED'
  /** The signed time is outside ±window of the hub's clock. */
  | 'EXPIRED'
  /** This (EUI, nonce) already opened a connection within the window. */
  | 'REPLAYED'
  | 'BAD_SIGNATURE'
  /**
   * The replay cache is full of nonces that are still live. Forgetting one would allow its
   * replay, so the connection is refused instead (the gateway retries later).
   */
  | 'OVERLOADED'

export type GatewayPasswordVerdict = { readonly ok: true } | { readonly ok: false; readonly reason: GatewayPasswordRefusal }

/** A fresh password for `eui`; call it for every CONNECT, a password is accepted only once. */
export function makeGatewayPassword(
  eui: string,
  secretKey: Uint8Array,
  nowMs: number,
  random: (length: number) => Uint8Array,
  ed25519: Ed25519,
): string {
  if (!Number.isSafeInteger(nowMs) || nowMs < 0) {
    throw new MqttError('INVALID_OPTIONS', `nowMs must be a non-negative safe integer, got ${nowMs}`)
  }
  const nonce = random(GATEWAY_PASSWORD_NONCE_BYTES)
  if (!(nonce instanceof Uint8Array) || nonce.length !== GATEWAY_PASSWORD_NONCE_BYTES) {
    throw new MqttError('INVALID_OPTIONS', `random(${GATEWAY_PASSWORD_NONCE_BYTES}) must return that many bytes`)
  }
  const time = encodeTime(nowMs)
  const signature = ed25519.sign(signedMessage(euiToBytes(eui), time, nonce), secretKey)
  const password = toBase64(concatBytes(time, nonce, signature))
  assert(password.length === GATEWAY_PASSWORD_CHARS, 'gateway password has its fixed length')
  return password
}

export interface GatewayPasswordVerifierOptions {
  ed25519: Ed25519
  clock: Clock
  /** How far the signed time may be from the hub's clock, either way. */
  window_ms?: number
  replayCacheEntriesMax?: number
}

/** Checks gateway passwords and remembers their nonces for as long as they could be accepted. */
export class GatewayPasswordVerifier {
  readonly window_ms: number
  private readonly ed25519: Ed25519
  private readonly clock: Clock
  private readonly seenNonces: ReplayCache
  /** The latest time the clock has reported; see verify. */
  private highestNowMs = Number.NEGATIVE_INFINITY

  constructor(options: GatewayPasswordVerifierOptions) {
    this.ed25519 = options.ed25519
    this.clock = options.clock
    this.window_ms = options.window_ms ?? GATEWAY_PASSWORD_WINDOW_MS_DEFAULT
    if (!Number.isSafeInteger(this.window_ms) || this.window_ms <= 0) {
      throw new MqttError('INVALID_OPTIONS', `window_ms must be a positive integer, got ${this.window_ms}`)
    }
    this.seenNonces = new ReplayCache(options.replayCacheEntriesMax ?? REPLAY_CACHE_ENTRIES_MAX_DEFAULT)
  }

  /** How many nonces are remembered now (for metrics and tests). */
  get rememberedNonces(): number {
    return this.seenNonces.size
  }

  /** `eui` is the MQTT username, which must already be canonical; `publicKey` is that gateway's provisioned key. */
  verify(eui: string, password: string, publicKey: Uint8Array): GatewayPasswordVerdict {
    if (!isEui(eui) || typeof password !== 'string' || password.length !== GATEWAY_PASSWORD_CHARS) {
      return refuse('MALFORMED')
    }
    let bytes: Uint8Array
    try {
      bytes = fromBase64(password)
    } catch {
      return refuse('MALFORMED')
    }
    if (bytes.length !== GATEWAY_PASSWORD_BYTES) return refuse('MALFORMED')
    const time = bytes.subarray(0, GATEWAY_PASSWORD_TIME_BYTES)
    const nonce = bytes.subarray(GATEWAY_PASSWORD_TIME_BYTES, GATEWAY_PASSWORD_TIME_BYTES + GATEWAY_PASSWORD_NONCE_BYTES)
    const signature = bytes.subarray(GATEWAY_PASSWORD_TIME_BYTES + GATEWAY_PASSWORD_NONCE_BYTES)

    const nowMs = this.clock()
    assert(Number.isSafeInteger(nowMs), 'the clock returns integer milliseconds')
    // Nonces are forgotten once the latest clock reading puts them out of the window; measuring
    // the lower bound from that same high-water mark keeps a clock stepping back from reopening them.
    this.highestNowMs = Math.max(this.highestNowMs, nowMs)
    const timeMs = decodeTime(time)
    if (timeMs === undefined || timeMs > nowMs + this.window_ms || timeMs < this.highestNowMs - this.window_ms) {
      return refuse('EXPIRED')
    }

    if (!this.ed25519.verify(signedMessage(euiToBytes(eui), time, nonce), signature, publicKey)) {
      return refuse('BAD_SIGNATURE')
    }

    // Only signed nonces are remembered, so nobody without a gateway key can fill the cache.
    this.seenNonces.evictExpired(this.highestNowMs)
    const key = `${eui}:${toHex(nonce)}`
    if (this.seenNonces.has(key)) return refuse('REPLAYED')
    if (!this.seenNonces.add(key, timeMs + this.window_ms)) return refuse('OVERLOADED')
    return { ok: true }
  }
}

function refuse(reason: GatewayPasswordRefusal): GatewayPasswordVerdict {
  return { ok: false, reason }
}

function signedMessage(eui: Uint8Array, time: Uint8Array, nonce: Uint8Array): Uint8Array {
  return concatBytes(DOMAIN_BYTES, eui, time, nonce)
}

function encodeTime(timeMs: number): Uint8Array {
  const bytes = new Uint8Array(GATEWAY_PASSWORD_TIME_BYTES)
  new DataView(bytes.buffer).setBigUint64(0, BigInt(timeMs), false)
  return bytes
}

/** Undefined past Number.MAX_SAFE_INTEGER: such a time is outside any window anyway. */
function decodeTime(bytes: Uint8Array): number | undefined {
  const value = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getBigUint64(0, false)
  return value > BigInt(Number.MAX_SAFE_INTEGER) ? undefined : Number(value)
}
