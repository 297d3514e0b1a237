// A virtual customer phone: holds its Ed25519 key and its vouchers, and answers payment requests
// the way the PayAll wallet app does, keeping `seq` and `cumulative` per voucher. A phone told to
// `forget` its spending state is how the simulator produces double spends.

import { authorizationCodec, type Authorization } from '../protocol/messages/authorization'
import type { PaymentRequest } from '../protocol/messages/payment-request'
import type { Voucher } from '../protocol/messages/voucher'
import type { Ed25519, KeyPair } from '../protocol/signature/ed25519'
import { toHex } from '../protocol/bytes'
import { CodedError } from '../protocol/errors'

export interface SpendingState {
  seq: number
  cumulativeMinor: number
}

export class PhoneDeclined extends CodedError<'NO_VOUCHER' | 'CURRENCY' | 'OVER_LIMIT' | 'EXPIRED'> {
  override readonly name = 'PhoneDeclined'
}

export class VirtualPhone {
  private readonly vouchers: Voucher[] = []
  private readonly spending = new Map<string, SpendingState>()

  constructor(readonly keys: KeyPair, private readonly ed25519: Ed25519) {}

  addVoucher(voucher: Voucher): void {
    this.vouchers.push(voucher)
  }

  /** The voucher the phone pays with for this currency at this time, if any (`anyExpiry`: expired or not). */
  voucherFor(currency: string, now_ms: number, amount_minor: number, anyExpiry = false): Voucher | undefined {
    return this.vouchers.find(voucher => {
      const spent = this.spending.get(toHex(voucher.voucherId))?.cumulativeMinor ?? 0
      return voucher.currency === currency && (anyExpiry || voucher.expiresAtMs > now_ms) && spent + amount_minor <= voucher.limitMinor
    })
  }

  /**
   * Signs an authorization for the request, advancing seq and cumulative under the voucher.
   * `anyExpiry`: as a stale wallet app does, with a voucher past its expiry too (gateways must refuse it).
   */
  authorize(request: PaymentRequest, { anyExpiry = false } = {}): { voucher: Voucher; authorization: Authorization } {
    const candidates = this.vouchers.filter(v => v.currency === request.currency)
    if (candidates.length === 0) throw new PhoneDeclined('NO_VOUCHER', `no ${request.currency} voucher on this phone`)
    const voucher = this.voucherFor(request.currency, request.timeMs, request.amountMinor, anyExpiry)
    if (voucher === undefined) throw new PhoneDeclined('OVER_LIMIT', 'no voucher covers this amount')
    const key = toHex(voucher.voucherId)
    const state = this.spending.get(key) ?? { seq: 0, cumulativeMinor: 0 }
    const next = { seq: state.seq + 1, cumulativeMinor: state.cumulativeMinor + request.amountMinor }
    const authorization = authorizationCodec.sign({
      voucherId: voucher.voucherId,
      seq: next.seq,
      cumulativeMinor: next.cumulativeMinor,
      amountMinor: request.amountMinor,
      currency: request.currency,
      gatewayEui: request.gatewayEui,
      nonce: request.nonce,
      timeMs: request.timeMs,
    }, this.keys.secretKey, this.ed25519)
    this.spending.set(key, next)
    return { voucher, authorization }
  }

  /** What the phone has signed under a voucher so far: its last seq and the cumulative amount. */
  spent(voucher: Voucher): SpendingState {
    return { ...(this.spending.get(toHex(voucher.voucherId)) ?? { seq: 0, cumulativeMinor: 0 }) }
  }

  /** Rolls the spending state of a voucher back (a cloned or restored phone): the next payment double-spends. */
  forget(voucher: Voucher, state: SpendingState = { seq: 0, cumulativeMinor: 0 }): void {
    this.spending.set(toHex(voucher.voucherId), { ...state })
  }
}
