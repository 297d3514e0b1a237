// Reads and writes of the revocation list (tables.ts), on either engine: the current serial, which vouchers are
// listed, and the signed deltas kept for catch-ups. Callers group the writes of one change in one SqlEngine.write,
// so a delta and the listing it describes are stored together or not at all.
//
// Several hubs may revoke at once. The database decides the serials: every change first locks the one row of
// revocation_state (lockRevocationState), so changes pass one after the other, each reading the serial and the
// listing its predecessor committed; storeDeltaIn then moves the serial only from the value it follows (a
// conditional UPDATE), and revocation_deltas' primary key refuses a serial issued twice. No revocation is lost:
// a change that loses a race waits, or runs again from the start (SqlEngine.write), never drops its vouchers.

import { fromHex, toHex } from '../../protocol/bytes'
import { assert } from '../../protocol/errors'
import { revocationDeltaCodec, type RevocationDelta } from '../../protocol/messages/revocation-delta'
import type { SqlEngine, SqlQuery } from '../store/sql'

const LISTED = 'listed_serial IS NOT NULL AND unlisted_serial IS NULL'
const SERIAL_SQL = 'SELECT serial FROM revocation_state WHERE id = 1'

/**
 * Locks the revocation list's state row until the caller's transaction ends and returns its serial: on PostgreSQL
 * the other hubs' changes to the list (and their voucher issuances, which count against its bound) wait until then,
 * and this one reads what the one before it committed. On SQLite the write holds the database already.
 */
export async function lockRevocationState(sql: SqlQuery): Promise<number> {
  const row = await sql.get<{ serial: number }>('UPDATE revocation_state SET serial = serial WHERE id = 1 RETURNING serial')
  assert(row !== undefined, 'the revocation list has its state row')
  return row.serial
}

export class RevocationStore {
  constructor(readonly engine: SqlEngine) {}

  /** The serial of the list as it stands (0: nothing was ever revoked). */
  async serial(sql: SqlQuery = this.engine): Promise<number> {
    return (await sql.get<{ serial: number }>(SERIAL_SQL))!.serial
  }

  /** Marks a voucher revoked; false if it was already (or is unknown). Once, whichever hub asks first. */
  async revokeIn(sql: SqlQuery, voucherIdHex: string, reason: string, now_ms: number): Promise<boolean> {
    const revoked = await sql.run('UPDATE vouchers SET revoked_at_ms = ?, revoked_reason = ? WHERE voucher_id = ? AND revoked_at_ms IS NULL',
      [now_ms, reason, voucherIdHex])
    return revoked.changes === 1
  }

  /** Not listed yet and not past `expiredBeforeMs` (its expiry + the grace): worth listing. */
  async listableIn(sql: SqlQuery, voucherIdHex: string, expiredBefore_ms: number): Promise<boolean> {
    const row = await sql.get('SELECT 1 AS one FROM vouchers WHERE voucher_id = ? AND listed_serial IS NULL AND expires_at_ms > ?',
      [voucherIdHex, expiredBefore_ms])
    return row !== undefined
  }

  /** Listed vouchers that expired at or before `expiredAtOrBeforeMs`, soonest first, at most `count_max`. */
  async expiredIn(sql: SqlQuery, expiredAtOrBefore_ms: number, count_max: number): Promise<string[]> {
    const rows = await sql.all<{ voucher_id: string }>(
      `SELECT voucher_id FROM vouchers WHERE ${LISTED} AND expires_at_ms <= ? ORDER BY expires_at_ms, voucher_id LIMIT ?`,
      [expiredAtOrBefore_ms, count_max])
    return rows.map(row => row.voucher_id)
  }

  /** Listed voucher ids after `afterIdHex` in id order, at most `count_max` (a LoRa catch-up's walk). */
  async listedAfter(afterIdHex: string, count_max: number, sql: SqlQuery = this.engine): Promise<Uint8Array[]> {
    const rows = await sql.all<{ voucher_id: string }>(
      `SELECT voucher_id FROM vouchers WHERE ${LISTED} AND voucher_id > ? ORDER BY voucher_id LIMIT ?`, [afterIdHex, count_max])
    return rows.map(row => fromHex(row.voucher_id, 16))
  }

  /** Stores a signed delta and the listing it describes, in the caller's transaction (which locked the state row). */
  async storeDeltaIn(sql: SqlQuery, delta: RevocationDelta): Promise<void> {
    await sql.run('INSERT INTO revocation_deltas (serial, delta, issued_at_ms) VALUES (?, ?, ?)',
      [delta.serial, Buffer.from(revocationDeltaCodec.encode(delta)), delta.issuedAtMs])
    for (const id of delta.added) {
      await sql.run('UPDATE vouchers SET listed_serial = ? WHERE voucher_id = ? AND listed_serial IS NULL', [delta.serial, toHex(id)])
    }
    for (const id of delta.removed) {
      await sql.run(`UPDATE vouchers SET unlisted_serial = ? WHERE voucher_id = ? AND ${LISTED}`, [delta.serial, toHex(id)])
    }
    const moved = await sql.run('UPDATE revocation_state SET serial = ? WHERE id = 1 AND serial = ?', [delta.serial, delta.follows])
    assert(moved.changes === 1, `revocation delta ${delta.serial} follows the stored serial`)
  }

  async delta(serial: number): Promise<RevocationDelta | undefined> {
    const row = await this.engine.get<{ delta: Buffer }>('SELECT delta FROM revocation_deltas WHERE serial = ?', [serial])
    return row === undefined ? undefined : revocationDeltaCodec.decode(new Uint8Array(row.delta))
  }

  /** The kept deltas after `serial`, in order, at most `count_max`. */
  async deltasAfter(serial: number, count_max: number): Promise<RevocationDelta[]> {
    const rows = await this.engine.all<{ delta: Buffer }>('SELECT delta FROM revocation_deltas WHERE serial > ? ORDER BY serial LIMIT ?',
      [serial, count_max])
    return rows.map(row => revocationDeltaCodec.decode(new Uint8Array(row.delta)))
  }

  /** The serial of the oldest delta kept, if any. */
  async oldestDeltaSerial(): Promise<number | undefined> {
    return (await this.engine.get<{ serial: number }>('SELECT serial FROM revocation_deltas ORDER BY serial LIMIT 1'))?.serial
  }

  /** Deletes at most `count_max` deltas of serial `throughSerial` or lower, oldest first; returns how many went. */
  async pruneDeltas(throughSerial: number, count_max: number): Promise<number> {
    const pruned = await this.engine.run(
      `DELETE FROM revocation_deltas WHERE serial IN
         (SELECT serial FROM revocation_deltas WHERE serial <= ? ORDER BY serial LIMIT ?)`, [throughSerial, count_max])
    return pruned.changes
  }

  /** Every listed voucher id in id order; at most `count_max` are read. */
  listed(count_max: number, sql: SqlQuery = this.engine): Promise<Uint8Array[]> {
    return this.listedAfter('', count_max, sql)
  }
}
