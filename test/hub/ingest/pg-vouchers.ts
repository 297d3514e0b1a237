// The vouchers the ingest reads (hub/vouchers' table) on PostgreSQL, for the ingest's tests there without the vouchers'
// own stores: the table is made here with the columns the ingest reads until the vouchers' PostgreSQL migration is in
// PG_MIGRATIONS (IF NOT EXISTS: then theirs stands; a voucher row of theirs needs their columns, and this helper goes).

import { toHex } from '../../../protocol/bytes'
import type { Voucher } from '../../../protocol/messages/voucher'
import type { SqlEngine } from '../../../hub/store/sql'

const VOUCHERS_STAND_IN = `CREATE TABLE IF NOT EXISTS vouchers (
  voucher_id TEXT PRIMARY KEY, user_id TEXT, device_public_key BYTEA NOT NULL, currency TEXT NOT NULL,
  limit_minor BIGINT NOT NULL, issued_at_ms BIGINT NOT NULL, expires_at_ms BIGINT NOT NULL, revoked_at_ms BIGINT)`

/** Makes the vouchers table where no migration made it. */
export async function vouchersTable(engine: SqlEngine): Promise<void> {
  await engine.run(VOUCHERS_STAND_IN)
}

/** Stores a voucher as the ingest reads it, in the stand-in table. */
export async function storeVoucher(engine: SqlEngine, voucher: Voucher): Promise<string> {
  const voucherIdHex = toHex(voucher.voucherId)
  await engine.run(`INSERT INTO vouchers (voucher_id, user_id, device_public_key, currency, limit_minor, issued_at_ms, expires_at_ms)
    VALUES (?, ?, ?, ?, ?, ?, ?)`, [voucherIdHex, `user-${voucherIdHex}`, voucher.devicePublicKey, voucher.currency,
    voucher.limitMinor, voucher.issuedAtMs, voucher.expiresAtMs])
  return voucherIdHex
}
