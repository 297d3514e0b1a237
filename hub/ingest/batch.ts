// A gateway's RecordBatch at the hub (DESIGN steps 6-7): its signatures are checked, then, in its
// turn, each payment is decided (batch-plan.ts), settled through the ledger in one call, everything
// received is stored for audit, and a signed Ack answers with one outcome per record. Double
// spends are flagged with proof and their vouchers revoked.

import { toHex } from '../../protocol/bytes'
import { ProtocolError } from '../../protocol/errors'
import { ackCodec, AckOutcome, type Ack, type AckEntry } from '../../protocol/messages/ack'
import { chainHeadCodec } from '../../protocol/messages/chain-head'
import { decodeRecordBatchFrames, type RecordBatch, type RecordFrame } from '../../protocol/messages/record-batch'
import { Reason } from '../../protocol/reasons'
import { QueueFullError, type SerialQueue } from '../../protocol/serial-queue'
import { signingKeyOf, type GatewayView } from '../gateways/view'
import type { SqlQuery } from '../store/sql'
import { chainAfter, decideBatch, foldLedgerOutcomes, transferIdsOf, type BatchPlan } from './batch-plan'
import type { IngestDependencies } from './dependencies'
import { asHubFault } from './hub-fault'
import { ReadAhead } from './read-ahead'
import type { Settlement } from './settlement'
import { StaleDecisionError, type DecisionReads, type IngestStore, type RecordRow } from './store'
import type { SignatureCheck } from './verify-pool'

/** The double spends a batch flagged anew, by flag id. */
type Flagged = Awaited<ReturnType<IngestStore['write']>>

/** A batch settled and committed: its ack's entries, and what to tell once that commit is on disk. */
interface SettledBatch {
  readonly entries: AckEntry[]
  readonly afterwards: (() => Promise<void>) | undefined
}

/** Stands in for the key of a voucher the hub does not know: no signature verifies under it. */
const NO_KEY = new Uint8Array(32)
/** The closed chains of an EUI whose keys a refused batch is tried against, newest first. */
const CLOSED_CHAIN_KEYS_TRIED_MAX = 8
/**
 * Decisions of one batch, each after another hub's transaction changed what the one before read. Each lost race means
 * another hub stored part of what this batch writes, so a few suffice; past it the batch gets no ack (a hub fault) and
 * the gateway sends it again.
 */
const DECISIONS_RACED_MAX = 8

export class BatchIngest {
  constructor(
    private readonly deps: IngestDependencies,
    /** Shared with online authorization: decisions and settlement run one at a time, in arrival order. */
    private readonly queue: SerialQueue,
    private readonly settlement: Settlement,
  ) {}

  /**
   * Processes one payload from `payall/v1/gw/{eui}/records`. Returns the signed Ack to publish,
   * or null when the payload is not a batch of that gateway (kept for audit, nothing changed).
   * Rejects with QUEUE_FULL, having changed nothing, when the queue is full. `settled` is told once the batch has
   * left the queue (settled and committed, or refused), before its ack waits for the fsync that makes it durable.
   */
  async ingest(topicEui: string, payload: Uint8Array, settled?: () => void): Promise<Ack | null> {
    let batch: RecordBatch
    let frames: RecordFrame[]
    try {
      ({ batch, frames } = decodeRecordBatchFrames(payload))
    } catch (error) {
      if (!(error instanceof ProtocolError)) throw error
      await this.keepRejected(topicEui, `malformed batch: ${error.code}`, payload)
      return null
    }
    if (batch.gatewayEui !== topicEui) {
      await this.keepRejected(topicEui, `batch of ${batch.gatewayEui} published on the topic of ${topicEui}`, payload)
      return null
    }
    this.deps.metrics?.recordsReceived(batch.records.length)
    const gateway = await this.deps.gateway(topicEui)
    const gatewayKey = signingKeyOf(gateway)
    if (gateway === undefined || gatewayKey === undefined) {
      return this.rejectAll(batch, (await this.closedChainOf(batch)) === undefined ? Reason.GatewayUnknown : Reason.ChainClosed)
    }
    // Verification starts now, overlapping the settlement of earlier batches; settlement itself
    // runs one batch at a time, in arrival order, so each gateway's chain grows in order.
    const verified = this.deps.pool.verifyAll(await this.signatureChecks(batch, frames, gatewayKey))
    // Awaited in turn below; a failure meanwhile must not count as unhandled.
    verified.catch(() => undefined)
    try {
      const done = await this.queue.run(async () => {
        const valid = await verified
        if (!valid[0]) {
          const closed = await this.closedChainOf(batch)
          if (closed !== undefined) {
            await this.keepRejected(topicEui, `signed by the key of chain ${closed}, closed since`, payload)
            return { entries: this.rejectAllEntries(batch, Reason.ChainClosed), afterwards: undefined }
          }
          await this.keepRejected(topicEui, 'bad gateway signature on the chain head', payload)
          return { entries: this.rejectAllEntries(batch, Reason.BadGatewaySignature), afterwards: undefined }
        }
        return this.settle(batch, frames, gateway, valid.slice(1))
      }).finally(() => settled?.())
      // The next batch settles meanwhile; this one is answered once an fsync has covered its commit.
      await this.deps.ledger.settlementsDurable()
      await done.afterwards?.()
      return this.signAck(batch, done.entries)
    } catch (error) {
      if (error instanceof QueueFullError) throw error
      // Nothing about the payments was decided, or it is not on disk: no ack, the gateway sends the batch again.
      const fault = asHubFault(error)
      this.deps.metrics?.fault(fault.kind)
      throw fault
    }
  }

  /**
   * The number of the closed (or closing) chain of the batch's EUI whose key signed its head, if any: a re-imaged
   * gateway's old key, or a retired gateway's. Only on a refusal, so a valid batch never pays for it.
   */
  private async closedChainOf(batch: RecordBatch): Promise<number | undefined> {
    const message = chainHeadCodec.encodeUnsigned(batch.head)
    const keys = await this.deps.store.closedChainKeys(batch.gatewayEui, CLOSED_CHAIN_KEYS_TRIED_MAX)
    return keys.find(key => this.deps.ed25519.verify(message, batch.head.signature, key.publicKey))?.chain
  }

  /** The gateway's signature on the chain head, then the customer's on each record. */
  private async signatureChecks(batch: RecordBatch, frames: readonly RecordFrame[], gatewayKey: Uint8Array): Promise<SignatureCheck[]> {
    const deviceKeys = new Map<string, Uint8Array>()
    const checks: SignatureCheck[] = [
      { message: chainHeadCodec.encodeUnsigned(batch.head), signature: batch.head.signature, publicKey: gatewayKey },
    ]
    for (const [index, record] of batch.records.entries()) {
      const voucherIdHex = toHex(record.authorization.voucherId)
      let publicKey = deviceKeys.get(voucherIdHex)
      if (publicKey === undefined) {
        publicKey = (await this.deps.store.voucher(voucherIdHex))?.devicePublicKey ?? NO_KEY
        deviceKeys.set(voucherIdHex, publicKey)
      }
      checks.push({ message: frames[index]!.authorizationUnsigned, signature: record.authorization.signature, publicKey })
    }
    return checks
  }

  /**
   * Read ahead, decide (no writes), then apply and record in one transaction: the ledger settles the batch's payments
   * and, before it commits, the ingest store writes what the hub received and decided. Another hub may have written
   * the same chain or vouchers since the reads (a copy of the batch it took first): the store finds it
   * (StaleDecisionError), nothing of the transaction stays, and the batch is decided again over what is stored now,
   * where a copy that lost the race answers as a duplicate would. Then the ack, the events and the revocations, of
   * what has committed.
   */
  private async settle(
    batch: RecordBatch, frames: readonly RecordFrame[], gateway: GatewayView, signatureValid: readonly boolean[],
  ): Promise<SettledBatch> {
    const { settings, store, clock } = this.deps
    const now_ms = clock.now_ms()
    const of = { eui: batch.gatewayEui, chain: gateway.chain }
    const transferIdsHex = transferIdsOf(frames)
    const merchantCurrency = await this.settlement.merchantCurrency(gateway)
    for (let attempt = 1; ; attempt += 1) {
      const reads = await ReadAhead.of(store, of, batch, transferIdsHex)
      const plan = await reads.decide(ahead => decideBatch({
        batch, chain: gateway.chain, frames, signatureValid, merchantCurrency,
        revocationGrace_ms: settings.revocationGrace_ms, clockSkewMax_ms: settings.clockSkewMax_ms,
      }, ahead, transferIdsHex))
      if (plan.chainClosed) return { entries: plan.entries, afterwards: undefined }
      const payments = plan.settlements.map(settlement => settlement.payment)
      const read = reads.readsOf(plan.settlements.map(({ payment, flagged }) => ({
        voucherIdHex: payment.voucherIdHex, transferIdHex: payment.transferIdHex, seq: payment.authorization.seq,
        cumulativeMinor: payment.authorization.cumulativeMinor, amountMinor: payment.authorization.amountMinor, flagged,
      })), transferIdsHex)
      // What the transaction that committed decided and flagged (on PostgreSQL it may have run more than once).
      let settled = plan
      let flagged: Flagged = []
      try {
        await this.settlement.settle(gateway, payments, async (outcomes, sql) => {
          const folded = foldLedgerOutcomes(plan, outcomes)
          const written = await this.write(sql, batch, gateway, folded, read, now_ms)
          settled = folded
          flagged = written
        })
      } catch (error) {
        if (error instanceof StaleDecisionError && attempt < DECISIONS_RACED_MAX) continue
        throw error
      }
      this.deps.metrics?.batchSettled((clock.now_ms() - now_ms) / 1_000)
      const done = settled
      return { entries: done.entries, afterwards: () => this.announce(batch, gateway, done, flagged, now_ms) }
    }
  }

  /** The ingest store's part of the batch's transaction; returns the double spends it flagged anew. */
  private write(
    sql: SqlQuery, batch: RecordBatch, gateway: GatewayView, plan: BatchPlan, read: DecisionReads, now_ms: number,
  ): Promise<Flagged> {
    return this.deps.store.write(sql, {
      eui: batch.gatewayEui,
      chain: gateway.chain,
      gatewayId: gateway.id,
      publicKey: signingKeyOf(gateway)!,
      records: plan.rows.filter((row): row is RecordRow => row !== null),
      position: chainAfter(plan.chain, batch.records, plan.rows),
      head: chainHeadCodec.encode(batch.head),
      gap: plan.gap,
      forks: plan.forks,
      doubleSpends: plan.doubleSpends.map(({ index: _index, ...row }) => row),
      nowMs: now_ms,
      read,
    })
  }

  /** Once the batch has committed: the flags raised, the records stored, the double spenders' vouchers revoked. */
  private async announce(
    batch: RecordBatch, gateway: GatewayView, plan: BatchPlan, flagged: Flagged, now_ms: number,
  ): Promise<void> {
    for (const { flagId, voucherIdHex } of flagged) {
      this.deps.events.publish({
        type: 'doublespend.flagged', data: { flagId, gatewayId: gateway.id, voucherId: voucherIdHex, atMs: now_ms },
      })
    }
    this.deps.recordsStored?.(batch.gatewayEui)
    if (plan.doubleSpends.length > 0) {
      await this.deps.revoke([...new Set(plan.doubleSpends.map(d => d.voucherIdHex))], 'double spend')
    }
  }

  private keepRejected(eui: string, reason: string, payload: Uint8Array): Promise<void> {
    const { store, clock, settings } = this.deps
    return store.keepRejectedBatch(eui, reason, payload, clock.now_ms(), settings.rejectedBatchesKept_max)
  }

  private rejectAll(batch: RecordBatch, reason: Reason): Ack {
    return this.signAck(batch, this.rejectAllEntries(batch, reason))
  }

  private rejectAllEntries(batch: RecordBatch, reason: Reason): AckEntry[] {
    return batch.records.map(record => ({ gatewaySeq: record.gatewaySeq, outcome: AckOutcome.Rejected, reason }))
  }

  private signAck(batch: RecordBatch, entries: AckEntry[]): Ack {
    const { hubKeys, ed25519, clock } = this.deps
    this.deps.metrics?.answered(entries)
    return ackCodec.sign(
      { gatewayEui: batch.gatewayEui, headSeq: batch.head.gatewaySeq, headHash: batch.head.headHash, timeMs: clock.now_ms(), entries },
      hubKeys.secretKey,
      ed25519,
    )
  }
}
