// Time and randomness as every part of PayAll receives them: one Clock (the time now, and timers that
// can be cancelled) and one source of random bytes, injected everywhere, so tests and the simulator
// run the hub, the terminal and the drivers in virtual time and from a seed; production passes the system's.

import { randomBytes } from 'node:crypto'
import { assert } from './errors'

/** Durations in milliseconds, the unit every Clock speaks. */
export const SECOND_MS = 1_000
export const MINUTE_MS = 60 * SECOND_MS
export const HOUR_MS = 60 * MINUTE_MS
export const DAY_MS = 24 * HOUR_MS

/** Delay before reconnect attempt number `failures + 1`: doubling from `initial_ms`, never above `max_ms`. */
export function reconnectDelay_ms(failures: number, initial_ms: number, max_ms: number): number {
  return Math.min(max_ms, initial_ms * 2 ** Math.min(Math.max(failures, 0), 30))
}

/** Cancels a timer; calling it again, or after the timer fired, does nothing. */
export type Cancel = () => void

export interface TimerOptions {
  /**
   * A background timer does not keep the process alive on its own (sweepers, retries of a service
   * that has sockets of its own); a foreground one does, as a plain setTimeout.
   */
  readonly background?: boolean
}

export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now_ms(): number
  /** Calls `callback` once, `delay_ms` from now (0 or more); the returned function cancels it. */
  setTimer(callback: () => void, delay_ms: number, options?: TimerOptions): Cancel
}

/** Cryptographically strong random bytes, `length` of them. */
export type RandomBytes = (length: number) => Uint8Array

export const systemClock: Clock = {
  now_ms: () => Date.now(),
  setTimer(callback, delay_ms, options = {}) {
    requireDelay(delay_ms)
    const timer = setTimeout(callback, delay_ms)
    if (options.background === true) timer.unref()
    return () => clearTimeout(timer)
  },
}

export const systemRandom: RandomBytes = length => new Uint8Array(randomBytes(length))

/**
 * Calls `callback` every `interval_ms` on `clock` until cancelled. A callback that returns a promise is
 * awaited before the next interval starts, so runs never overlap and a slow one delays the next.
 */
export function repeat(clock: Clock, callback: () => void | Promise<void>, interval_ms: number, options: TimerOptions = {}): Cancel {
  requireDelay(interval_ms)
  let cancelled = false
  let cancelTimer: Cancel = () => undefined
  const schedule = (): void => {
    cancelTimer = clock.setTimer(() => {
      void Promise.resolve()
        .then(callback)
        .finally(() => {
          if (!cancelled) schedule()
        })
    }, interval_ms, options)
  }
  schedule()
  return () => {
    cancelled = true
    cancelTimer()
  }
}

interface PendingTimer {
  readonly dueAtMs: number
  /** Order of creation: timers due at the same time fire in the order they were set. */
  readonly sequence: number
  readonly callback: () => void
}

/**
 * A clock that moves only when told to: the tests' and the simulator's. Its timers fire, in the
 * order they are due, when advance() or run() passes their time.
 */
export class ManualClock implements Clock {
  private current_ms: number
  private nextSequence = 0
  private readonly pending = new Map<number, PendingTimer>()

  constructor(start_ms: number) {
    assert(Number.isSafeInteger(start_ms), 'a manual clock starts at an integer millisecond')
    this.current_ms = start_ms
  }

  now_ms(): number {
    return this.current_ms
  }

  setTimer(callback: () => void, delay_ms: number): Cancel {
    requireDelay(delay_ms)
    const sequence = this.nextSequence++
    this.pending.set(sequence, { dueAtMs: this.current_ms + delay_ms, sequence, callback })
    return () => {
      this.pending.delete(sequence)
    }
  }

  /** Timers set and neither fired nor cancelled. */
  get pendingTimers(): number {
    return this.pending.size
  }

  /**
   * When the earliest pending timer is due; undefined when none is. A test that waits on I/O moves the
   * clock to it only once the I/O has nothing left to do, so a timeout fires exactly when it would matter.
   */
  nextDue_ms(): number | undefined {
    return this.nextDue(Number.MAX_SAFE_INTEGER)?.dueAtMs
  }

  /** Sets the time without firing anything: a clock that jumps (forward or back), as a skewed one does. */
  set(now_ms: number): void {
    assert(Number.isSafeInteger(now_ms), 'the time is an integer millisecond')
    this.current_ms = now_ms
  }

  /**
   * Moves the time on by `duration_ms`, firing every timer due on the way, in order, each at its own time;
   * a timer a callback sets within the span fires too. Synchronous: what a callback starts asynchronously
   * has not run when this returns (see run()).
   */
  advance(duration_ms: number): void {
    requireDelay(duration_ms)
    const until_ms = this.current_ms + duration_ms
    for (let next = this.nextDue(until_ms); next !== undefined; next = this.nextDue(until_ms)) {
      this.pending.delete(next.sequence)
      this.current_ms = next.dueAtMs
      next.callback()
    }
    this.current_ms = until_ms
  }

  /**
   * As advance(), but lets the event loop turn after each timer fires, so the promises a callback starts
   * (a retry, a sweep) settle before the next timer is due.
   */
  async run(duration_ms: number): Promise<void> {
    requireDelay(duration_ms)
    const until_ms = this.current_ms + duration_ms
    await turn()
    for (let next = this.nextDue(until_ms); next !== undefined; next = this.nextDue(until_ms)) {
      this.pending.delete(next.sequence)
      this.current_ms = next.dueAtMs
      next.callback()
      await turn()
    }
    this.current_ms = until_ms
  }

  private nextDue(until_ms: number): PendingTimer | undefined {
    let earliest: PendingTimer | undefined
    for (const timer of this.pending.values()) {
      if (timer.dueAtMs > until_ms) continue
      if (earliest === undefined || timer.dueAtMs < earliest.dueAtMs ||
        (timer.dueAtMs === earliest.dueAtMs && timer.sequence < earliest.sequence)) earliest = timer
    }
    return earliest
  }
}

function requireDelay(delay_ms: number): void {
  assert(Number.isSafeInteger(delay_ms) && delay_ms >= 0, `a delay is a whole number of milliseconds, 0 or more, got ${delay_ms}`)
}

/** One turn of the event loop: the promises queued so far settle, and what they queue in turn. */
function turn(): Promise<void> {
  return new Promise(resolve => setImmediate(resolve))
}
