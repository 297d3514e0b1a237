// The mobile_payments table behind prepared statements: a payment waits for its code, then is settled
// (with its ledger transfer) or cancelled. Wrong codes are counted in SQL, so concurrent guesses all count.

import type { SqliteDatabase } from '../store/database'
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

interface PaymentRow {
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

export class MobilePayments {
  private readonly statements

  constructor(private readonly db: SqliteDatabase) {
    this.statements = {
      insert: db.prepare(
        `INSERT INTO mobile_payments (id, payer_user_id, payee_user_id, payer_account_id, payee_account_id, currency, amount_minor,
           code_sha256, status, created_at_ms, expires_at_ms)
         VALUES (@id, @payerUserId, @payeeUserId, @payerAccountId, @payeeAccountId, @currency, @amountMinor,
           @codeSha256, 'awaiting_confirmation', @createdAtMs, @expiresAtMs)`),
      byId: db.prepare<[string], PaymentRow>('SELECT * FROM mobile_payments WHERE id = ?'),
      openOfPayer: db.prepare<[string, number], { count: number }>(
        `SELECT count(*) AS count FROM mobile_payments
         WHERE payer_user_id = ? AND status = 'awaiting_confirmation' AND expires_at_ms > ?`),
      wrongCode: db.prepare<{ id: string; wrongCodesMax: number; nowMs: number }, { wrong_codes: number; status: PaymentStatus }>(
        `UPDATE mobile_payments SET
           wrong_codes = wrong_codes + 1,
           status = CASE WHEN wrong_codes + 1 >= :wrongCodesMax THEN 'cancelled' ELSE status END,
           closed_at_ms = CASE WHEN wrong_codes + 1 >= :wrongCodesMax THEN :nowMs ELSE closed_at_ms END
         WHERE id = :id AND status = 'awaiting_confirmation'
         RETURNING wrong_codes, status`),
      settled: db.prepare<[string, number, string]>(
        `UPDATE mobile_payments SET status = 'settled', transfer_id = ?, closed_at_ms = ?
         WHERE id = ? AND status = 'awaiting_confirmation'`),
    }
  }

  /** False, and nothing stored, when the payer has OPEN_PAYMENTS_PER_PAYER_MAX payments waiting already. */
  insert(payment: NewMobilePayment): boolean {
    return this.db.transaction(() => {
      if (this.statements.openOfPayer.get(payment.payerUserId, payment.createdAtMs)!.count >= OPEN_PAYMENTS_PER_PAYER_MAX) return false
      this.statements.insert.run(payment)
      return true
    })()
  }

  byId(id: string): MobilePayment | undefined {
    const row = this.statements.byId.get(id)
    return row === undefined ? undefined : fromRow(row)
  }

  openCount(payerUserId: string, now_ms: number): number {
    return this.statements.openOfPayer.get(payerUserId, now_ms)!.count
  }

  /** Counts a wrong code; undefined if the payment was no longer waiting. */
  recordWrongCode(id: string, wrongCodes_max: number, now_ms: number): { wrongCodes: number; status: PaymentStatus } | undefined {
    const row = this.statements.wrongCode.get({ id, wrongCodesMax: wrongCodes_max, nowMs: now_ms })
    return row === undefined ? undefined : { wrongCodes: row.wrong_codes, status: row.status }
  }

  markSettled(id: string, transferId: string, now_ms: number): void {
    this.statements.settled.run(transferId, now_ms, id)
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
