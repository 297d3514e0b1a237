// Seeded randomness for reproducible fleets: xoshiro128** streams keyed by SHA-256 of the seed and
// a label, so each consumer (the payment plan, one terminal's nonces, one phone's key) draws from
// its own stream and one consumer drawing more never shifts another's numbers.

import { sha256 } from '../../protocol/bytes'
import { assert } from '../../protocol/errors'

const encoder = new TextEncoder()

export class SeededRandom {
  private readonly state: Uint32Array

  /** A stream for `label` under `seed`; the same pair always gives the same numbers. */
  constructor(readonly seed: string, readonly label = '') {
    const digest = sha256(encoder.encode(`payall-sim/${seed}/${label}`))
    this.state = new Uint32Array(digest.buffer.slice(digest.byteOffset, digest.byteOffset + 16))
    // xoshiro's state must not be all zero; SHA-256 giving 16 zero bytes is not a real concern, but cheap to rule out.
    if (this.state.every(word => word === 0)) this.state[0] = 1
  }

  /** An independent stream under the same seed. */
  fork(label: string): SeededRandom {
    return new SeededRandom(this.seed, this.label === '' ? label : `${this.label}/${label}`)
  }

  /** The next 32 random bits (xoshiro128**). */
  nextUint32(): number {
    const s = this.state
    const result = Math.imul(rotl(Math.imul(s[1], 5), 7), 9) >>> 0
    const t = s[1] << 9
    s[2] ^= s[0]
    s[3] ^= s[1]
    s[1] ^= s[2]
    s[0] ^= s[3]
    s[2] ^= t
    s[3] = rotl(s[3], 11)
    return result
  }

  /** A float in [0, 1) with 53 random bits. */
  nextFloat(): number {
    const high = this.nextUint32() >>> 5
    const low = this.nextUint32() >>> 6
    return (high * 67_108_864 + low) / 9_007_199_254_740_992
  }

  /** A whole number in [min, max], uniformly (rejection sampling, no modulo bias). */
  integer(min: number, max: number): number {
    assert(Number.isSafeInteger(min) && Number.isSafeInteger(max) && min <= max, 'integer(min, max) takes whole numbers, min ≤ max')
    const span = max - min + 1
    if (span <= 0x1_0000_0000) {
      const limit = 0x1_0000_0000 - (0x1_0000_0000 % span)
      for (;;) {
        const draw = this.nextUint32()
        if (draw < limit) return min + (draw % span)
      }
    }
    return min + Math.floor(this.nextFloat() * span)
  }

  bytes(length: number): Uint8Array {
    const out = new Uint8Array(length)
    for (let offset = 0; offset < length; offset += 4) {
      const word = this.nextUint32()
      for (let i = 0; i < 4 && offset + i < length; i++) out[offset + i] = (word >>> (8 * i)) & 0xff
    }
    return out
  }

  /** `count` distinct indices of [0, size), in random order (a partial Fisher-Yates shuffle). */
  sample(size: number, count: number): number[] {
    assert(Number.isSafeInteger(count) && count >= 0 && count <= size, 'a sample is no larger than what it is drawn from')
    const picked = new Map<number, number>()
    const out: number[] = []
    for (let i = 0; i < count; i++) {
      const j = this.integer(i, size - 1)
      const atJ = picked.get(j) ?? j
      picked.set(j, picked.get(i) ?? i)
      out.push(atJ)
    }
    return out
  }
}

function rotl(value: number, shift: number): number {
  return ((value << shift) | (value >>> (32 - shift))) >>> 0
}
