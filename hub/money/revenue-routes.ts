// GET /revenue: gateway owners' share of the fees, per gateway, currency and UTC day or month. An owner sees
// only what was credited to their own wallets; an operator sees everyone's, or one owner's.

import type { FastifyPluginAsync } from 'fastify'
import { parseEui } from '../../protocol/eui'
import { formatAmount } from '../../protocol/money'
import type { HubContext } from '../context'
import { requireRole } from '../http/auth'
import { errorReplies, HttpError } from '../http/errors'
import { ownerRevenue } from '../ledger/revenue'
import type { RevenuePeriod } from '../ledger/store'
import { BEARER_SECURITY, DAY_SCHEMA, IDENTIFIER_SCHEMA, callerOf, dayStart_ms } from './wire'
import { DAY_MS } from '../../protocol/clock'

/** Most rows in one reply; `truncated` says when more matched. */
const REVENUE_ROWS_PER_REPLY_MAX = 1_000

interface RevenueQuery {
  period: RevenuePeriod
  from: string
  to: string
  gatewayEui?: string
  ownerUserId?: string
}

interface RevenueRowReply {
  ownerUserId: string | null
  ownerAccountId: string
  gatewayEui: string
  currency: string
  period: string
  revenueMinor: number
  revenue: string
  paymentCount: number
}

interface RevenueReply {
  rows: RevenueRowReply[]
  truncated: boolean
}

const revenueSchema = {
  summary: 'Owners’ revenue per gateway and period',
  description: 'Rows cover settlements from `from` to `to`, both days included (UTC); a month row only the days inside.',
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
        truncated: { type: 'boolean', description: 'more rows matched: narrow the range' },
      },
    },
    ...errorReplies(400, 401, 403),
  },
} as const

export const revenueRoutes: FastifyPluginAsync<{ context: HubContext }> = async (app, { context }) => {
  app.get<{ Querystring: RevenueQuery; Reply: RevenueReply }>('/revenue',
    { schema: revenueSchema, preValidation: [app.authenticate, requireRole('operator', 'owner')] }, async (request) => {
      const caller = callerOf(request)
      const { query } = request
      let ownerUserId = query.ownerUserId
      if (caller.role === 'owner') {
        if (ownerUserId !== undefined && ownerUserId !== caller.userId) {
          throw new HttpError(403, 'FORBIDDEN', 'an owner sees only their own revenue')
        }
        ownerUserId = caller.userId
      }
      const from_ms = dayStart_ms(query.from, 'from')
      const to_ms = dayStart_ms(query.to, 'to') + DAY_MS
      if (from_ms >= to_ms) throw new HttpError(400, 'BAD_REQUEST', 'from is a day no later than to')

      const report = await ownerRevenue(context.ledger, {
        ...(ownerUserId === undefined ? {} : { ownerUserId }),
        ...(query.gatewayEui === undefined ? {} : { gatewayEui: parseEui(query.gatewayEui) }),
        fromMs: from_ms,
        toMs: to_ms,
        period: query.period,
        rowsMax: REVENUE_ROWS_PER_REPLY_MAX,
      })
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
        truncated: report.truncated,
      }
    })
}
