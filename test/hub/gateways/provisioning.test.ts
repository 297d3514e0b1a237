import t from 'tap'
import { fromBase64, sha256, toBase64, toHex } from '../../../protocol/bytes'
import { riskConfigCodec } from '../../../protocol/messages/risk-config'
import { nodeEd25519 } from '../../../protocol/signature/node'
import { REVOCATIONS_TOPIC, gatewayTopic } from '../../../protocol/topics'
import { buildApp } from '../../../hub/app'
import { LateBoundBus, recordingBus, type PublishedMessage } from '../../../hub/bus'
import { republishConfigs } from '../../../hub/gateways/config'
import {
  PROVISIONING_TOKEN_LIFETIME_MS, gatewayMqttUrl,
} from '../../../hub/gateways/provisioning'
import { defaultRiskLimits } from '../../../hub/gateways/risk'
import { GatewayStore } from '../../../hub/gateways/store'
import { addUser, errorOf, login, testConfig, testContext } from '../http/fixtures'
import { SMALL_ORDER_ENCODINGS } from '../../helpers/small-order'
import {
  EUI, PASSWORD, addGateway, assignedGateway, expectStatus, gatewayHub, gatewayKeys, provision, provisioningToken,
} from './fixtures'

function published(hub: { context: { bus: unknown } }): PublishedMessage[] {
  return (hub.context.bus as { published: PublishedMessage[] }).published
}

t.test('an operator gets a one-time token valid 24 h; the hub keeps only its hash', async (t) => {
  const hub = await gatewayHub(t)
  const gateway = await assignedGateway(hub)
  const response = await hub.app.inject({
    method: 'POST', url: `/gateways/${gateway.id}/provisioning-token`, headers: hub.operator.headers,
  })
  t.equal(response.statusCode, 201)
  const body = response.json()
  t.same(Object.keys(body).sort(), ['eui', 'expiresAt', 'gatewayId', 'token'])
  t.match(body, { gatewayId: gateway.id, eui: EUI, expiresAt: new Date(hub.clock.now_ms() + PROVISIONING_TOKEN_LIFETIME_MS).toISOString() })
  t.match(body.token, /^pt_[A-Za-z0-9_-]{43}$/, '32 random bytes after a prefix, so the token never starts with "-"')
  const row = hub.context.db.prepare('SELECT provisioning_token_sha256 AS hash FROM gateways WHERE id = ?').get(gateway.id) as { hash: string }
  t.equal(row.hash, toHex(sha256(Buffer.from(body.token))))
  t.notMatch(JSON.stringify((await hub.app.inject({ method: 'GET', url: '/gateways' })).json()), row.hash)
})

t.test('a gateway provisions with its token and gets the hub key, its MQTT settings and a config the hub signed for it', async (t) => {
  const hub = await gatewayHub(t)
  const gateway = await assignedGateway(hub)
  const token = await provisioningToken(hub, gateway.id)
  const keys = gatewayKeys('counter-1')
  const response = await provision(hub.app, '70:b3:d5:7e:d0:00:1a:2b', token, keys)
  t.equal(response.statusCode, 200)
  const body = response.json()
  t.same(body.mqtt, {
    url: 'mqtt://127.0.0.1:1883',
    usernameScheme: 'eui',
    passwordScheme: 'ed25519-signature-v1',
    topics: {
      records: `payall/v1/gw/${EUI}/records`,
      acks: `payall/v1/gw/${EUI}/acks`,
      config: `payall/v1/gw/${EUI}/config`,
      revocations: REVOCATIONS_TOPIC,
      onlineRequest: `payall/v1/gw/${EUI}/online/request`,
      onlineResponse: `payall/v1/gw/${EUI}/online/response`,
    },
  })
  t.match(body, { gatewayId: gateway.id, eui: EUI })
  const hubPublicKey = fromBase64(body.hubPublicKey)
  t.same(hubPublicKey, hub.context.hubKeys.publicKey)

  const config = riskConfigCodec.decode(fromBase64(body.riskConfig))
  t.ok(riskConfigCodec.verify(config, hubPublicKey, nodeEd25519), 'the config verifies with the key the gateway pins')
  t.match(config, { ...defaultRiskLimits('XOF'), gatewayEui: EUI, serial: 1, issuedAtMs: hub.clock.now_ms() })

  const stored = new GatewayStore(hub.context.engine)
  t.same(await stored.ingestView(EUI), {
    id: gateway.id, eui: EUI, type: 'pi-nfc', status: 'provisioned', publicKey: keys.publicKey, chain: 1, ownerUserId: hub.owner.id,
    merchantAccountId: `${hub.owner.id}.XOF`,
  })
  t.same(published(hub), [{ topic: gatewayTopic(EUI, 'config'), payload: fromBase64(body.riskConfig), retain: true }])
  t.match((await hub.app.inject({ method: 'GET', url: `/gateways/${gateway.id}/status`, headers: hub.owner.headers })).json(), {
    status: 'provisioned', provisionedAt: new Date(hub.clock.now_ms()).toISOString(),
  })
})

t.test('a provisioning token works once', async (t) => {
  const hub = await gatewayHub(t)
  const gateway = await assignedGateway(hub)
  const token = await provisioningToken(hub, gateway.id)
  expectStatus(await provision(hub.app, EUI, token), 200)
  const again = await provision(hub.app, EUI, token, gatewayKeys('an intruder'))
  t.equal(again.statusCode, 401)
  t.same(errorOf(again), {
    code: 'TOKEN_USED',
    message: `gateway ${EUI} is provisioned and no token is waiting for it: a provisioning token works once; to provision it again, ask the operator for a new one`,
  })
  t.same((await new GatewayStore(hub.context.engine).byId(gateway.id))!.publicKey, gatewayKeys().publicKey, 'the first key stays')
})

t.test('an expired token is refused with TOKEN_EXPIRED', async (t) => {
  const hub = await gatewayHub(t)
  const gateway = await assignedGateway(hub)
  const token = await provisioningToken(hub, gateway.id)
  hub.clock.advance(PROVISIONING_TOKEN_LIFETIME_MS)
  const response = await provision(hub.app, EUI, token)
  t.equal(response.statusCode, 401)
  t.equal(errorOf(response).code, 'TOKEN_EXPIRED')
  t.equal((await new GatewayStore(hub.context.engine).byId(gateway.id))!.status, 'assigned')
})

t.test('a refusal says which case it is: an unknown EUI, a login token, no token issued, another token', async (t) => {
  const hub = await gatewayHub(t)
  const gateway = await assignedGateway(hub)
  const token = await provisioningToken(hub, gateway.id)
  const cases: Array<[string, Awaited<ReturnType<typeof provision>>, number, string, RegExp]> = [
    ['an unknown EUI', await provision(hub.app, '0000000000000001', token), 404, 'UNKNOWN_GATEWAY',
      /^no gateway has the EUI 0000000000000001 at this hub: init the terminal with the EUI .*--eui/],
    ['the owner\'s login token', await provision(hub.app, EUI, hub.owner.headers.authorization.replace(/^Bearer /, '')), 400, 'LOGIN_TOKEN_GIVEN',
      /^this is a login \(access\) token; provisioning takes the one-time provisioning token .* starts with pt_$/],
    ['a gateway no token was issued for', await provision(hub.app, (await addGateway(hub, { eui: '0000000000000002' })).eui, token), 401,
      'TOKEN_NOT_ISSUED', /^no provisioning token is waiting for gateway 0000000000000002 \(it is \w+\)/],
    ['another token', await provision(hub.app, EUI, `pt_${Buffer.alloc(32, 1).toString('base64url')}`), 401, 'WRONG_TOKEN',
      /^this is not the provisioning token waiting for gateway 70B3D57ED0001A2B/],
  ]
  const codes = new Set<string>()
  for (const [what, response, status, code, message] of cases) {
    t.equal(response.statusCode, status, what)
    t.equal(errorOf(response).code, code, what)
    t.match(errorOf(response).message, message, what)
    codes.add(code)
  }
  t.equal(codes.size, cases.length, 'each case has its own code')
  expectStatus(await provision(hub.app, EUI, token), 200)
})

t.test('a new token replaces the previous one', async (t) => {
  const hub = await gatewayHub(t)
  const gateway = await assignedGateway(hub)
  const first = await provisioningToken(hub, gateway.id)
  const second = await provisioningToken(hub, gateway.id)
  t.not(first, second)
  t.equal((await provision(hub.app, EUI, first)).statusCode, 401)
  t.equal((await provision(hub.app, EUI, second)).statusCode, 200)
})

t.test('a public key that is not 32 bytes of base64 is a 400 and does not use the token up', async (t) => {
  const hub = await gatewayHub(t)
  const gateway = await assignedGateway(hub)
  const token = await provisioningToken(hub, gateway.id)
  const cases: Array<[Record<string, unknown>, string]> = [
    [{ eui: EUI, token, publicKey: toBase64(new Uint8Array(31)) }, 'BAD_KEY'],
    [{ eui: EUI, token, publicKey: 'not base64!' }, 'BAD_VALUE'],
    [{ eui: EUI, token }, 'BAD_REQUEST'],
    [{ eui: 'not an eui', token, publicKey: toBase64(gatewayKeys().publicKey) }, 'BAD_EUI'],
  ]
  for (const [payload, code] of cases) {
    const response = await hub.app.inject({ method: 'POST', url: '/provision', payload })
    t.equal(response.statusCode, 400, code)
    t.equal(errorOf(response).code, code)
  }
  expectStatus(await provision(hub.app, EUI, token), 200)
})

t.test('a small-order or non-canonical public key is a 400 BAD_KEY and does not use the token up', async (t) => {
  const hub = await gatewayHub(t)
  const gateway = await assignedGateway(hub)
  const token = await provisioningToken(hub, gateway.id)
  for (const publicKey of SMALL_ORDER_ENCODINGS) {
    const response = await hub.app.inject({ method: 'POST', url: '/provision', payload: { eui: EUI, token, publicKey: toBase64(publicKey) } })
    t.equal(response.statusCode, 400, toHex(publicKey))
    t.equal(errorOf(response).code, 'BAD_KEY')
  }
  t.equal(hub.context.db.prepare('SELECT public_key FROM gateways WHERE id = ?').pluck().get(gateway.id), null, 'no key was stored')
  expectStatus(await provision(hub.app, EUI, token), 200)
})

t.test('only an assigned gateway gets a token, and only from an operator', async (t) => {
  const hub = await gatewayHub(t)
  const available = await addGateway(hub)
  const url = `/gateways/${available.id}/provisioning-token`
  const refused = await hub.app.inject({ method: 'POST', url, headers: hub.operator.headers })
  t.equal(refused.statusCode, 409)
  t.match(errorOf(refused).message, /available/)
  t.equal((await hub.app.inject({ method: 'POST', url, headers: hub.owner.headers })).statusCode, 403)
  t.equal((await hub.app.inject({ method: 'POST', url })).statusCode, 401)
  t.equal((await hub.app.inject({ method: 'POST', url: '/gateways/nope/provisioning-token', headers: hub.operator.headers })).statusCode, 404)
})

t.test('a retired gateway can no longer be provisioned: its token is void', async (t) => {
  const hub = await gatewayHub(t)
  const gateway = await assignedGateway(hub)
  const token = await provisioningToken(hub, gateway.id)
  const first = await provision(hub.app, EUI, token)
  t.equal(first.statusCode, 200)
  const second = await provisioningToken(hub, gateway.id)
  expectStatus(await hub.app.inject({ method: 'DELETE', url: `/gateways/${gateway.id}`, headers: hub.operator.headers }), 200)
  t.equal((await provision(hub.app, EUI, second)).statusCode, 401)
  const url = `/gateways/${gateway.id}/provisioning-token`
  t.equal((await hub.app.inject({ method: 'POST', url, headers: hub.operator.headers })).statusCode, 409)
})

t.test('provisioning again (a re-imaged gateway) replaces the key and keeps the config in force', async (t) => {
  const hub = await gatewayHub(t)
  const gateway = await assignedGateway(hub)
  const first = expectStatus(await provision(hub.app, EUI, await provisioningToken(hub, gateway.id), gatewayKeys('old')), 200).json()
  hub.clock.advance(60_000)
  const second = expectStatus(await provision(hub.app, EUI, await provisioningToken(hub, gateway.id), gatewayKeys('new')), 200).json()
  t.equal(second.riskConfig, first.riskConfig, 'same signed config, same serial')
  const stored = (await new GatewayStore(hub.context.engine).byId(gateway.id))!
  t.same(stored.publicKey, gatewayKeys('new').publicKey)
  t.equal(stored.provisionedAtMs, hub.clock.now_ms())
})

t.test('the MQTT URL is the configured broker: its host, or the host the gateway reached the hub by', async (t) => {
  const base = testConfig('/tmp')
  t.equal(gatewayMqttUrl({ ...base, mqttHost: '10.0.0.5', mqttPort: 8883 }, 'hub.example'), 'mqtt://10.0.0.5:8883')
  t.equal(gatewayMqttUrl({ ...base, mqttHost: '0.0.0.0', mqttPort: 1883 }, 'hub.example'), 'mqtt://hub.example:1883')
  t.equal(gatewayMqttUrl({ ...base, mqttHost: '::', mqttPort: 1883 }, '[fd00::1]'), 'mqtt://[fd00::1]:1883')
  t.equal(gatewayMqttUrl({ ...base, mqttHost: 'fd00::2', mqttPort: 1883 }, 'x'), 'mqtt://[fd00::2]:1883')
  t.equal(gatewayMqttUrl({ ...base, mqttUrl: 'mqtts://hub:secret@broker.example:8883' }, 'hub.example'),
    'mqtts://broker.example:8883', 'never the hub credentials of an external broker')

  const hub = await gatewayHub(t, { config: { mqttHost: '0.0.0.0', mqttPort: 11883 } })
  const gateway = await assignedGateway(hub)
  const response = await hub.app.inject({
    method: 'POST', url: '/provision', headers: { host: 'payall.lan:3001' },
    payload: { eui: EUI, token: await provisioningToken(hub, gateway.id), publicKey: toBase64(gatewayKeys().publicKey) },
  })
  t.equal(response.json().mqtt.url, 'mqtt://payall.lan:11883')
})

t.test('a config that cannot be published yet is stored, and republished once MQTT is up', async (t) => {
  const { context: base, log } = testContext(t)
  const bus = new LateBoundBus()
  const context = { ...base, bus }
  const app = await buildApp(context)
  t.teardown(() => app.close())
  await addUser(context, { email: 'ops@payall.example', password: PASSWORD, role: 'operator' })
  const ownerId = await addUser(context, { email: 'awa@shop.example', password: PASSWORD, role: 'owner' })
  const headers = { authorization: `Bearer ${(await login(app, 'ops@payall.example', PASSWORD)).json().token}` }
  const created = expectStatus(await app.inject({
    method: 'POST', url: '/gateways', headers, payload: { name: 'Counter 1', type: 'pi-nfc', eui: EUI, price: '25000' },
  }), 201).json()
  expectStatus(await app.inject({ method: 'POST', url: `/gateways/${created.id}/assign`, headers, payload: { ownerUserId: ownerId } }), 200)
  const token = expectStatus(await app.inject({ method: 'POST', url: `/gateways/${created.id}/provisioning-token`, headers }), 201).json().token

  const response = await provision(app, EUI, token)
  t.equal(response.statusCode, 200, 'provisioning does not depend on the broker')
  await new Promise((resolve) => setImmediate(resolve))
  t.ok(log.lines.some((line) => line.level === 40 && /republished when MQTT starts/.test(String(line.msg))), 'logged')

  const recorder = recordingBus()
  bus.attach(recorder)
  t.equal(await republishConfigs(context), 1)
  t.same(recorder.published, [{ topic: gatewayTopic(EUI, 'config'), payload: fromBase64(response.json().riskConfig), retain: true }])
})

t.test('republishing covers every provisioned gateway, page after page, and nothing else', async (t) => {
  const hub = await gatewayHub(t)
  const store = new GatewayStore(hub.context.engine)
  const wallet = await hub.context.ledger.openWallet({ id: `${hub.owner.id}.XOF`, userId: hub.owner.id, currency: 'XOF' })
  const markProvisioned = hub.context.db.prepare(`UPDATE gateways SET status = 'provisioned', public_key = ?,
    owner_user_id = ?, merchant_account_id = ?, risk_config = ? WHERE id = ?`)
  const count = 205
  for (let index = 0; index < count; index++) {
    const id = `gw-${String(index).padStart(4, '0')}`
    const eui = index.toString(16).toUpperCase().padStart(16, '0')
    await store.insert({ id, eui, name: 'n', type: 't', priceMinor: 0, priceCurrency: 'XOF', createdAtMs: 0 })
    markProvisioned.run(Buffer.alloc(32), hub.owner.id, wallet.id, Buffer.from([1, 2, 3]), id)
  }
  await assignedGateway(hub) // not provisioned: nothing to republish
  t.equal(await republishConfigs(hub.context), count)
  t.equal(published(hub).length, count)
  t.ok(published(hub).every((message) => message.retain && message.topic.endsWith('/config')))
  t.equal(new Set(published(hub).map((message) => message.topic)).size, count, 'each gateway once')
})
