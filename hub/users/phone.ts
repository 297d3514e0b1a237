// Phone numbers as the hub keeps them: E.164 ("+221786365771"), whatever way people typed them. Every place a
// number enters the hub (sign-up, register, login, update-account, the payee of a payment) goes through phoneNumberOf.

import { getCountryCallingCode, isSupportedCountry, parsePhoneNumberWithError, ParseError, type CountryCode } from 'libphonenumber-js/max'
import { HttpError } from '../http/errors'

// The `max` metadata, not `min`: min (83 KB against 157 KB) checks little more than a number's length, so it would
// take an unassigned range for a number; max knows each region's numbering plan and the type of each range, so a
// number that cannot exist, or cannot receive the SMS code (a landline), is refused here, before a code is paid
// for. The hub is a server, where 74 KB more metadata costs nothing that matters.

export type PhoneRegion = CountryCode

/** Where the legacy deployment runs (Senegal, +221): numbers typed without a country code are Senegalese. */
export const PHONE_REGION_DEFAULT: PhoneRegion = 'SN'

/** Longer than any number with its spaces and brackets; the schema's bound on what a client sends. */
const PHONE_TEXT_LENGTH_MAX = 40

/** A number as people type it; phoneNumberOf decides whether it is one. */
export const PHONE_TEXT_SCHEMA = {
  type: 'string', minLength: 1, maxLength: PHONE_TEXT_LENGTH_MAX,
  description: 'a phone number: +country code and number, or a number of the hub’s region (--phone-region); ' +
    'spaces, dots, dashes and brackets are ignored',
} as const

// What a typed number may hold besides digits: the separators people use, a leading + or the 00 prefix.
const TYPED_NUMBER = /^\(?\+?[0-9 ().\/-]+$/
// Types whose numbers never receive an SMS: no code could prove them, and no one pays a landline from a phone.
const NO_SMS_TYPES = new Set(['FIXED_LINE', 'TOLL_FREE', 'PREMIUM_RATE', 'SHARED_COST', 'VOICEMAIL', 'UAN', 'PAGER'])

const PARSE_PROBLEMS: Record<string, string> = {
  NOT_A_NUMBER: 'is not a phone number',
  INVALID_COUNTRY: 'has no country code the hub knows: start with + and the country code',
  TOO_SHORT: 'is too short to be a phone number',
  TOO_LONG: 'is too long to be a phone number',
}

/** As phoneNumberOf leaves a number (and the users table takes it): + and 3 to 15 digits, the first not 0. */
export function isE164(text: string): boolean {
  return /^\+[1-9][0-9]{2,14}$/.test(text)
}

export function isPhoneRegion(text: string): text is PhoneRegion {
  return isSupportedCountry(text)
}

/**
 * The number in E.164, or HttpError 400 BAD_PHONE saying what is wrong with it. A number without a country code
 * is read as one of `region`; "00221…" and "221…" (the country code without its +) are understood too.
 */
export function phoneNumberOf(text: string, region: PhoneRegion): string {
  const typed = text.trim()
  const shown = JSON.stringify(typed.slice(0, PHONE_TEXT_LENGTH_MAX))
  if (!TYPED_NUMBER.test(typed)) {
    throw badPhone(`${shown} is not a phone number: only digits, a leading +, spaces, dots, dashes and brackets`)
  }
  let parsed
  try {
    parsed = parsePhoneNumberWithError(typed, { defaultCountry: region })
  } catch (error) {
    if (!(error instanceof ParseError)) throw error
    throw badPhone(`${shown} ${PARSE_PROBLEMS[error.message] ?? 'is not a phone number'}`)
  }
  if (!parsed.isValid()) {
    const where = parsed.country ?? `+${parsed.countryCallingCode}`
    const hint = typed.startsWith('+') || typed.startsWith('00') ? '' : ` (read as a number of ${region}, +${getCountryCallingCode(region)})`
    throw badPhone(`${shown} is not a valid phone number in ${where}${hint}`)
  }
  const type = parsed.getType()
  if (type !== undefined && NO_SMS_TYPES.has(type)) {
    throw badPhone(`${shown} is a ${type.toLowerCase().replace(/_/g, '-')} number: it cannot receive the SMS that proves it`)
  }
  return parsed.number
}

function badPhone(message: string): HttpError {
  return new HttpError(400, 'BAD_PHONE', message)
}
