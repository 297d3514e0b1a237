// SQLite access for anchoring: the queue of unbatched transfers, sealed batches and their chain state, the
// leaves of each batch, and who may read a transfer's proof. Every write is one statement or one transaction.

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

export interface QueuedTransfer {
  readonly seq: number
  readonly transferId: string
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
      lastBatchId: db.prepare<[], { id: number | null }>('SELECT max(id) AS id FROM anchor_batches'),
      insertBatch: db.prepare<[number, Buffer, number, number, Buffer]>(
        `INSERT INTO anchor_batches (id, root, leaf_count, sealed_at_ms, hub_signature, status)
         VALUES (?, ?, ?, ?, ?, 'sealed')`),
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
      batchValues: db.prepare<[number], { transfer_id: string }>(
        'SELECT transfer_id FROM anchor_leaves WHERE batch_id = ? ORDER BY leaf_index'),
      transferExists: db.prepare<[string], { id: string }>('SELECT id FROM transfers WHERE id = ?'),
      // A party: a user one of whose accounts (wallet, or the hold behind it) the transfer posts to, or the
      // owner of the gateway that took it.
      isParty: db.prepare<[string, string, string, string], { party: number }>(
        `SELECT 1 AS party FROM transfers t JOIN postings p ON p.transfer_seq = t.seq JOIN accounts a ON a.id = p.account_id
         WHERE t.id = ? AND a.user_id = ?
         UNION ALL
         SELECT 1 FROM transfers t JOIN gateways g ON g.eui = t.gateway_eui
         WHERE t.id = ? AND g.owner_user_id = ?
         LIMIT 1`),
    }
  }

  /** Runs `action` in one immediate (write-locked) transaction: all of it is written, or none. */
  transaction<Result>(action: () => Result): Result {
    return this.db.transaction(action).immediate()
  }

  queueState(): QueueState {
    const row = this.statements.queueState.get()!
    return { queuedCount: row.queued_count, oldestQueuedAtMs: row.oldest_queued_at_ms ?? undefined }
  }

  /** Sealed batches whose root is not anchored yet (sealed, sent, or in conflict on a contract). */
  waitingCount(): number {
    return this.statements.waitingCount.get()!.waiting
  }

  /** The first `limit` queued transfers, oldest first. */
  queueHead(limit: number): QueuedTransfer[] {
    return this.statements.queueHead.all(limit).map(row => ({ seq: row.seq, transferId: row.transfer_id }))
  }

  nextBatchId(): number {
    return (this.statements.lastBatchId.get()!.id ?? 0) + 1
  }

  /**
   * Writes a sealed batch, its leaves (transfer i of `transfers` is leaf index i) and takes them off the
   * queue. Call inside transaction(): the three writes stand or fall together.
   */
  insertSealedBatch(fields: SealedBatchFields, hubSignature: Uint8Array, transfers: readonly QueuedTransfer[]): void {
    assert(transfers.length === fields.count, 'a batch holds exactly the transfers sealed into it')
    this.statements.insertBatch.run(fields.batchId, Buffer.from(fields.root), fields.count, fields.sealedAtMs,
      Buffer.from(hubSignature))
    let lastSeq = 0
    transfers.forEach((transfer, leafIndex) => {
      assert(transfer.seq > lastSeq, 'queued transfers are taken in queue order')
      this.statements.insertLeaf.run(transfer.transferId, fields.batchId, leafIndex)
      lastSeq = transfer.seq
    })
    this.statements.dequeueThrough.run(lastSeq)
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
    const row = this.statements.leaf.get(transferId)
    return row === undefined ? undefined : { batchId: row.batch_id, leafIndex: row.leaf_index }
  }

  /** The batch's transfer ids in leaf-index order: the values its tree was built from. */
  batchTransferIds(batchId: number): string[] {
    return this.statements.batchValues.all(batchId).map(row => row.transfer_id)
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
