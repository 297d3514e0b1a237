// setInterval stand-in for the LoRa reporter: the test fires the ticks.

import type { IntervalTimers } from '../../terminal/lora'

export class ManualIntervalTimers implements IntervalTimers {
  private next = 1
  readonly active = new Map<number, { callback: () => void; interval_ms: number }>()
  setInterval(callback: () => void, interval_ms: number): unknown {
    const handle = this.next++
    this.active.set(handle, { callback, interval_ms })
    return handle
  }
  clearInterval(handle: unknown): void {
    this.active.delete(handle as number)
  }
  /** Intervals set and not cleared. */
  get running(): number {
    return this.active.size
  }
  tick(): void {
    for (const { callback } of [...this.active.values()]) callback()
  }
}
