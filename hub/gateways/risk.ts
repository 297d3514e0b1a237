// The offline risk limits of a gateway as pure data: the defaults per currency, the checks an
// operator's change must pass, and the RiskConfig body the hub signs from them.

import { ProtocolError, assert } from '../../protocol/errors'
import type { OnlinePolicyName } from '../../protocol/messages/online-policy'
import { OnlinePolicy, type RiskConfigBody } from '../../protocol/messages/risk-config'
import { AMOUNT_MAX_MINOR, currencyByCode } from '../../protocol/money'
import { HOUR_MS, MINUTE_MS } from '../../protocol/clock'

/** Everything in a RiskConfig but who it is for, when and which version: what an operator sets. */
export interface RiskLimits {
  readonly currency: string
  readonly floorLimitMinor: number
  readonly unsyncedTotalMaxMinor: number
  readonly unsyncedCountMax: number
  readonly consecutiveOfflineMax: number
  readonly uploadDeadlineMs: number
  readonly clockSkewMaxMs: number
  readonly defaultPolicy: OnlinePolicy
}

/** What an operator may change; the currency follows the gateway's merchant account, not the operator. */
export type RiskLimitsPatch = Partial<Omit<RiskLimits, 'currency'>>

export const ONLINE_POLICY_NAMES = ['PreferOnline', 'RequireOnline', 'ForceOffline'] as const satisfies readonly OnlinePolicyName[]

// The field widths of the RiskConfig encoding (protocol/messages/risk-config.ts).
export const UNSYNCED_COUNT_MAX_LIMIT = 0xffff_ffff
export const CONSECUTIVE_OFFLINE_MAX_LIMIT = 0xffff
export const CLOCK_SKEW_MAX_MS_LIMIT = 0xffff_ffff
export const UPLOAD_DEADLINE_MS_LIMIT = Number.MAX_SAFE_INTEGER
export const RISK_CONFIG_SERIAL_MAX = 0xffff_ffff


// In major units. Currencies without minor units (XOF, XAF, JPY, …) are mostly the low-value
// ones, so their defaults run in thousands; the others in tens. A default errs low: the operator
// raises a gateway's limits once its merchant is known.
const FLOOR_LIMIT_MAJOR_NO_MINOR_UNITS = 50_000
const UNSYNCED_TOTAL_MAX_MAJOR_NO_MINOR_UNITS = 500_000
const FLOOR_LIMIT_MAJOR = 50
const UNSYNCED_TOTAL_MAX_MAJOR = 500

/** XOF: floor 50 000, unsynced total 500 000; EUR: 50.00 and 500.00. Counts and times are the same everywhere. */
export function defaultRiskLimits(currencyCode: string): RiskLimits {
  const { code, exponent } = currencyByCode(currencyCode)
  const scale = 10 ** exponent
  const zeroExponent = exponent === 0
  return {
    currency: code,
    floorLimitMinor: (zeroExponent ? FLOOR_LIMIT_MAJOR_NO_MINOR_UNITS : FLOOR_LIMIT_MAJOR) * scale,
    unsyncedTotalMaxMinor: (zeroExponent ? UNSYNCED_TOTAL_MAX_MAJOR_NO_MINOR_UNITS : UNSYNCED_TOTAL_MAX_MAJOR) * scale,
    unsyncedCountMax: 200,
    consecutiveOfflineMax: 10,
    uploadDeadlineMs: 24 * HOUR_MS,
    clockSkewMaxMs: 5 * MINUTE_MS,
    defaultPolicy: OnlinePolicy.PreferOnline,
  }
}

/** `current` with `patch` applied, checked; throws ProtocolError OUT_OF_RANGE naming the first bad field. */
export function applyRiskLimitsPatch(current: RiskLimits, patch: RiskLimitsPatch): RiskLimits {
  const defined = Object.fromEntries(Object.entries(patch).filter(([, value]) => value !== undefined))
  return checkRiskLimits({ ...current, ...defined })
}

/** Returns `limits` if every field is in range and the floor limit is within the unsynced total. */
export function checkRiskLimits(limits: RiskLimits): RiskLimits {
  currencyByCode(limits.currency)
  requireInteger('floorLimitMinor', limits.floorLimitMinor, AMOUNT_MAX_MINOR)
  requireInteger('unsyncedTotalMaxMinor', limits.unsyncedTotalMaxMinor, AMOUNT_MAX_MINOR)
  requireInteger('unsyncedCountMax', limits.unsyncedCountMax, UNSYNCED_COUNT_MAX_LIMIT)
  requireInteger('consecutiveOfflineMax', limits.consecutiveOfflineMax, CONSECUTIVE_OFFLINE_MAX_LIMIT)
  requireInteger('uploadDeadlineMs', limits.uploadDeadlineMs, UPLOAD_DEADLINE_MS_LIMIT)
  requireInteger('clockSkewMaxMs', limits.clockSkewMaxMs, CLOCK_SKEW_MAX_MS_LIMIT)
  if (!(Object.values(OnlinePolicy) as number[]).includes(limits.defaultPolicy)) {
    throw new ProtocolError('OUT_OF_RANGE', `defaultPolicy must be one of ${ONLINE_POLICY_NAMES.join(', ')}`)
  }
  if (limits.floorLimitMinor > limits.unsyncedTotalMaxMinor) {
    throw new ProtocolError('OUT_OF_RANGE',
      `floorLimitMinor (${limits.floorLimitMinor}) exceeds unsyncedTotalMaxMinor (${limits.unsyncedTotalMaxMinor})`)
  }
  return limits
}

/** The body of the next config of `gatewayEui`: `previousSerial` + 1, so the gateway takes it over any older one. */
export function nextRiskConfigBody(
  gatewayEui: string, limits: RiskLimits, previousSerial: number, issuedAt_ms: number,
): RiskConfigBody {
  checkRiskLimits(limits)
  assert(Number.isSafeInteger(previousSerial) && previousSerial >= 0, 'a config serial is a non-negative integer')
  const serial = previousSerial + 1
  if (serial > RISK_CONFIG_SERIAL_MAX) {
    throw new ProtocolError('OUT_OF_RANGE', `the config serial of ${gatewayEui} is exhausted`)
  }
  return { gatewayEui, serial, issuedAtMs: issuedAt_ms, ...limits }
}

/** The limits a signed config carries. */
export function riskLimitsOf(body: RiskConfigBody): RiskLimits {
  return {
    currency: body.currency,
    floorLimitMinor: body.floorLimitMinor,
    unsyncedTotalMaxMinor: body.unsyncedTotalMaxMinor,
    unsyncedCountMax: body.unsyncedCountMax,
    consecutiveOfflineMax: body.consecutiveOfflineMax,
    uploadDeadlineMs: body.uploadDeadlineMs,
    clockSkewMaxMs: body.clockSkewMaxMs,
    defaultPolicy: body.defaultPolicy,
  }
}

export function onlinePolicyName(policy: OnlinePolicy): OnlinePolicyName {
  const name = ONLINE_POLICY_NAMES.find((candidate) => OnlinePolicy[candidate] === policy)
  assert(name !== undefined, `online policy ${policy} has a name`)
  return name
}

export function onlinePolicyByName(name: OnlinePolicyName): OnlinePolicy {
  return OnlinePolicy[name]
}

function requireInteger(field: string, value: number, value_max: number): void {
  if (!Number.isSafeInteger(value) || value < 1 || value > value_max) {
    throw new ProtocolError('OUT_OF_RANGE', `${field} must be an integer from 1 to ${value_max}, got ${String(value)}`)
  }
}
