// Ids of what a bulk request creates, derived from its idempotency key and each item's place in it: a retried
// chunk names the same users, gateways, devices and vouchers, so the database's unique keys, not a lock, make
// sure it creates nothing twice (DESIGN "Exactly once is decided by database constraints").

import { sha256, toHex } from '../../protocol/bytes'

const BULK_DOMAIN = 'payall/bulk/v1'

type BulkKind = 'gateways' | 'customers'
type BulkThing = 'gateway' | 'user' | 'device' | 'voucher'

/** 32 bytes that stand for `thing` of item `index` in the chunk sent under `idempotencyKey`. */
function derivedBytes(kind: BulkKind, idempotencyKey: string, index: number, thing: BulkThing): Uint8Array {
  return sha256(new TextEncoder().encode([BULK_DOMAIN, kind, idempotencyKey, String(index), thing].join('\u0000')))
}

/** A version 4 UUID shape, as newUserId and newGatewayId make, from derived bytes instead of random ones. */
function uuidOf(derived: Uint8Array): string {
  const bytes = derived.slice(0, 16)
  bytes[6] = (bytes[6]! & 0x0f) | 0x40
  bytes[8] = (bytes[8]! & 0x3f) | 0x80
  const hex = toHex(bytes)
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`
}

export function bulkGatewayId(idempotencyKey: string, index: number): string {
  return uuidOf(derivedBytes('gateways', idempotencyKey, index, 'gateway'))
}

export function bulkUserId(idempotencyKey: string, index: number): string {
  return uuidOf(derivedBytes('customers', idempotencyKey, index, 'user'))
}

/** `dev_` and 24 hex digits, as a device bound one by one is named. */
export function bulkDeviceId(idempotencyKey: string, index: number): string {
  return `dev_${toHex(derivedBytes('customers', idempotencyKey, index, 'device').slice(0, 12))}`
}

/** A voucher's 16-byte id. */
export function bulkVoucherId(idempotencyKey: string, index: number): Uint8Array {
  return derivedBytes('customers', idempotencyKey, index, 'voucher').slice(0, 16)
}
