// A gateway's revenue (the owner's share of the fees) per day over the last 30 days or per month over the
// last 12, as a bar chart per currency with its table; every period shown, those without revenue at zero.

import { useState } from 'preact/hooks'
import { Chart } from '../../components/chart'
import { ErrorMessage, Loading, Section } from '../../components/ui'
import { useResource } from '../../components/resource'
import { formatAmount, formatAmountCompact, formatNumber, formatPeriod, useT } from '../../i18n'
import { useGatewayPayment } from './live'
import { addDays, daysBetween, monthsEnding, query, utcDay, type RevenueRow } from './model'

type Period = 'day' | 'month'
const DAYS_SHOWN = 30
const MONTHS_SHOWN = 12

/** The periods on the chart, oldest first, and the first day of the first: the query's `from`. */
function periodsTo(period: Period, today: string): { periods: string[]; from: string } {
  if (period === 'day') {
    const from = addDays(today, 1 - DAYS_SHOWN)
    return { periods: daysBetween(from, today), from }
  }
  const periods = monthsEnding(today, MONTHS_SHOWN)
  return { periods, from: `${periods[0]}-01` }
}

/** Revenue and payment count per period, a series per currency; `fallback` gives a chart of zeros when there is no row. */
function seriesOf(rows: RevenueRow[], periods: string[], fallback: string | undefined): Map<string, { revenue: number[]; payments: number[] }> {
  const series = new Map<string, { revenue: number[]; payments: number[] }>()
  const seriesFor = (currency: string) => {
    let found = series.get(currency)
    if (found === undefined) series.set(currency, (found = { revenue: periods.map(() => 0), payments: periods.map(() => 0) }))
    return found
  }
  if (rows.length === 0 && fallback !== undefined) seriesFor(fallback)
  for (const row of rows) {
    const index = periods.indexOf(row.period)
    if (index < 0) continue
    const found = seriesFor(row.currency)
    found.revenue[index]! += row.revenueMinor
    found.payments[index]! += row.paymentCount
  }
  return series
}

function PeriodPicker({ period, onPeriod }: { period: Period; onPeriod: (period: Period) => void }) {
  const t = useT()
  return (
    <div class="segmented" role="group" aria-label={t.owner.revenue.periodLabel}>
      <button type="button" aria-pressed={period === 'day'} onClick={() => onPeriod('day')}>{t.owner.revenue.byDay}</button>
      <button type="button" aria-pressed={period === 'month'} onClick={() => onPeriod('month')}>{t.owner.revenue.byMonth}</button>
    </div>
  )
}

/** `currency`: the gateway's, for a chart of zeros before its first revenue. */
export function RevenueSection({ gatewayId, currency }: { gatewayId: string; currency: string | undefined }) {
  const t = useT()
  const words = t.owner.revenue
  const [period, setPeriod] = useState<Period>('day')
  const today = utcDay(Date.now())
  const { periods, from } = periodsTo(period, today)
  const revenue = useResource<{ rows: RevenueRow[]; truncated: boolean }>(`/revenue${query({ gatewayId, period, from, to: today })}`)
  useGatewayPayment(gatewayId, revenue.reload)
  const rows = revenue.data?.rows ?? []
  const labels = periods.map(formatPeriod)
  return (
    <Section title={words.title} id="revenue">
      <p class="muted">{words.intro}</p>
      <PeriodPicker period={period} onPeriod={setPeriod} />
      <ErrorMessage error={revenue.error} />
      {revenue.data === undefined ? <Loading /> : (
        <>
          {rows.length === 0 ? <p>{words.none}</p> : null}
          {revenue.data.truncated ? <p class="muted">{words.truncated}</p> : null}
          {[...seriesOf(rows, periods, currency)].map(([code, series]) => (
            <Chart
              key={code}
              title={period === 'day' ? words.chartDay(code) : words.chartMonth(code)}
              labels={labels}
              values={series.revenue}
              xLabel={period === 'day' ? words.dayAxis : words.monthAxis}
              yLabel={words.amountAxis(code)}
              formatValue={(value) => formatAmount(value, code)}
              formatTick={(value) => formatAmountCompact(value, code)}
              figures={words.figures}
              more={[{ label: words.payments, cells: series.payments.map(formatNumber) }]}
            />
          ))}
        </>
      )}
    </Section>
  )
}
