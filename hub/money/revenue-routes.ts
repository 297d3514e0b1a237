// GET /revenue: gateway owners' share of the fees, per gateway, currency and UTC day or month, as rows and as
// chart series with every period of the window. An owner sees only what was credited to their own wallets, and
// names only their own gateways; an operator sees everyone's, or one owner's, or one gateway's.

import type { FastifyPluginAsync } from 'fastify'
import { parseEui } from '../../protocol/eui'
import { formatAmount } from '../../protocol/money'
import type { RouteOptions } from '../http/route-services'
import type { GatewayStore } from '../gateways/store'
import { gatewayOfCaller } from '../gateways/visible'
import { requireRole } from '../http/auth'
import { errorReplies, HttpError } from '../http/errors'
import { REVENUE_PERIODS_MAX, ownerRevenue, periodLabels, revenueSeries } from '../ledger/revenue'
import type { RevenueReply } from './revenue-wire'
import type { RevenuePeriod } from '../ledger/store'
import { BEARER_SECURITY, DAY_SCHEMA, IDENTIFIER_SCHEMA, callerOf, dayStart_ms, type Caller } from './wire'
import { DAY_MS } from '../../protocol/clock'

/** Most rows in one reply; `truncated` says when more matched. */
const REVENUE_ROWS_PER_REPLY_MAX = 1_000
/** Most series (gateway and currency) in one reply; `truncated` says when more matched. */
const REVENUE_SERIES_PER_REPLY_MAX = 100

interface RevenueQuery {
  period: RevenuePeriod
  from: string
  to: string
  gatewayEui?: string
  gatewayId?: string
  ownerUserId?: string
}

const revenueSchema = {
  summary: 'Owners’ revenue per gateway and period',
  description: 'Rows cover settlements from `from` to `to`, both days included (UTC); a month row only the days inside. '
    + '`series` are the same rows for a chart: one per gateway and currency, a value for every period of `periods`. '
    + `The window is at most ${REVENUE_PERIODS_MAX.day} days by day and ${REVENUE_PERIODS_MAX.month} months by month `
    + '(else 400 RANGE_TOO_LONG).',
  tags: ['revenue'],
  security: BEARER_SECURITY,
  querystring: {
    type: 'object',
    required: ['from', 'to'],
    additionalProperties: false,
    properties: {
      period: { type: 'string', enum: ['day', 'month'], default: 'day' },
      from: DAY_SCHEMA,
      to: DAY_SCHEMA,
      gatewayEui: { type: 'string', maxLength: 23, description: 'EUI-64, 16 hex digits, optionally separated by - or :' },
      gatewayId: { type: 'string', minLength: 1, maxLength: 64, description: 'instead of gatewayEui: the hub’s id of the gateway' },
      ownerUserId: { ...IDENTIFIER_SCHEMA, description: 'operators: one owner only; owners: their own id or nothing' },
    },
  },
  response: {
    200: {
      type: 'object',
      required: ['rows', 'truncated'],
      additionalProperties: false,
      properties: {
        rows: {
          type: 'array',
          maxItems: REVENUE_ROWS_PER_REPLY_MAX,
          items: {
            type: 'object',
            required: ['ownerUserId', 'ownerAccountId', 'gatewayEui', 'currency', 'period', 'revenueMinor', 'revenue', 'paymentCount'],
            additionalProperties: false,
            properties: {
              ownerUserId: { type: ['string', 'null'] },
              ownerAccountId: { type: 'string' },
              gatewayEui: { type: 'string' },
              currency: { type: 'string' },
              period: { type: 'string', description: 'YYYY-MM-DD by day, YYYY-MM by month' },
              revenueMinor: { type: 'integer' },
              revenue: { type: 'string' },
              paymentCount: { type: 'integer', minimum: 1 },
            },
          },
        },
        periods: {
          type: 'array', maxItems: Math.max(REVENUE_PERIODS_MAX.day, REVENUE_PERIODS_MAX.month), items: { type: 'string' },
          description: 'every UTC day (YYYY-MM-DD) or month (YYYY-MM) of the window, oldest first',
        },
        series: {
          type: 'array',
          maxItems: REVENUE_SERIES_PER_REPLY_MAX,
          items: {
            type: 'object',
            required: ['gatewayEui', 'gatewayId', 'gatewayName', 'currency', 'revenueMinor', 'paymentCount', 'totalMinor', 'total'],
            additionalProperties: false,
            properties: {
              gatewayEui: { type: 'string' },
              gatewayId: { type: ['string', 'null'], description: 'null when the hub no longer has a gateway of that EUI' },
              gatewayName: { type: ['string', 'null'] },
              currency: { type: 'string' },
              revenueMinor: { type: 'array', items: { type: 'integer' }, description: 'one per period, summed over its owners' },
              paymentCount: { type: 'array', items: { type: 'integer' } },
              totalMinor: { type: 'integer' },
              total: { type: 'string' },
            },
          },
          description: 'one per gateway and currency, by EUI',
        },
        truncated: { type: 'boolean', description: 'more rows or series matched than a reply holds: narrow the range, or name a gateway or owner' },
      },
    },
    ...errorReplies(400, 401, 403, 404),
  },
} as const

export const revenueRoutes: FastifyPluginAsync<RouteOptions> = async (app, { context, services }) => {
  app.get<{ Querystring: RevenueQuery; Reply: RevenueReply }>('/revenue',
    { schema: revenueSchema, preValidation: [app.authenticate, requireRole('operator', 'owner')] }, async (request) => {
      const caller = callerOf(request)
      const { query } = request
      const ownerUserId = ownerFilter(caller, query.ownerUserId)
      const gatewayEui = await gatewayFilter(services.gateways, caller, query)
      const from_ms = dayStart_ms(query.from, 'from')
      const to_ms = dayStart_ms(query.to, 'to') + DAY_MS
      if (from_ms >= to_ms) throw new HttpError(400, 'BAD_REQUEST', 'from is a day no later than to')
      const periods = periodLabels(from_ms, to_ms, query.period, REVENUE_PERIODS_MAX[query.period])
      if (periods === undefined) {
        throw new HttpError(400, 'RANGE_TOO_LONG', `by ${query.period}, from and to span at most ${REVENUE_PERIODS_MAX[query.period]} ${query.period}s`)
      }

      const report = await ownerRevenue(context.ledger, {
        ...(ownerUserId === undefined ? {} : { ownerUserId }),
        ...(gatewayEui === undefined ? {} : { gatewayEui }),
        fromMs: from_ms,
        toMs: to_ms,
        period: query.period,
        rowsMax: REVENUE_ROWS_PER_REPLY_MAX,
      })
      const { series, truncated } = revenueSeries(report.rows, periods, REVENUE_SERIES_PER_REPLY_MAX)
      return {
        rows: report.rows.map((row) => ({
          ownerUserId: row.ownerUserId,
          ownerAccountId: row.ownerAccountId,
          gatewayEui: row.gatewayEui,
          currency: row.currency,
          period: row.period,
          revenueMinor: row.revenueMinor,
          revenue: formatAmount(row.revenueMinor, row.currency),
          paymentCount: row.paymentCount,
        })),
        periods,
        series: await Promise.all(series.map(async (one) => {
          const gateway = await services.gateways.byEui(one.gatewayEui)
          return { ...one, gatewayId: gateway?.id ?? null, gatewayName: gateway?.name ?? null, total: formatAmount(one.totalMinor, one.currency) }
        })),
        truncated: report.truncated || truncated,
      }
    })
}

/** The owner whose revenue the caller sees: an owner only their own; an operator the one named, or all. */
function ownerFilter(caller: Caller, named: string | undefined): string | undefined {
  if (caller.role !== 'owner') return named
  if (named !== undefined && named !== caller.userId) throw new HttpError(403, 'FORBIDDEN', 'an owner sees only their own revenue')
  return caller.userId
}

/** The EUI of the gateway named by id or EUI, if one is; an owner may name by id only a gateway of theirs. */
async function gatewayFilter(gateways: GatewayStore, caller: Caller, query: RevenueQuery): Promise<string | undefined> {
  if (query.gatewayId !== undefined && query.gatewayEui !== undefined) {
    throw new HttpError(400, 'BAD_REQUEST', 'name the gateway by gatewayId or by gatewayEui, not both')
  }
  if (query.gatewayEui !== undefined) return parseEui(query.gatewayEui)
  if (query.gatewayId === undefined) return undefined
  return (await gatewayOfCaller(gateways, caller, query.gatewayId)).eui
}
