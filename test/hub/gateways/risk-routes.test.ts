import t from 'tap'
import { fromBase64, toBase64 } from '../../../protocol/bytes'
import { OnlinePolicy, riskConfigCodec } from '../../../protocol/messages/risk-config'
import { nodeEd25519 } from '../../../protocol/signature/node'
import { gatewayTopic } from '../../../protocol/topics'
import type { PublishedMessage } from '../../../hub/bus'
import { GatewayStore } from '../../../hub/gateways/store'
import { errorOf } from '../http/fixtures'
import { EUI, addGateway, assignedGateway, gatewayHub, gatewayKeys, provisionedGateway, type GatewayHub } from './fixtures'

function published(hub: GatewayHub): PublishedMessage[] {
  return (hub.context.bus as unknown as { published: PublishedMessage[] }).published
}

function putRisk(hub: GatewayHub, gatewayId: string, payload: Record<string, unknown>, headers = hub.operator.headers) {
  return hub.app.inject({ method: 'PUT', url: `/gateways/${gatewayId}/risk`, headers, payload })
}

t.test('the operator and the owner read the limits in force, amounts in minor units and as decimal text', async (t) => {
  const hub = await gatewayHub(t)
  const { id } = await provisionedGateway(hub)
  const expected = {
    gatewayId: id, eui: EUI, serial: 1, issuedAt: new Date(hub.clock.now_ms()).toISOString(), currency: 'XOF',
    floorLimitMinor: 50_000, floorLimit: '50000', unsyncedTotalMaxMinor: 500_000, unsyncedTotalMax: '500000',
    unsyncedCountMax: 200, consecutiveOfflineMax: 10, uploadDeadlineMs: 86_400_000, clockSkewMaxMs: 300_000,
    defaultPolicy: 'PreferOnline',
  }
  for (const caller of [hub.operator, hub.owner]) {
    const response = await hub.app.inject({ method: 'GET', url: `/gateways/${id}/risk`, headers: caller.headers })
    t.equal(response.statusCode, 200)
    t.same(response.json(), expected)
  }
})

t.test('before provisioning the limits are the defaults of the payment currency, not issued yet', async (t) => {
  const hub = await gatewayHub(t)
  const gateway = await assignedGateway(hub, { price: '99.00', currency: 'EUR' })
  const response = await hub.app.inject({ method: 'GET', url: `/gateways/${gateway.id}/risk`, headers: hub.owner.headers })
  t.match(response.json(), { serial: 0, issuedAt: null, currency: 'EUR', floorLimitMinor: 5_000, floorLimit: '50.00', unsyncedTotalMax: '500.00' })
})

t.test('a risk change issues the next serial, signed, and publishes it retained on the config topic', async (t) => {
  const hub = await gatewayHub(t)
  const { id } = await provisionedGateway(hub)
  hub.clock.advance(1_000)
  const response = await putRisk(hub, id, { floorLimitMinor: 20_000, defaultPolicy: 'RequireOnline' })
  t.equal(response.statusCode, 200)
  t.match(response.json(), {
    serial: 2, issuedAt: new Date(hub.clock.now_ms()).toISOString(), floorLimitMinor: 20_000, floorLimit: '20000',
    unsyncedTotalMaxMinor: 500_000, defaultPolicy: 'RequireOnline',
  })

  const last = published(hub).at(-1)!
  t.equal(published(hub).length, 2, 'one at provisioning, one now')
  t.equal(last.topic, gatewayTopic(EUI, 'config'))
  t.equal(last.retain, true)
  const config = riskConfigCodec.decode(last.payload)
  t.ok(riskConfigCodec.verify(config, hub.context.hubKeys.publicKey, nodeEd25519))
  t.match(config, { gatewayEui: EUI, serial: 2, floorLimitMinor: 20_000, defaultPolicy: OnlinePolicy.RequireOnline })
  const stored = (await new GatewayStore(hub.context.engine).byId(id))!
  t.same(stored.riskConfig, last.payload)
  t.equal(stored.riskConfigSerial, 2)

  const next = await putRisk(hub, id, { unsyncedCountMax: 50 })
  t.match(next.json(), { serial: 3, unsyncedCountMax: 50, floorLimitMinor: 20_000, defaultPolicy: 'RequireOnline' }, 'earlier changes stay')
})

t.test('limits set before provisioning are the ones the gateway receives', async (t) => {
  const hub = await gatewayHub(t)
  const gateway = await assignedGateway(hub)
  t.equal((await putRisk(hub, gateway.id, { consecutiveOfflineMax: 3 })).json().serial, 1)
  const { reply } = await provisionedGateway(hub, { eui: '0000000000000001' })
  t.equal(riskConfigCodec.decode(fromBase64(reply.riskConfig)).consecutiveOfflineMax, 10, 'another gateway keeps the defaults')
  const token = (await hub.app.inject({ method: 'POST', url: `/gateways/${gateway.id}/provisioning-token`, headers: hub.operator.headers })).json().token
  const provisioned = await hub.app.inject({
    method: 'POST', url: '/provision', payload: { eui: EUI, token, publicKey: toBase64(gatewayKeys().publicKey) },
  })
  t.match(riskConfigCodec.decode(fromBase64(provisioned.json().riskConfig)), { serial: 1, consecutiveOfflineMax: 3 })
})

t.test('a floor limit above the unsynced total is refused and nothing is issued', async (t) => {
  const hub = await gatewayHub(t)
  const { id } = await provisionedGateway(hub)
  const before = published(hub).length
  const response = await putRisk(hub, id, { floorLimitMinor: 600_000 })
  t.equal(response.statusCode, 400)
  t.match(errorOf(response), { code: 'OUT_OF_RANGE', message: /floorLimitMinor/ })
  t.equal((await new GatewayStore(hub.context.engine).byId(id))!.riskConfigSerial, 1)
  t.equal(published(hub).length, before)
})

t.test('malformed risk changes are 400s', async (t) => {
  const hub = await gatewayHub(t)
  const { id } = await provisionedGateway(hub)
  for (const payload of [{}, { floorLimitMinor: 0 }, { floorLimitMinor: 1.5 }, { consecutiveOfflineMax: 70_000 },
    { defaultPolicy: 'Sometimes' }, { floorLimitMinor: 'a lot' }]) {
    const response = await putRisk(hub, id, payload)
    t.equal(response.statusCode, 400, JSON.stringify(payload))
    t.equal(errorOf(response).code, 'BAD_REQUEST', JSON.stringify(payload))
  }
})

t.test('only an operator changes limits; an owner reads only their own gateways', async (t) => {
  const hub = await gatewayHub(t)
  const { id } = await provisionedGateway(hub)
  t.equal((await putRisk(hub, id, { floorLimitMinor: 1 }, hub.owner.headers)).statusCode, 403)
  t.equal((await hub.app.inject({ method: 'PUT', url: `/gateways/${id}/risk`, payload: { floorLimitMinor: 1 } })).statusCode, 401)
  const url = `/gateways/${id}/risk`
  const other = await hub.app.inject({ method: 'GET', url, headers: hub.otherOwner.headers })
  t.equal(other.statusCode, 403)
  t.equal(errorOf(other).code, 'FORBIDDEN')
  t.equal((await hub.app.inject({ method: 'GET', url, headers: hub.customer.headers })).statusCode, 403)
  t.equal((await hub.app.inject({ method: 'GET', url })).statusCode, 401)
  t.equal((await hub.app.inject({ method: 'GET', url: '/gateways/nope/risk', headers: hub.operator.headers })).statusCode, 404)
  t.equal((await putRisk(hub, 'nope', { floorLimitMinor: 1 })).statusCode, 404)
})

t.test('a retired gateway gets no new limits', async (t) => {
  const hub = await gatewayHub(t)
  const { id } = await provisionedGateway(hub)
  await hub.app.inject({ method: 'DELETE', url: `/gateways/${id}`, headers: hub.operator.headers })
  t.equal((await putRisk(hub, id, { floorLimitMinor: 1 })).statusCode, 409)
  const available = await addGateway(hub, { eui: '0000000000000001' })
  t.equal((await putRisk(hub, available.id, { floorLimitMinor: 1 })).statusCode, 200, 'an available one may be prepared')
})
