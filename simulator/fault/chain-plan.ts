// The chain faults of a fault run, drawn from its seed with the rest of the plan (plan.ts): windows
// of payments during which the hub's chain RPC is gone, and the payment from which the hub is killed
// right after its next anchoring transaction reaches the node. Pure.

import type { FaultKind } from '../fleet/faults'
import type { FleetOptions } from '../fleet/options'
import type { SeededRandom } from '../fleet/seeded-random'

export type ChainFault =
  /** Before `payment`, every connection to the chain RPC is reset, until `payments` payments later. */
  | { readonly kind: 'chain-down'; readonly payment: number; readonly payments: number }
  /**
   * From `payment` on, the hub's next eth_sendRawTransaction is forwarded to the node and the hub is
   * killed (SIGKILL) before it reads the answer. `mempool`: the node stops mining first, so the
   * restarted hub finds its transaction pending (mined a few payments later), else already mined.
   */
  | { readonly kind: 'hub-kill-anchor'; readonly payment: number; readonly mempool: boolean }

const CHAIN_DOWN_MAX = 2
const CHAIN_DOWN_PAYMENTS = { min: 2, max: 6 } as const
/** Payments a stopped node stays without mining once the restarted hub serves. */
export const MEMPOOL_PAYMENTS = 2

/** Every draw is made whatever is enabled, so enabling one chain kind never moves the other's faults. */
export function drawChainFaults(
  chaining: SeededRandom, fleet: Pick<FleetOptions, 'payments'>, enabled: ReadonlySet<FaultKind>,
): ChainFault[] {
  const faults: ChainFault[] = []
  for (let count = chaining.integer(1, CHAIN_DOWN_MAX), index = 0; index < count; index++) {
    const fault = {
      kind: 'chain-down' as const,
      payment: chaining.integer(0, fleet.payments - 2),
      payments: chaining.integer(CHAIN_DOWN_PAYMENTS.min, CHAIN_DOWN_PAYMENTS.max),
    }
    const overlaps = faults.some(other => other.kind === 'chain-down'
      && other.payment <= fault.payment + fault.payments && fault.payment <= other.payment + other.payments)
    if (enabled.has('chain-down') && !overlaps) faults.push(fault)
  }
  // Early enough that a batch is anchored after it in every run: one is sealed every second or so.
  const kill = { kind: 'hub-kill-anchor' as const, payment: chaining.integer(1, Math.floor(fleet.payments / 2)), mempool: chaining.integer(0, 1) === 1 }
  if (enabled.has('hub-kill-anchor')) faults.push(kill)
  return faults
}
