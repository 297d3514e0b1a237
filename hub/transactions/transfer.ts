// An online payment from one wallet to another, settled through the ledger as a fee-free 'p2p' transfer:
// the web API's POST /transactions and the mobile API's confirmed payments both end here.

import type { Clock } from '../../protocol/clock'
import { assert } from '../../protocol/errors'
import { formatAmount } from '../../protocol/money'
import type { LiveEvents } from '../events/live-events'
import { HttpError } from '../http/errors'
import type { Metadata } from '../ledger/model'
import { walletTransferPostings } from '../ledger/settle'
import type { LedgerStore } from '../ledger/store'

export interface WalletTransfer {
  /** Derived from what makes the payment unique (ids.ts): a retry finds the transfer already there. */
  readonly id: string
  readonly payerAccountId: string
  readonly payeeAccountId: string
  readonly currency: string
  readonly amountMinor: number
  readonly metadata: Metadata
}

/**
 * The account a payment may go to: a wallet, in the payment's currency, not the payer's own.
 * Unknown accounts are 404; an account of another kind answers as an unknown one, so system accounts cannot be probed.
 */
export async function payeeWallet(ledger: LedgerStore, accountId: string, currency: string, payerAccountId: string): Promise<string> {
  const account = await ledger.account(accountId)
  if (account === undefined || account.kind !== 'wallet') throw new HttpError(404, 'UNKNOWN_ACCOUNT', `no wallet ${accountId}`)
  if (account.currency !== currency) {
    throw new HttpError(400, 'CURRENCY_MISMATCH', `wallet ${accountId} is in ${account.currency}, not ${currency}`)
  }
  if (account.id === payerAccountId) throw new HttpError(400, 'BAD_REQUEST', 'a wallet does not pay itself')
  return account.id
}

/** What settling a transfer between wallets uses: the ledger, and the live events it announces the payment on. */
export interface WalletMoney {
  readonly ledger: LedgerStore
  readonly events: Pick<LiveEvents, 'publish'>
  readonly clock: Pick<Clock, 'now_ms'>
}

/**
 * Applies the transfer: 'applied' now (and announced as settled), or 'exists' from an earlier identical request
 * (announced then). Refusals are thrown.
 */
export async function settleWalletTransfer(money: WalletMoney, transfer: WalletTransfer): Promise<'applied' | 'exists'> {
  const { ledger, events, clock } = money
  const [outcome] = await ledger.applyTransfers([{
    id: transfer.id,
    kind: 'p2p',
    currency: transfer.currency,
    postings: walletTransferPostings({
      payerAccountId: transfer.payerAccountId, payeeAccountId: transfer.payeeAccountId, amountMinor: transfer.amountMinor,
    }),
    metadata: transfer.metadata,
  }])
  assert(outcome !== undefined && outcome.transferId === transfer.id, 'one outcome per transfer, in order')
  if (outcome.status === 'conflict') {
    throw new HttpError(409, 'IDEMPOTENCY_CONFLICT', 'this idempotency key was used for a different payment')
  }
  // INSUFFICIENT_FUNDS and the ledger's other refusals carry their own status (hub/http/errors.ts).
  if (outcome.status === 'refused') throw outcome.error
  if (outcome.status === 'applied') {
    const { id, currency, amountMinor, payerAccountId, payeeAccountId } = transfer
    events.publish({
      type: 'payment.settled',
      data: {
        transferId: id, gatewayId: null, currency, amountMinor, amount: formatAmount(amountMinor, currency), payerAccountId,
        payeeAccountId, atMs: clock.now_ms(),
      },
    })
  }
  return outcome.status
}
