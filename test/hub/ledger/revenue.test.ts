import t from 'tap'
import { sha256, toHex } from '../../../protocol/bytes'
import { computeFee } from '../../../hub/ledger/fees'
import { cashTransferId } from '../../../hub/ledger/ids'
import { ownerRevenue, periodLabels, revenueSeries } from '../../../hub/ledger/revenue'
import { cashInPostings, paymentPostings } from '../../../hub/ledger/settle'
import { verifyLedger } from '../../../hub/ledger/verify'
import { ManualClock } from '../../../protocol/clock'
import { ledgerTests, type LedgerFactory, type OpenLedger, type Teardown } from '../helpers/ledger'

// The tests over a ledger run on SQLite and on PostgreSQL (test/hub/helpers/ledger.ts).
const test = ledgerTests(t)
const GATEWAY_1 = '00000000000000A1'
const GATEWAY_2 = '00000000000000B2'
const SCHEDULE = {
  id: 'pos-xof-1', gatewayType: 'pos', currency: 'XOF', version: 1,
  basisPoints: 100, fixedMinor: 0, ownerShareBasisPoints: 5_000, effectiveFromMs: 0,
}

function idOf(text: string): string {
  return toHex(sha256(new TextEncoder().encode(text)))
}

// Owner 1 runs gateway 1, owner 2 gateway 2. Fee 1 %, half of it to the owner.
async function ledgerWithPayments(t: Teardown, factory: LedgerFactory): Promise<OpenLedger> {
  const clock = new ManualClock(Date.UTC(2025, 0, 31, 23, 0))
  const ledger = await factory.open(t, { clock })
  const { store } = ledger
  const platform = (await store.systemAccounts('XOF')).platform
  for (const id of ['alice', 'shop', 'owner-1', 'owner-2']) await store.openWallet({ id, userId: `user-${id}`, currency: 'XOF' })
  await store.addFeeSchedule(SCHEDULE)
  await store.applyTransfers([{
    id: cashTransferId('cash_in', 'alice', 'receipt-1'), kind: 'cash_in', currency: 'XOF',
    postings: cashInPostings({ externalAccountId: 'external:XOF', walletAccountId: 'alice', amountMinor: 100_000 }),
  }])
  await store.placeHold({
    voucherId: 'voucher-1', walletAccountId: 'alice', limitMinor: 50_000,
    expiresAtMs: Date.UTC(2025, 1, 10), uploadDeadlineAtMs: Date.UTC(2025, 1, 11),
  })
  const settle = (record: string, amount_minor: number, ownerAccountId: string, gatewayEui: string) =>
    store.settleFromHolds([{
      transferId: idOf(record), voucherId: 'voucher-1', amountMinor: amount_minor, merchantAccountId: 'shop', ownerAccountId,
      feeScheduleId: SCHEDULE.id, gatewayEui,
    }])

  await settle('a', 10_000, 'owner-1', GATEWAY_1) // 2025-01-31 23:00, owner 50
  clock.set(Date.UTC(2025, 1, 1, 0, 30))
  await settle('b', 20_000, 'owner-1', GATEWAY_1) // 2025-02-01, owner 100
  await settle('c', 10_000, 'owner-2', GATEWAY_2) // 2025-02-01, owner 50
  clock.set(Date.UTC(2025, 1, 2, 9))
  await store.applyTransfers([{ // an online payment, 2025-02-02, owner 20
    id: idOf('online-d'), kind: 'online_payment', currency: 'XOF', gatewayEui: GATEWAY_1, feeScheduleId: SCHEDULE.id,
    postings: paymentPostings({
      amountMinor: 4_000, customerAccountId: 'alice', merchantAccountId: 'shop', ownerAccountId: 'owner-1',
      platformAccountId: platform.id, fee: computeFee(4_000, SCHEDULE),
    }),
  }])
  return ledger
}

const ALL_TIME = { fromMs: 0, toMs: Date.UTC(2030, 0, 1) }

test('sums an owner’s share per gateway and UTC day', async (t, factory) => {
  const { store } = await ledgerWithPayments(t, factory)
  const report = await ownerRevenue(store, { ownerUserId: 'user-owner-1', period: 'day', ...ALL_TIME })
  t.equal(report.truncated, false)
  t.same(report.rows.map(row => [row.period, row.gatewayEui, row.revenueMinor, row.paymentCount]), [
    ['2025-01-31', GATEWAY_1, 50, 1],
    ['2025-02-01', GATEWAY_1, 100, 1],
    ['2025-02-02', GATEWAY_1, 20, 1],
  ])
  t.match(report.rows[0], { ownerUserId: 'user-owner-1', ownerAccountId: 'owner-1', currency: 'XOF' })
})

test('sums per UTC month across owners, oldest first', async (t, factory) => {
  const { store } = await ledgerWithPayments(t, factory)
  const report = await ownerRevenue(store, { period: 'month', ...ALL_TIME })
  t.same(report.rows.map(row => [row.period, row.ownerAccountId, row.gatewayEui, row.revenueMinor, row.paymentCount]), [
    ['2025-01', 'owner-1', GATEWAY_1, 50, 1],
    ['2025-02', 'owner-1', GATEWAY_1, 120, 2],
    ['2025-02', 'owner-2', GATEWAY_2, 50, 1],
  ])
})

test('filters by a half-open time range and by gateway', async (t, factory) => {
  const { store } = await ledgerWithPayments(t, factory)
  const february1 = await ownerRevenue(store, { period: 'day', fromMs: Date.UTC(2025, 1, 1), toMs: Date.UTC(2025, 1, 2) })
  t.same(february1.rows.map(row => [row.ownerAccountId, row.revenueMinor]), [['owner-1', 100], ['owner-2', 50]])
  const gateway2 = await ownerRevenue(store, { period: 'month', gatewayEui: GATEWAY_2, ...ALL_TIME })
  t.same(gateway2.rows.map(row => [row.ownerAccountId, row.revenueMinor]), [['owner-2', 50]])
  const nobody = await ownerRevenue(store, { period: 'month', ownerUserId: 'user-alice', ...ALL_TIME })
  t.same(nobody.rows, [])
})

test('says when rows were cut at rowsMax', async (t, factory) => {
  const { store } = await ledgerWithPayments(t, factory)
  const report = await ownerRevenue(store, { period: 'day', rowsMax: 2, ...ALL_TIME })
  t.equal(report.rows.length, 2)
  t.equal(report.truncated, true)
})

test('refuses a malformed query with INVALID_QUERY', async (t, factory) => {
  const { store } = await ledgerWithPayments(t, factory)
  await t.rejects(ownerRevenue(store, { period: 'day', fromMs: 10, toMs: 10 }), { code: 'INVALID_QUERY' })
  await t.rejects(ownerRevenue(store, { period: 'week' as 'day', ...ALL_TIME }), { code: 'INVALID_QUERY' })
  await t.rejects(ownerRevenue(store, { period: 'day', gatewayEui: 'a1', ...ALL_TIME }), { code: 'INVALID_QUERY' })
  await t.rejects(ownerRevenue(store, { period: 'day', rowsMax: 0, ...ALL_TIME }), { code: 'INVALID_QUERY' })
})

test('the payments behind the report keep the ledger verified', async (t, factory) => {
  const { store } = await ledgerWithPayments(t, factory)
  t.same((await verifyLedger(store)).violations, [])
})

t.test('period labels cover every UTC day or month the window touches, and stop at their bound', async t => {
  t.same(periodLabels(Date.UTC(2024, 1, 28, 12), Date.UTC(2024, 2, 2), 'day', 10), ['2024-02-28', '2024-02-29', '2024-03-01'],
    'a leap day, and a window starting mid-day')
  t.same(periodLabels(Date.UTC(2024, 10, 30), Date.UTC(2025, 1, 1), 'month', 10), ['2024-11', '2024-12', '2025-01'], 'across a new year')
  t.same(periodLabels(Date.UTC(2025, 0, 1), Date.UTC(2025, 0, 4), 'day', 3), ['2025-01-01', '2025-01-02', '2025-01-03'], 'exactly the bound')
  t.equal(periodLabels(Date.UTC(2025, 0, 1), Date.UTC(2025, 0, 5), 'day', 3), undefined, 'one past it')
})

t.test('series sum a gateway’s owners per period, put zeros where it earned nothing, and say when cut', async t => {
  const row = (gatewayEui: string, period: string, revenue_minor: number, ownerAccountId = 'owner-1', currency = 'XOF') =>
    ({ ownerUserId: null, ownerAccountId, gatewayEui, currency, period, revenueMinor: revenue_minor, paymentCount: 1 })
  const periods = ['2025-01', '2025-02', '2025-03']
  const { series, truncated } = revenueSeries([
    row(GATEWAY_2, '2025-01', 5), row(GATEWAY_1, '2025-01', 10), row(GATEWAY_1, '2025-01', 7, 'owner-2'), row(GATEWAY_1, '2025-03', 3),
    row(GATEWAY_1, '2025-02', 4, 'owner-1', 'EUR'),
  ], periods, 10)
  t.same(series, [
    { gatewayEui: GATEWAY_1, currency: 'EUR', revenueMinor: [0, 4, 0], paymentCount: [0, 1, 0], totalMinor: 4 },
    { gatewayEui: GATEWAY_1, currency: 'XOF', revenueMinor: [17, 0, 3], paymentCount: [2, 0, 1], totalMinor: 20 },
    { gatewayEui: GATEWAY_2, currency: 'XOF', revenueMinor: [5, 0, 0], paymentCount: [1, 0, 0], totalMinor: 5 },
  ])
  t.equal(truncated, false)
  const cut = revenueSeries([row(GATEWAY_2, '2025-01', 5), row(GATEWAY_1, '2025-01', 10)], periods, 1)
  t.same([cut.series.map(one => one.gatewayEui), cut.truncated], [[GATEWAY_1], true])
  t.throws(() => revenueSeries([row(GATEWAY_1, '2024-12', 1)], periods, 10), /outside the periods asked/)
})
