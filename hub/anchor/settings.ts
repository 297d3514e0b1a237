// How the hub seals and anchors: batch size and age, confirmations, the fee cap and the retry schedule.
// The first four and the tick are the hub's PAYALL_ANCHOR_* options (hub/config.ts), whose defaults are these; the rest are
// constants, which startHub's overrides, the tests and the bench may change.

import { assert } from '../../protocol/errors'
import { MERKLE_LEAVES_MAX } from '../../protocol/merkle'
import type { Backoff, SealPolicy } from './batch'

export interface AnchorSettings extends SealPolicy, Backoff {
  /** Blocks on top of (and including) the one holding the root before a batch counts as anchored. */
  readonly confirmations: number
  /** The most the hub pays per gas unit (maxFeePerGas, wei); above it a batch waits for cheaper blocks. */
  readonly maxFeePerGas_wei: bigint
  /** An anchor costs ~70k gas; an estimate above this bound means something is wrong, so nothing is sent. */
  readonly gasLimit_max: number
  /** Transactions out at once, each for its own batch with its own nonce. */
  readonly inFlight_max: number
  /** How often the service seals what is due and moves batches on. */
  readonly tickInterval_ms: number
  /** One JSON-RPC call may take this long before it counts as a failure. */
  readonly rpcTimeout_ms: number
}

export const WEI_PER_GWEI = 1_000_000_000n

export const ANCHOR_SETTINGS_DEFAULT: AnchorSettings = {
  batchMax: 1_000,
  batchAge_ms: 60_000,
  confirmations: 1,
  maxFeePerGas_wei: 200n * WEI_PER_GWEI,
  gasLimit_max: 200_000,
  inFlight_max: 4,
  backoffBase_ms: 1_000,
  backoffMax_ms: 5 * 60_000,
  tickInterval_ms: 5_000,
  rpcTimeout_ms: 10_000,
}

export const CONFIRMATIONS_MAX = 1_000
const IN_FLIGHT_MAX_LIMIT = 64

/** The defaults with `overrides` applied, each checked against its bounds. */
export function anchorSettings(overrides: Partial<AnchorSettings> = {}): AnchorSettings {
  const settings = { ...ANCHOR_SETTINGS_DEFAULT, ...overrides }
  assert(Number.isInteger(settings.batchMax) && settings.batchMax >= 1 && settings.batchMax <= MERKLE_LEAVES_MAX,
    `batchMax is 1..${MERKLE_LEAVES_MAX}`)
  assert(Number.isSafeInteger(settings.batchAge_ms) && settings.batchAge_ms >= 0, 'batchAge_ms is a non-negative integer')
  assert(Number.isInteger(settings.confirmations) && settings.confirmations >= 1 && settings.confirmations <= CONFIRMATIONS_MAX,
    `confirmations is 1..${CONFIRMATIONS_MAX}`)
  assert(typeof settings.maxFeePerGas_wei === 'bigint' && settings.maxFeePerGas_wei > 0n, 'maxFeePerGas_wei is positive')
  assert(Number.isInteger(settings.gasLimit_max) && settings.gasLimit_max >= 21_000, 'gasLimit_max covers at least a transfer')
  assert(Number.isInteger(settings.inFlight_max) && settings.inFlight_max >= 1 && settings.inFlight_max <= IN_FLIGHT_MAX_LIMIT,
    `inFlight_max is 1..${IN_FLIGHT_MAX_LIMIT}`)
  assert(Number.isSafeInteger(settings.backoffBase_ms) && settings.backoffBase_ms >= 1, 'backoffBase_ms is positive')
  assert(Number.isSafeInteger(settings.backoffMax_ms) && settings.backoffMax_ms >= settings.backoffBase_ms,
    'backoffMax_ms is at least backoffBase_ms')
  assert(Number.isSafeInteger(settings.tickInterval_ms) && settings.tickInterval_ms >= 1, 'tickInterval_ms is positive')
  assert(Number.isSafeInteger(settings.rpcTimeout_ms) && settings.rpcTimeout_ms >= 1, 'rpcTimeout_ms is positive')
  return settings
}
