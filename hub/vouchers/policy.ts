// The terms of offline allowances and the bounds that keep the revocation list bounded by design
// (DESIGN "Revocations stay complete"): caps and rates per device and customer, a smallest
// allowance, and one bound for the whole hub. judgeIssuance is the pure decision on one more voucher.

import { REVOKED_VOUCHERS_MAX } from '../../protocol/messages/revocation-list'
import type { HubConfig } from '../config'
import { HttpError } from '../http/errors'
import { HOUR_MS } from '../../protocol/clock'


/** Revoked vouchers stay listed this long past their expiry: records may still arrive, gateway clocks may lag. */
export const REVOCATION_LISTED_AFTER_EXPIRY_MS = 24 * HOUR_MS

/*
 * Why the list cannot outgrow its bound, and why revoking is never refused:
 *
 * A voucher can be on the revocation list only until it is past its expiry plus
 * listedAfterExpiry_ms (and the expiry sweep has taken it off). Call such a voucher *revocable*:
 * any of them may be revoked at any moment, by its customer (unbinding the phone) or by the hub
 * (a double spend). The list is a subset of the revocable vouchers, so the hub bounds those, not
 * the revocations: it issues no voucher that would make them more than revocableMax (at most
 * REVOKED_VOUCHERS_MAX, what a list and a gateway hold). Revoking creates no voucher, so however
 * many are revoked the list stays within revocableMax; past it the hub refuses new vouchers
 * (ISSUANCE_SUSPENDED, logged) until revocable ones expire, rather than forget a revocation.
 *
 * The caps per customer keep one customer from using that bound up. A voucher is revocable for
 * validity_ms + listedAfterExpiry_ms after it is issued (72 h + 24 h by default); a customer
 * issues at most issuedPerWindowMax (8) per window_ms (24 h), so holds at most
 * 8 × ⌈96 h / 24 h⌉ = 32 revocable vouchers, and it takes 2,048 customers each issuing all they
 * may, every one of them with money on hold, to reach the default bound of 65,536. Open vouchers
 * (unexpired, unrevoked) are capped per device and per customer, each allowance is at least
 * limitMin_minor, and a customer whose vouchers were revoked revokedPerWindowMax times within a
 * window gets no new one until the window has passed: binding, issuing and unbinding in a loop
 * (the attack that pushed revocations off the old, truncated list) stops after a few turns.
 */

export interface VoucherPolicy {
  /** How long a phone may spend offline under one voucher. */
  readonly validity_ms: number
  /** After expiry, how long gateways have to upload what was spent before the hold is released. */
  readonly uploadGrace_ms: number
  /** The largest allowance, per currency exponent: a bound on what one lost phone can cost. */
  readonly limitMax_minor: number
  /** The smallest allowance: vouchers worth nothing cannot be mass-produced. */
  readonly limitMin_minor: number
  /** Unexpired, unrevoked vouchers one device may hold: one and its renewal. */
  readonly openPerDeviceMax: number
  /** And one customer, over all their devices (a phone and a card). */
  readonly openPerCustomerMax: number
  /** Vouchers one customer may be issued within any window_ms. */
  readonly issuedPerWindowMax: number
  /** Revocations of one customer's vouchers within a window_ms after which they get no new voucher until it has passed. */
  readonly revokedPerWindowMax: number
  readonly window_ms: number
  /** Revocable vouchers (see above) the whole hub may have at once; at most REVOKED_VOUCHERS_MAX. */
  readonly revocableMax: number
  /** How long past its expiry a revoked voucher stays listed. */
  readonly listedAfterExpiry_ms: number
}

export const DEFAULT_VOUCHER_POLICY: VoucherPolicy = Object.freeze({
  validity_ms: 72 * HOUR_MS,
  uploadGrace_ms: 24 * HOUR_MS,
  limitMax_minor: 100_000_000,
  limitMin_minor: 100,
  openPerDeviceMax: 2,
  openPerCustomerMax: 4,
  issuedPerWindowMax: 8,
  revokedPerWindowMax: 4,
  window_ms: 24 * HOUR_MS,
  revocableMax: REVOKED_VOUCHERS_MAX,
  listedAfterExpiry_ms: REVOCATION_LISTED_AFTER_EXPIRY_MS,
})

/** The policy a hub runs with: the defaults, with the bounds its configuration sets. */
export function voucherPolicy(config: HubConfig): VoucherPolicy {
  return {
    ...DEFAULT_VOUCHER_POLICY,
    limitMin_minor: config.voucherLimitMin_minor,
    openPerDeviceMax: config.vouchersOpenPerDeviceMax,
    openPerCustomerMax: config.vouchersOpenPerCustomerMax,
    issuedPerWindowMax: config.vouchersIssuedPerWindowMax,
    revokedPerWindowMax: config.voucherRevocationsPerWindowMax,
    window_ms: config.voucherWindow_ms,
    revocableMax: config.revocableVouchersMax,
  }
}

/** What the hub holds when a voucher is asked for: counted in the transaction that would issue it. */
export interface IssuanceCounts {
  /** Unexpired and unrevoked, of the device. */
  readonly openOfDevice: number
  /** Unexpired and unrevoked, of the customer. */
  readonly openOfCustomer: number
  /** Issued to the customer within the last window_ms. */
  readonly issuedInWindow: number
  /** The customer's vouchers revoked within the last window_ms. */
  readonly revokedInWindow: number
  /** Revocable vouchers of every customer (see above). */
  readonly revocable: number
}

/** The refusal of one more voucher of `limitMinor`, or undefined when it may be issued. */
export function judgeIssuance(limit_minor: number, counts: IssuanceCounts, policy: VoucherPolicy): HttpError | undefined {
  if (limit_minor > policy.limitMax_minor) {
    return new HttpError(400, 'BAD_REQUEST', `an offline allowance is at most ${policy.limitMax_minor} minor units`)
  }
  if (limit_minor < policy.limitMin_minor) {
    return new HttpError(400, 'ALLOWANCE_TOO_SMALL', `an offline allowance is at least ${policy.limitMin_minor} minor units`)
  }
  if (counts.openOfDevice >= policy.openPerDeviceMax) {
    return new HttpError(409, 'TOO_MANY_OPEN_VOUCHERS',
      `this device already holds ${counts.openOfDevice} unexpired vouchers, the most it may; spend or let one expire first`)
  }
  if (counts.openOfCustomer >= policy.openPerCustomerMax) {
    return new HttpError(409, 'TOO_MANY_OPEN_VOUCHERS',
      `your devices already hold ${counts.openOfCustomer} unexpired vouchers, the most you may; spend or let one expire first`)
  }
  if (counts.issuedInWindow >= policy.issuedPerWindowMax) {
    return new HttpError(429, 'VOUCHER_RATE_LIMITED',
      `you were issued ${counts.issuedInWindow} vouchers in the last ${hours(policy.window_ms)}, the most you may; try again later`)
  }
  if (counts.revokedInWindow >= policy.revokedPerWindowMax) {
    return new HttpError(429, 'REVOCATION_RATE_LIMITED',
      `${counts.revokedInWindow} of your vouchers were revoked in the last ${hours(policy.window_ms)}; no new one until that window has passed`)
  }
  if (counts.revocable >= policy.revocableMax) {
    return new HttpError(503, 'ISSUANCE_SUSPENDED',
      'the hub issues no offline allowance for now: its revocation list is at its bound; try again later or pay online')
  }
  return undefined
}

function hours(duration_ms: number): string {
  const whole = Math.round(duration_ms / HOUR_MS)
  return whole >= 1 ? `${whole} h` : `${Math.round(duration_ms / 60_000)} min`
}
