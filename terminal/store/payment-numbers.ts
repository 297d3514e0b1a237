// Payments by number for refunds: a record the terminal holds, or the slim row (number, transfer id,
// amount) a pruned record leaves behind (migration 5), so "refund #12" works after pruning too.

import { blob, bytes, type SqliteDatabase } from './database'

/** What a refund needs of a payment, whether its record is held or was pruned. */
export interface PaymentNumber {
  readonly gatewaySeq: number
  readonly transferId: Uint8Array
  readonly amountMinor: number
  readonly currency: string
}

interface Row {
  gateway_seq: number
  transfer_id: Buffer
  amount_minor: number
  currency: string
}

const COLUMNS = 'gateway_seq, transfer_id, amount_minor, currency'

function paymentOf(row: Row | undefined): PaymentNumber | undefined {
  return row === undefined ? undefined
    : { gatewaySeq: row.gateway_seq, transferId: bytes(row.transfer_id), amountMinor: row.amount_minor, currency: row.currency }
}

export class PaymentNumbers {
  private readonly statements

  constructor(db: SqliteDatabase) {
    // A number is in one table or the other: the row moves to payment_numbers as its record is deleted.
    this.statements = {
      bySeq: db.prepare<[number, number], Row>(
        `SELECT ${COLUMNS} FROM records WHERE gateway_seq = ? UNION ALL SELECT ${COLUMNS} FROM payment_numbers WHERE gateway_seq = ?`),
      byTransfer: db.prepare<[Buffer, Buffer], Row>(
        `SELECT ${COLUMNS} FROM records WHERE transfer_id = ? UNION ALL SELECT ${COLUMNS} FROM payment_numbers WHERE transfer_id = ?`),
    }
  }

  /** A payment by its number in this gateway's chain (within the numbers kept after pruning). */
  bySeq(gatewaySeq: number): PaymentNumber | undefined {
    return paymentOf(this.statements.bySeq.get(gatewaySeq, gatewaySeq))
  }

  /** A payment of this gateway by its transfer id. */
  byTransfer(transferId: Uint8Array): PaymentNumber | undefined {
    const id = blob(transferId)
    return paymentOf(this.statements.byTransfer.get(id, id))
  }
}
