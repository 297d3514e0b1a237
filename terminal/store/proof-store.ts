// The anchoring side of the terminal's store: Merkle proofs of acked records, which records still await
// one, and pruning: records acked and proved, or rejected, and past the retention window leave (with their
// proofs), in bounded transactions, so a gateway's storage stays bounded (DESIGN "Sync over MQTT"). Each
// leaves its number behind (payment_numbers) for refunds, and the oldest numbers go past a count bound.

import { toHex } from '../../protocol/bytes'
import { assert } from '../../protocol/errors'
import { MERKLE_WORD_BYTES } from '../../protocol/merkle'
import type { ProofBundleBody } from '../../protocol/messages/proof-bundle'
import { blob, bytes, type SqliteDatabase } from './database'

/** Records one pruning transaction deletes at most: a payment never waits long behind one. */
export const PRUNE_RECORDS_PER_TRANSACTION_MAX = 256
/**
 * Numbers of pruned payments kept for refunds (about 60 bytes each, a fifth of a record and its proof):
 * months of a busy counter's payments. An older payment is refunded by its transfer id, with an amount.
 */
const PAYMENT_NUMBERS_MAX = 100_000

export interface StoredProof {
  readonly transferId: Uint8Array
  readonly batchId: number
  readonly root: Uint8Array
  readonly leafCount: number
  readonly leafIndex: number
  readonly proof: Uint8Array[]
  readonly chainId: number
  readonly contractAddress: Uint8Array
  readonly txHash: Uint8Array | null
  readonly blockNumber: number
  readonly receivedAtMs: number
}

export type ProofsSaved =
  | { readonly kind: 'saved'; readonly stored: number; readonly alreadyKept: number }
  /** A proof names a transfer this gateway does not hold: nothing of the bundle was stored. */
  | { readonly kind: 'not-held'; readonly transferIdHex: string }

export interface ProofCounts {
  /** Proofs held, each with its record. */
  readonly proofsKept: number
  /** Acked records still waiting for their proof. */
  readonly proofsAwaited: number
  readonly recordsPruned: number
  /** The highest sequence number pruned so far (0: none). */
  readonly prunedThroughSeq: number
  readonly lastPrunedAtMs: number | null
}

interface ProofRow {
  transfer_id: Buffer
  batch_id: number
  root: Buffer
  leaf_count: number
  leaf_index: number
  proof: Buffer
  chain_id: number
  contract_address: Buffer
  tx_hash: Buffer | null
  block_number: number
  received_at_ms: number
}


function splitProof(packed: Buffer): Uint8Array[] {
  const nodes: Uint8Array[] = []
  for (let at = 0; at < packed.length; at += MERKLE_WORD_BYTES) nodes.push(bytes(packed.subarray(at, at + MERKLE_WORD_BYTES)))
  return nodes
}

export class ProofStore {
  private readonly statements

  constructor(private readonly db: SqliteDatabase) {
    this.statements = {
      recordOf: db.prepare<[Buffer], { one: number }>('SELECT 1 AS one FROM records WHERE transfer_id = ?'),
      insertProof: db.prepare<[Buffer, number, Buffer, number, number, Buffer, number, Buffer, Buffer | null, number, number]>(
        // A transfer sits in exactly one batch, so a proof received again is the same proof: keep the first.
        `INSERT INTO anchor_proofs (transfer_id, batch_id, root, leaf_count, leaf_index, proof, chain_id, contract_address,
           tx_hash, block_number, received_at_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (transfer_id) DO NOTHING`),
      proof: db.prepare<[Buffer], ProofRow>('SELECT * FROM anchor_proofs WHERE transfer_id = ?'),
      // Oldest ask first, so requests rotate through everything missing, however long the hub keeps some pending.
      missing: db.prepare<[number, number], { gateway_seq: number; transfer_id: Buffer }>(
        `SELECT gateway_seq, transfer_id FROM records r
         WHERE status = 'acked' AND (proof_asked_at_ms IS NULL OR proof_asked_at_ms <= ?)
           AND NOT EXISTS (SELECT 1 FROM anchor_proofs p WHERE p.transfer_id = r.transfer_id)
         ORDER BY coalesce(proof_asked_at_ms, 0), gateway_seq LIMIT ?`),
      markAsked: db.prepare<[number, number]>('UPDATE records SET proof_asked_at_ms = ? WHERE gateway_seq = ?'),
      prunable: db.prepare<[number, number], { gateway_seq: number }>(
        `SELECT gateway_seq FROM records r
         WHERE time_ms <= ? AND gateway_seq < (SELECT gateway_seq FROM chain_head WHERE id = 1)
           AND (status = 'rejected'
             OR (status = 'acked' AND EXISTS (SELECT 1 FROM anchor_proofs p WHERE p.transfer_id = r.transfer_id)))
         ORDER BY gateway_seq LIMIT ?`),
      deleteRecord: db.prepare<[number]>('DELETE FROM records WHERE gateway_seq = ?'),
      // Sequence numbers are gapless, so a range of PAYMENT_NUMBERS_MAX numbers holds at most that many rows.
      forgetOldNumbers: db.prepare<[number]>('DELETE FROM payment_numbers WHERE gateway_seq <= ?'),
      notePruned: db.prepare<[number, number, number]>(
        `UPDATE prune_state SET records_pruned = records_pruned + ?, pruned_through_seq = max(pruned_through_seq, ?),
           last_pruned_at_ms = ? WHERE id = 1`),
      counts: db.prepare<[], { kept: number; awaited: number; records_pruned: number; pruned_through_seq: number;
        last_pruned_at_ms: number | null }>(
        `SELECT (SELECT count(*) FROM anchor_proofs) AS kept,
           (SELECT count(*) FROM records r WHERE status = 'acked'
              AND NOT EXISTS (SELECT 1 FROM anchor_proofs p WHERE p.transfer_id = r.transfer_id)) AS awaited,
           records_pruned, pruned_through_seq, last_pruned_at_ms
         FROM prune_state WHERE id = 1`),
    }
  }

  /**
   * Keeps the proofs of a bundle the caller verified (hub signature, addressee, every proof against the root),
   * all or none: a proof for a transfer this gateway does not hold refuses the whole bundle.
   */
  saveBundle(bundle: ProofBundleBody, now_ms: number): ProofsSaved {
    return this.db.transaction((): ProofsSaved => {
      const batch = bundle.batch
      if (batch === null) return { kind: 'saved', stored: 0, alreadyKept: 0 }
      for (const entry of bundle.entries) {
        if (this.statements.recordOf.get(blob(entry.transferId)) === undefined) {
          return { kind: 'not-held', transferIdHex: toHex(entry.transferId) }
        }
      }
      let stored = 0
      for (const entry of bundle.entries) {
        stored += this.statements.insertProof.run(
          blob(entry.transferId), batch.batchId, blob(batch.root), batch.leafCount, entry.leafIndex,
          Buffer.concat(entry.proof.map(blob)), batch.chainId, blob(batch.contractAddress),
          batch.txHash === null ? null : blob(batch.txHash), batch.blockNumber, now_ms,
        ).changes
      }
      return { kind: 'saved', stored, alreadyKept: bundle.entries.length - stored }
    }).immediate()
  }

  proofOf(transferId: Uint8Array): StoredProof | undefined {
    const row = this.statements.proof.get(blob(transferId))
    return row === undefined ? undefined : {
      transferId: bytes(row.transfer_id), batchId: row.batch_id, root: bytes(row.root), leafCount: row.leaf_count,
      leafIndex: row.leaf_index, proof: splitProof(row.proof), chainId: row.chain_id,
      contractAddress: bytes(row.contract_address), txHash: row.tx_hash === null ? null : bytes(row.tx_hash),
      blockNumber: row.block_number, receivedAtMs: row.received_at_ms,
    }
  }

  /**
   * Up to `count_max` acked records without a proof, not asked about since `askedBeforeMs`, oldest ask first;
   * they are marked asked at `nowMs`. Their transfer ids, in chain order.
   */
  takeMissing(count_max: number, askedBefore_ms: number, now_ms: number): Uint8Array[] {
    assert(Number.isInteger(count_max) && count_max >= 1, 'a request asks for at least one proof')
    return this.db.transaction(() => {
      const rows = this.statements.missing.all(askedBefore_ms, count_max)
      for (const row of rows) this.statements.markAsked.run(now_ms, row.gateway_seq)
      return rows.sort((a, b) => a.gateway_seq - b.gateway_seq).map(row => bytes(row.transfer_id))
    }).immediate()
  }

  /**
   * Deletes, in one transaction, up to `count_max` records that are acked and proved, or rejected, recorded at
   * or before `recordedBeforeMs` and not the chain head, with their proofs; their numbers stay, within
   * PAYMENT_NUMBERS_MAX. Returns how many went.
   */
  pruneSome(recordedBefore_ms: number, count_max: number, now_ms: number): number {
    assert(Number.isInteger(count_max) && count_max >= 1 && count_max <= PRUNE_RECORDS_PER_TRANSACTION_MAX,
      `a pruning transaction deletes 1..${PRUNE_RECORDS_PER_TRANSACTION_MAX} records`)
    return this.db.transaction(() => {
      const rows = this.statements.prunable.all(recordedBefore_ms, count_max)
      for (const row of rows) {
        assert(this.statements.deleteRecord.run(row.gateway_seq).changes === 1, 'a prunable record is deleted once')
      }
      if (rows.length > 0) {
        const last = rows[rows.length - 1]!.gateway_seq
        this.statements.notePruned.run(rows.length, last, now_ms)
        this.statements.forgetOldNumbers.run(last - PAYMENT_NUMBERS_MAX)
      }
      return rows.length
    }).immediate()
  }

  counts(): ProofCounts {
    const row = this.statements.counts.get()
    assert(row !== undefined, 'the prune state row exists from migration 2')
    return {
      proofsKept: row.kept, proofsAwaited: row.awaited, recordsPruned: row.records_pruned,
      prunedThroughSeq: row.pruned_through_seq, lastPrunedAtMs: row.last_pruned_at_ms,
    }
  }
}
