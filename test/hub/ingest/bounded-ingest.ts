// An ingest over an ingest world with a small queue or a dependency replaced, and a ledger whose
// settlements wait for the test to let them through: how a test fills the queue without timing anything.

import { nodeEd25519 } from '../../../protocol/signature/node'
import { holdCalls } from '../../helpers/gate'
import { GatewayStore } from '../../../hub/gateways/store'
import { feeScheduleResolver } from '../../../hub/ingest/fees'
import type { IngestDependencies } from '../../../hub/ingest/dependencies'
import { RecordIngest } from '../../../hub/ingest/ingest'
import { VerifyPool } from '../../../hub/ingest/verify-pool'
import type { Tap } from '../http/fixtures'
import type { ingestWorld } from './world'

type World = Awaited<ReturnType<typeof ingestWorld>>

export function boundedIngest(t: Tap, w: World, jobsQueued_max: number): RecordIngest {
  return ingestOver(t, w, { jobsQueued_max })
}

/** An ingest over the world's stores with some of its dependencies replaced: how a test injects a fault of the hub. */
export function ingestOver(
  t: Tap, w: World, overrides: Partial<Omit<IngestDependencies, 'settings'>> & { jobsQueued_max?: number } = {},
): RecordIngest {
  const pool = new VerifyPool(1)
  t.teardown(() => pool.close())
  const gateways = new GatewayStore(w.context.engine)
  const { jobsQueued_max, ...replaced } = overrides
  return new RecordIngest({
    store: w.store, ledger: w.ledger, pool, clock: w.clock, hubKeys: w.context.hubKeys, ed25519: nodeEd25519,
    fees: feeScheduleResolver(w.ledger, w.clock),
    gateway: eui => gateways.ingestView(eui),
    revoke: async (ids, reason) => { await w.revocations.revoke(ids, reason) },
    settings: {
      revocationGrace_ms: 10 * 60 * 1000, clockSkewMax_ms: 5 * 60 * 1000, rejectedBatchesKept_max: 100,
      ...(jobsQueued_max === undefined ? {} : { jobsQueued_max }),
    },
    events: w.events,
    ...replaced,
  })
}

/** Two gateways of the world, each with one payment of the same customer (100 and 200) in its chain. */
export async function twoGatewaysWithAPayment(w: World, firstEui: string, secondEui: string) {
  const first = await w.addGateway(firstEui)
  const second = await w.addGateway(secondEui)
  const customer = await w.addCustomer(10_000, 9_000)
  first.append(w.pay(customer.phone, first, 100))
  second.append(w.pay(customer.phone, second, 200))
  return { first, second, customer }
}

/** Holds every settlement at the ledger until release(); entered() resolves once one is held. */
export function holdSettlements(w: World): { entered(): Promise<void>; release(): void } {
  return holdCalls(w.ledger, 'settleFromHolds')
}
