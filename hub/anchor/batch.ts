// A sealed batch as plain data, the canonical bytes the hub signs for it, and the pure rules of anchoring:
// when a batch is due for sealing, and how long to back off after the chain fails us.

import { assert } from '../../protocol/errors'
import { MERKLE_LEAVES_MAX, MERKLE_WORD_BYTES } from '../../protocol/merkle'
import type { BatchStatus } from './wire'

/** What the hub signs when it seals a batch; the signature is over sealedBatchMessage() of these. */
export interface SealedBatchFields {
  readonly batchId: number
  /** The Merkle root (32 bytes) over the batch's transfer ids, in OpenZeppelin's StandardMerkleTree format. */
  readonly root: Uint8Array
  readonly count: number
  readonly sealedAtMs: number
}

export interface AnchorBatch extends SealedBatchFields {
  /** Ed25519, by the hub key, over sealedBatchMessage(). */
  readonly hubSignature: Uint8Array
  readonly status: BatchStatus
  readonly chainId: number | null
  readonly contractAddress: string | null
  readonly senderAddress: string | null
  readonly txHash: string | null
  readonly txNonce: number | null
  readonly sentAtMs: number | null
  /** Transactions signed for this batch so far; more than one only after a node lost or refused one. */
  readonly sendCount: number
  readonly blockNumber: number | null
  /** When the hub saw the root with enough confirmations (hub clock). */
  readonly anchoredAtMs: number | null
  /** The code of the last failure while anchoring it; null once anchored. */
  readonly lastError: string | null
}

const SEALED_BATCH_DOMAIN = new TextEncoder().encode('payall/anchor-batch/v1')
const U64_BYTES = 8
const U32_BYTES = 4

/**
 * domain ‖ batchId (u64 BE) ‖ root (32) ‖ count (u32 BE) ‖ sealedAtMs (u64 BE): fixed length, so no two
 * batches share their bytes. The domain keeps the signature from passing for any other hub message.
 */
export function sealedBatchMessage(fields: SealedBatchFields): Uint8Array {
  assert(Number.isSafeInteger(fields.batchId) && fields.batchId >= 1, 'a batch id is a positive integer')
  assert(fields.root instanceof Uint8Array && fields.root.length === MERKLE_WORD_BYTES, 'a root is 32 bytes')
  assert(Number.isInteger(fields.count) && fields.count >= 1 && fields.count <= MERKLE_LEAVES_MAX, 'a batch holds 1..MERKLE_LEAVES_MAX transfers')
  assert(Number.isSafeInteger(fields.sealedAtMs) && fields.sealedAtMs >= 0, 'a seal time is a non-negative integer')
  const message = new Uint8Array(SEALED_BATCH_DOMAIN.length + U64_BYTES + MERKLE_WORD_BYTES + U32_BYTES + U64_BYTES)
  const view = new DataView(message.buffer)
  let offset = 0
  message.set(SEALED_BATCH_DOMAIN, offset)
  offset += SEALED_BATCH_DOMAIN.length
  view.setBigUint64(offset, BigInt(fields.batchId))
  offset += U64_BYTES
  message.set(fields.root, offset)
  offset += MERKLE_WORD_BYTES
  view.setUint32(offset, fields.count)
  offset += U32_BYTES
  view.setBigUint64(offset, BigInt(fields.sealedAtMs))
  return message
}

export interface QueueState {
  /** Settled transfers waiting for a batch. */
  readonly queuedCount: number
  /** When the oldest of them was settled; undefined when none waits. */
  readonly oldestQueuedAtMs: number | undefined
}

export interface SealPolicy {
  /** A batch is sealed as soon as this many transfers wait... */
  readonly batchMax: number
  /** ...or once the oldest has waited this long. */
  readonly batchAge_ms: number
}

/** Whether a batch should be sealed now. */
export function sealIsDue(queue: QueueState, policy: SealPolicy, now_ms: number): boolean {
  if (queue.queuedCount === 0 || queue.oldestQueuedAtMs === undefined) return false
  return queue.queuedCount >= policy.batchMax || now_ms - queue.oldestQueuedAtMs >= policy.batchAge_ms
}

export interface Backoff {
  readonly backoffBase_ms: number
  readonly backoffMax_ms: number
}

/** Delay before the next try after `failures` consecutive failures (1, 2, …): doubling from the base, capped. */
export function backoffDelay_ms(failures: number, backoff: Backoff): number {
  assert(Number.isInteger(failures) && failures >= 1, 'a backoff follows at least one failure')
  // 2^30 already exceeds any sensible cap; clamping the exponent keeps the arithmetic exact.
  const exponent = Math.min(failures - 1, 30)
  return Math.min(backoff.backoffBase_ms * 2 ** exponent, backoff.backoffMax_ms)
}
