import t from 'tap'
import { errorOf, START_MS } from '../http/fixtures'
import { addGateway, call, fundVoucher, moneyHub, openWallet, oversizedBody, settle, signIn, type MoneyHub, type SignedIn } from './fixtures'

const POS_XOF = { gatewayType: 'pos', currency: 'XOF', basisPoints: 100, fixedMinor: 0, ownerShareBasisPoints: 5_000 }

function addFee(hub: MoneyHub, as: SignedIn | undefined, payload: object) {
  return call(hub.app, as, { method: 'POST', url: '/fees', payload })
}

function listFees(hub: MoneyHub, as: SignedIn | undefined, query = '') {
  return call(hub.app, as, { method: 'GET', url: `/fees${query}` })
}

t.test('an operator adds version 1, then version 2, each a schedule of its own', async (t) => {
  const hub = await moneyHub(t)
  const first = await addFee(hub, hub.operator, POS_XOF)
  t.equal(first.statusCode, 201)
  t.same(first.json(), {
    id: 'pos.XOF.v1', gatewayType: 'pos', currency: 'XOF', version: 1, basisPoints: 100, fixedMinor: 0, fixed: '0',
    ownerShareBasisPoints: 5_000, effectiveFrom: new Date(START_MS).toISOString(),
  })
  const second = await addFee(hub, hub.operator, { ...POS_XOF, basisPoints: 150, fixedMinor: 25, effectiveFrom: '2025-02-01' })
  t.equal(second.statusCode, 201)
  t.match(second.json(), { id: 'pos.XOF.v2', version: 2, basisPoints: 150, fixedMinor: 25, fixed: '25', effectiveFrom: '2025-02-01T00:00:00.000Z' })
  const otherCurrency = await addFee(hub, hub.operator, { ...POS_XOF, currency: 'EUR', fixedAmount: '0.30', fixedMinor: undefined })
  t.match(otherCurrency.json(), { id: 'pos.EUR.v1', version: 1, fixedMinor: 30, fixed: '0.30' }, 'versions count per type and currency')
  t.same((await hub.context.ledger.feeSchedules({ gatewayType: 'pos', currency: 'XOF' })).map((schedule) => schedule.id), ['pos.XOF.v1', 'pos.XOF.v2'])
})

t.test('operators and owners list the schedules, filtered by type and currency', async (t) => {
  const hub = await moneyHub(t)
  await addFee(hub, hub.operator, POS_XOF)
  await addFee(hub, hub.operator, { ...POS_XOF, basisPoints: 120 })
  await addFee(hub, hub.operator, { ...POS_XOF, gatewayType: 'kiosk' })
  for (const user of [hub.operator, hub.owner]) {
    const all = await listFees(hub, user)
    t.equal(all.statusCode, 200)
    t.same(all.json().schedules.map((schedule: { id: string }) => schedule.id), ['kiosk.XOF.v1', 'pos.XOF.v1', 'pos.XOF.v2'])
  }
  const pos = await listFees(hub, hub.owner, '?gatewayType=pos&currency=XOF')
  t.same(pos.json().schedules.map((schedule: { basisPoints: number }) => schedule.basisPoints), [100, 120])
  t.same((await listFees(hub, hub.owner, '?currency=EUR')).json(), { schedules: [] })
})

t.test('a fee version bump leaves an earlier transfer under the schedule it settled with', async (t) => {
  const hub = await moneyHub(t)
  const customerWallet = await openWallet(hub.app, hub.customer, 'XOF')
  const ownerWallet = await openWallet(hub.app, hub.owner, 'XOF')
  const shopWallet = await openWallet(hub.app, await signIn(hub, 'owner'), 'XOF')
  addGateway(hub, { eui: '00000000000000A1', ownerUserId: hub.owner.userId, merchantAccountId: shopWallet })
  await fundVoucher(hub, customerWallet, 'voucher-1', '50000', 20_000)
  const payment = { voucherId: 'voucher-1', gatewayEui: '00000000000000A1', merchantAccountId: shopWallet, ownerAccountId: ownerWallet }

  const v1 = (await addFee(hub, hub.operator, POS_XOF)).json().id
  const before = await settle(hub, { ...payment, record: 'before', amountMinor: 10_000, feeScheduleId: v1 })
  const v2 = (await addFee(hub, hub.operator, { ...POS_XOF, basisPoints: 300 })).json().id
  const after = await settle(hub, { ...payment, record: 'after', amountMinor: 10_000, feeScheduleId: v2 })

  const earlier = await hub.context.ledger.transfer(before)
  t.equal(earlier!.feeScheduleId, 'pos.XOF.v1')
  t.equal(earlier!.postings.find((posting) => posting.role === 'platform_share')!.amountMinor, 50, 'still the 1 % fee')
  t.equal((await hub.context.ledger.transfer(after))!.feeScheduleId, 'pos.XOF.v2')
  t.equal((await hub.context.ledger.feeSchedule('pos.XOF.v1'))!.basisPoints, 100, 'version 1 itself is unchanged')
})

t.test('fees: 403 for the wrong role, 401 without a token', async (t) => {
  const hub = await moneyHub(t)
  for (const user of [hub.owner, hub.customer]) {
    const response = await addFee(hub, user, POS_XOF)
    t.equal(response.statusCode, 403)
    t.equal(errorOf(response).code, 'FORBIDDEN')
  }
  t.equal((await listFees(hub, hub.customer)).statusCode, 403, 'customers do not list fees')
  t.equal((await addFee(hub, undefined, POS_XOF)).statusCode, 401)
  t.equal((await listFees(hub, undefined)).statusCode, 401)
  t.same(await hub.context.ledger.feeSchedules({}), [])
})

t.test('bad and missing fee fields are 400s and add nothing', async (t) => {
  const hub = await moneyHub(t)
  const { ownerShareBasisPoints: _share, ...withoutShare } = POS_XOF
  for (const [payload, code] of [
    [withoutShare, 'BAD_REQUEST'],
    [{ ...POS_XOF, basisPoints: 10_001 }, 'BAD_REQUEST'],
    [{ ...POS_XOF, basisPoints: 1.5 }, 'BAD_REQUEST'],
    [{ ...POS_XOF, ownerShareBasisPoints: -1 }, 'BAD_REQUEST'],
    [{ ...POS_XOF, fixedAmount: '0.5' }, 'BAD_REQUEST'],
    [{ ...POS_XOF, fixedMinor: undefined, fixedAmount: 5 }, 'BAD_REQUEST'],
    [{ ...POS_XOF, fixedMinor: undefined, fixedAmount: '0.5' }, 'MONEY_PRECISION'],
    [{ ...POS_XOF, gatewayType: 'pos.v2' }, 'BAD_REQUEST'],
    [{ ...POS_XOF, currency: 'ZZZ' }, 'UNKNOWN_CURRENCY'],
    [{ ...POS_XOF, effectiveFrom: 'next tuesday' }, 'BAD_REQUEST'],
  ] as const) {
    const response = await addFee(hub, hub.operator, payload)
    t.equal(response.statusCode, 400, JSON.stringify(payload))
    t.equal(errorOf(response).code, code, JSON.stringify(payload))
  }
  t.equal((await listFees(hub, hub.operator, '?currency=xof')).statusCode, 400)
  t.same(await hub.context.ledger.feeSchedules({}), [])
})

t.test('a fee body over the size limit is a 413', async (t) => {
  const hub = await moneyHub(t)
  const response = await call(hub.app, hub.operator, {
    method: 'POST', url: '/fees', headers: { 'content-type': 'application/json' }, payload: oversizedBody(POS_XOF),
  })
  t.equal(response.statusCode, 413)
})
