// Transactions over REST at the seed's paths: POST /transactions pays another wallet online, GET
// /user/transactions is the caller's history, GET /transactions/{gatewayId}/gateway what one gateway took,
// and /gateway.csv the same as a spreadsheet file.

import { Readable } from 'node:stream'
import type { Clock } from '../../protocol/clock'
import type { FastifyInstance, FastifyPluginAsync } from 'fastify'
import { toHex } from '../../protocol/bytes'
import { currencyByCode, formatAmount, parseAmount } from '../../protocol/money'
import { walletAccountId } from '../accounts'
import type { HubServices, RouteOptions } from '../http/route-services'
import type { Gateway } from '../gateways/store'
import { gatewayOfCaller } from '../gateways/visible'
import { requireRole, requireVerifiedAccount } from '../http/auth'
import { errorReplies, HttpError } from '../http/errors'
import { printableLine } from '../http/text'
import {
  AMOUNT_SCHEMA, BEARER_SECURITY, CURRENCY_SCHEMA, IDENTIFIER_SCHEMA, MONEY_BODY_LIMIT_BYTES, amountsAsStrings, callerOf,
} from '../money/wire'
import { ROLES } from '../http/roles'
import { csvRecord } from './csv'
import { TRANSACTION_STATUSES, type GatewayTransaction, type TransactionHistory } from './history'
import { USER_TRANSACTION_SCHEMA, userTransactionReply } from './replies'
import { HISTORY_QUERY_PROPERTIES, historyWindow_ms, pageSchema, type HistoryQuery } from './schemas'
import { onlineTransferId } from './ids'
import { payeeWallet, settleWalletTransfer } from './transfer'

const RANDOM_TRANSFER_ID_BYTES = 32
/** Rows one CSV export may hold; a window with more is refused (EXPORT_TOO_LARGE) before anything is sent. */
export const CSV_EXPORT_ROWS_MAX = 100_000
/** Rows read from the database at a time while a CSV export streams out. */
const CSV_EXPORT_PAGE_ROWS = 1_000
const CSV_HEADER = ['transferId', 'createdAt', 'kind', 'currency', 'amountMinor', 'amount', 'voucherId', 'gatewayId', 'gatewayEui', 'gatewayName']
const REFERENCE_LENGTH_MAX = 200
interface TransferBody {
  toWalletAddress: string
  amount: string
  currency: string
  reference?: string
  idempotencyKey?: string
}

interface TransferReply {
  transferId: string
  status: 'applied' | 'exists'
  fromAccountId: string
  toAccountId: string
  currency: string
  amountMinor: number
  amount: string
  reference: string | null
}

const transferSchema = {
  summary: 'Pay another wallet from the caller’s wallet in that currency',
  description: 'Settled at once through the ledger. With an idempotency key, a retry is answered 200 and moves nothing.',
  tags: ['transactions'],
  security: BEARER_SECURITY,
  body: {
    type: 'object',
    required: ['toWalletAddress', 'amount', 'currency'],
    additionalProperties: false,
    properties: {
      toWalletAddress: { ...IDENTIFIER_SCHEMA, description: 'the payee’s wallet account id' },
      amount: AMOUNT_SCHEMA,
      currency: CURRENCY_SCHEMA,
      reference: { ...printableLine(REFERENCE_LENGTH_MAX), description: 'shown to the payee: one line of printable text' },
      idempotencyKey: { type: 'string', pattern: '^[!-~]{1,128}$', description: 'printable ASCII; the same key is the same payment' },
    },
  },
  response: {
    ...Object.fromEntries([200, 201].map((status) => [status, {
      type: 'object',
      required: ['transferId', 'status', 'fromAccountId', 'toAccountId', 'currency', 'amountMinor', 'amount', 'reference'],
      additionalProperties: false,
      properties: {
        transferId: { type: 'string' },
        status: { type: 'string', enum: ['applied', 'exists'] },
        fromAccountId: { type: 'string' },
        toAccountId: { type: 'string' },
        currency: { type: 'string' },
        amountMinor: { type: 'integer' },
        amount: { type: 'string' },
        reference: { type: ['string', 'null'] },
      },
    }])),
    ...errorReplies(400, 401, 403, 404, 409, 413),
  },
} as const

const userHistorySchema = {
  summary: 'The caller’s transactions, newest first',
  tags: ['transactions'],
  security: BEARER_SECURITY,
  querystring: {
    type: 'object',
    additionalProperties: false,
    properties: { ...HISTORY_QUERY_PROPERTIES, status: { type: 'string', enum: [...TRANSACTION_STATUSES] } },
  },
  response: { 200: pageSchema(USER_TRANSACTION_SCHEMA), ...errorReplies(400, 401) },
} as const

interface GatewayTransactionReply {
  id: string
  kind: string
  currency: string
  amountMinor: number
  amount: string
  voucherId: string | null
  createdAt: string
}

const gatewayHistorySchema = {
  summary: 'Transactions a gateway processed, newest first (its owner, or an operator)',
  tags: ['transactions'],
  security: BEARER_SECURITY,
  params: {
    type: 'object', required: ['gatewayId'], additionalProperties: false,
    properties: { gatewayId: { type: 'string', minLength: 1, maxLength: 64 } },
  },
  querystring: { type: 'object', additionalProperties: false, properties: HISTORY_QUERY_PROPERTIES },
  response: {
    200: pageSchema({
      type: 'object',
      required: ['id', 'kind', 'currency', 'amountMinor', 'amount', 'voucherId', 'createdAt'],
      additionalProperties: false,
      properties: {
        id: { type: 'string' },
        kind: { type: 'string' },
        currency: { type: 'string' },
        amountMinor: { type: 'integer' },
        amount: { type: 'string' },
        voucherId: { type: ['string', 'null'] },
        createdAt: { type: 'string', format: 'date-time' },
      },
    }),
    ...errorReplies(400, 401, 403, 404),
  },
} as const

const gatewayCsvSchema = {
  summary: 'Transactions a gateway processed, as a CSV file, oldest first (its owner, or an operator)',
  description: `RFC 4180: a header row, CRLF line ends, fields quoted when they need it, UTF-8. Text that a spreadsheet `
    + 'would run as a formula (starting with = + - or @) gets a leading apostrophe. Without `to` the file ends now. '
    + `At most ${CSV_EXPORT_ROWS_MAX} rows: a window with more is refused with 400 EXPORT_TOO_LARGE; narrow from and to.`,
  tags: ['transactions'],
  security: BEARER_SECURITY,
  params: {
    type: 'object', required: ['gatewayId'], additionalProperties: false,
    properties: { gatewayId: { type: 'string', minLength: 1, maxLength: 64 } },
  },
  querystring: {
    type: 'object', additionalProperties: false,
    properties: { from: HISTORY_QUERY_PROPERTIES.from, to: HISTORY_QUERY_PROPERTIES.to },
  },
  response: { 200: { type: 'string', description: 'text/csv' }, ...errorReplies(400, 401, 403, 404) },
} as const

function gatewayTransactionReply(transaction: GatewayTransaction): GatewayTransactionReply {
  return {
    id: transaction.id,
    kind: transaction.kind,
    currency: transaction.currency,
    amountMinor: transaction.amountMinor,
    amount: formatAmount(transaction.amountMinor, transaction.currency),
    voucherId: transaction.voucherId,
    createdAt: new Date(transaction.createdAtMs).toISOString(),
  }
}

export const transactionRoutes: FastifyPluginAsync<RouteOptions> = async (app, { context, services }) => {
  const { ledger } = context
  const { history, gateways, events } = services
  const signedIn = [app.authenticate, requireRole(...ROLES)]

  app.post<{ Body: TransferBody; Reply: TransferReply }>('/transactions', {
    schema: transferSchema, bodyLimit: MONEY_BODY_LIMIT_BYTES, preValidation: [...signedIn, requireVerifiedAccount, amountsAsStrings('amount')],
  }, async (request, reply) => {
    const { userId } = callerOf(request)
    const { toWalletAddress, idempotencyKey, reference } = request.body
    const currency = currencyByCode(request.body.currency).code
    const amount_minor = parseAmount(request.body.amount, currency, { allowZero: false })
    const payerAccountId = walletAccountId(userId, currency)
    if (await ledger.account(payerAccountId) === undefined) {
      throw new HttpError(409, 'NO_WALLET', `you have no ${currency} wallet; open one with POST /users/create-account`)
    }
    const payeeAccountId = await payeeWallet(ledger, toWalletAddress, currency, payerAccountId)
    const transferId = idempotencyKey === undefined
      ? toHex(context.random(RANDOM_TRANSFER_ID_BYTES))
      : onlineTransferId(payerAccountId, idempotencyKey)
    const status = await settleWalletTransfer({ ledger, events, clock: context.clock }, {
      id: transferId, payerAccountId, payeeAccountId, currency, amountMinor: amount_minor,
      metadata: { channel: 'web', payerUserId: userId, ...(reference === undefined ? {} : { reference }) },
    })
    request.log.info({ transferId, status }, 'online transfer')
    return reply.code(status === 'applied' ? 201 : 200).send({
      transferId, status, fromAccountId: payerAccountId, toAccountId: payeeAccountId, currency, amountMinor: amount_minor,
      amount: formatAmount(amount_minor, currency), reference: reference ?? null,
    })
  })

  app.get<{ Querystring: HistoryQuery }>('/user/transactions', { schema: userHistorySchema, preValidation: signedIn }, async (request) => {
    const { page, pageSize, status } = request.query
    const { transactions, total } = await history.ofUser({
      userId: callerOf(request).userId, ...historyWindow_ms(request.query), status,
      offset: (page - 1) * pageSize, limit: pageSize, nowMs: context.clock.now_ms(),
    })
    return { items: transactions.map(userTransactionReply), page, pageSize, total }
  })

  app.get<{ Params: { gatewayId: string }; Querystring: HistoryQuery }>('/transactions/:gatewayId/gateway',
    { schema: gatewayHistorySchema, preValidation: [app.authenticate, requireRole('operator', 'owner')] }, async (request) => {
      const gateway = await gatewayOfCaller(gateways, callerOf(request), request.params.gatewayId)
      const { page, pageSize } = request.query
      const { fromMs, toMs } = withinLifetime(gateway, historyWindow_ms(request.query))
      const { transactions, total } = await history.ofGateway(gateway.eui, fromMs, toMs, (page - 1) * pageSize, pageSize)
      return { items: transactions.map(gatewayTransactionReply), page, pageSize, total }
    })
  gatewayCsvRoute(app, context.clock, services)
}

/** GET /transactions/{gatewayId}/gateway.csv: counted first, against the cap, then streamed a page at a time. */
function gatewayCsvRoute(app: FastifyInstance, clock: Pick<Clock, 'now_ms'>, { history, gateways }: HubServices): void {
  app.get<{ Params: { gatewayId: string }; Querystring: { from?: string; to?: string } }>('/transactions/:gatewayId/gateway.csv',
    { schema: gatewayCsvSchema, preValidation: [app.authenticate, requireRole('operator', 'owner')] }, async (request, reply) => {
      const gateway = await gatewayOfCaller(gateways, callerOf(request), request.params.gatewayId)
      const window = withinLifetime(gateway,
        historyWindow_ms({ from: request.query.from, to: request.query.to ?? new Date(clock.now_ms() + 1).toISOString() }))
      const count = await history.countOfGateway(gateway.eui, window.fromMs, window.toMs)
      if (count > CSV_EXPORT_ROWS_MAX) {
        throw new HttpError(400, 'EXPORT_TOO_LARGE',
          `gateway ${gateway.id} took ${count} transactions in this window; an export holds at most ${CSV_EXPORT_ROWS_MAX}: narrow from and to`)
      }
      const filename = `payall-${gateway.id.replace(/[^A-Za-z0-9._-]/g, '_')}-transactions.csv`
      return reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="${filename}"`)
        .header('cache-control', 'no-store')
        .send(Readable.from(csvLines(history, gateway, window)))
    })
}

/** The header, then the rows a page at a time: each page is read when the client has taken the one before. */
async function* csvLines(history: TransactionHistory, gateway: Gateway, window: { fromMs: number; toMs: number }): AsyncGenerator<string> {
  yield csvRecord(CSV_HEADER)
  let last: GatewayTransaction | null = null
  for (let written = 0; written < CSV_EXPORT_ROWS_MAX;) {
    const page = await history.ofGatewayChronological(
      gateway.eui, window.fromMs, window.toMs, last, Math.min(CSV_EXPORT_PAGE_ROWS, CSV_EXPORT_ROWS_MAX - written))
    if (page.length === 0) return
    yield page.map(transaction => csvRecord([
      transaction.id, new Date(transaction.createdAtMs).toISOString(), transaction.kind, transaction.currency, transaction.amountMinor,
      formatAmount(transaction.amountMinor, transaction.currency), transaction.voucherId, gateway.id, gateway.eui, gateway.name,
    ])).join('')
    written += page.length
    last = page.at(-1)!
  }
}

/**
 * A window of a gateway's history narrowed to its own life: transfers name a gateway by its EUI, and a retired gateway's
 * EUI may be given to a new one, whose owner must not see the earlier gateway's payments (nor the earlier one the new one's).
 */
function withinLifetime(
  gateway: { readonly createdAtMs: number; readonly retiredAtMs: number | null }, window: { fromMs: number; toMs: number },
): { fromMs: number; toMs: number } {
  const from_ms = Math.max(window.fromMs, gateway.createdAtMs)
  const to_ms = gateway.retiredAtMs === null ? window.toMs : Math.min(window.toMs, gateway.retiredAtMs + 1)
  return { fromMs: from_ms, toMs: Math.max(from_ms, to_ms) }
}
