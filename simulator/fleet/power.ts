// A simulated gateway's power supply. Its runtime's timers, display and phone reader run on it, and
// its MQTT connection and store are closed by it: once cut, nothing of that runtime runs or writes
// again, as after a real power loss. The gateway comes back as a new runtime over the same data
// directory, where SQLite (WAL, synchronous=FULL) kept every transaction committed before the cut.

import type { Cancel, Clock } from '../../protocol/clock'
import { CodedError } from '../../protocol/errors'

export class PowerLost extends CodedError<'POWER_LOST'> {
  override readonly name = 'PowerLost'

  constructor() {
    super('POWER_LOST', 'the gateway lost its power')
  }
}

export class PowerLine {
  private on = true
  private readonly timers = new Set<Cancel>()
  private readonly whenCut: Array<() => void> = []
  private resolveLost: () => void = () => undefined
  /** Resolves when the power is cut. */
  readonly lost: Promise<void> = new Promise(resolve => {
    this.resolveLost = resolve
  })

  get isOn(): boolean {
    return this.on
  }

  /** Throws PowerLost once the power is cut: a device without power does nothing. */
  check(): void {
    if (!this.on) throw new PowerLost()
  }

  /** Runs `action` at the cut (closing the store, dropping the connection), or now if the power is already off. */
  onCut(action: () => void): void {
    if (!this.on) action()
    else this.whenCut.push(action)
  }

  /** Cuts the power: every timer of the runtime is dropped, then every action registered runs, in order. */
  cut(): void {
    if (!this.on) return
    this.on = false
    for (const cancel of this.timers) cancel()
    this.timers.clear()
    for (const action of this.whenCut.splice(0)) action()
    this.resolveLost()
  }

  /** `base`'s time, and timers that never fire once the power is cut. */
  clock(base: Clock): Clock {
    return {
      now_ms: () => base.now_ms(),
      setTimer: (callback, delay_ms, options) => {
        if (!this.on) return () => undefined
        const cancel = base.setTimer(() => {
          this.timers.delete(cancel)
          if (this.on) callback()
        }, delay_ms, options)
        this.timers.add(cancel)
        return () => {
          this.timers.delete(cancel)
          cancel()
        }
      },
    }
  }
}
