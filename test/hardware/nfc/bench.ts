// A PN532 bench for tests: a real serialport MockBinding port with the emulator on its device
// side, the driver on its application side, and timers that run in virtual time.

import { MockBinding } from '@serialport/binding-mock'
import type { SerialPortMock } from 'serialport'
import type { Pn532, Pn532Options } from '../../../hardware/nfc/pn532'
import type { Timers } from '../../../hardware/timers'
import type { Pn532Emulator, Pn532EmulatorOptions } from '../../../simulator/nfc/pn532-emulator'
import { openSimulatedReader } from '../../../simulator/nfc/simulated-reader'
import { seededRandom } from '../../hub/mqtt/fixtures'

/**
 * Timers in virtual time: nothing fires by itself; `settle` fires the earliest one only when the
 * port's I/O has nothing left to do, so a timeout happens exactly when the real one would matter.
 */
export class VirtualTimers implements Timers {
  nowMs = 0
  fired = 0
  #nextId = 1
  readonly #pending = new Map<number, { readonly atMs: number; readonly callback: () => void }>()

  setTimeout(callback: () => void, delayMs: number): unknown {
    const id = this.#nextId++
    this.#pending.set(id, { atMs: this.nowMs + delayMs, callback })
    return id
  }

  clearTimeout(handle: unknown): void {
    this.#pending.delete(handle as number)
  }

  get pendingCount(): number {
    return this.#pending.size
  }

  /** Advances to the earliest timer and fires it; false when none is set. */
  fireNext(): boolean {
    let earliest: [number, { atMs: number; callback: () => void }] | undefined
    for (const entry of this.#pending) if (earliest === undefined || entry[1].atMs < earliest[1].atMs) earliest = entry
    if (earliest === undefined) return false
    this.#pending.delete(earliest[0])
    this.nowMs = Math.max(this.nowMs, earliest[1].atMs)
    this.fired += 1
    earliest[1].callback()
    return true
  }
}

/** Lets every queued tick, promise and MockBinding transfer run (MockBinding works on process ticks). */
async function ioSettled(): Promise<void> {
  for (let round = 0; round < 3; round++) await new Promise<void>(resolve => setImmediate(resolve))
}

/** Awaits `work`, firing virtual timers whenever it is stuck waiting on one; bounded by `firesMax`. */
export async function settle<T>(timers: VirtualTimers, work: Promise<T>, firesMax = 1000): Promise<T> {
  let done = false
  const watched = work.finally(() => { done = true })
  watched.catch(() => undefined)
  for (let fires = 0; ; fires++) {
    await ioSettled()
    if (done) return watched
    if (fires >= firesMax) throw new Error(`still running after ${firesMax} virtual timers`)
    if (!timers.fireNext()) {
      await ioSettled()
      if (done) return watched
      throw new Error('stuck: nothing left to fire and the work has not ended')
    }
  }
}

export interface Bench {
  readonly port: SerialPortMock
  readonly emulator: Pn532Emulator
  readonly reader: Pn532
  readonly timers: VirtualTimers
  /** Every byte the driver wrote, as hex. */
  written(): string
}

export interface Tap {
  teardown(fn: () => unknown): void
}

let portCount = 0

export async function openBench(
  t: Tap,
  options: { emulator?: Partial<Pn532EmulatorOptions>; reader?: Pn532Options; seed?: number } = {},
): Promise<Bench> {
  const timers = new VirtualTimers()
  const simulated = await openSimulatedReader(`/dev/PN532-${++portCount}`, {
    emulator: { random: seededRandom(options.seed ?? 532), ...options.emulator },
    reader: { timers, ...options.reader },
  })
  t.teardown(async () => {
    await simulated.close()
    MockBinding.reset()
  })
  const { port, emulator, reader } = simulated
  return { port, emulator, reader, timers, written: () => port.port!.recording.toString('hex') }
}
