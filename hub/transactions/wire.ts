// A user's transaction on the wire, as types apart from the history's SQLite code: nothing here reaches Node, so
// the web dashboard imports them.

export const TRANSACTION_STATUSES = ['completed', 'awaiting_confirmation', 'cancelled', 'expired'] as const
/** completed: settled in the ledger. The others are mobile payments that moved no money (yet). */
export type TransactionStatus = (typeof TRANSACTION_STATUSES)[number]

export interface UserTransactionReply {
  id: string
  kind: string
  status: TransactionStatus
  direction: 'in' | 'out'
  amountMinor: number
  amount: string
  currency: string
  gatewayEui: string | null
  reference: string | null
  createdAt: string
}
