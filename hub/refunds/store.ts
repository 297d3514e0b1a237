// The refunds table: what each refund id gave back, and how much of a payment is refunded so far.

import type { SqliteDatabase } from '../store/database'

export interface RefundRow {
  readonly refundId: string
  readonly transferId: string
  readonly ledgerTransferId: string
  readonly gatewayEui: string
  readonly amountMinor: number
  readonly currency: string
  readonly requestedAtMs: number
  readonly createdAtMs: number
}

interface Row {
  refund_id: string
  transfer_id: string
  ledger_transfer_id: string
  gateway_eui: string
  amount_minor: number
  currency: string
  requested_at_ms: number
  created_at_ms: number
}

function rowOf(row: Row): RefundRow {
  return {
    refundId: row.refund_id, transferId: row.transfer_id, ledgerTransferId: row.ledger_transfer_id,
    gatewayEui: row.gateway_eui, amountMinor: row.amount_minor, currency: row.currency,
    requestedAtMs: row.requested_at_ms, createdAtMs: row.created_at_ms,
  }
}

export class RefundStore {
  private readonly statements

  constructor(db: SqliteDatabase) {
    this.statements = {
      byId: db.prepare<[string], Row>('SELECT * FROM refunds WHERE refund_id = ?'),
      ofTransfer: db.prepare<[string], Row>('SELECT * FROM refunds WHERE transfer_id = ? ORDER BY created_at_ms, refund_id'),
      refunded: db.prepare<[string], { total: number | null }>('SELECT SUM(amount_minor) AS total FROM refunds WHERE transfer_id = ?'),
      insert: db.prepare<[string, string, string, string, number, string, number, number]>(
        `INSERT INTO refunds (refund_id, transfer_id, ledger_transfer_id, gateway_eui, amount_minor, currency,
           requested_at_ms, created_at_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (refund_id) DO NOTHING`),
      // Refund transfers the ledger holds without a row: a crash between the two writes.
      orphans: db.prepare<[], { id: string; amount_minor: number; currency: string; gateway_eui: string | null; metadata: string | null; created_at_ms: number }>(
        `SELECT t.id, t.amount_minor, t.currency, t.gateway_eui, t.metadata, t.created_at_ms FROM transfers t
         WHERE t.kind = 'refund' AND NOT EXISTS (SELECT 1 FROM refunds r WHERE r.ledger_transfer_id = t.id)`),
    }
  }

  byId(refundId: string): RefundRow | undefined {
    const row = this.statements.byId.get(refundId)
    return row === undefined ? undefined : rowOf(row)
  }

  ofTransfer(transferId: string): RefundRow[] {
    return this.statements.ofTransfer.all(transferId).map(rowOf)
  }

  refundedMinor(transferId: string): number {
    return this.statements.refunded.get(transferId)?.total ?? 0
  }

  insert(row: RefundRow): void {
    this.statements.insert.run(row.refundId, row.transferId, row.ledgerTransferId, row.gatewayEui, row.amountMinor,
      row.currency, row.requestedAtMs, row.createdAtMs)
  }

  /** Rows for refund transfers the ledger holds alone; returns how many were restored. */
  restoreOrphans(): number {
    let restored = 0
    for (const orphan of this.statements.orphans.all()) {
      const metadata = orphan.metadata === null ? {} : JSON.parse(orphan.metadata) as Record<string, unknown>
      const { refundId, refundOf, requestedAtMs } = metadata
      if (typeof refundId !== 'string' || typeof refundOf !== 'string' || orphan.gateway_eui === null) continue
      this.insert({
        refundId, transferId: refundOf, ledgerTransferId: orphan.id, gatewayEui: orphan.gateway_eui,
        amountMinor: orphan.amount_minor, currency: orphan.currency,
        requestedAtMs: typeof requestedAtMs === 'number' ? requestedAtMs : orphan.created_at_ms, createdAtMs: orphan.created_at_ms,
      })
      restored += 1
    }
    return restored
  }
}
