// SQLite reads and writes of the revocation list (tables.ts): the current serial, which vouchers
// are listed, and the signed deltas kept for catch-ups. Callers group the writes of one change in
// one transaction, so a delta and the listing it describes are stored together or not at all.

import { fromHex, toHex } from '../../protocol/bytes'
import { assert } from '../../protocol/errors'
import { revocationDeltaCodec, type RevocationDelta } from '../../protocol/messages/revocation-delta'
import type { SqliteDatabase } from '../store/database'

export class RevocationStore {
  private readonly statements

  constructor(readonly db: SqliteDatabase) {
    const listed = 'listed_serial IS NOT NULL AND unlisted_serial IS NULL'
    this.statements = {
      serial: db.prepare<[], { serial: number }>('SELECT serial FROM revocation_state WHERE id = 1'),
      setSerial: db.prepare<[number, number]>('UPDATE revocation_state SET serial = ? WHERE id = 1 AND serial = ?'),
      revoke: db.prepare<[number, string, string]>(
        'UPDATE vouchers SET revoked_at_ms = ?, revoked_reason = ? WHERE voucher_id = ? AND revoked_at_ms IS NULL'),
      listable: db.prepare<[string, number], { one: number }>(
        'SELECT 1 AS one FROM vouchers WHERE voucher_id = ? AND listed_serial IS NULL AND expires_at_ms > ?'),
      list: db.prepare<[number, string]>('UPDATE vouchers SET listed_serial = ? WHERE voucher_id = ? AND listed_serial IS NULL'),
      unlist: db.prepare<[number, string]>(`UPDATE vouchers SET unlisted_serial = ? WHERE voucher_id = ? AND ${listed}`),
      expired: db.prepare<[number, number], { voucher_id: string }>(
        `SELECT voucher_id FROM vouchers WHERE ${listed} AND expires_at_ms <= ? ORDER BY expires_at_ms LIMIT ?`),
      listedAfter: db.prepare<[string, number], { voucher_id: string }>(
        `SELECT voucher_id FROM vouchers WHERE ${listed} AND voucher_id > ? ORDER BY voucher_id LIMIT ?`),
      insertDelta: db.prepare<[number, Buffer, number]>('INSERT INTO revocation_deltas (serial, delta, issued_at_ms) VALUES (?, ?, ?)'),
      delta: db.prepare<[number], { delta: Buffer }>('SELECT delta FROM revocation_deltas WHERE serial = ?'),
      deltasAfter: db.prepare<[number, number], { delta: Buffer }>(
        'SELECT delta FROM revocation_deltas WHERE serial > ? ORDER BY serial LIMIT ?'),
      oldestDelta: db.prepare<[], { serial: number }>('SELECT serial FROM revocation_deltas ORDER BY serial LIMIT 1'),
      pruneDeltas: db.prepare<[number, number]>(
        `DELETE FROM revocation_deltas WHERE serial IN
           (SELECT serial FROM revocation_deltas WHERE serial <= ? ORDER BY serial LIMIT ?)`),
    }
  }

  /** The serial of the list as it stands (0: nothing was ever revoked). */
  serial(): number {
    return this.statements.serial.get()!.serial
  }

  /** Marks a voucher revoked; false if it was already (or is unknown). */
  revoke(voucherIdHex: string, reason: string, now_ms: number): boolean {
    return this.statements.revoke.run(now_ms, reason, voucherIdHex).changes === 1
  }

  /** Not listed yet and not past `expiredBeforeMs` (its expiry + the grace): worth listing. */
  listable(voucherIdHex: string, expiredBefore_ms: number): boolean {
    return this.statements.listable.get(voucherIdHex, expiredBefore_ms) !== undefined
  }

  /** Listed vouchers that expired at or before `expiredAtOrBeforeMs`, soonest first, at most `count_max`. */
  expired(expiredAtOrBefore_ms: number, count_max: number): string[] {
    return this.statements.expired.all(expiredAtOrBefore_ms, count_max).map(row => row.voucher_id)
  }

  /** Listed voucher ids after `afterIdHex` in id order, at most `count_max` (a LoRa catch-up's walk). */
  listedAfter(afterIdHex: string, count_max: number): Uint8Array[] {
    return this.statements.listedAfter.all(afterIdHex, count_max).map(row => fromHex(row.voucher_id, 16))
  }

  /** Stores a signed delta and the listing it describes; call inside a transaction. */
  storeDelta(delta: RevocationDelta): void {
    const s = this.statements
    s.insertDelta.run(delta.serial, Buffer.from(revocationDeltaCodec.encode(delta)), delta.issuedAtMs)
    for (const id of delta.added) s.list.run(delta.serial, toHex(id))
    for (const id of delta.removed) s.unlist.run(delta.serial, toHex(id))
    const changed = s.setSerial.run(delta.serial, delta.follows).changes
    assert(changed === 1, `revocation delta ${delta.serial} follows the stored serial`)
  }

  delta(serial: number): RevocationDelta | undefined {
    const row = this.statements.delta.get(serial)
    return row === undefined ? undefined : revocationDeltaCodec.decode(new Uint8Array(row.delta))
  }

  /** The kept deltas after `serial`, in order, at most `count_max`. */
  deltasAfter(serial: number, count_max: number): RevocationDelta[] {
    return this.statements.deltasAfter.all(serial, count_max).map(row => revocationDeltaCodec.decode(new Uint8Array(row.delta)))
  }

  /** The serial of the oldest delta kept, if any. */
  oldestDeltaSerial(): number | undefined {
    return this.statements.oldestDelta.get()?.serial
  }

  /** Deletes at most `count_max` deltas of serial `throughSerial` or lower, oldest first; returns how many went. */
  pruneDeltas(throughSerial: number, count_max: number): number {
    return this.statements.pruneDeltas.run(throughSerial, count_max).changes
  }

  /** Every listed voucher id in id order; at most `count_max` are read. */
  listed(count_max: number): Uint8Array[] {
    return this.listedAfter('', count_max)
  }
}
