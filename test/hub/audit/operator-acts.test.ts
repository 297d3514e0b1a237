import t from 'tap'
import { call, fundedWallet, restHub, type RestHub } from '../users/fixtures'

const PNG = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.from('IHDR passport scan')])
const BOUNDARY = '----payall-audit-boundary'

let euis = 0

async function catalogGateway(hub: RestHub): Promise<{ id: string; eui: string }> {
  const eui = `70B3D57EA0${(++euis).toString(16).padStart(6, '0').toUpperCase()}`
  const response = await call(hub.app, hub.operator, {
    method: 'POST', url: '/gateways', payload: { name: `Counter ${euis}`, type: 'pi-nfc', eui, price: '25000', currency: 'XOF' },
  })
  if (response.statusCode !== 201) throw new Error(response.body)
  return { id: response.json().id, eui }
}

async function order(hub: RestHub, gatewayId: string): Promise<string> {
  const response = await call(hub.app, hub.customer, {
    method: 'POST', url: '/orders', payload: { items: [{ gatewayId, quantity: 1 }], shippingAddress: 'Dakar' },
  })
  if (response.statusCode !== 201) throw new Error(response.body)
  return response.json().id
}

async function uploadPassport(hub: RestHub): Promise<string> {
  const payload = Buffer.concat([
    Buffer.from(`--${BOUNDARY}\r\nContent-Disposition: form-data; name="kind"\r\n\r\npassport\r\n`),
    Buffer.from(`--${BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="scan"\r\nContent-Type: image/png\r\n\r\n`),
    PNG, Buffer.from(`\r\n--${BOUNDARY}--\r\n`),
  ])
  const response = await call(hub.app, hub.customer, {
    method: 'PATCH', url: '/users/update-document', payload, headers: { 'content-type': `multipart/form-data; boundary=${BOUNDARY}` },
  })
  if (response.statusCode !== 201) throw new Error(response.body)
  return response.json().id
}

function entries(hub: RestHub) {
  return call(hub.app, hub.operator, { method: 'GET', url: '/admin/audit' }).then((response) => response.json().entries.reverse())
}

/** The entries but for the gateways these tests add to the catalog to have something to order. */
async function entriesButCatalog(hub: RestHub) {
  return (await entries(hub)).filter((entry: { action: string }) => entry.action !== 'gateway.create')
}

t.test('order decisions, KYC reviews, provisioning tokens and risk changes are in the audit log', async (t) => {
  const hub = await restHub(t)
  const validated = await catalogGateway(hub)
  const validatedOrder = await order(hub, validated.id)
  t.equal((await call(hub.app, hub.operator, { method: 'POST', url: `/orders/${validatedOrder}/validate` })).statusCode, 200)
  const rejectedOrder = await order(hub, (await catalogGateway(hub)).id)
  await call(hub.app, hub.operator, { method: 'POST', url: `/orders/${rejectedOrder}/reject`, payload: { reason: 'out of stock' } })
  const approved = await uploadPassport(hub)
  await call(hub.app, hub.operator, { method: 'POST', url: `/users/${hub.customer.userId}/documents/${approved}/approve` })
  const rejected = await uploadPassport(hub)
  await call(hub.app, hub.operator, { method: 'POST', url: `/users/${hub.customer.userId}/documents/${rejected}/reject`, payload: { reason: 'blurred' } })
  t.equal((await call(hub.app, hub.operator, { method: 'POST', url: `/gateways/${validated.id}/provisioning-token` })).statusCode, 201)
  const risk = await call(hub.app, hub.operator, { method: 'PUT', url: `/gateways/${validated.id}/risk`, payload: { floorLimitMinor: 5000 } })
  t.equal(risk.statusCode, 200)

  const actor = { actorId: hub.operator.userId, actorName: 'Test User' }
  t.match(await entriesButCatalog(hub), [
    { ...actor, action: 'order.validate', targetId: validatedOrder, targetName: `order ${validatedOrder} of Test User`, detail: /^1 gateway\(s\), 25.000 XOF$/u },
    { ...actor, action: 'order.reject', targetId: rejectedOrder, detail: 'out of stock' },
    { ...actor, action: 'kyc.approve', targetId: approved, targetName: 'passport of Test User', detail: null },
    { ...actor, action: 'kyc.reject', targetId: rejected, detail: 'blurred' },
    { ...actor, action: 'gateway.provisioning_token', targetId: validated.id, targetName: `Counter 1 (${validated.eui})`, detail: /^valid until / },
    { ...actor, action: 'gateway.risk_change', targetId: validated.id, detail: /^floorLimitMinor=5000; config serial \d+$/ },
  ])
})

t.test('adding, changing, assigning, retiring and deleting gateways are in the audit log; retiring again is not', async (t) => {
  const hub = await restHub(t)
  const kept = await catalogGateway(hub)
  const dropped = await catalogGateway(hub)
  const act = (method: 'PATCH' | 'POST' | 'DELETE', url: string, payload?: object) =>
    call(hub.app, hub.operator, { method, url, ...(payload === undefined ? {} : { payload }) })
  t.equal((await act('PATCH', `/gateways/${kept.id}`, { name: 'Front desk', price: '30000' })).statusCode, 200)
  t.equal((await act('POST', `/gateways/${kept.id}/assign`, { ownerUserId: hub.owner.userId })).statusCode, 200)
  t.equal((await act('DELETE', `/gateways/${dropped.id}`)).statusCode, 204)
  t.equal((await act('POST', `/gateways/${kept.id}/provisioning-token`)).statusCode, 201)
  // Provisioned, so that removing it retires it (its key may have signed records not uploaded yet).
  hub.context.db.prepare(`UPDATE gateways SET status = 'provisioned', public_key = zeroblob(32) WHERE id = ?`).run(kept.id)
  t.equal((await act('DELETE', `/gateways/${kept.id}`)).statusCode, 200)
  t.equal((await act('DELETE', `/gateways/${kept.id}`)).statusCode, 200)
  t.equal((await act('PATCH', `/gateways/${kept.id}`, { name: 'Too late' })).statusCode, 409)

  const actor = { actorId: hub.operator.userId, actorName: 'Test User' }
  t.match(await entries(hub), [
    { ...actor, action: 'gateway.create', targetId: kept.id, targetName: `Counter ${euis - 1} (${kept.eui})`, detail: /^pi-nfc, 25.000 XOF$/u },
    { ...actor, action: 'gateway.create', targetId: dropped.id },
    { ...actor, action: 'gateway.update', targetId: kept.id, targetName: `Front desk (${kept.eui})`, detail: 'name=Front desk, price=30000' },
    { ...actor, action: 'gateway.assign', targetId: kept.id, detail: `to Test User, paid into ${hub.owner.userId}.XOF` },
    { ...actor, action: 'gateway.delete', targetId: dropped.id, targetName: `Counter ${euis} (${dropped.eui})`, detail: null },
    { ...actor, action: 'gateway.provisioning_token', targetId: kept.id },
    { ...actor, action: 'gateway.retire', targetId: kept.id, detail: null },
  ])
  t.equal((await entries(hub)).length, 7, 'retiring a retired gateway and a refused change write nothing')
})

t.test('a new fee schedule and cash moved in or out are in the audit log; a replayed cash move is not again', async (t) => {
  const hub = await restHub(t)
  const fee = await call(hub.app, hub.operator, {
    method: 'POST', url: '/fees', payload: { gatewayType: 'pos', currency: 'XOF', basisPoints: 100, fixedMinor: 5, ownerShareBasisPoints: 5_000 },
  })
  t.equal(fee.statusCode, 201)
  const wallet = await fundedWallet(hub.app, hub.operator, hub.customer, 'XOF', '0')
  const cash = (direction: 'in' | 'out', idempotencyKey: string) => call(hub.app, hub.operator, {
    method: 'POST', url: `/ledger/cash-${direction}`, payload: { accountId: wallet, amount: '700', currency: 'XOF', idempotencyKey, reference: 'till 3' },
  })
  t.equal((await cash('in', 'receipt-1')).statusCode, 201)
  t.equal((await cash('in', 'receipt-1')).statusCode, 200, 'a replay changes nothing')
  t.equal((await cash('out', 'payout-1')).statusCode, 201)

  const actor = { actorId: hub.operator.userId, actorName: 'Test User' }
  t.match(await entries(hub), [
    { ...actor, action: 'fee_schedule.add', targetId: 'pos.XOF.v1', targetName: 'pos fees in XOF, version 1', detail: /^100 bp \+ 5.XOF, owner share 5000 bp, from 20/u },
    { ...actor, action: 'ledger.cash_in', targetId: wallet, targetName: `Test User's wallet ${wallet}`, detail: /^700.XOF, transfer \S+, reference till 3$/u },
    { ...actor, action: 'ledger.cash_out', targetId: wallet, detail: /^700.XOF, transfer \S+, reference till 3$/u },
  ])
  t.equal((await entries(hub)).length, 3)
})

t.test('a refused decision writes nothing to the log', async (t) => {
  const hub = await restHub(t)
  const placed = await order(hub, (await catalogGateway(hub)).id)
  await call(hub.app, hub.operator, { method: 'POST', url: `/orders/${placed}/reject` })
  t.equal((await call(hub.app, hub.operator, { method: 'POST', url: `/orders/${placed}/validate` })).statusCode, 409)
  t.equal((await call(hub.app, hub.operator, { method: 'POST', url: `/orders/${placed}/reject` })).statusCode, 409)
  t.equal((await call(hub.app, hub.operator, { method: 'PUT', url: '/gateways/nope/risk', payload: { floorLimitMinor: 1 } })).statusCode, 404)
  t.same((await entriesButCatalog(hub)).map((entry: { action: string }) => entry.action), ['order.reject'])
})

t.test('a validation undone when a gateway changed hands meanwhile is logged as reopened', async (t) => {
  const hub = await restHub(t)
  const contested = await catalogGateway(hub)
  const placed = await order(hub, contested.id)
  hub.context.db.exec(`CREATE TRIGGER changed_hands BEFORE UPDATE ON gateways WHEN NEW.id = '${contested.id}'
    BEGIN SELECT RAISE(ABORT, 'the gateway changed hands meanwhile'); END`)
  t.equal((await call(hub.app, hub.operator, { method: 'POST', url: `/orders/${placed}/validate` })).statusCode, 500)
  t.match(await entriesButCatalog(hub), [
    { action: 'order.validate', targetId: placed },
    { action: 'order.reopen', targetId: placed, detail: /the gateway changed hands meanwhile/ },
  ])
})
