// SQLite reads and writes of the ingest: received records, chain positions, gaps, forks, the
// payments known under each voucher, and double spends. Each write call is one transaction.

import { authorizationCodec } from '../../protocol/messages/authorization'
import { transferRecordCodec } from '../../protocol/messages/transfer-record'
import { Reason } from '../../protocol/reasons'
import type { SqliteDatabase } from '../store/database'
import { isFinalRefusal, type KnownPayment, type VoucherState } from './decide'

const RECORD_OUTCOMES = ['settled', 'flagged', 'rejected'] as const
export type RecordOutcome = (typeof RECORD_OUTCOMES)[number]

export interface StoredRecord {
  gatewaySeq: number
  recordHash: Uint8Array
  outcome: RecordOutcome
  reason: number
}

export interface ChainState {
  contiguousSeq: number
  contiguousHash: Uint8Array
  highestSeq: number
}

/** Open: its key signs batches the hub takes. Closing: a newer chain of the EUI opened (or the gateway retired) while
 * records of this one were missing; closed: held whole, or the missing records written off. */
export type ChainLifecycle = 'open' | 'closing' | 'closed'

/** A chain of one EUI, by its number (1 for the EUI's first key, then one more for each new key). */
export interface NumberedChain {
  readonly eui: string
  readonly chain: number
}

export interface RecordRow {
  eui: string
  chain: number
  gatewaySeq: number
  recordHash: Uint8Array
  transferIdHex: string
  voucherIdHex: string
  voucherSeq: number
  cumulativeMinor: number
  amountMinor: number
  currency: string
  mode: number
  timeMs: number
  record: Uint8Array
  outcome: RecordOutcome
  reason: number
}

export interface DoubleSpendRow {
  voucherIdHex: string
  kind: 'same_seq' | 'cumulative'
  firstTransferIdHex: string
  secondTransferIdHex: string
  /** Both customer-signed authorizations: the proof. */
  firstAuthorization: Uint8Array
  secondAuthorization: Uint8Array
}

export interface IngestWrite {
  eui: string
  chain: number
  /** The gateway and key that sign the chain, kept with it when this batch is its first. */
  gatewayId: string
  publicKey: Uint8Array
  records: RecordRow[]
  /** Where the hub holds the chain once the batch is stored. */
  position: ChainState
  head: Uint8Array
  gap: { fromSeq: number; toSeq: number } | null
  forks: Array<{ gatewaySeq: number; knownHash: Uint8Array; otherRecord: Uint8Array }>
  doubleSpends: DoubleSpendRow[]
  nowMs: number
}

interface KnownRow {
  voucher_seq: number
  cumulative_minor: number
  amount_minor: number
  transfer_id: string
}

function knownPaymentOf(row: KnownRow): KnownPayment {
  return { seq: row.voucher_seq, cumulativeMinor: row.cumulative_minor, amountMinor: row.amount_minor, transferIdHex: row.transfer_id }
}

/** Rows of gateway_records whose payments count under their voucher (rejected ones do not). */
const COUNTED = `outcome IN ('settled', 'flagged')`

/** The reads of one numbered chain: its position and state, and the keys of the EUI's closed chains. */
function chainReads(db: SqliteDatabase) {
  return {
    record: db.prepare<[string, number, number], { record_hash: Buffer; outcome: RecordOutcome; reason: number }>(
      'SELECT record_hash, outcome, reason FROM gateway_records WHERE eui = ? AND chain = ? AND gateway_seq = ?'),
    chain: db.prepare<[string, number], { contiguous_seq: number; contiguous_hash: Buffer; highest_seq: number; state: ChainLifecycle }>(
      'SELECT contiguous_seq, contiguous_hash, highest_seq, state FROM gateway_chains WHERE eui = ? AND chain = ?'),
    // The keys of the EUI's chains that no longer take batches, newest first: a batch one of them signed is told so.
    closedChainKeys: db.prepare<[string, number], { chain: number; public_key: Buffer }>(
      `SELECT chain, public_key FROM gateway_chains WHERE eui = ? AND state <> 'open' AND public_key IS NOT NULL
       ORDER BY chain DESC LIMIT ?`),
  }
}

/** The final refusals: those signed into acks (final for every copy) and into online answers (for online copies). */
function refusalStatements(db: SqliteDatabase) {
  return {
    // A payment its gateway voided (void.ts) is refused OnlineRequestVoided, whatever copy comes later.
    finalRefusal: db.prepare<{ transferId: string }, { reason: Reason }>(
      `SELECT reason FROM final_refusals WHERE transfer_id = @transferId
       UNION ALL SELECT ${Reason.OnlineRequestVoided} FROM online_voids WHERE transfer_id = @transferId LIMIT 1`),
    // An ack's refusal first: a record refused for good was answered so, online too.
    refusalForOnline: db.prepare<{ transferId: string }, { reason: Reason | null }>(
      `SELECT COALESCE((SELECT reason FROM final_refusals WHERE transfer_id = @transferId),
         (SELECT reason FROM online_refusals WHERE transfer_id = @transferId)) AS reason`),
    // A batch's ids at once, as a JSON array: one statement for the batch instead of one per record.
    finalRefusals: db.prepare<{ transferIds: string }, { transfer_id: string; reason: Reason }>(
      `SELECT transfer_id, reason FROM final_refusals WHERE transfer_id IN (SELECT value FROM json_each(@transferIds))
       UNION ALL SELECT transfer_id, ${Reason.OnlineRequestVoided} FROM online_voids
       WHERE transfer_id IN (SELECT value FROM json_each(@transferIds))`),
    // The first final refusal of an id is its answer; a copy is refused with the same reason anyway.
    insertFinalRefusal: db.prepare<[string, number, string, number]>(
      'INSERT OR IGNORE INTO final_refusals (transfer_id, reason, eui, refused_at_ms) VALUES (?, ?, ?, ?)'),
    insertOnlineRefusal: db.prepare<[string, number, string, number]>(
      'INSERT OR IGNORE INTO online_refusals (transfer_id, reason, eui, refused_at_ms) VALUES (?, ?, ?, ?)'),
  }
}

/** An online approval by transfer id, and the voids of online requests (void.ts). */
function voidStatements(db: SqliteDatabase) {
  return {
    onlinePayment: db.prepare<[string], { eui: string; voucher_id: string; voucher_seq: number; amount_minor: number }>(
      'SELECT eui, voucher_id, voucher_seq, amount_minor FROM online_payments WHERE transfer_id = ?'),
    voidOf: db.prepare<[string], { eui: string; reversed_minor: number }>('SELECT eui, reversed_minor FROM online_voids WHERE transfer_id = ?'),
    insertVoid: db.prepare<[string, string, number, string | null, number]>(
      'INSERT INTO online_voids (transfer_id, eui, reversed_minor, reversal_transfer_id, voided_at_ms) VALUES (?, ?, ?, ?, ?)'),
  }
}

export class IngestStore {
  private readonly statements

  constructor(private readonly db: SqliteDatabase) {
    this.statements = {
      ...chainReads(db),
      ...refusalStatements(db),
      ...voidStatements(db),
      voucher: db.prepare<[string], {
        voucher_id: string; device_public_key: Buffer; currency: string; limit_minor: number; issued_at_ms: number
        expires_at_ms: number; revoked_at_ms: number | null
      }>(`SELECT voucher_id, device_public_key, currency, limit_minor, issued_at_ms, expires_at_ms, revoked_at_ms
          FROM vouchers WHERE voucher_id = ?`),
      known: db.prepare<{ voucherId: string }, KnownRow>(
        `SELECT voucher_seq, cumulative_minor, amount_minor, transfer_id FROM gateway_records
         WHERE voucher_id = @voucherId AND ${COUNTED}
         UNION
         SELECT voucher_seq, cumulative_minor, amount_minor, transfer_id FROM online_payments WHERE voucher_id = @voucherId`),
      // The payment with the highest seq under a voucher, from records and from online approvals: each
      // walks its (voucher_id, voucher_seq) index backwards and stops at the first row that counts.
      highestRecord: db.prepare<[string], KnownRow>(
        `SELECT voucher_seq, cumulative_minor, amount_minor, transfer_id FROM gateway_records
         WHERE voucher_id = ? AND ${COUNTED} ORDER BY voucher_seq DESC LIMIT 1`),
      highestOnline: db.prepare<[string], KnownRow>(
        `SELECT voucher_seq, cumulative_minor, amount_minor, transfer_id FROM online_payments
         WHERE voucher_id = ? ORDER BY voucher_seq DESC LIMIT 1`),
      // Found under its voucher and seq: no index by transfer id costs every insert for these rare reads.
      recordByTransfer: db.prepare<{ voucherId: string; voucherSeq: number; transferId: string }, { record: Buffer; source: 'record' | 'online' }>(
        `SELECT record, 'record' AS source FROM gateway_records
         WHERE voucher_id = @voucherId AND voucher_seq = @voucherSeq AND transfer_id = @transferId AND ${COUNTED}
         UNION ALL SELECT authorization AS record, 'online' AS source FROM online_payments WHERE transfer_id = @transferId
         LIMIT 1`),
      hasRecordOf: db.prepare<[string, number, string], { found: number }>(`SELECT 1 AS found FROM gateway_records
         WHERE voucher_id = ? AND voucher_seq = ? AND transfer_id = ? AND ${COUNTED} LIMIT 1`),
      // Positional: one per record of every batch, where binding by name would cost a copied object each.
      insertRecord: db.prepare<[
        string, number, number, Uint8Array, string, string, number, number, number, string, number, number, Uint8Array, RecordOutcome,
        number, number,
      ]>(
        `INSERT INTO gateway_records (eui, chain, gateway_seq, record_hash, transfer_id, voucher_id, voucher_seq,
           cumulative_minor, amount_minor, currency, mode, time_ms, record, outcome, reason, received_at_ms)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
      // Provisioning opens the chain; a gateway provisioned before chains were opened there gets it with its first batch.
      upsertChain: db.prepare(
        `INSERT INTO gateway_chains (eui, chain, gateway_id, public_key, state, contiguous_seq, contiguous_hash, highest_seq, head,
           opened_at_ms, updated_at_ms)
         VALUES (@eui, @chain, @gatewayId, @publicKey, 'open', @contiguousSeq, @contiguousHash, @highestSeq, @head, @nowMs, @nowMs)
         ON CONFLICT (eui, chain) DO UPDATE SET contiguous_seq = excluded.contiguous_seq,
           contiguous_hash = excluded.contiguous_hash, highest_seq = excluded.highest_seq,
           head = excluded.head, updated_at_ms = excluded.updated_at_ms`),
      insertGap: db.prepare(
        `INSERT OR IGNORE INTO chain_gaps (eui, chain, from_seq, to_seq, detected_at_ms) VALUES (?, ?, ?, ?, ?)`),
      resolveGaps: db.prepare(
        `UPDATE chain_gaps SET resolved_at_ms = ? WHERE eui = ? AND chain = ? AND resolved_at_ms IS NULL AND to_seq <= ?`),
      insertFork: db.prepare(
        `INSERT OR IGNORE INTO chain_forks (eui, chain, gateway_seq, known_hash, other_record, detected_at_ms) VALUES (?, ?, ?, ?, ?, ?)`),
      insertDoubleSpend: db.prepare(
        `INSERT OR IGNORE INTO double_spends (voucher_id, kind, first_transfer_id, second_transfer_id, first_authorization,
           second_authorization, detected_at_ms)
         VALUES (@voucherIdHex, @kind, @firstTransferIdHex, @secondTransferIdHex, @firstAuthorization, @secondAuthorization, @nowMs)`),
      seqsAfter: db.prepare<[string, number, number, number], { gateway_seq: number; record_hash: Buffer }>(
        `SELECT gateway_seq, record_hash FROM gateway_records WHERE eui = ? AND chain = ? AND gateway_seq > ? ORDER BY gateway_seq LIMIT ?`),
      insertOnline: db.prepare(
        `INSERT OR IGNORE INTO online_payments (transfer_id, eui, voucher_id, voucher_seq, cumulative_minor, amount_minor,
           authorization, approved_at_ms)
         VALUES (@transferIdHex, @eui, @voucherIdHex, @voucherSeq, @cumulativeMinor, @amountMinor, @authorization, @nowMs)`),
      recordsBetween: db.prepare<[string, number, number, number], {
        gateway_seq: number; record_hash: Buffer; outcome: RecordOutcome; reason: number
      }>('SELECT gateway_seq, record_hash, outcome, reason FROM gateway_records WHERE eui = ? AND chain = ? AND gateway_seq BETWEEN ? AND ?'),
      insertRejectedBatch: db.prepare(
        `INSERT INTO rejected_batches (eui, reason, payload, received_at_ms) VALUES (?, ?, ?, ?)`),
      pruneRejectedBatches: db.prepare(
        `DELETE FROM rejected_batches WHERE id <= (SELECT MAX(id) FROM rejected_batches) - ?`),
    }
  }

  storedRecord(of: NumberedChain, gatewaySeq: number): StoredRecord | undefined {
    const row = this.statements.record.get(of.eui, of.chain, gatewaySeq)
    if (row === undefined) return undefined
    return { gatewaySeq, recordHash: new Uint8Array(row.record_hash), outcome: row.outcome, reason: row.reason }
  }

  /** Where the hub holds the chain, and whether it still takes batches; undefined before it is opened. */
  chain(of: NumberedChain): (ChainState & { readonly state: ChainLifecycle }) | undefined {
    const row = this.statements.chain.get(of.eui, of.chain)
    if (row === undefined) return undefined
    return {
      contiguousSeq: row.contiguous_seq, contiguousHash: new Uint8Array(row.contiguous_hash), highestSeq: row.highest_seq, state: row.state,
    }
  }

  /** The keys that signed the EUI's chains that no longer take batches, the newest `limit` chains first. */
  closedChainKeys(eui: string, limit: number): Array<{ readonly chain: number; readonly publicKey: Uint8Array }> {
    return this.statements.closedChainKeys.all(eui, limit).map(row => ({ chain: row.chain, publicKey: new Uint8Array(row.public_key) }))
  }

  voucher(voucherIdHex: string): VoucherState | undefined {
    const row = this.statements.voucher.get(voucherIdHex)
    if (row === undefined) return undefined
    return {
      voucherIdHex: row.voucher_id,
      devicePublicKey: new Uint8Array(row.device_public_key),
      currency: row.currency,
      limitMinor: row.limit_minor,
      issuedAtMs: row.issued_at_ms,
      expiresAtMs: row.expires_at_ms,
      revokedAtMs: row.revoked_at_ms,
    }
  }

  knownPayments(voucherIdHex: string): KnownPayment[] {
    return this.statements.known.all({ voucherId: voucherIdHex }).map(knownPaymentOf)
  }

  /** The known payment with the highest seq under the voucher, without reading its history. */
  highestKnownPayment(voucherIdHex: string): KnownPayment | undefined {
    const record = this.statements.highestRecord.get(voucherIdHex)
    const online = this.statements.highestOnline.get(voucherIdHex)
    const highest = online === undefined || (record !== undefined && record.voucher_seq >= online.voucher_seq) ? record : online
    return highest === undefined ? undefined : knownPaymentOf(highest)
  }

  /** True when a gateway's record (not only an online approval) carried this payment. */
  hasRecordOf(voucherIdHex: string, voucherSeq: number, transferIdHex: string): boolean {
    return this.statements.hasRecordOf.get(voucherIdHex, voucherSeq, transferIdHex) !== undefined
  }

  /** The final refusal (decide.ts FINAL_REFUSALS) the hub signed into an ack before for this transfer id, if any. */
  finalRefusal(transferIdHex: string): Reason | undefined {
    return this.statements.finalRefusal.get({ transferId: transferIdHex })?.reason
  }

  /**
   * The final refusal an online request for this transfer id gets again: the one signed into an ack, else the one
   * signed into an online answer before.
   */
  refusalForOnline(transferIdHex: string): Reason | undefined {
    return this.statements.refusalForOnline.get({ transferId: transferIdHex })?.reason ?? undefined
  }

  /** The final refusals among these transfer ids, by id. */
  finalRefusals(transferIdsHex: readonly string[]): Map<string, Reason> {
    const refusals = new Map<string, Reason>()
    // An ack's refusal first, as for one id.
    for (const row of this.statements.finalRefusals.all({ transferIds: JSON.stringify(transferIdsHex) })) {
      if (!refusals.has(row.transfer_id)) refusals.set(row.transfer_id, row.reason)
    }
    return refusals
  }

  /** The records the hub holds of the chain from `fromSeq` to `toSeq`, by sequence number. */
  storedRecordsBetween(of: NumberedChain, fromSeq: number, toSeq: number): Map<number, StoredRecord> {
    const rows = this.statements.recordsBetween.all(of.eui, of.chain, fromSeq, toSeq)
    return new Map(rows.map(row => [row.gateway_seq, {
      gatewaySeq: row.gateway_seq, recordHash: new Uint8Array(row.record_hash), outcome: row.outcome, reason: row.reason,
    }]))
  }

  /** The customer-signed authorization that settled a transfer: one half of a double spend's proof. */
  evidenceOf(voucherIdHex: string, voucherSeq: number, transferIdHex: string): Uint8Array | undefined {
    const row = this.statements.recordByTransfer.get({ voucherId: voucherIdHex, voucherSeq, transferId: transferIdHex })
    if (row === undefined) return undefined
    const bytes = new Uint8Array(row.record)
    return row.source === 'online' ? bytes : authorizationCodec.encode(transferRecordCodec.decode(bytes).authorization)
  }

  /** Writes the batch's outcome in one transaction; returns the ids of the double spends it flagged anew, in order. */
  write(change: IngestWrite): Array<{ readonly flagId: number; readonly voucherIdHex: string }> {
    const s = this.statements
    return this.db.transaction(() => {
      for (const record of change.records) {
        s.insertRecord.run(record.eui, record.chain, record.gatewaySeq, record.recordHash, record.transferIdHex, record.voucherIdHex,
          record.voucherSeq, record.cumulativeMinor, record.amountMinor, record.currency, record.mode, record.timeMs, record.record,
          record.outcome, record.reason, change.nowMs)
        if (record.outcome === 'rejected' && isFinalRefusal(record.reason as Reason)) {
          s.insertFinalRefusal.run(record.transferIdHex, record.reason, change.eui, change.nowMs)
        }
      }
      if (change.gap !== null) s.insertGap.run(change.eui, change.chain, change.gap.fromSeq, change.gap.toSeq, change.nowMs)
      s.resolveGaps.run(change.nowMs, change.eui, change.chain, change.position.contiguousSeq)
      for (const fork of change.forks) {
        s.insertFork.run(change.eui, change.chain, fork.gatewaySeq, fork.knownHash, fork.otherRecord, change.nowMs)
      }
      const flagged: Array<{ flagId: number; voucherIdHex: string }> = []
      for (const doubleSpend of change.doubleSpends) {
        const inserted = s.insertDoubleSpend.run({ ...doubleSpend, nowMs: change.nowMs })
        if (inserted.changes === 1) flagged.push({ flagId: Number(inserted.lastInsertRowid), voucherIdHex: doubleSpend.voucherIdHex })
      }
      s.upsertChain.run({
        eui: change.eui, chain: change.chain, gatewayId: change.gatewayId, publicKey: change.publicKey, ...change.position,
        head: change.head, nowMs: change.nowMs,
      })
      return flagged
    })()
  }

  /**
   * Keeps the proof of a double spend found outside a batch (a conflicting online request), once per pair: the id
   * of its new flag, or null when the same one was kept already.
   */
  recordDoubleSpend(doubleSpend: DoubleSpendRow, now_ms: number): number | null {
    const inserted = this.statements.insertDoubleSpend.run({ ...doubleSpend, nowMs: now_ms })
    return inserted.changes === 1 ? Number(inserted.lastInsertRowid) : null
  }

  /**
   * Keeps a final refusal signed into an online answer, before the answer goes out: it answers a later online copy,
   * and binds no record (the gateway that made one offline never heard it).
   */
  recordOnlineRefusal(transferIdHex: string, reason: Reason, eui: string, now_ms: number): void {
    this.statements.insertOnlineRefusal.run(transferIdHex, reason, eui, now_ms)
  }

  /** The online approval of this payment, if the hub made one. */
  onlinePayment(transferIdHex: string): { eui: string; voucherIdHex: string; voucherSeq: number } | undefined {
    const row = this.statements.onlinePayment.get(transferIdHex)
    return row === undefined ? undefined : { eui: row.eui, voucherIdHex: row.voucher_id, voucherSeq: row.voucher_seq }
  }

  /** The void of this online request, if its gateway voided it: what went back to the customer. */
  voidOf(transferIdHex: string): { eui: string; reversedMinor: number } | undefined {
    const row = this.statements.voidOf.get(transferIdHex)
    return row === undefined ? undefined : { eui: row.eui, reversedMinor: row.reversed_minor }
  }

  recordVoid(entry: { transferIdHex: string; eui: string; reversedMinor: number; reversalTransferId: string | null; nowMs: number }): void {
    this.statements.insertVoid.run(entry.transferIdHex, entry.eui, entry.reversedMinor, entry.reversalTransferId, entry.nowMs)
  }

  recordOnlinePayment(payment: {
    transferIdHex: string; eui: string; voucherIdHex: string; voucherSeq: number; cumulativeMinor: number
    amountMinor: number; authorization: Uint8Array; nowMs: number
  }): void {
    this.statements.insertOnline.run(payment)
  }

  /** Moves the contiguous position forward over records that arrived after a gap that is now filled. */
  advanceContiguous(of: NumberedChain, chain: ChainState): ChainState {
    let { contiguousSeq, contiguousHash } = chain
    const rows = this.statements.seqsAfter.all(of.eui, of.chain, contiguousSeq, 100_000)
    for (const row of rows) {
      if (row.gateway_seq !== contiguousSeq + 1) break
      contiguousSeq = row.gateway_seq
      contiguousHash = new Uint8Array(row.record_hash)
    }
    return { contiguousSeq, contiguousHash, highestSeq: chain.highestSeq }
  }

  /** Keeps the raw bytes of a batch refused as a whole, for audit; bounded to the newest ones. */
  keepRejectedBatch(eui: string | null, reason: string, payload: Uint8Array, now_ms: number, keep_max: number): void {
    this.db.transaction(() => {
      this.statements.insertRejectedBatch.run(eui, reason, payload.subarray(0, 1 << 20), now_ms)
      this.statements.pruneRejectedBatches.run(keep_max)
    })()
  }
}
