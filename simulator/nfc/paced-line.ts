// One direction of a serial line at a baud rate, for emulators that must answer in a real line's
// time: bytes handed over arrive after their transmission time, in order, behind whatever is still
// on the wire. Times are kept exact; a delivery waits for the next whole millisecond of the clock.

import type { Clock } from '../../protocol/clock'

/** UART 8N1: a start bit, 8 data bits and a stop bit per byte. */
const UART_BITS_PER_BYTE = 10

export class PacedLine {
  readonly byteTime_ms: number
  /** When the last byte handed over has left the wire (clock milliseconds, fractional). */
  #freeAt_ms = -Infinity
  /** Sent and not delivered yet, oldest first: a timer that fires early for its turn delivers those before it. */
  readonly #inFlight: Array<{ readonly deliver: () => void }> = []

  constructor(private readonly clock: Clock, baudRate: number, bitsPerByte: number = UART_BITS_PER_BYTE) {
    if (!(Number.isFinite(baudRate) && baudRate > 0) || !(Number.isInteger(bitsPerByte) && bitsPerByte > 0)) {
      throw new RangeError(`a line has a positive baud rate and bits per byte, got ${baudRate} and ${bitsPerByte}`)
    }
    this.byteTime_ms = (bitsPerByte * 1000) / baudRate
  }

  /**
   * Puts `length_bytes` on the wire once the line is free and `ready_ms` from now have passed (the sender's
   * own work), and calls `deliver` when the last of them arrives. Deliveries keep the order of the sends.
   */
  send(length_bytes: number, deliver: () => void, ready_ms = 0): void {
    const now_ms = this.clock.now_ms()
    const due_ms = Math.max(this.#freeAt_ms, now_ms + ready_ms) + length_bytes * this.byteTime_ms
    this.#freeAt_ms = due_ms
    const sent = { deliver }
    this.#inFlight.push(sent)
    this.clock.setTimer(() => this.#deliverThrough(sent), Math.max(0, Math.ceil(due_ms - now_ms)))
  }

  #deliverThrough(last: { readonly deliver: () => void }): void {
    const index = this.#inFlight.indexOf(last)
    if (index < 0) return
    for (const sent of this.#inFlight.splice(0, index + 1)) sent.deliver()
  }
}
