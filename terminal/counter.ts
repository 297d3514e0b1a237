// The loop at the counter: the merchant keys an amount and Enter to take a payment; Enter on an
// empty amount opens the menu (1: refund a payment by its number, 2: the day report, 3: the mode
// of the next payment — online if possible, online only, offline — instead of the terminal's).
// It runs until its signal aborts, which also cancels a payment waiting for its tap; a failure of
// one payment is shown and the loop goes on.

import type { Display, Keypad, Key } from '../hardware/devices'
import { CodedError, errorText, sqliteCodeOf } from '../protocol/errors'
import { TerminalError } from './errors'
import { EMPTY_ENTRY, amountOf, entryText, pressKey, type AmountEntry } from './keypad'
import type { PaymentPolicy, PaymentTerminal } from './payment'
import { screenText, type Language, type ScreenText } from './texts'

/** Menu 3's choices, by key. */
const MODE_KEYS: Readonly<Record<string, PaymentPolicy>> = { 1: 'prefer-online', 2: 'require-online', 3: 'force-offline' }
const MODE_SHOWN: Readonly<Record<PaymentPolicy, ScreenText>> = {
  'prefer-online': 'nextPreferOnline', 'require-online': 'nextRequireOnline', 'force-offline': 'nextForceOffline',
}

export interface CounterOptions {
  readonly payments: PaymentTerminal
  readonly keypad: Keypad
  readonly display: Display
  readonly language: Language
  /** The currency amounts are keyed in (the gateway's, from its RiskConfig). */
  currency(): string
  /** Told of each payment error that is not a decline (a store failure, a missing config). */
  onError?(error: Error): void
}

class Stopped extends Error {}

export class Counter {
  private readonly aborted: Promise<never>
  /** Chosen in the menu for the next payment only; undefined: the terminal's policy. */
  private nextPolicy: PaymentPolicy | undefined

  constructor(private readonly options: CounterOptions, private readonly signal: AbortSignal) {
    this.aborted = new Promise<never>((_resolve, reject) => {
      if (signal.aborted) reject(new Stopped())
      signal.addEventListener('abort', () => reject(new Stopped()), { once: true })
    })
    this.aborted.catch(() => undefined)
  }

  /** Runs until the signal aborts; resolves then, between two keys, at once while a tap is awaited, or after the payment in hand. */
  async run(): Promise<void> {
    let first: Key | undefined
    try {
      for (;;) {
        // A result stays on the display until the next key; a digit there starts the next amount.
        const shown = await this.oneRound(first)
        first = undefined
        if (!shown) continue
        const key = await this.key()
        if (/^\d$/.test(key)) first = key
      }
    } catch (error) {
      if (error instanceof Stopped) return
      throw error
    }
  }

  /** One amount (or one menu choice); true when a result is on the display. */
  private async oneRound(first: Key | undefined): Promise<boolean> {
    const { payments, language } = this.options
    const policy = this.nextPolicy
    const entered = await this.readNumber(
      screenText('enterAmount', language), amount => entryText(amount, this.options.currency()), first,
      policy === undefined ? undefined : screenText(MODE_SHOWN[policy], language),
    )
    try {
      if (entered === 'cancelled') return false
      if (entered === 0) return await this.menu()
      // Once taken, the payment's mode is spent: the one after follows the terminal's policy again.
      this.nextPolicy = undefined
      await payments.take(entered, policy, this.signal)
    } catch (error) {
      if (error instanceof Stopped) throw error
      this.showError(error as Error)
    }
    return true
  }

  private async menu(): Promise<boolean> {
    const { language, payments } = this.options
    const key = await this.choose(['menu', 'menuRefund', 'menuReport', 'menuMode', 'menuBack'], ['1', '2', '3'])
    if (key === '3') return this.chooseMode()
    if (key === '2') {
      await payments.dayReport()
      return true
    }
    if (key === '1') {
      const seq = await this.readNumber(screenText('refundWhich', language), entry => `#${entry.digits}`)
      if (seq === 'cancelled' || seq === 0) return false
      const amount = await this.readNumber(screenText('refundHowMuch', language), entry => entryText(entry, this.options.currency()))
      if (amount === 'cancelled') return false
      await payments.refund({ gatewaySeq: seq }, amount === 0 ? undefined : amount)
      return true
    }
    return false
  }

  /** Menu 3: the mode of the next payment; Cancel leaves it as it was. Nothing stays on the display. */
  private async chooseMode(): Promise<false> {
    const key = await this.choose(['modeTitle', 'modePreferOnline', 'modeRequireOnline', 'modeForceOffline', 'menuBack'], Object.keys(MODE_KEYS))
    if (key !== 'cancel') this.nextPolicy = MODE_KEYS[key]
    return false
  }

  /** Shows a list of choices and waits for one of `keys`, or Cancel; other keys are ignored. */
  private async choose(lines: readonly ScreenText[], keys: readonly string[]): Promise<Key> {
    const { language } = this.options
    this.options.display.show({ kind: 'report', lines: lines.map(line => screenText(line, language)) })
    for (;;) {
      const key = await this.key()
      if (key === 'cancel' || keys.includes(key)) return key
    }
  }

  /** Digits until Enter (0 when nothing was keyed) or Cancel; `note`, if any, under the number. */
  private async readNumber(title: string, render: (entry: AmountEntry) => string, first?: Key, note?: string): Promise<number | 'cancelled'> {
    let entry: AmountEntry = EMPTY_ENTRY
    let pending = first
    for (;;) {
      this.options.display.show({ kind: 'amount', lines: note === undefined ? [title, render(entry)] : [title, render(entry), note] })
      const key = pending ?? await this.key()
      pending = undefined
      if (key === 'enter') return amountOf(entry)
      const step = pressKey(entry, key)
      if (step.kind === 'cancelled') return 'cancelled'
      if (step.kind === 'editing') entry = step.entry
    }
  }

  private key(): Promise<Key> {
    return Promise.race([this.options.keypad.nextKey(), this.aborted])
  }

  private showError(error: Error): void {
    const { language } = this.options
    // A device's coded error shows its code, another its kind: the merchant reads it out to support. A full
    // disk (SQLite's SQLITE_FULL: the record was not written) says so in words, and that nothing was charged.
    const message = error instanceof TerminalError ? error.message : error instanceof CodedError ? errorText(error)
      : sqliteCodeOf(error) === 'SQLITE_FULL' ? screenText('storageFull', language) : `${error.name}: ${error.message}`
    this.options.display.show({ kind: 'declined', lines: [screenText('error', language), message, screenText('pressAnyKey', language)] })
    this.options.onError?.(error)
  }
}
