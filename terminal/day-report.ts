// The day report the merchant prints at closing: how many payments and how much, by mode
// (online, offline) and currency, from the records of the day.

import { addAmounts, formatMoney } from '../protocol/money'
import type { RefundDayTotal } from './refunds'
import type { DayTotal } from './store/store'
import { screenText, type Language } from './texts'
import { DAY_MS } from '../protocol/clock'


export interface DayReport {
  readonly fromMs: number
  readonly toMs: number
  readonly lines: readonly DayTotal[]
  /** Per currency, both modes together. */
  readonly totals: ReadonlyArray<{ currency: string; count: number; totalMinor: number }>
  /** Refunds approved during the day, per currency. */
  readonly refunds: readonly RefundDayTotal[]
}

/**
 * The day that contains `nowMs`, starting at midnight in a zone `utcOffsetMinutes` from UTC
 * (the terminal's configured local time; no time zone database on the money path).
 */
export function dayBounds(now_ms: number, utcOffsetMinutes: number): { fromMs: number; toMs: number } {
  const offset_ms = utcOffsetMinutes * 60_000
  const from_ms = Math.floor((now_ms + offset_ms) / DAY_MS) * DAY_MS - offset_ms
  return { fromMs: from_ms, toMs: from_ms + DAY_MS }
}

export function dayReportOf(lines: readonly DayTotal[], from_ms: number, to_ms: number, refunds: readonly RefundDayTotal[] = []): DayReport {
  const byCurrency = new Map<string, { currency: string; count: number; totalMinor: number }>()
  for (const line of lines) {
    const total = byCurrency.get(line.currency) ?? { currency: line.currency, count: 0, totalMinor: 0 }
    total.count += line.count
    total.totalMinor = addAmounts(total.totalMinor, line.totalMinor)
    byCurrency.set(line.currency, total)
  }
  return { fromMs: from_ms, toMs: to_ms, lines, totals: [...byCurrency.values()], refunds }
}

export function dayReportText(report: DayReport, language: Language): string {
  const out = [`${screenText('dayReport', language)} ${new Date(report.fromMs).toISOString().slice(0, 10)}`]
  for (const line of report.lines) {
    const mode = screenText(line.mode, language)
    out.push(`${mode}: ${line.count} ${screenText('payments', language)}, ${formatMoney(line.totalMinor, line.currency)}`)
  }
  for (const total of report.totals) {
    out.push(`${screenText('total', language)}: ${total.count} ${screenText('payments', language)}, ${formatMoney(total.totalMinor, total.currency)}`)
  }
  for (const refund of report.refunds) {
    const taken = report.totals.find(total => total.currency === refund.currency)?.totalMinor ?? 0
    out.push(`${screenText('refund', language)}: ${refund.count} ${screenText('refunds', language)}, -${formatMoney(refund.totalMinor, refund.currency)}`)
    const net = taken - refund.totalMinor
    out.push(`${screenText('net', language)}: ${net < 0 ? '-' : ''}${formatMoney(Math.abs(net), refund.currency)}`)
  }
  return out.join('\n') + '\n'
}
