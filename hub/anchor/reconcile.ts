// What to do next with a batch, decided from what the chain says, never from what the hub remembers alone:
// the contract's record first (it refuses overwrites, so it is the truth), then the fate of the hub's transaction.

import type { OnChainBatch, TransactionState } from './chain'

export type OnChainVerdict =
  /** The contract holds our root under this id, with enough confirmations. */
  | { readonly kind: 'anchored'; readonly blockNumber: number }
  /** It holds our root, in a block too recent yet. */
  | { readonly kind: 'confirming'; readonly blockNumber: number }
  /** It holds another root under this id: never overwritten, so this batch cannot be anchored here. */
  | { readonly kind: 'conflict'; readonly root: string }
  | { readonly kind: 'absent' }

/** `rootHex` is 0x + 64 lowercase hex; `headBlock` the latest block number. */
export function judgeOnChain(
  rootHex: string,
  record: OnChainBatch | undefined,
  headBlock: number,
  confirmations: number,
): OnChainVerdict {
  if (record === undefined) return { kind: 'absent' }
  if (record.root !== rootHex) return { kind: 'conflict', root: record.root }
  // The block holding the root is its first confirmation.
  const confirmed = headBlock - record.blockNumber + 1 >= confirmations
  return { kind: confirmed ? 'anchored' : 'confirming', blockNumber: record.blockNumber }
}

export type SentVerdict =
  /** In a block or in the mempool: it may still land; sending another would only race it. */
  | 'wait'
  /** Lost before it was mined and its nonce is still free: sign it again with that nonce (fresh fees). */
  | 'resend_same_nonce'
  /** Its nonce went to another transaction, or it reverted: the batch needs a transaction with a new nonce. */
  | 'resend_new_nonce'

/**
 * For a batch the contract does not hold yet, with a transaction out. Reusing the nonce of a lost transaction
 * means at most one of the two can ever be mined; and should both somehow land, the contract refuses the second.
 */
export function judgeSentTransaction(transaction: TransactionState, txNonce: number, confirmedNonce: number): SentVerdict {
  if (transaction.receipt !== undefined) {
    // Succeeded yet no record: the node's state lags its receipts (or a reorg is under way): wait for it.
    return transaction.receipt.succeeded ? 'wait' : 'resend_new_nonce'
  }
  if (transaction.known) return 'wait'
  return confirmedNonce > txNonce ? 'resend_new_nonce' : 'resend_same_nonce'
}
