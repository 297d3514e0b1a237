// A gateway's real-time authorization request (DESIGN step 8), answered from the live balance:
// the hold left on the voucher plus the wallet. An approved payment settles at once under the
// transfer id its record will carry later, so the record settles nothing twice.

import { toHex } from '../../protocol/bytes'
import { assert, ProtocolError } from '../../protocol/errors'
import { authorizationCodec, transferIdOf, type Authorization } from '../../protocol/messages/authorization'
import {
  onlineAuthorizationRequestCodec, onlineAuthorizationResponseCodec, type OnlineAuthorizationRequest,
  type OnlineAuthorizationResponse,
} from '../../protocol/messages/online-authorization'
import { Reason } from '../../protocol/reasons'
import type { SerialQueue } from '../../protocol/serial-queue'
import { decideRecord, isFinalRefusal } from './decide'
import type { IngestDependencies } from './dependencies'
import { asHubFault } from './hub-fault'
import { ledgerRefusalReason, type Settlement } from './settlement'
import { StaleDecisionError } from './store'

/** Decisions of one online request, each after another hub stored a payment under its voucher meanwhile. */
const DECISIONS_RACED_MAX = 8

export class OnlineAuthorization {
  constructor(
    private readonly deps: IngestDependencies,
    /** Shared with batch ingest: decisions and settlement run one at a time, in arrival order. */
    private readonly queue: SerialQueue,
    private readonly settlement: Settlement,
  ) {}

  /**
   * Answers one payload from `payall/v1/gw/{eui}/online/request`, or returns null for a payload
   * that is not a request. Rejects with QUEUE_FULL, having changed nothing, when the queue is full,
   * and with a HubFaultError, unanswered, when the hub failed to decide.
   */
  async authorize(topicEui: string, payload: Uint8Array): Promise<OnlineAuthorizationResponse | null> {
    const request = requestOf(payload)
    if (request === null) return null
    return this.queue.run(async () => {
      try {
        const [approved, reason] = await this.decideRaced(topicEui, request.authorization)
        // On file before the answer goes out: a later online copy of this payment gets the same refusal.
        if (!approved && isFinalRefusal(reason)) {
          await this.deps.store.recordOnlineRefusal(toHex(transferIdOf(request.authorization)), reason, topicEui, this.deps.clock.now_ms())
        }
        return onlineAuthorizationResponseCodec.sign({
          correlationId: request.correlationId, transferId: transferIdOf(request.authorization), approved, reason,
          timeMs: this.deps.clock.now_ms(),
        }, this.deps.hubKeys.secretKey, this.deps.ed25519)
      } catch (error) {
        // Undecided: the MQTT side answers it so (undecided()), never with a decision about the payment.
        const fault = asHubFault(error)
        this.deps.metrics?.fault(fault.kind)
        throw fault
      }
    })
  }

  /**
   * The answer to a request the hub could not decide (a fault of its own, or its queue full): signed,
   * not approved, HubUnavailable, which says nothing about the payment and is kept nowhere. The
   * gateway takes it as no answer without waiting out its timeout: the customer at the counter is
   * told at once, or the payment is taken offline as the gateway's mode allows. Null for a payload
   * that is not a request.
   */
  undecided(payload: Uint8Array): OnlineAuthorizationResponse | null {
    const request = requestOf(payload)
    if (request === null) return null
    return onlineAuthorizationResponseCodec.sign({
      correlationId: request.correlationId, transferId: transferIdOf(request.authorization), approved: false,
      reason: Reason.HubUnavailable, timeMs: this.deps.clock.now_ms(),
    }, this.deps.hubKeys.secretKey, this.deps.ed25519)
  }

  /**
   * As decide, again over what is stored now when another hub stored a payment under the voucher between this
   * decision's reads and its settlement (StaleDecisionError, nothing of it written), a bounded number of times.
   */
  private async decideRaced(eui: string, authorization: Authorization): Promise<[boolean, Reason]> {
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await this.decide(eui, authorization)
      } catch (error) {
        if (!(error instanceof StaleDecisionError) || attempt >= DECISIONS_RACED_MAX) throw error
      }
    }
  }

  /** Approved, or declined and why; an approved payment is settled and on file when this returns. */
  private async decide(eui: string, authorization: Authorization): Promise<[boolean, Reason]> {
    const { store, clock, settings, ed25519 } = this.deps
    const transferIdHex = toHex(transferIdOf(authorization))
    const gateway = await this.deps.gateway(eui)
    if (gateway === undefined || gateway.status !== 'provisioned') return [false, Reason.GatewayUnknown]
    if (authorization.gatewayEui !== eui) return [false, Reason.WrongGateway]
    // Its gateway gave up on it and voided it (void.ts): a late copy is never approved, even one the hub had settled.
    if ((await store.voidOf(transferIdHex)) !== undefined) return [false, Reason.OnlineRequestVoided]
    const voucherIdHex = toHex(authorization.voucherId)
    const voucher = await store.voucher(voucherIdHex)
    const signatureValid = voucher !== undefined && ed25519.verify(
      authorizationCodec.encodeUnsigned(authorization), authorization.signature, voucher.devicePublicKey,
    )
    const decision = decideRecord({
      authorization, transferIdHex, signatureValid, voucher, known: await store.knownPaymentsAround(voucherIdHex, authorization.seq, authorization.seq),
      finalRefusal: await store.refusalForOnline(transferIdHex), revocationGrace_ms: 0, clockSkewMax_ms: settings.clockSkewMax_ms,
    })
    if (decision.kind === 'duplicate') return [true, Reason.None]
    if (decision.kind === 'reject') return [false, decision.reason]
    if (decision.doubleSpend !== null) {
      // Online, a conflict is caught before any money moves: refuse it, keep both signed authorizations as
      // proof for the operator, as a batch would, and stop the voucher.
      const conflicting = decision.doubleSpend.conflictingTransferIdHex
      const firstAuthorization = await store.evidenceOf(voucherIdHex, decision.doubleSpend.conflictingSeq, conflicting)
      assert(firstAuthorization !== undefined, 'a conflicting payment is known with its authorization')
      const now_ms = clock.now_ms()
      const flagId = await store.recordDoubleSpend({
        voucherIdHex, kind: decision.doubleSpend.kind, firstTransferIdHex: conflicting, secondTransferIdHex: transferIdHex,
        firstAuthorization, secondAuthorization: authorizationCodec.encode(authorization),
      }, now_ms)
      if (flagId !== null) {
        this.deps.events.publish({ type: 'doublespend.flagged', data: { flagId, gatewayId: gateway.id, voucherId: voucherIdHex, atMs: now_ms } })
      }
      await this.deps.revoke([voucherIdHex], 'double spend attempted online')
      return [false, Reason.DoubleSpend]
    }
    if (authorization.currency !== (await this.settlement.merchantCurrency(gateway))) return [false, Reason.CurrencyMismatch]
    if (await this.availableMinor(voucherIdHex) < authorization.amountMinor) return [false, Reason.InsufficientFunds]

    const metadata = { voucherSeq: authorization.seq, mode: 'online' }
    const approval = {
      transferIdHex, eui, voucherIdHex, voucherSeq: authorization.seq, cumulativeMinor: authorization.cumulativeMinor,
      amountMinor: authorization.amountMinor, authorization: authorizationCodec.encode(authorization), nowMs: clock.now_ms(),
    }
    // The approval is on file in the transaction that settles it: on every hub, a later copy finds both or neither.
    const [outcome] = await this.settlement.settle(gateway, [{ authorization, transferIdHex, voucherIdHex, metadata }],
      async ([settled], sql) => {
        if (settled!.status !== 'applied' && settled!.status !== 'exists') return
        // Under the hold's lock: no copy of it, and no payment it conflicts with, stored by another hub meanwhile.
        await store.checkSettled(sql, [{
          voucherIdHex, transferIdHex, seq: authorization.seq, cumulativeMinor: authorization.cumulativeMinor,
          amountMinor: authorization.amountMinor, flagged: false,
        }])
        await store.recordOnlinePayment(sql, approval)
      })
    if (outcome!.status === 'refused' || outcome!.status === 'conflict') return [false, ledgerRefusalReason(outcome!.error)]
    // The gateway shows "approved" on this answer: the settlement must be on disk first.
    await this.deps.ledger.settlementsDurable()
    return [true, Reason.None]
  }

  /** What the customer can pay now: what is left of the voucher's hold, plus a wallet in credit. */
  private async availableMinor(voucherIdHex: string): Promise<number> {
    const { ledger } = this.deps
    const hold = await ledger.hold(voucherIdHex)
    const wallet = hold === undefined ? undefined : await ledger.account(hold.walletAccountId)
    const left = hold === undefined || hold.status === 'released' ? 0 : hold.limitMinor - hold.settledMinor - hold.releasedMinor
    return left + Math.max(0, wallet?.balanceMinor ?? 0)
  }
}

/** The request a payload carries, or null for one that is not a request. */
function requestOf(payload: Uint8Array): OnlineAuthorizationRequest | null {
  try {
    return onlineAuthorizationRequestCodec.decode(payload)
  } catch (error) {
    if (error instanceof ProtocolError) return null
    throw error
  }
}
