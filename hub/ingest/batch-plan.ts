// What the hub does with a gateway's batch, decided before anything is written: which records
// settle, which are flagged as double spends (with both authorizations as proof), which are
// refused and why, what the chain looks like after, and the ack entry of every record. Reads what
// the hub knows through a read-only view; the ledger's answers are folded in afterwards.

import { equalBytes, sha256, toHex } from '../../protocol/bytes'
import { assert } from '../../protocol/errors'
import { AckOutcome, type AckEntry } from '../../protocol/messages/ack'
import { authorizationCodec } from '../../protocol/messages/authorization'
import type { RecordBatch, RecordFrame } from '../../protocol/messages/record-batch'
import { GENESIS_HASH, type TransferRecord } from '../../protocol/messages/transfer-record'
import { Reason } from '../../protocol/reasons'
import type { HoldOutcome } from '../ledger/store'
import { decideRecord, type KnownPayment, type VoucherState } from './decide'
import { ledgerRefusalReason, type PaymentToSettle } from './settlement'
import type { IngestReads } from './read-ahead'
import type { ChainState, DoubleSpendRow, IngestWrite, RecordOutcome, RecordRow } from './store'

export interface BatchInput {
  readonly batch: RecordBatch
  /** The number of the chain the batch's key signs (the gateway's current one when it was verified). */
  readonly chain: number
  readonly frames: readonly RecordFrame[]
  /** The customer's signature on each record, checked: true where valid. */
  readonly signatureValid: readonly boolean[]
  /** The currency of the gateway's merchant account; a payment in another is refused. */
  readonly merchantCurrency: string
  readonly revocationGrace_ms: number
  readonly clockSkewMax_ms: number
}

/** A payment of the batch to settle, at `index` among its records. */
interface PlannedSettlement {
  readonly index: number
  readonly payment: PaymentToSettle
  /** A double spend: settled (the merchant is paid), flagged, and its voucher revoked. */
  readonly flagged: boolean
}

export interface BatchPlan {
  /** The chain as the hub knew it before the batch. */
  readonly chain: ChainState
  /** The chain no longer takes batches: every record is refused, and nothing of the batch is written. */
  readonly chainClosed: boolean
  readonly gap: IngestWrite['gap']
  /** One per record: the answer. */
  readonly entries: AckEntry[]
  /** One per record: what is stored of it, or null where the hub already holds its sequence number. */
  readonly rows: Array<RecordRow | null>
  readonly forks: IngestWrite['forks']
  readonly doubleSpends: Array<DoubleSpendRow & { readonly index: number }>
  /** In record order: what the ledger is asked to settle, in one call. */
  readonly settlements: PlannedSettlement[]
}

/** The transfer id of a record's payment: SHA-256 of the bytes the customer signed (protocol transferIdOf). */
function transferIdHexOf(frame: RecordFrame): string {
  return toHex(sha256(frame.authorizationUnsigned))
}

/** Each record's transfer id, hashed once for the batch. */
export function transferIdsOf(frames: readonly RecordFrame[]): string[] {
  return frames.map(transferIdHexOf)
}

/**
 * Decides every record of the batch, in order; later records see the payments of earlier ones. Pure: everything it
 * reads comes from `reads` (read-ahead.ts), which throws ReadMissError for what was not read ahead.
 */
export function decideBatch(input: BatchInput, reads: IngestReads, transferIdsHex: readonly string[]): BatchPlan {
  const { batch, frames } = input
  const of = { eui: batch.gatewayEui, chain: input.chain }
  const records = batch.records
  const held = reads.chain(of)
  const chain = held === undefined
    ? { contiguousSeq: 0, contiguousHash: GENESIS_HASH, highestSeq: 0 }
    : { contiguousSeq: held.contiguousSeq, contiguousHash: held.contiguousHash, highestSeq: held.highestSeq }
  if (held !== undefined && held.state !== 'open') return refuseClosedChain(chain, records)
  const first = records[0]!
  const before = first.gatewaySeq === 1 ? { recordHash: GENESIS_HASH } : reads.storedRecord(of, first.gatewaySeq - 1)
  // The batch must continue the history the hub knows; another history is a fork, not money.
  const forkedFrom = before !== undefined && !equalBytes(before.recordHash, first.previousHash) ? before.recordHash : undefined
  const gap = before === undefined
    ? { fromSeq: (chain.highestSeq < first.gatewaySeq ? chain.highestSeq : chain.contiguousSeq) + 1, toSeq: first.gatewaySeq - 1 }
    : null
  const plan: BatchPlan = {
    chain,
    chainClosed: false,
    gap: gap !== null && gap.toSeq >= gap.fromSeq ? gap : null,
    entries: new Array<AckEntry>(records.length),
    rows: new Array<RecordRow | null>(records.length).fill(null),
    forks: [],
    doubleSpends: [],
    settlements: [],
  }
  const known = new KnownUnderVouchers(reads)
  records.forEach((record, index) => {
    const frame = frames[index]!
    const stored = reads.storedRecord(of, record.gatewaySeq)
    if (stored !== undefined) {
      if (equalBytes(stored.recordHash, frame.hash)) {
        plan.entries[index] = stored.outcome === 'rejected'
          ? { gatewaySeq: record.gatewaySeq, outcome: AckOutcome.Rejected, reason: stored.reason as Reason }
          : { gatewaySeq: record.gatewaySeq, outcome: AckOutcome.Duplicate, reason: Reason.None }
      } else {
        refuseFork(plan, index, record, frame, stored.recordHash)
      }
    } else if (forkedFrom !== undefined) {
      refuseFork(plan, index, record, frame, forkedFrom)
    } else {
      decidePayment(plan, input, index, transferIdsHex[index]!, known, reads)
    }
  })
  return plan
}

/**
 * The plan with the ledger's outcome of each planned settlement folded in: a payment the ledger had
 * settled already is a duplicate, one it refused for want of funds is rejected (and proves no double
 * spend). Any other refusal throws a HubFaultError (ledgerRefusalReason): the batch gets no ack, and
 * what the ledger committed of it is found settled when the gateway sends it again. A new plan: the
 * ledger's transaction may run again (PostgreSQL), each time folding its own outcomes into the decision.
 */
export function foldLedgerOutcomes(decided: BatchPlan, outcomes: readonly HoldOutcome[]): BatchPlan {
  assert(outcomes.length === decided.settlements.length, 'one ledger outcome per planned settlement')
  const plan: BatchPlan = {
    ...decided, entries: [...decided.entries], rows: [...decided.rows], doubleSpends: [...decided.doubleSpends],
  }
  outcomes.forEach((result, i) => {
    const { index, flagged } = plan.settlements[i]!
    if (result.status === 'exists' && !flagged) plan.entries[index] = { ...plan.entries[index]!, outcome: AckOutcome.Duplicate }
    if (result.status !== 'conflict' && result.status !== 'refused') return
    const reason = ledgerRefusalReason(result.error)
    plan.rows[index] = { ...plan.rows[index]!, outcome: 'rejected', reason }
    plan.entries[index] = { gatewaySeq: plan.entries[index]!.gatewaySeq, outcome: AckOutcome.Rejected, reason }
    const proof = plan.doubleSpends.findIndex(d => d.index === index)
    if (proof >= 0) plan.doubleSpends.splice(proof, 1)
  })
  return plan
}

/** The chain position after the batch's stored records, as far as they continue the contiguous chain. */
export function chainAfter(chain: ChainState, records: readonly TransferRecord[], rows: ReadonlyArray<RecordRow | null>): ChainState {
  let { contiguousSeq, contiguousHash, highestSeq } = chain
  records.forEach((record, index) => {
    const row = rows[index]
    if (row === null || row === undefined) return
    highestSeq = Math.max(highestSeq, record.gatewaySeq)
    if (record.gatewaySeq === contiguousSeq + 1) {
      contiguousSeq = record.gatewaySeq
      contiguousHash = row.recordHash
    }
  })
  return { contiguousSeq, contiguousHash, highestSeq }
}

/**
 * The vouchers and the payments known under them, each read once per batch and grown as records settle.
 * A voucher's history is read only when a record does not come after everything known under it: for a
 * seq above the highest known, the highest known payment is all a decision can find (a duplicate or a
 * same-seq conflict has the same seq; the one before is the highest; none comes after).
 */
class KnownUnderVouchers {
  private readonly vouchers = new Map<string, VoucherState | undefined>()
  private readonly known = new Map<string, KnownSoFar>()

  constructor(private readonly reads: IngestReads) {}

  voucher(voucherIdHex: string): VoucherState | undefined {
    // Read in turn, not when the batch arrived: an earlier batch may have revoked it since.
    if (!this.vouchers.has(voucherIdHex)) this.vouchers.set(voucherIdHex, this.reads.voucher(voucherIdHex))
    return this.vouchers.get(voucherIdHex)
  }

  /** What a decision on a payment at `seq` under the voucher must see of the payments known under it. */
  paymentsFor(voucherIdHex: string, seq: number): readonly KnownPayment[] {
    let soFar = this.known.get(voucherIdHex)
    if (soFar === undefined) {
      soFar = { highest: this.reads.highestKnownPayment(voucherIdHex), all: undefined, added: [] }
      this.known.set(voucherIdHex, soFar)
    }
    if (soFar.all !== undefined) return soFar.all
    if (soFar.highest === undefined) return []
    if (seq > soFar.highest.seq) return [soFar.highest]
    // What is stored around the batch's records under the voucher, and what earlier records of this batch added (not
    // stored until the batch commits): every payment a decision at one of their seqs must see.
    soFar.all = [...this.reads.knownPaymentsAround(voucherIdHex), ...soFar.added]
    return soFar.all
  }

  /** A payment this batch settles (or flags): later records of the batch see it. */
  add(voucherIdHex: string, payment: KnownPayment): void {
    const soFar = this.known.get(voucherIdHex)
    assert(soFar !== undefined, 'a payment is added under a voucher it was decided against')
    soFar.added.push(payment)
    soFar.all?.push(payment)
    if (soFar.highest === undefined || payment.seq > soFar.highest.seq) soFar.highest = payment
  }
}

/** The payments known under one voucher: the highest, and the whole history once a decision needed it. */
interface KnownSoFar {
  highest: KnownPayment | undefined
  all: KnownPayment[] | undefined
  /** Decided by this batch so far. */
  added: KnownPayment[]
}

/**
 * A batch of a chain that closed after its key was checked (the gateway was provisioned again, or retired, meanwhile):
 * nothing of it is stored or settled, and every record is refused as the old key's.
 */
function refuseClosedChain(chain: ChainState, records: readonly TransferRecord[]): BatchPlan {
  return {
    chain, chainClosed: true, gap: null, forks: [], doubleSpends: [], settlements: [],
    entries: records.map(record => ({ gatewaySeq: record.gatewaySeq, outcome: AckOutcome.Rejected, reason: Reason.ChainClosed })),
    rows: records.map(() => null),
  }
}

function refuseFork(plan: BatchPlan, index: number, record: TransferRecord, frame: RecordFrame, knownHash: Uint8Array): void {
  plan.forks.push({ gatewaySeq: record.gatewaySeq, knownHash, otherRecord: frame.bytes })
  plan.entries[index] = { gatewaySeq: record.gatewaySeq, outcome: AckOutcome.Rejected, reason: Reason.ChainFork }
}

/** A record at a sequence number new to the hub: its payment settles, is flagged, or is refused. */
function decidePayment(
  plan: BatchPlan, input: BatchInput, index: number, transferIdHex: string, known: KnownUnderVouchers, reads: IngestReads,
): void {
  const record = input.batch.records[index]!
  const frame = input.frames[index]!
  const authorization = record.authorization
  const voucherIdHex = toHex(authorization.voucherId)
  const decision = decideRecord({
    authorization, transferIdHex, signatureValid: input.signatureValid[index]!, voucher: known.voucher(voucherIdHex),
    known: known.paymentsFor(voucherIdHex, authorization.seq), finalRefusal: reads.finalRefusal(transferIdHex),
    revocationGrace_ms: input.revocationGrace_ms, clockSkewMax_ms: input.clockSkewMax_ms,
  })
  let outcome: RecordOutcome = 'rejected'
  let reason: Reason = Reason.None
  let echo = false
  if (decision.kind === 'reject') {
    reason = decision.reason
  } else if (decision.kind === 'duplicate') {
    // Known under its voucher already. Either the payment was approved online and this record is
    // its place in the chain, or the gateway put one authorization in its chain twice: a replay,
    // never paid twice.
    const replayed = plan.rows.some(row => counted(row) && row.transferIdHex === transferIdHex)
      || reads.hasRecordOf(voucherIdHex, authorization.seq, transferIdHex)
    if (replayed) reason = Reason.ReplayedAuthorization
    else {
      outcome = 'settled'
      echo = true
    }
  } else if (authorization.currency !== input.merchantCurrency) {
    reason = Reason.CurrencyMismatch
  } else {
    const flagged = decision.doubleSpend !== null
    outcome = flagged ? 'flagged' : 'settled'
    const metadata = { gatewaySeq: record.gatewaySeq, voucherSeq: authorization.seq, mode: record.mode }
    plan.settlements.push({ index, flagged, payment: { authorization, transferIdHex, voucherIdHex, metadata } })
    const { seq, cumulativeMinor, amountMinor } = authorization
    known.add(voucherIdHex, { seq, cumulativeMinor, amountMinor, transferIdHex })
    if (decision.doubleSpend !== null) {
      const conflicting = decision.doubleSpend.conflictingTransferIdHex
      const firstAuthorization = evidenceInBatch(conflicting, plan.rows, input.batch.records) 
        ?? reads.evidenceOf(voucherIdHex, decision.doubleSpend.conflictingSeq, conflicting)
      assert(firstAuthorization !== undefined, 'a conflicting payment is known with its authorization')
      plan.doubleSpends.push({
        index, voucherIdHex, kind: decision.doubleSpend.kind, firstTransferIdHex: conflicting, secondTransferIdHex: transferIdHex,
        firstAuthorization, secondAuthorization: authorizationCodec.encode(authorization),
      })
    }
  }
  plan.rows[index] = toRow(input.batch.gatewayEui, input.chain, record, frame, transferIdHex, voucherIdHex, outcome, reason)
  plan.entries[index] = { gatewaySeq: record.gatewaySeq, outcome: ackOutcome(outcome, echo), reason }
}

function ackOutcome(outcome: RecordOutcome, echo: boolean): AckOutcome {
  if (outcome === 'rejected') return AckOutcome.Rejected
  if (outcome === 'flagged') return AckOutcome.Flagged
  return echo ? AckOutcome.Duplicate : AckOutcome.Settled
}

/**
 * The authorization of a payment this batch settled (or flagged): the first half of a proof. Only
 * a record whose payment counts will do: a refused copy under the same transfer id (the same
 * signed bytes with a corrupted signature) proves nothing.
 */
function evidenceInBatch(
  transferIdHex: string, rows: ReadonlyArray<RecordRow | null>, records: readonly TransferRecord[],
): Uint8Array | undefined {
  const index = rows.findIndex(row => counted(row) && row.transferIdHex === transferIdHex)
  return index < 0 ? undefined : authorizationCodec.encode(records[index]!.authorization)
}

/** A record of this batch whose payment counts (settled or flagged), as the store's COUNTED does for stored ones. */
function counted(row: RecordRow | null): row is RecordRow {
  return row !== null && row.outcome !== 'rejected'
}

function toRow(
  eui: string, chain: number, record: TransferRecord, frame: RecordFrame, transferIdHex: string, voucherIdHex: string,
  outcome: RecordOutcome, reason: Reason,
): RecordRow {
  const a = record.authorization
  return {
    eui, chain, gatewaySeq: record.gatewaySeq, recordHash: frame.hash, transferIdHex, voucherIdHex, voucherSeq: a.seq,
    cumulativeMinor: a.cumulativeMinor, amountMinor: a.amountMinor, currency: a.currency, mode: record.mode,
    timeMs: a.timeMs, record: frame.bytes, outcome, reason,
  }
}
