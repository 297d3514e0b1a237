// Short one-time codes that people type from an SMS or an email (a payment's, a phone number's, an email's): uniform
// decimal digits drawn from the injected randomness, without the bias of a plain modulo, and the rules every code that
// proves something follows: how long it lives, how many wrong tries end it, how it is stored and how it is judged.

import { timingSafeEqual } from 'node:crypto'
import { sha256, toHex } from '../../protocol/bytes'
import { assert } from '../../protocol/errors'
import type { RandomBytes } from '../../protocol/clock'
import { HttpError } from '../http/errors'

const DRAWS_MAX = 64
/** Nine digits is the most a 32-bit draw can carry without bias worth the name. */
const DIGITS_MAX = 9

/** The codes that prove a phone number or an email. */
export const PROOF_CODE_DIGITS = 6
export const PROOF_CODE_LIFETIME_MS = 10 * 60 * 1000
/** The fifth wrong code kills the code: only a new one, within the send limits, can prove anything then. */
export const PROOF_CODE_WRONG_MAX = 5

export function newDigitCode(random: RandomBytes, digits: number): string {
  assert(Number.isInteger(digits) && digits >= 1 && digits <= DIGITS_MAX, `a code has 1 to ${DIGITS_MAX} digits`)
  const space = 10 ** digits
  // The largest multiple of `space` below 2^32: values at or above it would favour the low codes.
  const unbiasedLimit = Math.floor(2 ** 32 / space) * space
  for (let draw = 0; draw < DRAWS_MAX; draw++) {
    const bytes = random(4)
    const value = new DataView(bytes.buffer, bytes.byteOffset, 4).getUint32(0)
    if (value < unbiasedLimit) return String(value % space).padStart(digits, '0')
  }
  // 64 draws each rejected with probability < 0.0003: only a broken random source gets here.
  assert(false, 'the random source keeps returning values past the unbiased range')
}

export type ProofCodeVerdict =
  | { readonly kind: 'prove' }
  | { readonly kind: 'wrong' }
  | { readonly kind: 'expired' }
  /** PROOF_CODE_WRONG_MAX wrong codes were tried: this code proves nothing any more. */
  | { readonly kind: 'exhausted' }

/** What an attempt does, from the code's state, whether the code is right, and the time. Pure. */
export function judgeProofCode(
  code: { readonly codeExpiresAtMs: number; readonly wrongCodes: number }, codeIsRight: boolean, now_ms: number,
): ProofCodeVerdict {
  if (code.wrongCodes >= PROOF_CODE_WRONG_MAX) return { kind: 'exhausted' }
  if (now_ms >= code.codeExpiresAtMs) return { kind: 'expired' }
  return codeIsRight ? { kind: 'prove' } : { kind: 'wrong' }
}

/** The stored hash of a code: bound to what it proves (`purpose`) and to whose it is (`ownerId`). */
export function proofCodeHash(purpose: 'phone-code' | 'email-code', ownerId: string, code: string): string {
  return toHex(sha256(Buffer.from(`payall/${purpose}/v1:${ownerId}:${code}`, 'utf8')))
}

/** Whether `code` is the one whose hash is stored, in constant time. */
export function proofCodeMatches(storedSha256: string, computedSha256: string): boolean {
  return timingSafeEqual(Buffer.from(computedSha256, 'hex'), Buffer.from(storedSha256, 'hex'))
}

/**
 * The refusal of an attempt that did not prove: `wrongCodes` is the count once this attempt is recorded (a wrong
 * code is recorded even though the answer is an error).
 */
export function proofCodeRefusal(verdict: Exclude<ProofCodeVerdict, { kind: 'prove' }>, wrongCodes: number): HttpError {
  if (verdict.kind === 'expired') return new HttpError(409, 'CODE_EXPIRED', 'the code has expired; ask for a new one')
  if (verdict.kind === 'exhausted' || wrongCodes >= PROOF_CODE_WRONG_MAX) {
    return new HttpError(409, 'CODE_ATTEMPTS_EXHAUSTED', `${PROOF_CODE_WRONG_MAX} wrong codes: this code no longer works; ask for a new one`)
  }
  return new HttpError(400, 'WRONG_CODE', `wrong code; ${PROOF_CODE_WRONG_MAX - wrongCodes} attempt(s) left`)
}

/** 429 for a code asked past a send limit: when the window that holds the first send counted ends. */
export function tooManyCodesSent(where: string, windowEnd_ms: number): HttpError {
  return new HttpError(429, 'TOO_MANY_REQUESTS', `too many codes were sent ${where} lately; ask again after ${new Date(windowEnd_ms).toISOString()}`)
}
