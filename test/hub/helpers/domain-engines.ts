// What the two-engine tests of the vouchers, KYC and mobile stores share: a hub's worth of those stores on one
// database (engines.ts), with the ledger on the same database, and users to own their rows. `another` is a second hub
// on the same database: on PostgreSQL another pool (two hubs racing), on SQLite the same engine (one hub's requests at
// once, which its gate serializes; two SQLite connections in one process would wait on each other's lock forever).

import pino from 'pino'
import { ManualClock } from '../../../protocol/clock'
import { nodeEd25519 } from '../../../protocol/signature/node'
import { walletAccountId } from '../../../hub/accounts'
import { recordingBus, type PublishedMessage } from '../../../hub/bus'
import { cashTransferId } from '../../../hub/ledger/ids'
import { PgLedgerStore } from '../../../hub/ledger/pg-store'
import { SqliteLedgerStore } from '../../../hub/ledger/sqlite-store'
import type { LedgerStore } from '../../../hub/ledger/store'
import type { SqlEngine } from '../../../hub/store/sql'
import { DeviceStore } from '../../../hub/vouchers/device-store'
import { DEFAULT_VOUCHER_POLICY, type VoucherPolicy } from '../../../hub/vouchers/policy'
import { Revocations } from '../../../hub/vouchers/revocations'
import { VoucherService } from '../../../hub/vouchers/vouchers'
import { seededRandom } from '../http/fixtures'
import type { EngineFactory } from './engines'
import { addUsers } from './foreign-rows'

type Opened = Awaited<ReturnType<EngineFactory['open']>>

interface Teardown {
  teardown(fn: () => void | Promise<void>): void
}

export const START_MS = Date.UTC(2025, 5, 1)
const HUB_KEYS = nodeEd25519.keyPairFromSeed(new Uint8Array(32).fill(7))
const silent = pino({ level: 'silent' })

/** One hub's voucher side on `opened`: its engine, a ledger beside it, and the stores built as services.ts builds them. */
export function hubOn(opened: Opened, clock: ManualClock, seed: string, policy: VoucherPolicy = DEFAULT_VOUCHER_POLICY) {
  const { engine } = opened
  const ledger: LedgerStore = opened.sqlite !== undefined
    ? new SqliteLedgerStore(opened.sqlite, { clock })
    : new PgLedgerStore(opened.pgPool!, { clock })
  const bus = recordingBus()
  const random = seededRandom(seed)
  return {
    engine,
    ledger,
    published: bus.published as PublishedMessage[],
    devices: new DeviceStore(engine),
    vouchers: new VoucherService(engine, ledger, HUB_KEYS, nodeEd25519, clock, random, silent, policy),
    revocations: new Revocations(engine, ledger, bus, HUB_KEYS, nodeEd25519, clock, policy.listedAfterExpiry_ms, silent),
  }
}

/** A second hub on the database of `opened` (see above). */
export async function secondOn(t: Teardown, opened: Opened): Promise<Opened> {
  return opened.dialect === 'postgres' ? opened.another(t) : opened
}

let users = 0

/** A user row, which the rows of the tests name by foreign key (on both engines). */
export async function addUserRow(engine: SqlEngine): Promise<string> {
  const id = `usr_test_${++users}`
  await addUsers(engine, [id])
  return id
}

/** A customer with an XOF wallet holding `balance_minor`, and a device of theirs bound with a key. */
export async function fundedCustomer(hub: ReturnType<typeof hubOn>, balance_minor: number, clock: ManualClock) {
  const userId = await addUserRow(hub.engine)
  const wallet = await hub.ledger.openWallet({ id: walletAccountId(userId, 'XOF'), userId, currency: 'XOF' })
  const { external } = await hub.ledger.systemAccounts('XOF')
  const [cashed] = await hub.ledger.applyTransfers([{
    id: cashTransferId('cash_in', wallet.id, userId), kind: 'cash_in', currency: 'XOF',
    postings: [{ accountId: external.id, amountMinor: -balance_minor, role: 'payer' }, { accountId: wallet.id, amountMinor: balance_minor, role: 'payee' }],
  }])
  if (cashed!.status !== 'applied') throw new Error(`cash-in ${cashed!.status}`)
  const device = {
    id: `dev_${userId}`, userId, imei: `IMEI-${userId}`, publicKey: nodeEd25519.keyPairFromSeed(new Uint8Array(32).fill(users % 250)).publicKey,
    model: null, brand: null, boundAtMs: clock.now_ms(),
  }
  await hub.devices.insert(device)
  return { userId, walletId: wallet.id, device: { ...device, status: 'bound' as const, unboundAtMs: null } }
}
