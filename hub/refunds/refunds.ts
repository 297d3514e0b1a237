// Refunds at the counter (online only): a gateway asks the hub to give back all or part of a
// payment it took. The request is signed with the gateway's key; the hub checks that the payment
// was settled at this gateway, that what was refunded so far plus this refund does not exceed
// it, and moves the money from the merchant's wallet back to the customer's wallet through the
// ledger. The fee already taken stays where it went (as card schemes do by default).
//
// One refund id is one refund: a request sent again (the answer was lost) gets the same answer
// and moves nothing more. Refunds run one at a time on a hub, in a bounded queue. Between hubs on one
// PostgreSQL the queue decides nothing: the "not more than what is left" check is made again in the
// refund's ledger transaction, where its row is written, with the merchant's account locked, so two
// refunds of one payment at two hubs are decided one after the other.

import { toHex } from '../../protocol/bytes'
import type { Clock } from '../../protocol/clock'
import { ProtocolError } from '../../protocol/errors'
import {
  refundRequestCodec, refundResponseCodec, type RefundRequest, type RefundResponse,
} from '../../protocol/messages/refund'
import { Reason } from '../../protocol/reasons'
import { SerialQueue } from '../../protocol/serial-queue'
import type { Ed25519, KeyPair } from '../../protocol/signature/ed25519'
import { signingKeyOf, type GatewayView } from '../gateways/view'
import type { IngestMetrics } from '../ingest/dependencies'
import { asHubFault } from '../ingest/hub-fault'
import { hashParts } from '../ledger/ids'
import type { LedgerStore, TransferOutcome } from '../ledger/store'
import type { TransferKind } from '../ledger/model'
import { refundPostings } from '../ledger/settle'
import type { RefundRow, RefundStore } from './store'
import type { SqlQuery } from '../store/sql'

const REFUND_DOMAIN = 'payall/refund/v1'
const REFUNDABLE_KINDS: ReadonlySet<TransferKind> = new Set(['offline_payment', 'online_payment'])
/**
 * Refund requests queued or running at once; past it a request is refused with QUEUE_FULL and
 * changes nothing (the gateway's wait for the answer times out, and asking again with the same
 * refund id is safe). The MQTT side hands over one request at a time.
 */
export const REFUND_JOBS_MAX = 16

/** The ledger transfer of a refund: one per refund id, whoever asks how often. */
function refundTransferId(refundIdHex: string): string {
  return hashParts([REFUND_DOMAIN, refundIdHex])
}

export interface RefundDependencies {
  store: RefundStore
  ledger: LedgerStore
  /** Refunds read the time; they set no timers. */
  clock: Pick<Clock, 'now_ms'>
  hubKeys: KeyPair
  ed25519: Ed25519
  gateway(eui: string): Promise<GatewayView | undefined>
  /** Counts the faults of the hub that left a request unanswered; nothing is counted where not given. */
  metrics?: Pick<IngestMetrics, 'fault'>
}

export class Refunds {
  private readonly queue = new SerialQueue(REFUND_JOBS_MAX, 'the refunds')
  /** Whether the rows a crash left out have been restored: before the first refund is decided. */
  private orphansRestored = false

  constructor(private readonly deps: RefundDependencies) {}

  /**
   * Answers a RefundRequest published on `payall/v1/gw/{eui}/online/request`. Returns the signed
   * answer, or null when the payload is not a readable request (nothing changes). Rejects with
   * QUEUE_FULL, having changed nothing, when REFUND_JOBS_MAX requests are queued already, and with
   * a HubFaultError, unanswered, when a fault of the hub left it undecided.
   */
  async handle(topicEui: string, payload: Uint8Array): Promise<RefundResponse | null> {
    let request: RefundRequest
    try {
      request = refundRequestCodec.decode(payload)
    } catch (error) {
      if (error instanceof ProtocolError) return null
      throw error
    }
    return this.queue.run(async () => {
      try {
        // A crash between the ledger write and the refunds row leaves the ledger ahead: catch up first.
        if (!this.orphansRestored) {
          await this.deps.store.restoreOrphans()
          this.orphansRestored = true
        }
        return await this.decide(topicEui, request)
      } catch (error) {
        const fault = asHubFault(error)
        this.deps.metrics?.fault(fault.kind)
        throw fault
      }
    })
  }

  /**
   * The refund's row, written in its ledger transaction, after the payment's refunds so far are read again there: the
   * check before it ran outside any transaction, and another hub may have refunded the same payment since. The ledger
   * holds the merchant's account locked by then (PostgreSQL: FOR UPDATE; SQLite: one writer), so two refunds of one
   * payment are decided one after the other, and a refund past the payment rolls its transfer back.
   */
  private async recordIn(sql: SqlQuery, outcome: TransferOutcome, row: RefundRow, payment_minor: number): Promise<void> {
    if (outcome.status === 'exists') {
      // Decided before (another hub, or this one before a crash): its row, if the crash left it out.
      await this.deps.store.insertIn(sql, row)
      return
    }
    if (outcome.status !== 'applied') return
    if (await this.deps.store.refundedMinorIn(sql, row.transferId) + row.amountMinor > payment_minor) throw new RefundCapReached()
    await this.deps.store.insertIn(sql, row)
  }

  private async decide(eui: string, request: RefundRequest): Promise<RefundResponse> {
    const { store, ledger, clock, ed25519 } = this.deps
    const refundIdHex = toHex(request.refundId)
    const transferIdHex = toHex(request.transferId)
    const answer = async (approved: boolean, reason: Reason, amount_minor = 0) => refundResponseCodec.sign({
      refundId: request.refundId, transferId: request.transferId, approved, reason, amountMinor: amount_minor,
      refundedMinor: await store.refundedMinor(transferIdHex), timeMs: clock.now_ms(),
    }, this.deps.hubKeys.secretKey, ed25519)

    const gatewayKey = signingKeyOf(await this.deps.gateway(eui))
    if (gatewayKey === undefined) return answer(false, Reason.GatewayUnknown)
    if (request.gatewayEui !== eui) return answer(false, Reason.WrongGateway)
    if (!refundRequestCodec.verify(request, gatewayKey, ed25519)) return answer(false, Reason.BadGatewaySignature)

    const earlier = await store.byId(refundIdHex)
    if (earlier !== undefined) {
      const same = earlier.transferId === transferIdHex && earlier.amountMinor === request.amountMinor
        && earlier.currency === request.currency && earlier.gatewayEui === eui
      return same ? answer(true, Reason.None, earlier.amountMinor) : answer(false, Reason.RefundIdReused)
    }

    const payment = await ledger.transfer(transferIdHex)
    if (payment === undefined || !REFUNDABLE_KINDS.has(payment.kind) || payment.gatewayEui !== eui) {
      return answer(false, Reason.PaymentNotFound)
    }
    if (payment.currency !== request.currency) return answer(false, Reason.CurrencyMismatch)
    if (await store.refundedMinor(transferIdHex) + request.amountMinor > payment.amountMinor) {
      return answer(false, Reason.RefundExceedsPayment)
    }
    const merchant = payment.postings.find(posting => posting.role === 'merchant')
    const hold = payment.voucherId === null ? undefined : await ledger.hold(payment.voucherId)
    if (merchant === undefined || hold === undefined) return answer(false, Reason.PaymentNotFound)

    const ledgerTransferId = refundTransferId(refundIdHex)
    const row = {
      refundId: refundIdHex, transferId: transferIdHex, ledgerTransferId, gatewayEui: eui,
      amountMinor: request.amountMinor, currency: payment.currency, requestedAtMs: request.timeMs, createdAtMs: clock.now_ms(),
    }
    let outcome: TransferOutcome
    try {
      [outcome] = await ledger.applyTransfers([{
        id: ledgerTransferId,
        kind: 'refund',
        currency: payment.currency,
        postings: refundPostings({
          merchantAccountId: merchant.accountId, customerAccountId: hold.walletAccountId, amountMinor: request.amountMinor,
        }),
        gatewayEui: eui,
        voucherId: payment.voucherId ?? undefined,
        metadata: { refundId: refundIdHex, refundOf: transferIdHex, requestedAtMs: request.timeMs },
      }], (outcomes, sql) => this.recordIn(sql, outcomes[0]!, row, payment.amountMinor)) as [TransferOutcome]
    } catch (error) {
      if (error instanceof RefundCapReached) return answer(false, Reason.RefundExceedsPayment)
      throw error
    }
    if (outcome.status === 'refused' || outcome.status === 'conflict') {
      // Only the merchant's want of funds is a decision about the refund; any other refusal is the
      // hub's own records at fault, never signed as the gateway's (a HubFaultError: no answer).
      if (outcome.error.code !== 'INSUFFICIENT_FUNDS') throw asHubFault(outcome.error)
      return answer(false, Reason.RefundFundsInsufficient)
    }
    return answer(true, Reason.None, request.amountMinor)
  }
}

/** Thrown inside the refund's ledger transaction to roll it back: the payment's refunds would pass its amount. */
class RefundCapReached extends Error {
  override readonly name = 'RefundCapReached'
}
