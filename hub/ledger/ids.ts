// Deterministic ids of the ledger: a transfer id is a hash of what makes the transfer unique, so
// settling it twice is impossible by construction; system and hold accounts have ids derived from their owner.

import { sha256, toHex } from '../../protocol/bytes'
import { assert } from '../../protocol/errors'

const TRANSFER_ID = /^[0-9a-f]{64}$/
// Names chosen by the hub (wallets, vouchers, users, fee schedules, gateway types): printable, bounded, no spaces.
const IDENTIFIER = /^[A-Za-z0-9][A-Za-z0-9_.:@-]{0,127}$/
const IDEMPOTENCY_KEY_LENGTH_MAX = 128

const CASH_DOMAIN = 'payall/cash/v1'
const HOLD_DOMAIN = 'payall/hold/v1'
const SYSTEM_ACCOUNT_PREFIXES = ['external:', 'platform:', 'hold:'] as const

export function isTransferId(value: unknown): value is string {
  return typeof value === 'string' && TRANSFER_ID.test(value)
}

export function isIdentifier(value: unknown): value is string {
  return typeof value === 'string' && IDENTIFIER.test(value)
}

/** A wallet id is any identifier outside the prefixes reserved for derived accounts. */
export function isWalletAccountId(value: unknown): value is string {
  return isIdentifier(value) && !SYSTEM_ACCOUNT_PREFIXES.some((prefix) => value.startsWith(prefix))
}

export function externalAccountId(currency: string): string {
  return `external:${currency}`
}

export function platformAccountId(currency: string): string {
  return `platform:${currency}`
}

export function holdAccountId(walletAccountId: string): string {
  assert(isWalletAccountId(walletAccountId), 'a hold account belongs to a wallet')
  return `hold:${walletAccountId}`
}

/** Id of an operator's cash-in or cash-out: the same idempotency key on the same account is the same transfer. */
export function cashTransferId(kind: 'cash_in' | 'cash_out', accountId: string, idempotencyKey: string): string {
  assert(isIdentifier(accountId), 'cash moves to or from a named account')
  assert(typeof idempotencyKey === 'string' && idempotencyKey.length > 0
    && idempotencyKey.length <= IDEMPOTENCY_KEY_LENGTH_MAX, `an idempotency key is 1..${IDEMPOTENCY_KEY_LENGTH_MAX} characters`)
  return hashParts([CASH_DOMAIN, kind, accountId, idempotencyKey])
}

/** Id of the transfer that places a voucher's hold, or releases what is left of it: one each per voucher. */
export function holdTransferId(action: 'place' | 'release', voucherId: string): string {
  assert(isIdentifier(voucherId), 'a voucher id is an identifier')
  return hashParts([HOLD_DOMAIN, action, voucherId])
}

/** SHA-256 over length-prefixed parts (u32 big-endian), so ('ab', 'c') and ('a', 'bc') hash differently. */
export function hashParts(parts: readonly string[]): string {
  const chunks: Uint8Array[] = []
  for (const part of parts) {
    const bytes = new TextEncoder().encode(part)
    const length = new Uint8Array(4)
    new DataView(length.buffer).setUint32(0, bytes.length)
    chunks.push(length, bytes)
  }
  return toHex(sha256(...chunks))
}
