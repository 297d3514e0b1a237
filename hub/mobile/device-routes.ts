// The phone's money routes at the legacy paths under /api/auth/device: pay a phone number (confirmed by a
// code sent to the payer), balances behind a bound device (its own user only), and the caller's history.

import type { FastifyInstance, FastifyPluginAsync, FastifyRequest } from 'fastify'
import { toHex } from '../../protocol/bytes'
import { currencyByCode, formatAmount, parseAmount } from '../../protocol/money'
import { walletAccountId } from '../accounts'
import type { HubContext } from '../context'
import type { HubServices, RouteOptions } from '../http/route-services'
import type { LedgerStore } from '../ledger/store'
import { requireRole, requireVerifiedAccount } from '../http/auth'
import { errorReplies, HttpError } from '../http/errors'
import { AMOUNT_SCHEMA, BEARER_SECURITY, CURRENCY_SCHEMA, amountsAsStrings, callerOf } from '../money/wire'
import { paymentCodeMessage } from '../notify/message'
import { TRANSACTION_STATUSES } from '../transactions/history'
import { mobilePaymentTransferId } from '../transactions/ids'
import { USER_TRANSACTION_SCHEMA, userTransactionReply } from '../transactions/replies'
import { HISTORY_QUERY_PROPERTIES, historyWindow_ms, pageSchema, type HistoryQuery } from '../transactions/schemas'
import { settleWalletTransfer } from '../transactions/transfer'
import { ROLES } from '../http/roles'
import { phoneNumberOf, PHONE_TEXT_SCHEMA } from '../users/phone'
import { AUTH_BODY_LIMIT_BYTES } from '../users/schemas'
import { ownDevice } from '../vouchers/own-device'
import { WALLET_REPLY_SCHEMA, walletReply, walletsOf, type WalletReply } from './accounts'
import {
  PAYMENT_CODE_DIGITS, PAYMENT_CODE_LIFETIME_MS, WRONG_CODES_MAX, codeMatches, judgeConfirmation, newPaymentCode, paymentCodeHash,
} from './payment-code'
import { OPEN_PAYMENTS_PER_PAYER_MAX, type MobilePayment } from './payments'

const PAYMENT_ID_BYTES = 12
const IMEI_SCHEMA = { type: 'string', minLength: 1, maxLength: 64, pattern: '^[0-9A-Za-z-]+$' } as const

interface PayBody {
  toPhone: string
  amount: string
  currency?: string
}

const paySchema = {
  summary: 'Pay a phone number; a 6-digit code goes to the payer, and /pay/confirm settles',
  description: 'Only a number its holder proved with a code can be paid: an unknown number and one not yet proved ' +
    'get the same 404 UNKNOWN_PAYEE.',
  tags: ['mobile'],
  security: BEARER_SECURITY,
  body: {
    type: 'object',
    required: ['toPhone', 'amount'],
    additionalProperties: false,
    properties: {
      toPhone: PHONE_TEXT_SCHEMA,
      amount: AMOUNT_SCHEMA,
      currency: { ...CURRENCY_SCHEMA, description: 'default: the payer’s only wallet’s currency' },
    },
  },
  response: {
    202: {
      type: 'object',
      required: ['paymentId', 'status', 'expiresAt'],
      additionalProperties: false,
      properties: {
        paymentId: { type: 'string' },
        status: { type: 'string', enum: ['awaiting_confirmation'] },
        expiresAt: { type: 'string', format: 'date-time' },
      },
    },
    ...errorReplies(400, 401, 403, 404, 409, 413),
  },
} as const

interface ConfirmReply {
  paymentId: string
  status: 'settled'
  transferId: string
  fromAccountId: string
  toAccountId: string
  currency: string
  amountMinor: number
  amount: string
}

const confirmSchema = {
  summary: `Confirm a payment with its code: it settles; the code expires in 5 minutes, the ${WRONG_CODES_MAX}rd wrong one cancels`,
  tags: ['mobile'],
  security: BEARER_SECURITY,
  body: {
    type: 'object',
    required: ['paymentId', 'code'],
    additionalProperties: false,
    properties: {
      paymentId: { type: 'string', minLength: 1, maxLength: 64 },
      code: { type: 'string', pattern: `^[0-9]{${PAYMENT_CODE_DIGITS}}$` },
    },
  },
  response: {
    200: {
      type: 'object',
      required: ['paymentId', 'status', 'transferId', 'fromAccountId', 'toAccountId', 'currency', 'amountMinor', 'amount'],
      additionalProperties: false,
      properties: {
        paymentId: { type: 'string' },
        status: { type: 'string', enum: ['settled'] },
        transferId: { type: 'string' },
        fromAccountId: { type: 'string' },
        toAccountId: { type: 'string' },
        currency: { type: 'string' },
        amountMinor: { type: 'integer' },
        amount: { type: 'string' },
      },
    },
    ...errorReplies(400, 401, 403, 404, 409, 413, 429),
  },
} as const

const BALANCE_REPLY_SCHEMA = {
  type: 'object',
  required: ['imei', 'accounts'],
  additionalProperties: false,
  properties: { imei: { type: 'string' }, accounts: { type: 'array', items: WALLET_REPLY_SCHEMA } },
} as const

const balanceSchema = {
  summary: 'Balances of the wallets behind a device bound to the caller',
  tags: ['mobile'],
  security: BEARER_SECURITY,
  params: { type: 'object', required: ['imei'], additionalProperties: false, properties: { imei: IMEI_SCHEMA } },
  response: { 200: BALANCE_REPLY_SCHEMA, ...errorReplies(400, 401, 403, 404) },
} as const

const balanceCheckSchema = {
  summary: 'Balances of the wallets behind a device bound to the caller (IMEI in the body)',
  tags: ['mobile'],
  security: BEARER_SECURITY,
  body: { type: 'object', required: ['imei'], additionalProperties: false, properties: { imei: IMEI_SCHEMA } },
  response: { 200: BALANCE_REPLY_SCHEMA, ...errorReplies(400, 401, 403, 404, 413) },
} as const

const historySchema = {
  summary: 'The caller’s transactions, newest first',
  tags: ['mobile'],
  security: BEARER_SECURITY,
  querystring: {
    type: 'object',
    additionalProperties: false,
    properties: { ...HISTORY_QUERY_PROPERTIES, status: { type: 'string', enum: [...TRANSACTION_STATUSES] } },
  },
  response: { 200: pageSchema(USER_TRANSACTION_SCHEMA), ...errorReplies(400, 401) },
} as const

export const mobileDeviceRoutes: FastifyPluginAsync<RouteOptions> = async (app, { context, services }) => {
  payRoute(app, context, services)
  confirmRoute(app, context, services)
  accountRoutes(app, context, services)
}

/** The payer's currency: as named, or the only one they hold a wallet in. */
async function payerCurrency(ledger: LedgerStore, userId: string, named: string | undefined): Promise<string> {
  if (named !== undefined) return currencyByCode(named).code
  const wallets = await walletsOf(ledger, userId)
  if (wallets.length === 1) return wallets[0]!.currency
  if (wallets.length === 0) throw new HttpError(409, 'NO_WALLET', 'you have no wallet to pay from')
  throw new HttpError(400, 'BAD_REQUEST', `you have wallets in ${wallets.map((wallet) => wallet.currency).join(', ')}: name the currency`)
}

/** A customer starts a payment to a phone number; the code sent to them confirms it. */
function payRoute(app: FastifyInstance, context: HubContext, { users, payments }: HubServices): void {
  const { ledger, clock } = context
  const customer = [app.authenticate, requireRole('customer')]
  app.post<{ Body: PayBody }>('/api/auth/device/pay', {
    schema: paySchema, bodyLimit: AUTH_BODY_LIMIT_BYTES, preValidation: [...customer, requireVerifiedAccount, amountsAsStrings('amount')],
  }, async (request, reply) => {
    const { userId } = callerOf(request)
    const payer = (await users.byId(userId))!
    const currency = await payerCurrency(ledger, userId, request.body.currency)
    const amount_minor = parseAmount(request.body.amount, currency, { allowZero: false })
    const payerAccount = await ledger.account(walletAccountId(userId, currency))
    if (payerAccount === undefined) throw new HttpError(409, 'NO_WALLET', `you have no ${currency} wallet`)
    if (payerAccount.balanceMinor < amount_minor) {
      throw new HttpError(409, 'INSUFFICIENT_FUNDS', `your ${currency} wallet holds ${formatAmount(payerAccount.balanceMinor, currency)}`)
    }
    // Only a proved number: a number anyone could type into their profile must not draw someone else's money.
    const payee = await users.byProvedPhone(phoneNumberOf(request.body.toPhone, context.config.phoneRegion))
    if (payee === undefined) throw new HttpError(404, 'UNKNOWN_PAYEE', 'no PayAll user can be paid at this number')
    if (payee.id === userId) throw new HttpError(400, 'BAD_REQUEST', 'you cannot pay yourself')

    const id = `pay_${toHex(context.random(PAYMENT_ID_BYTES))}`
    const code = newPaymentCode(context.random)
    const now_ms = clock.now_ms()
    const stored = await payments.insert({
      id, payerUserId: userId, payeeUserId: payee.id, payerAccountId: payerAccount.id, payeeAccountId: walletAccountId(payee.id, currency),
      currency, amountMinor: amount_minor, codeSha256: paymentCodeHash(id, code), createdAtMs: now_ms, expiresAtMs: now_ms + PAYMENT_CODE_LIFETIME_MS,
    })
    if (!stored) {
      throw new HttpError(409, 'CONFLICT', `you have ${OPEN_PAYMENTS_PER_PAYER_MAX} payments waiting for their code; confirm or let them expire`)
    }
    await app.notifier.send(paymentCodeMessage(payer, code, {
      amountMinor: amount_minor, currency, payeeName: payee.fullName, validMinutes: PAYMENT_CODE_LIFETIME_MS / 60_000,
    }))
    return reply.code(202).send({ paymentId: id, status: 'awaiting_confirmation', expiresAt: new Date(now_ms + PAYMENT_CODE_LIFETIME_MS).toISOString() })
  })
}

/** The code confirms a payment, which settles then; wrong codes count towards its cancellation. */
function confirmRoute(app: FastifyInstance, context: HubContext, { payments, events }: HubServices): void {
  const { ledger, clock } = context
  const customer = [app.authenticate, requireRole('customer')]
  app.post<{ Body: { paymentId: string; code: string }; Reply: ConfirmReply }>('/api/auth/device/pay/confirm', {
    schema: confirmSchema, bodyLimit: AUTH_BODY_LIMIT_BYTES, preValidation: customer,
  }, async (request) => {
    const { userId } = callerOf(request)
    const payment = await payments.byId(request.body.paymentId)
    // Someone else's payment answers as a missing one: payment ids are not to be probed.
    if (payment === undefined || payment.payerUserId !== userId) {
      throw new HttpError(404, 'NOT_FOUND', `you have no payment ${request.body.paymentId}`)
    }
    const verdict = judgeConfirmation(payment, codeMatches(payment.id, request.body.code, payment.codeSha256), clock.now_ms())
    switch (verdict.kind) {
      case 'settled':
        return confirmReply(payment, payment.transferId!)
      case 'closed':
        throw new HttpError(409, 'PAYMENT_CLOSED', `payment ${payment.id} is ${verdict.status} already`)
      case 'expired':
        throw new HttpError(409, 'PAYMENT_EXPIRED', `the code of payment ${payment.id} has expired; start the payment again`)
      case 'wrong_code': {
        const counted = await payments.recordWrongCode(payment.id, WRONG_CODES_MAX, clock.now_ms())
        if (counted === undefined) throw new HttpError(409, 'PAYMENT_CLOSED', `payment ${payment.id} is no longer waiting`)
        if (counted.status === 'cancelled') {
          throw new HttpError(409, 'PAYMENT_CANCELLED', `${WRONG_CODES_MAX} wrong codes: payment ${payment.id} is cancelled`)
        }
        throw new HttpError(400, 'WRONG_CODE', `wrong code; ${WRONG_CODES_MAX - counted.wrongCodes} attempt(s) left`)
      }
      case 'settle': {
        const transferId = mobilePaymentTransferId(payment.id)
        await ledger.openWallet({ id: payment.payeeAccountId, userId: payment.payeeUserId, currency: payment.currency })
        await settleWalletTransfer({ ledger, events, clock }, {
          id: transferId, payerAccountId: payment.payerAccountId, payeeAccountId: payment.payeeAccountId,
          currency: payment.currency, amountMinor: payment.amountMinor,
          metadata: { channel: 'mobile', paymentId: payment.id, payerUserId: payment.payerUserId },
        })
        await payments.markSettled(payment.id, transferId, clock.now_ms())
        return confirmReply(payment, transferId)
      }
    }
  })
}

/** The balances behind a customer's device, and the caller's transaction history. */
function accountRoutes(app: FastifyInstance, context: HubContext, { devices, history }: HubServices): void {
  const { ledger, clock } = context
  const customer = [app.authenticate, requireRole('customer')]
  async function balanceBehind(request: FastifyRequest, imei: string): Promise<{ imei: string; accounts: WalletReply[] }> {
    const device = await ownDevice(devices, callerOf(request).userId, imei)
    const wallets = await walletsOf(ledger, device.userId)
    return { imei: device.imei, accounts: await Promise.all(wallets.map((wallet) => walletReply(ledger, wallet))) }
  }

  app.get<{ Params: { imei: string } }>('/api/auth/device/balance/:imei', { schema: balanceSchema, preValidation: customer },
    async (request) => balanceBehind(request, request.params.imei))

  app.post<{ Body: { imei: string } }>('/api/auth/device/balancecheck', {
    schema: balanceCheckSchema, bodyLimit: AUTH_BODY_LIMIT_BYTES, preValidation: customer,
  }, async (request) => balanceBehind(request, request.body.imei))

  app.get<{ Querystring: HistoryQuery }>('/api/auth/device/transaction', {
    schema: historySchema, preValidation: [app.authenticate, requireRole(...ROLES)],
  }, async (request) => {
    const { page, pageSize, status } = request.query
    const { transactions, total } = await history.ofUser({
      userId: callerOf(request).userId, ...historyWindow_ms(request.query), status,
      offset: (page - 1) * pageSize, limit: pageSize, nowMs: clock.now_ms(),
    })
    return { items: transactions.map(userTransactionReply), page, pageSize, total }
  })
}

function confirmReply(payment: MobilePayment, transferId: string): ConfirmReply {
  return {
    paymentId: payment.id,
    status: 'settled',
    transferId,
    fromAccountId: payment.payerAccountId,
    toAccountId: payment.payeeAccountId,
    currency: payment.currency,
    amountMinor: payment.amountMinor,
    amount: formatAmount(payment.amountMinor, payment.currency),
  }
}
