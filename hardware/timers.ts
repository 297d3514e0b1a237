// Timers as the drivers receive them: injected, so tests and the simulator run timeouts in
// virtual time, and production passes the system's. Two shapes: a setTimeout/clearTimeout pair
// (the NFC and LoRa line drivers), and a single call that starts a timer and returns its cancel.

export interface Timers {
  setTimeout(callback: () => void, delayMs: number): unknown
  clearTimeout(handle: unknown): void
}

export const systemTimers: Timers = {
  setTimeout: (callback, delayMs) => setTimeout(callback, delayMs),
  clearTimeout: handle => clearTimeout(handle as NodeJS.Timeout),
}

/** Starts a timer and returns its cancel function. */
export type SetTimer = (callback: () => void, delay_ms: number) => () => void

export const systemTimer: SetTimer = (callback, delay_ms) => {
  const timer = setTimeout(callback, delay_ms)
  return () => clearTimeout(timer)
}
