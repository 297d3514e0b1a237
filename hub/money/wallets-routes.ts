// A user's wallets: POST /users/create-account opens one per currency, GET /accounts lists the caller's
// with what their vouchers hold, GET /accounts/{id} shows one account (any to an operator, one's own to others).

import type { FastifyPluginAsync } from 'fastify'
import { allCurrencies, currencyByCode, formatAmount } from '../../protocol/money'
import { walletAccountId } from '../accounts'
import type { HubContext } from '../context'
import { requireRole } from '../http/auth'
import { errorReplies, HttpError } from '../http/errors'
import { holdAccountId } from '../ledger/ids'
import { ACCOUNT_KINDS, type Account, type AccountKind } from '../ledger/model'
import type { LedgerStore } from '../ledger/store'
import { ROLES } from '../http/roles'
import { BEARER_SECURITY, CURRENCY_SCHEMA, IDENTIFIER_SCHEMA, MONEY_BODY_LIMIT_BYTES, callerOf, moneyRouteError } from './wire'

interface AccountReply {
  id: string
  kind: AccountKind
  userId: string | null
  currency: string
  balanceMinor: number
  balance: string
  /** Wallets only: what the wallet's vouchers hold aside, already out of balanceMinor. */
  holdMinor?: number
  hold?: string
}

const ACCOUNT_REPLY_SCHEMA = {
  type: 'object',
  required: ['id', 'kind', 'userId', 'currency', 'balanceMinor', 'balance'],
  additionalProperties: false,
  properties: {
    id: { type: 'string' },
    kind: { type: 'string', enum: [...ACCOUNT_KINDS] },
    userId: { type: ['string', 'null'] },
    currency: { type: 'string' },
    balanceMinor: { type: 'integer', description: 'minor units; below zero only as recorded debt' },
    balance: { type: 'string', description: 'balanceMinor in major units' },
    holdMinor: { type: 'integer', minimum: 0, description: 'wallets: set aside for vouchers, not in balanceMinor' },
    hold: { type: 'string' },
  },
} as const

interface CreateAccountBody {
  currency: string
}

const createAccountSchema = {
  summary: 'Open the caller’s wallet in a currency',
  tags: ['accounts'],
  security: BEARER_SECURITY,
  body: {
    type: 'object',
    required: ['currency'],
    additionalProperties: false,
    properties: { currency: CURRENCY_SCHEMA },
  },
  response: { 201: ACCOUNT_REPLY_SCHEMA, ...errorReplies(400, 401, 409, 413) },
} as const

const listAccountsSchema = {
  summary: 'The caller’s wallets, with balances and holds',
  tags: ['accounts'],
  security: BEARER_SECURITY,
  response: {
    200: {
      type: 'object',
      required: ['accounts'],
      additionalProperties: false,
      properties: { accounts: { type: 'array', items: ACCOUNT_REPLY_SCHEMA } },
    },
    ...errorReplies(401),
  },
} as const

const getAccountSchema = {
  summary: 'One account: any to an operator, only one’s own to others',
  tags: ['accounts'],
  security: BEARER_SECURITY,
  params: {
    type: 'object',
    required: ['id'],
    additionalProperties: false,
    properties: { id: IDENTIFIER_SCHEMA },
  },
  response: { 200: ACCOUNT_REPLY_SCHEMA, ...errorReplies(400, 401, 404) },
} as const

export const walletRoutes: FastifyPluginAsync<{ context: HubContext }> = async (app, { context }) => {
  const { ledger } = context
  const signedIn = { preValidation: [app.authenticate, requireRole(...ROLES)] }

  app.post<{ Body: CreateAccountBody; Reply: AccountReply }>('/users/create-account',
    { schema: createAccountSchema, bodyLimit: MONEY_BODY_LIMIT_BYTES, ...signedIn }, async (request, reply) => {
      const { userId } = callerOf(request)
      const currency = currencyByCode(request.body.currency).code
      const id = walletAccountId(userId, currency)
      if (await ledger.account(id) !== undefined) {
        throw moneyRouteError(409, 'ACCOUNT_EXISTS', `you have a ${currency} wallet already: ${id}`)
      }
      const wallet = await ledger.openWallet({ id, userId, currency })
      return reply.code(201).send(await accountReply(ledger, wallet))
    })

  app.get<{ Reply: { accounts: AccountReply[] } }>('/accounts',
    { schema: listAccountsSchema, ...signedIn }, async (request) => {
      const { userId } = callerOf(request)
      const accounts: AccountReply[] = []
      // One wallet per user and currency (hub/accounts.ts), so the currencies bound the search.
      for (const { code } of allCurrencies()) {
        const wallet = await ledger.account(walletAccountId(userId, code))
        if (wallet !== undefined && wallet.kind === 'wallet' && wallet.userId === userId) {
          accounts.push(await accountReply(ledger, wallet))
        }
      }
      return { accounts }
    })

  app.get<{ Params: { id: string }; Reply: AccountReply }>('/accounts/:id',
    { schema: getAccountSchema, ...signedIn }, async (request) => {
      const caller = callerOf(request)
      const account = await ledger.account(request.params.id)
      // Someone else's account answers as a missing one does, so ids cannot be probed.
      if (account === undefined || (caller.role !== 'operator' && account.userId !== caller.userId)) {
        throw new HttpError(404, 'UNKNOWN_ACCOUNT', `no account ${request.params.id}`)
      }
      return accountReply(ledger, account)
    })
}

async function accountReply(ledger: LedgerStore, account: Account): Promise<AccountReply> {
  const reply: AccountReply = {
    id: account.id,
    kind: account.kind,
    userId: account.userId,
    currency: account.currency,
    balanceMinor: account.balanceMinor,
    balance: formatAmount(account.balanceMinor, account.currency),
  }
  if (account.kind !== 'wallet') return reply
  // Read, not ledger.holdAccount(): that one creates the hold account, and a GET writes nothing.
  const hold_minor = (await ledger.account(holdAccountId(account.id)))?.balanceMinor ?? 0
  return { ...reply, holdMinor: hold_minor, hold: formatAmount(hold_minor, account.currency) }
}
