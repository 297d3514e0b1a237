// `payall-terminal run`: the gateway at work. It opens the devices the hardware file names (or the
// simulator's, with --simulate), keeps the link to the hub, joins the LoRa network when a modem is
// there, and runs the counter loop until it is told to stop; then it cancels a payment still waiting
// for its tap or finishes the one in hand, stops the sync and closes every device and the store.

import type { Printer, PrintExtras } from '../hardware/devices'
import { codedText, errorText } from '../protocol/errors'
import type { LoraJoinSettings } from '../hardware/lora/modem'
import type { TerminalConfig } from './config'
import { Counter } from './counter'
import { openDevices, type DeviceHost, type TerminalDevices } from './devices'
import type { Clock, RandomBytes } from '../protocol/clock'
import { TerminalError } from './errors'
import type { TerminalEmitter } from './events'
import type { HardwareConfig } from './hardware-config'
import { startRuntime } from './runtime'
import { ServiceWatchdog, systemdNotify, watchdogInterval_ms, type Notify } from './service-watchdog'
import type { TerminalStore } from './store/store'
import type { SyncOptions } from './sync'

/** Pause before joining again after a failed LoRa join. */
const LORA_REJOIN_MS = 60_000

export interface RunIo {
  out(text: string): void
  err(text: string): void
  clock: Clock
  random: RandomBytes
  stopSignal(): Promise<void>
  syncOptions?: Partial<SyncOptions>
  /** The LoRa reporter's clock; `clock` unless a test moves the report interval by hand. */
  loraClock?: Clock
  /** Under systemd: $NOTIFY_SOCKET, $WATCHDOG_USEC and $WATCHDOG_PID (deploy/pi/payall-terminal.service). */
  env?: Record<string, string | undefined>
  /** How sd_notify messages are sent; systemd-notify when $NOTIFY_SOCKET is set, none otherwise. */
  notify?: Notify
}

/** What --simulate adds around the devices: its own printer echo and its phone's tap key. */
export interface RunDecorations {
  printer?(inner: Printer): Printer
  /** Called once the runtime is up (the simulator's console hooks). */
  started?(devices: TerminalDevices): void
  stop?(): Promise<void>
}

/**
 * The events as log lines. A sync error that repeats (every reconnect attempt while the network
 * is out) is written once, then counted, and the count is written when something else happens.
 */
export function logEvents(events: TerminalEmitter, io: Pick<RunIo, 'out' | 'err'>): void {
  let repeating: { code: string; more: number } | undefined
  const endRepeats = (): void => {
    if (repeating !== undefined && repeating.more > 0) io.err(`sync: the same ${repeating.code} ${repeating.more} more time${repeating.more === 1 ? '' : 's'}\n`)
    repeating = undefined
  }
  events.on('link', ({ online }) => {
    endRepeats()
    io.out(`link ${online ? 'up' : 'down'}\n`)
  })
  events.on('records-acked', ({ headSeq, updated }) => io.out(`ack up to #${headSeq}: ${updated} records settled or answered\n`))
  events.on('sync-error', ({ code, message }) => {
    if (repeating?.code === code) {
      repeating.more++
      return
    }
    endRepeats()
    repeating = { code, more: 0 }
    io.err(`sync: ${codedText(code, message)}\n`)
  })
  events.on('printer-error', ({ code, message }) => io.err(`printer: ${codedText(code, message)}\n`))
  events.on('risk-config', ({ serial }) => io.out(`risk config serial ${serial} applied\n`))
  events.on('revocations', ({ serial, count }) => io.out(`revocations at serial ${serial} (${count} vouchers refused)\n`))
  events.on('proofs-kept', ({ batchId, stored }) => io.out(`anchoring proofs of batch ${batchId} kept (${stored} new)\n`))
  events.on('records-pruned', ({ count, throughSeq }) => io.out(`${count} proved records pruned (up to #${throughSeq})\n`))
  events.on('lora-report', ({ gatewaySeq, unsyncedCount }) => io.out(`lora report sent: head #${gatewaySeq}, ${unsyncedCount} offline payments unsynced\n`))
  events.on('lora-revocations', ({ kind, serial, count }) => io.out(`lora revocations (${kind} at serial ${serial}): ${count} vouchers refused from now on\n`))
}

export async function runCounter(
  store: TerminalStore, config: TerminalConfig, hardware: HardwareConfig, host: DeviceHost, io: RunIo, decorations: RunDecorations = {},
): Promise<number> {
  if (hardware.nfc === undefined && hardware.ble === undefined) {
    throw new TerminalError('DEVICE_MISSING', 'the hardware file names no NFC reader and no BLE: no phone can pay (see payall-terminal doctor, or run --simulate)')
  }
  const currency = store.riskConfig()?.currency
  if (currency === undefined) throw new TerminalError('NOT_PROVISIONED', 'no RiskConfig: provision the gateway first')
  const devices = await openDevices(hardware, host, io.clock)
  try {
    const printer = decorations.printer?.(devices.printer) ?? devices.printer
    const loraJoin: LoraJoinSettings | undefined = hardware.lora === undefined ? undefined
      : { region: hardware.lora.region, devEui: store.identity().eui, appEui: hardware.lora.appEui, appKey: hardware.lora.appKey }
    const runtime = startRuntime(
      store,
      {
        phone: devices.phone!, display: devices.display, printer,
        // keepJoined joins the modem at start; the reporter joins it again whenever it loses its session.
        ...(devices.lora !== undefined && { lora: devices.lora, ...(loraJoin !== undefined && { loraJoin }) }),
      },
      config,
      { clock: io.clock, random: io.random, ...(io.loraClock !== undefined && { loraClock: io.loraClock }) },
      io.syncOptions,
    )
    logEvents(runtime.events, io)
    const controller = new AbortController()
    // Not awaited: a join in flight ends when the modem is closed below, and the loop with the signal.
    if (devices.lora !== undefined && loraJoin !== undefined) void keepJoined(devices, loraJoin, controller.signal, io)
    const counter = new Counter({
      payments: runtime.payments, keypad: devices.keypad, display: devices.display, language: config.language,
      currency: () => store.riskConfig()?.currency ?? currency,
      onError: error => io.err(`payment: ${errorText(error)}\n`),
    }, controller.signal)
    decorations.started?.(devices)
    let looping = true
    const loop = counter.run().finally(() => { looping = false })
    // Healthy: the counter loop still runs and the store still answers a read.
    const watchdog = serviceWatchdog(io, () => looping && store.chainHead().gatewaySeq >= 0)
    try {
      // Not awaited: the loop's own failure must meet its handler below at once; ready() never rejects.
      void watchdog?.ready()
      await Promise.race([io.stopSignal().then(() => io.out('stopping…\n')), loop])
      await watchdog?.stopping()
      controller.abort()
      await loop
      await runtime.stop()
    } finally {
      watchdog?.close()
    }
    return 0
  } finally {
    await decorations.stop?.()
    await devices.close()
  }
}

/** systemd's watchdog while the counter runs, when the terminal runs as a Type=notify service. */
function serviceWatchdog(io: RunIo, healthy: () => boolean): ServiceWatchdog | undefined {
  const env = io.env ?? {}
  const notify = io.notify ?? systemdNotify(env)
  if (notify === undefined) return undefined
  return new ServiceWatchdog({
    notify, clock: io.clock, interval_ms: watchdogInterval_ms(env, process.pid), healthy,
    onError: error => io.err(`systemd: ${error.message}\n`),
  })
}

/** Joins the LoRa network, again after each failure, until stopped: payments never wait for it. */
async function keepJoined(
  devices: TerminalDevices, settings: LoraJoinSettings, signal: AbortSignal, io: Pick<RunIo, 'out' | 'err' | 'clock'>,
): Promise<void> {
  const modem = devices.lora!
  while (!signal.aborted && !modem.joined) {
    try {
      await modem.join(settings)
      io.out(`lora joined (${modem.model}, ${settings.region})\n`)
    } catch (error) {
      io.err(`lora: join failed: ${errorText(error)}; trying again in ${LORA_REJOIN_MS / 1000} s\n`)
      await new Promise<void>(resolve => {
        const cancel = io.clock.setTimer(resolve, LORA_REJOIN_MS)
        signal.addEventListener('abort', () => {
          cancel()
          resolve()
        }, { once: true })
      })
    }
  }
}

/** A printer that also tells: for the simulator's echo of what came out on paper. */
export function afterPrint(inner: Printer, then: () => void): Printer {
  return {
    async print(text: string, extras?: PrintExtras) {
      try {
        await inner.print(text, extras)
      } finally {
        then()
      }
    },
  }
}
