// The broker's check of gateway passwords (layout in protocol/mqtt-password.ts): a time within the
// window, a signature by the gateway's provisioned key, and a nonce never accepted before, by
// this hub process, an earlier one or another hub (seen-nonces.ts: the hub's database decides).

import type { Clock } from '../../protocol/clock'
import { assert } from '../../protocol/errors'
import { gatewayPasswordSignedBytes, parseGatewayPassword } from '../../protocol/mqtt-password'
import type { Ed25519 } from '../../protocol/signature/ed25519'
import { requirePositiveInteger } from './errors'
import type { NonceVerdict, SeenNonces } from './seen-nonces'

export { makeGatewayPassword } from '../../protocol/mqtt-password'

export const GATEWAY_PASSWORD_WINDOW_MS_DEFAULT = 5 * 60_000

export type GatewayPasswordRefusal =
  /** Not canonical base64, wrong length, or the EUI is not canonical. */
  | 'MALFORMED'
  /** The signed time is outside ±window of the hub's clock. */
  | 'EXPIRED'
  /** This (EUI, nonce) already opened a connection within the window, at this hub or another. */
  | 'REPLAYED'
  | 'BAD_SIGNATURE'
  /**
   * The seen nonces are at their bound, all still live. Forgetting one would allow its replay,
   * so the connection is refused instead (the gateway retries later).
   */
  | 'OVERLOADED'

export type GatewayPasswordVerdict = { readonly ok: true } | { readonly ok: false; readonly reason: GatewayPasswordRefusal }

export interface GatewayPasswordVerifierOptions {
  ed25519: Ed25519
  clock: Clock
  /** How far the signed time may be from the hub's clock, either way. */
  window_ms?: number
  /** Where accepted nonces are remembered: the hub's database, so a restart forgets none. */
  seenNonces: SeenNonces
}

/** Checks gateway passwords and remembers their nonces for as long as they could be accepted. */
export class GatewayPasswordVerifier {
  readonly window_ms: number
  private readonly ed25519: Ed25519
  private readonly clock: Clock
  private readonly seenNonces: SeenNonces

  constructor(options: GatewayPasswordVerifierOptions) {
    this.ed25519 = options.ed25519
    this.clock = options.clock
    this.window_ms = options.window_ms ?? GATEWAY_PASSWORD_WINDOW_MS_DEFAULT
    requirePositiveInteger(this.window_ms, 'window_ms')
    this.seenNonces = options.seenNonces
  }

  /** How many nonces are remembered now (for metrics and tests). */
  rememberedNonces(): Promise<number> {
    return this.seenNonces.size()
  }

  /**
   * `eui` is the MQTT username, which must already be canonical; `publicKey` is that gateway's provisioned key.
   * Resolves once an accepted password's nonce is in the database (so no restart forgets it); rejects with
   * NONCE_NOT_STORED if it could not be stored.
   */
  async verify(eui: string, password: string, publicKey: Uint8Array): Promise<GatewayPasswordVerdict> {
    const parsed = parseGatewayPassword(eui, password)
    if (parsed === null) return refuse('MALFORMED')
    const { time, nonce, signature } = parsed

    const now_ms = this.clock.now_ms()
    assert(Number.isSafeInteger(now_ms), 'the clock returns integer milliseconds')
    // Nonces are forgotten once the latest clock reading of any hub puts them out of the window; the database
    // measures the lower bound from that same high-water mark (seen-nonces.ts), so a clock stepping back reopens none.
    const time_ms = parsed.timeMs
    if (time_ms === undefined || time_ms > now_ms + this.window_ms || time_ms < now_ms - this.window_ms) {
      return refuse('EXPIRED')
    }

    if (!this.ed25519.verify(gatewayPasswordSignedBytes(eui, time, nonce), signature, publicKey)) {
      return refuse('BAD_SIGNATURE')
    }

    // Only signed nonces are remembered, so nobody without a gateway key can fill the store.
    const verdict = await this.seenNonces.remember(eui, nonce, time_ms + this.window_ms, now_ms)
    return verdict === 'accepted' ? { ok: true } : refuse(NONCE_REFUSALS[verdict])
  }
}

const NONCE_REFUSALS = { replayed: 'REPLAYED', expired: 'EXPIRED', overloaded: 'OVERLOADED' } as const satisfies
  Record<Exclude<NonceVerdict, 'accepted'>, GatewayPasswordRefusal>

function refuse(reason: GatewayPasswordRefusal): GatewayPasswordVerdict {
  return { ok: false, reason }
}
