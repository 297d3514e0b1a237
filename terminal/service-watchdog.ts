// The terminal as a systemd service (deploy/pi/payall-terminal.service, Type=notify): READY=1 once
// the counter runs, WATCHDOG=1 every half WatchdogSec while the terminal is healthy, so systemd
// restarts a terminal whose loop died or hangs, and STOPPING=1 when it is asked to stop. Node has
// no unix datagram sockets, so each message goes through `systemd-notify`, which since systemd 246
// waits until the manager has read it (no message lost to a sender gone before systemd looked it
// up); the unit says NotifyAccess=all, since the sender is that child, not the main process.

import { execFile } from 'node:child_process'
import { repeat, type Cancel, type Clock } from '../protocol/clock'

/** Sends one sd_notify message (`READY=1`, `WATCHDOG=1`, …); rejects when it could not be sent. */
export type Notify = (state: string) => Promise<void>

/** A systemd-notify that does not return in this time is given up: the next beat tries again. */
const NOTIFY_TIMEOUT_MS = 5_000
const MICROSECONDS_PER_MS = 1_000

/**
 * How often to feed the watchdog: half of WatchdogSec, as sd_watchdog_enabled(3) advises, from
 * $WATCHDOG_USEC; undefined when the unit has no watchdog or it is meant for another process.
 */
export function watchdogInterval_ms(env: Record<string, string | undefined>, pid: number): number | undefined {
  const usec = env.WATCHDOG_USEC
  if (usec === undefined || !/^\d{1,15}$/.test(usec) || Number(usec) === 0) return undefined
  if (env.WATCHDOG_PID !== undefined && env.WATCHDOG_PID !== String(pid)) return undefined
  return Math.max(1, Math.floor(Number(usec) / MICROSECONDS_PER_MS / 2))
}

/** sd_notify through `program` (systemd-notify), or undefined outside a Type=notify unit ($NOTIFY_SOCKET unset). */
export function systemdNotify(env: Record<string, string | undefined>, program = 'systemd-notify'): Notify | undefined {
  if (env.NOTIFY_SOCKET === undefined || env.NOTIFY_SOCKET === '') return undefined
  return state => new Promise((resolve, reject) => {
    execFile(program, [state], { timeout: NOTIFY_TIMEOUT_MS, env: { ...env } }, error => (error === null ? resolve() : reject(error)))
  })
}

export interface ServiceWatchdogOptions {
  readonly notify: Notify
  readonly clock: Clock
  /** Between two WATCHDOG=1; undefined when the unit has no watchdog (READY and STOPPING are still sent). */
  readonly interval_ms: number | undefined
  /** Whether the terminal is fit to go on: the watchdog is fed only while it is. */
  healthy(): boolean
  /** A message that could not be sent; a cause is reported when it changes, not at every beat. */
  onError(error: Error): void
}

export class ServiceWatchdog {
  #cancel: Cancel | undefined
  #lastFailure: string | undefined

  constructor(private readonly options: ServiceWatchdogOptions) {}

  /** READY=1, then a beat every interval while healthy; the beats never overlap (repeat awaits each). */
  async ready(): Promise<void> {
    await this.#send('READY=1')
    const { interval_ms, clock } = this.options
    if (interval_ms === undefined || this.#cancel !== undefined) return
    this.#cancel = repeat(clock, () => this.#beat(), interval_ms)
  }

  /** STOPPING=1: the beats go on while the payment in hand finishes, until close(). */
  stopping(): Promise<void> {
    return this.#send('STOPPING=1')
  }

  close(): void {
    this.#cancel?.()
    this.#cancel = undefined
  }

  async #beat(): Promise<void> {
    let healthy: boolean
    try {
      healthy = this.options.healthy()
    } catch {
      healthy = false
    }
    // Unfed, systemd kills and restarts the terminal once WatchdogSec has passed.
    if (healthy) await this.#send('WATCHDOG=1')
  }

  async #send(state: string): Promise<void> {
    try {
      await this.options.notify(state)
      this.#lastFailure = undefined
    } catch (error) {
      const cause = error instanceof Error ? error.message : String(error)
      if (cause === this.#lastFailure) return
      this.#lastFailure = cause
      this.options.onError(new Error(`could not tell systemd ${state}: ${cause}`))
    }
  }
}
