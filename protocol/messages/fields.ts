// Field types shared by several messages: identities, currencies, amounts and times.

import type { Reader, Writer } from '../codec'
import { euiFromBytes, euiToBytes } from '../eui'
import { ProtocolError } from '../errors'
import { assertAmountMinor, currencyByCode, currencyByNumeric } from '../money'

export const EUI_BYTES = 8
export const ID_BYTES = 16
export const HASH_BYTES = 32
export const NONCE_BYTES = 16
export const PUBLIC_KEY_BYTES = 32

export function writeEui(writer: Writer, eui: string): void {
  writer.raw(euiToBytes(eui))
}

export function readEui(reader: Reader, field: string): string {
  return euiFromBytes(reader.fixed(EUI_BYTES, field))
}

export function writeCurrency(writer: Writer, code: string): void {
  writer.u16(currencyByCode(code).numeric)
}

export function readCurrency(reader: Reader): string {
  return currencyByNumeric(reader.u16('currency')).code
}

/** A strictly positive amount in minor units (payments and limits are never zero). */
export function writePositiveAmount(writer: Writer, amount_minor: number): void {
  writer.u64(assertAmountMinor(amount_minor, { allowZero: false }))
}

export function readPositiveAmount(reader: Reader, field: string): number {
  const value = reader.u64(field)
  if (value === 0) throw new ProtocolError('OUT_OF_RANGE', `${field} must be greater than zero`)
  return value
}

export function writeAmount(writer: Writer, amount_minor: number): void {
  writer.u64(assertAmountMinor(amount_minor))
}

export function readAmount(reader: Reader, field: string): number {
  return reader.u64(field)
}

/** A bounded UTF-8 string (display names); rejects text that is not valid UTF-8. */
export function writeText(writer: Writer, text: string, bytes_max: number, field: string): void {
  if (typeof text !== 'string') throw new ProtocolError('BAD_VALUE', `${field} must be a string`)
  writer.variable(new TextEncoder().encode(text), bytes_max, field)
}

const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })

export function readText(reader: Reader, bytes_max: number, field: string): string {
  const bytes = reader.variable(bytes_max, field)
  try {
    return UTF8.decode(bytes)
  } catch {
    throw new ProtocolError('BAD_VALUE', `${field} is not valid UTF-8`)
  }
}

export function readEnum<T extends number>(reader: Reader, allowed: readonly T[], field: string): T {
  const value = reader.u8(field)
  if (!(allowed as readonly number[]).includes(value)) throw new ProtocolError('OUT_OF_RANGE', `unknown ${field} ${value}`)
  return value as T
}
