// The revocation side of the terminal's store (DESIGN "Revocations stay complete"): the revoked
// vouchers as rows, each with the serial of the hub's list that named it, and the serial they are
// complete through. A delta applies only on top of exactly that serial; a whole list, in parts, is
// taken once every part is in; LoRa revocations only ever add, and are remembered so a replay is
// refused, after a restart too. Each change is one transaction, with its serial guard inside it.
//
// Bounds: the rows are the hub's list at the held serial (at most REVOKED_VOUCHERS_MAX, the hub
// issues no more than that) plus what LoRa added beyond it while IP was down (vouchers the hub
// revoked meanwhile); the next whole list or delta over IP trims them to the list again. Parts of
// at most one list are recorded, and LORA_APPLIED_KEPT_MAX LoRa messages (see below).

import type { LoraRevocation } from '../../protocol/messages/lora-revocation'
import type { RevocationDelta } from '../../protocol/messages/revocation-delta'
import type { RevocationList } from '../../protocol/messages/revocation-list'
import { blob, type SqliteDatabase } from './database'

/**
 * LoRa messages remembered beyond the held serial. Past this the oldest is forgotten: a replay of
 * it adds again vouchers the hub revoked, which only refuses what is refused already.
 */
const LORA_APPLIED_KEPT_MAX = 8_192

export type DeltaApplied = 'applied' | 'stale' | 'gap'
export type ListPartApplied = 'applied' | 'partial' | 'stale'
export type LoraApplied = 'applied' | 'stale' | 'replayed'

export interface RevocationState {
  /** The hub's list serial the revoked vouchers are complete through (0: none yet). */
  readonly serial: number
  /** Vouchers refused, LoRa's additions included. */
  readonly revoked: number
  readonly updatedAtMs: number | null
}


export class RevocationStore {
  private readonly statements

  constructor(private readonly db: SqliteDatabase) {
    this.statements = {
      state: db.prepare<[], { serial: number; updated_at_ms: number | null }>(
        'SELECT serial, updated_at_ms FROM revocation_state WHERE id = 1'),
      setSerial: db.prepare<[number, number]>('UPDATE revocation_state SET serial = ?, updated_at_ms = ? WHERE id = 1'),
      count: db.prepare<[], { count: number }>('SELECT count(*) AS count FROM revoked_vouchers'),
      isRevoked: db.prepare<[Buffer], { one: number }>('SELECT 1 AS one FROM revoked_vouchers WHERE voucher_id = ?'),
      // A voucher keeps the highest serial that named it: a whole list never takes off what a later one added.
      add: db.prepare<[Buffer, number]>(
        `INSERT INTO revoked_vouchers (voucher_id, serial) VALUES (?, ?)
         ON CONFLICT (voucher_id) DO UPDATE SET serial = max(serial, excluded.serial)`),
      remove: db.prepare<[Buffer]>('DELETE FROM revoked_vouchers WHERE voucher_id = ?'),
      removeBefore: db.prepare<[number]>('DELETE FROM revoked_vouchers WHERE serial < ?'),
      newerPartsThan: db.prepare<[number], { one: number }>('SELECT 1 AS one FROM revocation_list_parts WHERE serial > ? LIMIT 1'),
      recordPart: db.prepare<[number, number, number, number]>(
        'INSERT OR IGNORE INTO revocation_list_parts (serial, part, parts, received_at_ms) VALUES (?, ?, ?, ?)'),
      partsOf: db.prepare<[number, number], { count: number }>(
        'SELECT count(*) AS count FROM revocation_list_parts WHERE serial = ? AND parts = ?'),
      forgetPartsBefore: db.prepare<[number]>('DELETE FROM revocation_list_parts WHERE serial < ?'),
      forgetPartsThrough: db.prepare<[number]>('DELETE FROM revocation_list_parts WHERE serial <= ?'),
      loraApplied: db.prepare<[number, number, number], { one: number }>(
        'SELECT 1 AS one FROM lora_revocations_applied WHERE kind = ? AND serial = ? AND chunk = ?'),
      recordLora: db.prepare<[number, number, number, number]>(
        'INSERT INTO lora_revocations_applied (kind, serial, chunk, applied_at_ms) VALUES (?, ?, ?, ?)'),
      forgetLoraThrough: db.prepare<[number]>('DELETE FROM lora_revocations_applied WHERE serial <= ?'),
      loraCount: db.prepare<[], { count: number }>('SELECT count(*) AS count FROM lora_revocations_applied'),
      forgetOldestLora: db.prepare<[number]>(
        `DELETE FROM lora_revocations_applied WHERE (kind, serial, chunk) IN
           (SELECT kind, serial, chunk FROM lora_revocations_applied ORDER BY serial, kind, chunk LIMIT ?)`),
    }
  }

  state(): RevocationState {
    const row = this.statements.state.get()!
    return { serial: row.serial, revoked: this.statements.count.get()!.count, updatedAtMs: row.updated_at_ms }
  }

  isRevoked(voucherId: Uint8Array): boolean {
    return this.statements.isRevoked.get(blob(voucherId)) !== undefined
  }

  /** Applies a verified delta on top of exactly the serial held; 'gap' when it follows another one (ask for a catch-up). */
  applyDelta(delta: RevocationDelta, now_ms: number): DeltaApplied {
    return this.db.transaction((): DeltaApplied => {
      const { serial } = this.statements.state.get()!
      if (delta.serial <= serial) return 'stale'
      if (delta.follows !== serial) return 'gap'
      for (const id of delta.removed) this.statements.remove.run(blob(id))
      for (const id of delta.added) this.statements.add.run(blob(id), delta.serial)
      this.advance(delta.serial, now_ms)
      return 'applied'
    }).immediate()
  }

  /**
   * Applies a verified part of a whole list newer than the serial held: its vouchers are refused at
   * once, and once every part of that list is in, the vouchers of older serials it no longer names
   * (expired past the grace) go and its serial is held. Parts of one list are recorded at a time: a
   * newer list's parts replace an older one's; an older list's parts still add their vouchers.
   */
  applyListPart(part: RevocationList, now_ms: number): ListPartApplied {
    return this.db.transaction((): ListPartApplied => {
      const s = this.statements
      if (part.serial <= s.state.get()!.serial) return 'stale'
      for (const id of part.voucherIds) s.add.run(blob(id), part.serial)
      if (s.newerPartsThan.get(part.serial) !== undefined) return 'partial'
      s.forgetPartsBefore.run(part.serial)
      s.recordPart.run(part.serial, part.part, part.parts, now_ms)
      if (s.partsOf.get(part.serial, part.parts)!.count < part.parts) return 'partial'
      s.removeBefore.run(part.serial)
      this.advance(part.serial, now_ms)
      return 'applied'
    }).immediate()
  }

  /** Adds the vouchers of a verified LoRa revocation newer than the serial held, once. */
  applyLora(revocation: LoraRevocation, now_ms: number): LoraApplied {
    return this.db.transaction((): LoraApplied => {
      const s = this.statements
      if (revocation.serial <= s.state.get()!.serial) return 'stale'
      if (s.loraApplied.get(revocation.kind, revocation.serial, revocation.index) !== undefined) return 'replayed'
      for (const id of revocation.voucherIds) s.add.run(blob(id), revocation.serial)
      s.recordLora.run(revocation.kind, revocation.serial, revocation.index, now_ms)
      const over = s.loraCount.get()!.count - LORA_APPLIED_KEPT_MAX
      if (over > 0) s.forgetOldestLora.run(over)
      return 'applied'
    }).immediate()
  }

  /** Holds `serial`; what is remembered of older lists' parts and LoRa messages is refused as stale from now on anyway. */
  private advance(serial: number, now_ms: number): void {
    this.statements.setSerial.run(serial, now_ms)
    this.statements.forgetPartsThrough.run(serial)
    this.statements.forgetLoraThrough.run(serial)
  }
}
