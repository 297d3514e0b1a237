// A gateway voiding an online request it got no answer to and took no record of (protocol
// online-void.ts). Run on the ingest's queue, after any copy of the request that came first: an
// approval the hub made is given back by a reversal transfer (each fee share returned, the amount
// back to the customer's wallet), and the payment is never approved online afterwards. One answer
// per transfer id, however often the void comes.

import { toHex } from '../../protocol/bytes'
import { ProtocolError } from '../../protocol/errors'
import {
  onlineVoidRequestCodec, onlineVoidResponseCodec, type OnlineVoidRequest, type OnlineVoidResponse,
} from '../../protocol/messages/online-void'
import { Reason } from '../../protocol/reasons'
import type { SerialQueue } from '../../protocol/serial-queue'
import { signingKeyOf } from '../gateways/view'
import { hashParts } from '../ledger/ids'
import type { PostingInput, Transfer } from '../ledger/model'
import type { IngestDependencies } from './dependencies'
import { asHubFault } from './hub-fault'

const VOID_DOMAIN = 'payall/online-void/v1'

/** The ledger transfer that gives back a voided online approval: one per payment. */
export function reversalTransferId(transferIdHex: string): string {
  return hashParts([VOID_DOMAIN, transferIdHex])
}

/** Every fee share of the approval returned, and the whole amount back to the customer's wallet. */
function reversalPostings(payment: Transfer, walletAccountId: string): PostingInput[] {
  const credited = payment.postings.filter(posting => posting.amountMinor > 0)
  return [
    ...credited.map(posting => ({ accountId: posting.accountId, amountMinor: -posting.amountMinor, role: posting.role })),
    { accountId: walletAccountId, amountMinor: payment.amountMinor, role: 'payee' as const },
  ]
}

export class OnlineVoids {
  constructor(private readonly deps: IngestDependencies, private readonly queue: SerialQueue) {}

  /**
   * Answers a payload from `payall/v1/gw/{eui}/online/request` that is an OnlineVoidRequest, or
   * returns null for one that is not readable. Rejects with QUEUE_FULL, having changed nothing,
   * when the queue is full, and with a HubFaultError, unanswered, when the hub failed to decide:
   * the gateway sends the void again.
   */
  async handle(topicEui: string, payload: Uint8Array): Promise<OnlineVoidResponse | null> {
    let request: OnlineVoidRequest
    try {
      request = onlineVoidRequestCodec.decode(payload)
    } catch (error) {
      if (error instanceof ProtocolError) return null
      throw error
    }
    return this.queue.run(async () => {
      try {
        const [voided, reason, reversed_minor] = await this.decide(topicEui, request)
        this.deps.metrics?.voided(!voided ? 'refused' : reversed_minor > 0 ? 'reversed' : 'nothing_approved')
        return onlineVoidResponseCodec.sign({
          transferId: request.transferId, voided, reason, reversedMinor: reversed_minor, timeMs: this.deps.clock.now_ms(),
        }, this.deps.hubKeys.secretKey, this.deps.ed25519)
      } catch (error) {
        const fault = asHubFault(error)
        this.deps.metrics?.fault(fault.kind)
        throw fault
      }
    })
  }

  private async decide(eui: string, request: OnlineVoidRequest): Promise<[boolean, Reason, number]> {
    const { store, ledger, clock } = this.deps
    const gatewayKey = signingKeyOf(await this.deps.gateway(eui))
    if (gatewayKey === undefined) return [false, Reason.GatewayUnknown, 0]
    if (request.gatewayEui !== eui) return [false, Reason.WrongGateway, 0]
    if (!onlineVoidRequestCodec.verify(request, gatewayKey, this.deps.ed25519)) return [false, Reason.BadGatewaySignature, 0]

    const transferIdHex = toHex(request.transferId)
    const earlier = await store.voidOf(transferIdHex)
    if (earlier !== undefined) return this.answerOf(earlier, eui)
    const approval = await store.onlinePayment(transferIdHex)
    const payment = await ledger.transfer(transferIdHex)
    if (approval === undefined) {
      // Settled from a record, never online: the gateway holds it, and a refund is the way back.
      if (payment !== undefined) return [false, Reason.PaymentRecorded, 0]
      const entry = { transferIdHex, eui, reversedMinor: 0, reversalTransferId: null, nowMs: clock.now_ms() }
      return await store.recordVoid(entry) ? [true, Reason.None, 0] : this.answerOf((await store.voidOf(transferIdHex))!, eui)
    }
    if (approval.eui !== eui) return [false, Reason.WrongGateway, 0]
    if (await store.hasRecordOf(approval.voucherIdHex, approval.voucherSeq, transferIdHex)) return [false, Reason.PaymentRecorded, 0]

    const hold = await ledger.hold(approval.voucherIdHex)
    if (payment === undefined || hold === undefined) {
      throw asHubFault(new Error(`the online approval ${transferIdHex} has no transfer or hold in the ledger`))
    }
    const reversalId = reversalTransferId(transferIdHex)
    const [outcome] = await ledger.applyTransfers([{
      id: reversalId, kind: 'reversal', currency: payment.currency, postings: reversalPostings(payment, hold.walletAccountId),
      gatewayEui: eui, voucherId: approval.voucherIdHex,
      metadata: { reversalOf: transferIdHex, why: 'online request voided by its gateway, unanswered and not recorded' },
    }])
    if (outcome!.status === 'refused' || outcome!.status === 'conflict') {
      // The merchant paid the money out since: a decision about the void, which stays with the operator.
      if (outcome!.error.code !== 'INSUFFICIENT_FUNDS') throw asHubFault(outcome!.error)
      return [false, Reason.RefundFundsInsufficient, 0]
    }
    // A void another hub recorded first (the same reversal, by its id) stands: one answer per transfer id.
    const entry = { transferIdHex, eui, reversedMinor: payment.amountMinor, reversalTransferId: reversalId, nowMs: clock.now_ms() }
    if (!await store.recordVoid(entry)) return this.answerOf((await store.voidOf(transferIdHex))!, eui)
    // The gateway forgets the payment on this answer: the reversal must be on disk first.
    await ledger.settlementsDurable()
    return [true, Reason.None, payment.amountMinor]
  }

  /** The answer a void recorded before gives every later copy: voided for its own gateway. */
  private answerOf(earlier: { eui: string; reversedMinor: number }, eui: string): [boolean, Reason, number] {
    return earlier.eui === eui ? [true, Reason.None, earlier.reversedMinor] : [false, Reason.WrongGateway, 0]
  }
}
