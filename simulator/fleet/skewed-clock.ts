// A gateway's wall clock that the fault simulation can set off true time and back, as a Pi's is
// without its RTC battery, or when NTP steps it, and move days on for one payment (a customer back
// once their voucher expired): its time is the base clock's plus both, its timers run on the base
// clock's, as a kernel's monotonic timers go on when the wall clock steps.

import { systemClock, type Cancel, type Clock, type TimerOptions } from '../../protocol/clock'

export class SkewedClock implements Clock {
  /** How far this clock is ahead of true time (behind when negative). */
  offset_ms = 0
  /** Time the simulation skips for one payment: true time moved on, as far as the gateway can tell. */
  skipped_ms = 0

  constructor(private readonly base: Clock = systemClock) {}

  now_ms(): number {
    return this.base.now_ms() + this.offset_ms + this.skipped_ms
  }

  setTimer(callback: () => void, delay_ms: number, options?: TimerOptions): Cancel {
    return this.base.setTimer(callback, delay_ms, options)
  }
}
