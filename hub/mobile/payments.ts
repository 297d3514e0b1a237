// The mobile_payments table, on either engine (hub/store/sql.ts): a payment waits for its code, then is settled
// (with its ledger transfer) or cancelled. Wrong codes are counted in SQL, so concurrent guesses all count.

import { lockKey } from '../store/key-lock'
import type { SqlEngine, SqlRow } from '../store/sql'
import type { PaymentStatus } from './payment-code'

/** Payments one payer may have waiting at once; each sent a code. */
export const OPEN_PAYMENTS_PER_PAYER_MAX = 5

export interface MobilePayment {
  readonly id: string
  readonly payerUserId: string
  readonly payeeUserId: string
  readonly payerAccountId: string
  readonly payeeAccountId: string
  readonly currency: string
  readonly amountMinor: number
  readonly codeSha256: string
  readonly wrongCodes: number
  readonly status: PaymentStatus
  readonly transferId: string | null
  readonly createdAtMs: number
  readonly expiresAtMs: number
  readonly closedAtMs: number | null
}

export type NewMobilePayment = Omit<MobilePayment, 'wrongCodes' | 'status' | 'transferId' | 'closedAtMs'>

interface PaymentRow extends SqlRow {
  id: string
  payer_user_id: string
  payee_user_id: string
  payer_account_id: string
  payee_account_id: string
  currency: string
  amount_minor: number
  code_sha256: string
  wrong_codes: number
  status: PaymentStatus
  transfer_id: string | null
  created_at_ms: number
  expires_at_ms: number
  closed_at_ms: number | null
}

const OPEN_OF_PAYER_SQL = `SELECT count(*) AS count FROM mobile_payments
  WHERE payer_user_id = ? AND status = 'awaiting_confirmation' AND expires_at_ms > ?`

export class MobilePayments {
  constructor(private readonly engine: SqlEngine) {}

  /**
   * False, and nothing stored, when the payer has OPEN_PAYMENTS_PER_PAYER_MAX payments waiting already. The payer's
   * payments pass the cap one at a time, from whichever hub (key-lock.ts).
   */
  insert(payment: NewMobilePayment): Promise<boolean> {
    return this.engine.write(async (sql) => {
      await lockKey(sql, this.engine.dialect, 'paymentsOfPayer', payment.payerUserId)
      const open = await sql.get<{ count: number }>(OPEN_OF_PAYER_SQL, [payment.payerUserId, payment.createdAtMs])
      if (open!.count >= OPEN_PAYMENTS_PER_PAYER_MAX) return false
      await sql.run(
        `INSERT INTO mobile_payments (id, payer_user_id, payee_user_id, payer_account_id, payee_account_id, currency, amount_minor,
           code_sha256, status, created_at_ms, expires_at_ms)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'awaiting_confirmation', ?, ?)`,
        [payment.id, payment.payerUserId, payment.payeeUserId, payment.payerAccountId, payment.payeeAccountId, payment.currency,
          payment.amountMinor, payment.codeSha256, payment.createdAtMs, payment.expiresAtMs])
      return true
    })
  }

  async byId(id: string): Promise<MobilePayment | undefined> {
    const row = await this.engine.get<PaymentRow>('SELECT * FROM mobile_payments WHERE id = ?', [id])
    return row === undefined ? undefined : fromRow(row)
  }

  async openCount(payerUserId: string, now_ms: number): Promise<number> {
    return (await this.engine.get<{ count: number }>(OPEN_OF_PAYER_SQL, [payerUserId, now_ms]))!.count
  }

  /**
   * Counts a wrong code, in one conditional UPDATE, so guesses at once on any hub all count; undefined if the payment
   * was no longer waiting.
   */
  async recordWrongCode(id: string, wrongCodes_max: number, now_ms: number): Promise<{ wrongCodes: number; status: PaymentStatus } | undefined> {
    const row = await this.engine.get<{ wrong_codes: number; status: PaymentStatus }>(
      `UPDATE mobile_payments SET
         wrong_codes = wrong_codes + 1,
         status = CASE WHEN wrong_codes + 1 >= ? THEN 'cancelled' ELSE status END,
         closed_at_ms = CASE WHEN wrong_codes + 1 >= ? THEN ? ELSE closed_at_ms END
       WHERE id = ? AND status = 'awaiting_confirmation'
       RETURNING wrong_codes, status`,
      [wrongCodes_max, wrongCodes_max, now_ms, id])
    return row === undefined ? undefined : { wrongCodes: row.wrong_codes, status: row.status }
  }

  /** Compare-and-set from awaiting_confirmation: the payment is settled once, whichever hub confirms it. */
  async markSettled(id: string, transferId: string, now_ms: number): Promise<void> {
    await this.engine.run(`UPDATE mobile_payments SET status = 'settled', transfer_id = ?, closed_at_ms = ?
       WHERE id = ? AND status = 'awaiting_confirmation'`, [transferId, now_ms, id])
  }
}

function fromRow(row: PaymentRow): MobilePayment {
  return {
    id: row.id,
    payerUserId: row.payer_user_id,
    payeeUserId: row.payee_user_id,
    payerAccountId: row.payer_account_id,
    payeeAccountId: row.payee_account_id,
    currency: row.currency,
    amountMinor: row.amount_minor,
    codeSha256: row.code_sha256,
    wrongCodes: row.wrong_codes,
    status: row.status,
    transferId: row.transfer_id,
    createdAtMs: row.created_at_ms,
    expiresAtMs: row.expires_at_ms,
    closedAtMs: row.closed_at_ms,
  }
}
