// Money on the wire and in the ledger: integer minor units with an ISO 4217 currency.
// No floats anywhere on the money path: parsing goes from decimal text straight to integers.

import { ProtocolError } from './errors'

export interface Currency {
  readonly code: string
  readonly numeric: number
  readonly exponent: number
}

/** Largest amount we accept: every value stays exact in a JavaScript number. */
export const AMOUNT_MAX_MINOR = Number.MAX_SAFE_INTEGER

// ISO 4217 (active codes in use by PayAll's markets and the major reserve currencies).
// [alphabetic code, numeric code, minor-unit exponent]
const ISO_4217: ReadonlyArray<readonly [string, number, number]> = [
  ['AED', 784, 2], ['AOA', 973, 2], ['ARS', 32, 2], ['AUD', 36, 2], ['BDT', 50, 2],
  ['BHD', 48, 3], ['BIF', 108, 0], ['BOB', 68, 2], ['BRL', 986, 2], ['BWP', 72, 2],
  ['CAD', 124, 2], ['CDF', 976, 2], ['CHF', 756, 2], ['CLP', 152, 0], ['CNY', 156, 2],
  ['COP', 170, 2], ['CVE', 132, 2], ['CZK', 203, 2], ['DJF', 262, 0], ['DKK', 208, 2],
  ['DOP', 214, 2], ['DZD', 12, 2], ['EGP', 818, 2], ['ETB', 230, 2], ['EUR', 978, 2],
  ['GBP', 826, 2], ['GHS', 936, 2], ['GMD', 270, 2], ['GNF', 324, 0], ['HKD', 344, 2],
  ['HTG', 332, 2], ['HUF', 348, 2], ['IDR', 360, 2], ['ILS', 376, 2], ['INR', 356, 2],
  ['IQD', 368, 3], ['ISK', 352, 0], ['JMD', 388, 2], ['JOD', 400, 3], ['JPY', 392, 0],
  ['KES', 404, 2], ['KMF', 174, 0], ['KRW', 410, 0], ['KWD', 414, 3], ['LBP', 422, 2],
  ['LKR', 144, 2], ['LRD', 430, 2], ['LSL', 426, 2], ['LYD', 434, 3], ['MAD', 504, 2],
  ['MGA', 969, 2], ['MRU', 929, 2], ['MUR', 480, 2], ['MWK', 454, 2], ['MXN', 484, 2],
  ['MYR', 458, 2], ['MZN', 943, 2], ['NAD', 516, 2], ['NGN', 566, 2], ['NOK', 578, 2],
  ['NPR', 524, 2], ['NZD', 554, 2], ['OMR', 512, 3], ['PEN', 604, 2], ['PHP', 608, 2],
  ['PKR', 586, 2], ['PLN', 985, 2], ['PYG', 600, 0], ['QAR', 634, 2], ['RUB', 643, 2],
  ['RWF', 646, 0], ['SAR', 682, 2], ['SCR', 690, 2], ['SDG', 938, 2], ['SEK', 752, 2],
  ['SGD', 702, 2], ['SLE', 925, 2], ['SOS', 706, 2], ['SSP', 728, 2], ['STN', 930, 2],
  ['SZL', 748, 2], ['THB', 764, 2], ['TND', 788, 3], ['TRY', 949, 2], ['TZS', 834, 2],
  ['UGX', 800, 0], ['USD', 840, 2], ['UYU', 858, 2], ['VND', 704, 0], ['VUV', 548, 0],
  ['XAF', 950, 0], ['XCD', 951, 2], ['XOF', 952, 0], ['XPF', 953, 0], ['ZAR', 710, 2],
  ['ZMW', 967, 2],
]

const BY_CODE = new Map<string, Currency>()
const BY_NUMERIC = new Map<number, Currency>()
for (const [code, numeric, exponent] of ISO_4217) {
  const currency: Currency = Object.freeze({ code, numeric, exponent })
  BY_CODE.set(code, currency)
  BY_NUMERIC.set(numeric, currency)
}

export function currencyByCode(code: string): Currency {
  const currency = typeof code === 'string' ? BY_CODE.get(code) : undefined
  if (currency === undefined) throw new ProtocolError('UNKNOWN_CURRENCY', `unknown currency ${JSON.stringify(code)}`)
  return currency
}

export function currencyByNumeric(numeric: number): Currency {
  const currency = BY_NUMERIC.get(numeric)
  if (currency === undefined) throw new ProtocolError('UNKNOWN_CURRENCY', `unknown ISO 4217 numeric code ${numeric}`)
  return currency
}

export function isCurrencyCode(code: unknown): code is string {
  return typeof code === 'string' && BY_CODE.has(code)
}

export function allCurrencies(): Currency[] {
  return [...BY_CODE.values()]
}

export interface AmountOptions {
  /** Allow amounts below zero (ledger balances, reversals). Payments never are. */
  allowNegative?: boolean
  /** Allow zero. */
  allowZero?: boolean
}

/**
 * Checks that a value is a valid amount in minor units and returns it.
 * Rejects floats, NaN, unsafe integers and (unless allowed) negatives and zero.
 */
export function assertAmountMinor(value: unknown, options: AmountOptions = {}): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new ProtocolError('MONEY_NOT_INTEGER', `amount must be an integer number of minor units, got ${String(value)}`)
  }
  if (!Number.isInteger(value)) {
    throw new ProtocolError('MONEY_NOT_INTEGER', `amount must be an integer number of minor units, got ${value}`)
  }
  if (Math.abs(value) > AMOUNT_MAX_MINOR) {
    throw new ProtocolError('MONEY_OVERFLOW', `amount ${value} exceeds ${AMOUNT_MAX_MINOR}`)
  }
  if (value < 0 && options.allowNegative !== true) {
    throw new ProtocolError('MONEY_NEGATIVE', `amount must not be negative, got ${value}`)
  }
  if (value === 0 && options.allowZero === false) {
    throw new ProtocolError('OUT_OF_RANGE', 'amount must be greater than zero')
  }
  return value
}

const DECIMAL = /^(-)?(\d+)(?:\.(\d+))?$/

/**
 * Parses a decimal string in major units ("12.50" EUR) into minor units (1250).
 * Only strings are accepted: a JavaScript number may already have lost precision.
 */
export function parseAmount(text: string, currencyCode: string, options: AmountOptions = {}): number {
  const currency = currencyByCode(currencyCode)
  if (typeof text !== 'string') {
    throw new ProtocolError('MONEY_FORMAT', 'amount must be given as a decimal string such as "12.50"')
  }
  const match = DECIMAL.exec(text.trim())
  if (match === null) throw new ProtocolError('MONEY_FORMAT', `not a decimal amount: ${JSON.stringify(text)}`)
  const [, sign, whole, fraction = ''] = match
  if (fraction.length > currency.exponent) {
    throw new ProtocolError(
      'MONEY_PRECISION',
      `${currency.code} has ${currency.exponent} decimal place(s); ${JSON.stringify(text)} has ${fraction.length}`,
    )
  }
  const digits = (whole + fraction.padEnd(currency.exponent, '0')).replace(/^0+(?=\d)/, '')
  if (digits.length > 16 || Number(digits) > AMOUNT_MAX_MINOR) {
    throw new ProtocolError('MONEY_OVERFLOW', `amount ${JSON.stringify(text)} exceeds ${AMOUNT_MAX_MINOR} minor units`)
  }
  const magnitude = Number(digits)
  const value = sign === '-' && magnitude !== 0 ? -magnitude : magnitude
  return assertAmountMinor(value, options)
}

/** Formats minor units as a plain decimal string in major units: 1250 EUR → "12.50". */
export function formatAmount(amount_minor: number, currencyCode: string): string {
  const currency = currencyByCode(currencyCode)
  assertAmountMinor(amount_minor, { allowNegative: true })
  const negative = amount_minor < 0
  const digits = String(Math.abs(amount_minor))
  if (currency.exponent === 0) return (negative ? '-' : '') + digits
  const padded = digits.padStart(currency.exponent + 1, '0')
  const whole = padded.slice(0, padded.length - currency.exponent)
  const fraction = padded.slice(padded.length - currency.exponent)
  return `${negative ? '-' : ''}${whole}.${fraction}`
}

/** Formats for a person: "12.50 EUR", "1 500 XOF" (thin grouping, the code after the number). */
export function formatMoney(amount_minor: number, currencyCode: string): string {
  const plain = formatAmount(amount_minor, currencyCode)
  const negative = plain.startsWith('-')
  const [whole, fraction] = (negative ? plain.slice(1) : plain).split('.')
  const grouped = whole!.replace(/\B(?=(\d{3})+(?!\d))/g, '\u202f')
  return `${negative ? '-' : ''}${grouped}${fraction === undefined ? '' : '.' + fraction} ${currencyCode}`
}

/** Adds amounts exactly; throws if the sum leaves the safe range. */
export function addAmounts(a: number, b: number): number {
  const sum = a + b
  if (!Number.isSafeInteger(sum)) throw new ProtocolError('MONEY_OVERFLOW', `sum ${a} + ${b} is out of range`)
  return sum
}
