// What happens to one customer-signed payment record at the hub: a pure decision over the
// voucher and the payments already known under it. Settling, storing and acking are elsewhere.

import type { AuthorizationBody } from '../../protocol/messages/authorization'
import { Reason } from '../../protocol/reasons'

export interface VoucherState {
  voucherIdHex: string
  devicePublicKey: Uint8Array
  currency: string
  limitMinor: number
  issuedAtMs: number
  expiresAtMs: number
  /** When the hub revoked it; payments made before then (plus the propagation grace) still settle. */
  revokedAtMs: number | null
}

/** A payment already accepted under the same voucher (from any gateway). */
export interface KnownPayment {
  seq: number
  cumulativeMinor: number
  amountMinor: number
  transferIdHex: string
}

type DoubleSpendKind = 'same_seq' | 'cumulative'

/** The payment already known under the voucher that a new one conflicts with: its id and its seq there. */
interface DoubleSpend {
  readonly kind: DoubleSpendKind
  readonly conflictingTransferIdHex: string
  readonly conflictingSeq: number
}

export type RecordDecision =
  | { kind: 'duplicate' }
  | { kind: 'reject'; reason: Reason }
  | { kind: 'settle'; doubleSpend: null | DoubleSpend }

export interface DecisionInput {
  authorization: AuthorizationBody
  transferIdHex: string
  signatureValid: boolean
  voucher: VoucherState | undefined
  /** Every payment known under the voucher, in any order. */
  known: readonly KnownPayment[]
  /**
   * The final refusal (FINAL_REFUSALS) that binds this copy, if any: for a record, one the hub signed into an ack,
   * or OnlineRequestVoided for a payment its gateway voided; for an online request, those or one signed into an
   * online answer.
   */
  finalRefusal: Reason | undefined
  /** How long a revocation may take to reach every gateway. */
  revocationGrace_ms: number
  clockSkewMax_ms: number
}

/**
 * The refusals that are final for a transfer id: once the hub has signed one of them into an ack,
 * every later copy of that id (another gateway seq, another batch, the online path) gets the same
 * answer, even after its cause went away (funds arrived, a limit was raised). Each is a decision
 * about the payment itself, reached only once the customer's signature verified under a voucher the
 * hub knows, so it is the customer's own payment that is refused.
 *
 * One signed into an online answer binds later online copies only. A gateway whose request went
 * unanswered (the answer lost with its link) may take the payment offline under the prefer-online
 * policy, and the merchant hands the goods over: that record is decided on its own, as any offline
 * payment, paid from the voucher's hold and flagged if it conflicts (DESIGN step 7). Binding it to
 * the refusal nobody at the counter saw left the merchant unpaid (fault simulation, seed soak1.25).
 *
 * Not final, and kept per record only: refusals that do not prove the customer signed it
 * (BadCustomerSignature, VoucherUnknown): the id is the hash of the unsigned bytes, so a corrupted
 * copy shares the id of the real payment and would otherwise block it; refusals of the carrier,
 * not of the payment (GatewayUnknown, BadGatewaySignature, WrongGateway, ChainFork); and
 * ReplayedAuthorization, which refuses a second record of a payment that did settle.
 */
export const FINAL_REFUSALS: readonly Reason[] = [
  Reason.CurrencyMismatch, Reason.VoucherNotYetValid, Reason.VoucherExpired, Reason.VoucherRevoked,
  Reason.OverVoucherLimit, Reason.InsufficientFunds, Reason.DoubleSpend,
]

export function isFinalRefusal(reason: Reason): boolean {
  return FINAL_REFUSALS.includes(reason)
}

export function decideRecord(input: DecisionInput): RecordDecision {
  const { authorization, voucher, known } = input
  // A payment its gateway voided was given back (or never approved): a copy signed by the customer is refused
  // so, even one the hub had settled online and knows, so its gateway never reads it as paid.
  if (input.signatureValid && input.finalRefusal === Reason.OnlineRequestVoided) return { kind: 'reject', reason: Reason.OnlineRequestVoided }
  // Only the customer's signature makes a copy the payment already known: one with a corrupted
  // signature carries the same transfer id, but stands in for nothing.
  if (input.signatureValid && known.some(payment => payment.transferIdHex === input.transferIdHex)) {
    return { kind: 'duplicate' }
  }
  if (voucher === undefined) return { kind: 'reject', reason: Reason.VoucherUnknown }
  if (!input.signatureValid) return { kind: 'reject', reason: Reason.BadCustomerSignature }
  // The customer signed this very payment and the hub refused it for good before: same answer.
  if (input.finalRefusal !== undefined) return { kind: 'reject', reason: input.finalRefusal }
  if (authorization.currency !== voucher.currency) return { kind: 'reject', reason: Reason.CurrencyMismatch }
  if (authorization.timeMs + input.clockSkewMax_ms < voucher.issuedAtMs) {
    return { kind: 'reject', reason: Reason.VoucherNotYetValid }
  }
  if (authorization.timeMs > voucher.expiresAtMs) return { kind: 'reject', reason: Reason.VoucherExpired }
  if (voucher.revokedAtMs !== null && authorization.timeMs > voucher.revokedAtMs + input.revocationGrace_ms) {
    return { kind: 'reject', reason: Reason.VoucherRevoked }
  }
  // A gateway must refuse a cumulative beyond the limit offline; one that did not is at fault,
  // so the payment is refused rather than charged to the customer.
  if (authorization.cumulativeMinor > voucher.limitMinor) return { kind: 'reject', reason: Reason.OverVoucherLimit }
  return { kind: 'settle', doubleSpend: findDoubleSpend(authorization, known) }
}

/**
 * Two different payments with one seq, or cumulative amounts that cannot both be true, are
 * signed by the customer's own key: proof of a double spend. Honest phones never produce them.
 */
export function findDoubleSpend(
  authorization: Pick<AuthorizationBody, 'seq' | 'cumulativeMinor' | 'amountMinor'>,
  known: readonly KnownPayment[],
): DoubleSpend | null {
  let previous: KnownPayment | undefined
  let next: KnownPayment | undefined
  for (const payment of known) {
    if (payment.seq === authorization.seq) {
      return { kind: 'same_seq', conflictingTransferIdHex: payment.transferIdHex, conflictingSeq: payment.seq }
    }
    if (payment.seq < authorization.seq && (previous === undefined || payment.seq > previous.seq)) previous = payment
    if (payment.seq > authorization.seq && (next === undefined || payment.seq < next.seq)) next = payment
  }
  const spentBefore = authorization.cumulativeMinor - authorization.amountMinor
  if (previous !== undefined && spentBefore < previous.cumulativeMinor) {
    return { kind: 'cumulative', conflictingTransferIdHex: previous.transferIdHex, conflictingSeq: previous.seq }
  }
  if (next !== undefined && next.cumulativeMinor - next.amountMinor < authorization.cumulativeMinor) {
    return { kind: 'cumulative', conflictingTransferIdHex: next.transferIdHex, conflictingSeq: next.seq }
  }
  return null
}
