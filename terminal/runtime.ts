// The terminal assembled: one store, one sync, one payment flow and the events between them, so
// an app (and `run`, once the device drivers exist) starts a whole gateway with one call.

import { nodeEd25519 } from '../protocol/signature/node'
import type { Ed25519 } from '../protocol/signature/ed25519'
import type { TerminalConfig } from './config'
import { DAY_MS, type Clock, type RandomBytes } from '../protocol/clock'
import { TerminalEmitter } from './events'
import type { LoraJoinSettings, LoraModem } from '../hardware/lora/modem'
import { LoraReporter } from './lora'
import { PaymentTerminal, type Display, type PhoneLink, type Printer } from './payment'
import type { TerminalStore } from './store/store'
import { TerminalSync, type SyncOptions } from './sync'

export interface RuntimeDevices {
  readonly phone: PhoneLink
  readonly display: Display
  readonly printer: Printer
  /** A joined LoRaWAN modem: reports go out through it while the IP link is down, revocations come in. */
  readonly lora?: LoraModem
  /** How the modem joins: the reporter joins it again when it loses its session. */
  readonly loraJoin?: LoraJoinSettings
}

export interface TerminalRuntime {
  readonly store: TerminalStore
  readonly events: TerminalEmitter
  readonly sync: TerminalSync
  readonly payments: PaymentTerminal
  readonly lora: LoraReporter | undefined
  /** Stops the sync and the LoRa reporter; the caller closes the store it opened. */
  stop(): Promise<void>
}

export interface TerminalEnvironment {
  readonly clock: Clock
  readonly random: RandomBytes
  readonly ed25519?: Ed25519
  /** The LoRa reporter's clock when a test moves its interval apart from the rest; `clock` otherwise. */
  readonly loraClock?: Clock
}

export function startRuntime(
  store: TerminalStore,
  devices: RuntimeDevices,
  config: TerminalConfig,
  environment: TerminalEnvironment,
  syncOptions: Partial<SyncOptions> = {},
): TerminalRuntime {
  const events = new TerminalEmitter()
  const ed25519 = environment.ed25519 ?? nodeEd25519
  const sync = new TerminalSync({
    store, events, clock: environment.clock, random: environment.random, ed25519,
    recordRetentionMs: config.recordRetentionDays * DAY_MS, ...syncOptions,
  })
  const payments = new PaymentTerminal({
    store, ...devices, online: sync, refunder: sync, events, clock: environment.clock, random: environment.random, ed25519,
    language: config.language, merchantName: config.merchantName, policy: config.policy,
    printReceipts: config.printReceipts, utcOffsetMinutes: config.utcOffsetMinutes,
  })
  // A recorded payment goes up as soon as the link allows.
  events.on('payment-approved', () => sync.kick())
  // An online request the counter gave up on goes back to the hub as a void at once (or at the next link-up).
  events.on('online-void-pending', () => void sync.sendVoids())
  sync.start()
  const lora = devices.lora === undefined ? undefined : new LoraReporter({
    store, events, modem: devices.lora, clock: environment.loraClock ?? environment.clock, ed25519,
    online: sync.online, ...(devices.loraJoin !== undefined && { join: devices.loraJoin }),
    settings: { interval_ms: config.loraIntervalMinutes * 60_000, uplinkPort: config.loraUplinkPort, downlinkPort: config.loraDownlinkPort },
  })
  lora?.start()
  return {
    store, events, sync, payments, lora,
    stop: async () => {
      await lora?.stop()
      await sync.stop()
    },
  }
}
