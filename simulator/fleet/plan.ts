// The payments of a fleet run, decided up front from the seed alone: at which terminal, by which
// customer, how much, whether the terminal's link is down for it, and whether the customer pays
// with a cloned phone. Pure: the same options give the same plan, byte for byte.

import type { FleetOptions } from './options'
import type { SeededRandom } from './seeded-random'

/** Amounts in minor units of the fleet's currency (XOF: no minor units). */
export const AMOUNT_MIN_MINOR = 100
export const AMOUNT_MAX_MINOR = 20_000
/** A voucher is never smaller than this, whatever the customer's planned spending. */
const VOUCHER_MIN_MINOR = 1_000

export interface PlannedPayment {
  readonly index: number
  readonly terminal: number
  readonly customer: number
  readonly amountMinor: number
  /** Taken with the terminal's link down (cut before, restored at the terminal's next online payment or at the end). */
  readonly linkDown: boolean
  /** Paid by a clone of the customer's phone: the spending state of its last payment, rolled back. */
  readonly clone: boolean
}

export interface FleetPlan {
  readonly payments: readonly PlannedPayment[]
  /** Per customer: the voucher (and cash-in) that covers everything they are planned to spend. */
  readonly voucherMinor: readonly number[]
}

type PlanOptions = Pick<FleetOptions, 'terminals' | 'customers' | 'payments' | 'offlineRatio' | 'doubleSpendRatio'>

export function planFleet(options: PlanOptions, random: SeededRandom): FleetPlan {
  const { terminals, customers, payments } = options
  // Exact shares, at seeded positions: R·P payments offline, D·P by clones.
  const linkDown = new Set(random.fork('offline').sample(payments, Math.round(options.offlineRatio * payments)))
  const clones = new Set(random.fork('clones').sample(payments, Math.round(options.doubleSpendRatio * payments)))
  const draws = random.fork('payments')
  const planned: PlannedPayment[] = []
  const spending = new Array<number>(customers).fill(0)
  for (let index = 0; index < payments; index++) {
    const terminal = draws.integer(0, terminals - 1)
    const customer = draws.integer(0, customers - 1)
    const amount_minor = draws.integer(AMOUNT_MIN_MINOR / 5, AMOUNT_MAX_MINOR / 5) * 5
    spending[customer]! += amount_minor
    planned.push({ index, terminal, customer, amountMinor: amount_minor, linkDown: linkDown.has(index), clone: clones.has(index) })
  }
  return { payments: planned, voucherMinor: spending.map(total => Math.max(VOUCHER_MIN_MINOR, total)) }
}
