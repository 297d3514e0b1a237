// The confirmation code of a mobile payment: six uniform digits from the injected randomness, kept only
// as a hash, and the pure verdict on a confirmation attempt (settle, wrong code, expired, closed).

import { timingSafeEqual } from 'node:crypto'
import { sha256, toHex } from '../../protocol/bytes'
import type { RandomBytes } from '../../protocol/clock'
import { newDigitCode } from '../users/one-time-code'

export const PAYMENT_CODE_DIGITS = 6
export const PAYMENT_CODE_LIFETIME_MS = 5 * 60 * 1000
/** The third wrong code cancels the payment. */
export const WRONG_CODES_MAX = 3

export function newPaymentCode(random: RandomBytes): string {
  return newDigitCode(random, PAYMENT_CODE_DIGITS)
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
  payment: { readonly status: PaymentStatus; readonly expiresAtMs: number }, codeIsRight: boolean, now_ms: number,
): ConfirmationVerdict {
  if (payment.status === 'settled') return codeIsRight ? { kind: 'settled' } : { kind: 'closed', status: 'settled' }
  if (payment.status === 'cancelled') return { kind: 'closed', status: 'cancelled' }
  if (now_ms >= payment.expiresAtMs) return { kind: 'expired' }
  return codeIsRight ? { kind: 'settle' } : { kind: 'wrong_code' }
}
