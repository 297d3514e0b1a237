// A transfer's inclusion proof: its batch's tree is rebuilt from the stored leaves (and kept in a bounded
// cache), the proof taken from it and checked against the signed root before anyone sees it.

import { fromHex } from '../../protocol/bytes'
import { assert } from '../../protocol/errors'
import { MERKLE_WORD_BYTES, MerkleTree, verifyProofHex } from '../../protocol/merkle'
import type { AnchorBatch } from './batch'
import type { AnchorStore } from './store'

/** Leaves the cached trees may hold together (2 × 32 bytes of nodes each): about 17 MB. */
const TREE_CACHE_LEAVES_MAX = 262_144

export interface TransferProof {
  /** As the ledger names it: 64 lowercase hex digits. */
  readonly transferId: string
  /** The tree's value for the transfer (its id as a bytes32), as OpenZeppelin's StandardMerkleTree takes it. */
  readonly leaf: string
  /** Its index in the values the tree was built from, as in StandardMerkleTree.getProof(index). */
  readonly leafIndex: number
  readonly proof: string[]
  readonly root: string
  readonly batch: AnchorBatch
}

export type ProofLookup =
  | { readonly kind: 'proof'; readonly proof: TransferProof }
  /** Settled, but not sealed into a batch yet. */
  | { readonly kind: 'queued' }
  | { readonly kind: 'unknown' }

export class ProofService {
  /** Least recently used first. */
  private readonly trees = new Map<number, MerkleTree>()
  private cachedLeaves = 0

  constructor(private readonly store: AnchorStore) {}

  async lookup(transferId: string): Promise<ProofLookup> {
    const location = await this.store.leafOf(transferId)
    if (location === undefined) return { kind: await this.store.transferExists(transferId) ? 'queued' : 'unknown' }
    const batch = await this.store.batch(location.batchId)
    assert(batch !== undefined, `batch ${location.batchId} of a stored leaf exists`)
    const tree = await this.tree(batch)
    const leaf = `0x${transferId}`
    const proof = tree.proofHex(location.leafIndex)
    assert(verifyProofHex(tree.rootHex, leaf, proof), 'a served proof verifies against its batch root')
    return { kind: 'proof', proof: { transferId, leaf, leafIndex: location.leafIndex, proof, root: tree.rootHex, batch } }
  }

  private async tree(batch: AnchorBatch): Promise<MerkleTree> {
    const cached = this.cached(batch.batchId)
    if (cached !== undefined) return cached
    const values = (await this.store.batchTransferIds(batch.batchId)).map(id => fromHex(id, MERKLE_WORD_BYTES))
    // Another lookup may have built it while this one read the leaves: one copy is cached, and counted, once.
    const built = this.cached(batch.batchId)
    if (built !== undefined) return built
    assert(values.length === batch.count, `batch ${batch.batchId} has all ${batch.count} of its leaves`)
    const tree = MerkleTree.build(values)
    // The stored leaves must give back the root the hub signed and anchored; anything else is corruption.
    assert(tree.root.every((byte, index) => byte === batch.root[index]), `batch ${batch.batchId}'s leaves rebuild its root`)
    this.trees.set(batch.batchId, tree)
    this.cachedLeaves += tree.leafCount
    for (const [batchId, old] of this.trees) {
      if (this.cachedLeaves <= TREE_CACHE_LEAVES_MAX || batchId === batch.batchId) break
      this.trees.delete(batchId)
      this.cachedLeaves -= old.leafCount
    }
    return tree
  }

  /** The batch's tree if cached, made the most recently used. */
  private cached(batchId: number): MerkleTree | undefined {
    const tree = this.trees.get(batchId)
    if (tree !== undefined) {
      this.trees.delete(batchId)
      this.trees.set(batchId, tree)
    }
    return tree
  }
}
