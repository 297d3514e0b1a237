// Sealing: takes queued transfers, oldest first, builds the batch's Merkle tree over their ids, signs
// (batchId, root, count, sealedAtMs) with the hub key and writes batch, leaves and dequeue in one transaction.

import { fromHex } from '../../protocol/bytes'
import { assert } from '../../protocol/errors'
import { MERKLE_WORD_BYTES, MerkleTree } from '../../protocol/merkle'
import type { Ed25519, KeyPair } from '../../protocol/signature/ed25519'
import type { Clock } from '../../protocol/clock'
import { sealIsDue, sealedBatchMessage, type AnchorBatch, type SealPolicy } from './batch'
import type { AnchorStore } from './store'

/** Most batches one sealDue() call seals, so a large backlog is worked off in bounded steps. */
const SEALS_PER_CALL_MAX = 64

export interface SealedTree {
  readonly batch: AnchorBatch
  readonly tree: MerkleTree
}

export class Sealer {
  constructor(
    private readonly store: AnchorStore,
    private readonly hubKeys: KeyPair,
    private readonly ed25519: Ed25519,
    private readonly clock: Clock,
    private readonly policy: SealPolicy,
  ) {}

  /** Seals every batch that is due now (by count or by age), at most SEALS_PER_CALL_MAX. */
  sealDue(): SealedTree[] {
    const sealed: SealedTree[] = []
    while (sealed.length < SEALS_PER_CALL_MAX && sealIsDue(this.store.queueState(), this.policy, this.clock.now_ms())) {
      const next = this.sealOne()
      if (next === undefined) break
      sealed.push(next)
    }
    return sealed
  }

  /**
   * Seals up to batchMax queued transfers into the next batch, whatever their age; undefined when none
   * waits. Crash-safe: until the transaction commits, the transfers stay queued and no batch exists.
   */
  sealOne(): SealedTree | undefined {
    return this.store.transaction(() => {
      const transfers = this.store.queueHead(this.policy.batchMax)
      if (transfers.length === 0) return undefined
      const tree = MerkleTree.build(transfers.map(transfer => fromHex(transfer.transferId, MERKLE_WORD_BYTES)))
      const fields = {
        batchId: this.store.nextBatchId(),
        root: tree.root,
        count: transfers.length,
        sealedAtMs: this.clock.now_ms(),
      }
      const hubSignature = this.ed25519.sign(sealedBatchMessage(fields), this.hubKeys.secretKey)
      this.store.insertSealedBatch(fields, hubSignature, transfers)
      const batch = this.store.batch(fields.batchId)
      assert(batch !== undefined && batch.status === 'sealed' && batch.count === tree.leafCount,
        'the sealed batch is stored with every leaf of its tree')
      return { batch, tree }
    })
  }
}
