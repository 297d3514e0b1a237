// What deciding a batch reads of the hub's state, read from the store before the decision (asynchronously, on either
// engine) so the decision itself stays a pure, synchronous function over it (batch-plan.ts). The reads a batch almost
// always needs are made up front, in a few statements; a rarer one (a double spend's evidence, a record far from the
// batch) is a miss: the decision stops with ReadMissError, the read is made, and the batch is decided again.

import { toHex } from '../../protocol/bytes'
import { assert } from '../../protocol/errors'
import type { RecordBatch } from '../../protocol/messages/record-batch'
import type { Reason } from '../../protocol/reasons'
import type { KnownPayment, VoucherState } from './decide'
import { seqRangesOf, type DecisionReads, type HeldChain, type IngestStore, type NumberedChain, type PaymentSettled, type SeqRange, type StoredRecord } from './store'

/** The reads of a decision, answered synchronously from what was read ahead. */
export interface IngestReads {
  chain(of: NumberedChain): HeldChain | undefined
  storedRecord(of: NumberedChain, gatewaySeq: number): StoredRecord | undefined
  voucher(voucherIdHex: string): VoucherState | undefined
  highestKnownPayment(voucherIdHex: string): KnownPayment | undefined
  /**
   * The payments known under the voucher that deciding the batch's records under it must see: those at their seqs, and
   * at the nearest seqs below and above (IngestStore.knownPaymentsAround), not the voucher's whole history.
   */
  knownPaymentsAround(voucherIdHex: string): KnownPayment[]
  hasRecordOf(voucherIdHex: string, voucherSeq: number, transferIdHex: string): boolean
  evidenceOf(voucherIdHex: string, voucherSeq: number, transferIdHex: string): Uint8Array | undefined
  finalRefusal(transferIdHex: string): Reason | undefined
}

/** A read the decision needed that was not made ahead: make it (ReadAhead.readMissed), then decide again. */
class ReadMissError extends Error {
  override readonly name = 'ReadMissError'
}

/** Decisions of one batch at most, each after reading what the one before missed. */
const DECISIONS_PER_BATCH_MAX = 16

type Read<T> = { readonly value: T }

export class ReadAhead implements IngestReads {
  private heldChain: Read<HeldChain | undefined> | undefined
  private readonly records = new Map<number, StoredRecord | undefined>()
  private readonly vouchers = new Map<string, VoucherState | undefined>()
  private readonly highest = new Map<string, KnownPayment | undefined>()
  private readonly histories = new Map<string, KnownPayment[]>()
  /** Under each voucher, the lowest and highest seq of the batch's records. */
  private seqRanges = new Map<string, SeqRange>()
  private readonly recordsOf = new Map<string, boolean>()
  private readonly evidence = new Map<string, Uint8Array | undefined>()
  private readonly refusals = new Map<string, Reason | undefined>()
  private missed: (() => Promise<void>) | undefined

  private constructor(private readonly store: IngestStore, private readonly of: NumberedChain) {}

  /**
   * Reads what deciding `batch` (of the chain `of`, its records' transfer ids `transferIdsHex`) almost always needs:
   * the chain, its stored records around the batch, the batch's final refusals, and for each voucher its state, its
   * highest known payment, and the payments known around the seqs of the batch's records under it where a record does
   * not come after everything known under it.
   */
  static async of(store: IngestStore, of: NumberedChain, batch: RecordBatch, transferIdsHex: readonly string[]): Promise<ReadAhead> {
    const ahead = new ReadAhead(store, of)
    ahead.heldChain = { value: await store.chain(of) }
    const seqs = batch.records.map(record => record.gatewaySeq)
    const fromSeq = Math.min(...seqs) - 1
    const toSeq = Math.max(...seqs)
    // A batch whose sequence numbers are scattered more widely than twice its records reads them one by one (misses).
    if (toSeq - fromSeq <= 2 * seqs.length + 1) {
      const stored = await store.storedRecordsBetween(of, fromSeq, toSeq)
      for (let seq = fromSeq; seq <= toSeq; seq += 1) ahead.records.set(seq, stored.get(seq))
    }
    const refusals = await store.finalRefusals([...new Set(transferIdsHex)])
    for (const id of transferIdsHex) ahead.refusals.set(id, refusals.get(id))
    const voucherIdsHex = batch.records.map(record => toHex(record.authorization.voucherId))
    ahead.seqRanges = seqRangesOf(batch.records.map((record, index) => ({ voucherIdHex: voucherIdsHex[index]!, seq: record.authorization.seq })))
    // Under each voucher, the highest seq a record of the batch must come after to need no history.
    const ceilings = new Map<string, number>()
    for (const [index, record] of batch.records.entries()) {
      const voucherIdHex = voucherIdsHex[index]!
      if (!ahead.vouchers.has(voucherIdHex)) {
        ahead.vouchers.set(voucherIdHex, await store.voucher(voucherIdHex))
        ahead.highest.set(voucherIdHex, await store.highestKnownPayment(voucherIdHex))
        ceilings.set(voucherIdHex, ahead.highest.get(voucherIdHex)?.seq ?? 0)
      }
      const ceiling = ceilings.get(voucherIdHex)!
      if (record.authorization.seq <= ceiling && !ahead.histories.has(voucherIdHex)) {
        ahead.histories.set(voucherIdHex, await ahead.readAround(voucherIdHex))
      }
      ceilings.set(voucherIdHex, Math.max(ceiling, record.authorization.seq))
      // A record of a payment known already: the decision asks whether a record carried it (a replay) or not.
      const transferIdHex = transferIdsHex[index]!
      const known = ahead.histories.get(voucherIdHex) ?? [ahead.highest.get(voucherIdHex)]
      if (known.some(payment => payment?.transferIdHex === transferIdHex)) {
        const key = recordOfKey(voucherIdHex, record.authorization.seq, transferIdHex)
        if (!ahead.recordsOf.has(key)) {
          ahead.recordsOf.set(key, await store.hasRecordOf(voucherIdHex, record.authorization.seq, transferIdHex))
        }
      }
    }
    return ahead
  }

  /** Decides with `decide` over these reads, reading what it missed and deciding again, a bounded number of times. */
  async decide<T>(decide: (reads: IngestReads) => T): Promise<T> {
    for (let attempt = 1; ; attempt += 1) {
      try {
        return decide(this)
      } catch (error) {
        if (!(error instanceof ReadMissError) || attempt >= DECISIONS_PER_BATCH_MAX) throw error
        const read = this.missed
        assert(read !== undefined, 'a miss says what to read')
        this.missed = undefined
        await read()
      }
    }
  }

  /** What the decision settles and the final refusals it read: checked again when its outcome is written (store.ts). */
  readsOf(settled: readonly PaymentSettled[], transferIdsHex: readonly string[]): DecisionReads {
    const finalRefusals = new Map<string, Reason>()
    for (const [id, reason] of this.refusals) if (reason !== undefined) finalRefusals.set(id, reason)
    return { chain: this.heldChain?.value, settled, transferIdsHex, finalRefusals }
  }

  chain(of: NumberedChain): HeldChain | undefined {
    assert(of.eui === this.of.eui && of.chain === this.of.chain && this.heldChain !== undefined, 'the batch\'s own chain was read ahead')
    return this.heldChain.value
  }

  storedRecord(of: NumberedChain, gatewaySeq: number): StoredRecord | undefined {
    assert(of.eui === this.of.eui && of.chain === this.of.chain, 'records of the batch\'s own chain are read')
    return this.answer(this.records, gatewaySeq, () => this.store.storedRecord(of, gatewaySeq))
  }

  voucher(voucherIdHex: string): VoucherState | undefined {
    return this.answer(this.vouchers, voucherIdHex, () => this.store.voucher(voucherIdHex))
  }

  highestKnownPayment(voucherIdHex: string): KnownPayment | undefined {
    return this.answer(this.highest, voucherIdHex, () => this.store.highestKnownPayment(voucherIdHex))
  }

  knownPaymentsAround(voucherIdHex: string): KnownPayment[] {
    return this.answer(this.histories, voucherIdHex, () => this.readAround(voucherIdHex))
  }

  /** What is known around the seqs of the batch's records under the voucher. */
  private readAround(voucherIdHex: string): Promise<KnownPayment[]> {
    const range = this.seqRanges.get(voucherIdHex)
    assert(range !== undefined, 'the payments known around a voucher of the batch are read')
    return this.store.knownPaymentsAround(voucherIdHex, range.fromSeq, range.toSeq)
  }

  hasRecordOf(voucherIdHex: string, voucherSeq: number, transferIdHex: string): boolean {
    return this.answer(this.recordsOf, recordOfKey(voucherIdHex, voucherSeq, transferIdHex),
      () => this.store.hasRecordOf(voucherIdHex, voucherSeq, transferIdHex))
  }

  evidenceOf(voucherIdHex: string, voucherSeq: number, transferIdHex: string): Uint8Array | undefined {
    return this.answer(this.evidence, recordOfKey(voucherIdHex, voucherSeq, transferIdHex),
      () => this.store.evidenceOf(voucherIdHex, voucherSeq, transferIdHex))
  }

  finalRefusal(transferIdHex: string): Reason | undefined {
    return this.answer(this.refusals, transferIdHex, () => this.store.finalRefusal(transferIdHex))
  }

  /** The value read ahead under `key`; else a miss, which reads it for the next decision. */
  private answer<K, T>(reads: Map<K, T>, key: K, read: () => Promise<T>): T {
    if (reads.has(key)) return reads.get(key) as T
    this.missed = async () => { reads.set(key, await read()) }
    throw new ReadMissError(`${key} was not read ahead`)
  }
}

function recordOfKey(voucherIdHex: string, voucherSeq: number, transferIdHex: string): string {
  return `${voucherIdHex}/${voucherSeq}/${transferIdHex}`
}
