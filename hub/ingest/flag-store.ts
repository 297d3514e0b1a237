// The double spends the ingest found (tables.ts), as flags an operator reads and resolves: each with
// both customer-signed authorizations, the payer's key from the voucher, and who resolved it, when and why.

import type { SqlEngine, SqlQuery } from '../store/sql'
import type { FlagKind, FlagStatus } from './flag-wire'

export interface StoredFlag {
  readonly id: number
  readonly kind: FlagKind
  readonly voucherIdHex: string
  /** The voucher's customer and device key; null only if the voucher row is gone (it never is deleted). */
  readonly payerUserId: string | null
  readonly payerDeviceKey: Uint8Array | null
  /** The payment known first, and the one that contradicts it. */
  readonly authorizations: readonly [StoredAuthorization, StoredAuthorization]
  readonly detectedAtMs: number
  readonly resolution: { readonly atMs: number; readonly byUserId: string; readonly note: string } | null
}

export interface StoredAuthorization {
  /** The id the payment settles under (SHA-256 of its signed bytes), whether or not it settled. */
  readonly transferIdHex: string
  /** The Authorization as the customer's phone signed it, encoded. */
  readonly bytes: Uint8Array
}

type FlagRow = {
  id: number
  kind: FlagKind
  voucher_id: string
  user_id: string | null
  device_public_key: Buffer | null
  first_transfer_id: string
  second_transfer_id: string
  first_authorization: Buffer
  second_authorization: Buffer
  detected_at_ms: number
  resolved_at_ms: number | null
  resolved_by_user_id: string | null
  resolution_note: string | null
}

// The vouchers table is hub/vouchers', read here for the key that signed both authorizations.
const FLAG_SELECT = `
SELECT f.id, f.kind, f.voucher_id, v.user_id, v.device_public_key, f.first_transfer_id, f.second_transfer_id,
       f.first_authorization, f.second_authorization, f.detected_at_ms, f.resolved_at_ms, f.resolved_by_user_id, f.resolution_note
FROM double_spends f LEFT JOIN vouchers v ON v.voucher_id = f.voucher_id`

const SQL = {
  // A null status reads both; the status is cast so PostgreSQL knows its type when it is null.
  page: `${FLAG_SELECT} WHERE f.id < ? AND (CAST(? AS TEXT) IS NULL OR (CAST(? AS TEXT) = 'open') = (f.resolved_at_ms IS NULL))
    ORDER BY f.id DESC LIMIT ?`,
  byId: `${FLAG_SELECT} WHERE f.id = ?`,
  // The first resolution stands, whichever hub makes it: the update only finds an open flag.
  resolve: `UPDATE double_spends SET resolved_at_ms = ?, resolved_by_user_id = ?, resolution_note = ?
    WHERE id = ? AND resolved_at_ms IS NULL`,
} as const

export class FlagStore {
  constructor(private readonly engine: SqlEngine) {}

  /** Newest first: the flags with an id below `beforeId` (all: undefined), of `status` (both: undefined), at most `limit`. */
  async page(status: FlagStatus | undefined, beforeId: number | undefined, limit: number): Promise<StoredFlag[]> {
    const rows = await this.engine.all<FlagRow>(SQL.page,
      [beforeId ?? Number.MAX_SAFE_INTEGER, status ?? null, status ?? null, limit])
    return rows.map(flagOf)
  }

  async byId(id: number): Promise<StoredFlag | undefined> {
    const row = await this.engine.get<FlagRow>(SQL.byId, [id])
    return row === undefined ? undefined : flagOf(row)
  }

  /**
   * Resolves an open flag with the statements of the caller's transaction; false when it is resolved already (or
   * unknown): the first resolution stands.
   */
  async resolveIn(sql: SqlQuery, id: number, resolution: { byUserId: string; note: string; atMs: number }): Promise<boolean> {
    return (await sql.run(SQL.resolve, [resolution.atMs, resolution.byUserId, resolution.note, id])).changes === 1
  }
}

function flagOf(row: FlagRow): StoredFlag {
  return {
    id: row.id,
    kind: row.kind,
    voucherIdHex: row.voucher_id,
    payerUserId: row.user_id,
    payerDeviceKey: row.device_public_key === null ? null : new Uint8Array(row.device_public_key),
    authorizations: [
      { transferIdHex: row.first_transfer_id, bytes: new Uint8Array(row.first_authorization) },
      { transferIdHex: row.second_transfer_id, bytes: new Uint8Array(row.second_authorization) },
    ],
    detectedAtMs: row.detected_at_ms,
    resolution: row.resolved_at_ms === null
      ? null
      : { atMs: row.resolved_at_ms, byUserId: row.resolved_by_user_id!, note: row.resolution_note! },
  }
}
