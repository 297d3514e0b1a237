// Transfer ids of online payments, derived like the ledger's own (hub/ledger/ids.ts): a hash of what makes
// the payment unique, so a retry of the same request can never move money twice.

import { sha256, toHex } from '../../protocol/bytes'

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

// Length-prefixed parts (u32 big-endian), so ('ab', 'c') and ('a', 'bc') hash differently.
function hashParts(parts: readonly string[]): string {
  const chunks: Uint8Array[] = []
  for (const part of parts) {
    const bytes = new TextEncoder().encode(part)
    const length = new Uint8Array(4)
    new DataView(length.buffer).setUint32(0, bytes.length)
    chunks.push(length, bytes)
  }
  return toHex(sha256(...chunks))
}
