// A gateway's revenue (the owner's share of the fees) per day over the last 30 days or per month over the
// last 12, as a bar chart per currency with its table; the hub gives every period, those without revenue at zero.

import { useState } from 'preact/hooks'
import { Chart } from '../../components/chart'
import { ErrorMessage, Loading, Section } from '../../components/ui'
import { useResource } from '../../components/resource'
import { formatAmount, formatAmountCompact, formatNumber, formatPeriod, useT } from '../../i18n'
import { useGatewayPayment } from './live'
import { addDays, query, utcDay, type RevenueSeries } from './model'

type Period = 'day' | 'month'
const DAYS_SHOWN = 30
const MONTHS_SHOWN = 12

/** The first day of the window that ends today: 30 days, or 12 months from the first of the month. */
function windowStart(period: Period, today: string): string {
  if (period === 'day') return addDays(today, 1 - DAYS_SHOWN)
  const start = new Date(`${today.slice(0, 7)}-01T00:00:00Z`)
  start.setUTCMonth(start.getUTCMonth() + 1 - MONTHS_SHOWN)
  return utcDay(start.getTime())
}

/** The hub's series, one per currency for one gateway; before any revenue, zeros in the gateway's `currency`. */
function seriesOrZeros(series: RevenueSeries[], periods: string[], currency: string | undefined): RevenueSeries[] {
  if (series.length > 0 || currency === undefined) return series
  return [{ currency, revenueMinor: periods.map(() => 0), paymentCount: periods.map(() => 0) }]
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
  const revenue = useResource<{ periods: string[]; series: RevenueSeries[] }>(
    `/revenue${query({ gatewayId, period, from: windowStart(period, today), to: today })}`,
  )
  useGatewayPayment(gatewayId, revenue.reload)
  const periods = revenue.data?.periods ?? []
  const labels = periods.map(formatPeriod)
  return (
    <Section title={words.title} id="revenue">
      <p class="muted">{words.intro}</p>
      <PeriodPicker period={period} onPeriod={setPeriod} />
      <ErrorMessage error={revenue.error} />
      {revenue.data === undefined ? <Loading /> : (
        <>
          {revenue.data.series.length === 0 ? <p>{words.none}</p> : null}
          {seriesOrZeros(revenue.data.series, periods, currency).map((series) => (
            <Chart
              key={series.currency}
              title={period === 'day' ? words.chartDay(series.currency) : words.chartMonth(series.currency)}
              labels={labels}
              values={series.revenueMinor}
              xLabel={period === 'day' ? words.dayAxis : words.monthAxis}
              yLabel={words.amountAxis(series.currency)}
              formatValue={(value) => formatAmount(value, series.currency)}
              formatTick={(value) => formatAmountCompact(value, series.currency)}
              figures={words.figures}
              more={[{ label: words.payments, cells: series.paymentCount.map(formatNumber) }]}
            />
          ))}
        </>
      )}
    </Section>
  )
}
