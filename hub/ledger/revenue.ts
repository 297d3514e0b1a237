// Gateway owners' revenue: the owner-share postings of offline and online payments, summed per owner wallet,
// gateway, currency and UTC day or month (by when the payment settled), optionally for one owner and one gateway.

import { isEui } from '../../protocol/eui'
import { LedgerError } from './errors'
import { isIdentifier } from './ids'
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
