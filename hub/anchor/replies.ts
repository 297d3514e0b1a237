// Anchoring on the wire: the JSON of a batch and of a transfer's proof, with their schemas. The proof reply
// is also the file `payall-hub verify-proof` checks, so it carries everything a check needs and nothing else.

import { toHex } from '../../protocol/bytes'
import { MERKLE_PROOF_LENGTH_MAX } from '../../protocol/merkle'
import type { AnchorBatch } from './batch'
import type { TransferProof } from './proofs'
import { BATCH_STATUSES, type BatchReply } from './wire'

export interface ProofReply {
  transferId: string
  leaf: string
  leafIndex: number
  proof: string[]
  root: string
  batch: BatchReply
}

const WORD_HEX = { type: 'string', pattern: '^0x[0-9a-f]{64}$' } as const
const NULLABLE_INTEGER = { type: ['integer', 'null'] } as const

export const BATCH_REPLY_SCHEMA = {
  type: 'object',
  required: [
    'batchId', 'root', 'count', 'sealedAtMs', 'hubSignature', 'hubPublicKey', 'status', 'chainId', 'contract', 'txHash',
    'blockNumber', 'anchoredAtMs', 'explorerTxUrl',
  ],
  additionalProperties: false,
  properties: {
    batchId: { type: 'integer', minimum: 1, description: 'the id the Anchor contract stores the root under' },
    root: { ...WORD_HEX, description: 'StandardMerkleTree root (leaf encoding bytes32) over the transfer ids' },
    count: { type: 'integer', minimum: 1 },
    sealedAtMs: { type: 'integer' },
    hubSignature: { type: 'string', pattern: '^[0-9a-f]{128}$', description: 'Ed25519 over payall/anchor-batch/v1 ‖ batchId u64 ‖ root ‖ count u32 ‖ sealedAtMs u64' },
    hubPublicKey: { type: 'string', pattern: '^[0-9a-f]{64}$' },
    status: { type: 'string', enum: [...BATCH_STATUSES], description: 'sealed: waiting for the chain; sent: a transaction is out; anchored: on chain with enough confirmations; conflict: the contract holds another root under this id' },
    chainId: NULLABLE_INTEGER,
    contract: { type: ['string', 'null'], description: 'address of the Anchor contract' },
    txHash: { type: ['string', 'null'], description: 'the transaction that anchored it (or, while sent, the one out)' },
    blockNumber: { ...NULLABLE_INTEGER, description: 'the block holding the root' },
    anchoredAtMs: { ...NULLABLE_INTEGER, description: 'when the hub saw it confirmed' },
    explorerTxUrl: {
      type: ['string', 'null'],
      description: 'the transaction on the block explorer the hub was given (--explorer-url); null without one or before a transaction is out',
    },
  },
} as const

export const PROOF_REPLY_SCHEMA = {
  type: 'object',
  required: ['transferId', 'leaf', 'leafIndex', 'proof', 'root', 'batch'],
  additionalProperties: false,
  properties: {
    transferId: { type: 'string', pattern: '^[0-9a-f]{64}$' },
    leaf: { ...WORD_HEX, description: 'the tree value: the transfer id as a bytes32' },
    leafIndex: { type: 'integer', minimum: 0 },
    proof: { type: 'array', maxItems: MERKLE_PROOF_LENGTH_MAX, items: WORD_HEX, description: 'sibling hashes, leaf to root' },
    root: WORD_HEX,
    batch: BATCH_REPLY_SCHEMA,
  },
} as const

/** What a batch reply is built with besides the batch: the hub's public key and its block explorer, if any. */
export interface BatchReplyContext {
  readonly hubPublicKey: Uint8Array
  readonly explorerUrl: string | undefined
}

export function batchReply(batch: AnchorBatch, { hubPublicKey, explorerUrl }: BatchReplyContext): BatchReply {
  return {
    batchId: batch.batchId,
    root: `0x${toHex(batch.root)}`,
    count: batch.count,
    sealedAtMs: batch.sealedAtMs,
    hubSignature: toHex(batch.hubSignature),
    hubPublicKey: toHex(hubPublicKey),
    status: batch.status,
    chainId: batch.chainId,
    contract: batch.contractAddress,
    txHash: batch.txHash,
    blockNumber: batch.blockNumber,
    anchoredAtMs: batch.anchoredAtMs,
    explorerTxUrl: explorerUrl === undefined || batch.txHash === null ? null : `${explorerUrl}/tx/${batch.txHash}`,
  }
}

export function proofReply(proof: TransferProof, context: BatchReplyContext): ProofReply {
  return {
    transferId: proof.transferId,
    leaf: proof.leaf,
    leafIndex: proof.leafIndex,
    proof: proof.proof,
    root: proof.root,
    batch: batchReply(proof.batch, context),
  }
}
