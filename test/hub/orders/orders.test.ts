import t from 'tap'
import { heardEvents, heardSoFar } from '../helpers/live-events'
import { errorOf } from '../http/fixtures'
import { ORDER_ITEMS_MAX } from '../../../hub/orders/store'
import { call, outbox, restHub, type RestHub, type SignedIn } from '../users/fixtures'

let euis = 0

/** A gateway in the catalog, added by the operator through REST. */
async function catalogGateway(hub: RestHub, price = '25000', currency = 'XOF'): Promise<string> {
  const eui = `70B3D57EBE${(++euis).toString(16).padStart(6, '0').toUpperCase()}`
  const response = await call(hub.app, hub.operator, {
    method: 'POST', url: '/gateways', payload: { name: `Counter ${eui}`, type: 'pi-nfc', eui, price, currency },
  })
  if (response.statusCode !== 201) throw new Error(response.body)
  return response.json().id
}

function order(hub: RestHub, as: SignedIn | undefined, gatewayIds: string[], extra: object = {}) {
  return call(hub.app, as, {
    method: 'POST', url: '/orders',
    payload: { items: gatewayIds.map((gatewayId) => ({ gatewayId, quantity: 1 })), shippingAddress: '12 rue Carnot, Dakar', ...extra },
  })
}

t.test('an order of catalog gateways is created pending with its total, and the buyer is told', async (t) => {
  const hub = await restHub(t)
  const first = await catalogGateway(hub, '25000')
  const second = await catalogGateway(hub, '30000')
  const response = await order(hub, hub.customer, [first, second])
  t.equal(response.statusCode, 201)
  t.match(response.json(), {
    userId: hub.customer.userId, status: 'pending', currency: 'XOF', totalMinor: 55000, total: '55000',
    shippingAddress: '12 rue Carnot, Dakar', decisionReason: null, decidedAt: null,
    items: [{ gatewayId: first, quantity: 1, unitPriceMinor: 25000, unitPrice: '25000' }, { gatewayId: second, unitPriceMinor: 30000 }],
  })
  const [message] = outbox(hub, 'order_placed')
  t.match(message, { recipient: hub.customer.email, channel: 'email' })
  t.match(message!.body, /2 gateway\(s\)/)
})

t.test('orders are for customers and owners: an operator gets 403, nobody without a token', async (t) => {
  const hub = await restHub(t)
  const gateway = await catalogGateway(hub)
  t.equal((await order(hub, hub.owner, [gateway])).statusCode, 201)
  t.equal((await order(hub, hub.operator, [gateway])).statusCode, 403)
  t.equal((await order(hub, undefined, [gateway])).statusCode, 401)
})

t.test('an order refuses unknown, repeated, taken and mixed-currency gateways, and quantities other than 1', async (t) => {
  const hub = await restHub(t)
  const xof = await catalogGateway(hub)
  const eur = await catalogGateway(hub, '49.90', 'EUR')
  t.equal(errorOf(await order(hub, hub.customer, ['no-such-gateway'])).code, 'BAD_REQUEST')
  t.equal((await order(hub, hub.customer, [xof, xof])).statusCode, 400)
  t.match(errorOf(await order(hub, hub.customer, [xof, eur])).message, /one currency/)
  const two = await call(hub.app, hub.customer, {
    method: 'POST', url: '/orders', payload: { items: [{ gatewayId: xof, quantity: 2 }], shippingAddress: 'Dakar' },
  })
  t.equal(two.statusCode, 400)
  await call(hub.app, hub.operator, { method: 'POST', url: `/gateways/${xof}/assign`, payload: { ownerUserId: hub.owner.userId } })
  const taken = await order(hub, hub.customer, [xof])
  t.equal(taken.statusCode, 409)
  t.equal(errorOf(taken).code, 'GATEWAY_UNAVAILABLE')
  t.equal((hub.context.db.prepare('SELECT count(*) AS count FROM orders').get() as { count: number }).count, 0)
})

t.test('an order refuses missing, malformed and oversized input', async (t) => {
  const hub = await restHub(t)
  const gateway = await catalogGateway(hub)
  const post = (payload: unknown) => call(hub.app, hub.customer, { method: 'POST', url: '/orders', payload: payload as object })
  t.equal((await post({ items: [{ gatewayId: gateway, quantity: 1 }] })).statusCode, 400, 'no address')
  t.equal((await post({ shippingAddress: 'Dakar' })).statusCode, 400, 'no items')
  t.equal((await post({ items: [], shippingAddress: 'Dakar' })).statusCode, 400)
  t.equal((await post({ items: [{ gatewayId: gateway }], shippingAddress: 'Dakar' })).statusCode, 400)
  t.equal((await post({ items: [{ gatewayId: gateway, quantity: '1' }], shippingAddress: 'Dakar' })).statusCode, 400)
  t.equal((await post({ items: [{ gatewayId: gateway, quantity: 1 }], shippingAddress: '   ' })).statusCode, 400)
  t.equal((await post({ items: [{ gatewayId: gateway, quantity: 1 }], shippingAddress: 'Dakar', paid: true })).statusCode, 400)
  const many = Array.from({ length: ORDER_ITEMS_MAX + 1 }, (_, index) => ({ gatewayId: `g${index}`, quantity: 1 }))
  t.equal((await post({ items: many, shippingAddress: 'Dakar' })).statusCode, 400)
  t.equal((await post({ items: [{ gatewayId: gateway, quantity: 1 }], shippingAddress: 'D'.repeat(20_000) })).statusCode, 413)
})

t.test('buyers list and read their own orders; an operator reads all; nobody reads another buyer’s', async (t) => {
  const hub = await restHub(t)
  const mine = (await order(hub, hub.customer, [await catalogGateway(hub)])).json()
  hub.clock.advance(1000)
  const theirs = (await order(hub, hub.owner, [await catalogGateway(hub)])).json()

  const own = await call(hub.app, hub.customer, { method: 'GET', url: '/orders' })
  t.same(own.json().items.map((item: { id: string }) => item.id), [mine.id])
  t.equal(own.json().total, 1)
  const all = await call(hub.app, hub.operator, { method: 'GET', url: '/orders?pageSize=1' })
  t.same(all.json(), { ...all.json(), page: 1, pageSize: 1, total: 2 })
  t.same(all.json().items.map((item: { id: string }) => item.id), [theirs.id], 'newest first')
  const filtered = await call(hub.app, hub.operator, { method: 'GET', url: `/orders?userId=${hub.customer.userId}&status=pending` })
  t.same(filtered.json().items.map((item: { id: string }) => item.id), [mine.id])

  t.equal((await call(hub.app, hub.customer, { method: 'GET', url: `/orders/${mine.id}` })).statusCode, 200)
  t.equal((await call(hub.app, hub.operator, { method: 'GET', url: `/orders/${theirs.id}` })).statusCode, 200)
  const forbidden = await call(hub.app, hub.customer, { method: 'GET', url: `/orders/${theirs.id}` })
  t.equal(forbidden.statusCode, 403)
  t.notMatch(forbidden.body, /Carnot/)
  t.equal((await call(hub.app, hub.customer, { method: 'GET', url: `/orders?userId=${hub.owner.userId}` })).statusCode, 403)
  t.equal((await call(hub.app, hub.customer, { method: 'GET', url: '/orders/ord_missing' })).statusCode, 404)
  t.equal((await call(hub.app, hub.customer, { method: 'GET', url: '/orders?pageSize=1000' })).statusCode, 400)
  t.equal((await call(hub.app, undefined, { method: 'GET', url: '/orders' })).statusCode, 401)
})

for (const method of ['POST', 'GET'] as const) {
  t.test(`${method} validate assigns the gateways to the buyer, who becomes their owner`, async (t) => {
    const hub = await restHub(t)
    const gateways = [await catalogGateway(hub), await catalogGateway(hub)]
    const placed = (await order(hub, hub.customer, gateways)).json()
    const validated = await call(hub.app, hub.operator, { method, url: `/orders/${placed.id}/validate` })
    t.equal(validated.statusCode, 200)
    t.match(validated.json(), { status: 'validated', decidedAt: new Date(hub.clock.now_ms()).toISOString() })
    for (const id of gateways) {
      const row = hub.context.db.prepare('SELECT status, owner_user_id, merchant_account_id FROM gateways WHERE id = ?').get(id)
      t.same(row, { status: 'assigned', owner_user_id: hub.customer.userId, merchant_account_id: `${hub.customer.userId}.XOF` })
    }
    const roles = hub.context.db.prepare('SELECT role FROM user_roles WHERE user_id = ? ORDER BY role').all(hub.customer.userId)
    t.same(roles, [{ role: 'customer' }, { role: 'owner' }], 'an owner now, and still a customer')
    t.match(outbox(hub, 'order_decided')[0]!.body, /validated/)

    const login = await hub.app.inject({ method: 'POST', url: '/users/login', payload: { email: hub.customer.email, password: 'correct horse 42 battery' } })
    const ownerToken = { ...hub.customer, token: login.json().token }
    const owned = await call(hub.app, ownerToken, { method: 'GET', url: '/owner/gateways' })
    t.equal(owned.json().total, 2, 'the new owner sees the gateways as theirs')
  })
}

t.test('reject records the reason, from the body of a POST or the query of a GET', async (t) => {
  const hub = await restHub(t)
  const first = (await order(hub, hub.customer, [await catalogGateway(hub)])).json()
  const second = (await order(hub, hub.customer, [await catalogGateway(hub)])).json()
  const posted = await call(hub.app, hub.operator, { method: 'POST', url: `/orders/${first.id}/reject`, payload: { reason: 'out of stock' } })
  t.match(posted.json(), { status: 'rejected', decisionReason: 'out of stock' })
  const got = await call(hub.app, hub.operator, { method: 'GET', url: `/orders/${second.id}/reject?reason=address%20unknown` })
  t.match(got.json(), { status: 'rejected', decisionReason: 'address unknown' })
  const bare = (await order(hub, hub.customer, [await catalogGateway(hub)])).json()
  t.match((await call(hub.app, hub.operator, { method: 'POST', url: `/orders/${bare.id}/reject` })).json(), { decisionReason: null })
  t.match(outbox(hub, 'order_decided')[0]!.body, /rejected: “out of stock”\./)
  const row = hub.context.db.prepare("SELECT count(*) AS count FROM gateways WHERE status = 'available'").get() as { count: number }
  t.equal(row.count, 3, 'no gateway changed hands')
})

t.test('only an operator decides, only once, and only on a pending order', async (t) => {
  const hub = await restHub(t)
  const placed = (await order(hub, hub.customer, [await catalogGateway(hub)])).json()
  t.equal((await call(hub.app, hub.customer, { method: 'POST', url: `/orders/${placed.id}/validate` })).statusCode, 403)
  t.equal((await call(hub.app, hub.owner, { method: 'GET', url: `/orders/${placed.id}/reject` })).statusCode, 403)
  t.equal((await call(hub.app, undefined, { method: 'GET', url: `/orders/${placed.id}/validate` })).statusCode, 401)
  t.equal((await call(hub.app, hub.operator, { method: 'POST', url: '/orders/ord_none/validate' })).statusCode, 404)
  t.equal((await call(hub.app, hub.operator, { method: 'POST', url: `/orders/${placed.id}/reject`, payload: { reason: 'x', y: 1 } })).statusCode, 400)
  t.equal((await call(hub.app, hub.operator, { method: 'POST', url: `/orders/${placed.id}/reject`, payload: { reason: 'r'.repeat(20_000) } })).statusCode, 413)
  t.equal((await call(hub.app, hub.operator, { method: 'POST', url: `/orders/${placed.id}/reject` })).statusCode, 200)
  const again = await call(hub.app, hub.operator, { method: 'POST', url: `/orders/${placed.id}/validate` })
  t.equal(again.statusCode, 409)
  t.equal(errorOf(again).code, 'ORDER_NOT_PENDING')
})

t.test('a validation that cannot give every gateway to the buyer changes nothing', async (t) => {
  const hub = await restHub(t)
  const free = await catalogGateway(hub)
  const contested = await catalogGateway(hub)
  const placed = (await order(hub, hub.customer, [free, contested])).json()
  await call(hub.app, hub.operator, { method: 'POST', url: `/gateways/${contested}/assign`, payload: { ownerUserId: hub.owner.userId } })
  const response = await call(hub.app, hub.operator, { method: 'POST', url: `/orders/${placed.id}/validate` })
  t.equal(response.statusCode, 409)
  t.equal(errorOf(response).code, 'GATEWAY_UNAVAILABLE')
  t.match((await call(hub.app, hub.customer, { method: 'GET', url: `/orders/${placed.id}` })).json(), { status: 'pending' })
  t.match(hub.context.db.prepare('SELECT status, owner_user_id FROM gateways WHERE id = ?').get(free), { status: 'available', owner_user_id: null })
  t.same(hub.context.db.prepare('SELECT role FROM user_roles WHERE user_id = ?').all(hub.customer.userId), [{ role: 'customer' }])
})

t.test('each decision is announced to its buyer once it holds; one that cannot complete, or comes twice, announces nothing', async (t) => {
  const hub = await restHub(t)
  const heard = heardEvents(hub.services.events)
  const validated = (await order(hub, hub.customer, [await catalogGateway(hub)])).json()
  const rejected = (await order(hub, hub.owner, [await catalogGateway(hub)])).json()
  const contested = await catalogGateway(hub)
  const failing = (await order(hub, hub.customer, [contested])).json()
  await call(hub.app, hub.operator, { method: 'POST', url: `/gateways/${contested}/assign`, payload: { ownerUserId: hub.owner.userId } })

  t.equal((await call(hub.app, hub.operator, { method: 'POST', url: `/orders/${validated.id}/validate` })).statusCode, 200)
  t.equal((await call(hub.app, hub.operator, { method: 'GET', url: `/orders/${rejected.id}/reject?reason=no` })).statusCode, 200)
  t.equal((await call(hub.app, hub.operator, { method: 'POST', url: `/orders/${failing.id}/validate` })).statusCode, 409)
  t.equal((await call(hub.app, hub.operator, { method: 'POST', url: `/orders/${rejected.id}/validate` })).statusCode, 409)
  t.same(await heardSoFar(hub.services.events, heard), [
    { type: 'order.decided', data: { orderId: validated.id, status: 'validated', buyerId: hub.customer.userId }, audience: [hub.customer.userId] },
    { type: 'order.decided', data: { orderId: rejected.id, status: 'rejected', buyerId: hub.owner.userId }, audience: [hub.owner.userId] },
  ])
})
