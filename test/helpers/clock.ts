// Driver tests on a ManualClock: the I/O a driver does before and after it sets a timer runs on the
// event loop (MockBinding works on process ticks), so a test lets the loop turn until the driver is
// waiting, and only then moves the clock.

import type { ManualClock } from '../../protocol/clock'

/** Lets every queued tick, promise and MockBinding transfer run. */
async function ioSettled(): Promise<void> {
  for (let round = 0; round < 3; round++) await new Promise<void>(resolve => setImmediate(resolve))
}

/** Resolves once `clock` holds at least `count` pending timers, turning the event loop meanwhile; bounded. */
export async function timersSet(clock: ManualClock, count = 1): Promise<void> {
  for (let turn = 0; turn < 1_000 && clock.pendingTimers < count; turn++) await new Promise<void>(resolve => setImmediate(resolve))
  if (clock.pendingTimers < count) throw new Error(`${clock.pendingTimers} timers pending, not ${count}`)
}

/**
 * Awaits `work`, moving the clock to its next timer whenever the I/O is idle and the work still
 * waits, so a timeout happens exactly when the real one would matter; bounded by `firesMax`.
 */
export async function settle<T>(clock: ManualClock, work: Promise<T>, fires_max = 1000): Promise<T> {
  let done = false
  const watched = work.finally(() => { done = true })
  watched.catch(() => undefined)
  for (let fires = 0; ; fires++) {
    await ioSettled()
    if (done) return watched
    if (fires >= fires_max) throw new Error(`still running after ${fires_max} timers`)
    const due_ms = clock.nextDue_ms()
    if (due_ms === undefined) {
      await ioSettled()
      if (done) return watched
      throw new Error('stuck: no timer left and the work has not ended')
    }
    clock.advance(due_ms - clock.now_ms())
  }
}
