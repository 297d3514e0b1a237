// The payment flow at the counter as a state machine over injected devices: keypad → amount →
// request to the phone → checks → online authorization or offline approval → durable record →
// "approved" and a receipt. The record is committed before the display says approved, and the
// display always says which mode was used.

import { toHex } from '../protocol/bytes'
import { ProtocolError, assert } from '../protocol/errors'
import type { Authorization } from '../protocol/messages/authorization'
import { NONCE_BYTES } from '../protocol/messages/fields'
import { paymentRequestCodec, type PaymentRequest } from '../protocol/messages/payment-request'
import { paymentResponseCodec, type PaymentResponse } from '../protocol/messages/payment-response'
import { OnlinePolicy } from '../protocol/messages/risk-config'
import { PaymentMode } from '../protocol/messages/transfer-record'
import { formatMoney } from '../protocol/money'
import { Reason } from '../protocol/reasons'
import type { Ed25519 } from '../protocol/signature/ed25519'
import { dayBounds, dayReportOf, dayReportText, type DayReport } from './day-report'
import type { Clock, RandomBytes } from './environment'
import { TerminalError } from './errors'
import type { TerminalEmitter } from './events'
import { EMPTY_ENTRY, entryText, pressKey, type AmountEntry, type Key } from './keypad'
import { modeNoteText, receiptOf, type ModeNote, type Receipt } from './receipt'
import { checkAnswer, checkOfflineLimits, checkOfflineTaking, GATEWAY_LIMIT_REASONS, type Verdict } from './risk'
import type { StoredRecord, TerminalStore } from './store/store'
import { reasonText, screenText, type Language } from './texts'

import type { Display, Keypad, PhoneLink, Printer, Screen, ScreenKind } from '../hardware/devices'

export type { Display, Keypad, PhoneLink, Printer, Screen, ScreenKind }

export type OnlineAnswer = { readonly approved: boolean; readonly reason: Reason }

export interface OnlineAuthorizer {
  /** Whether the link to the hub is up now. */
  readonly online: boolean
  /** The hub's answer, or 'unreachable' when none came in time (the hub may still have settled it). */
  authorize(authorization: Authorization): Promise<OnlineAnswer | 'unreachable'>
}

export type PaymentPolicy = 'prefer-online' | 'require-online' | 'force-offline'
export const PAYMENT_POLICIES: readonly PaymentPolicy[] = ['prefer-online', 'require-online', 'force-offline']

export function policyOf(policy: OnlinePolicy): PaymentPolicy {
  switch (policy) {
    case OnlinePolicy.RequireOnline: return 'require-online'
    case OnlinePolicy.ForceOffline: return 'force-offline'
    default: return 'prefer-online'
  }
}

/** The first route a payment takes, decided before the customer taps. */
export type ModePlan =
  | { readonly kind: 'online'; readonly mayFallBack: boolean }
  | { readonly kind: 'offline'; readonly note: ModeNote }
  | { readonly kind: 'decline'; readonly reason: Reason }

export function planMode(policy: PaymentPolicy, linkOnline: boolean): ModePlan {
  switch (policy) {
    case 'force-offline':
      return { kind: 'offline', note: 'offline' }
    case 'require-online':
      return linkOnline ? { kind: 'online', mayFallBack: false } : { kind: 'decline', reason: Reason.OnlineRequired }
    case 'prefer-online':
      return linkOnline ? { kind: 'online', mayFallBack: true } : { kind: 'offline', note: 'offline-link-down' }
  }
}

export type PaymentState =
  | 'idle' | 'amount' | 'requesting' | 'checking' | 'authorizing' | 'recording' | 'approved' | 'declined' | 'cancelled'

const TRANSITIONS: Record<PaymentState, readonly PaymentState[]> = {
  idle: ['amount', 'requesting', 'declined'],
  amount: ['requesting', 'declined', 'cancelled'],
  requesting: ['checking', 'declined', 'cancelled'],
  checking: ['authorizing', 'recording', 'declined'],
  authorizing: ['recording', 'declined'],
  recording: ['approved', 'declined'],
  approved: ['idle'],
  declined: ['idle'],
  cancelled: ['idle'],
}

export type PaymentOutcome =
  | { readonly kind: 'approved'; readonly record: StoredRecord; readonly modeNote: ModeNote; readonly receipt: Receipt }
  | { readonly kind: 'declined'; readonly reason: Reason; readonly message: string; readonly detail: string }
  | { readonly kind: 'cancelled' }

export interface PaymentTerminalOptions {
  readonly store: TerminalStore
  readonly phone: PhoneLink
  readonly display: Display
  readonly printer: Printer
  readonly online: OnlineAuthorizer
  readonly events: TerminalEmitter
  readonly clock: Clock
  readonly random: RandomBytes
  readonly ed25519: Ed25519
  readonly language: Language
  readonly merchantName: string
  /** The terminal's policy; undefined follows the hub's RiskConfig default. */
  readonly policy?: PaymentPolicy
  /** Print a receipt for each approved payment. */
  readonly printReceipts?: boolean
  /** Where the merchant's day starts, in minutes east of UTC. */
  readonly utcOffsetMinutes?: number
}

export class PaymentTerminal {
  private currentState: PaymentState = 'idle'

  constructor(private readonly options: PaymentTerminalOptions) {}

  get state(): PaymentState {
    return this.currentState
  }

  /** Reads the amount from the keypad, then takes the payment. */
  async takeFromKeypad(keypad: Keypad, policy?: PaymentPolicy): Promise<PaymentOutcome> {
    this.requireIdle()
    const currency = this.currency()
    return this.settleState(async () => {
      this.move('amount')
      let entry: AmountEntry = EMPTY_ENTRY
      this.showAmount(entry, currency)
      // Each key is one bounded step; the loop ends when the merchant enters an amount or cancels.
      for (;;) {
        const step = pressKey(entry, await keypad.nextKey())
        if (step.kind === 'cancelled') return this.cancel()
        if (step.kind === 'entered') return this.run(step.amountMinor, policy)
        entry = step.entry
        this.showAmount(entry, currency)
      }
    })
  }

  /** Takes a payment of `amountMinor` in the gateway's currency. */
  async take(amountMinor: number, policy?: PaymentPolicy): Promise<PaymentOutcome> {
    this.requireIdle()
    if (!Number.isSafeInteger(amountMinor) || amountMinor <= 0) {
      throw new TerminalError('BAD_ARGUMENT', `an amount is a positive integer of minor units, got ${amountMinor}`)
    }
    return this.settleState(() => this.run(amountMinor, policy))
  }

  /** Back to idle once a payment ends; after an error (the record was not written) without ceremony. */
  private async settleState(payment: () => Promise<PaymentOutcome>): Promise<PaymentOutcome> {
    try {
      const outcome = await payment()
      this.move('idle')
      return outcome
    } catch (error) {
      this.currentState = 'idle'
      throw error
    }
  }

  /** The day's takings (the day containing now, in the terminal's zone), shown and printed. */
  async dayReport(print = true): Promise<DayReport> {
    const { store, clock, display, printer, language } = this.options
    const { fromMs, toMs } = dayBounds(clock.nowMs(), this.options.utcOffsetMinutes ?? 0)
    const report = dayReportOf(store.dayTotals(fromMs, toMs), fromMs, toMs)
    const text = dayReportText(report, language)
    display.show({ kind: 'report', lines: text.trimEnd().split('\n') })
    if (print) await printer.print(text)
    return report
  }

  private async run(amountMinor: number, policyOverride: PaymentPolicy | undefined): Promise<PaymentOutcome> {
    const { store, clock, random, online, display, language } = this.options
    const eui = store.identity().eui
    const pin = store.requireHubPin()
    const config = store.riskConfig()
    if (config === undefined) throw new TerminalError('NOT_PROVISIONED', 'no RiskConfig: provision the gateway first')
    const currency = config.currency
    const policy = policyOverride ?? this.options.policy ?? policyOf(config.defaultPolicy)

    const plan = planMode(policy, online.online)
    if (plan.kind === 'decline') return this.decline(plan.reason, `policy ${policy} with the link down`, amountMinor, currency)
    if (plan.kind === 'offline') {
      const early = checkOfflineLimits(amountMinor, currency, config, store.exposure(currency), clock.nowMs())
      if (!early.ok) return this.decline(early.reason, early.detail, amountMinor, currency)
    }

    this.move('requesting')
    const request: PaymentRequest = {
      gatewayEui: eui, amountMinor, currency, nonce: random(NONCE_BYTES), timeMs: clock.nowMs(),
      merchantName: this.options.merchantName,
    }
    assert(request.nonce.length === NONCE_BYTES, 'a request nonce is 16 random bytes')
    store.openRequest(request)
    display.show({ kind: 'tap', lines: [formatMoney(amountMinor, currency), screenText('tapPhone', language)] })
    const response = await this.exchange(request)
    if (response === undefined) {
      store.closeRequest(request.nonce)
      return this.decline(Reason.BadFormat, 'no readable answer from the phone', amountMinor, currency, screenText('phoneFailed', language))
    }

    this.move('checking')
    display.show({ kind: 'checking', lines: [formatMoney(amountMinor, currency), screenText('checking', language)] })
    const seen = store.voucherSeen(response.authorization.voucherId)
    const answer = checkAnswer({
      request, requestOpen: store.isRequestOpen(request.nonce), response, hubPublicKey: pin.publicKey,
      clockSkewMaxMs: config.clockSkewMaxMs, revoked: store.isRevoked(response.voucher.voucherId), seen,
      nowMs: clock.nowMs(), ed25519: this.options.ed25519,
    })
    if (!answer.ok) return this.declineRequest(request, answer)

    let note: ModeNote
    if (plan.kind === 'online') {
      this.move('authorizing')
      display.show({ kind: 'online', lines: [formatMoney(amountMinor, currency), screenText('askingHub', language)] })
      const hub = await online.authorize(response.authorization)
      if (hub !== 'unreachable') {
        if (!hub.approved) return this.declineRequest(request, { ok: false, reason: hub.reason, detail: 'declined by the hub' })
        return await this.record(request, response, PaymentMode.Online, 'online')
      }
      if (!plan.mayFallBack) {
        return this.declineRequest(request, { ok: false, reason: Reason.HubUnavailable, detail: 'no answer from the hub in time' })
      }
      // prefer-online: the same authorization is taken offline. Had the hub approved it after
      // all, the record carries the same transfer id and the hub settles it once.
      note = 'offline-hub-unreachable'
    } else {
      note = plan.note
    }
    const taking = checkOfflineTaking(
      amountMinor, currency, config, store.exposure(currency), seen, clock.nowMs(),
    )
    if (!taking.ok) return this.declineRequest(request, taking)
    return await this.record(request, response, PaymentMode.Offline, note)
  }

  /** The phone's answer, or undefined when there is none or it cannot be read. */
  private async exchange(request: PaymentRequest): Promise<PaymentResponse | undefined> {
    let bytes: Uint8Array
    try {
      bytes = await this.options.phone.exchange(paymentRequestCodec.encode(request))
    } catch {
      return undefined
    }
    try {
      return paymentResponseCodec.decode(bytes)
    } catch (error) {
      if (error instanceof ProtocolError) return undefined
      throw error
    }
  }

  private async record(request: PaymentRequest, response: PaymentResponse, mode: PaymentMode, note: ModeNote): Promise<PaymentOutcome> {
    const { store, clock, display, printer, events, language } = this.options
    if (this.currentState !== 'recording') this.move('recording')
    // Durable before anything says approved: if this throws, nothing was written and nothing shown.
    const record = store.appendPayment({ authorization: response.authorization, voucher: response.voucher, mode, nowMs: clock.nowMs() })
    this.move('approved')
    const receipt = receiptOf(record, { merchantName: this.options.merchantName, eui: request.gatewayEui, modeNote: note, language })
    display.show({
      kind: 'approved',
      lines: [screenText('approved', language), formatMoney(record.amountMinor, record.currency), modeNoteText(note, language), ...receipt.text.trimEnd().split('\n')],
    })
    events.emit('payment-approved', {
      gatewaySeq: record.gatewaySeq, transferIdHex: toHex(record.transferId), amountMinor: record.amountMinor,
      currency: record.currency, mode: record.mode,
    })
    if (this.options.printReceipts ?? true) {
      // The payment is recorded: a jammed printer is the merchant's problem to see, not a decline.
      await printer.print(receipt.text).catch(() => undefined)
    }
    return { kind: 'approved', record, modeNote: note, receipt }
  }

  private declineRequest(request: PaymentRequest, verdict: Verdict & { ok: false }): PaymentOutcome {
    this.options.store.closeRequest(request.nonce)
    return this.decline(verdict.reason, verdict.detail, request.amountMinor, request.currency)
  }

  private decline(reason: Reason, detail: string, amountMinor: number, currency: string, message?: string): PaymentOutcome {
    const { display, events, language } = this.options
    this.move('declined')
    const text = message ?? reasonText(reason, language)
    display.show({ kind: 'declined', lines: [screenText('declined', language), formatMoney(amountMinor, currency), text] })
    events.emit('payment-declined', { reason, amountMinor, currency })
    if (GATEWAY_LIMIT_REASONS.has(reason)) events.emit('limit-reached', { reason })
    return { kind: 'declined', reason, message: text, detail }
  }

  private cancel(): PaymentOutcome {
    this.move('cancelled')
    this.options.display.show({ kind: 'cancelled', lines: [screenText('cancelled', this.options.language)] })
    return { kind: 'cancelled' }
  }

  private showAmount(entry: AmountEntry, currency: string): void {
    this.options.display.show({ kind: 'amount', lines: [screenText('enterAmount', this.options.language), entryText(entry, currency)] })
  }

  private currency(): string {
    const config = this.options.store.riskConfig()
    if (config === undefined) throw new TerminalError('NOT_PROVISIONED', 'no RiskConfig: provision the gateway first')
    return config.currency
  }

  private requireIdle(): void {
    if (this.currentState !== 'idle') throw new TerminalError('PAYMENT_IN_PROGRESS', `a payment is in progress (${this.currentState})`)
  }

  private move(to: PaymentState): void {
    assert(TRANSITIONS[this.currentState].includes(to), `payment state ${this.currentState} → ${to} is not a transition`)
    this.currentState = to
  }
}
