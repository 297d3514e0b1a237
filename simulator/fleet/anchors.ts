// The anchoring checks after a fault run, once its faults have stopped: every batch the hub sealed is
// anchored (waited for, with blocks mined for its confirmations, bounded); every settled payment's proof,
// as the hub serves it, verifies against the root the Anchor contract holds, read from the node with
// ethers and checked by the contract's own verify(); the contract holds each root once, under the
// batch id the hub gave it; and the hub's chain key had one transaction mined per anchored batch. The chain is the judge, never the hub's word that a batch is fine.

import { Contract, type EventLog, type Log } from 'ethers'
import { ANCHOR_ABI, openProvider } from '../../hub/anchor/chain'
import { checkOffChain, parseProofFile, type ProofFile } from '../../hub/anchor/verify-proof'
import { systemClock } from '../../protocol/clock'
import type { HubApi } from '../hub-api'

/** The chain a run anchored on, as the checks reach it. */
export interface ChainUnderCheck {
  readonly rpcUrl: string
  readonly contractAddress: string
  /** The hub's chain key's address, and how many transactions it had sent before the hub started (the contract's deployment). */
  readonly senderAddress: string
  readonly senderNonceAtStart: number
  /** Mines one block: a batch waiting for its confirmations gets one. */
  mine(): Promise<void>
}

export type AnchorInvariant = 'batches-anchored' | 'proofs-verify-on-chain' | 'roots-anchored-once' | 'one-transaction-per-batch'

/** How long the hub has, once the faults stop, to seal and anchor what it settled (its chain backs off up to seconds). */
const ANCHORED_WAIT_MS = 90_000
const POLL_MS = 250
const BATCH_PAGE_SIZE = 100
const RPC_TIMEOUT_MS = 10_000

interface HubBatch {
  readonly batchId: number
  readonly root: string
  readonly count: number
  readonly status: string
}

export async function checkAnchors(
  operator: HubApi, chain: ChainUnderCheck, transferIds: readonly string[], fail: (invariant: AnchorInvariant, detail: string) => void,
): Promise<void> {
  const proofs = new Map<string, ProofFile>()
  let batches: HubBatch[] = []
  const deadline_ms = systemClock.now_ms() + ANCHORED_WAIT_MS
  for (;;) {
    for (const transferId of transferIds) {
      if (proofs.has(transferId)) continue
      const { status, json } = await operator.call('GET', `/transactions/${transferId}/proof`)
      if (status !== 200) continue
      const file = parseProofFile(json)
      if (typeof file === 'string') fail('proofs-verify-on-chain', `the hub's proof of ${transferId} is malformed: ${file}`)
      else if ((json as { batch: { status: string } }).batch.status === 'anchored') proofs.set(transferId, file)
    }
    batches = await hubBatches(operator)
    const waiting = batches.filter(batch => batch.status !== 'anchored' && batch.status !== 'conflict')
    if ((waiting.length === 0 && proofs.size === transferIds.length) || systemClock.now_ms() >= deadline_ms) break
    if (waiting.some(batch => batch.status === 'sent')) await chain.mine()
    await new Promise<void>(resolve => systemClock.setTimer(resolve, POLL_MS))
  }
  for (const batch of batches) {
    if (batch.status !== 'anchored') fail('batches-anchored', `batch ${batch.batchId} (${batch.count} transfers) is ${batch.status}, not anchored, ${ANCHORED_WAIT_MS / 1000} s after the faults stopped`)
  }
  for (const transferId of transferIds) {
    if (!proofs.has(transferId)) fail('batches-anchored', `payment ${transferId} has no proof in an anchored batch ${ANCHORED_WAIT_MS / 1000} s after the faults stopped`)
  }

  const provider = await openProvider(chain.rpcUrl, RPC_TIMEOUT_MS)
  try {
    const contract = new Contract(chain.contractAddress, ANCHOR_ABI, provider)
    await checkProofsOnChain(contract, [...proofs.values()], fail)
    const anchored = await checkRootsOnce(contract, batches, fail)
    // A resend of a transaction already mined would revert (the contract keeps the first root) and cost gas all the same.
    const sent = await provider.getTransactionCount(chain.senderAddress, 'latest') - chain.senderNonceAtStart
    if (sent !== anchored) fail('one-transaction-per-batch', `the hub's chain key had ${sent} transactions mined for ${anchored} anchored batches`)
  } finally {
    provider.destroy()
  }
}

async function hubBatches(operator: HubApi): Promise<HubBatch[]> {
  const batches: HubBatch[] = []
  for (let page = 1; ; page++) {
    const reply = await operator.ok('GET', `/anchors?page=${page}&pageSize=${BATCH_PAGE_SIZE}`)
    batches.push(...reply.items as HubBatch[])
    if (reply.items.length === 0 || batches.length >= reply.total) return batches
  }
}

/** Each proof links its transfer to its batch's root (off chain), and the contract holds that root and accepts the proof. */
async function checkProofsOnChain(contract: Contract, proofs: readonly ProofFile[], fail: (invariant: AnchorInvariant, detail: string) => void): Promise<void> {
  for (const file of proofs) {
    for (const check of checkOffChain(file)) {
      if (!check.ok) fail('proofs-verify-on-chain', `${file.transferId}: it is not so that ${check.what}`)
    }
    const { batchId } = file.batch
    const [root, count] = await contract.getFunction('batches').staticCall(batchId) as [string, bigint, bigint, bigint]
    if (root.toLowerCase() !== file.root || Number(count) !== file.batch.count) {
      fail('proofs-verify-on-chain', `${file.transferId}: the contract holds ${root.toLowerCase()} over ${count} transfers for batch ${batchId}, `
        + `the proof's root is ${file.root} over ${file.batch.count}`)
    }
    const accepted = await contract.getFunction('verify').staticCall(batchId, file.leaf, file.proof) as boolean
    if (!accepted) fail('proofs-verify-on-chain', `${file.transferId}: the contract's verify() refuses its proof for batch ${batchId}`)
  }
}

/** The contract's Anchored events: each root once, each batch id once, each the hub's batch of that id with its root. How many there are. */
async function checkRootsOnce(contract: Contract, batches: readonly HubBatch[], fail: (invariant: AnchorInvariant, detail: string) => void): Promise<number> {
  const events = await contract.queryFilter(contract.filters.Anchored!(), 0, 'latest') as Array<EventLog | Log>
  const byRoot = new Map<string, number[]>()
  const byBatch = new Map<number, number>()
  const hub = new Map(batches.map(batch => [batch.batchId, batch]))
  for (const event of events) {
    const [batchIdWord, rootWord] = contract.interface.decodeEventLog('Anchored', event.data, event.topics) as unknown as [bigint, string]
    const batchId = Number(batchIdWord)
    const root = rootWord.toLowerCase()
    byRoot.set(root, [...(byRoot.get(root) ?? []), batchId])
    byBatch.set(batchId, (byBatch.get(batchId) ?? 0) + 1)
    const ours = hub.get(batchId)
    if (ours === undefined) fail('roots-anchored-once', `the contract holds batch ${batchId} (root ${root}), which the hub does not list`)
    else if (ours.root !== root) fail('roots-anchored-once', `the contract holds root ${root} for batch ${batchId}, the hub sealed ${ours.root}`)
  }
  for (const [root, ids] of byRoot) {
    if (ids.length > 1) fail('roots-anchored-once', `root ${root} is anchored ${ids.length} times (batches ${ids.join(', ')})`)
  }
  for (const [batchId, times] of byBatch) {
    if (times > 1) fail('roots-anchored-once', `batch ${batchId} is anchored ${times} times`)
  }
  return events.length
}
