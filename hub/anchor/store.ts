// SQLite access for anchoring: the transfers not sealed yet, sealed batches and their chain state, the
// leaves of each batch, and who may read a transfer's proof. Every write is one statement or one transaction.
//
// A batch covers a range of the transfers' integer keys (first_seq..last_seq), its leaves in key order:
// a transfer is written with nothing more, and every one is sealed, as the ranges follow one another from
// where they started (anchor_ranges_origin). Before that the hub queued each transfer and kept a row per
// leaf (anchor_queue, anchor_leaves): what a hub of then left queued is sealed that way first.

import type { SqliteDatabase } from '../store/database'
import { assert } from '../../protocol/errors'
import type { AnchorBatch, QueueState, SealedBatchFields } from './batch'
import type { BatchStatus } from './wire'

/** Most batches one page of GET /anchors lists. */
export const BATCH_PAGE_SIZE_MAX = 100

interface BatchRow {
  id: number
  root: Buffer
  leaf_count: number
  sealed_at_ms: number
  hub_signature: Buffer
  status: BatchStatus
  chain_id: number | null
  contract_address: string | null
  sender_address: string | null
  tx_hash: string | null
  tx_nonce: number | null
  sent_at_ms: number | null
  send_count: number
  block_number: number | null
  anchored_at_ms: number | null
  last_error: string | null
}

const BATCH_COLUMNS = `id, root, leaf_count, sealed_at_ms, hub_signature, status, chain_id, contract_address, sender_address,
  tx_hash, tx_nonce, sent_at_ms, send_count, block_number, anchored_at_ms, last_error`

interface QueuedTransfer {
  readonly seq: number
  readonly transferId: string
}

/**
 * The next transfers to seal, oldest first: from the queue a hub of before the ranges left (`queued`,
 * `seq` is the queue's), else the transfers past the last range (`seq` is the transfer's key).
 */
export interface UnsealedTransfers {
  readonly queued: boolean
  readonly transfers: QueuedTransfer[]
}

/** Where a chain transaction went: the chain, the Anchor contract and the account paying for it. */
export interface ChainTarget {
  readonly chainId: number
  readonly contractAddress: string
  readonly senderAddress: string
}

export interface SentTransaction {
  readonly txHash: string
  readonly txNonce: number
  readonly sentAtMs: number
}

export interface Anchoring {
  readonly txHash: string | null
  readonly blockNumber: number
  readonly anchoredAtMs: number
}

export interface LeafLocation {
  readonly batchId: number
  readonly leafIndex: number
}

export class AnchorStore {
  private readonly statements

  constructor(private readonly db: SqliteDatabase) {
    this.statements = {
      queueState: db.prepare<[], { queued_count: number; oldest_queued_at_ms: number | null }>(
        // The oldest transfer is the first queued: the queue is filled in settlement order.
        `SELECT count(*) AS queued_count, (SELECT queued_at_ms FROM anchor_queue ORDER BY seq LIMIT 1) AS oldest_queued_at_ms
         FROM anchor_queue`),
      queueHead: db.prepare<[number], { seq: number; transfer_id: string }>(
        'SELECT seq, transfer_id FROM anchor_queue ORDER BY seq LIMIT ?'),
      dequeueThrough: db.prepare<[number]>('DELETE FROM anchor_queue WHERE seq <= ?'),
      // The last range, found through anchor_batches_by_range: ranges follow one another, so it ends highest.
      nextRangeSeq: db.prepare<[], { seq: number }>(
        `SELECT coalesce((SELECT last_seq FROM anchor_batches WHERE first_seq IS NOT NULL ORDER BY first_seq DESC LIMIT 1) + 1,
           (SELECT from_seq FROM anchor_ranges_origin)) AS seq`),
      // Transfers are written in settlement order: the first unsealed is the oldest.
      rangeState: db.prepare<{ fromSeq: number }, { unsealed_count: number; oldest_at_ms: number | null }>(
        `SELECT count(*) AS unsealed_count, (SELECT created_at_ms FROM transfers WHERE seq >= @fromSeq ORDER BY seq LIMIT 1)
           AS oldest_at_ms FROM transfers WHERE seq >= @fromSeq`),
      rangeHead: db.prepare<[number, number], { seq: number; id: string }>(
        'SELECT seq, id FROM transfers WHERE seq >= ? ORDER BY seq LIMIT ?'),
      lastBatchId: db.prepare<[], { id: number | null }>('SELECT max(id) AS id FROM anchor_batches'),
      insertBatch: db.prepare<[number, Buffer, number, number, Buffer, number | null, number | null]>(
        `INSERT INTO anchor_batches (id, root, leaf_count, sealed_at_ms, hub_signature, status, first_seq, last_seq)
         VALUES (?, ?, ?, ?, ?, 'sealed', ?, ?)`),
      insertLeaf: db.prepare<[string, number, number]>(
        'INSERT INTO anchor_leaves (transfer_id, batch_id, leaf_index) VALUES (?, ?, ?)'),
      batch: db.prepare<[number], BatchRow>(`SELECT ${BATCH_COLUMNS} FROM anchor_batches WHERE id = ?`),
      page: db.prepare<[number, number], BatchRow>(
        `SELECT ${BATCH_COLUMNS} FROM anchor_batches ORDER BY id DESC LIMIT ? OFFSET ?`),
      batchCount: db.prepare<[], { total: number }>('SELECT count(*) AS total FROM anchor_batches'),
      waitingCount: db.prepare<[], { waiting: number }>(`SELECT count(*) AS waiting FROM anchor_batches WHERE status <> 'anchored'`),
      // Work for the anchorer: everything not anchored, except conflicts on the contract in use (an
      // operator's matter); a conflict on another contract gets another chance on this one.
      unanchored: db.prepare<[number, string, number], BatchRow>(
        `SELECT ${BATCH_COLUMNS} FROM anchor_batches
         WHERE status <> 'anchored' AND NOT (status = 'conflict' AND chain_id = ? AND contract_address = ?)
         ORDER BY id LIMIT ?`),
      markSent: db.prepare<[number, string, string, string, number, number, number]>(
        `UPDATE anchor_batches SET status = 'sent', chain_id = ?, contract_address = ?, sender_address = ?, tx_hash = ?,
           tx_nonce = ?, sent_at_ms = ?, send_count = send_count + 1, block_number = NULL, anchored_at_ms = NULL
         WHERE id = ? AND status <> 'anchored'`),
      markAnchored: db.prepare<[number, string, string | null, number, number, number]>(
        `UPDATE anchor_batches SET status = 'anchored', chain_id = ?, contract_address = ?, tx_hash = coalesce(?, tx_hash),
           block_number = ?, anchored_at_ms = ?, last_error = NULL
         WHERE id = ? AND status <> 'anchored'`),
      markConflict: db.prepare<[number, string, number]>(
        `UPDATE anchor_batches SET status = 'conflict', chain_id = ?, contract_address = ?, last_error = 'ROOT_CONFLICT'
         WHERE id = ? AND status <> 'anchored'`),
      recordError: db.prepare<[string, number]>(
        `UPDATE anchor_batches SET last_error = ? WHERE id = ? AND status <> 'anchored'`),
      nonceInFlightMax: db.prepare<[number, string], { nonce: number | null }>(
        `SELECT max(tx_nonce) AS nonce FROM anchor_batches WHERE status = 'sent' AND chain_id = ? AND sender_address = ?`),
      leaf: db.prepare<[string], { batch_id: number; leaf_index: number }>(
        'SELECT batch_id, leaf_index FROM anchor_leaves WHERE transfer_id = ?'),
      // The range holding the transfer: the last one starting at or before its key, if it reaches it.
      rangeLeaf: db.prepare<[string], { batch_id: number; leaf_index: number }>(
        `SELECT b.id AS batch_id, (SELECT count(*) FROM transfers WHERE seq >= b.first_seq AND seq < t.seq) AS leaf_index
         FROM transfers t JOIN anchor_batches b
           ON b.first_seq = (SELECT max(first_seq) FROM anchor_batches WHERE first_seq <= t.seq)
         WHERE t.id = ? AND t.seq <= b.last_seq`),
      batchValues: db.prepare<[number], { transfer_id: string }>(
        'SELECT transfer_id FROM anchor_leaves WHERE batch_id = ? ORDER BY leaf_index'),
      rangeValues: db.prepare<[number], { transfer_id: string }>(
        `SELECT t.id AS transfer_id FROM anchor_batches b JOIN transfers t ON t.seq BETWEEN b.first_seq AND b.last_seq
         WHERE b.id = ? ORDER BY t.seq`),
      transferExists: db.prepare<[string], { id: string }>('SELECT id FROM transfers WHERE id = ?'),
      // A party: a user one of whose accounts (wallet, or the hold behind it) the transfer posts to, or the
      // owner of the gateway that took it.
      isParty: db.prepare<[string, string, string, string], { party: number }>(
        `SELECT 1 AS party FROM transfers t JOIN postings p ON p.transfer_seq = t.seq JOIN accounts a ON a.id = p.account_id
         WHERE t.id = ? AND a.user_id = ?
         UNION ALL
         SELECT 1 FROM transfers t JOIN gateways g ON g.eui = t.gateway_eui
           -- An EUI passes from a retired gateway to a new one: the gateway that held it when the transfer was made.
           AND t.created_at_ms >= g.created_at_ms AND (g.retired_at_ms IS NULL OR t.created_at_ms <= g.retired_at_ms)
         WHERE t.id = ? AND g.owner_user_id = ?
         LIMIT 1`),
    }
  }

  /** Runs `action` in one immediate (write-locked) transaction: all of it is written, or none. */
  transaction<Result>(action: () => Result): Result {
    return this.db.transaction(action).immediate()
  }

  queueState(): QueueState {
    const queue = this.statements.queueState.get()!
    const range = this.statements.rangeState.get({ fromSeq: this.nextRangeSeq() })!
    return {
      queuedCount: queue.queued_count + range.unsealed_count,
      oldestQueuedAtMs: queue.oldest_queued_at_ms ?? range.oldest_at_ms ?? undefined,
    }
  }

  /** Sealed batches whose root is not anchored yet (sealed, sent, or in conflict on a contract). */
  waitingCount(): number {
    return this.statements.waitingCount.get()!.waiting
  }

  /** The first `limit` transfers to seal, oldest first: the old queue's while it holds any, else the next range's. */
  unsealed(limit: number): UnsealedTransfers {
    const queued = this.statements.queueHead.all(limit).map(row => ({ seq: row.seq, transferId: row.transfer_id }))
    if (queued.length > 0) return { queued: true, transfers: queued }
    const transfers = this.statements.rangeHead.all(this.nextRangeSeq(), limit).map(row => ({ seq: row.seq, transferId: row.id }))
    return { queued: false, transfers }
  }

  nextBatchId(): number {
    return (this.statements.lastBatchId.get()!.id ?? 0) + 1
  }

  /**
   * Writes a sealed batch of `unsealed` (transfer i is leaf index i): as the range of their keys, or, taken
   * from the old queue, with a leaf row each, off the queue. Call inside transaction(): the writes stand
   * or fall together.
   */
  insertSealedBatch(fields: SealedBatchFields, hubSignature: Uint8Array, unsealed: UnsealedTransfers): void {
    const { transfers } = unsealed
    assert(transfers.length === fields.count && transfers.length > 0, 'a batch holds exactly the transfers sealed into it')
    let lastSeq = 0
    for (const transfer of transfers) {
      assert(transfer.seq > lastSeq, 'transfers are sealed in the order they were written')
      lastSeq = transfer.seq
    }
    this.statements.insertBatch.run(fields.batchId, Buffer.from(fields.root), fields.count, fields.sealedAtMs,
      Buffer.from(hubSignature), unsealed.queued ? null : transfers[0]!.seq, unsealed.queued ? null : lastSeq)
    if (!unsealed.queued) return
    transfers.forEach((transfer, leafIndex) => this.statements.insertLeaf.run(transfer.transferId, fields.batchId, leafIndex))
    this.statements.dequeueThrough.run(lastSeq)
  }

  /** The key of the first transfer the next range starts at. */
  private nextRangeSeq(): number {
    return this.statements.nextRangeSeq.get()!.seq
  }

  batch(batchId: number): AnchorBatch | undefined {
    const row = this.statements.batch.get(batchId)
    return row === undefined ? undefined : batchFromRow(row)
  }

  /** Newest first. */
  batchPage(pageSize: number, offset: number): { batches: AnchorBatch[]; total: number } {
    assert(pageSize >= 1 && pageSize <= BATCH_PAGE_SIZE_MAX, `a page holds 1..${BATCH_PAGE_SIZE_MAX} batches`)
    return {
      batches: this.statements.page.all(pageSize, offset).map(batchFromRow),
      total: this.statements.batchCount.get()!.total,
    }
  }

  /** Batches still to anchor on `target`, oldest first, at most `limit`. */
  unanchored(target: { chainId: number; contractAddress: string }, limit: number): AnchorBatch[] {
    return this.statements.unanchored.all(target.chainId, target.contractAddress, limit).map(batchFromRow)
  }

  /** Recorded before the transaction is broadcast, so a restart knows what may be out there. */
  markSent(batchId: number, target: ChainTarget, sent: SentTransaction): void {
    const { changes } = this.statements.markSent.run(target.chainId, target.contractAddress, target.senderAddress,
      sent.txHash, sent.txNonce, sent.sentAtMs, batchId)
    assert(changes === 1, `batch ${batchId} exists and is not anchored yet`)
  }

  markAnchored(batchId: number, target: { chainId: number; contractAddress: string }, anchoring: Anchoring): void {
    this.statements.markAnchored.run(target.chainId, target.contractAddress, anchoring.txHash, anchoring.blockNumber,
      anchoring.anchoredAtMs, batchId)
  }

  markConflict(batchId: number, target: { chainId: number; contractAddress: string }): void {
    this.statements.markConflict.run(target.chainId, target.contractAddress, batchId)
  }

  recordError(batchId: number, code: string): void {
    this.statements.recordError.run(code, batchId)
  }

  /** The highest nonce of a transaction still out from `senderAddress`, or undefined. */
  nonceInFlightMax(chainId: number, senderAddress: string): number | undefined {
    return this.statements.nonceInFlightMax.get(chainId, senderAddress)!.nonce ?? undefined
  }

  leafOf(transferId: string): LeafLocation | undefined {
    const row = this.statements.rangeLeaf.get(transferId) ?? this.statements.leaf.get(transferId)
    return row === undefined ? undefined : { batchId: row.batch_id, leafIndex: row.leaf_index }
  }

  /** The batch's transfer ids in leaf-index order: the values its tree was built from. */
  batchTransferIds(batchId: number): string[] {
    const ranged = this.statements.rangeValues.all(batchId)
    return (ranged.length > 0 ? ranged : this.statements.batchValues.all(batchId)).map(row => row.transfer_id)
  }

  transferExists(transferId: string): boolean {
    return this.statements.transferExists.get(transferId) !== undefined
  }

  isParty(transferId: string, userId: string): boolean {
    return this.statements.isParty.get(transferId, userId, transferId, userId) !== undefined
  }
}

function batchFromRow(row: BatchRow): AnchorBatch {
  return {
    batchId: row.id,
    root: new Uint8Array(row.root),
    count: row.leaf_count,
    sealedAtMs: row.sealed_at_ms,
    hubSignature: new Uint8Array(row.hub_signature),
    status: row.status,
    chainId: row.chain_id,
    contractAddress: row.contract_address,
    senderAddress: row.sender_address,
    txHash: row.tx_hash,
    txNonce: row.tx_nonce,
    sentAtMs: row.sent_at_ms,
    sendCount: row.send_count,
    blockNumber: row.block_number,
    anchoredAtMs: row.anchored_at_ms,
    lastError: row.last_error,
  }
}
