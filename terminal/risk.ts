// The gateway's checks on a phone's answer (DESIGN "The offline payment", step 4), as pure
// functions over plain data: no clock, no database, no network. Each decline carries a Reason
// code shared with the hub, so the merchant sees the same words whichever side refused.

import { equalBytes, toHex } from '../protocol/bytes'
import { authorizationCodec } from '../protocol/messages/authorization'
import type { PaymentResponse } from '../protocol/messages/payment-response'
import type { RiskConfigBody } from '../protocol/messages/risk-config'
import { voucherCodec } from '../protocol/messages/voucher'
import { Reason } from '../protocol/reasons'
import type { Ed25519 } from '../protocol/signature/ed25519'

/** What this gateway has seen of one voucher: a payment must go beyond it. */
export interface VoucherSeen {
  readonly highestSeq: number
  readonly cumulativeMinor: number
  readonly consecutiveOffline: number
}

/** The offline risk this gateway carries: offline records the hub has not acked yet. */
export interface Exposure {
  readonly unsyncedCount: number
  readonly unsyncedTotalMinor: number
  readonly oldestUnsyncedTimeMs: number | null
}

/** What the gateway sent the phone: the answer must echo it. */
export interface SentRequest {
  readonly gatewayEui: string
  readonly amountMinor: number
  readonly currency: string
  readonly nonce: Uint8Array
  readonly timeMs: number
}

export type Verdict =
  | { readonly ok: true }
  | { readonly ok: false; readonly reason: Reason; readonly detail: string }

const APPROVE: Verdict = Object.freeze({ ok: true })

function decline(reason: Reason, detail: string): Verdict {
  return { ok: false, reason, detail }
}

/** The limits that bound what the gateway may take offline, from the hub-signed RiskConfig. */
export type OfflineLimits = Pick<RiskConfigBody,
  'currency' | 'floorLimitMinor' | 'unsyncedTotalMaxMinor' | 'unsyncedCountMax' | 'consecutiveOfflineMax' | 'uploadDeadlineMs'>

/**
 * The checks that need only the amount: run before the customer taps, so a payment the gateway
 * cannot take offline is refused before anyone signs anything. Also part of checkOffline.
 */
export function checkOfflineLimits(amount_minor: number, currency: string, limits: OfflineLimits, exposure: Exposure, now_ms: number): Verdict {
  if (currency !== limits.currency) {
    return decline(Reason.CurrencyMismatch, `this gateway takes ${limits.currency} offline, not ${currency}`)
  }
  if (amount_minor > limits.floorLimitMinor) {
    return decline(Reason.OverFloorLimit, `${amount_minor} is above the floor limit ${limits.floorLimitMinor}`)
  }
  if (exposure.oldestUnsyncedTimeMs !== null && now_ms - exposure.oldestUnsyncedTimeMs > limits.uploadDeadlineMs) {
    return decline(Reason.UploadDeadlinePassed,
      `the oldest unsynced record is ${now_ms - exposure.oldestUnsyncedTimeMs} ms old; the deadline is ${limits.uploadDeadlineMs} ms`)
  }
  if (exposure.unsyncedCount + 1 > limits.unsyncedCountMax) {
    return decline(Reason.UnsyncedCountExceeded, `${exposure.unsyncedCount} records wait for sync; the cap is ${limits.unsyncedCountMax}`)
  }
  if (exposure.unsyncedTotalMinor + amount_minor > limits.unsyncedTotalMaxMinor) {
    return decline(Reason.UnsyncedTotalExceeded,
      `${exposure.unsyncedTotalMinor} + ${amount_minor} unsynced would pass the cap ${limits.unsyncedTotalMaxMinor}`)
  }
  return APPROVE
}

export interface AnswerCheckInput {
  readonly request: SentRequest
  /** Whether the request's nonce is still open in the store (not answered, not cancelled). */
  readonly requestOpen: boolean
  readonly response: PaymentResponse
  readonly hubPublicKey: Uint8Array
  /** The allowed difference between the gateway's clock and the voucher's validity. */
  readonly clockSkewMaxMs: number
  readonly revoked: boolean
  readonly seen: VoucherSeen | undefined
  readonly nowMs: number
  readonly ed25519: Ed25519
}

/**
 * Is this answer a genuine, fresh authorization of exactly the payment requested, under a valid
 * voucher, going beyond what this gateway has seen of it? Needed online and offline alike: an
 * online payment enters the same chain.
 */
export function checkAnswer(input: AnswerCheckInput): Verdict {
  const { request, response, seen, nowMs } = input
  const { voucher, authorization } = response
  if (!voucherCodec.verify(voucher, input.hubPublicKey, input.ed25519)) {
    return decline(Reason.BadHubSignature, 'the voucher is not signed by the hub this gateway pinned')
  }
  // The hub judges the record by the time it carries, the request's: the voucher must be valid then
  // as well as now, whichever way the gateway's clock jumped in between (fault simulation, seed hunt.48).
  const earliest_ms = Math.min(nowMs, request.timeMs)
  if (earliest_ms + input.clockSkewMaxMs < voucher.issuedAtMs) {
    return decline(Reason.VoucherNotYetValid, `the voucher is valid from ${voucher.issuedAtMs}, the payment is at ${earliest_ms}`)
  }
  // No leniency past expiry.
  if (nowMs > voucher.expiresAtMs || request.timeMs > voucher.expiresAtMs) {
    return decline(Reason.VoucherExpired, `the voucher expired at ${voucher.expiresAtMs}`)
  }
  if (input.revoked) return decline(Reason.VoucherRevoked, `voucher ${toHex(voucher.voucherId)} is revoked`)
  if (!equalBytes(authorization.voucherId, voucher.voucherId)) {
    return decline(Reason.BadFormat, 'the authorization is under another voucher than the one presented')
  }
  if (!authorizationCodec.verify(authorization, voucher.devicePublicKey, input.ed25519)) {
    return decline(Reason.BadCustomerSignature, 'the authorization is not signed by the voucher\'s device key')
  }
  if (!equalBytes(authorization.nonce, request.nonce) || !input.requestOpen) {
    return decline(Reason.NonceMismatch, 'the authorization answers another request (a replayed or stale answer)')
  }
  if (authorization.gatewayEui !== request.gatewayEui) {
    return decline(Reason.WrongGateway, `the authorization is for gateway ${authorization.gatewayEui}`)
  }
  if (authorization.currency !== request.currency || voucher.currency !== request.currency) {
    return decline(Reason.CurrencyMismatch, `requested ${request.currency}, answered ${authorization.currency} under a ${voucher.currency} voucher`)
  }
  if (authorization.amountMinor !== request.amountMinor) {
    return decline(Reason.AmountMismatch, `requested ${request.amountMinor}, authorized ${authorization.amountMinor}`)
  }
  if (authorization.timeMs !== request.timeMs) {
    return decline(Reason.ClockSkew, 'the authorization carries another time than the request')
  }
  if (seen !== undefined && authorization.seq <= seen.highestSeq) {
    return decline(Reason.SeqReplayed, `seq ${authorization.seq} is not beyond ${seen.highestSeq}, already seen for this voucher`)
  }
  if (authorization.cumulativeMinor > voucher.limitMinor) {
    return decline(Reason.OverVoucherLimit, `cumulative ${authorization.cumulativeMinor} passes the voucher limit ${voucher.limitMinor}`)
  }
  const spentBefore = authorization.cumulativeMinor - authorization.amountMinor
  if (seen !== undefined && spentBefore < seen.cumulativeMinor) {
    return decline(Reason.CumulativeMismatch,
      `the phone claims ${spentBefore} spent before; this gateway has seen ${seen.cumulativeMinor}`)
  }
  return APPROVE
}

export interface OfflineCheckInput extends AnswerCheckInput {
  readonly limits: OfflineLimits
  readonly exposure: Exposure
}

/**
 * What an offline payment must pass besides a genuine answer: the gateway's caps and deadline,
 * and the voucher's run of offline payments here.
 */
export function checkOfflineTaking(
  amount_minor: number, currency: string, limits: OfflineLimits, exposure: Exposure, seen: VoucherSeen | undefined, now_ms: number,
): Verdict {
  const gateway = checkOfflineLimits(amount_minor, currency, limits, exposure, now_ms)
  if (!gateway.ok) return gateway
  const consecutive = seen?.consecutiveOffline ?? 0
  if (consecutive + 1 > limits.consecutiveOfflineMax) {
    return decline(Reason.ConsecutiveOfflineExceeded,
      `${consecutive} offline payments in a row under this voucher; the phone must go online`)
  }
  return APPROVE
}

/** Everything DESIGN step 4 asks before an offline payment is approved. */
export function checkOffline(input: OfflineCheckInput): Verdict {
  const answer = checkAnswer(input)
  if (!answer.ok) return answer
  const { amountMinor, currency } = input.response.authorization
  return checkOfflineTaking(amountMinor, currency, input.limits, input.exposure, input.seen, input.nowMs)
}

/** Declines that say the gateway itself must sync before it takes more offline. */
export const GATEWAY_LIMIT_REASONS: ReadonlySet<Reason> = new Set<Reason>([
  Reason.UnsyncedTotalExceeded, Reason.UnsyncedCountExceeded, Reason.UploadDeadlinePassed,
])

/** The limits still open to this gateway, for the status screen and the "limit reached" event. */
export function limitsLeft(limits: OfflineLimits, exposure: Exposure, now_ms: number): {
  unsyncedTotalLeftMinor: number
  unsyncedCountLeft: number
  uploadDeadlineLeftMs: number | null
} {
  return {
    unsyncedTotalLeftMinor: Math.max(0, limits.unsyncedTotalMaxMinor - exposure.unsyncedTotalMinor),
    unsyncedCountLeft: Math.max(0, limits.unsyncedCountMax - exposure.unsyncedCount),
    uploadDeadlineLeftMs: exposure.oldestUnsyncedTimeMs === null
      ? null
      : Math.max(0, exposure.oldestUnsyncedTimeMs + limits.uploadDeadlineMs - now_ms),
  }
}
