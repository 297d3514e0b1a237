// An anchored batch on the wire, as types apart from the code that builds it: nothing here reaches Node, so the
// web dashboard imports them.

export const BATCH_STATUSES = ['sealed', 'sent', 'anchored', 'conflict'] as const
export type BatchStatus = (typeof BATCH_STATUSES)[number]

export interface BatchReply {
  batchId: number
  /** 0x + 64 hex: the Merkle root over the batch's transfer ids. */
  root: string
  count: number
  sealedAtMs: number
  /** Ed25519 by the hub key (hex), over sealedBatchMessage(batchId, root, count, sealedAtMs). */
  hubSignature: string
  hubPublicKey: string
  status: BatchStatus
  chainId: number | null
  contract: string | null
  txHash: string | null
  blockNumber: number | null
  anchoredAtMs: number | null
  /** `<explorer URL>/tx/<txHash>` when the hub has an explorer URL and the batch a transaction. */
  explorerTxUrl: string | null
}
