// Sealing: takes the transfers not sealed yet, oldest first, computes the Merkle root over their ids, signs
// (batchId, root, count, sealedAtMs) with the hub key and writes the batch in one transaction.

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
    while (sealed.length < SEALS_PER_CALL_MAX && sealIsDue(await this.store.queueState(), this.policy, this.clock.now_ms())) {
      const next = await this.sealOne()
      if (next === undefined) break
      sealed.push(next)
    }
    return sealed
  }

  /**
   * Seals up to batchMax unsealed transfers into the next batch, whatever their age; undefined when none
   * waits, or when another hub sealed them first. The root is computed first (on a worker, in a hub), then one
   * transaction writes the batch. Crash-safe: until it commits, the transfers stay unsealed and no batch exists.
   */
  async sealOne(): Promise<Sealed | undefined> {
    const unsealed = await this.store.unsealed(this.policy.batchMax)
    const { transfers } = unsealed
    if (transfers.length === 0) return undefined
    const root = await this.merkleRoot(transfers.map(transfer => fromHex(transfer.transferId, MERKLE_WORD_BYTES)))
    return this.store.write(async (sql): Promise<Sealed | undefined> => {
      // Meanwhile transfers were only added after these, unless another hub on the same PostgreSQL sealed them first.
      const now = await this.store.unsealedIn(sql, transfers.length)
      const same = now.queued === unsealed.queued && now.transfers.length === transfers.length
        && now.transfers.every((transfer, i) => transfer.seq === transfers[i]!.seq)
      if (!same) return undefined
      const fields = {
        batchId: await this.store.nextBatchIdIn(sql),
        root,
        count: transfers.length,
        sealedAtMs: this.clock.now_ms(),
      }
      const hubSignature = this.ed25519.sign(sealedBatchMessage(fields), this.hubKeys.secretKey)
      await this.store.insertSealedBatchIn(sql, fields, hubSignature, unsealed)
      const batch = await this.store.batchIn(sql, fields.batchId)
      assert(batch !== undefined && batch.status === 'sealed' && batch.count === transfers.length,
        'the sealed batch is stored with every transfer as a leaf')
      return { batch }
    })
  }
}
