// The terminal's refunds: each refund is written down (with its signed request) before it is
// sent, and its answer when it comes. A refund the hub did not answer stays pending and is sent
// again byte for byte, so a lost answer never turns into a second refund.

import { refundRequestCodec, type RefundRequest, type RefundResponseBody } from '../protocol/messages/refund'
import type { Reason } from '../protocol/reasons'
import type { Ed25519 } from '../protocol/signature/ed25519'
import { blob, type SqliteDatabase } from './store/database'
import type { TerminalStore } from './store/store'

type RefundStatus = 'pending' | 'approved' | 'declined'

export interface StoredRefund {
  readonly refundId: Uint8Array
  readonly transferId: Uint8Array
  /** The refunded record's place in this terminal's chain, when the terminal held it. */
  readonly gatewaySeq: number | null
  readonly amountMinor: number
  readonly currency: string
  readonly status: RefundStatus
  readonly reason: Reason | null
  readonly requestedAtMs: number
  readonly answeredAtMs: number | null
  /** The signed RefundRequest, sent as is every time. */
  readonly request: Uint8Array
}

export interface RefundDayTotal {
  readonly currency: string
  readonly count: number
  readonly totalMinor: number
}

interface Row {
  refund_id: Buffer
  transfer_id: Buffer
  gateway_seq: number | null
  amount_minor: number
  currency: string
  status: RefundStatus
  reason: number | null
  requested_at_ms: number
  answered_at_ms: number | null
  request: Buffer
}

function refundOf(row: Row): StoredRefund {
  return {
    refundId: new Uint8Array(row.refund_id), transferId: new Uint8Array(row.transfer_id), gatewaySeq: row.gateway_seq,
    amountMinor: row.amount_minor, currency: row.currency, status: row.status, reason: row.reason as Reason | null,
    requestedAtMs: row.requested_at_ms, answeredAtMs: row.answered_at_ms, request: new Uint8Array(row.request),
  }
}


export class RefundBook {
  private readonly statements

  constructor(private readonly store: TerminalStore, db: SqliteDatabase = store.db) {
    this.statements = {
      insert: db.prepare<[Buffer, Buffer, number | null, number, string, number, Buffer]>(
        `INSERT INTO refunds (refund_id, transfer_id, gateway_seq, amount_minor, currency, status, requested_at_ms, request)
         VALUES (?, ?, ?, ?, ?, 'pending', ?, ?)`),
      answer: db.prepare<[RefundStatus, number, number, Buffer, Buffer]>(
        `UPDATE refunds SET status = ?, reason = ?, answered_at_ms = ?, response = ? WHERE refund_id = ? AND status = 'pending'`),
      byId: db.prepare<[Buffer], Row>('SELECT * FROM refunds WHERE refund_id = ?'),
      ofTransfer: db.prepare<[Buffer], Row>('SELECT * FROM refunds WHERE transfer_id = ? ORDER BY requested_at_ms, rowid'),
      pending: db.prepare<[], Row>(`SELECT * FROM refunds WHERE status = 'pending' ORDER BY requested_at_ms, rowid`),
      dayTotals: db.prepare<[number, number], { currency: string; count: number; total: number }>(
        `SELECT currency, COUNT(*) AS count, SUM(amount_minor) AS total FROM refunds
         WHERE status = 'approved' AND answered_at_ms >= ? AND answered_at_ms < ? GROUP BY currency ORDER BY currency`),
    }
  }

  /** Signs a new refund request with the gateway's key and writes it down, pending, before anything is sent. */
  open(input: {
    refundId: Uint8Array; transferId: Uint8Array; gatewaySeq: number | null; amountMinor: number; currency: string; nowMs: number
    ed25519: Ed25519
  }): StoredRefund {
    const request: RefundRequest = refundRequestCodec.sign({
      refundId: input.refundId, transferId: input.transferId, gatewayEui: this.store.identity().eui,
      amountMinor: input.amountMinor, currency: input.currency, timeMs: input.nowMs,
    }, this.store.keys.secretKey, input.ed25519)
    const bytes = refundRequestCodec.encode(request)
    this.statements.insert.run(blob(input.refundId), blob(input.transferId), input.gatewaySeq, input.amountMinor,
      input.currency, input.nowMs, blob(bytes))
    return this.byId(input.refundId)!
  }

  /** Writes the hub's (verified) answer; an answer to a refund already answered changes nothing. */
  answer(response: RefundResponseBody, responseBytes: Uint8Array, now_ms: number): StoredRefund | undefined {
    this.statements.answer.run(response.approved ? 'approved' : 'declined', response.reason, now_ms, blob(responseBytes),
      blob(response.refundId))
    return this.byId(response.refundId)
  }

  byId(refundId: Uint8Array): StoredRefund | undefined {
    const row = this.statements.byId.get(blob(refundId))
    return row === undefined ? undefined : refundOf(row)
  }

  ofTransfer(transferId: Uint8Array): StoredRefund[] {
    return this.statements.ofTransfer.all(blob(transferId)).map(refundOf)
  }

  pending(): StoredRefund[] {
    return this.statements.pending.all().map(refundOf)
  }

  /** Approved refunds answered in [fromMs, toMs), per currency. */
  dayTotals(from_ms: number, to_ms: number): RefundDayTotal[] {
    return this.statements.dayTotals.all(from_ms, to_ms).map(row => ({ currency: row.currency, count: row.count, totalMinor: row.total }))
  }
}
