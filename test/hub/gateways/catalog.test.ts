import t from 'tap'
import { errorOf } from '../http/fixtures'
import { EUI, addGateway, assignedGateway, expectStatus, gatewayHub, provisionedGateway } from './fixtures'

t.test('an operator adds a gateway and anyone sees it in the catalog, price as decimal text', async (t) => {
  const hub = await gatewayHub(t)
  const created = await addGateway(hub, { name: 'Counter 1', type: 'pi-nfc', eui: '70b3d57ed0001a2b', price: '25000' })
  t.same(created, {
    id: created.id, eui: EUI, name: 'Counter 1', type: 'pi-nfc', price: '25000', priceMinor: 25_000, currency: 'XOF',
    status: 'available', ownerUserId: null, merchantAccountId: null, publicKey: null, riskConfigSerial: 0,
    createdAt: new Date(hub.clock.now_ms()).toISOString(), provisionedAt: null, retiredAt: null, online: false, lastSeenAtMs: null,
  })
  const entry = { id: created.id, name: 'Counter 1', type: 'pi-nfc', eui: EUI, price: '25000', currency: 'XOF', available: true }

  const catalog = await hub.app.inject({ method: 'GET', url: '/gateways' })
  t.equal(catalog.statusCode, 200)
  t.same(catalog.json(), { items: [entry], page: 1, pageSize: 20, total: 1 })
  const one = await hub.app.inject({ method: 'GET', url: `/gateways/${created.id}` })
  t.same(one.json(), entry)
})

t.test('a price may be given in minor units, and in another currency than XOF', async (t) => {
  const hub = await gatewayHub(t)
  const minor = await addGateway(hub, { eui: '0000000000000001', price: undefined, priceMinor: 4_990, currency: 'EUR' })
  t.match(minor, { price: '49.90', priceMinor: 4_990, currency: 'EUR' })
  const decimal = await addGateway(hub, { eui: '0000000000000002', price: '49.9', currency: 'EUR' })
  t.match(decimal, { price: '49.90', priceMinor: 4_990, currency: 'EUR' })
})

t.test('only an operator adds gateways: 401 without a token, 403 for an owner or a customer', async (t) => {
  const hub = await gatewayHub(t)
  const payload = { name: 'Counter 1', type: 'pi-nfc', eui: EUI, price: '25000' }
  const anonymous = await hub.app.inject({ method: 'POST', url: '/gateways', payload })
  t.equal(anonymous.statusCode, 401)
  t.equal(errorOf(anonymous).code, 'UNAUTHORIZED')
  for (const caller of [hub.owner, hub.customer]) {
    const refused = await hub.app.inject({ method: 'POST', url: '/gateways', headers: caller.headers, payload })
    t.equal(refused.statusCode, 403)
    t.equal(errorOf(refused).code, 'FORBIDDEN')
  }
  t.equal((await hub.app.inject({ method: 'GET', url: '/gateways' })).json().total, 0, 'nothing was added')
})

t.test('an EUI already in use is a 409, however it is spelled', async (t) => {
  const hub = await gatewayHub(t)
  await addGateway(hub)
  const duplicate = await hub.app.inject({
    method: 'POST', url: '/gateways', headers: hub.operator.headers,
    payload: { name: 'Counter 2', type: 'pi-nfc', eui: '70-b3-d5-7e-d0-00-1a-2b', price: '1' },
  })
  t.equal(duplicate.statusCode, 409)
  t.same(errorOf(duplicate), { code: 'CONFLICT', message: `a gateway with EUI ${EUI} exists already (retire it to give its EUI to another)` })
})

t.test('a bad EUI is a 400 BAD_EUI', async (t) => {
  const hub = await gatewayHub(t)
  for (const eui of ['70B3D57ED0001A2', '70B3D57ED0001A2G', '70-B3:D5-7E-D0-00-1A-2B']) {
    const response = await hub.app.inject({
      method: 'POST', url: '/gateways', headers: hub.operator.headers, payload: { name: 'x', type: 'pi', eui, price: '1' },
    })
    t.equal(response.statusCode, 400, eui)
    t.equal(errorOf(response).code, 'BAD_EUI', eui)
  }
})

t.test('missing or malformed fields of a new gateway are 400s', async (t) => {
  const hub = await gatewayHub(t)
  const cases: Array<[Record<string, unknown>, string, RegExp]> = [
    [{ type: 'pi', eui: EUI, price: '1' }, 'BAD_REQUEST', /name/],
    [{ name: 'x', eui: EUI, price: '1' }, 'BAD_REQUEST', /type/],
    [{ name: 'x', type: 'pi', price: '1' }, 'BAD_REQUEST', /eui/],
    [{ name: '   ', type: 'pi', eui: EUI, price: '1' }, 'BAD_TEXT', /name/],
    [{ name: 'x', type: 'pi', eui: EUI }, 'BAD_REQUEST', /price/],
    [{ name: 'x', type: 'pi', eui: EUI, price: '1', priceMinor: 1 }, 'BAD_REQUEST', /not both/],
    [{ name: 'x', type: 'pi', eui: EUI, price: '10.5' }, 'MONEY_PRECISION', /XOF/],
    [{ name: 'x', type: 'pi', eui: EUI, price: 'ten' }, 'MONEY_FORMAT', /ten/],
    [{ name: 'x', type: 'pi', eui: EUI, priceMinor: -1 }, 'BAD_REQUEST', /priceMinor/],
    [{ name: 'x', type: 'pi', eui: EUI, price: '1', currency: 'ZZZ' }, 'UNKNOWN_CURRENCY', /ZZZ/],
    [{ name: 'x', type: 'pi', eui: EUI, price: '1', currency: 'eur' }, 'BAD_REQUEST', /currency/],
  ]
  for (const [payload, code, message] of cases) {
    const response = await hub.app.inject({ method: 'POST', url: '/gateways', headers: hub.operator.headers, payload })
    t.equal(response.statusCode, 400, JSON.stringify(payload))
    t.match(errorOf(response), { code, message }, JSON.stringify(payload))
  }
})

t.test('the catalog pages, bounded, and an unknown id is a 404', async (t) => {
  const hub = await gatewayHub(t)
  const ids: string[] = []
  for (const eui of ['0000000000000001', '0000000000000002', '0000000000000003']) {
    ids.push((await addGateway(hub, { eui })).id)
    hub.clock.advance(1)
  }
  const first = (await hub.app.inject({ method: 'GET', url: '/gateways?page=1&pageSize=2' })).json()
  t.same(first.items.map((item: { id: string }) => item.id), ids.slice(0, 2))
  t.match(first, { page: 1, pageSize: 2, total: 3 })
  const second = (await hub.app.inject({ method: 'GET', url: '/gateways?page=2&pageSize=2' })).json()
  t.same(second.items.map((item: { id: string }) => item.id), ids.slice(2))

  for (const query of ['pageSize=101', 'page=0', 'pageSize=abc']) {
    t.equal((await hub.app.inject({ method: 'GET', url: `/gateways?${query}` })).statusCode, 400, query)
  }
  const unknown = await hub.app.inject({ method: 'GET', url: '/gateways/no-such-gateway' })
  t.equal(unknown.statusCode, 404)
  t.equal(errorOf(unknown).code, 'NOT_FOUND')
})

t.test('an assigned gateway stays in the catalog, no longer available', async (t) => {
  const hub = await gatewayHub(t)
  const gateway = await assignedGateway(hub)
  t.match((await hub.app.inject({ method: 'GET', url: `/gateways/${gateway.id}` })).json(), { available: false })
})

t.test('an operator renames and reprices a gateway', async (t) => {
  const hub = await gatewayHub(t)
  const gateway = await addGateway(hub)
  const renamed = await hub.app.inject({
    method: 'PATCH', url: `/gateways/${gateway.id}`, headers: hub.operator.headers, payload: { name: 'Counter 9', type: 'pi-ble' },
  })
  t.equal(renamed.statusCode, 200)
  t.match(renamed.json(), { name: 'Counter 9', type: 'pi-ble', price: '25000', currency: 'XOF' })
  const repriced = await hub.app.inject({
    method: 'PATCH', url: `/gateways/${gateway.id}`, headers: hub.operator.headers, payload: { price: '39.00', currency: 'EUR' },
  })
  t.match(repriced.json(), { name: 'Counter 9', price: '39.00', priceMinor: 3_900, currency: 'EUR' })
  const minor = await hub.app.inject({
    method: 'PATCH', url: `/gateways/${gateway.id}`, headers: hub.operator.headers, payload: { priceMinor: 4_200 },
  })
  t.match(minor.json(), { price: '42.00', currency: 'EUR' }, 'the price stays in its currency')
})

t.test('changing a gateway: a new currency needs a price, an empty change is a 400, only operators, known ids', async (t) => {
  const hub = await gatewayHub(t)
  const gateway = await addGateway(hub)
  const url = `/gateways/${gateway.id}`
  const currencyOnly = await hub.app.inject({ method: 'PATCH', url, headers: hub.operator.headers, payload: { currency: 'EUR' } })
  t.equal(currencyOnly.statusCode, 400)
  t.match(errorOf(currencyOnly).message, /currency/)
  t.equal((await hub.app.inject({ method: 'PATCH', url, headers: hub.operator.headers, payload: {} })).statusCode, 400)
  t.equal((await hub.app.inject({ method: 'PATCH', url, headers: hub.owner.headers, payload: { name: 'Mine' } })).statusCode, 403)
  t.equal((await hub.app.inject({ method: 'PATCH', url, payload: { name: 'Mine' } })).statusCode, 401)
  const unknown = await hub.app.inject({ method: 'PATCH', url: '/gateways/nope', headers: hub.operator.headers, payload: { name: 'x' } })
  t.equal(unknown.statusCode, 404)
  t.match((await hub.app.inject({ method: 'GET', url })).json(), { name: 'Counter 1', currency: 'XOF' }, 'unchanged')
})

t.test('a gateway that never took a payment is deleted', async (t) => {
  const hub = await gatewayHub(t)
  const gateway = await assignedGateway(hub)
  const response = await hub.app.inject({ method: 'DELETE', url: `/gateways/${gateway.id}`, headers: hub.operator.headers })
  t.equal(response.statusCode, 204)
  t.equal(response.body, '')
  t.equal((await hub.app.inject({ method: 'GET', url: `/gateways/${gateway.id}` })).statusCode, 404)
  t.same(hub.context.db.prepare('SELECT count(*) AS n FROM gateways').get(), { n: 0 })
})

t.test('a provisioned gateway is retired, not deleted, and leaves the catalog', async (t) => {
  const hub = await gatewayHub(t)
  const { id } = await provisionedGateway(hub)
  hub.clock.advance(60_000)
  const response = await hub.app.inject({ method: 'DELETE', url: `/gateways/${id}`, headers: hub.operator.headers })
  t.equal(response.statusCode, 200)
  t.match(response.json(), { id, status: 'retired', retiredAt: new Date(hub.clock.now_ms()).toISOString() })
  t.ok(response.json().publicKey, 'the key is kept for audit')
  t.equal((await hub.app.inject({ method: 'GET', url: `/gateways/${id}` })).statusCode, 404)
  t.equal((await hub.app.inject({ method: 'GET', url: '/gateways' })).json().total, 0)

  const again = await hub.app.inject({ method: 'DELETE', url: `/gateways/${id}`, headers: hub.operator.headers })
  t.equal(again.statusCode, 200, 'retiring twice changes nothing')
  t.equal(again.json().retiredAt, response.json().retiredAt)
  const patch = await hub.app.inject({ method: 'PATCH', url: `/gateways/${id}`, headers: hub.operator.headers, payload: { name: 'x' } })
  t.equal(patch.statusCode, 409, 'a retired gateway does not change')
})

t.test('a gateway whose records reached the hub is retired even if it is no longer provisioned', async (t) => {
  const hub = await gatewayHub(t)
  const gateway = await addGateway(hub)
  hub.context.db.prepare(`INSERT INTO gateway_chains (eui, chain, gateway_id, state, contiguous_seq, contiguous_hash, highest_seq,
    opened_at_ms) VALUES (?, 1, ?, 'open', 1, zeroblob(32), 1, 0)`).run(EUI, gateway.id)
  hub.context.db.prepare(`INSERT INTO gateway_records (eui, chain, gateway_seq, record_hash, transfer_id, voucher_id, voucher_seq,
    cumulative_minor, amount_minor, currency, mode, time_ms, record, outcome, reason, received_at_ms)
    VALUES (?, 1, 1, ?, ?, ?, 1, 100, 100, 'XOF', 0, 0, ?, 'settled', 0, 0)`)
    .run(EUI, Buffer.alloc(32), 'a'.repeat(64), 'b'.repeat(32), Buffer.alloc(10))
  const response = await hub.app.inject({ method: 'DELETE', url: `/gateways/${gateway.id}`, headers: hub.operator.headers })
  t.equal(response.statusCode, 200)
  t.equal(response.json().status, 'retired')
})

t.test('removing a gateway needs an operator and a known id', async (t) => {
  const hub = await gatewayHub(t)
  const gateway = await addGateway(hub)
  t.equal((await hub.app.inject({ method: 'DELETE', url: `/gateways/${gateway.id}` })).statusCode, 401)
  t.equal((await hub.app.inject({ method: 'DELETE', url: `/gateways/${gateway.id}`, headers: hub.owner.headers })).statusCode, 403)
  t.equal((await hub.app.inject({ method: 'DELETE', url: '/gateways/nope', headers: hub.operator.headers })).statusCode, 404)
  expectStatus(await hub.app.inject({ method: 'GET', url: `/gateways/${gateway.id}` }), 200)
})
