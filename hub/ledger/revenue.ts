// Gateway owners' revenue: the owner-share postings of offline and online payments, summed per owner wallet,
// gateway, currency and UTC day or month (by when the payment settled), optionally for one owner and one gateway.

import { assert } from '../../protocol/errors'
import { isEui } from '../../protocol/eui'
import { LedgerError } from './errors'
import { isIdentifier } from './ids'
import type { RevenueSeries } from './revenue-series'
import type { LedgerStore, OwnerRevenueRow, RevenuePeriod } from './store'

const REVENUE_ROWS_MAX = 10_000

export interface OwnerRevenueQuery {
  readonly ownerUserId?: string
  readonly gatewayEui?: string
  /** Inclusive, Unix milliseconds. */
  readonly fromMs: number
  /** Exclusive, Unix milliseconds. */
  readonly toMs: number
  readonly period: RevenuePeriod
  /** At most REVENUE_ROWS_MAX; the default. */
  readonly rowsMax?: number
}

export interface OwnerRevenueReport {
  /** Oldest period first. */
  readonly rows: readonly OwnerRevenueRow[]
  /** More rows matched than rowsMax: narrow the range. */
  readonly truncated: boolean
}

export async function ownerRevenue(store: Pick<LedgerStore, 'ownerRevenue'>, query: OwnerRevenueQuery): Promise<OwnerRevenueReport> {
  const problem = revenueQueryProblem(query)
  if (problem !== undefined) throw new LedgerError('INVALID_QUERY', problem)
  const rows_max = query.rowsMax ?? REVENUE_ROWS_MAX
  // One row more than asked tells whether the answer was cut short.
  const rows = await store.ownerRevenue({
    ownerUserId: query.ownerUserId ?? null,
    gatewayEui: query.gatewayEui ?? null,
    fromMs: query.fromMs,
    toMs: query.toMs,
    period: query.period,
    rowsMax: rows_max + 1,
  })
  return { rows: rows.slice(0, rows_max), truncated: rows.length > rows_max }
}

function revenueQueryProblem(query: OwnerRevenueQuery): string | undefined {
  if (typeof query !== 'object' || query === null) return 'a revenue query must be an object'
  if (query.ownerUserId !== undefined && !isIdentifier(query.ownerUserId)) return 'bad owner user id'
  if (query.gatewayEui !== undefined && !isEui(query.gatewayEui)) return 'a gateway EUI is 16 uppercase hex digits'
  if (!Number.isSafeInteger(query.fromMs) || !Number.isSafeInteger(query.toMs) || query.fromMs < 0) {
    return 'fromMs and toMs are non-negative Unix milliseconds'
  }
  if (query.fromMs >= query.toMs) return 'fromMs must come before toMs'
  if (query.period !== 'day' && query.period !== 'month') return "period is 'day' or 'month'"
  if (query.rowsMax !== undefined && (!Number.isSafeInteger(query.rowsMax) || query.rowsMax < 1
    || query.rowsMax > REVENUE_ROWS_MAX)) {
    return `rowsMax is 1..${REVENUE_ROWS_MAX}`
  }
  return undefined
}

/** Periods a revenue series may span: a year and a day by day (a leap year's days), five years by month. */
export const REVENUE_PERIODS_MAX: Readonly<Record<RevenuePeriod, number>> = Object.freeze({ day: 366, month: 60 })

/**
 * The label of every UTC day or month touching [from_ms, to_ms), oldest first, as the rows name them
 * ('YYYY-MM-DD', 'YYYY-MM'); undefined when there would be more than `count_max` (the loop stops there).
 */
export function periodLabels(from_ms: number, to_ms: number, period: RevenuePeriod, count_max: number): string[] | undefined {
  const labels: string[] = []
  const start = new Date(from_ms)
  let cursor_ms = period === 'day'
    ? Date.UTC(start.getUTCFullYear(), start.getUTCMonth(), start.getUTCDate())
    : Date.UTC(start.getUTCFullYear(), start.getUTCMonth(), 1)
  while (cursor_ms < to_ms) {
    if (labels.length === count_max) return undefined
    const cursor = new Date(cursor_ms)
    labels.push(cursor.toISOString().slice(0, period === 'day' ? 10 : 7))
    cursor_ms = period === 'day'
      ? Date.UTC(cursor.getUTCFullYear(), cursor.getUTCMonth(), cursor.getUTCDate() + 1)
      : Date.UTC(cursor.getUTCFullYear(), cursor.getUTCMonth() + 1, 1)
  }
  return labels
}

/**
 * The rows as series for a chart: one per gateway and currency (EUI order, then currency), at most
 * `series_max` of them, every period of `periods` present. Rows of a period outside `periods` are a
 * caller's mistake and throw.
 */
export function revenueSeries(
  rows: readonly OwnerRevenueRow[], periods: readonly string[], series_max: number,
): { series: RevenueSeries[]; truncated: boolean } {
  const index = new Map(periods.map((label, position) => [label, position]))
  const byKey = new Map<string, { gatewayEui: string; currency: string; revenueMinor: number[]; paymentCount: number[] }>()
  for (const row of rows) {
    const position = index.get(row.period)
    assert(position !== undefined, `revenue row of period ${row.period} outside the periods asked`)
    const key = `${row.gatewayEui} ${row.currency}`
    let series = byKey.get(key)
    if (series === undefined) {
      series = { gatewayEui: row.gatewayEui, currency: row.currency, revenueMinor: periods.map(() => 0), paymentCount: periods.map(() => 0) }
      byKey.set(key, series)
    }
    series.revenueMinor[position]! += row.revenueMinor
    series.paymentCount[position]! += row.paymentCount
  }
  const all = [...byKey.keys()].sort().map(key => byKey.get(key)!)
  return {
    series: all.slice(0, series_max).map(series => ({ ...series, totalMinor: series.revenueMinor.reduce((sum, value) => sum + value, 0) })),
    truncated: all.length > series_max,
  }
}
