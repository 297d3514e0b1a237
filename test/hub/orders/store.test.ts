// The orders store on both engines: an order stored with its lines, listed newest first with the count of the whole
// selection, and decided once, however many decisions race for it.

import t from 'tap'
import { OrderStore, type NewOrder } from '../../../hub/orders/store'
import { engineTests } from '../helpers/engines'
import { addUsers } from '../helpers/foreign-rows'

const engineTest = engineTests(t)

function newOrder(id: string, userId: string, created_ms: number, gatewayIds: readonly string[]): NewOrder {
  const items = gatewayIds.map((gatewayId, index) => ({ gatewayId, quantity: 1, unitPriceMinor: 1_000 * (index + 1) }))
  return {
    id, userId, currency: 'XOF', totalMinor: items.reduce((sum, item) => sum + item.unitPriceMinor, 0),
    shippingAddress: 'Dakar', createdAtMs: created_ms, items,
  }
}

engineTest('an order is stored with its lines in order, and read back as it was', async (t, factory) => {
  const { engine } = await factory.open(t)
  await addUsers(engine, ['buyer'])
  const orders = new OrderStore(engine)
  await orders.insert(newOrder('ord_1', 'buyer', 1_000, ['gw_b', 'gw_a', 'gw_c']))
  t.same(await orders.byId('ord_1'), {
    id: 'ord_1', userId: 'buyer', status: 'pending', currency: 'XOF', totalMinor: 6_000, shippingAddress: 'Dakar',
    decisionReason: null, decidedByUserId: null, createdAtMs: 1_000, decidedAtMs: null,
    items: [
      { gatewayId: 'gw_b', quantity: 1, unitPriceMinor: 1_000 },
      { gatewayId: 'gw_a', quantity: 1, unitPriceMinor: 2_000 },
      { gatewayId: 'gw_c', quantity: 1, unitPriceMinor: 3_000 },
    ],
  })
  t.equal(await orders.byId('ord_none'), undefined)
  await t.rejects(orders.insert(newOrder('ord_1', 'buyer', 2_000, ['gw_d'])), 'an id is one order')
  t.same((await orders.byId('ord_1'))?.items.map(item => item.gatewayId), ['gw_b', 'gw_a', 'gw_c'],
    'a refused insert leaves nothing of itself')
})

engineTest('a page is newest first, filtered, each order with its own lines, and counts the whole selection', async (t, factory) => {
  const { engine } = await factory.open(t)
  await addUsers(engine, ['ann', 'bob', 'operator'])
  const orders = new OrderStore(engine)
  await orders.insert(newOrder('ord_a1', 'ann', 1_000, ['gw_1']))
  await orders.insert(newOrder('ord_b1', 'bob', 2_000, ['gw_2', 'gw_3']))
  await orders.insert(newOrder('ord_a2', 'ann', 3_000, ['gw_4', 'gw_5', 'gw_6']))
  await orders.insert(newOrder('ord_a3', 'ann', 3_000, ['gw_7']))
  await engine.write(sql => orders.decideIn(sql, 'ord_a2',
    { status: 'rejected', reason: 'no stock', deciderUserId: 'operator', decidedAtMs: 4_000 }))

  const all = await orders.page({}, 0, 10)
  t.same(all.orders.map(order => order.id), ['ord_a2', 'ord_a3', 'ord_b1', 'ord_a1'], 'newest first, then by id')
  t.equal(all.total, 4)
  t.same(all.orders.map(order => order.items.map(item => item.gatewayId)),
    [['gw_4', 'gw_5', 'gw_6'], ['gw_7'], ['gw_2', 'gw_3'], ['gw_1']], 'each order has its own lines')

  const annsSecond = await orders.page({ userId: 'ann' }, 1, 1)
  t.same(annsSecond.orders.map(order => [order.id, order.items.length]), [['ord_a3', 1]])
  t.equal(annsSecond.total, 3, 'the total counts the whole selection, not the page')
  t.same((await orders.page({ status: 'pending' }, 0, 10)).orders.map(order => order.id), ['ord_a3', 'ord_b1', 'ord_a1'])
  t.same(await orders.page({ userId: 'ann', status: 'rejected' }, 0, 10).then(page => [page.total, page.orders[0]?.decisionReason]),
    [1, 'no stock'])
  t.same(await orders.page({ userId: 'nobody' }, 0, 10), { orders: [], total: 0 })
  t.equal(await orders.count({ userId: 'ann', status: 'pending' }), 2)
  t.equal(await orders.count({}), 4)
})

engineTest('of decisions racing for one order, exactly one holds; a validated order reopens, a rejected one does not', async (t, factory) => {
  const { engine } = await factory.open(t)
  await addUsers(engine, ['buyer', 'op_1', 'op_2'])
  const orders = new OrderStore(engine)
  await orders.insert(newOrder('ord_1', 'buyer', 1_000, ['gw_1']))
  await orders.insert(newOrder('ord_2', 'buyer', 1_000, ['gw_2']))

  // On PostgreSQL each write is a transaction on a connection of its own, as two hubs' would be.
  const outcomes = await Promise.all(['op_1', 'op_2'].map(operator => engine.write(sql => orders.decideIn(sql, 'ord_1',
    { status: operator === 'op_1' ? 'validated' : 'rejected', reason: null, deciderUserId: operator, decidedAtMs: 2_000 }))))
  t.same(outcomes.filter(Boolean).length, 1, 'one decision holds')
  const decided = (await orders.byId('ord_1'))!
  t.equal(decided.decidedByUserId, outcomes[0] ? 'op_1' : 'op_2', 'the one that held is the one stored')
  t.equal(decided.status, outcomes[0] ? 'validated' : 'rejected')
  t.equal(await engine.write(sql => orders.decideIn(sql, 'ord_1',
    { status: 'validated', reason: null, deciderUserId: 'op_1', decidedAtMs: 3_000 })), false, 'a decided order stays decided')

  await engine.write(sql => orders.decideIn(sql, 'ord_2', { status: 'validated', reason: null, deciderUserId: 'op_1', decidedAtMs: 2_000 }))
  await engine.write(sql => orders.reopenIn(sql, 'ord_2'))
  t.match(await orders.byId('ord_2'), { status: 'pending', decisionReason: null, decidedByUserId: null, decidedAtMs: null })
  await engine.write(sql => orders.decideIn(sql, 'ord_2', { status: 'rejected', reason: 'no', deciderUserId: 'op_2', decidedAtMs: 3_000 }))
  await engine.write(sql => orders.reopenIn(sql, 'ord_2'))
  t.match(await orders.byId('ord_2'), { status: 'rejected', decisionReason: 'no', decidedAtMs: 3_000 }, 'only a validation is undone')
})

engineTest('the schema refuses an order its CHECKs forbid', async (t, factory) => {
  const { engine } = await factory.open(t)
  await addUsers(engine, ['buyer'])
  const orders = new OrderStore(engine)
  await t.rejects(orders.insert({ ...newOrder('ord_1', 'buyer', 1_000, ['gw_1']), totalMinor: -1 }), 'no negative total')
  await t.rejects(orders.insert({ ...newOrder('ord_2', 'buyer', 1_000, ['gw_1']), shippingAddress: '' }), 'an address is given')
  await orders.insert(newOrder('ord_3', 'buyer', 1_000, ['gw_1']))
  await t.rejects(engine.run(`UPDATE orders SET status = 'validated' WHERE id = ?`, ['ord_3']), 'a decided order has its decision time')
  t.same(await orders.page({}, 0, 10).then(page => page.orders.map(order => [order.id, order.status])), [['ord_3', 'pending']])
})
