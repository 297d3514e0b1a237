// The payment flow at the counter as a state machine over injected devices: keypad → amount →
// request to the phone → checks → online authorization or offline approval → durable record →
// "approved" and a receipt. The record is committed before the display says approved, and the
// display always says which mode was used.

import { toHex } from '../protocol/bytes'
import { CodedError, ProtocolError, assert, errorText } from '../protocol/errors'
import { transferIdOf, type Authorization } from '../protocol/messages/authorization'
import { ID_BYTES, NONCE_BYTES } from '../protocol/messages/fields'
import { paymentRequestCodec, type PaymentRequest } from '../protocol/messages/payment-request'
import { paymentResponseCodec, type PaymentResponse } from '../protocol/messages/payment-response'
import type { RefundResponseBody } from '../protocol/messages/refund'
import { OnlinePolicy } from '../protocol/messages/risk-config'
import { PaymentMode } from '../protocol/messages/transfer-record'
import { formatMoney } from '../protocol/money'
import { Reason } from '../protocol/reasons'
import type { Ed25519 } from '../protocol/signature/ed25519'
import { dayBounds, dayReportOf, dayReportText, type DayReport } from './day-report'
import type { Clock, RandomBytes } from '../protocol/clock'
import { TerminalError } from './errors'
import type { TerminalEmitter } from './events'
import { EMPTY_ENTRY, entryText, pressKey, type AmountEntry } from './keypad'
import { modeNoteText, receiptOf, refundReceiptOf, type ModeNote, type Receipt } from './receipt'
import { RefundBook, type StoredRefund } from './refunds'
import { checkAnswer, checkOfflineLimits, checkOfflineTaking, GATEWAY_LIMIT_REASONS, type Verdict, type VoucherSeen } from './risk'
import type { StoredRecord, TerminalStore } from './store/store'
import { reasonText, screenText, type Language } from './texts'
import { OnlineAsks } from './voids'

import type { Display, Keypad, PhoneLink, Printer, Screen } from '../hardware/devices'

export type { Display, Keypad, PhoneLink, Printer, Screen,  }

export type OnlineAnswer = { readonly approved: boolean; readonly reason: Reason }

export interface OnlineAuthorizer {
  /** Whether the link to the hub is up now. */
  readonly online: boolean
  /** The hub's answer, or 'unreachable' when none came in time (the hub may still have settled it). */
  authorize(authorization: Authorization): Promise<OnlineAnswer | 'unreachable'>
}

/** The hub's verified answer to a refund, with its bytes as received (kept with the refund). */
export interface RefundAnswer {
  readonly response: RefundResponseBody
  readonly bytes: Uint8Array
}

export interface OnlineRefunder {
  /** Sends a stored, signed RefundRequest; 'unreachable' when no verified answer came in time. */
  refund(request: Uint8Array): Promise<RefundAnswer | 'unreachable'>
}

/** Which payment to refund: by its place in this terminal's chain, or by its transfer id. */
export type RefundTarget = { readonly gatewaySeq: number } | { readonly transferId: Uint8Array }

export type RefundOutcome =
  | { readonly kind: 'approved'; readonly refund: StoredRefund; readonly refundedMinor: number; readonly receipt: string }
  | { readonly kind: 'declined'; readonly reason: Reason; readonly message: string; readonly detail: string; readonly refund?: StoredRefund }
  /** No answer: the refund stays pending and is sent again, unchanged, by the next attempt. */
  | { readonly kind: 'unconfirmed'; readonly refund: StoredRefund; readonly message: string }

export type PaymentPolicy = 'prefer-online' | 'require-online' | 'force-offline'
export const PAYMENT_POLICIES: readonly PaymentPolicy[] = ['prefer-online', 'require-online', 'force-offline']

function policyOf(policy: OnlinePolicy): PaymentPolicy {
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
  | 'refunding'

const TRANSITIONS: Record<PaymentState, readonly PaymentState[]> = {
  idle: ['amount', 'requesting', 'declined', 'refunding'],
  amount: ['requesting', 'declined', 'cancelled'],
  requesting: ['checking', 'declined', 'cancelled'],
  checking: ['authorizing', 'recording', 'declined'],
  authorizing: ['recording', 'declined'],
  recording: ['approved', 'declined'],
  refunding: ['approved', 'declined', 'idle'],
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
  /** Where refunds go; without one, the terminal takes payments but cannot refund. */
  readonly refunder?: OnlineRefunder
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
  private book: RefundBook | undefined
  private asks: OnlineAsks | undefined

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

  /** Takes a payment of `amountMinor` in the gateway's currency; `signal` cancels it while it waits for the tap. */
  async take(amount_minor: number, policy?: PaymentPolicy, signal?: AbortSignal): Promise<PaymentOutcome> {
    this.requireIdle()
    if (!Number.isSafeInteger(amount_minor) || amount_minor <= 0) {
      throw new TerminalError('BAD_ARGUMENT', `an amount is a positive integer of minor units, got ${amount_minor}`)
    }
    return this.settleState(() => this.run(amount_minor, policy, signal))
  }

  /**
   * Gives back `amountMinor` (by default all that is left) of an earlier payment, online only:
   * the signed request is stored before it is sent, and a refund the hub did not answer is sent
   * again unchanged by the next call for the same payment and amount, so it is never made twice.
   */
  async refund(target: RefundTarget, amount_minor?: number): Promise<RefundOutcome> {
    this.requireIdle()
    if (amount_minor !== undefined && (!Number.isSafeInteger(amount_minor) || amount_minor <= 0)) {
      throw new TerminalError('BAD_ARGUMENT', `a refund is a positive integer of minor units, got ${amount_minor}`)
    }
    const { store, clock, random, ed25519, online, language } = this.options
    const refunder = this.options.refunder
    if (refunder === undefined) throw new TerminalError('BAD_ARGUMENT', 'this terminal has no refund link')
    const book = this.refundBook()
    // By number even once pruned: the record leaves its number, transfer id and amount behind.
    const record = 'gatewaySeq' in target ? store.payments.bySeq(target.gatewaySeq) : store.payments.byTransfer(target.transferId)
    if (record === undefined && 'gatewaySeq' in target) {
      throw new TerminalError('BAD_ARGUMENT', `this terminal holds no payment #${target.gatewaySeq}`)
    }
    const transferId = record?.transferId ?? (target as { transferId: Uint8Array }).transferId
    const currency = record?.currency ?? this.currency()
    const earlier = book.ofTransfer(transferId)
    const refunded = earlier.filter(r => r.status === 'approved').reduce((sum, r) => sum + r.amountMinor, 0)
    const amount = amount_minor ?? (record === undefined ? undefined : record.amountMinor - refunded)
    if (amount === undefined) throw new TerminalError('BAD_ARGUMENT', 'give the amount to refund of a payment this terminal no longer holds')

    this.move('refunding')
    const finish = <T extends RefundOutcome>(outcome: T): T => {
      this.move('idle')
      return outcome
    }
    try {
      if (amount <= 0 || (record !== undefined && refunded + amount > record.amountMinor)) {
        return finish(this.declineRefund(Reason.RefundExceedsPayment, `refunded ${refunded} of ${record?.amountMinor}`, amount, currency))
      }
      // A refund that went unanswered is sent again as it was: the hub knows it by its id.
      const refund = earlier.find(r => r.status === 'pending' && r.amountMinor === amount)
        ?? (online.online
          ? book.open({ refundId: random(ID_BYTES), transferId, gatewaySeq: record?.gatewaySeq ?? null, amountMinor: amount, currency, nowMs: clock.now_ms(), ed25519 })
          : undefined)
      if (refund === undefined) {
        return finish(this.declineRefund(Reason.OnlineRequired, 'refunds are made online only', amount, currency, screenText('refundOnlineOnly', language)))
      }
      this.options.display.show({ kind: 'online', lines: [screenText('refund', language), formatMoney(amount, currency), screenText('askingHub', language)] })
      const answer = await refunder.refund(refund.request)
      if (answer === 'unreachable') {
        const message = screenText('refundUnconfirmed', language)
        this.options.display.show({ kind: 'declined', lines: [screenText('refund', language), formatMoney(amount, currency), message] })
        this.options.events.emit('refund-unconfirmed', { refundIdHex: toHex(refund.refundId), amountMinor: amount, currency })
        return finish({ kind: 'unconfirmed', refund, message })
      }
      const stored = book.answer(answer.response, answer.bytes, clock.now_ms()) ?? refund
      if (!answer.response.approved) {
        return finish({ ...this.declineRefund(answer.response.reason, 'declined by the hub', amount, currency), refund: stored })
      }
      const receipt = refundReceiptOf(stored, {
        merchantName: this.options.merchantName, eui: store.identity().eui, language, nowMs: clock.now_ms(),
      })
      this.move('approved')
      const said = [screenText('refunded', language), formatMoney(amount, currency)]
      const receiptLines = receipt.trimEnd().split('\n')
      this.options.display.show({ kind: 'approved', lines: [...said, ...receiptLines] })
      this.options.events.emit('refund-approved', { refundIdHex: toHex(stored.refundId), transferIdHex: toHex(transferId), amountMinor: amount, currency })
      if (this.options.printReceipts ?? true) {
        await this.options.printer.print(receipt).catch((error: unknown) => this.printFailed(error, said, receiptLines))
      }
      return finish({ kind: 'approved', refund: stored, refundedMinor: answer.response.refundedMinor, receipt })
    } catch (error) {
      this.currentState = 'idle'
      throw error
    }
  }

  /** Refunds sent and not answered yet (the hub may have made them): send them again with `refund`. */
  pendingRefunds(): StoredRefund[] {
    return this.refundBook().pending()
  }

  private refundBook(): RefundBook {
    this.book ??= new RefundBook(this.options.store)
    return this.book
  }

  private declineRefund(reason: Reason, detail: string, amount_minor: number, currency: string, message?: string) {
    const { display, events, language } = this.options
    this.move('declined')
    const text = message ?? reasonText(reason, language)
    display.show({ kind: 'declined', lines: [screenText('refund', language), screenText('declined', language), formatMoney(amount_minor, currency), text] })
    events.emit('refund-declined', { reason, amountMinor: amount_minor, currency })
    return { kind: 'declined' as const, reason, message: text, detail }
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
    const { fromMs, toMs } = dayBounds(clock.now_ms(), this.options.utcOffsetMinutes ?? 0)
    const report = dayReportOf(store.dayTotals(fromMs, toMs), fromMs, toMs, this.refundBook().dayTotals(fromMs, toMs))
    const text = dayReportText(report, language)
    display.show({ kind: 'report', lines: text.trimEnd().split('\n') })
    if (print) await printer.print(text)
    return report
  }

  private async run(amount_minor: number, policyOverride: PaymentPolicy | undefined, signal?: AbortSignal): Promise<PaymentOutcome> {
    const { store, clock, random, online, display, language } = this.options
    const eui = store.identity().eui
    const pin = store.requireHubPin()
    const config = store.riskConfig()
    if (config === undefined) throw new TerminalError('NOT_PROVISIONED', 'no RiskConfig: provision the gateway first')
    const currency = config.currency
    const policy = policyOverride ?? this.options.policy ?? policyOf(config.defaultPolicy)

    const plan = planMode(policy, online.online)
    if (plan.kind === 'decline') return this.decline(plan.reason, `policy ${policy} with the link down`, amount_minor, currency)
    if (plan.kind === 'offline') {
      const early = checkOfflineLimits(amount_minor, currency, config, store.exposure(currency), clock.now_ms())
      if (!early.ok) return this.decline(early.reason, early.detail, amount_minor, currency)
    }

    this.move('requesting')
    const request: PaymentRequest = {
      gatewayEui: eui, amountMinor: amount_minor, currency, nonce: random(NONCE_BYTES), timeMs: clock.now_ms(),
      merchantName: this.options.merchantName,
    }
    assert(request.nonce.length === NONCE_BYTES, 'a request nonce is 16 random bytes')
    store.openRequest(request)
    display.show({ kind: 'tap', lines: [formatMoney(amount_minor, currency), screenText('tapPhone', language)] })
    const response = await this.exchange(request, signal)
    if (response === undefined && signal?.aborted === true) {
      // Stopped while the customer had not tapped: nothing was signed, nothing is kept.
      store.closeRequest(request.nonce)
      return this.cancel()
    }
    if (response === undefined) {
      store.closeRequest(request.nonce)
      return this.decline(Reason.BadFormat, 'no readable answer from the phone', amount_minor, currency, screenText('phoneFailed', language))
    }

    this.move('checking')
    display.show({ kind: 'checking', lines: [formatMoney(amount_minor, currency), screenText('checking', language)] })
    const seen = store.voucherSeen(response.authorization.voucherId)
    const answer = checkAnswer({
      request, requestOpen: store.isRequestOpen(request.nonce), response, hubPublicKey: pin.publicKey,
      clockSkewMaxMs: config.clockSkewMaxMs, revoked: store.isRevoked(response.voucher.voucherId), seen,
      nowMs: clock.now_ms(), ed25519: this.options.ed25519,
    })
    if (!answer.ok) return this.declineRequest(request, answer)

    if (plan.kind !== 'online') return this.takeOffline(request, response, seen, plan.note)
    this.move('authorizing')
    display.show({ kind: 'online', lines: [formatMoney(amount_minor, currency), screenText('askingHub', language)] })
    // On file before the request leaves: if the wait ends with no record (or the power goes), it is voided.
    const transferId = transferIdOf(response.authorization)
    const asks = this.onlineAsks()
    asks.asking(transferId, amount_minor, currency, clock.now_ms())
    let outcome: PaymentOutcome
    try {
      const hub = await online.authorize(response.authorization)
      if (hub !== 'unreachable' && !hub.approved) {
        asks.close(transferId)
        return this.declineRequest(request, { ok: false, reason: hub.reason, detail: 'declined by the hub' })
      }
      if (hub !== 'unreachable') outcome = await this.record(request, response, PaymentMode.Online, 'online')
      // prefer-online: the same authorization is taken offline. Had the hub approved it after
      // all, the record carries the same transfer id and the hub settles it once.
      else if (plan.mayFallBack) outcome = await this.takeOffline(request, response, seen, 'offline-hub-unreachable')
      else outcome = this.declineRequest(request, { ok: false, reason: Reason.HubUnavailable, detail: 'no answer from the hub in time' })
    } finally {
      this.endAsk(transferId, amount_minor, currency)
    }
    return outcome
  }

  private async takeOffline(request: PaymentRequest, response: PaymentResponse, seen: VoucherSeen | undefined, note: ModeNote): Promise<PaymentOutcome> {
    const { store, clock } = this.options
    const config = store.riskConfig()!
    const taking = checkOfflineTaking(
      request.amountMinor, request.currency, config, store.exposure(request.currency), seen, clock.now_ms(),
    )
    if (!taking.ok) return this.declineRequest(request, taking)
    return await this.record(request, response, PaymentMode.Offline, note)
  }

  /** The wait for the hub is over: nothing to do for a recorded payment; one the counter did not record is voided. */
  private endAsk(transferId: Uint8Array, amount_minor: number, currency: string): void {
    if (this.onlineAsks().end(transferId, this.options.clock.now_ms()) === 'voided') {
      this.options.events.emit('online-void-pending', { transferIdHex: toHex(transferId), amountMinor: amount_minor, currency })
    }
  }

  private onlineAsks(): OnlineAsks {
    this.asks ??= new OnlineAsks(this.options.store, this.options.ed25519)
    return this.asks
  }

  /** The phone's answer, or undefined when there is none or it cannot be read. */
  private async exchange(request: PaymentRequest, signal: AbortSignal | undefined): Promise<PaymentResponse | undefined> {
    let bytes: Uint8Array
    try {
      bytes = await this.options.phone.exchange(paymentRequestCodec.encode(request), signal)
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
    const record = store.appendPayment({ authorization: response.authorization, voucher: response.voucher, mode, nowMs: clock.now_ms() })
    this.move('approved')
    const receipt = receiptOf(record, { merchantName: this.options.merchantName, eui: request.gatewayEui, modeNote: note, language })
    const said = [screenText('approved', language), formatMoney(record.amountMinor, record.currency), modeNoteText(note, language)]
    const receiptLines = receipt.text.trimEnd().split('\n')
    display.show({ kind: 'approved', lines: [...said, ...receiptLines] })
    events.emit('payment-approved', {
      gatewaySeq: record.gatewaySeq, transferIdHex: toHex(record.transferId), amountMinor: record.amountMinor,
      currency: record.currency, mode: record.mode,
    })
    if (this.options.printReceipts ?? true) {
      await printer.print(receipt.text, { qrPayload: receipt.qrPayload }).catch((error: unknown) => this.printFailed(error, said, receiptLines))
    }
    return { kind: 'approved', record, modeNote: note, receipt }
  }

  /**
   * The payment or refund is recorded: a jammed printer is the merchant's problem to see, not a
   * decline. The approved screen comes back saying so, with the receipt still on it, and a
   * 'printer-error' event tells the app (and the log).
   */
  private printFailed(error: unknown, said: readonly string[], receiptLines: readonly string[]): void {
    const { display, events, language } = this.options
    const code = error instanceof CodedError ? error.code : 'PRINT_FAILED'
    const message = error instanceof Error ? error.message : String(error)
    display.show({ kind: 'approved', lines: [...said, screenText('receiptNotPrinted', language), errorText(error), ...receiptLines] })
    events.emit('printer-error', { code, message })
  }

  private declineRequest(request: PaymentRequest, verdict: Verdict & { ok: false }): PaymentOutcome {
    this.options.store.closeRequest(request.nonce)
    return this.decline(verdict.reason, verdict.detail, request.amountMinor, request.currency)
  }

  private decline(reason: Reason, detail: string, amount_minor: number, currency: string, message?: string): PaymentOutcome {
    const { display, events, language } = this.options
    this.move('declined')
    const text = message ?? reasonText(reason, language)
    display.show({ kind: 'declined', lines: [screenText('declined', language), formatMoney(amount_minor, currency), text] })
    events.emit('payment-declined', { reason, amountMinor: amount_minor, currency })
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
