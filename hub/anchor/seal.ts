// Sealing: takes queued transfers, oldest first, computes the Merkle root over their ids, signs
// (batchId, root, count, sealedAtMs) with the hub key and writes batch, leaves and dequeue in one transaction.

import { fromHex } from '../../protocol/bytes'
import { assert } from '../../protocol/errors'
import { MERKLE_WORD_BYTES } from '../../protocol/merkle'
import type { Ed25519, KeyPair } from '../../protocol/signature/ed25519'
import type { Clock } from '../../protocol/clock'
import { sealIsDue, sealedBatchMessage, type AnchorBatch, type SealPolicy } from './batch'
import { rootInPlace, type MerkleRootOf } from './merkle-roots'
import type { AnchorStore } from './store'

/** Most batches one sealDue() call seals, so a large backlog is worked off in bounded steps. */
const SEALS_PER_CALL_MAX = 64

export interface Sealed {
  readonly batch: AnchorBatch
}

export class Sealer {
  constructor(
    private readonly store: AnchorStore,
    private readonly hubKeys: KeyPair,
    private readonly ed25519: Ed25519,
    private readonly clock: Clock,
    private readonly policy: SealPolicy,
    private readonly merkleRoot: MerkleRootOf = rootInPlace,
  ) {}

  /** Seals every batch that is due now (by count or by age), at most SEALS_PER_CALL_MAX. */
  async sealDue(): Promise<Sealed[]> {
    const sealed: Sealed[] = []
    while (sealed.length < SEALS_PER_CALL_MAX && sealIsDue(this.store.queueState(), this.policy, this.clock.now_ms())) {
      const next = await this.sealOne()
      if (next === undefined) break
      sealed.push(next)
    }
    return sealed
  }

  /**
   * Seals up to batchMax queued transfers into the next batch, whatever their age; undefined when none
   * waits. The root is computed first (on a worker, in a hub), then one transaction writes the batch, its
   * leaves and the dequeue. Crash-safe: until it commits, the transfers stay queued and no batch exists.
   */
  async sealOne(): Promise<Sealed | undefined> {
    const transfers = this.store.queueHead(this.policy.batchMax)
    if (transfers.length === 0) return undefined
    const root = await this.merkleRoot(transfers.map(transfer => fromHex(transfer.transferId, MERKLE_WORD_BYTES)))
    return this.store.transaction(() => {
      // Meanwhile the queue has only grown at its end: this sealer alone takes from its head.
      const head = this.store.queueHead(transfers.length)
      assert(head.length === transfers.length && head.every((queued, i) => queued.seq === transfers[i]!.seq),
        'the queue head is the one the root was computed over')
      const fields = {
        batchId: this.store.nextBatchId(),
        root,
        count: transfers.length,
        sealedAtMs: this.clock.now_ms(),
      }
      const hubSignature = this.ed25519.sign(sealedBatchMessage(fields), this.hubKeys.secretKey)
      this.store.insertSealedBatch(fields, hubSignature, transfers)
      const batch = this.store.batch(fields.batchId)
      assert(batch !== undefined && batch.status === 'sealed' && batch.count === transfers.length,
        'the sealed batch is stored with every transfer as a leaf')
      return { batch }
    })
  }
}
