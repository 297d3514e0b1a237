// The hub's ProofBundles: for an anchored batch, one or more bundles per gateway whose payments it holds; for a
// gateway's ProofRequest, the proofs of its anchored payments, grouped by batch, and which of the ids asked
// are still pending (settled, not anchored) or unknown (no payment of that gateway). Every proof is checked
// against its batch root (ProofService) before it is signed.

import { compareBytes, fromHex, toHex } from '../../protocol/bytes'
import { assert } from '../../protocol/errors'
import { MERKLE_WORD_BYTES } from '../../protocol/merkle'
import {
  CONTRACT_ADDRESS_BYTES, PROOF_BUNDLE_ENTRIES_MAX, PROOF_REQUEST_IDS_MAX, canonicalTransferIds, proofBundleCodec,
  type AnchoredBatch, type ProofBundle, type ProofBundleBody, type ProofEntry, type ProofRequest,
} from '../../protocol/messages/proof-bundle'
import type { Ed25519, KeyPair } from '../../protocol/signature/ed25519'
import type { SqlEngine } from '../store/sql'
import type { AnchorBatch } from './batch'
import { ProofService, type TransferProof } from './proofs'
import type { AnchorStore } from './store'

/** The transfers a gateway records in its chain: the only ones it asks proofs for. */
const GATEWAY_PAYMENT_KINDS = `('offline_payment', 'online_payment')`

// A batch covers a range of transfer keys, or (sealed from the old queue) has a leaf row per transfer.
const BATCH_PAYMENTS_SQL = `SELECT eui, transfer_id FROM (
    SELECT t.gateway_eui AS eui, t.id AS transfer_id, t.kind FROM anchor_batches b
      JOIN transfers t ON t.seq BETWEEN b.first_seq AND b.last_seq WHERE b.id = ?
    UNION ALL
    SELECT t.gateway_eui, l.transfer_id, t.kind FROM anchor_leaves l JOIN transfers t ON t.id = l.transfer_id
      WHERE l.batch_id = ?) AS payments
  WHERE eui IS NOT NULL AND kind IN ${GATEWAY_PAYMENT_KINDS}
  ORDER BY eui`
const PAYMENT_OF_SQL = `SELECT gateway_eui FROM transfers WHERE id = ? AND gateway_eui IS NOT NULL AND kind IN ${GATEWAY_PAYMENT_KINDS}`

export interface GatewayBundle {
  readonly eui: string
  readonly bundle: ProofBundle
}

export class ProofBundler {
  private readonly proofs: ProofService

  constructor(
    private readonly engine: SqlEngine,
    private readonly store: AnchorStore,
    private readonly hubKeys: KeyPair,
    private readonly ed25519: Ed25519,
  ) {
    this.proofs = new ProofService(store)
  }

  /** Every gateway's bundles for a batch; none unless the batch is anchored. */
  async bundlesOfBatch(batchId: number): Promise<GatewayBundle[]> {
    const batch = await this.store.batch(batchId)
    if (batch === undefined || batch.status !== 'anchored') return []
    const byGateway = new Map<string, string[]>()
    for (const row of await this.engine.all<{ eui: string; transfer_id: string }>(BATCH_PAYMENTS_SQL, [batchId, batchId])) {
      const ids = byGateway.get(row.eui) ?? []
      ids.push(row.transfer_id)
      byGateway.set(row.eui, ids)
    }
    const bundles: GatewayBundle[] = []
    for (const [eui, transferIds] of byGateway) {
      const proofs: TransferProof[] = []
      for (const id of transferIds) proofs.push(await this.proofOf(id))
      for (const body of this.batchBodies(eui, batch, proofs)) bundles.push({ eui, bundle: this.sign(body) })
    }
    return bundles
  }

  /** The answer to a request the gateway `eui` made (checked to be its own): one bundle per batch chunk, then the rest. */
  async answer(eui: string, request: ProofRequest): Promise<ProofBundle[]> {
    assert(request.gatewayEui === eui && request.transferIds.length <= PROOF_REQUEST_IDS_MAX, 'a request is checked before it is answered')
    const anchored = new Map<number, TransferProof[]>()
    const pending: Uint8Array[] = []
    const unknown: Uint8Array[] = []
    for (const transferId of request.transferIds) {
      const idHex = toHex(transferId)
      if ((await this.engine.get<{ gateway_eui: string }>(PAYMENT_OF_SQL, [idHex]))?.gateway_eui !== eui) {
        unknown.push(transferId)
        continue
      }
      const lookup = await this.proofs.lookup(idHex)
      if (lookup.kind !== 'proof' || lookup.proof.batch.status !== 'anchored') {
        pending.push(transferId)
        continue
      }
      const inBatch = anchored.get(lookup.proof.batch.batchId) ?? []
      inBatch.push(lookup.proof)
      anchored.set(lookup.proof.batch.batchId, inBatch)
    }
    const bodies: ProofBundleBody[] = []
    for (const proofs of anchored.values()) bodies.push(...this.batchBodies(eui, proofs[0]!.batch, proofs))
    if (pending.length > 0 || unknown.length > 0) {
      bodies.push({ gatewayEui: eui, batch: null, entries: [], pending: canonicalTransferIds(pending), unknown: canonicalTransferIds(unknown) })
    }
    return bodies.map(body => this.sign(body))
  }

  private async proofOf(transferIdHex: string): Promise<TransferProof> {
    const lookup = await this.proofs.lookup(transferIdHex)
    assert(lookup.kind === 'proof', `a leaf of a batch has a proof (${transferIdHex})`)
    return lookup.proof
  }

  /** The bundles of one batch for one gateway: its proofs in transfer id order, PROOF_BUNDLE_ENTRIES_MAX at a time. */
  private batchBodies(eui: string, batch: AnchorBatch, proofs: readonly TransferProof[]): ProofBundleBody[] {
    const anchoredBatch = anchoredBatchOf(batch)
    const entries: ProofEntry[] = proofs
      .map(proof => {
        assert(proof.batch.batchId === batch.batchId, 'a bundle holds proofs of one batch')
        return {
          transferId: fromHex(proof.transferId, MERKLE_WORD_BYTES),
          leafIndex: proof.leafIndex,
          proof: proof.proof.map(node => fromHex(node, MERKLE_WORD_BYTES)),
        }
      })
      .sort((a, b) => compareBytes(a.transferId, b.transferId))
    const bodies: ProofBundleBody[] = []
    for (let from = 0; from < entries.length; from += PROOF_BUNDLE_ENTRIES_MAX) {
      bodies.push({
        gatewayEui: eui, batch: anchoredBatch, entries: entries.slice(from, from + PROOF_BUNDLE_ENTRIES_MAX), pending: [], unknown: [],
      })
    }
    return bodies
  }

  private sign(body: ProofBundleBody): ProofBundle {
    return proofBundleCodec.sign(body, this.hubKeys.secretKey, this.ed25519)
  }
}

/** The chain facts of an anchored batch, as a bundle carries them. */
function anchoredBatchOf(batch: AnchorBatch): AnchoredBatch {
  assert(batch.status === 'anchored' && batch.chainId !== null && batch.contractAddress !== null && batch.blockNumber !== null,
    `batch ${batch.batchId} is anchored with its chain, contract and block`)
  return {
    batchId: batch.batchId,
    root: batch.root,
    leafCount: batch.count,
    chainId: batch.chainId,
    contractAddress: fromHex(batch.contractAddress, CONTRACT_ADDRESS_BYTES),
    txHash: batch.txHash === null ? null : fromHex(batch.txHash, MERKLE_WORD_BYTES),
    blockNumber: batch.blockNumber,
  }
}
