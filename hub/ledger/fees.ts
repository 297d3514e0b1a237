// Fee schedules (per gateway type and currency, versioned) and the fee split of one payment. Pure integer
// arithmetic: every division rounds down and the platform takes the remainder, so no minor unit appears or vanishes.

import { assert } from '../../protocol/errors'
import { assertAmountMinor, isCurrencyCode } from '../../protocol/money'
import { LedgerError } from './errors'
import { isIdentifier } from './ids'

export const BASIS_POINTS_WHOLE = 10_000

export interface FeeSchedule {
  readonly id: string
  readonly gatewayType: string
  readonly currency: string
  /** 1, 2, 3, … per (gatewayType, currency). A new version is a new schedule; old transfers keep theirs. */
  readonly version: number
  /** Proportional part of the fee, in hundredths of a percent of the amount. */
  readonly basisPoints: number
  /** Flat part of the fee added to the proportional part. */
  readonly fixedMinor: number
  /** The gateway owner's part of the fee; the platform keeps the rest. */
  readonly ownerShareBasisPoints: number
  readonly effectiveFromMs: number
}

export interface FeeSplit {
  readonly feeMinor: number
  readonly ownerShareMinor: number
  readonly platformShareMinor: number
  readonly merchantMinor: number
}

/** Returns why a schedule is unusable, or undefined when it is sound. */
export function feeScheduleProblem(schedule: FeeSchedule): LedgerError | undefined {
  const invalid = (message: string) => new LedgerError('INVALID_FEE_SCHEDULE', message)
  if (typeof schedule !== 'object' || schedule === null) return invalid('a fee schedule must be an object')
  if (!isIdentifier(schedule.id)) return invalid('bad fee schedule id')
  if (!isIdentifier(schedule.gatewayType)) return invalid('bad gateway type')
  if (!isCurrencyCode(schedule.currency)) return invalid(`unknown currency ${JSON.stringify(schedule.currency)}`)
  if (!Number.isSafeInteger(schedule.version) || schedule.version < 1) return invalid('a version is a positive integer')
  if (!isBasisPoints(schedule.basisPoints)) return invalid(`basis points are 0..${BASIS_POINTS_WHOLE}`)
  if (!Number.isSafeInteger(schedule.fixedMinor) || schedule.fixedMinor < 0) return invalid('a fixed fee is >= 0')
  if (!isBasisPoints(schedule.ownerShareBasisPoints)) return invalid(`owner share basis points are 0..${BASIS_POINTS_WHOLE}`)
  if (!Number.isSafeInteger(schedule.effectiveFromMs)) return invalid('effectiveFromMs is a time in milliseconds')
  return undefined
}

function assertFeeSchedule(schedule: FeeSchedule): void {
  const problem = feeScheduleProblem(schedule)
  if (problem !== undefined) throw problem
}

/**
 * fee = floor(amount × bps / 10000) + fixed, capped at the amount; owner = floor(fee × ownerBps / 10000);
 * platform = fee − owner; merchant = amount − fee. BigInt, because amount × 10000 overflows a double's exact range.
 */
export function computeFee(amount_minor: number, schedule: FeeSchedule): FeeSplit {
  assertAmountMinor(amount_minor)
  assertFeeSchedule(schedule)
  const amount = BigInt(amount_minor)
  const whole = BigInt(BASIS_POINTS_WHOLE)
  const uncappedFee = (amount * BigInt(schedule.basisPoints)) / whole + BigInt(schedule.fixedMinor)
  const fee = uncappedFee < amount ? uncappedFee : amount
  const ownerShare = (fee * BigInt(schedule.ownerShareBasisPoints)) / whole
  const split: FeeSplit = {
    feeMinor: Number(fee),
    ownerShareMinor: Number(ownerShare),
    platformShareMinor: Number(fee - ownerShare),
    merchantMinor: Number(amount - fee),
  }
  assert(split.merchantMinor + split.ownerShareMinor + split.platformShareMinor === amount_minor,
    'the fee split adds up to the amount')
  assert(split.merchantMinor >= 0 && split.ownerShareMinor >= 0 && split.platformShareMinor >= 0,
    'no part of the fee split is negative')
  return split
}

/** The schedule that applies at a time: the highest version of that gateway type and currency already in effect. */
export function feeScheduleInEffect(
  schedules: readonly FeeSchedule[],
  gatewayType: string,
  currency: string,
  at_ms: number,
): FeeSchedule | undefined {
  let chosen: FeeSchedule | undefined
  for (const schedule of schedules) {
    if (schedule.gatewayType !== gatewayType || schedule.currency !== currency) continue
    if (schedule.effectiveFromMs > at_ms) continue
    if (chosen === undefined || schedule.version > chosen.version) chosen = schedule
  }
  return chosen
}

function isBasisPoints(value: number): boolean {
  return Number.isSafeInteger(value) && value >= 0 && value <= BASIS_POINTS_WHOLE
}
