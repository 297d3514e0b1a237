// Short one-time codes that people type from an SMS (a payment's, a phone number's): uniform decimal digits drawn
// from the injected randomness, without the bias of a plain modulo.

import { assert } from '../../protocol/errors'
import type { RandomBytes } from '../../protocol/clock'

const DRAWS_MAX = 64
/** Nine digits is the most a 32-bit draw can carry without bias worth the name. */
const DIGITS_MAX = 9

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
