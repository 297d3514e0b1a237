// Amount entry on the keypad as a pure reducer: digits are typed in minor units (on an EUR
// terminal "1", "2", "5", "0" reads 12.50; on an XOF one 1 250), with backspace, clear, enter and cancel.

import { formatMoney } from '../protocol/money'

import type { Key } from '../hardware/devices'

export {    type Key }

/** Twelve digits: 999 999 999 999 minor units, far above any floor limit and exact as a number. */
const AMOUNT_DIGITS_MAX = 12

export interface AmountEntry {
  /** Typed digits without leading zeros; '' is zero. */
  readonly digits: string
}

export const EMPTY_ENTRY: AmountEntry = Object.freeze({ digits: '' })

export type KeypadStep =
  | { readonly kind: 'editing'; readonly entry: AmountEntry }
  | { readonly kind: 'entered'; readonly amountMinor: number }
  | { readonly kind: 'cancelled' }

export function pressKey(entry: AmountEntry, key: Key): KeypadStep {
  switch (key) {
    case 'cancel':
      return { kind: 'cancelled' }
    case 'clear':
      return { kind: 'editing', entry: EMPTY_ENTRY }
    case 'backspace':
      return { kind: 'editing', entry: { digits: entry.digits.slice(0, -1) } }
    case 'enter': {
      const amount_minor = amountOf(entry)
      // Enter on zero does nothing: a payment is never of nothing.
      return amount_minor === 0 ? { kind: 'editing', entry } : { kind: 'entered', amountMinor: amount_minor }
    }
    default: {
      if (entry.digits.length >= AMOUNT_DIGITS_MAX) return { kind: 'editing', entry }
      const digits = (entry.digits + key).replace(/^0+/, '')
      return { kind: 'editing', entry: { digits } }
    }
  }
}

export function amountOf(entry: AmountEntry): number {
  return entry.digits === '' ? 0 : Number(entry.digits)
}

/** What the display shows while the merchant types: "12.50 EUR", "1 250 XOF". */
export function entryText(entry: AmountEntry, currency: string): string {
  return formatMoney(amountOf(entry), currency)
}
