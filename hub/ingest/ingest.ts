// The hub's side of sync (DESIGN step 6-7): a gateway's RecordBatch is verified, each payment
// is decided and settled once, everything received is stored for audit, and a signed Ack
// answers with one outcome per record. Double spends are flagged with proof and revoked.

import { equalBytes, sha256, toHex } from '../../protocol/bytes'
import { ProtocolError, assert } from '../../protocol/errors'
import { ackCodec, AckOutcome, type Ack, type AckEntry } from '../../protocol/messages/ack'
import { authorizationCodec, transferIdOf } from '../../protocol/messages/authorization'
import { chainHeadCodec } from '../../protocol/messages/chain-head'
import {
  onlineAuthorizationRequestCodec, onlineAuthorizationResponseCodec, type OnlineAuthorizationRequest,
  type OnlineAuthorizationResponse,
} from '../../protocol/messages/online-authorization'
import { decodeRecordBatchFrames, type RecordBatch, type RecordFrame } from '../../protocol/messages/record-batch'
import { GENESIS_HASH, type TransferRecord } from '../../protocol/messages/transfer-record'
import { Reason } from '../../protocol/reasons'
import type { Ed25519, KeyPair } from '../../protocol/signature/ed25519'
import { walletAccountId } from '../accounts'
import type { Clock } from '../../protocol/clock'
import type { LedgerStore, SettleFromHoldInput } from '../ledger/store'
import type { LedgerErrorCode } from '../ledger/errors'
import type { FeeScheduleResolver } from './fees'
import { decideRecord, type KnownPayment, type VoucherState } from './decide'
import type { IngestStore, RecordOutcome, RecordRow, DoubleSpendRow, ChainState } from './store'
import type { SignatureCheck, VerifyPool } from './verify-pool'

export interface IngestGateway {
  eui: string
  type: string
  status: string
  publicKey: Uint8Array | null
  ownerUserId: string | null
  merchantAccountId: string | null
}

export interface IngestSettings {
  /** How long a revocation may take to reach every gateway; payments made before then still settle. */
  revocationGrace_ms: number
  clockSkewMax_ms: number
  /** Batches refused as a whole whose bytes are kept for audit. */
  rejectedBatchesKept_max: number
}

export interface IngestDependencies {
  store: IngestStore
  ledger: LedgerStore
  pool: VerifyPool
  clock: Clock
  hubKeys: KeyPair
  ed25519: Ed25519
  fees: FeeScheduleResolver
  gateway(eui: string): IngestGateway | undefined
  /** Revokes vouchers proven double-spent and publishes the new revocation list. */
  revoke(voucherIdsHex: readonly string[], reason: string): Promise<void>
  settings: IngestSettings
  /** Told after a batch's records are stored (the LoRa path checks its reports against them). */
  recordsStored?(eui: string): void
}

const NO_KEY = new Uint8Array(32)

const LEDGER_REASONS: Partial<Record<LedgerErrorCode, Reason>> = {
  HOLD_NOT_FOUND: Reason.VoucherUnknown,
  CURRENCY_MISMATCH: Reason.CurrencyMismatch,
  INSUFFICIENT_FUNDS: Reason.InsufficientFunds,
}

export class RecordIngest {
  /** Decisions and settlement run one batch at a time, in arrival order; verification overlaps. */
  private serial: Promise<unknown> = Promise.resolve()

  constructor(private readonly deps: IngestDependencies) {}

  /**
   * Processes one payload from `payall/v1/gw/{eui}/records`. Returns the signed Ack to publish,
   * or null when the payload is not a batch of that gateway (kept for audit, nothing changed).
   */
  async ingest(topicEui: string, payload: Uint8Array): Promise<Ack | null> {
    const { deps } = this
    let batch: RecordBatch
    let frames: RecordFrame[]
    try {
      ({ batch, frames } = decodeRecordBatchFrames(payload))
    } catch (error) {
      if (!(error instanceof ProtocolError)) throw error
      this.keepRejected(topicEui, `malformed batch: ${error.code}`, payload)
      return null
    }
    if (batch.gatewayEui !== topicEui) {
      this.keepRejected(topicEui, `batch of ${batch.gatewayEui} published on the topic of ${topicEui}`, payload)
      return null
    }
    const gateway = deps.gateway(topicEui)
    if (gateway === undefined || gateway.status !== 'provisioned' || gateway.publicKey === null) {
      return this.rejectAll(batch, Reason.GatewayUnknown)
    }
    const vouchers = new Map<string, VoucherState | undefined>()
    const checks: SignatureCheck[] = [{
      message: chainHeadCodec.encodeUnsigned(batch.head),
      signature: batch.head.signature,
      publicKey: gateway.publicKey,
    }]
    batch.records.forEach((record, index) => {
      const voucherIdHex = toHex(record.authorization.voucherId)
      if (!vouchers.has(voucherIdHex)) vouchers.set(voucherIdHex, deps.store.voucher(voucherIdHex))
      checks.push({
        message: frames[index]!.authorizationUnsigned,
        signature: record.authorization.signature,
        publicKey: vouchers.get(voucherIdHex)?.devicePublicKey ?? NO_KEY,
      })
    })
    // Verification starts now, overlapping the settlement of earlier batches; settlement itself
    // runs one batch at a time, in arrival order, so each gateway's chain grows in order.
    const verified = deps.pool.verifyAll(checks)
    // Awaited in turn below; a failure meanwhile must not count as unhandled.
    verified.catch(() => undefined)
    const run = this.serial.then(async () => {
      const valid = await verified
      if (!valid[0]) {
        this.keepRejected(topicEui, 'bad gateway signature on the chain head', payload)
        return this.rejectAll(batch, Reason.BadGatewaySignature)
      }
      return this.settle(batch, frames, gateway, valid.slice(1))
    })
    this.serial = run.catch(() => undefined)
    return run
  }

  /**
   * Answers a gateway's real-time authorization (DESIGN step 8) from the live balance: the hold
   * left on the voucher plus the wallet. Approved payments settle at once under the transfer id
   * their record will carry later, so the record settles nothing twice. Returns null for a
   * payload that is not a request of that gateway.
   */
  async authorizeOnline(topicEui: string, payload: Uint8Array): Promise<OnlineAuthorizationResponse | null> {
    let request: OnlineAuthorizationRequest
    try {
      request = onlineAuthorizationRequestCodec.decode(payload)
    } catch (error) {
      if (error instanceof ProtocolError) return null
      throw error
    }
    const run = this.serial.then(() => this.decideOnline(topicEui, request))
    this.serial = run.catch(() => undefined)
    return run
  }

  private async decideOnline(eui: string, request: OnlineAuthorizationRequest): Promise<OnlineAuthorizationResponse> {
    const { store, ledger, clock, settings, hubKeys, ed25519 } = this.deps
    const authorization = request.authorization
    const transferId = transferIdOf(authorization)
    const transferIdHex = toHex(transferId)
    const answer = (approved: boolean, reason: Reason) => onlineAuthorizationResponseCodec.sign(
      { correlationId: request.correlationId, transferId, approved, reason, timeMs: clock.nowMs() },
      hubKeys.secretKey,
      ed25519,
    )
    const gateway = this.deps.gateway(eui)
    if (gateway === undefined || gateway.status !== 'provisioned') return answer(false, Reason.GatewayUnknown)
    if (authorization.gatewayEui !== eui) return answer(false, Reason.WrongGateway)
    const voucherIdHex = toHex(authorization.voucherId)
    const voucher = store.voucher(voucherIdHex)
    const signatureValid = voucher !== undefined && ed25519.verify(
      authorizationCodec.encodeUnsigned(authorization), authorization.signature, voucher.devicePublicKey,
    )
    const known = store.knownPayments(voucherIdHex)
    const decision = decideRecord({
      authorization, transferIdHex, signatureValid, voucher, known,
      revocationGrace_ms: 0, clockSkewMax_ms: settings.clockSkewMax_ms,
    })
    if (decision.kind === 'duplicate') return answer(true, Reason.None)
    if (decision.kind === 'reject') return answer(false, decision.reason)
    if (decision.doubleSpend !== null) {
      // Online, a conflict is caught before any money moves: refuse it, and stop the voucher.
      await this.deps.revoke([voucherIdHex], 'double spend attempted online')
      return answer(false, Reason.DoubleSpend)
    }
    if (authorization.currency !== (await this.merchantCurrency(gateway))) return answer(false, Reason.CurrencyMismatch)
    const hold = await ledger.hold(voucherIdHex)
    const wallet = hold === undefined ? undefined : await ledger.account(hold.walletAccountId)
    const available = (hold === undefined || hold.status === 'released' ? 0 : hold.limitMinor - hold.settledMinor - hold.releasedMinor)
      + Math.max(0, wallet?.balanceMinor ?? 0)
    if (available < authorization.amountMinor) return answer(false, Reason.InsufficientFunds)

    const input: SettleFromHoldInput = {
      transferId: transferIdHex,
      voucherId: voucherIdHex,
      amountMinor: authorization.amountMinor,
      merchantAccountId: gateway.merchantAccountId!,
      ownerAccountId: walletAccountId(gateway.ownerUserId!, authorization.currency),
      feeScheduleId: await this.deps.fees.current(gateway.type, authorization.currency),
      gatewayEui: eui,
      metadata: { voucherSeq: authorization.seq, mode: 'online' },
    }
    await this.openOwnerWallet(gateway, authorization.currency)
    const [outcome] = await ledger.settleFromHolds([input])
    if (outcome!.status === 'refused' || outcome!.status === 'conflict') {
      return answer(false, LEDGER_REASONS[outcome!.error.code] ?? Reason.BadFormat)
    }
    store.recordOnlinePayment({
      transferIdHex, eui, voucherIdHex, voucherSeq: authorization.seq, cumulativeMinor: authorization.cumulativeMinor,
      amountMinor: authorization.amountMinor, authorization: authorizationCodec.encode(authorization), nowMs: clock.nowMs(),
    })
    return answer(true, Reason.None)
  }

  private keepRejected(eui: string, reason: string, payload: Uint8Array): void {
    const { store, clock, settings } = this.deps
    store.keepRejectedBatch(eui, reason, payload, clock.nowMs(), settings.rejectedBatchesKept_max)
  }

  private rejectAll(batch: RecordBatch, reason: Reason): Ack {
    return this.signAck(batch, batch.records.map(record => ({
      gatewaySeq: record.gatewaySeq, outcome: AckOutcome.Rejected, reason,
    })))
  }

  private signAck(batch: RecordBatch, entries: AckEntry[]): Ack {
    const { hubKeys, ed25519, clock } = this.deps
    return ackCodec.sign(
      { gatewayEui: batch.gatewayEui, headSeq: batch.head.gatewaySeq, timeMs: clock.nowMs(), entries },
      hubKeys.secretKey,
      ed25519,
    )
  }

  private async settle(
    batch: RecordBatch,
    frames: readonly RecordFrame[],
    gateway: IngestGateway,
    signatureValid: readonly boolean[],
  ): Promise<Ack> {
    const { store, ledger, clock, settings } = this.deps
    const nowMs = clock.nowMs()
    const eui = batch.gatewayEui
    const records = batch.records
    const chain: ChainState = store.chain(eui) ?? { contiguousSeq: 0, contiguousHash: GENESIS_HASH, highestSeq: 0 }

    const first = records[0]!
    const before = first.gatewaySeq === 1
      ? { recordHash: GENESIS_HASH }
      : store.storedRecord(eui, first.gatewaySeq - 1)
    // The batch must continue the history the hub knows; another history is a fork, not money.
    const forkedAtStart = before !== undefined && !equalBytes(before.recordHash, first.previousHash)
    const gap = before === undefined
      ? { fromSeq: (chain.highestSeq < first.gatewaySeq ? chain.highestSeq : chain.contiguousSeq) + 1, toSeq: first.gatewaySeq - 1 }
      : null

    const entries: AckEntry[] = new Array(records.length)
    const rows: Array<RecordRow | null> = new Array(records.length).fill(null)
    const forks: Array<{ gatewaySeq: number; knownHash: Uint8Array; otherRecord: Uint8Array }> = []
    const known = new Map<string, KnownPayment[]>()
    const vouchers = new Map<string, VoucherState | undefined>()
    const doubleSpends: Array<DoubleSpendRow & { index: number }> = []
    const settles: Array<{ index: number; input: SettleFromHoldInput; flagged: boolean }> = []
    const merchantCurrency = await this.merchantCurrency(gateway)
    const feeSchedules = new Map<string, string>()
    const echoes = new Set<number>()

    for (let index = 0; index < records.length; index++) {
      const record = records[index]!
      const frame = frames[index]!
      const hash = frame.hash
      const stored = store.storedRecord(eui, record.gatewaySeq)
      if (stored !== undefined) {
        if (equalBytes(stored.recordHash, hash)) {
          entries[index] = stored.outcome === 'rejected'
            ? { gatewaySeq: record.gatewaySeq, outcome: AckOutcome.Rejected, reason: stored.reason as Reason }
            : { gatewaySeq: record.gatewaySeq, outcome: AckOutcome.Duplicate, reason: Reason.None }
        } else {
          forks.push({ gatewaySeq: record.gatewaySeq, knownHash: stored.recordHash, otherRecord: frame.bytes })
          entries[index] = { gatewaySeq: record.gatewaySeq, outcome: AckOutcome.Rejected, reason: Reason.ChainFork }
        }
        continue
      }
      if (forkedAtStart) {
        forks.push({ gatewaySeq: record.gatewaySeq, knownHash: before!.recordHash, otherRecord: frame.bytes })
        entries[index] = { gatewaySeq: record.gatewaySeq, outcome: AckOutcome.Rejected, reason: Reason.ChainFork }
        continue
      }

      const authorization = record.authorization
      const voucherIdHex = toHex(authorization.voucherId)
      // The transfer id: SHA-256 of the bytes the customer signed (protocol transferIdOf).
      const transferIdHex = toHex(sha256(frame.authorizationUnsigned))
      // Read again here, in turn: an earlier batch may have revoked it since this one arrived.
      if (!vouchers.has(voucherIdHex)) vouchers.set(voucherIdHex, store.voucher(voucherIdHex))
      const voucher = vouchers.get(voucherIdHex)
      let payments = known.get(voucherIdHex)
      if (payments === undefined) {
        payments = store.knownPayments(voucherIdHex)
        known.set(voucherIdHex, payments)
      }
      const decision = decideRecord({
        authorization, transferIdHex, signatureValid: signatureValid[index]!, voucher, known: payments,
        revocationGrace_ms: settings.revocationGrace_ms, clockSkewMax_ms: settings.clockSkewMax_ms,
      })

      let outcome: RecordOutcome = 'rejected'
      let reason: Reason = Reason.None
      if (decision.kind === 'reject') {
        reason = decision.reason
      } else if (decision.kind === 'duplicate') {
        // Known under its voucher already. Either the payment was approved online and this record
        // is its place in the chain, or the gateway put one authorization in its chain twice: a
        // replay, never paid twice.
        const replayed = rows.some(row => row?.transferIdHex === transferIdHex) || store.hasRecordOf(transferIdHex)
        if (replayed) reason = Reason.ReplayedAuthorization
        else {
          outcome = 'settled'
          echoes.add(index)
        }
      } else if (authorization.currency !== merchantCurrency) {
        reason = Reason.CurrencyMismatch
      } else {
        const flagged = decision.doubleSpend !== null
        outcome = flagged ? 'flagged' : 'settled'
        settles.push({
          index,
          flagged,
          input: {
            transferId: transferIdHex,
            voucherId: voucherIdHex,
            amountMinor: authorization.amountMinor,
            merchantAccountId: gateway.merchantAccountId!,
            ownerAccountId: walletAccountId(gateway.ownerUserId!, authorization.currency),
            feeScheduleId: await this.feeSchedule(feeSchedules, gateway.type, authorization.currency),
            gatewayEui: eui,
            metadata: { gatewaySeq: record.gatewaySeq, voucherSeq: authorization.seq, mode: record.mode },
          },
        })
        payments.push({
          seq: authorization.seq, cumulativeMinor: authorization.cumulativeMinor, amountMinor: authorization.amountMinor, transferIdHex,
        })
        if (decision.doubleSpend !== null) {
          const conflicting = decision.doubleSpend.conflictingTransferIdHex
          const firstAuthorization = this.evidenceInBatch(conflicting, rows, records) ?? store.evidenceOf(conflicting)
          assert(firstAuthorization !== undefined, 'a conflicting payment is known with its authorization')
          doubleSpends.push({
            index,
            voucherIdHex,
            kind: decision.doubleSpend.kind,
            firstTransferIdHex: conflicting,
            secondTransferIdHex: transferIdHex,
            firstAuthorization,
            secondAuthorization: authorizationCodec.encode(authorization),
          })
        }
      }
      rows[index] = toRow(eui, record, frame, transferIdHex, voucherIdHex, outcome, reason)
      entries[index] = {
        gatewaySeq: record.gatewaySeq,
        outcome: outcome === 'rejected'
          ? AckOutcome.Rejected
          : outcome === 'flagged' ? AckOutcome.Flagged : echoes.has(index) ? AckOutcome.Duplicate : AckOutcome.Settled,
        reason,
      }
    }

    if (settles.length > 0) {
      for (const currency of new Set(settles.map(s => records[s.index]!.authorization.currency))) {
        await this.openOwnerWallet(gateway, currency)
      }
      const outcomes = await ledger.settleFromHolds(settles.map(s => s.input))
      outcomes.forEach((result, i) => {
        const { index, flagged } = settles[i]!
        if (result.status === 'exists' && !flagged) entries[index] = { ...entries[index]!, outcome: AckOutcome.Duplicate }
        if (result.status !== 'conflict' && result.status !== 'refused') return
        const reason = LEDGER_REASONS[result.error.code] ?? Reason.BadFormat
        rows[index] = { ...rows[index]!, outcome: 'rejected', reason }
        entries[index] = { gatewaySeq: records[index]!.gatewaySeq, outcome: AckOutcome.Rejected, reason }
        const proof = doubleSpends.findIndex(d => d.index === index)
        if (proof >= 0) doubleSpends.splice(proof, 1)
      })
    }

    const newRows = rows.filter((row): row is RecordRow => row !== null)
    store.write({
      eui,
      records: newRows,
      chain: store.advanceContiguous(eui, advance(chain, records, rows)),
      head: chainHeadCodec.encode(batch.head),
      gap: gap !== null && gap.toSeq >= gap.fromSeq ? gap : null,
      forks,
      doubleSpends: doubleSpends.map(({ index: _index, ...row }) => row),
      nowMs,
    })
    this.deps.recordsStored?.(eui)
    if (doubleSpends.length > 0) {
      await this.deps.revoke([...new Set(doubleSpends.map(d => d.voucherIdHex))], 'double spend')
    }
    return this.signAck(batch, entries)
  }

  /** The fee schedule in force for new transfers, looked up once per batch. */
  private async feeSchedule(memo: Map<string, string>, gatewayType: string, currency: string): Promise<string> {
    const key = `${gatewayType}/${currency}`
    let id = memo.get(key)
    if (id === undefined) {
      id = await this.deps.fees.current(gatewayType, currency)
      memo.set(key, id)
    }
    return id
  }

  private evidenceInBatch(transferIdHex: string, rows: ReadonlyArray<RecordRow | null>, records: readonly TransferRecord[]) {
    const index = rows.findIndex(row => row?.transferIdHex === transferIdHex)
    return index < 0 ? undefined : authorizationCodec.encode(records[index]!.authorization)
  }

  private merchantCurrencies = new Map<string, string>()

  private async merchantCurrency(gateway: IngestGateway): Promise<string | undefined> {
    const id = gateway.merchantAccountId
    if (id === null) return undefined
    let currency = this.merchantCurrencies.get(id)
    if (currency === undefined) {
      currency = (await this.deps.ledger.account(id))?.currency
      if (currency !== undefined) this.merchantCurrencies.set(id, currency)
    }
    return currency
  }

  private openedWallets = new Set<string>()

  /** The owner's wallet in the payment's currency receives the owner share: open it on first use. */
  private async openOwnerWallet(gateway: IngestGateway, currency: string): Promise<void> {
    const id = walletAccountId(gateway.ownerUserId!, currency)
    if (this.openedWallets.has(id)) return
    await this.deps.ledger.openWallet({ id, userId: gateway.ownerUserId, currency })
    this.openedWallets.add(id)
  }
}

function toRow(
  eui: string, record: TransferRecord, frame: RecordFrame, transferIdHex: string, voucherIdHex: string,
  outcome: RecordOutcome, reason: Reason,
): RecordRow {
  const a = record.authorization
  return {
    eui, gatewaySeq: record.gatewaySeq, recordHash: frame.hash, transferIdHex, voucherIdHex, voucherSeq: a.seq,
    cumulativeMinor: a.cumulativeMinor, amountMinor: a.amountMinor, currency: a.currency, mode: record.mode,
    timeMs: a.timeMs, record: frame.bytes, outcome, reason,
  }
}

/** The chain position after the batch's stored records, as far as they continue the contiguous chain. */
function advance(chain: ChainState, records: readonly TransferRecord[], rows: ReadonlyArray<RecordRow | null>): ChainState {
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
