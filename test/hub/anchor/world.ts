// Shared set-up for the anchoring tests: a hub context on a real SQLite file, settled cash-ins to seal, an
// Anchor contract deployed on a local anvil, and anchoring services over them.

import { rootInPlace } from '../../../hub/anchor/merkle-roots'
import { createAnchorService, type AnchorService } from '../../../hub/anchor/service'
import { connectAnchorChain, deployAnchor, type AnchorChain } from '../../../hub/anchor/chain'
import { anchorSettings, type AnchorSettings } from '../../../hub/anchor/settings'
import { AnchorStore } from '../../../hub/anchor/store'
import { cashTransferId } from '../../../hub/ledger/ids'
import { TRANSFERS_PER_BATCH_MAX } from '../../../hub/ledger/transfer'
import type { HubContext } from '../../../hub/context'
import type { ManualClock } from '../../../protocol/clock'
import { testContext, type Tap } from '../http/fixtures'
import { ANVIL_KEYS, startAnvil, type Anvil } from '../../../simulator/anvil'

const CURRENCY = 'XOF'
export const HUB_CHAIN_KEY = ANVIL_KEYS[0]
export const OTHER_CHAIN_KEY = ANVIL_KEYS[1]

/** Settings for tests: no age wait unless a test wants one, a tight retry schedule. */
const TEST_ANCHOR_SETTINGS: Partial<AnchorSettings> = {
  batchMax: 1_000,
  batchAge_ms: 0,
  backoffBase_ms: 1_000,
  backoffMax_ms: 8_000,
  rpcTimeout_ms: 5_000,
}

export interface AnchorWorld {
  readonly context: HubContext
  readonly clock: ManualClock
  readonly store: AnchorStore
  /** Settles `count` cash-ins into one wallet, in ledger batches; their transfer ids in settlement order. */
  settle(count: number): Promise<string[]>
  service(settings?: Partial<AnchorSettings>, connect?: () => Promise<AnchorChain>): AnchorService
}

export function anchorWorld(t: Tap, options: { seed?: string } = {}): AnchorWorld {
  const { context, clock } = testContext(t, { seed: options.seed ?? 'anchor' })
  const store = new AnchorStore(context.engine)
  let settled = 0
  return {
    context,
    clock,
    store,
    async settle(count) {
      const wallet = await context.ledger.openWallet({ id: 'anchor-test-wallet', userId: null, currency: CURRENCY })
      const { external } = await context.ledger.systemAccounts(CURRENCY)
      const ids: string[] = []
      for (let from = 0; from < count; from += TRANSFERS_PER_BATCH_MAX) {
        const inputs = []
        for (let index = from; index < Math.min(count, from + TRANSFERS_PER_BATCH_MAX); index++) {
          const id = cashTransferId('cash_in', wallet.id, `anchor-test-${settled++}`)
          ids.push(id)
          inputs.push({
            id,
            kind: 'cash_in' as const,
            currency: CURRENCY,
            postings: [
              { accountId: external.id, amountMinor: -100, role: 'payer' as const },
              { accountId: wallet.id, amountMinor: 100, role: 'payee' as const },
            ],
          })
        }
        const outcomes = await context.ledger.applyTransfers(inputs)
        if (!outcomes.every(outcome => outcome.status === 'applied')) throw new Error('a test cash-in was not applied')
      }
      return ids
    },
    service(settings = {}, connect) {
      // Roots computed in place: a tick then depends on the test's clock alone, not on a worker thread's timing.
      return createAnchorService(context, anchorSettings({ ...TEST_ANCHOR_SETTINGS, ...settings }), connect, undefined, rootInPlace)
    },
  }
}

export interface TestChain {
  readonly anvil: Anvil
  readonly contractAddress: string
  /** Opens the hub's view of the chain with `privateKey` (the hub's chain key unless given). */
  connect(privateKey?: string, settings?: Partial<AnchorSettings>): Promise<AnchorChain>
  connector(privateKey?: string, settings?: Partial<AnchorSettings>): () => Promise<AnchorChain>
}

/**
 * An anvil node with an Anchor owned by the hub's chain key; both gone at teardown. With `manualMining`,
 * blocks come only from anvil.mine() once the contract is deployed, so a transaction can wait in the mempool.
 */
export async function testChain(t: Tap, options: { manualMining?: boolean; statePath?: string } = {}): Promise<TestChain> {
  const anvil = await startAnvil(options.statePath === undefined ? {} : { statePath: options.statePath })
  t.teardown(() => anvil.stop())
  const { address } = await deployAnchor({ rpcUrl: anvil.rpcUrl, privateKey: HUB_CHAIN_KEY, rpcTimeout_ms: 5_000 })
  if (options.manualMining === true) await anvil.rpc('evm_setAutomine', [false])
  return chainAt(anvil, address)
}

/** The hub's view of an Anchor already at `contractAddress` on `anvil`. */
export function chainAt(anvil: Anvil, contractAddress: string): TestChain {
  const connect = (privateKey: string = HUB_CHAIN_KEY, settings: Partial<AnchorSettings> = {}) => {
    const { maxFeePerGas_wei, gasLimit_max, rpcTimeout_ms } = anchorSettings({ ...TEST_ANCHOR_SETTINGS, ...settings })
    return connectAnchorChain({ rpcUrl: anvil.rpcUrl, privateKey, contractAddress, maxFeePerGas_wei, gasLimit_max, rpcTimeout_ms })
  }
  return { anvil, contractAddress, connect, connector: (privateKey, settings) => () => connect(privateKey, settings) }
}
