import t from 'tap'
import { walletAccountId } from '../../../hub/accounts'
import { errorOf } from '../http/fixtures'
import { addGateway, call, fundVoucher, moneyHub, openWallet, settle, signIn, signInAgain, type MoneyHub, type SignedIn } from './fixtures'
import { DAY_MS } from '../../../protocol/clock'

const GATEWAY_A = '00000000000000A1'
const GATEWAY_B = '00000000000000B2'

interface RevenueWorld extends MoneyHub {
  ownerB: SignedIn
}

// Owner A runs gateway A, owner B gateway B; the fee is 1 %, half of it to the gateway's owner.
// Day 1 (2025-01-15): 10 000 XOF at A, 20 000 at B. Day 2: 4 000 at A. Day 20 (2025-02-03): 6 000 at A.
async function revenueWorld(t: Parameters<typeof moneyHub>[0]): Promise<RevenueWorld> {
  const hub = await moneyHub(t)
  const ownerA = hub.owner
  const ownerB = await signIn(hub, 'owner')
  const customerWallet = await openWallet(hub.app, hub.customer, 'XOF')
  const shop = await signIn(hub, 'owner')
  const shopWallet = await openWallet(hub.app, shop, 'XOF')
  const ownerAWallet = await openWallet(hub.app, ownerA, 'XOF')
  const ownerBWallet = await openWallet(hub.app, ownerB, 'XOF')
  addGateway(hub, { eui: GATEWAY_A, ownerUserId: ownerA.userId, merchantAccountId: shopWallet })
  addGateway(hub, { eui: GATEWAY_B, ownerUserId: ownerB.userId, merchantAccountId: shopWallet })
  const fee = await call(hub.app, hub.operator, {
    method: 'POST', url: '/fees', payload: { gatewayType: 'pos', currency: 'XOF', basisPoints: 100, fixedMinor: 0, ownerShareBasisPoints: 5_000 },
  })
  if (fee.statusCode !== 201) throw new Error(fee.body)
  await fundVoucher(hub, customerWallet, 'voucher-1', '100000', 50_000)

  const pay = (record: string, amount_minor: number, gatewayEui: string, ownerAccountId: string) => settle(hub, {
    record, voucherId: 'voucher-1', amountMinor: amount_minor, gatewayEui, merchantAccountId: shopWallet, ownerAccountId, feeScheduleId: fee.json().id,
  })
  await pay('a', 10_000, GATEWAY_A, ownerAWallet)
  await pay('b', 20_000, GATEWAY_B, ownerBWallet)
  hub.clock.advance(DAY_MS)
  await pay('c', 4_000, GATEWAY_A, ownerAWallet)
  hub.clock.advance(18 * DAY_MS)
  await pay('d', 6_000, GATEWAY_A, ownerAWallet)
  return {
    ...hub,
    operator: await signInAgain(hub, hub.operator),
    customer: await signInAgain(hub, hub.customer),
    owner: await signInAgain(hub, ownerA),
    ownerB: await signInAgain(hub, ownerB),
  }
}

function revenue(hub: MoneyHub, as: SignedIn | undefined, query: string) {
  return call(hub.app, as, { method: 'GET', url: `/revenue?${query}` })
}

// Rows come oldest period first, then by owner account id, which is random here: sort by gateway too.
function sortedRows(response: { json(): { rows: Array<Record<string, string | number>> } }) {
  const key = (row: Record<string, string | number>) => `${row.period} ${row.gatewayEui}`
  return response.json().rows.sort((a, b) => key(a).localeCompare(key(b)))
}

const ALL_OF_2025 = 'from=2025-01-01&to=2025-12-31'

t.test('an owner sees revenue of their own gateways only, per day', async (t) => {
  const hub = await revenueWorld(t)
  const response = await revenue(hub, hub.owner, `period=day&${ALL_OF_2025}`)
  t.equal(response.statusCode, 200)
  const ownerAccountId = walletAccountId(hub.owner.userId, 'XOF')
  const { rows, truncated } = response.json()
  t.same({ rows, truncated }, {
    rows: [
      { ownerUserId: hub.owner.userId, ownerAccountId, gatewayEui: GATEWAY_A, currency: 'XOF', period: '2025-01-15', revenueMinor: 50, revenue: '50', paymentCount: 1 },
      { ownerUserId: hub.owner.userId, ownerAccountId, gatewayEui: GATEWAY_A, currency: 'XOF', period: '2025-01-16', revenueMinor: 20, revenue: '20', paymentCount: 1 },
      { ownerUserId: hub.owner.userId, ownerAccountId, gatewayEui: GATEWAY_A, currency: 'XOF', period: '2025-02-03', revenueMinor: 30, revenue: '30', paymentCount: 1 },
    ],
    truncated: false,
  })
  t.notMatch(response.body, GATEWAY_B, 'owner B’s gateway is not in owner A’s report')
})

t.test('an owner asking for another owner’s revenue is refused with 403', async (t) => {
  const hub = await revenueWorld(t)
  const response = await revenue(hub, hub.owner, `ownerUserId=${hub.ownerB.userId}&${ALL_OF_2025}`)
  t.equal(response.statusCode, 403)
  t.equal(errorOf(response).code, 'FORBIDDEN')
  t.equal((await revenue(hub, hub.owner, `ownerUserId=${hub.owner.userId}&${ALL_OF_2025}`)).statusCode, 200, 'naming oneself is fine')
})

t.test('an operator sees every owner by month, or one owner, or one gateway', async (t) => {
  const hub = await revenueWorld(t)
  const all = await revenue(hub, hub.operator, `period=month&${ALL_OF_2025}`)
  t.equal(all.statusCode, 200)
  t.same(sortedRows(all).map((row) => [row.period, row.gatewayEui, row.revenueMinor, row.paymentCount]), [
    ['2025-01', GATEWAY_A, 70, 2],
    ['2025-01', GATEWAY_B, 100, 1],
    ['2025-02', GATEWAY_A, 30, 1],
  ])
  const ownerB = await revenue(hub, hub.operator, `period=month&ownerUserId=${hub.ownerB.userId}&${ALL_OF_2025}`)
  t.same(ownerB.json().rows.map((row: Record<string, unknown>) => [row.ownerUserId, row.gatewayEui, row.revenueMinor]),
    [[hub.ownerB.userId, GATEWAY_B, 100]])
  const oneGateway = await revenue(hub, hub.operator, `period=month&gatewayEui=00-00-00-00-00-00-00-a1&${ALL_OF_2025}`)
  t.same(oneGateway.json().rows.map((row: Record<string, unknown>) => row.revenueMinor), [70, 30], 'an EUI in any spelling')
})

t.test('from and to are UTC days, both included', async (t) => {
  const hub = await revenueWorld(t)
  const firstDay = await revenue(hub, hub.operator, 'from=2025-01-15&to=2025-01-15')
  t.same(sortedRows(firstDay).map((row) => [row.period, row.gatewayEui]),
    [['2025-01-15', GATEWAY_A], ['2025-01-15', GATEWAY_B]], 'period defaults to day')
  const later = await revenue(hub, hub.operator, 'from=2025-01-16&to=2025-02-02')
  t.same(later.json().rows.map((row: Record<string, unknown>) => row.period), ['2025-01-16'])
})

t.test('revenue is for operators and owners: 403 to a customer, 401 without a token', async (t) => {
  const hub = await revenueWorld(t)
  const customer = await revenue(hub, hub.customer, ALL_OF_2025)
  t.equal(customer.statusCode, 403)
  t.equal(errorOf(customer).code, 'FORBIDDEN')
  t.equal((await revenue(hub, undefined, ALL_OF_2025)).statusCode, 401)
})

t.test('bad and missing query fields are 400s', async (t) => {
  const hub = await revenueWorld(t)
  for (const [query, code] of [
    ['to=2025-01-31', 'BAD_REQUEST'],
    ['from=2025-01-01', 'BAD_REQUEST'],
    ['from=2025-02-30&to=2025-03-01', 'BAD_REQUEST'],
    ['from=2025-01-01T00:00&to=2025-03-01', 'BAD_REQUEST'],
    ['from=2025-03-01&to=2025-01-01', 'BAD_REQUEST'],
    [`period=week&${ALL_OF_2025}`, 'BAD_REQUEST'],
    [`gatewayEui=not-an-eui&${ALL_OF_2025}`, 'BAD_EUI'],
    [`ownerUserId=${encodeURIComponent('two words')}&${ALL_OF_2025}`, 'BAD_REQUEST'],
  ] as const) {
    const response = await revenue(hub, hub.operator, query)
    t.equal(response.statusCode, 400, query)
    t.equal(errorOf(response).code, code, query)
  }
})

t.test('revenue comes as chart series too: one per gateway, a value for every day or month of the window, zeros where it earned nothing', async (t) => {
  const hub = await revenueWorld(t)
  const byDay = (await revenue(hub, hub.operator, 'period=day&from=2025-01-14&to=2025-01-17')).json()
  t.same(byDay.periods, ['2025-01-14', '2025-01-15', '2025-01-16', '2025-01-17'])
  t.same(byDay.series, [
    {
      gatewayEui: GATEWAY_A, gatewayId: `gw-${GATEWAY_A}`, gatewayName: `Gateway ${GATEWAY_A}`, currency: 'XOF',
      revenueMinor: [0, 50, 20, 0], paymentCount: [0, 1, 1, 0], totalMinor: 70, total: '70',
    },
    {
      gatewayEui: GATEWAY_B, gatewayId: `gw-${GATEWAY_B}`, gatewayName: `Gateway ${GATEWAY_B}`, currency: 'XOF',
      revenueMinor: [0, 100, 0, 0], paymentCount: [0, 1, 0, 0], totalMinor: 100, total: '100',
    },
  ])
  const byMonth = (await revenue(hub, hub.owner, 'period=month&from=2025-01-01&to=2025-03-31')).json()
  t.same(byMonth.periods, ['2025-01', '2025-02', '2025-03'])
  t.same(byMonth.series.map((series: Record<string, unknown>) => [series.gatewayEui, series.revenueMinor]), [[GATEWAY_A, [70, 30, 0]]],
    'an owner’s series are of their own gateways')
  t.equal(byMonth.truncated, false)
})

t.test('a gateway is named by its id: an owner only one of theirs, an unknown one is 404, never with its EUI too', async (t) => {
  const hub = await revenueWorld(t)
  const gatewayOf = async (as: SignedIn, id: string) => revenue(hub, as, `gatewayId=${id}&${ALL_OF_2025}`)
  const own = await gatewayOf(hub.owner, `gw-${GATEWAY_A}`)
  t.same(own.json().rows.map((row: Record<string, unknown>) => [row.gatewayEui, row.revenueMinor]), [[GATEWAY_A, 50], [GATEWAY_A, 20], [GATEWAY_A, 30]])
  const foreign = await gatewayOf(hub.owner, `gw-${GATEWAY_B}`)
  t.equal(foreign.statusCode, 403)
  t.same(errorOf(foreign), { code: 'FORBIDDEN', message: `gateway gw-${GATEWAY_B} is not one of yours` })
  t.same((await gatewayOf(hub.operator, `gw-${GATEWAY_B}`)).json().series.map((series: Record<string, unknown>) => series.totalMinor), [100],
    'an operator names any gateway')
  const unknown = await gatewayOf(hub.operator, 'gw-nowhere')
  t.equal(unknown.statusCode, 404)
  t.equal(errorOf(unknown).code, 'NOT_FOUND')
  const both = await revenue(hub, hub.operator, `gatewayId=gw-${GATEWAY_A}&gatewayEui=${GATEWAY_A}&${ALL_OF_2025}`)
  t.equal(both.statusCode, 400)
  t.equal(errorOf(both).code, 'BAD_REQUEST')
})

t.test('the window is bounded: 366 days by day, 60 months by month; past it 400 RANGE_TOO_LONG', async (t) => {
  const hub = await revenueWorld(t)
  const leapYear = await revenue(hub, hub.operator, 'period=day&from=2024-01-01&to=2024-12-31')
  t.equal(leapYear.statusCode, 200)
  t.equal(leapYear.json().periods.length, 366)
  const fiveYears = await revenue(hub, hub.operator, 'period=month&from=2021-01-01&to=2025-12-31')
  t.equal(fiveYears.json().periods.length, 60)
  for (const query of ['period=day&from=2024-01-01&to=2025-01-01', 'period=month&from=2020-12-31&to=2025-12-31']) {
    const response = await revenue(hub, hub.operator, query)
    t.equal(response.statusCode, 400, query)
    t.equal(errorOf(response).code, 'RANGE_TOO_LONG', query)
  }
})
