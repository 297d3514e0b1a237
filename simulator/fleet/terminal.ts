// A simulated gateway around a real terminal store: the real runtime (payment flow, sync), a
// counter where virtual phones tap, a relay to the broker that can be cut and restored, and a
// power supply that can be cut (the gateway then comes back as a new runtime over the same files).

import mqtt from 'mqtt'
import { systemClock, systemRandom, type Clock, type RandomBytes } from '../../protocol/clock'
import type { Authorization } from '../../protocol/messages/authorization'
import { paymentRequestCodec, type PaymentRequest } from '../../protocol/messages/payment-request'
import { paymentResponseCodec } from '../../protocol/messages/payment-response'
import type { Voucher } from '../../protocol/messages/voucher'
import type { Display, Printer, Screen } from '../../hardware/devices'
import type { LoraJoinSettings, LoraModem } from '../../hardware/lora/modem'
import { DEFAULT_CONFIG, type TerminalConfig } from '../../terminal/config'
import type { TerminalEmitter } from '../../terminal/events'
import type { LoraReporter } from '../../terminal/lora'
import type { PaymentOutcome, PaymentPolicy, PaymentTerminal, PhoneLink } from '../../terminal/payment'
import { startRuntime } from '../../terminal/runtime'
import { TerminalStore, type StoredRecord } from '../../terminal/store/store'
import type { SyncOptions, TerminalSync } from '../../terminal/sync'
import { LinkProxy, type LinkInspector } from '../link-proxy'
import { FleetError } from './errors'
import { PowerLost, PowerLine } from './power'

/** What taps the reader: a customer's phone, or anything that answers a payment request the same way. */
export interface Tapper {
  authorize(request: PaymentRequest): { voucher: Voucher; authorization: Authorization }
}

/** Where a power cut armed for the next payment falls. */
export type PaymentPowerCut =
  /** The phone has signed its answer; the terminal has not read it. */
  | 'tap'
  /** The record is committed; the display has not said approved. */
  | 'commit'

/** The phone the customer holds to the terminal: whoever taps next. */
export class Counter implements PhoneLink {
  tapped: Tapper | undefined
  /** The answer given to the last request, as the phone signed it. */
  lastAnswer: { voucher: Voucher; authorization: Authorization } | undefined

  constructor(private readonly afterAnswer: () => void = () => undefined) {}

  async exchange(request: Uint8Array): Promise<Uint8Array> {
    if (this.tapped === undefined) throw new Error('nobody tapped')
    const answer = this.tapped.authorize(paymentRequestCodec.decode(request))
    this.lastAnswer = answer
    this.afterAnswer()
    return paymentResponseCodec.encode(answer)
  }
}

/** A display nobody watches: keeps only the screen shown last. */
export class LastScreen implements Display {
  last: Screen | undefined
  show(screen: Screen): void {
    this.last = screen
  }
}

/** A printer out of paper nobody minds: receipts go nowhere. */
export const NO_PRINTER: Printer = { print: async () => undefined }

export interface SimulatedTerminal {
  readonly eui: string
  readonly dataDir: string
  readonly store: TerminalStore
  readonly sync: TerminalSync
  readonly events: TerminalEmitter
  /** The terminal's only way to its broker. */
  readonly relay: LinkProxy
  /** Its LoRa reporter, when the gateway carries a modem. */
  readonly lora: LoraReporter | undefined
  readonly counter: Counter
  readonly payments: PaymentTerminal
  /** What this runtime runs on: cut, it stops at once and its store is closed. */
  readonly power: PowerLine
  /** Set, the next payment loses the power at that point (PowerLost); cleared when it does. */
  powerCutAt: PaymentPowerCut | undefined
  /** `phone` taps, the merchant keys `amountMinor`. */
  pay(phone: Tapper, amount_minor: number, policy?: PaymentPolicy): Promise<PaymentOutcome>
  /** Cuts the link and waits until the terminal knows it is offline. */
  cut(): Promise<void>
  /** Restores the link and waits until the terminal is online again (subscribed, ready to sync), or its link is cut again. */
  restore(timeout_ms: number): Promise<void>
  /**
   * After a power cut: the gateway boots again, a new runtime over the same data directory and
   * relay; with the relay up, once it is online again (within `timeout_ms`), unless `timeout_ms` is
   * undefined (a gateway whose connections the hub refuses boots offline).
   */
  powerOn(timeout_ms: number | undefined): Promise<SimulatedTerminal>
  /** Stops the sync, cuts the relay and closes the store (what a shutdown does). */
  shutDown(): Promise<void>
}

export interface AttachOptions {
  readonly display?: Display
  readonly printer?: Printer
  readonly config?: TerminalConfig
  readonly clock?: Clock
  /** Request nonces of the payment flow. */
  readonly random?: RandomBytes
  /** The broker to relay to; the one provisioning stored by default. */
  readonly brokerUrl?: string
  readonly syncOptions?: Partial<SyncOptions>
  /** Reads every MQTT packet through the relay (the fault simulation's network). */
  readonly inspector?: LinkInspector
  /** The relay of an earlier runtime of this gateway, as it is (up or down). */
  readonly relay?: LinkProxy
  /** Sees each store the gateway runs over, at every boot (the fault simulation keeps a full disk full). */
  readonly opened?: (store: TerminalStore) => void
  /** The gateway's LoRa modem, joined, and the clock of its reports, if it carries one; asked at every boot. */
  readonly lora?: (eui: string) => Promise<{ readonly modem: LoraModem; readonly join: LoraJoinSettings; readonly clock: Clock } | undefined>
}

/** Starts the runtime over an open, provisioned store, with its link down until `restore()` (or as `relay` is). */
export async function attachTerminal(store: TerminalStore, dataDir: string, options: AttachOptions = {}): Promise<SimulatedTerminal> {
  const link = options.relay ?? await newRelay(store, options)
  options.opened?.(store)
  const power = new PowerLine()
  // The cut drops the connection as a dead gateway drops it (no DISCONNECT), then closes the store: nothing is written after it.
  power.onCut(() => link.reset())
  const cutAt = (point: PaymentPowerCut): void => {
    if (simulated.powerCutAt !== point) return
    simulated.powerCutAt = undefined
    power.cut()
    throw new PowerLost()
  }
  const counter = new Counter(() => cutAt('tap'))
  const display = options.display ?? new LastScreen()
  const eui = store.identity().eui, lora = await options.lora?.(eui)
  const { events, sync, payments, lora: reporter } = startRuntime(
    store,
    {
      phone: { exchange: request => {
        power.check()
        return counter.exchange(request)
      } },
      display: { show: screen => {
        power.check()
        if (screen.kind === 'approved') cutAt('commit')
        display.show(screen)
      } },
      printer: options.printer ?? NO_PRINTER, ...(lora !== undefined && { lora: lora.modem, loraJoin: lora.join }),
    },
    options.config ?? DEFAULT_CONFIG,
    { clock: power.clock(options.clock ?? systemClock), random: options.random ?? systemRandom, ...(lora !== undefined && { loraClock: lora.clock }) },
    { reconnectInitialMs: 20, reconnectMaxMs: 200, connect: poweredConnect(power, link), ...options.syncOptions },
  )
  // The runtime stops where it stands: no timer fires (the power's clock), the LoRa reporter lets go of the modem
  // (which outlives it) at once, the client never reconnects (its sync is stopped; its connection is already gone,
  // so nothing is sent), and the store, closed, takes no more writes.
  power.onCut(() => {
    reporter?.stop().catch(() => undefined)
    sync.stop().catch(() => undefined)
    store.close()
  })
  const simulated: SimulatedTerminal = {
    eui, dataDir, store, sync, events, relay: link, lora: reporter, counter, payments, power, powerCutAt: undefined,
    pay(phone, amount_minor, policy) {
      counter.tapped = phone
      return payments.take(amount_minor, policy)
    },
    async cut() {
      const down = sync.online ? events.next('link', ({ online }) => !online) : undefined
      await link.down()
      await down
    },
    async restore(timeout_ms) {
      await link.up()
      const cutAgain = link.nextDown().then(() => 'cut' as const)
      const online = await Promise.race([sync.waitOnline(timeout_ms), cutAgain])
      if (online === false) throw new FleetError('LINK_TIMEOUT', `${eui} did not come back online within ${timeout_ms} ms`)
    },
    async powerOn(timeout_ms) {
      power.cut()
      const next = await attachTerminal(TerminalStore.open(dataDir), dataDir, { ...options, relay: link })
      if (link.isUp && timeout_ms !== undefined) await next.restore(timeout_ms)
      return next
    },
    async shutDown() {
      if (power.isOn) {
        await sync.stop()
        power.cut()
      }
      await link.close()
    },
  }
  return simulated
}

/** A relay to the store's broker on a port of its own, down. */
async function newRelay(store: TerminalStore, options: AttachOptions): Promise<LinkProxy> {
  const brokerUrl = options.brokerUrl ?? store.mqttSettings()?.url
  if (brokerUrl === undefined) throw new FleetError('NOT_PROVISIONED', `${store.identity().eui} has no MQTT settings: provision it first`)
  const relay = LinkProxy.forUrl(brokerUrl, undefined, { keepPort: true })
  relay.inspector = options.inspector
  // Reserve a port, then cut: the terminal starts with its link down.
  await relay.up()
  await relay.down()
  return relay
}

/** mqtt.connect through the relay, while the power is on. */
function poweredConnect(power: PowerLine, relay: LinkProxy): NonNullable<SyncOptions['connect']> {
  return (_url, connectOptions) => {
    power.check()
    return mqtt.connect(relay.url, connectOptions)
  }
}

/** Sync rounds `payAndSettle` tries before it reports a terminal that keeps failing to upload. */
const SETTLE_ROUNDS_MAX = 5

/**
 * `phone` taps `terminal` for `amount_minor`; resolves with the approved record once the hub has
 * acked it as settled (now, or before when it approved the payment online). Anything else throws.
 */
export async function payAndSettle(terminal: SimulatedTerminal, phone: Tapper, amount_minor: number): Promise<StoredRecord> {
  const outcome = await terminal.pay(phone, amount_minor)
  if (outcome.kind !== 'approved') {
    throw new FleetError('PAYMENT_NOT_APPROVED', `${terminal.eui}: ${outcome.kind === 'declined' ? `declined, ${outcome.message}` : 'cancelled'}`)
  }
  const seq = outcome.record.gatewaySeq
  for (let round = 1; round <= SETTLE_ROUNDS_MAX; round++) {
    const report = await terminal.sync.syncNow()
    const [record] = terminal.store.recordsFrom(seq, 1)
    if (record?.ackOutcome === 'settled' || record?.ackOutcome === 'duplicate') return record
    if (record?.ackOutcome != null) throw new FleetError('PAYMENT_NOT_SETTLED', `${terminal.eui} #${seq}: the hub acked it ${record.ackOutcome}`)
    if (report.error !== null) throw new FleetError('PAYMENT_NOT_SETTLED', `${terminal.eui} #${seq}: ${report.error.code} ${report.error.message}`)
  }
  throw new FleetError('PAYMENT_NOT_SETTLED', `${terminal.eui} #${seq} still unacked after ${SETTLE_ROUNDS_MAX} sync rounds`)
}
