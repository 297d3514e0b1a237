// Moves one batch one step towards anchored: asks the chain where it stands, then records the anchor, waits,
// or signs a transaction, stores its hash and nonce, and only then broadcasts it.

import type { FastifyBaseLogger } from 'fastify'
import { toHex } from '../../protocol/bytes'
import type { Clock } from '../../protocol/clock'
import type { AnchorBatch } from './batch'
import type { AnchorChain } from './chain'
import { judgeOnChain, judgeSentTransaction } from './reconcile'
import type { AnchorStore } from './store'

export type StepOutcome =
  | 'anchored'
  | 'confirming'
  | 'conflict'
  /** A transaction went out for the batch (a first one, or one replacing a lost one). */
  | 'sent'
  /** Its transaction is in the mempool or in a block the contract state does not show yet, or another hub just sent one. */
  | 'waiting'

export class Anchorer {
  constructor(
    private readonly store: AnchorStore,
    private readonly clock: Clock,
    private readonly log: FastifyBaseLogger,
    private readonly confirmations: number,
  ) {}

  async step(batch: AnchorBatch, chain: AnchorChain, headBlock: number): Promise<StepOutcome> {
    const target = chain.target
    const rootHex = `0x${toHex(batch.root)}`
    const verdict = judgeOnChain(rootHex, await chain.batch(batch.batchId), headBlock, this.confirmations)
    switch (verdict.kind) {
      case 'anchored': {
        const ourTransaction = this.sentTo(batch, chain) ? batch.txHash : null
        const txHash = (await chain.anchoringTxHash(batch.batchId, verdict.blockNumber)) ?? ourTransaction
        await this.store.markAnchored(batch.batchId, target, { txHash, blockNumber: verdict.blockNumber, anchoredAtMs: this.clock.now_ms() })
        this.log.info({ batchId: batch.batchId, txHash, blockNumber: verdict.blockNumber, chainId: target.chainId }, 'batch anchored')
        return 'anchored'
      }
      case 'confirming':
        return 'confirming'
      case 'conflict':
        await this.store.markConflict(batch.batchId, target)
        this.log.error({ batchId: batch.batchId, ours: rootHex, onChain: verdict.root, contract: target.contractAddress },
          'the contract holds another root under this batch id; anchor to a new contract to go on')
        return 'conflict'
      case 'absent':
        break
    }

    if (this.sentTo(batch, chain)) {
      const [transaction, confirmedNonce] = await Promise.all([chain.transactionState(batch.txHash!), chain.confirmedNonce()])
      const next = judgeSentTransaction(transaction, batch.txNonce!, confirmedNonce)
      if (next === 'wait') return 'waiting'
      return this.send(batch, chain, next === 'resend_same_nonce' ? batch.txNonce! : await this.freshNonce(chain))
    }
    return this.send(batch, chain, await this.freshNonce(chain))
  }

  /** Whether the batch's stored transaction went to this chain, contract and sender: whether it is in flight there. */
  sentTo(batch: AnchorBatch, chain: AnchorChain): boolean {
    const { target } = chain
    return batch.txHash !== null && batch.txNonce !== null && batch.chainId === target.chainId
      && batch.contractAddress === target.contractAddress && batch.senderAddress === target.senderAddress
  }

  /** Above both the node's pending count and every nonce of ours still out, so no two batches share one. */
  private async freshNonce(chain: AnchorChain): Promise<number> {
    const pending = await chain.pendingNonce()
    const inFlight_max = await this.store.nonceInFlightMax(chain.target.chainId, chain.target.senderAddress)
    return Math.max(pending, inFlight_max === undefined ? 0 : inFlight_max + 1)
  }

  private async send(batch: AnchorBatch, chain: AnchorChain, nonce: number): Promise<'sent' | 'waiting'> {
    const signed = await chain.signAnchor(batch, nonce)
    // Stored before it leaves: after a crash from here on, the restarted hub (or another) looks for this transaction
    // (and this nonce) before it signs anything else for the batch. Stored only if no other hub moved the batch on
    // since it was read: then this one is never broadcast, and the batch keeps one transaction out.
    const sentAt_ms = this.clock.now_ms()
    if (!await this.store.markSent(batch.batchId, batch.sendCount, chain.target, { txHash: signed.txHash, txNonce: nonce, sentAtMs: sentAt_ms })) {
      this.log.info({ batchId: batch.batchId }, 'another hub moved the batch on first: its transaction stays unsent')
      return 'waiting'
    }
    this.log.info({ batchId: batch.batchId, txHash: signed.txHash, nonce, sendCount: batch.sendCount + 1 }, 'anchor transaction signed')
    await chain.broadcast(signed.rawTransaction)
    return 'sent'
  }
}
