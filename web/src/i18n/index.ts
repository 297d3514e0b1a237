// The chosen language (remembered in localStorage, mirrored on <html lang>) and Intl formatting of
// amounts and dates in it. Amounts arrive in minor units; the currency says how many digits it has.

import { useEffect, useState } from 'preact/hooks'
import { en, type Messages } from './en'
import { fr } from './fr'

export const LANGUAGES = { en, fr } as const
export type Language = keyof typeof LANGUAGES
const STORAGE_KEY = 'payall.lang'

function initialLanguage(): Language {
  const stored = safeStorageGet(STORAGE_KEY)
  if (stored === 'en' || stored === 'fr') return stored
  return navigator.language.toLowerCase().startsWith('fr') ? 'fr' : 'en'
}

/** Storage can be refused (private modes, policies): the choice then lasts for the page only. */
function safeStorageGet(key: string): string | null {
  try {
    return localStorage.getItem(key)
  } catch {
    return null
  }
}

let current: Language = initialLanguage()
const listeners = new Set<(language: Language) => void>()
document.documentElement.lang = current

export function language(): Language {
  return current
}

export function setLanguage(next: Language): void {
  if (next === current) return
  current = next
  document.documentElement.lang = next
  try {
    localStorage.setItem(STORAGE_KEY, next)
  } catch {
    // Not remembered across visits; the page still switches.
  }
  for (const listener of listeners) listener(next)
}

/** The strings of the chosen language; the component renders again when it changes. */
export function useT(): Messages {
  const [chosen, setChosen] = useState(current)
  useEffect(() => {
    listeners.add(setChosen)
    // A language chosen between the render and this effect was not heard.
    setChosen(current)
    return () => void listeners.delete(setChosen)
  }, [])
  return LANGUAGES[chosen]
}

const LOCALES: Record<Language, string> = { en: 'en-GB', fr: 'fr-FR' }

const currencyFormats = new Map<string, Intl.NumberFormat>()
function currencyFormat(currency: string): Intl.NumberFormat {
  const key = `${current}:${currency}`
  let format = currencyFormats.get(key)
  if (format === undefined) {
    format = new Intl.NumberFormat(LOCALES[current], { style: 'currency', currency })
    currencyFormats.set(key, format)
  }
  return format
}

/** Digits after the decimal point that `currency` has (XOF 0, EUR 2), as Intl knows them. */
export function minorDigits(currency: string): number {
  return currencyFormat(currency).resolvedOptions().maximumFractionDigits ?? 2
}

/** An amount in minor units, formatted for the chosen language: 1 500 F CFA, 12,50 €, €12.50. */
export function formatAmount(amount_minor: number, currency: string): string {
  return currencyFormat(currency).format(amount_minor / 10 ** minorDigits(currency))
}

/** What a person typed ("12,50" or "12.50" or "1 500") as minor units, or undefined when it is not an amount. */
export function parseAmount(text: string, currency: string): number | undefined {
  const digits = minorDigits(currency)
  const cleaned = text.replace(/[\s\u00a0\u202f]/g, '').replace(',', '.')
  const pattern = digits === 0 ? /^\d{1,15}$/ : new RegExp(`^\\d{1,15}(\\.\\d{1,${digits}})?$`)
  if (!pattern.test(cleaned)) return undefined
  const [whole, fraction = ''] = cleaned.split('.') as [string, string?]
  return Number(whole) * 10 ** digits + Number(fraction.padEnd(digits, '0') || '0')
}

export function formatDateTime(at_ms: number): string {
  return new Intl.DateTimeFormat(LOCALES[current], { dateStyle: 'medium', timeStyle: 'short' }).format(at_ms)
}

export function formatNumber(value: number): string {
  return new Intl.NumberFormat(LOCALES[current]).format(value)
}

/** An amount in few characters, for a chart's axis: 1,5 k F CFA, €12K. */
export function formatAmountCompact(amount_minor: number, currency: string): string {
  const format = new Intl.NumberFormat(LOCALES[current], { style: 'currency', currency, notation: 'compact' })
  return format.format(amount_minor / 10 ** minorDigits(currency))
}

/** A period as the hub names it, a UTC day (YYYY-MM-DD) or month (YYYY-MM), in words: 12 Mar, Mar 2025. */
export function formatPeriod(period: string): string {
  const month = period.length === 7
  const options: Intl.DateTimeFormatOptions = month ? { month: 'short', year: 'numeric', timeZone: 'UTC' } : { day: 'numeric', month: 'short', timeZone: 'UTC' }
  return new Intl.DateTimeFormat(LOCALES[current], options).format(Date.parse(month ? `${period}-01T00:00:00Z` : `${period}T00:00:00Z`))
}
