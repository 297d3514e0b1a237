// The terminal's own settings file (`run --config FILE`): the merchant's language and name, the
// payment policy, the local day for reports, how long proved records are kept. Validated field by field; an error names the field.
// The result is frozen; the defaults of retention and LoRa are those of proofs.ts and lora.ts.

import { readFileSync } from 'node:fs'
import { LORA_DOWNLINK_PORT_DEFAULT, LORA_UPLINK_PORT_DEFAULT } from '../protocol/lora-ports'
import { MERCHANT_NAME_BYTES_MAX } from '../protocol/messages/payment-request'
import { TerminalError } from './errors'
import { LORA_INTERVAL_MS_DEFAULT } from './lora'
import { PAYMENT_POLICIES, type PaymentPolicy } from './payment'
import { RECORD_RETENTION_MS_DEFAULT } from './proofs'
import { LANGUAGES, type Language } from './texts'
import { DAY_MS, MINUTE_MS } from '../protocol/clock'

export interface TerminalConfig {
  readonly language: Language
  readonly merchantName: string
  /** Undefined: the hub's RiskConfig default policy. */
  readonly policy: PaymentPolicy | undefined
  readonly utcOffsetMinutes: number
  readonly printReceipts: boolean
  /** Days an acked record with its anchoring proof stays before it is pruned; 0: as soon as it is proved. */
  readonly recordRetentionDays: number
  /** How often a CommitmentFrame goes out over LoRa while the IP link is down (when a modem is configured). */
  readonly loraIntervalMinutes: number
  /** LoRaWAN application ports; the hub's PAYALL_LORA_UPLINK_PORT and PAYALL_LORA_DOWNLINK_PORT. */
  readonly loraUplinkPort: number
  readonly loraDownlinkPort: number
}


export const DEFAULT_CONFIG: TerminalConfig = Object.freeze({
  language: 'en', merchantName: 'PayAll merchant', policy: undefined, utcOffsetMinutes: 0, printReceipts: true,
  recordRetentionDays: RECORD_RETENTION_MS_DEFAULT / DAY_MS, loraIntervalMinutes: LORA_INTERVAL_MS_DEFAULT / MINUTE_MS,
  loraUplinkPort: LORA_UPLINK_PORT_DEFAULT, loraDownlinkPort: LORA_DOWNLINK_PORT_DEFAULT,
})

const FIELDS = [
  'language', 'merchantName', 'policy', 'utcOffsetMinutes', 'printReceipts', 'recordRetentionDays', 'loraIntervalMinutes',
  'loraUplinkPort', 'loraDownlinkPort',
] as const
// UTC−12:00 to UTC+14:00, the zones in use.
const UTC_OFFSET_MINUTES_MIN = -12 * 60
const UTC_OFFSET_MINUTES_MAX = 14 * 60
/** Ten years: beyond that, keeping records is an archive's job, not a gateway's. */
const RECORD_RETENTION_DAYS_MAX = 3_650
/** A day: a report rarer than that tells the hub little. */
const LORA_INTERVAL_MINUTES_MAX = 24 * 60

function bad(field: string, message: string): never {
  throw new TerminalError('BAD_CONFIG', `config field "${field}" ${message}`)
}

/** Checks a parsed JSON value; unknown fields are refused so a typo does not go unnoticed. The result is frozen. */
export function parseTerminalConfig(value: unknown): TerminalConfig {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new TerminalError('BAD_CONFIG', 'the config must be a JSON object')
  }
  const input = value as Record<string, unknown>
  for (const key of Object.keys(input)) {
    if (!(FIELDS as readonly string[]).includes(key)) bad(key, `is not known (known: ${FIELDS.join(', ')})`)
  }
  const config = { ...DEFAULT_CONFIG }
  if (input.language !== undefined) {
    if (!(LANGUAGES as readonly unknown[]).includes(input.language)) bad('language', `must be one of ${LANGUAGES.join(', ')}`)
    config.language = input.language as Language
  }
  if (input.merchantName !== undefined) {
    const name = input.merchantName
    if (typeof name !== 'string' || name.trim() === '') bad('merchantName', 'must be a non-empty string')
    if (Buffer.byteLength(name) > MERCHANT_NAME_BYTES_MAX) bad('merchantName', `must be at most ${MERCHANT_NAME_BYTES_MAX} bytes of UTF-8`)
    config.merchantName = name
  }
  if (input.policy !== undefined) {
    if (!(PAYMENT_POLICIES as readonly unknown[]).includes(input.policy)) bad('policy', `must be one of ${PAYMENT_POLICIES.join(', ')}`)
    config.policy = input.policy as PaymentPolicy
  }
  if (input.utcOffsetMinutes !== undefined) {
    const offset = input.utcOffsetMinutes
    if (!Number.isInteger(offset) || (offset as number) < UTC_OFFSET_MINUTES_MIN || (offset as number) > UTC_OFFSET_MINUTES_MAX) {
      bad('utcOffsetMinutes', `must be a whole number of minutes from ${UTC_OFFSET_MINUTES_MIN} to ${UTC_OFFSET_MINUTES_MAX}`)
    }
    config.utcOffsetMinutes = offset as number
  }
  if (input.printReceipts !== undefined) {
    if (typeof input.printReceipts !== 'boolean') bad('printReceipts', 'must be true or false')
    config.printReceipts = input.printReceipts
  }
  if (input.recordRetentionDays !== undefined) {
    const days = input.recordRetentionDays
    if (!Number.isInteger(days) || (days as number) < 0 || (days as number) > RECORD_RETENTION_DAYS_MAX) {
      bad('recordRetentionDays', `must be a whole number of days from 0 to ${RECORD_RETENTION_DAYS_MAX}`)
    }
    config.recordRetentionDays = days as number
  }
  if (input.loraIntervalMinutes !== undefined) {
    config.loraIntervalMinutes = wholeNumber(input.loraIntervalMinutes, 'loraIntervalMinutes', 1, LORA_INTERVAL_MINUTES_MAX)
  }
  // Application ports 1–223: 0 is for MAC commands, 224 and up are reserved.
  if (input.loraUplinkPort !== undefined) config.loraUplinkPort = wholeNumber(input.loraUplinkPort, 'loraUplinkPort', 1, 223)
  if (input.loraDownlinkPort !== undefined) config.loraDownlinkPort = wholeNumber(input.loraDownlinkPort, 'loraDownlinkPort', 1, 223)
  if (config.loraUplinkPort === config.loraDownlinkPort) bad('loraDownlinkPort', 'must differ from loraUplinkPort')
  return Object.freeze(config)
}

function wholeNumber(value: unknown, field: string, min: number, max: number): number {
  if (!Number.isInteger(value) || (value as number) < min || (value as number) > max) bad(field, `must be a whole number from ${min} to ${max}`)
  return value as number
}

export function loadTerminalConfig(path: string): TerminalConfig {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (error) {
    throw new TerminalError('BAD_CONFIG', `cannot read ${path}: ${(error as Error).message}`)
  }
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (error) {
    throw new TerminalError('BAD_CONFIG', `${path} is not JSON: ${(error as Error).message}`)
  }
  return parseTerminalConfig(value)
}
