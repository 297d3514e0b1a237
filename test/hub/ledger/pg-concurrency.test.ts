// PostgreSQL only: several hubs (each a PgLedgerStore with its own pool) on one database, racing on copies of the same
// batches. The database decides: every transfer is applied by exactly one hub, every other copy answers 'exists' or
// 'conflict', the ledger verifies, and it ends as one hub alone would have left it. The interleavings vary from run
// to run; what is checked holds under every one of them.

import t, { type Test } from 'tap'
import type { Pool } from 'pg'
import { sha256, toHex } from '../../../protocol/bytes'
import { HOUR_MS, ManualClock } from '../../../protocol/clock'
import { cashTransferId } from '../../../hub/ledger/ids'
import { PgLedgerStore } from '../../../hub/ledger/pg-store'
import { cashInPostings, walletTransferPostings } from '../../../hub/ledger/settle'
import type { HoldOutcome, SettleFromHoldInput, TransferOutcome } from '../../../hub/ledger/store'
import type { TransferInput } from '../../../hub/ledger/model'
import { verifyLedger } from '../../../hub/ledger/verify'
import { migratePg } from '../../../hub/store/pg/migrate'
import { PG_MIGRATIONS } from '../../../hub/store/pg/migrations'
import { postgresSkip, testDatabase } from '../../helpers/postgres'

const HUBS = 4
const VOUCHERS = 8
const RECORDS = 160
const BATCH = 20
const GATEWAY_EUI = '00112233AABBCCDD'

const skip = postgresSkip()
let schemas = 0

function idOf(text: string): string {
  return toHex(sha256(new TextEncoder().encode(text)))
}

/** `count` hubs on one new schema, migrated by all of them at once, as hubs starting together do. */
async function hubs(test: Test, count: number): Promise<PgLedgerStore[]> {
  // The file's database lives as long as the file's root test (t), not this one.
  const database = await testDatabase(t)
  schemas += 1
  const schema = `race_${process.pid}_${schemas}`
  const pools: Pool[] = []
  for (let index = 0; index < count; index += 1) {
    const pool = await database.pool(schema)
    test.teardown(() => pool.end())
    pools.push(pool)
  }
  const versions = await Promise.all(pools.map(pool => migratePg(pool)))
  const latest = PG_MIGRATIONS[PG_MIGRATIONS.length - 1]!.version
  test.same(versions, pools.map(() => latest), 'every hub finds the schema at its latest version')
  const applied = await pools[0]!.query('SELECT version FROM payall_schema_version')
  test.equal(applied.rowCount, PG_MIGRATIONS.length, 'each migration was applied once')
  const clock = new ManualClock(Date.UTC(2025, 0, 15, 12))
  return pools.map(pool => new PgLedgerStore(pool, { clock }))
}

async function seed(store: PgLedgerStore): Promise<void> {
  await store.systemAccounts('XOF')
  for (const id of ['shop', 'owner', 'payer']) await store.openWallet({ id, userId: `user-${id}`, currency: 'XOF' })
  await store.applyTransfers([{
    id: cashTransferId('cash_in', 'payer', 'seed'), kind: 'cash_in', currency: 'XOF',
    postings: cashInPostings({ externalAccountId: 'external:XOF', walletAccountId: 'payer', amountMinor: 10_000_000 }),
  }])
  await store.addFeeSchedule({
    id: 'pos-xof-1', gatewayType: 'pos', currency: 'XOF', version: 1,
    basisPoints: 200, fixedMinor: 10, ownerShareBasisPoints: 2_500, effectiveFromMs: 0,
  })
  for (let index = 0; index < VOUCHERS; index += 1) {
    const wallet = `customer-${index}`
    await store.openWallet({ id: wallet, userId: `user-${wallet}`, currency: 'XOF' })
    await store.applyTransfers([{
      id: cashTransferId('cash_in', wallet, 'seed'), kind: 'cash_in', currency: 'XOF',
      postings: cashInPostings({ externalAccountId: 'external:XOF', walletAccountId: wallet, amountMinor: 50_000 }),
    }])
    await store.placeHold({
      voucherId: `voucher-${index}`, walletAccountId: wallet, limitMinor: 20_000,
      expiresAtMs: Date.UTC(2025, 0, 15, 13), uploadDeadlineAtMs: Date.UTC(2025, 0, 15, 12) + 2 * HOUR_MS,
    })
  }
}

function settlement(record: number, voucher = record % VOUCHERS): SettleFromHoldInput {
  return {
    transferId: idOf(`record-${record}`), voucherId: `voucher-${voucher}`, amountMinor: 1_000 + 37 * record,
    merchantAccountId: 'shop', ownerAccountId: 'owner', feeScheduleId: 'pos-xof-1', gatewayEui: GATEWAY_EUI,
  }
}

function p2p(index: number): TransferInput {
  return {
    id: idOf(`p2p-${index}`), kind: 'p2p', currency: 'XOF',
    postings: walletTransferPostings({ payerAccountId: 'payer', payeeAccountId: 'shop', amountMinor: 500 + index }),
  }
}

/** The records in batches of BATCH, each hub starting at another batch, so copies of one batch meet in flight. */
function batchesFor(hub: number, records: readonly number[]): number[][] {
  const batches: number[][] = []
  for (let start = 0; start < records.length; start += BATCH) batches.push(records.slice(start, start + BATCH))
  return batches.map((_, index) => batches[(index + hub) % batches.length]!)
}

async function balances(store: PgLedgerStore, ids: readonly string[]): Promise<Record<string, number | undefined>> {
  const entries = await Promise.all(ids.map(async id => [id, (await store.account(id))?.balanceMinor] as const))
  return Object.fromEntries(entries)
}

function tally(outcomes: ReadonlyArray<TransferOutcome | HoldOutcome>, applied: Map<string, number>): void {
  for (const outcome of outcomes) {
    if (outcome.status === 'refused') throw new Error(`refused: ${outcome.error.code} ${outcome.error.message}`)
    if (outcome.status === 'applied' && outcome.transferId !== null) {
      applied.set(outcome.transferId, (applied.get(outcome.transferId) ?? 0) + 1)
    }
  }
}

t.test('hubs racing on copies of the same batches settle every record exactly once', { skip }, async t => {
  const stores = await hubs(t, HUBS)
  await seed(stores[0]!)
  const records = Array.from({ length: RECORDS }, (_, index) => index)
  const applied = new Map<string, number>()
  await Promise.all(stores.map(async (store, hub) => {
    for (const batch of batchesFor(hub, records)) {
      const [settled, transferred] = await Promise.all([
        store.settleFromHolds(batch.map(record => settlement(record))),
        store.applyTransfers(batch.slice(0, 4).map(p2p)),
      ])
      tally(settled, applied)
      tally(transferred, applied)
    }
  }))
  const p2pIds = new Set(records.flatMap(record => [0, 1, 2, 3].map(offset => record - (record % BATCH) + offset)))
  t.equal(applied.size, RECORDS + p2pIds.size, 'every record and transfer was applied')
  t.same([...new Set(applied.values())], [1], 'each by one hub only')
  t.same((await verifyLedger(stores[0]!)).violations, [], 'the ledger verifies')

  // One hub alone, one call per record, on a ledger of its own: the same balances.
  const [alone] = await hubs(t, 1)
  await seed(alone!)
  for (const record of records) await alone!.settleFromHolds([settlement(record)])
  for (const index of p2pIds) await alone!.applyTransfers([p2p(index)])
  const accounts = ['shop', 'owner', 'payer', 'platform:XOF', 'external:XOF',
    ...Array.from({ length: VOUCHERS }, (_, index) => [`customer-${index}`, `hold:customer-${index}`]).flat()]
  t.same(await balances(stores[1]!, accounts), await balances(alone!, accounts), 'the balances one hub alone leaves')
  for (let index = 0; index < VOUCHERS; index += 1) {
    const [raced, single] = [await stores[2]!.hold(`voucher-${index}`), await alone!.hold(`voucher-${index}`)]
    t.same([raced?.settledMinor, raced?.excessMinor], [single?.settledMinor, single?.excessMinor], `voucher-${index}'s totals`)
  }
})

t.test('one voucher placed by two hubs on two wallets is placed once; the other copy is a conflict', { skip }, async t => {
  // The two calls lock no row in common (each its own wallet): the unique transfer id decides, and the loser's call
  // runs again and finds the winner's hold. (Settlements always share their currency's platform account.)
  const stores = await hubs(t, 2)
  await seed(stores[0]!)
  const outcomes = await Promise.all(Array.from({ length: 24 }, (_, copy) => stores[copy % 2]!.placeHold({
    voucherId: `contested-${Math.floor(copy / 2)}`, walletAccountId: `customer-${copy % 2}`, limitMinor: 100,
    expiresAtMs: Date.UTC(2025, 0, 16), uploadDeadlineAtMs: Date.UTC(2025, 0, 17),
  })))
  const statuses = new Map<string, string[]>()
  outcomes.forEach((outcome, copy) => {
    const voucherId = `contested-${Math.floor(copy / 2)}`
    statuses.set(voucherId, [...statuses.get(voucherId) ?? [], outcome.status].sort())
  })
  t.equal(statuses.size, 12)
  t.same([...new Set([...statuses.values()].map(pair => pair.join(' ')))], ['applied conflict'])
  t.same((await verifyLedger(stores[0]!)).violations, [], 'the ledger verifies')
})

t.test('hubs creating the same accounts at once get the same accounts', { skip }, async t => {
  const stores = await hubs(t, HUBS)
  const created = await Promise.all(stores.map(store => store.systemAccounts('EUR')))
  t.same(new Set(created.map(accounts => JSON.stringify(accounts))).size, 1)
  const wallets = await Promise.all(stores.map(store => store.openWallet({ id: 'eve', userId: 'user-eve', currency: 'EUR' })))
  t.same(new Set(wallets.map(wallet => JSON.stringify(wallet))).size, 1)
  const holds = await Promise.all(stores.map(store => store.holdAccount('eve')))
  t.same(new Set(holds.map(account => account.id)), new Set(['hold:eve']))
})
