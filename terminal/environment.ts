// Time and randomness as the terminal receives them: injected everywhere, so the simulator and the
// tests run the runtime deterministically, and production passes the system's.

import { randomBytes } from 'node:crypto'

export interface Clock {
  /** Milliseconds since the Unix epoch. */
  nowMs(): number
}

export type RandomBytes = (length: number) => Uint8Array

export const systemClock: Clock = { nowMs: () => Date.now() }

export const systemRandom: RandomBytes = length => new Uint8Array(randomBytes(length))
