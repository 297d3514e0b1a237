// Operator cash: POST /ledger/cash-in and /ledger/cash-out move money between a wallet and its currency's
// external account. The transfer id derives from (kind, account, idempotency key), so a retry changes nothing.
// Cash goes out only to the holder of a verified account (one that proved an email or a phone).

import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify'
import { assert } from '../../protocol/errors'
import { currencyByCode, formatAmount, formatMoney, parseAmount } from '../../protocol/money'
import { userNameOf } from '../audit/store'
import { requireRole } from '../http/auth'
import { errorReplies, HttpError } from '../http/errors'
import { printableLine } from '../http/text'
import { cashTransferId } from '../ledger/ids'
import type { Account, TransferInput } from '../ledger/model'
import { cashInPostings, cashOutPostings } from '../ledger/settle'
import type { RouteOptions } from '../http/route-services'
import { isVerified, type UserStore } from '../users/store'
import {
  AMOUNT_SCHEMA, BEARER_SECURITY, amountsAsStrings, CURRENCY_SCHEMA, IDENTIFIER_SCHEMA, MONEY_BODY_LIMIT_BYTES, callerOf, moneyRouteError,
} from './wire'

const REFERENCE_LENGTH_MAX = 200

type CashKind = 'cash_in' | 'cash_out'

interface CashBody {
  accountId: string
  amount: string
  currency: string
  idempotencyKey: string
  reference?: string
}

interface CashReply {
  transferId: string
  status: 'applied' | 'exists'
  kind: CashKind
  accountId: string
  currency: string
  amountMinor: number
  amount: string
}

const CASH_REPLY_SCHEMA = {
  type: 'object',
  required: ['transferId', 'status', 'kind', 'accountId', 'currency', 'amountMinor', 'amount'],
  additionalProperties: false,
  properties: {
    transferId: { type: 'string', description: 'sha256 of (kind, account, idempotency key), hex' },
    status: { type: 'string', enum: ['applied', 'exists'], description: 'exists: a retry of an applied request; nothing changed' },
    kind: { type: 'string', enum: ['cash_in', 'cash_out'] },
    accountId: { type: 'string' },
    currency: { type: 'string' },
    amountMinor: { type: 'integer', minimum: 1 },
    amount: { type: 'string' },
  },
} as const

function cashSchema(kind: CashKind) {
  return {
    summary: kind === 'cash_in' ? 'Credit a wallet with cash received' : 'Debit a wallet for cash paid out',
    tags: ['ledger'],
    security: BEARER_SECURITY,
    body: {
      type: 'object',
      required: ['accountId', 'amount', 'currency', 'idempotencyKey'],
      additionalProperties: false,
      properties: {
        accountId: IDENTIFIER_SCHEMA,
        amount: AMOUNT_SCHEMA,
        currency: CURRENCY_SCHEMA,
        idempotencyKey: {
          type: 'string', pattern: '^[!-~]{1,128}$',
          description: 'printable ASCII; the same key on the same wallet is the same transfer',
        },
        reference: { ...printableLine(REFERENCE_LENGTH_MAX), description: 'receipt or slip number, kept with the transfer: one line of printable text' },
      },
    },
    response: { 200: CASH_REPLY_SCHEMA, 201: CASH_REPLY_SCHEMA, ...errorReplies(400, 401, 403, 404, 409, 413) },
  } as const
}

export const cashRoutes: FastifyPluginAsync<RouteOptions> = async (app, { context, services }) => {
  const { ledger } = context
  const { users } = services
  // All before validation: the validator would coerce a JSON number amount into a string, and a caller who may
  // not move cash at all gets 401/403, not a verdict on the body.
  const operatorOnly = { preValidation: [app.authenticate, requireRole('operator'), amountsAsStrings('amount')] }

  async function moveCash(kind: CashKind, request: FastifyRequest<{ Body: CashBody }>, reply: FastifyReply) {
    const { accountId, idempotencyKey, reference } = request.body
    const currency = currencyByCode(request.body.currency).code
    const amount_minor = parseAmount(request.body.amount, currency, { allowZero: false })
    const account = await ledger.account(accountId)
    if (account === undefined) throw new HttpError(404, 'UNKNOWN_ACCOUNT', `no account ${accountId}`)
    if (account.kind !== 'wallet') {
      throw new HttpError(400, 'WRONG_ACCOUNT_KIND', `cash moves to and from wallets; ${accountId} is a ${account.kind} account`)
    }
    if (account.currency !== currency) {
      throw new HttpError(400, 'CURRENCY_MISMATCH', `wallet ${accountId} is in ${account.currency}, not ${currency}`)
    }
    if (kind === 'cash_out') await refuseUnverifiedHolder(users, account)

    const externalAccountId = (await ledger.systemAccounts(currency)).external.id
    const transfer: TransferInput = {
      id: cashTransferId(kind, accountId, idempotencyKey),
      kind,
      currency,
      postings: kind === 'cash_in'
        ? cashInPostings({ externalAccountId, walletAccountId: accountId, amountMinor: amount_minor })
        : cashOutPostings({ walletAccountId: accountId, externalAccountId, amountMinor: amount_minor }),
      ...(reference === undefined ? {} : { metadata: { reference } }),
    }
    const operatorUserId = callerOf(request).userId
    const targetName = await holderName(users, account)
    const [outcome] = await ledger.applyTransfers([transfer], async ([applied], sql) => {
      if (applied?.status !== 'applied') return
      await services.audit.recordIn(sql, {
        atMs: context.clock.now_ms(), actorId: operatorUserId, action: kind === 'cash_in' ? 'ledger.cash_in' : 'ledger.cash_out',
        targetId: accountId, targetName, detail: `${formatMoney(amount_minor, currency)}, transfer ${transfer.id}`
          + (reference === undefined ? '' : `, reference ${reference}`),
      })
    })
    assert(outcome !== undefined && outcome.transferId === transfer.id, 'one outcome per transfer, in order')
    if (outcome.status === 'conflict') {
      throw moneyRouteError(409, 'IDEMPOTENCY_CONFLICT',
        `idempotency key ${JSON.stringify(idempotencyKey)} was used on ${accountId} for a different ${kind}`)
    }
    if (outcome.status === 'refused') throw outcome.error
    request.log.info({ operatorUserId, kind, transferId: outcome.transferId, status: outcome.status },
      'cash moved')
    const body: CashReply = {
      transferId: outcome.transferId,
      status: outcome.status,
      kind,
      accountId,
      currency,
      amountMinor: amount_minor,
      amount: formatAmount(amount_minor, currency),
    }
    return reply.code(outcome.status === 'applied' ? 201 : 200).send(body)
  }

  app.post<{ Body: CashBody; Reply: CashReply }>('/ledger/cash-in',
    { schema: cashSchema('cash_in'), bodyLimit: MONEY_BODY_LIMIT_BYTES, ...operatorOnly },
    (request, reply) => moveCash('cash_in', request, reply))

  app.post<{ Body: CashBody; Reply: CashReply }>('/ledger/cash-out',
    { schema: cashSchema('cash_out'), bodyLimit: MONEY_BODY_LIMIT_BYTES, ...operatorOnly },
    (request, reply) => moveCash('cash_out', request, reply))
}

/** How the audit log names a wallet: its holder and its id. */
async function holderName(users: UserStore, wallet: Account): Promise<string> {
  const holder = wallet.userId === null ? undefined : await users.byId(wallet.userId)
  return holder === undefined ? wallet.id : `${userNameOf(holder)}'s wallet ${wallet.id}`
}

/** Cash goes out only to a verified account's holder: 403 ACCOUNT_UNVERIFIED else (or for a wallet of nobody). */
async function refuseUnverifiedHolder(users: UserStore, wallet: Account): Promise<void> {
  const holder = wallet.userId === null ? undefined : await users.byId(wallet.userId)
  if (holder === undefined || !isVerified(holder)) {
    throw new HttpError(403, 'ACCOUNT_UNVERIFIED',
      `the holder of wallet ${wallet.id} has proved neither an email nor a phone: no cash goes out to them until they do`)
  }
}
