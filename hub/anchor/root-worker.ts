// The Merkle root of a batch about to be sealed, computed on a worker thread: three keccak256 per transfer is the
// sealing's whole cost, and the main thread settles payments meanwhile. A job is the transfer ids packed end to end.

import { parentPort } from 'node:worker_threads'
import { MERKLE_WORD_BYTES, MerkleTree } from '../../protocol/merkle'

export interface RootJob {
  readonly id: number
  readonly packed: Uint8Array
}

export type RootAnswer = { readonly id: number; readonly root: Uint8Array } | { readonly id: number; readonly error: string }

/** The root of the tree over the 32-byte values packed in `packed`, in order. */
export function rootOfPacked(packed: Uint8Array): Uint8Array {
  const values: Uint8Array[] = []
  for (let offset = 0; offset < packed.length; offset += MERKLE_WORD_BYTES) values.push(packed.subarray(offset, offset + MERKLE_WORD_BYTES))
  return MerkleTree.build(values).root
}

if (parentPort !== null) {
  const port = parentPort
  port.on('message', (job: RootJob) => {
    try {
      const root = rootOfPacked(job.packed)
      port.postMessage({ id: job.id, root } satisfies RootAnswer, [root.buffer as ArrayBuffer])
    } catch (error) {
      port.postMessage({ id: job.id, error: error instanceof Error ? error.message : String(error) } satisfies RootAnswer)
    }
  })
}
