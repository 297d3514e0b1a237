// A bulk enrollment's devices and vouchers, written synchronously inside the ledger's SQLite transaction that opens
// their wallets and places their holds (LedgerStore.openFundedWallets' `alsoWrite`, hub/bulk/customers.ts), so they
// commit with the money or not at all. SQLite only, and only until that `alsoWrite` runs in an SqlEngine write (the
// ledger's rework): everywhere else these tables are read and written through DeviceStore and VoucherService, on
// either engine.

import type { SqliteDatabase } from '../store/database'
import type { NewVoucher } from './vouchers'

/** A device a bulk enrollment binds, with its key. */
export interface EnrolledDevice {
  readonly id: string
  readonly userId: string
  readonly imei: string
  readonly publicKey: Uint8Array
  readonly model: string | null
  readonly boundAtMs: number
}

export class EnrollmentRows {
  private readonly statements

  constructor(db: SqliteDatabase) {
    this.statements = {
      bound: db.prepare<[string, Buffer], { id: string }>(
        `SELECT id FROM devices WHERE status = 'bound' AND (imei = ? OR public_key = ?) LIMIT 1`),
      device: db.prepare(
        `INSERT INTO devices (id, user_id, imei, public_key, model, brand, status, bound_at_ms) VALUES (?, ?, ?, ?, ?, NULL, 'bound', ?)`),
      voucher: db.prepare(
        `INSERT INTO vouchers (voucher_id, device_id, user_id, wallet_account_id, device_public_key, currency,
           limit_minor, issued_at_ms, expires_at_ms, upload_deadline_at_ms, voucher)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
    }
  }

  /** Binds the device; false, and nothing written, when its IMEI or key is bound already. */
  bindNow(device: EnrolledDevice): boolean {
    const key = Buffer.from(device.publicKey)
    if (this.statements.bound.get(device.imei, key) !== undefined) return false
    this.statements.device.run(device.id, device.userId, device.imei, key, device.model, device.boundAtMs)
    return true
  }

  /** Stores vouchers from VoucherService.signNew (their wallets exist: the ledger opened them in this transaction). */
  insertVouchersNow(vouchers: readonly NewVoucher[]): void {
    for (const issued of vouchers) {
      const { voucher } = issued
      this.statements.voucher.run(issued.voucherIdHex, issued.deviceId, issued.userId, issued.walletAccountId,
        Buffer.from(voucher.devicePublicKey), voucher.currency, voucher.limitMinor, voucher.issuedAtMs, voucher.expiresAtMs,
        issued.uploadDeadlineAtMs, Buffer.from(issued.encoded))
    }
  }
}
