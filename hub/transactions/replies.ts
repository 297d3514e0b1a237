// A user's transaction on the wire: the one reply shape the history routes, the mobile API and the
// dashboard give.

import { formatAmount } from '../../protocol/money'
import { TRANSACTION_STATUSES, type UserTransaction } from './history'
import type { UserTransactionReply } from './wire'

export const USER_TRANSACTION_SCHEMA = {
  type: 'object',
  required: ['id', 'kind', 'status', 'direction', 'amountMinor', 'amount', 'currency', 'gatewayEui', 'reference', 'createdAt'],
  additionalProperties: false,
  properties: {
    id: { type: 'string', description: 'the ledger transfer, or the pending mobile payment' },
    kind: { type: 'string' },
    status: { type: 'string', enum: [...TRANSACTION_STATUSES] },
    direction: { type: 'string', enum: ['in', 'out'] },
    amountMinor: { type: 'integer', minimum: 0 },
    amount: { type: 'string' },
    currency: { type: 'string' },
    gatewayEui: { type: ['string', 'null'] },
    reference: { type: ['string', 'null'] },
    createdAt: { type: 'string', format: 'date-time' },
  },
} as const

export function userTransactionReply(transaction: UserTransaction): UserTransactionReply {
  return {
    id: transaction.id,
    kind: transaction.kind,
    status: transaction.status,
    direction: transaction.direction,
    amountMinor: transaction.amountMinor,
    amount: formatAmount(transaction.amountMinor, transaction.currency),
    currency: transaction.currency,
    gatewayEui: transaction.gatewayEui,
    reference: transaction.reference,
    createdAt: new Date(transaction.createdAtMs).toISOString(),
  }
}
