// Attackers at the counter, tapping in place of a customer's phone: one replays an authorization
// captured from an earlier tap, one forges an authorization under a voucher that is not theirs.
// A terminal must refuse both, online or offline, before anything is recorded.

import { authorizationCodec, type Authorization } from '../../protocol/messages/authorization'
import type { PaymentRequest } from '../../protocol/messages/payment-request'
import type { Voucher } from '../../protocol/messages/voucher'
import type { KeyPair } from '../../protocol/signature/ed25519'
import { nodeEd25519 } from '../../protocol/signature/node'
import type { SeededRandom } from './seeded-random'
import type { Tapper } from './terminal'

/** What a phone answered to one request. */
export interface Tapped {
  readonly voucher: Voucher
  readonly authorization: Authorization
}

/** Answers any request with an authorization captured from an earlier one (another nonce, often another gateway). */
export class ReplayedTap implements Tapper {
  readonly description: string

  /** `whose`: the customer it was captured from, as the simulator names them. */
  constructor(private readonly captured: Tapped, whose: string) {
    this.description = `a replay of ${whose}'s authorization #${captured.authorization.seq}, first tapped at ${captured.authorization.gatewayEui}`
  }

  authorize(): Tapped {
    return this.captured
  }
}

/**
 * Signs the request with the attacker's own key under someone's voucher: as it is ('device-key':
 * the voucher names another device), or with the device key and limit changed to the attacker's
 * liking ('voucher-limit': the hub's signature no longer covers it).
 */
export class ForgedTap implements Tapper {
  readonly description: string
  private readonly keys: KeyPair
  private readonly voucher: Voucher

  constructor(victim: Voucher, whose: string, random: SeededRandom, how: 'device-key' | 'voucher-limit') {
    this.keys = nodeEd25519.keyPairFromSeed(random.bytes(32))
    this.voucher = how === 'device-key' ? victim : { ...victim, devicePublicKey: this.keys.publicKey, limitMinor: victim.limitMinor * 10 }
    this.description = how === 'device-key'
      ? `an authorization forged under ${whose}'s voucher with another device's key`
      : `${whose}'s voucher altered (device key and limit), the hub's signature left as it was`
  }

  authorize(request: PaymentRequest): Tapped {
    const authorization = authorizationCodec.sign({
      voucherId: this.voucher.voucherId, seq: 1, cumulativeMinor: request.amountMinor, amountMinor: request.amountMinor,
      currency: request.currency, gatewayEui: request.gatewayEui, nonce: request.nonce, timeMs: request.timeMs,
    }, this.keys.secretKey, nodeEd25519)
    return { voucher: this.voucher, authorization }
  }
}
