// A simulated gateway around a real terminal store: the real runtime (payment flow, sync), a
// counter where virtual phones tap, and a relay to the broker that can be cut and restored.

import mqtt from 'mqtt'
import { systemClock, systemRandom, type Clock, type RandomBytes } from '../../protocol/clock'
import { paymentRequestCodec } from '../../protocol/messages/payment-request'
import { paymentResponseCodec } from '../../protocol/messages/payment-response'
import type { Display, Printer, Screen } from '../../hardware/devices'
import { DEFAULT_CONFIG, type TerminalConfig } from '../../terminal/config'
import type { TerminalEmitter } from '../../terminal/events'
import type { PaymentOutcome, PaymentPolicy, PaymentTerminal, PhoneLink } from '../../terminal/payment'
import { startRuntime } from '../../terminal/runtime'
import type { StoredRecord, TerminalStore } from '../../terminal/store/store'
import type { SyncOptions, TerminalSync } from '../../terminal/sync'
import { LinkProxy } from '../link-proxy'
import { FleetError } from './errors'
import type { VirtualPhone } from '../phone'

/** The phone the customer holds to the terminal: whoever taps next. */
export class Counter implements PhoneLink {
  tapped: VirtualPhone | undefined

  async exchange(request: Uint8Array): Promise<Uint8Array> {
    if (this.tapped === undefined) throw new Error('nobody tapped')
    return paymentResponseCodec.encode(this.tapped.authorize(paymentRequestCodec.decode(request)))
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
  readonly counter: Counter
  readonly payments: PaymentTerminal
  /** `phone` taps, the merchant keys `amountMinor`. */
  pay(phone: VirtualPhone, amount_minor: number, policy?: PaymentPolicy): Promise<PaymentOutcome>
  /** Cuts the link and waits until the terminal knows it is offline. */
  cut(): Promise<void>
  /** Restores the link and waits until the terminal is online again (subscribed, ready to sync). */
  restore(timeout_ms: number): Promise<void>
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
}

/** Starts the runtime over an open, provisioned store, with its link down until `restore()`. */
export async function attachTerminal(store: TerminalStore, dataDir: string, options: AttachOptions = {}): Promise<SimulatedTerminal> {
  const brokerUrl = options.brokerUrl ?? store.mqttSettings()?.url
  if (brokerUrl === undefined) throw new FleetError('NOT_PROVISIONED', `${store.identity().eui} has no MQTT settings: provision it first`)
  const relay = LinkProxy.forUrl(brokerUrl)
  // Reserve a port, then cut: the terminal starts with its link down.
  await relay.up()
  await relay.down()
  const counter = new Counter()
  const { events, sync, payments } = startRuntime(
    store,
    { phone: counter, display: options.display ?? new LastScreen(), printer: options.printer ?? NO_PRINTER },
    options.config ?? DEFAULT_CONFIG,
    { clock: options.clock ?? systemClock, random: options.random ?? systemRandom },
    {
      reconnectInitialMs: 20, reconnectMaxMs: 200,
      connect: (_url, connectOptions) => mqtt.connect(relay.url, connectOptions),
      ...options.syncOptions,
    },
  )
  const eui = store.identity().eui
  return {
    eui, dataDir, store, sync, events, relay, counter, payments,
    pay(phone, amount_minor, policy) {
      counter.tapped = phone
      return payments.take(amount_minor, policy)
    },
    async cut() {
      const down = sync.online ? events.next('link', ({ online }) => !online) : undefined
      await relay.down()
      await down
    },
    async restore(timeout_ms) {
      await relay.up()
      if (!(await sync.waitOnline(timeout_ms))) throw new FleetError('LINK_TIMEOUT', `${eui} did not come back online within ${timeout_ms} ms`)
    },
    async shutDown() {
      await sync.stop()
      await relay.down()
      store.close()
    },
  }
}

/** Sync rounds `payAndSettle` tries before it reports a terminal that keeps failing to upload. */
const SETTLE_ROUNDS_MAX = 5

/**
 * `phone` taps `terminal` for `amount_minor`; resolves with the approved record once the hub has
 * acked it as settled (now, or before when it approved the payment online). Anything else throws.
 */
export async function payAndSettle(terminal: SimulatedTerminal, phone: VirtualPhone, amount_minor: number): Promise<StoredRecord> {
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
