// The refunds table on either engine (hub/store/sql.ts): what each refund id gave back, and how much of a payment is
// refunded so far.

import type { SqlEngine, SqlQuery } from '../store/sql'

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

// A type, not an interface: a row is a Record<string, unknown> to SqlQuery.
type Row = {
  refund_id: string
  transfer_id: string
  ledger_transfer_id: string
  gateway_eui: string
  amount_minor: number
  currency: string
  requested_at_ms: number
  created_at_ms: number
}

type OrphanRow = {
  id: string
  amount_minor: number
  currency: string
  gateway_eui: string | null
  metadata: string | null
  created_at_ms: number
}

const SQL = {
  byId: 'SELECT * FROM refunds WHERE refund_id = ?',
  ofTransfer: 'SELECT * FROM refunds WHERE transfer_id = ? ORDER BY created_at_ms, refund_id',
  refunded: 'SELECT CAST(SUM(amount_minor) AS BIGINT) AS total FROM refunds WHERE transfer_id = ?',
  // One row per refund id whichever hub writes it first (its key decides); the row another wrote is left as it is.
  insert: `INSERT INTO refunds (refund_id, transfer_id, ledger_transfer_id, gateway_eui, amount_minor, currency,
    requested_at_ms, created_at_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (refund_id) DO NOTHING`,
  // Refund transfers the ledger holds without a row: a crash between the two writes.
  orphans: `SELECT t.id, t.amount_minor, t.currency, t.gateway_eui, t.metadata, t.created_at_ms FROM transfers t
    WHERE t.kind = 'refund' AND NOT EXISTS (SELECT 1 FROM refunds r WHERE r.ledger_transfer_id = t.id)`,
} as const

function rowOf(row: Row): RefundRow {
  return {
    refundId: row.refund_id, transferId: row.transfer_id, ledgerTransferId: row.ledger_transfer_id,
    gatewayEui: row.gateway_eui, amountMinor: row.amount_minor, currency: row.currency,
    requestedAtMs: row.requested_at_ms, createdAtMs: row.created_at_ms,
  }
}

async function refundedMinorIn(sql: SqlQuery, transferId: string): Promise<number> {
  return (await sql.get<{ total: number | null }>(SQL.refunded, [transferId]))?.total ?? 0
}

async function insertIn(sql: SqlQuery, row: RefundRow): Promise<boolean> {
  const { changes } = await sql.run(SQL.insert, [row.refundId, row.transferId, row.ledgerTransferId, row.gatewayEui,
    row.amountMinor, row.currency, row.requestedAtMs, row.createdAtMs])
  return changes === 1
}

export class RefundStore {
  constructor(private readonly engine: SqlEngine) {}

  async byId(refundId: string): Promise<RefundRow | undefined> {
    const row = await this.engine.get<Row>(SQL.byId, [refundId])
    return row === undefined ? undefined : rowOf(row)
  }

  async ofTransfer(transferId: string): Promise<RefundRow[]> {
    return (await this.engine.all<Row>(SQL.ofTransfer, [transferId])).map(rowOf)
  }

  async refundedMinor(transferId: string): Promise<number> {
    return refundedMinorIn(this.engine, transferId)
  }

  /** False when a row with this refund id was there already (and is left unchanged). */
  async insert(row: RefundRow): Promise<boolean> {
    return insertIn(this.engine, row)
  }

  /** As refundedMinor, inside the transaction `sql` (the refund's ledger call). */
  refundedMinorIn(sql: SqlQuery, transferId: string): Promise<number> {
    return refundedMinorIn(sql, transferId)
  }

  /** As insert, inside the transaction `sql` (the refund's ledger call). */
  insertIn(sql: SqlQuery, row: RefundRow): Promise<boolean> {
    return insertIn(sql, row)
  }

  /** Rows for refund transfers the ledger holds alone; returns how many this call restored (another hub may race it). */
  async restoreOrphans(): Promise<number> {
    let restored = 0
    for (const orphan of await this.engine.all<OrphanRow>(SQL.orphans)) {
      const metadata = orphan.metadata === null ? {} : JSON.parse(orphan.metadata) as Record<string, unknown>
      const { refundId, refundOf, requestedAtMs } = metadata
      if (typeof refundId !== 'string' || typeof refundOf !== 'string' || orphan.gateway_eui === null) continue
      const inserted = await this.insert({
        refundId, transferId: refundOf, ledgerTransferId: orphan.id, gatewayEui: orphan.gateway_eui,
        amountMinor: orphan.amount_minor, currency: orphan.currency,
        requestedAtMs: typeof requestedAtMs === 'number' ? requestedAtMs : orphan.created_at_ms, createdAtMs: orphan.created_at_ms,
      })
      if (inserted) restored += 1
    }
    return restored
  }
}
