// The confirmation code of a mobile payment: six uniform digits from the injected randomness, kept only
// as a hash, and the pure verdict on a confirmation attempt (settle, wrong code, expired, closed).

import { timingSafeEqual } from 'node:crypto'
import { sha256, toHex } from '../../protocol/bytes'
import { assert } from '../../protocol/errors'
import type { RandomBytes } from '../context'

export const PAYMENT_CODE_DIGITS = 6
export const PAYMENT_CODE_LIFETIME_MS = 5 * 60 * 1000
/** The third wrong code cancels the payment. */
export const WRONG_CODES_MAX = 3

const CODE_SPACE = 10 ** PAYMENT_CODE_DIGITS
// The largest multiple of CODE_SPACE below 2^32: values at or above it would favour the low codes.
const UNBIASED_LIMIT = Math.floor(2 ** 32 / CODE_SPACE) * CODE_SPACE
const DRAWS_MAX = 64

export function newPaymentCode(random: RandomBytes): string {
  for (let draw = 0; draw < DRAWS_MAX; draw++) {
    const bytes = random(4)
    const value = new DataView(bytes.buffer, bytes.byteOffset, 4).getUint32(0)
    if (value < UNBIASED_LIMIT) return String(value % CODE_SPACE).padStart(PAYMENT_CODE_DIGITS, '0')
  }
  // 64 draws each rejected with probability < 0.0003: only a broken random source gets here.
  assert(false, 'the random source keeps returning values past the unbiased range')
}

/** Bound to the payment, so one code's hash says nothing about another payment's. */
export function paymentCodeHash(paymentId: string, code: string): string {
  return toHex(sha256(Buffer.from(`payall/payment-code/v1:${paymentId}:${code}`, 'utf8')))
}

export function codeMatches(paymentId: string, code: string, storedHash: string): boolean {
  return timingSafeEqual(Buffer.from(paymentCodeHash(paymentId, code), 'hex'), Buffer.from(storedHash, 'hex'))
}

export type PaymentStatus = 'awaiting_confirmation' | 'settled' | 'cancelled'

export type ConfirmationVerdict =
  /** Move the money. */
  | { readonly kind: 'settle' }
  /** Settled already and the code is right: the client retried, answer as before. */
  | { readonly kind: 'settled' }
  | { readonly kind: 'closed'; readonly status: 'settled' | 'cancelled' }
  | { readonly kind: 'expired' }
  /** Count the wrong code; the WRONG_CODES_MAXth cancels the payment. */
  | { readonly kind: 'wrong_code' }

/** What a confirmation attempt does, from the payment's state, whether the code is right, and the time. Pure. */
export function judgeConfirmation(
  payment: { readonly status: PaymentStatus; readonly expiresAtMs: number }, codeIsRight: boolean, nowMs: number,
): ConfirmationVerdict {
  if (payment.status === 'settled') return codeIsRight ? { kind: 'settled' } : { kind: 'closed', status: 'settled' }
  if (payment.status === 'cancelled') return { kind: 'closed', status: 'cancelled' }
  if (nowMs >= payment.expiresAtMs) return { kind: 'expired' }
  return codeIsRight ? { kind: 'settle' } : { kind: 'wrong_code' }
}
