// The legacy columns' values as PayAll reads them: DECIMAL amounts in minor units exactly (no floating point on
// the way, and never rounded), booleans as PostgreSQL and MySQL write them, timestamps, and bounded text.

import { AMOUNT_MAX_MINOR, type Currency } from '../../protocol/money'

/** A value read, or why it cannot be: the reason goes into the import's report against its row. */
export type Reading<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly problem: string }

const DECIMAL_TEXT = /^(-?)(\d{1,40})(?:\.(\d{1,40}))?$/

const read = <T>(value: T): Reading<T> => ({ ok: true, value })
const refuse = (problem: string): Reading<never> => ({ ok: false, problem })

/**
 * A DECIMAL's text ("99999999.99", "0.10", "-3") in minor units of `currency`. Digits past the currency's
 * exponent must be zeros ("100.00" XOF is 100): "0.10" XOF names 10 centimes, which XOF cannot hold, and is
 * refused, never rounded. Negative amounts are read; the caller decides whether it accepts one.
 */
export function minorUnitsOf(text: string, currency: Currency): Reading<number> {
  const match = DECIMAL_TEXT.exec(text.trim())
  if (match === null) return refuse(`${JSON.stringify(text.slice(0, 40))} is not a decimal amount`)
  const [, sign, whole, fraction = ''] = match
  const kept = fraction.slice(0, currency.exponent)
  if (/[^0]/.test(fraction.slice(currency.exponent))) {
    return refuse(`${text.trim()} has more decimal places than ${currency.code} holds (${currency.exponent}): it would have to be rounded`)
  }
  const minor = BigInt(whole! + kept.padEnd(currency.exponent, '0'))
  if (minor > BigInt(AMOUNT_MAX_MINOR)) return refuse(`${text.trim()} ${currency.code} is more than PayAll holds in one amount`)
  const value = Number(minor)
  return read(sign === '-' && value !== 0 ? -value : value)
}

const TRUE_TEXTS = new Set(['t', 'true', '1', 'y', 'yes'])
const FALSE_TEXTS = new Set(['f', 'false', '0', 'n', 'no'])

/** PostgreSQL's t/f and true/false, MySQL's 1/0; NULL is false. */
export function booleanOf(text: string | null): Reading<boolean> {
  if (text === null) return read(false)
  const lowered = text.trim().toLowerCase()
  if (TRUE_TEXTS.has(lowered)) return read(true)
  if (FALSE_TEXTS.has(lowered)) return read(false)
  return refuse(`${JSON.stringify(text.slice(0, 20))} is not a boolean`)
}

const TIMESTAMP_TEXT = /^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/

/**
 * A timestamp as pg_dump and mysqldump write one ("2024-03-01 10:20:30.123456+00", "2024-03-01 10:20:30"), in
 * Unix milliseconds; one without a zone is UTC. Null for NULL, MySQL's zero date and anything unreadable: the
 * import then uses its own time.
 */
export function timestampOf(text: string | null): number | null {
  if (text === null) return null
  const match = TIMESTAMP_TEXT.exec(text.trim())
  if (match === null) return null
  const [, year, month, day, hour = '00', minute = '00', second = '00', fraction = '', zone = 'Z'] = match
  if (year === '0000') return null
  const zoneText = zone === 'Z' ? 'Z' : `${zone.slice(0, 3)}:${zone.slice(3).replace(':', '').padEnd(2, '0')}`
  const iso = `${year}-${month}-${day}T${hour}:${minute}:${second}.${fraction.padEnd(3, '0').slice(0, 3)}${zoneText}`
  const at_ms = Date.parse(iso)
  // Date.parse rolls 2024-02-31 over to March: the text must name the day it reads as.
  if (!Number.isFinite(at_ms) || at_ms < 0) return null
  const check = new Date(at_ms + (zoneText === 'Z' ? 0 : zoneOffset_ms(zoneText)))
  if (check.getUTCDate() !== Number(day) || check.getUTCMonth() + 1 !== Number(month)) return null
  return at_ms
}

function zoneOffset_ms(zone: string): number {
  const sign = zone.startsWith('-') ? -1 : 1
  return sign * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(4, 6))) * 60_000
}

/** Text trimmed, with NULL and the empty string as null. */
export function textOf(text: string | null): string | null {
  if (text === null) return null
  const trimmed = text.trim()
  return trimmed === '' ? null : trimmed
}

/** Text that must fit `length_max` characters (code points): longer is a problem, never cut. */
export function boundedTextOf(text: string | null, what: string, length_max: number): Reading<string | null> {
  const value = textOf(text)
  if (value !== null && [...value].length > length_max) return refuse(`${what} is longer than the ${length_max} characters PayAll keeps`)
  return read(value)
}

/** A legacy integer key as its canonical text ("007" is "7"); null for NULL, a problem for anything else. */
export function keyOf(text: string | null): Reading<string | null> {
  if (text === null || text.trim() === '') return read(null)
  const trimmed = text.trim()
  if (!/^\d{1,19}$/.test(trimmed)) return refuse(`${JSON.stringify(trimmed.slice(0, 20))} is not an integer key`)
  return read(BigInt(trimmed).toString())
}
