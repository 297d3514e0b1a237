// Transfer ids of online payments, derived like the ledger's own (hub/ledger/ids.ts): a hash of what makes
// the payment unique, so a retry of the same request can never move money twice.

import { hashParts } from '../ledger/ids'

const ONLINE_DOMAIN = 'payall/online-transfer/v1'
const MOBILE_DOMAIN = 'payall/mobile-payment/v1'

/** The same idempotency key from the same wallet is the same transfer. */
export function onlineTransferId(payerAccountId: string, idempotencyKey: string): string {
  return hashParts([ONLINE_DOMAIN, payerAccountId, idempotencyKey])
}

/** One transfer per confirmed mobile payment, however often the confirmation is retried. */
export function mobilePaymentTransferId(paymentId: string): string {
  return hashParts([MOBILE_DOMAIN, paymentId])
}
