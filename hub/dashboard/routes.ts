// GET /users/dashboard-infos: counts and sums for each of the caller's roles. A customer sees their wallets and recent
// payments; an owner their gateways, revenue and orders; an operator the hub's totals and what needs attention. Roles
// add up: a customer who became an owner gets both sections.

import type { FastifyPluginAsync } from 'fastify'
import { formatAmount } from '../../protocol/money'
import type { RouteOptions } from '../http/route-services'
import { GATEWAY_STATUSES, type GatewayStatus } from '../gateways/wire'
import { requireRole } from '../http/auth'
import { errorReplies } from '../http/errors'
import type { LedgerStore } from '../ledger/store'
import { BEARER_SECURITY, callerOf } from '../money/wire'
import { MOBILE_ACCOUNTS_SCHEMA, WALLET_REPLY_SCHEMA, mobileAccountsOf, walletReply, walletsOf } from '../mobile/accounts'
import { USER_TRANSACTION_SCHEMA, userTransactionReply } from '../transactions/replies'
import type { SqlEngine } from '../store/sql'
import { ROLES } from '../http/roles'

const RECENT_TRANSACTIONS_MAX = 5
const REVENUE_WINDOW_MS = 30 * 24 * 60 * 60 * 1000
const END_OF_TIME_MS = Date.UTC(9999, 0, 1)

const COUNT = { type: 'integer', minimum: 0 } as const
const countsOf = (keys: readonly string[]) => ({
  type: 'object', required: [...keys], additionalProperties: false, properties: Object.fromEntries(keys.map((key) => [key, COUNT])),
}) as const
const DOCUMENT_COUNTS = countsOf(['pending', 'approved', 'rejected'])
const GATEWAY_COUNTS = countsOf([...GATEWAY_STATUSES])

const dashboardSchema = {
  summary: 'Counts and sums for each of the caller’s roles',
  description: 'One section per role held (customer, owner, operator); `role` is the first of them.',
  tags: ['users'],
  security: BEARER_SECURITY,
  response: {
    200: {
      type: 'object',
      required: ['role'],
      additionalProperties: false,
      properties: {
        role: { type: 'string', enum: [...ROLES] },
        customer: {
          type: 'object',
          required: ['wallets', 'linkedAccounts', 'recentTransactions', 'paymentsAwaitingConfirmation', 'devices', 'documents'],
          additionalProperties: false,
          properties: {
            ...MOBILE_ACCOUNTS_SCHEMA,
            recentTransactions: { type: 'array', maxItems: RECENT_TRANSACTIONS_MAX, items: USER_TRANSACTION_SCHEMA },
            paymentsAwaitingConfirmation: COUNT,
            devices: COUNT,
            documents: DOCUMENT_COUNTS,
          },
        },
        owner: {
          type: 'object',
          required: ['gateways', 'revenueLast30Days', 'wallets', 'pendingOrders', 'documents'],
          additionalProperties: false,
          properties: {
            gateways: GATEWAY_COUNTS,
            revenueLast30Days: {
              type: 'array',
              items: {
                type: 'object',
                required: ['currency', 'revenueMinor', 'revenue', 'paymentCount'],
                additionalProperties: false,
                properties: { currency: { type: 'string' }, revenueMinor: COUNT, revenue: { type: 'string' }, paymentCount: COUNT },
              },
            },
            wallets: { type: 'array', items: WALLET_REPLY_SCHEMA },
            pendingOrders: COUNT,
            documents: DOCUMENT_COUNTS,
          },
        },
        operator: {
          type: 'object',
          required: ['users', 'gateways', 'pendingOrders', 'documents', 'notifications', 'flags'],
          additionalProperties: false,
          properties: {
            users: countsOf([...ROLES]),
            gateways: GATEWAY_COUNTS,
            pendingOrders: COUNT,
            documents: DOCUMENT_COUNTS,
            notifications: countsOf(['pending', 'sent', 'failed']),
            flags: countsOf(['openChainGaps', 'chainForks', 'doubleSpends', 'failedNotifications', 'pendingDocuments']),
          },
        },
      },
    },
    ...errorReplies(401),
  },
} as const

// Counts over tables other parts of the hub own, read only, on either engine (hub/store/sql.ts).
const COUNTS_SQL = {
  gatewaysByStatus: 'SELECT status, count(*) AS count FROM gateways GROUP BY status',
  gatewaysOfOwnerByStatus: 'SELECT status, count(*) AS count FROM gateways WHERE owner_user_id = ? GROUP BY status',
  devicesOfUser: `SELECT count(*) AS count FROM devices WHERE user_id = ? AND status = 'bound'`,
  openChainGaps: 'SELECT count(*) AS count FROM chain_gaps WHERE resolved_at_ms IS NULL',
  chainForks: 'SELECT count(*) AS count FROM chain_forks',
  // Those an operator has not resolved yet: what needs attention.
  doubleSpends: 'SELECT count(*) AS count FROM double_spends WHERE resolved_at_ms IS NULL',
} as const

class HubCounts {
  constructor(private readonly engine: SqlEngine) {}

  async gateways(ownerUserId: string | null): Promise<Record<GatewayStatus, number>> {
    const counts: Record<GatewayStatus, number> = { available: 0, assigned: 0, provisioned: 0, retired: 0 }
    const rows = ownerUserId === null
      ? await this.engine.all<{ status: GatewayStatus; count: number }>(COUNTS_SQL.gatewaysByStatus)
      : await this.engine.all<{ status: GatewayStatus; count: number }>(COUNTS_SQL.gatewaysOfOwnerByStatus, [ownerUserId])
    for (const row of rows) counts[row.status] = row.count
    return counts
  }

  async devices(userId: string): Promise<number> {
    return (await this.engine.get<{ count: number }>(COUNTS_SQL.devicesOfUser, [userId]))!.count
  }

  /** The three in one snapshot. */
  ingestFlags(): Promise<{ openChainGaps: number; chainForks: number; doubleSpends: number }> {
    return this.engine.read(async (sql) => ({
      openChainGaps: (await sql.get<{ count: number }>(COUNTS_SQL.openChainGaps))!.count,
      chainForks: (await sql.get<{ count: number }>(COUNTS_SQL.chainForks))!.count,
      doubleSpends: (await sql.get<{ count: number }>(COUNTS_SQL.doubleSpends))!.count,
    }))
  }
}

export const dashboardRoutes: FastifyPluginAsync<RouteOptions> = async (app, { context, services }) => {
  const sections = dashboardSections(context, services)
  app.get('/users/dashboard-infos', { schema: dashboardSchema, preValidation: [app.authenticate, requireRole(...ROLES)] },
    async (request) => {
      const { userId, role, roles } = callerOf(request)
      const now_ms = context.clock.now_ms()
      return {
        role,
        ...(roles.includes('customer') ? { customer: await sections.customer(userId, now_ms) } : {}),
        ...(roles.includes('owner') ? { owner: await sections.owner(userId, now_ms) } : {}),
        ...(roles.includes('operator') ? { operator: await sections.operator() } : {}),
      }
    })
}

/** The section of each role, built for the user asking. */
function dashboardSections(context: RouteOptions['context'], services: RouteOptions['services']) {
  const { ledger } = context
  const { users, orders, documents, outbox, payments, history, links } = services
  const counts = new HubCounts(context.engine)
  return {
    customer: async (userId: string, now_ms: number) => {
      const recent = await history.ofUser({
        userId, fromMs: 0, toMs: END_OF_TIME_MS, status: undefined, offset: 0, limit: RECENT_TRANSACTIONS_MAX, nowMs: now_ms,
      })
      return {
        ...(await mobileAccountsOf(ledger, links, userId)),
        recentTransactions: recent.transactions.map(userTransactionReply),
        paymentsAwaitingConfirmation: await payments.openCount(userId, now_ms),
        devices: await counts.devices(userId),
        documents: await documents.countsByStatus(userId),
      }
    },
    owner: async (userId: string, now_ms: number) => ({
      gateways: await counts.gateways(userId),
      revenueLast30Days: await revenueByCurrency(ledger, userId, now_ms),
      wallets: await walletsWithHolds(ledger, userId),
      pendingOrders: await orders.count({ userId, status: 'pending' }),
      documents: await documents.countsByStatus(userId),
    }),
    operator: async () => {
      const notifications = await outbox.counts()
      const documentCounts = await documents.countsByStatus()
      return {
        users: await users.countsByRole(),
        gateways: await counts.gateways(null),
        pendingOrders: await orders.count({ status: 'pending' }),
        documents: documentCounts,
        notifications,
        flags: { ...(await counts.ingestFlags()), failedNotifications: notifications.failed, pendingDocuments: documentCounts.pending },
      }
    },
  }
}

async function walletsWithHolds(ledger: LedgerStore, userId: string) {
  return Promise.all((await walletsOf(ledger, userId)).map((wallet) => walletReply(ledger, wallet)))
}

async function revenueByCurrency(ledger: LedgerStore, ownerUserId: string, now_ms: number) {
  const totals = await ledger.ownerRevenueTotals({ ownerUserId, fromMs: now_ms - REVENUE_WINDOW_MS, toMs: now_ms + 1 })
  return totals.map((total) => ({ ...total, revenue: formatAmount(total.revenueMinor, total.currency) }))
}
