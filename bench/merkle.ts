// Merkle figures: protocol/merkle against OpenZeppelin's StandardMerkleTree over the same seeded
// 32-byte leaves, and the size of a proof. Alone: `node dist/bench/run.js merkle`.

import { StandardMerkleTree } from '@openzeppelin/merkle-tree'
import { sha256, toHex } from '../protocol/bytes'
import { MERKLE_WORD_BYTES, MerkleTree } from '../protocol/merkle'
import { round, type Metric } from './metric'

const LEAF_COUNT = 100_000
const OPENZEPPELIN_SMALL_LEAF_COUNT = 10_000
const OURS_RUNS = 3
const PROOF_SAMPLE_COUNT = 1000
/** OpenZeppelin on all 100k leaves only when it should finish within this; else its 10k time is scaled. */
const OPENZEPPELIN_FULL_BUDGET_MS = 15_000
const SEED = new TextEncoder().encode('payall merkle bench')

/** Leaf i is sha256(SEED ‖ i as 4 bytes big-endian): the same leaves on every run and machine. */
function seededLeaves(count: number): Uint8Array[] {
  const counter = new Uint8Array(4)
  const view = new DataView(counter.buffer)
  const leaves: Uint8Array[] = []
  for (let index = 0; index < count; index++) {
    view.setUint32(0, index)
    leaves.push(sha256(SEED, counter))
  }
  return leaves
}

function timed<T>(action: () => T): { result: T; elapsedMs: number } {
  const start = performance.now()
  const result = action()
  return { result, elapsedMs: performance.now() - start }
}

function median(samples: readonly number[]): number {
  const sorted = [...samples].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)]!
}

function openZeppelinValues(leaves: readonly Uint8Array[]): string[][] {
  return leaves.map(leaf => [`0x${toHex(leaf)}`])
}

export async function benchMerkle(): Promise<Metric[]> {
  const leaves = seededLeaves(LEAF_COUNT)
  const smallLeaves = leaves.slice(0, OPENZEPPELIN_SMALL_LEAF_COUNT)

  const smallTree = MerkleTree.build(smallLeaves) // also warms up the JIT before timing
  const oursRuns = Array.from({ length: OURS_RUNS }, () => timed(() => MerkleTree.build(leaves)))
  const tree = oursRuns[0]!.result
  const ours_ms = median(oursRuns.map(run => run.elapsedMs))
  const oursPerLeafUs = (ours_ms * 1000) / LEAF_COUNT

  const smallValues = openZeppelinValues(smallLeaves)
  const theirsSmall = timed(() => StandardMerkleTree.of(smallValues, ['bytes32']))
  if (theirsSmall.result.root !== smallTree.rootHex) throw new Error('roots differ at 10k leaves')

  const metrics: Metric[] = [
    { name: 'merkle_build_100k_ms', value: round(ours_ms, 1), unit: 'ms' },
    { name: 'merkle_build_ours_per_leaf_us', value: round(oursPerLeafUs, 2), unit: 'us' },
    { name: 'merkle_build_oz_10k_ms', value: round(theirsSmall.elapsedMs, 1), unit: 'ms' },
  ]
  // OpenZeppelin sorts with BigInt comparisons, so its time grows a little faster than linearly.
  const theirsFullProjected_ms =
    theirsSmall.elapsedMs *
    (LEAF_COUNT / OPENZEPPELIN_SMALL_LEAF_COUNT) *
    (Math.log2(LEAF_COUNT) / Math.log2(OPENZEPPELIN_SMALL_LEAF_COUNT))
  let theirsPerLeafUs = (theirsSmall.elapsedMs * 1000) / OPENZEPPELIN_SMALL_LEAF_COUNT
  let suffix = '_scaled_from_10k'
  if (theirsFullProjected_ms <= OPENZEPPELIN_FULL_BUDGET_MS) {
    const values = openZeppelinValues(leaves)
    const theirs = timed(() => StandardMerkleTree.of(values, ['bytes32']))
    if (theirs.result.root !== tree.rootHex) throw new Error('roots differ at 100k leaves')
    metrics.push({ name: 'merkle_build_oz_100k_ms', value: round(theirs.elapsedMs, 1), unit: 'ms' })
    theirsPerLeafUs = (theirs.elapsedMs * 1000) / LEAF_COUNT
    suffix = ''
  }
  metrics.push(
    { name: `merkle_build_oz_per_leaf_us${suffix}`, value: round(theirsPerLeafUs, 2), unit: 'us' },
    {
      name: `merkle_build_ratio_ours_to_oz_per_leaf${suffix}`,
      value: round(oursPerLeafUs / theirsPerLeafUs, 4),
      unit: 'ratio',
    },
  )

  // Proofs are 16 or 17 hashes deep at 100k leaves; a sample gives their size and the time for one,
  // which includes proof() checking its own result against the root.
  const proofs = timed(() => Array.from({ length: PROOF_SAMPLE_COUNT }, (_, valueIndex) => tree.proof(valueIndex)))
  const proofBytes = proofs.result.map(proof => proof.length * MERKLE_WORD_BYTES)
  const proof_bytes_max = Math.max(...proofBytes)
  if (proof_bytes_max > Math.ceil(Math.log2(LEAF_COUNT)) * MERKLE_WORD_BYTES) throw new Error('a proof is too long')
  metrics.push(
    { name: 'merkle_proof_100k_bytes_max', value: proof_bytes_max, unit: 'bytes' },
    {
      name: 'merkle_proof_100k_bytes_mean',
      value: round(proofBytes.reduce((sum, bytes) => sum + bytes, 0) / PROOF_SAMPLE_COUNT, 1),
      unit: 'bytes',
    },
    { name: 'merkle_proof_100k_us', value: round((proofs.elapsedMs * 1000) / PROOF_SAMPLE_COUNT, 1), unit: 'us' },
  )
  return metrics
}
