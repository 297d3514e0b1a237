// Checks a transfer's proof, as the hub's proof endpoint returns it, without trusting the hub's database:
// off chain with protocol/merkle.ts, then (given an RPC endpoint and the contract address) against the
// root the Anchor contract holds, through the contract's own verify().

import { Contract } from 'ethers'
import { fromHex } from '../../protocol/bytes'
import { MERKLE_PROOF_LENGTH_MAX, verifyProofHex } from '../../protocol/merkle'
import type { Ed25519 } from '../../protocol/signature/ed25519'
import { sealedBatchMessage } from './batch'
import { ANCHOR_ABI, openProvider } from './chain'

export interface ProofFile {
  readonly transferId: string
  readonly leaf: string
  readonly proof: readonly string[]
  readonly root: string
  readonly batch: {
    readonly batchId: number
    readonly root: string
    readonly count: number
    readonly sealedAtMs: number
    readonly hubSignature: string
  }
}

export interface ProofCheck {
  readonly ok: boolean
  readonly what: string
}

const WORD_HEX = /^0x[0-9a-f]{64}$/
const TRANSFER_ID = /^[0-9a-f]{64}$/
const SIGNATURE_HEX = /^[0-9a-f]{128}$/

/** The proof file's fields, or a description of what is wrong with it. */
export function parseProofFile(json: unknown): ProofFile | string {
  if (typeof json !== 'object' || json === null) return 'not a JSON object'
  const file = json as Record<string, unknown>
  // The hub's answer was saved instead of a proof: a transfer not sealed into a batch yet, an expired token…
  const error = file.error as { code?: unknown; message?: unknown } | undefined
  if (typeof error === 'object' && error !== null) return `the file holds the hub's refusal: ${String(error.code)}: ${String(error.message)}`
  const batch = file.batch as Record<string, unknown> | null | undefined
  if (typeof file.transferId !== 'string' || !TRANSFER_ID.test(file.transferId)) return 'transferId is not 64 hex digits'
  for (const field of ['leaf', 'root'] as const) {
    if (typeof file[field] !== 'string' || !WORD_HEX.test(file[field] as string)) return `${field} is not 0x + 64 hex digits`
  }
  if (!Array.isArray(file.proof) || file.proof.length > MERKLE_PROOF_LENGTH_MAX
    || !file.proof.every(element => typeof element === 'string' && WORD_HEX.test(element))) {
    return `proof is not a list of at most ${MERKLE_PROOF_LENGTH_MAX} 0x + 64 hex words`
  }
  if (typeof batch !== 'object' || batch === null) return 'batch is missing'
  if (!Number.isSafeInteger(batch.batchId) || (batch.batchId as number) < 1) return 'batch.batchId is not a positive integer'
  if (typeof batch.root !== 'string' || !WORD_HEX.test(batch.root)) return 'batch.root is not 0x + 64 hex digits'
  if (!Number.isSafeInteger(batch.count) || (batch.count as number) < 1) return 'batch.count is not a positive integer'
  if (!Number.isSafeInteger(batch.sealedAtMs)) return 'batch.sealedAtMs is not an integer'
  if (typeof batch.hubSignature !== 'string' || !SIGNATURE_HEX.test(batch.hubSignature)) return 'batch.hubSignature is not 128 hex digits'
  return json as ProofFile
}

/** What the file proves by itself; with `hub`, also that the hub signed the batch. */
export function checkOffChain(file: ProofFile, hub?: { publicKey: Uint8Array; ed25519: Ed25519 }): ProofCheck[] {
  const { batch } = file
  const checks: ProofCheck[] = [
    { ok: file.leaf === `0x${file.transferId}`, what: `the leaf is transfer ${file.transferId}` },
    { ok: file.root === batch.root, what: `the root is batch ${batch.batchId}'s` },
    { ok: verifyProofHex(file.root, file.leaf, file.proof), what: `the ${file.proof.length}-step proof links the leaf to root ${file.root}` },
  ]
  if (hub !== undefined) {
    const message = sealedBatchMessage({
      batchId: batch.batchId, root: fromHex(batch.root), count: batch.count, sealedAtMs: batch.sealedAtMs,
    })
    checks.push({
      ok: hub.ed25519.verify(message, fromHex(batch.hubSignature), hub.publicKey),
      what: `the hub key signed batch ${batch.batchId} (${batch.count} transfers, sealed at ${new Date(batch.sealedAtMs).toISOString()})`,
    })
  }
  return checks
}

/** What the chain says: the contract's root for the batch, and its verify() on this leaf and proof. */
export async function checkOnChain(file: ProofFile, rpcUrl: string, contractAddress: string, rpcTimeout_ms: number): Promise<ProofCheck[]> {
  const provider = await openProvider(rpcUrl, rpcTimeout_ms)
  try {
    const contract = new Contract(contractAddress, ANCHOR_ABI, provider)
    const { batchId } = file.batch
    const [record, accepted, headBlock] = await Promise.all([
      contract.getFunction('batches').staticCall(batchId) as Promise<[string, bigint, bigint, bigint]>,
      contract.getFunction('verify').staticCall(batchId, file.leaf, file.proof) as Promise<boolean>,
      provider.getBlockNumber(),
    ])
    const [root, count, blockNumber] = record
    const chainId = provider._network.chainId
    const held = BigInt(root) !== 0n
    const confirmations = held ? headBlock - Number(blockNumber) + 1 : 0
    return [
      {
        ok: held && root.toLowerCase() === file.root && Number(count) === file.batch.count,
        what: held
          ? `contract ${contractAddress} on chain ${chainId} holds root ${root.toLowerCase()} over ${count} transfers for batch ${batchId} (block ${blockNumber}, ${confirmations} confirmations)`
          : `contract ${contractAddress} on chain ${chainId} holds batch ${batchId}`,
      },
      { ok: accepted, what: `the contract's verify() accepts the leaf and proof for batch ${batchId}` },
    ]
  } finally {
    provider.destroy()
  }
}
