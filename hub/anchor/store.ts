// Anchoring's tables on either engine (SqlEngine): the transfers not sealed yet, sealed batches and their chain state,
// the leaves of each batch, and who may read a transfer's proof. Every write is one statement or one transaction.
//
// A batch covers a range of the transfers' integer keys (first_seq..last_seq), its leaves in key order:
// a transfer is written with nothing more, and every one is sealed, as the ranges follow one another from
// where they started (anchor_ranges_origin). Before that the hub queued each transfer and kept a row per
// leaf (anchor_queue, anchor_leaves): what a hub of then left queued is sealed that way first. PostgreSQL never had
// the queue: its tables are there, and empty.
//
// Several hubs on one PostgreSQL: the database decides what happens once. Seals take a lock on transfers one after
// the other (settledTransfersOnly), and a batch's id and its range are unique besides; a batch's chain state moves by
// UPDATEs conditional on the state the hub read (markSent on the count of transactions sent).

import { assert } from '../../protocol/errors'
import type { SqlEngine, SqlQuery, SqlRow } from '../store/sql'
import type { AnchorBatch, QueueState, SealedBatchFields } from './batch'
import type { BatchStatus } from './wire'

/** Most batches one page of GET /anchors lists. */
export const BATCH_PAGE_SIZE_MAX = 100

interface BatchRow extends SqlRow {
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
  constructor(private readonly engine: SqlEngine) {}

  /** One transaction over the store's `…In` methods (SqlEngine.write: on PostgreSQL it may run more than once). */
  write<Result>(work: (sql: SqlQuery) => Promise<Result>): Promise<Result> {
    return this.engine.write(work)
  }

  queueState(): Promise<QueueState> {
    return this.engine.read(async sql => {
      // The oldest transfer is the first queued: the queue is filled in settlement order.
      const queue = (await sql.get<{ queued_count: number; oldest_queued_at_ms: number | null }>(
        `SELECT count(*) AS queued_count, (SELECT queued_at_ms FROM anchor_queue ORDER BY seq LIMIT 1) AS oldest_queued_at_ms
         FROM anchor_queue`))!
      const fromSeq = await this.nextRangeSeqIn(sql)
      // Transfers are written in settlement order: the first unsealed is the oldest.
      const range = (await sql.get<{ unsealed_count: number; oldest_at_ms: number | null }>(
        `SELECT count(*) AS unsealed_count, (SELECT created_at_ms FROM transfers WHERE seq >= ? ORDER BY seq LIMIT 1)
           AS oldest_at_ms FROM transfers WHERE seq >= ?`, [fromSeq, fromSeq]))!
      return {
        queuedCount: queue.queued_count + range.unsealed_count,
        oldestQueuedAtMs: queue.oldest_queued_at_ms ?? range.oldest_at_ms ?? undefined,
      }
    })
  }

  /** Sealed batches whose root is not anchored yet (sealed, sent, or in conflict on a contract). */
  async waitingCount(): Promise<number> {
    return (await this.engine.get<{ waiting: number }>(
      `SELECT count(*) AS waiting FROM anchor_batches WHERE status <> 'anchored'`))!.waiting
  }

  /** The first `limit` transfers to seal, oldest first: the old queue's while it holds any, else the next range's. */
  unsealed(limit: number): Promise<UnsealedTransfers> {
    // A write, for the lock unsealedIn takes on PostgreSQL; on SQLite it only reads.
    return this.engine.write(sql => this.unsealedIn(sql, limit))
  }

  /** As unsealed, inside `sql`, a transaction of write(). */
  async unsealedIn(sql: SqlQuery, limit: number): Promise<UnsealedTransfers> {
    const queued = (await sql.all<{ seq: number; transfer_id: string }>(
      'SELECT seq, transfer_id FROM anchor_queue ORDER BY seq LIMIT ?', [limit]))
      .map(row => ({ seq: row.seq, transferId: row.transfer_id }))
    if (queued.length > 0) return { queued: true, transfers: queued }
    await this.settledTransfersOnly(sql)
    const transfers = (await sql.all<{ seq: number; id: string }>(
      'SELECT seq, id FROM transfers WHERE seq >= ? ORDER BY seq LIMIT ?', [await this.nextRangeSeqIn(sql), limit]))
      .map(row => ({ seq: row.seq, transferId: row.id }))
    return { queued: false, transfers }
  }

  async nextBatchIdIn(sql: SqlQuery): Promise<number> {
    return ((await sql.get<{ id: number | null }>('SELECT max(id) AS id FROM anchor_batches'))!.id ?? 0) + 1
  }

  /**
   * Writes a sealed batch of `unsealed` (transfer i is leaf index i): as the range of their keys, or, taken
   * from the old queue, with a leaf row each, off the queue. `sql` is a transaction of write(): the writes stand
   * or fall together.
   */
  async insertSealedBatchIn(sql: SqlQuery, fields: SealedBatchFields, hubSignature: Uint8Array, unsealed: UnsealedTransfers): Promise<void> {
    const { transfers } = unsealed
    assert(transfers.length === fields.count && transfers.length > 0, 'a batch holds exactly the transfers sealed into it')
    let lastSeq = 0
    for (const transfer of transfers) {
      assert(transfer.seq > lastSeq, 'transfers are sealed in the order they were written')
      lastSeq = transfer.seq
    }
    await sql.run(
      `INSERT INTO anchor_batches (id, root, leaf_count, sealed_at_ms, hub_signature, status, first_seq, last_seq)
       VALUES (?, ?, ?, ?, ?, 'sealed', ?, ?)`,
      [fields.batchId, Buffer.from(fields.root), fields.count, fields.sealedAtMs, Buffer.from(hubSignature),
        unsealed.queued ? null : transfers[0]!.seq, unsealed.queued ? null : lastSeq])
    if (!unsealed.queued) return
    for (const [leafIndex, transfer] of transfers.entries()) {
      await sql.run('INSERT INTO anchor_leaves (transfer_id, batch_id, leaf_index) VALUES (?, ?, ?)',
        [transfer.transferId, fields.batchId, leafIndex])
    }
    await sql.run('DELETE FROM anchor_queue WHERE seq <= ?', [lastSeq])
  }

  /**
   * On PostgreSQL, waits until no transaction writing transfers, nor another hub's seal, is open, and keeps new ones
   * waiting until `sql` ends. A transfer's key is drawn when it is written, and commits in any order, so a key below
   * one already seen may still come: sealing a range must wait for it, or the range would hold a transfer its root
   * does not. And two hubs' seals one after the other: the second then reads the first's batch and seals the next
   * range, or nothing. On SQLite the write transaction already keeps every other writer out.
   */
  private async settledTransfersOnly(sql: SqlQuery): Promise<void> {
    if (this.engine.dialect === 'postgres') await sql.run('LOCK TABLE transfers IN SHARE ROW EXCLUSIVE MODE')
  }

  /** The key of the first transfer the next range starts at. */
  private async nextRangeSeqIn(sql: SqlQuery): Promise<number> {
    // The last range, found through anchor_batches_by_range: ranges follow one another, so it ends highest.
    return (await sql.get<{ seq: number }>(
      `SELECT coalesce((SELECT last_seq FROM anchor_batches WHERE first_seq IS NOT NULL ORDER BY first_seq DESC LIMIT 1) + 1,
         (SELECT from_seq FROM anchor_ranges_origin)) AS seq`))!.seq
  }

  batch(batchId: number): Promise<AnchorBatch | undefined> {
    return this.batchIn(this.engine, batchId)
  }

  async batchIn(sql: SqlQuery, batchId: number): Promise<AnchorBatch | undefined> {
    const row = await sql.get<BatchRow>(`SELECT ${BATCH_COLUMNS} FROM anchor_batches WHERE id = ?`, [batchId])
    return row === undefined ? undefined : batchFromRow(row)
  }

  /** Newest first. */
  batchPage(pageSize: number, offset: number): Promise<{ batches: AnchorBatch[]; total: number }> {
    assert(pageSize >= 1 && pageSize <= BATCH_PAGE_SIZE_MAX, `a page holds 1..${BATCH_PAGE_SIZE_MAX} batches`)
    return this.engine.read(async sql => ({
      batches: (await sql.all<BatchRow>(`SELECT ${BATCH_COLUMNS} FROM anchor_batches ORDER BY id DESC LIMIT ? OFFSET ?`,
        [pageSize, offset])).map(batchFromRow),
      total: (await sql.get<{ total: number }>('SELECT count(*) AS total FROM anchor_batches'))!.total,
    }))
  }

  /** Batches still to anchor on `target`, oldest first, at most `limit`. */
  async unanchored(target: { chainId: number; contractAddress: string }, limit: number): Promise<AnchorBatch[]> {
    // Everything not anchored, except conflicts on the contract in use (an operator's matter); a conflict on another
    // contract gets another chance on this one.
    return (await this.engine.all<BatchRow>(
      `SELECT ${BATCH_COLUMNS} FROM anchor_batches
       WHERE status <> 'anchored' AND NOT (status = 'conflict' AND chain_id = ? AND contract_address = ?)
       ORDER BY id LIMIT ?`, [target.chainId, target.contractAddress, limit])).map(batchFromRow)
  }

  /**
   * Recorded before the transaction is broadcast, so a restart knows what may be out there. Only while the batch is
   * as the caller read it, `sendCount` transactions sent and not anchored: false when another hub moved it on first,
   * and then this transaction must not be broadcast (one transaction per batch, whichever hub sends it).
   */
  async markSent(batchId: number, sendCount: number, target: ChainTarget, sent: SentTransaction): Promise<boolean> {
    const { changes } = await this.engine.run(
      `UPDATE anchor_batches SET status = 'sent', chain_id = ?, contract_address = ?, sender_address = ?, tx_hash = ?,
         tx_nonce = ?, sent_at_ms = ?, send_count = send_count + 1, block_number = NULL, anchored_at_ms = NULL
       WHERE id = ? AND status <> 'anchored' AND send_count = ?`,
      [target.chainId, target.contractAddress, target.senderAddress, sent.txHash, sent.txNonce, sent.sentAtMs, batchId, sendCount])
    return changes === 1
  }

  async markAnchored(batchId: number, target: { chainId: number; contractAddress: string }, anchoring: Anchoring): Promise<void> {
    await this.engine.run(
      `UPDATE anchor_batches SET status = 'anchored', chain_id = ?, contract_address = ?, tx_hash = coalesce(?, tx_hash),
         block_number = ?, anchored_at_ms = ?, last_error = NULL
       WHERE id = ? AND status <> 'anchored'`,
      [target.chainId, target.contractAddress, anchoring.txHash, anchoring.blockNumber, anchoring.anchoredAtMs, batchId])
  }

  async markConflict(batchId: number, target: { chainId: number; contractAddress: string }): Promise<void> {
    await this.engine.run(
      `UPDATE anchor_batches SET status = 'conflict', chain_id = ?, contract_address = ?, last_error = 'ROOT_CONFLICT'
       WHERE id = ? AND status <> 'anchored'`, [target.chainId, target.contractAddress, batchId])
  }

  async recordError(batchId: number, code: string): Promise<void> {
    await this.engine.run(`UPDATE anchor_batches SET last_error = ? WHERE id = ? AND status <> 'anchored'`, [code, batchId])
  }

  /** The highest nonce of a transaction still out from `senderAddress`, or undefined. */
  async nonceInFlightMax(chainId: number, senderAddress: string): Promise<number | undefined> {
    return (await this.engine.get<{ nonce: number | null }>(
      `SELECT max(tx_nonce) AS nonce FROM anchor_batches WHERE status = 'sent' AND chain_id = ? AND sender_address = ?`,
      [chainId, senderAddress]))!.nonce ?? undefined
  }

  async leafOf(transferId: string): Promise<LeafLocation | undefined> {
    // The range holding the transfer: the last one starting at or before its key, if it reaches it.
    const row = await this.engine.get<{ batch_id: number; leaf_index: number }>(
      `SELECT b.id AS batch_id, (SELECT count(*) FROM transfers WHERE seq >= b.first_seq AND seq < t.seq) AS leaf_index
       FROM transfers t JOIN anchor_batches b
         ON b.first_seq = (SELECT max(first_seq) FROM anchor_batches WHERE first_seq <= t.seq)
       WHERE t.id = ? AND t.seq <= b.last_seq`, [transferId])
      ?? await this.engine.get<{ batch_id: number; leaf_index: number }>(
        'SELECT batch_id, leaf_index FROM anchor_leaves WHERE transfer_id = ?', [transferId])
    return row === undefined ? undefined : { batchId: row.batch_id, leafIndex: row.leaf_index }
  }

  /** The batch's transfer ids in leaf-index order: the values its tree was built from. */
  async batchTransferIds(batchId: number): Promise<string[]> {
    const ranged = await this.engine.all<{ transfer_id: string }>(
      `SELECT t.id AS transfer_id FROM anchor_batches b JOIN transfers t ON t.seq BETWEEN b.first_seq AND b.last_seq
       WHERE b.id = ? ORDER BY t.seq`, [batchId])
    const rows = ranged.length > 0 ? ranged : await this.engine.all<{ transfer_id: string }>(
      'SELECT transfer_id FROM anchor_leaves WHERE batch_id = ? ORDER BY leaf_index', [batchId])
    return rows.map(row => row.transfer_id)
  }

  async transferExists(transferId: string): Promise<boolean> {
    return await this.engine.get('SELECT id FROM transfers WHERE id = ?', [transferId]) !== undefined
  }

  /**
   * A party: a user one of whose accounts (wallet, or the hold behind it) the transfer posts to, or the owner of the
   * gateway that took it. An EUI passes from a retired gateway to a new one: the gateway that held it when the
   * transfer was made.
   */
  async isParty(transferId: string, userId: string): Promise<boolean> {
    return await this.engine.get(
      `SELECT 1 AS party FROM transfers t JOIN postings p ON p.transfer_seq = t.seq JOIN accounts a ON a.id = p.account_id
       WHERE t.id = ? AND a.user_id = ?
       UNION ALL
       SELECT 1 FROM transfers t JOIN gateways g ON g.eui = t.gateway_eui
         AND t.created_at_ms >= g.created_at_ms AND (g.retired_at_ms IS NULL OR t.created_at_ms <= g.retired_at_ms)
       WHERE t.id = ? AND g.owner_user_id = ?
       LIMIT 1`, [transferId, userId, transferId, userId]) !== undefined
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
