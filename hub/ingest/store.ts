// The ingest's reads and writes on SqlEngine (SQLite or PostgreSQL, one implementation): received records, chain
// positions, gaps, forks, the payments known under each voucher, double spends, and the refusals signed before.
//
// A batch's outcome is written by `write`, inside the ledger's settlement transaction (its `sql`), so what the hub
// decided and what it settled commit together. Several hubs may decide copies of one batch at once, each over what it
// read before its transaction: the database decides which one's decision stands. The chain's row moves only from the
// position the decision read (a conditional UPDATE), a record's sequence number is taken once (gateway_records' unique
// key, ON CONFLICT DO NOTHING), and on PostgreSQL the payments it settles are checked again, under the ledger's locks,
// against those known under their vouchers now, and its final refusals read again. Anything changed means another hub
// got there first: `write` throws StaleDecisionError, the whole transaction rolls back, and the ingest decides again
// over what is now stored (batch.ts), where a copy that lost the race answers as a duplicate would.

import { assert, CodedError } from '../../protocol/errors'
import { authorizationCodec } from '../../protocol/messages/authorization'
import { transferRecordCodec } from '../../protocol/messages/transfer-record'
import { Reason } from '../../protocol/reasons'
import type { SqlDialect, SqlEngine, SqlQuery, SqlValue } from '../store/sql'
import { findDoubleSpend, isFinalRefusal, type KnownPayment, type VoucherState } from './decide'

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
type ChainLifecycle = 'open' | 'closing' | 'closed'

/** A chain as stored: where the hub holds it, and whether it still takes batches. */
export type HeldChain = ChainState & { readonly state: ChainLifecycle }

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

/** A payment the decision settles under its voucher (the ledger holds the voucher's hold locked while it writes). */
export interface PaymentSettled extends KnownPayment {
  readonly voucherIdHex: string
  /** Settled as a double spend already: another conflict changes nothing of its outcome. */
  readonly flagged: boolean
}

/** What the decision of a batch read, which must still hold when its outcome is written. */
export interface DecisionReads {
  /** The chain as read; undefined when it had no row. */
  readonly chain: HeldChain | undefined
  /** The payments the ledger settles in this transaction, each decided over the payments known under its voucher then. */
  readonly settled: readonly PaymentSettled[]
  /** The batch's transfer ids, and the final refusal of each that had one. */
  readonly transferIdsHex: readonly string[]
  readonly finalRefusals: ReadonlyMap<string, Reason>
}

export interface IngestWrite {
  eui: string
  chain: number
  /** The gateway and key that sign the chain, kept with it when this batch is its first. */
  gatewayId: string
  publicKey: Uint8Array
  records: RecordRow[]
  /** Where the hub holds the chain once the batch's records are stored (before the records stored past a gap). */
  position: ChainState
  head: Uint8Array
  gap: { fromSeq: number; toSeq: number } | null
  forks: Array<{ gatewaySeq: number; knownHash: Uint8Array; otherRecord: Uint8Array }>
  doubleSpends: DoubleSpendRow[]
  nowMs: number
  read: DecisionReads
}

/**
 * What a decision read changed before its outcome was written: another hub wrote the same chain, or a payment under
 * the same voucher, first. Nothing of the transaction stays; the ingest decides again over what is stored now.
 */
export class StaleDecisionError extends CodedError<'STALE_DECISION'> {
  override readonly name = 'StaleDecisionError'

  constructor(message: string) {
    super('STALE_DECISION', message)
  }
}

type KnownRow = {
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
/** The first record past the contiguous position read at once, at most (a gap filled moves the position over them). */
const SEQS_AFTER_MAX = 100_000

const SQL = {
  record: 'SELECT record_hash, outcome, reason FROM gateway_records WHERE eui = ? AND chain = ? AND gateway_seq = ?',
  recordsBetween: `SELECT gateway_seq, record_hash, outcome, reason FROM gateway_records
    WHERE eui = ? AND chain = ? AND gateway_seq BETWEEN ? AND ?`,
  chain: 'SELECT contiguous_seq, contiguous_hash, highest_seq, state FROM gateway_chains WHERE eui = ? AND chain = ?',
  // The keys of the EUI's chains that no longer take batches, newest first: a batch one of them signed is told so.
  closedChainKeys: `SELECT chain, public_key FROM gateway_chains WHERE eui = ? AND state <> 'open' AND public_key IS NOT NULL
    ORDER BY chain DESC LIMIT ?`,
  // A payment its gateway voided (void.ts) is refused OnlineRequestVoided, whatever copy comes later.
  finalRefusal: `SELECT reason FROM final_refusals WHERE transfer_id = ?
    UNION ALL SELECT ${Reason.OnlineRequestVoided} FROM online_voids WHERE transfer_id = ? LIMIT 1`,
  // An ack's refusal first: a record refused for good was answered so, online too.
  refusalForOnline: `SELECT COALESCE((SELECT reason FROM final_refusals WHERE transfer_id = ?),
    (SELECT reason FROM online_refusals WHERE transfer_id = ?)) AS reason`,
  // The first final refusal of an id is its answer; a copy is refused with the same reason anyway.
  insertFinalRefusal: `INSERT INTO final_refusals (transfer_id, reason, eui, refused_at_ms) VALUES (?, ?, ?, ?)
    ON CONFLICT (transfer_id) DO NOTHING`,
  insertOnlineRefusal: `INSERT INTO online_refusals (transfer_id, reason, eui, refused_at_ms) VALUES (?, ?, ?, ?)
    ON CONFLICT (transfer_id) DO NOTHING`,
  onlinePayment: 'SELECT eui, voucher_id, voucher_seq, amount_minor FROM online_payments WHERE transfer_id = ?',
  voidOf: 'SELECT eui, reversed_minor FROM online_voids WHERE transfer_id = ?',
  // One void per transfer id: a second hub's copy of the void inserts nothing and answers with the first.
  insertVoid: `INSERT INTO online_voids (transfer_id, eui, reversed_minor, reversal_transfer_id, voided_at_ms) VALUES (?, ?, ?, ?, ?)
    ON CONFLICT (transfer_id) DO NOTHING`,
  voucher: `SELECT voucher_id, device_public_key, currency, limit_minor, issued_at_ms, expires_at_ms, revoked_at_ms
    FROM vouchers WHERE voucher_id = ?`,
  // The payments under a voucher at seqs from one to another, from records and online approvals (a payment approved
  // online and then carried by a record is one row).
  knownBetween: `SELECT voucher_seq, cumulative_minor, amount_minor, transfer_id FROM gateway_records
      WHERE voucher_id = ? AND voucher_seq BETWEEN ? AND ? AND ${COUNTED}
    UNION
    SELECT voucher_seq, cumulative_minor, amount_minor, transfer_id FROM online_payments WHERE voucher_id = ? AND voucher_seq BETWEEN ? AND ?`,
  // The nearest seqs below and above a range that hold a payment, from records and online approvals: each walks the
  // (voucher_id, voucher_seq) index from the range's edge and stops at the first row that counts.
  seqsAround: `SELECT
    (SELECT voucher_seq FROM gateway_records WHERE voucher_id = ? AND voucher_seq < ? AND ${COUNTED} ORDER BY voucher_seq DESC LIMIT 1) AS record_below,
    (SELECT voucher_seq FROM online_payments WHERE voucher_id = ? AND voucher_seq < ? ORDER BY voucher_seq DESC LIMIT 1) AS online_below,
    (SELECT voucher_seq FROM gateway_records WHERE voucher_id = ? AND voucher_seq > ? AND ${COUNTED} ORDER BY voucher_seq LIMIT 1) AS record_above,
    (SELECT voucher_seq FROM online_payments WHERE voucher_id = ? AND voucher_seq > ? ORDER BY voucher_seq LIMIT 1) AS online_above`,
  // The payment with the highest seq under a voucher, from records and from online approvals: each walks its
  // (voucher_id, voucher_seq) index backwards and stops at the first row that counts.
  highestRecord: `SELECT voucher_seq, cumulative_minor, amount_minor, transfer_id FROM gateway_records
    WHERE voucher_id = ? AND ${COUNTED} ORDER BY voucher_seq DESC LIMIT 1`,
  highestOnline: `SELECT voucher_seq, cumulative_minor, amount_minor, transfer_id FROM online_payments
    WHERE voucher_id = ? ORDER BY voucher_seq DESC LIMIT 1`,
  // Found under its voucher and seq: no index by transfer id costs every insert for these rare reads.
  recordByTransfer: `SELECT record, 'record' AS source FROM gateway_records
    WHERE voucher_id = ? AND voucher_seq = ? AND transfer_id = ? AND ${COUNTED}
    UNION ALL SELECT "authorization" AS record, 'online' AS source FROM online_payments WHERE transfer_id = ?
    LIMIT 1`,
  hasRecordOf: `SELECT 1 AS found FROM gateway_records WHERE voucher_id = ? AND voucher_seq = ? AND transfer_id = ? AND ${COUNTED}
    LIMIT 1`,
  // Provisioning opens the chain; a gateway provisioned before chains were opened there gets it with its first batch.
  insertChain: `INSERT INTO gateway_chains (eui, chain, gateway_id, public_key, state, contiguous_seq, contiguous_hash, highest_seq,
      head, opened_at_ms, updated_at_ms)
    VALUES (?, ?, ?, ?, 'open', ?, ?, ?, ?, ?, ?)
    ON CONFLICT (eui, chain) DO NOTHING`,
  // The chain moves only from the position the decision read, and only while it is open.
  moveChain: `UPDATE gateway_chains SET contiguous_seq = ?, contiguous_hash = ?, highest_seq = ?, head = ?, updated_at_ms = ?
    WHERE eui = ? AND chain = ? AND state = 'open' AND contiguous_seq = ? AND highest_seq = ?
      AND contiguous_seq <= ? AND highest_seq <= ?`,
  insertGap: 'INSERT INTO chain_gaps (eui, chain, from_seq, to_seq, detected_at_ms) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING',
  resolveGaps: 'UPDATE chain_gaps SET resolved_at_ms = ? WHERE eui = ? AND chain = ? AND resolved_at_ms IS NULL AND to_seq <= ?',
  insertFork: `INSERT INTO chain_forks (eui, chain, gateway_seq, known_hash, other_record, detected_at_ms) VALUES (?, ?, ?, ?, ?, ?)
    ON CONFLICT DO NOTHING`,
  // Flagged once per pair, whichever hub finds it first: the pair's unique key decides.
  insertDoubleSpend: `INSERT INTO double_spends (voucher_id, kind, first_transfer_id, second_transfer_id, first_authorization,
      second_authorization, detected_at_ms)
    VALUES (?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT DO NOTHING RETURNING id`,
  seqsAfter: `SELECT gateway_seq, record_hash FROM gateway_records WHERE eui = ? AND chain = ? AND gateway_seq > ?
    ORDER BY gateway_seq LIMIT ?`,
  insertOnline: `INSERT INTO online_payments (transfer_id, eui, voucher_id, voucher_seq, cumulative_minor, amount_minor,
      "authorization", approved_at_ms)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT (transfer_id) DO NOTHING`,
  insertRejectedBatch: 'INSERT INTO rejected_batches (eui, reason, payload, received_at_ms) VALUES (?, ?, ?, ?)',
  pruneRejectedBatches: 'DELETE FROM rejected_batches WHERE id <= (SELECT MAX(id) FROM rejected_batches) - ?',
} as const

/** Records inserted by one statement at most: a batch's records go in a few statements, not one each. */
const RECORDS_PER_INSERT_MAX = 32
const RECORD_PLACEHOLDERS = `(${new Array(16).fill('?').join(', ')})`
// One text per number of rows (1 to RECORDS_PER_INSERT_MAX), made once each.
const insertRecordsTexts = new Map<number, string>()

/**
 * `count` records in one statement. A sequence number is taken once: a copy another hub stored first inserts nothing,
 * and the statement's count of changes says so (the decision is stale).
 */
function insertRecordsSql(count: number): string {
  let text = insertRecordsTexts.get(count)
  if (text === undefined) {
    text = `INSERT INTO gateway_records (eui, chain, gateway_seq, record_hash, transfer_id, voucher_id, voucher_seq,
      cumulative_minor, amount_minor, currency, mode, time_ms, record, outcome, reason, received_at_ms)
    VALUES ${new Array(count).fill(RECORD_PLACEHOLDERS).join(', ')}
    ON CONFLICT (eui, chain, gateway_seq) DO NOTHING`
    insertRecordsTexts.set(count, text)
  }
  return text
}

/** A batch's ids at once, as a JSON array: one statement for the batch instead of one per record. */
function finalRefusalsSql(dialect: SqlDialect): string {
  const ids = dialect === 'sqlite' ? 'SELECT value FROM json_each(?)' : 'SELECT json_array_elements_text(CAST(? AS json))'
  return `SELECT transfer_id, reason FROM final_refusals WHERE transfer_id IN (${ids})
    UNION ALL SELECT transfer_id, ${Reason.OnlineRequestVoided} FROM online_voids WHERE transfer_id IN (${ids})`
}

export class IngestStore {
  private readonly finalRefusalsSql: string
  /**
   * Whether other hubs write the same tables (PostgreSQL): then the decision is checked again under the ledger's locks
   * against the payments known under its vouchers and the final refusals, before its outcome is written. On SQLite one hub decides one batch at a
   * time (the ingest's queue), so nothing it read ahead can change before it writes.
   */
  private readonly shared: boolean

  constructor(private readonly engine: SqlEngine) {
    this.finalRefusalsSql = finalRefusalsSql(engine.dialect)
    this.shared = engine.dialect === 'postgres'
  }

  async storedRecord(of: NumberedChain, gatewaySeq: number): Promise<StoredRecord | undefined> {
    const row = await this.engine.get<{ record_hash: Buffer; outcome: RecordOutcome; reason: number }>(
      SQL.record, [of.eui, of.chain, gatewaySeq])
    if (row === undefined) return undefined
    return { gatewaySeq, recordHash: new Uint8Array(row.record_hash), outcome: row.outcome, reason: row.reason }
  }

  /** Where the hub holds the chain, and whether it still takes batches; undefined before it is opened. */
  chain(of: NumberedChain): Promise<HeldChain | undefined> {
    return readChain(this.engine, of)
  }

  /** The keys that signed the EUI's chains that no longer take batches, the newest `limit` chains first. */
  async closedChainKeys(eui: string, limit: number): Promise<Array<{ readonly chain: number; readonly publicKey: Uint8Array }>> {
    const rows = await this.engine.all<{ chain: number; public_key: Buffer }>(SQL.closedChainKeys, [eui, limit])
    return rows.map(row => ({ chain: row.chain, publicKey: new Uint8Array(row.public_key) }))
  }

  async voucher(voucherIdHex: string): Promise<VoucherState | undefined> {
    const row = await this.engine.get<{
      voucher_id: string; device_public_key: Buffer; currency: string; limit_minor: number; issued_at_ms: number
      expires_at_ms: number; revoked_at_ms: number | null
    }>(SQL.voucher, [voucherIdHex])
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

  /**
   * The payments known under the voucher that deciding a payment at any seq from `fromSeq` to `toSeq` must see
   * (decide.ts findDoubleSpend, and whether it is one of them): every one at those seqs, and every one at the nearest
   * seq below and at the nearest seq above that hold any. Read through the voucher's index, not its whole history.
   */
  knownPaymentsAround(voucherIdHex: string, fromSeq: number, toSeq: number): Promise<KnownPayment[]> {
    return readKnownPaymentsAround(this.engine, voucherIdHex, fromSeq, toSeq)
  }

  /** The known payment with the highest seq under the voucher, without reading its history. */
  highestKnownPayment(voucherIdHex: string): Promise<KnownPayment | undefined> {
    return readHighestKnownPayment(this.engine, voucherIdHex)
  }

  /** True when a gateway's record (not only an online approval) carried this payment. */
  async hasRecordOf(voucherIdHex: string, voucherSeq: number, transferIdHex: string): Promise<boolean> {
    return (await this.engine.get(SQL.hasRecordOf, [voucherIdHex, voucherSeq, transferIdHex])) !== undefined
  }

  /** The final refusal (decide.ts FINAL_REFUSALS) the hub signed into an ack before for this transfer id, if any. */
  async finalRefusal(transferIdHex: string): Promise<Reason | undefined> {
    return (await this.engine.get<{ reason: Reason }>(SQL.finalRefusal, [transferIdHex, transferIdHex]))?.reason
  }

  /**
   * The final refusal an online request for this transfer id gets again: the one signed into an ack, else the one
   * signed into an online answer before.
   */
  async refusalForOnline(transferIdHex: string): Promise<Reason | undefined> {
    return (await this.engine.get<{ reason: Reason | null }>(SQL.refusalForOnline, [transferIdHex, transferIdHex]))?.reason ?? undefined
  }

  /** The final refusals among these transfer ids, by id. */
  finalRefusals(transferIdsHex: readonly string[]): Promise<Map<string, Reason>> {
    return this.readFinalRefusals(this.engine, transferIdsHex)
  }

  /** The records the hub holds of the chain from `fromSeq` to `toSeq`, by sequence number. */
  async storedRecordsBetween(of: NumberedChain, fromSeq: number, toSeq: number): Promise<Map<number, StoredRecord>> {
    const rows = await this.engine.all<{ gateway_seq: number; record_hash: Buffer; outcome: RecordOutcome; reason: number }>(
      SQL.recordsBetween, [of.eui, of.chain, fromSeq, toSeq])
    return new Map(rows.map(row => [row.gateway_seq, {
      gatewaySeq: row.gateway_seq, recordHash: new Uint8Array(row.record_hash), outcome: row.outcome, reason: row.reason,
    }]))
  }

  /** The customer-signed authorization that settled a transfer: one half of a double spend's proof. */
  async evidenceOf(voucherIdHex: string, voucherSeq: number, transferIdHex: string): Promise<Uint8Array | undefined> {
    const row = await this.engine.get<{ record: Buffer; source: 'record' | 'online' }>(
      SQL.recordByTransfer, [voucherIdHex, voucherSeq, transferIdHex, transferIdHex])
    if (row === undefined) return undefined
    const bytes = new Uint8Array(row.record)
    return row.source === 'online' ? bytes : authorizationCodec.encode(transferRecordCodec.decode(bytes).authorization)
  }

  /**
   * Writes the batch's outcome with the statements of the ledger's transaction (`sql`); returns the ids of the double
   * spends it flagged anew, in order. Throws StaleDecisionError when what the decision read has changed since.
   */
  async write(sql: SqlQuery, change: IngestWrite): Promise<Array<{ readonly flagId: number; readonly voucherIdHex: string }>> {
    const of = { eui: change.eui, chain: change.chain }
    // First the chain's row: every hub writing this chain passes it, one at a time, each from where the last left it.
    const position = await this.moveChain(sql, change)
    if (this.shared) await this.checkDecision(sql, change.read)
    for (let from = 0; from < change.records.length; from += RECORDS_PER_INSERT_MAX) {
      const records = change.records.slice(from, from + RECORDS_PER_INSERT_MAX)
      const values: SqlValue[] = []
      for (const record of records) {
        values.push(record.eui, record.chain, record.gatewaySeq, record.recordHash, record.transferIdHex, record.voucherIdHex,
          record.voucherSeq, record.cumulativeMinor, record.amountMinor, record.currency, record.mode, record.timeMs, record.record,
          record.outcome, record.reason, change.nowMs)
      }
      const inserted = await sql.run(insertRecordsSql(records.length), values)
      if (inserted.changes !== records.length) {
        const [first, last] = [records[0]!.gatewaySeq, records.at(-1)!.gatewaySeq]
        throw new StaleDecisionError(`records ${first} to ${last} of ${change.eui} were stored meanwhile`)
      }
    }
    for (const record of change.records) {
      if (record.outcome === 'rejected' && isFinalRefusal(record.reason as Reason)) {
        await sql.run(SQL.insertFinalRefusal, [record.transferIdHex, record.reason, change.eui, change.nowMs])
      }
    }
    // Records stored past a gap before, now joined to the contiguous chain.
    const advanced = await advanceContiguous(sql, of, position)
    if (advanced.contiguousSeq !== position.contiguousSeq) {
      await sql.run('UPDATE gateway_chains SET contiguous_seq = ?, contiguous_hash = ? WHERE eui = ? AND chain = ?',
        [advanced.contiguousSeq, advanced.contiguousHash, change.eui, change.chain])
    }
    if (change.gap !== null) {
      await sql.run(SQL.insertGap, [change.eui, change.chain, change.gap.fromSeq, change.gap.toSeq, change.nowMs])
    }
    await sql.run(SQL.resolveGaps, [change.nowMs, change.eui, change.chain, advanced.contiguousSeq])
    for (const fork of change.forks) {
      await sql.run(SQL.insertFork, [change.eui, change.chain, fork.gatewaySeq, fork.knownHash, fork.otherRecord, change.nowMs])
    }
    const flagged: Array<{ flagId: number; voucherIdHex: string }> = []
    for (const doubleSpend of change.doubleSpends) {
      const flagId = await insertDoubleSpend(sql, doubleSpend, change.nowMs)
      if (flagId !== null) flagged.push({ flagId, voucherIdHex: doubleSpend.voucherIdHex })
    }
    return flagged
  }

  /**
   * Keeps the proof of a double spend found outside a batch (a conflicting online request), once per pair: the id
   * of its new flag, or null when the same one was kept already.
   */
  recordDoubleSpend(doubleSpend: DoubleSpendRow, now_ms: number): Promise<number | null> {
    return insertDoubleSpend(this.engine, doubleSpend, now_ms)
  }

  /**
   * Keeps a final refusal signed into an online answer, before the answer goes out: it answers a later online copy,
   * and binds no record (the gateway that made one offline never heard it).
   */
  async recordOnlineRefusal(transferIdHex: string, reason: Reason, eui: string, now_ms: number): Promise<void> {
    await this.engine.run(SQL.insertOnlineRefusal, [transferIdHex, reason, eui, now_ms])
  }

  /** The online approval of this payment, if the hub made one. */
  async onlinePayment(transferIdHex: string): Promise<{ eui: string; voucherIdHex: string; voucherSeq: number } | undefined> {
    const row = await this.engine.get<{ eui: string; voucher_id: string; voucher_seq: number }>(SQL.onlinePayment, [transferIdHex])
    return row === undefined ? undefined : { eui: row.eui, voucherIdHex: row.voucher_id, voucherSeq: row.voucher_seq }
  }

  /** The void of this online request, if its gateway voided it: what went back to the customer. */
  async voidOf(transferIdHex: string): Promise<{ eui: string; reversedMinor: number } | undefined> {
    const row = await this.engine.get<{ eui: string; reversed_minor: number }>(SQL.voidOf, [transferIdHex])
    return row === undefined ? undefined : { eui: row.eui, reversedMinor: row.reversed_minor }
  }

  /** Records the void, once per transfer id: false when one was recorded already (by another hub), which stands. */
  async recordVoid(entry: {
    transferIdHex: string; eui: string; reversedMinor: number; reversalTransferId: string | null; nowMs: number
  }): Promise<boolean> {
    const inserted = await this.engine.run(SQL.insertVoid,
      [entry.transferIdHex, entry.eui, entry.reversedMinor, entry.reversalTransferId, entry.nowMs])
    return inserted.changes === 1
  }

  /** Records an online approval with the statements of the ledger's transaction that settled it (`sql`). */
  async recordOnlinePayment(sql: SqlQuery, payment: {
    transferIdHex: string; eui: string; voucherIdHex: string; voucherSeq: number; cumulativeMinor: number
    amountMinor: number; authorization: Uint8Array; nowMs: number
  }): Promise<void> {
    await sql.run(SQL.insertOnline, [payment.transferIdHex, payment.eui, payment.voucherIdHex, payment.voucherSeq,
      payment.cumulativeMinor, payment.amountMinor, payment.authorization, payment.nowMs])
  }

  /** Keeps the raw bytes of a batch refused as a whole, for audit; bounded to the newest ones. */
  async keepRejectedBatch(eui: string | null, reason: string, payload: Uint8Array, now_ms: number, keep_max: number): Promise<void> {
    await this.engine.write(async (sql) => {
      await sql.run(SQL.insertRejectedBatch, [eui, reason, payload.subarray(0, 1 << 20), now_ms])
      await sql.run(SQL.pruneRejectedBatches, [keep_max])
    })
  }

  private async readFinalRefusals(sql: SqlQuery, transferIdsHex: readonly string[]): Promise<Map<string, Reason>> {
    const refusals = new Map<string, Reason>()
    if (transferIdsHex.length === 0) return refusals
    const ids = JSON.stringify(transferIdsHex)
    // An ack's refusal first, as for one id.
    for (const row of await sql.all<{ transfer_id: string; reason: Reason }>(this.finalRefusalsSql, [ids, ids])) {
      if (!refusals.has(row.transfer_id)) refusals.set(row.transfer_id, row.reason)
    }
    return refusals
  }

  /** Moves the chain from the position the decision read to the batch's; StaleDecisionError if it is not there now. */
  private async moveChain(sql: SqlQuery, change: IngestWrite): Promise<ChainState> {
    const { position, read } = change
    const values = [position.contiguousSeq, position.contiguousHash, position.highestSeq, change.head] as const
    if (read.chain === undefined) {
      const inserted = await sql.run(SQL.insertChain, [change.eui, change.chain, change.gatewayId, change.publicKey, ...values,
        change.nowMs, change.nowMs])
      if (inserted.changes !== 1) throw new StaleDecisionError(`chain ${change.chain} of ${change.eui} was opened meanwhile`)
      return position
    }
    // Never backwards: a position behind the one read is a broken decision, not a race.
    const moved = await sql.run(SQL.moveChain, [...values, change.nowMs, change.eui, change.chain, read.chain.contiguousSeq,
      read.chain.highestSeq, position.contiguousSeq, position.highestSeq])
    if (moved.changes !== 1) throw new StaleDecisionError(`chain ${change.chain} of ${change.eui} moved or closed meanwhile`)
    return position
  }

  /**
   * Under the locks the ledger holds on the vouchers' holds, the decision still stands against every payment known
   * under them now: none of its payments was stored meanwhile (by another copy, elsewhere), and none it settles as an
   * honest payment conflicts with one stored since (a double spend two hubs decided at once, each before the other
   * committed: the one that commits second finds it). And the batch's final refusals are still those it read.
   * Another hub settling under the same voucher commits before this transaction reads, or waits for it to end.
   */
  private async checkDecision(sql: SqlQuery, read: DecisionReads): Promise<void> {
    await this.checkSettled(sql, read.settled)
    const refusals = await this.readFinalRefusals(sql, read.transferIdsHex)
    for (const [transferIdHex, reason] of refusals) {
      if (read.finalRefusals.get(transferIdHex) !== reason) {
        throw new StaleDecisionError(`payment ${transferIdHex} was refused for good meanwhile`)
      }
    }
  }

  /**
   * Where other hubs write (PostgreSQL), in the ledger's transaction that settles `settled` and holds their vouchers'
   * holds locked: throws StaleDecisionError when one of them was stored meanwhile, or conflicts with a payment stored
   * since it was decided (see checkDecision). On SQLite nothing can change between a decision and its write.
   */
  async checkSettled(sql: SqlQuery, settled: readonly PaymentSettled[]): Promise<void> {
    if (!this.shared) return
    // Under each voucher, what is known around the seqs of the payments settled under it.
    const ranges = seqRangesOf(settled)
    const known = new Map<string, KnownPayment[]>()
    for (const payment of settled) {
      let now = known.get(payment.voucherIdHex)
      if (now === undefined) {
        const { fromSeq, toSeq } = ranges.get(payment.voucherIdHex)!
        now = await readKnownPaymentsAround(sql, payment.voucherIdHex, fromSeq, toSeq)
        known.set(payment.voucherIdHex, now)
      }
      if (now.some(other => other.transferIdHex === payment.transferIdHex)
        || (!payment.flagged && findDoubleSpend(payment, now) !== null)) {
        throw new StaleDecisionError(`a payment under voucher ${payment.voucherIdHex} was stored meanwhile`)
      }
    }
  }
}

async function readChain(sql: SqlQuery, of: NumberedChain): Promise<HeldChain | undefined> {
  const row = await sql.get<{ contiguous_seq: number; contiguous_hash: Buffer; highest_seq: number; state: ChainLifecycle }>(
    SQL.chain, [of.eui, of.chain])
  if (row === undefined) return undefined
  return {
    contiguousSeq: row.contiguous_seq, contiguousHash: new Uint8Array(row.contiguous_hash), highestSeq: row.highest_seq, state: row.state,
  }
}

/** A range of a voucher's seqs, both ends included. */
export interface SeqRange {
  readonly fromSeq: number
  readonly toSeq: number
}

/** Under each voucher, the lowest and the highest seq of the payments given. */
export function seqRangesOf(payments: Iterable<{ readonly voucherIdHex: string; readonly seq: number }>): Map<string, SeqRange> {
  const ranges = new Map<string, SeqRange>()
  for (const { voucherIdHex, seq } of payments) {
    const range = ranges.get(voucherIdHex)
    ranges.set(voucherIdHex, { fromSeq: Math.min(seq, range?.fromSeq ?? seq), toSeq: Math.max(seq, range?.toSeq ?? seq) })
  }
  return ranges
}

async function readKnownPaymentsAround(sql: SqlQuery, voucherIdHex: string, fromSeq: number, toSeq: number): Promise<KnownPayment[]> {
  assert(Number.isSafeInteger(fromSeq) && Number.isSafeInteger(toSeq) && fromSeq <= toSeq, 'a range of seqs runs upwards')
  const around = await sql.get<{ record_below: number | null; online_below: number | null; record_above: number | null; online_above: number | null }>(
    SQL.seqsAround, [voucherIdHex, fromSeq, voucherIdHex, fromSeq, voucherIdHex, toSeq, voucherIdHex, toSeq])
  const below = [around?.record_below, around?.online_below].filter(seq => seq != null).map(Number)
  const above = [around?.record_above, around?.online_above].filter(seq => seq != null).map(Number)
  const from = below.length === 0 ? fromSeq : Math.max(...below)
  const to = above.length === 0 ? toSeq : Math.min(...above)
  return (await sql.all<KnownRow>(SQL.knownBetween, [voucherIdHex, from, to, voucherIdHex, from, to])).map(knownPaymentOf)
}

async function readHighestKnownPayment(sql: SqlQuery, voucherIdHex: string): Promise<KnownPayment | undefined> {
  const record = await sql.get<KnownRow>(SQL.highestRecord, [voucherIdHex])
  const online = await sql.get<KnownRow>(SQL.highestOnline, [voucherIdHex])
  const highest = online === undefined || (record !== undefined && record.voucher_seq >= online.voucher_seq) ? record : online
  return highest === undefined ? undefined : knownPaymentOf(highest)
}

/** Moves the contiguous position forward over records that arrived after a gap that is now filled. */
async function advanceContiguous(sql: SqlQuery, of: NumberedChain, chain: ChainState): Promise<ChainState> {
  let { contiguousSeq, contiguousHash } = chain
  if (chain.highestSeq <= contiguousSeq) return chain
  const rows = await sql.all<{ gateway_seq: number; record_hash: Buffer }>(SQL.seqsAfter, [of.eui, of.chain, contiguousSeq, SEQS_AFTER_MAX])
  for (const row of rows) {
    if (row.gateway_seq !== contiguousSeq + 1) break
    contiguousSeq = row.gateway_seq
    contiguousHash = new Uint8Array(row.record_hash)
  }
  return { contiguousSeq, contiguousHash, highestSeq: chain.highestSeq }
}

async function insertDoubleSpend(sql: SqlQuery, doubleSpend: DoubleSpendRow, now_ms: number): Promise<number | null> {
  const row = await sql.get<{ id: number }>(SQL.insertDoubleSpend, [doubleSpend.voucherIdHex, doubleSpend.kind,
    doubleSpend.firstTransferIdHex, doubleSpend.secondTransferIdHex, doubleSpend.firstAuthorization,
    doubleSpend.secondAuthorization, now_ms])
  return row === undefined ? null : row.id
}
