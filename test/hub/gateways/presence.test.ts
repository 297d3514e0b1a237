import t from 'tap'
import { gatewayPresenceCodec, type GatewayPresence } from '../../../protocol/messages/gateway-presence'
import type { KeyPair } from '../../../protocol/signature/ed25519'
import { nodeEd25519 } from '../../../protocol/signature/node'
import { MINUTE_MS } from '../../../protocol/clock'
import { startHub } from '../../../hub/server'
import { withStoppedHubEngine } from '../../helpers/hub-store'
import { connectGateway, hubConfig, OPERATOR, provisionGateway, Rest } from '../e2e/running-hub'
import { openStream } from '../events/sse'
import { heardEvents, heardSoFar } from '../helpers/live-events'
import { testHub, type TestHub } from '../http/fixtures'
import { signIn } from '../money/fixtures'

const EUI = '70B3D57ED00000F1'
const OTHER_EUI = '70B3D57ED00000F2'

async function tokenOf(baseUrl: string, email: string, password: string): Promise<string> {
  const response = await fetch(`${baseUrl}/users/login`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, password }),
  })
  return ((await response.json()) as { token: string }).token
}

t.test('a gateway is online while connected to the embedded broker, offline once its connection drops: in its status, its owner\'s list and live events', async t => {
  const hub = await startHub(hubConfig(t.testdir()))
  t.teardown(() => hub.stop())
  const operator = await new Rest(hub.httpUrl).as(OPERATOR.email, OPERATOR.password)
  const gateway = await provisionGateway(hub, operator, EUI, 'presence@shop.example')
  const owner = await new Rest(hub.httpUrl).as('presence@shop.example', 'owner password 1')
  t.match(await owner.ok('GET', `/gateways/${gateway.id}/status`), { online: false, lastSeenAtMs: null }, 'never connected')

  const stream = await openStream(hub.httpUrl, await tokenOf(hub.httpUrl, 'presence@shop.example', 'owner password 1'))
  t.teardown(() => stream.close())
  await stream.next()
  await stream.next()

  const before_ms = Date.now()
  const client = await connectGateway(hub.mqttUrl!, EUI, gateway.keys)
  t.teardown(() => client.endAsync(true))
  const online = await stream.nextEvent()
  t.match(online, { type: 'gateway.presence', data: { gatewayId: gateway.id, online: true } })
  const onlineAt_ms = (online.data as { lastSeenAtMs: number }).lastSeenAtMs
  t.ok(onlineAt_ms >= before_ms && onlineAt_ms <= Date.now(), 'seen when it connected')
  t.match(await owner.ok('GET', `/gateways/${gateway.id}/status`), { online: true, lastSeenAtMs: onlineAt_ms })
  t.match((await owner.ok('GET', '/owner/gateways')).items, [{ id: gateway.id, online: true, lastSeenAtMs: onlineAt_ms }])

  // Dropped, not disconnected: as a gateway that loses power or network.
  client.stream.destroy()
  const offline = await stream.nextEvent()
  t.match(offline, { type: 'gateway.presence', data: { gatewayId: gateway.id, online: false } })
  const offlineAt_ms = (offline.data as { lastSeenAtMs: number }).lastSeenAtMs
  t.ok(offlineAt_ms >= onlineAt_ms, 'seen when it went')
  t.match(await owner.ok('GET', `/gateways/${gateway.id}/status`), { online: false, lastSeenAtMs: offlineAt_ms })
  t.match(await operator.ok('GET', `/gateways/${gateway.id}/status`), { online: false, lastSeenAtMs: offlineAt_ms }, 'the operator\'s view too')
})

t.test('a hub that stopped with gateways online finds them offline when its embedded broker starts, last seen when they were', async t => {
  const dir = t.testdir()
  const config = hubConfig(dir)
  const first = await startHub(config)
  const operator = await new Rest(first.httpUrl).as(OPERATOR.email, OPERATOR.password)
  const gateway = await provisionGateway(first, operator, EUI, 'restart@shop.example')
  await first.stop()
  // As a crash leaves it: the row says online, and nobody said otherwise.
  await withStoppedHubEngine(config, engine =>
    engine.run('INSERT INTO gateway_presence (eui, online, last_seen_at_ms, connected_at_ms) VALUES (?, 1, 1234, NULL)', [EUI]))

  const second = await startHub(config)
  t.teardown(() => second.stop())
  const again = await new Rest(second.httpUrl).as(OPERATOR.email, OPERATOR.password)
  t.match(await again.ok('GET', `/gateways/${gateway.id}/status`), { online: false, lastSeenAtMs: 1234 })
})

interface TrackerWorld extends TestHub {
  keys: KeyPair
  gatewayId: string
  ownerId: string
  presence(message: Partial<GatewayPresence>, keys?: KeyPair): Uint8Array
}

async function trackerWorld(t: Parameters<typeof testHub>[0]): Promise<TrackerWorld> {
  const hub = await testHub(t)
  const owner = await signIn(hub, 'owner')
  const keys = nodeEd25519.keyPairFromSeed(new Uint8Array(32).fill(4))
  const gatewayId = 'gw-presence'
  const merchant = await hub.context.ledger.openWallet({ id: `${owner.userId}.XOF`, userId: owner.userId, currency: 'XOF' })
  hub.context.db.prepare(
    `INSERT INTO gateways (id, eui, name, type, status, owner_user_id, merchant_account_id, public_key, created_at_ms)
     VALUES (?, ?, 'Counter', 'pos', 'provisioned', ?, ?, ?, ?)`,
  ).run(gatewayId, EUI, owner.userId, merchant.id, Buffer.from(keys.publicKey), hub.clock.now_ms())
  return {
    ...hub, keys, gatewayId, ownerId: owner.userId,
    presence: (message, signer = keys) => gatewayPresenceCodec.encode(gatewayPresenceCodec.sign(
      { gatewayEui: EUI, online: true, connectedAtMs: hub.clock.now_ms(), ...message }, signer.secretKey, nodeEd25519)),
  }
}

t.test('through an external broker, a signed presence is applied once, in the order of the connections it speaks for', async t => {
  const w = await trackerWorld(t)
  const { presence } = w.services
  const heard = heardEvents(w.services.events)
  const connected_ms = w.clock.now_ms()
  t.equal(await presence.report(EUI, w.presence({ online: true, connectedAtMs: connected_ms })), 'applied')
  t.equal(await presence.report(EUI, w.presence({ online: true, connectedAtMs: connected_ms })), 'unchanged', 'a retained message delivered again')
  w.clock.advance(MINUTE_MS)
  t.equal(await presence.report(EUI, w.presence({ online: false, connectedAtMs: connected_ms })), 'applied', 'the will of that connection')
  t.equal(await presence.report(EUI, w.presence({ online: true, connectedAtMs: connected_ms })), 'stale', 'its online again, replayed')
  t.equal(await presence.report(EUI, w.presence({ online: true, connectedAtMs: connected_ms - 1 })), 'stale', 'an older connection')
  t.same(await heardSoFar(w.services.events, heard), [
    { type: 'gateway.presence', data: { gatewayId: w.gatewayId, online: true, lastSeenAtMs: connected_ms }, audience: [w.ownerId] },
    { type: 'gateway.presence', data: { gatewayId: w.gatewayId, online: false, lastSeenAtMs: connected_ms + MINUTE_MS }, audience: [w.ownerId] },
  ])
  t.match(await w.services.gateways.byId(w.gatewayId), { online: false, lastSeenAtMs: connected_ms + MINUTE_MS })
  w.clock.advance(MINUTE_MS)
  t.equal(await presence.report(EUI, w.presence({ online: true, connectedAtMs: w.clock.now_ms() })), 'applied', 'a newer connection')
  t.match(await w.services.gateways.byId(w.gatewayId), { online: true })
})

t.test('a presence that is forged, malformed, for another gateway, from an unknown one or from the future changes nothing', async t => {
  const w = await trackerWorld(t)
  const { presence } = w.services
  const heard = heardEvents(w.services.events)
  const stranger = nodeEd25519.keyPairFromSeed(new Uint8Array(32).fill(5))
  t.equal(await presence.report(EUI, w.presence({}, stranger)), 'bad-signature')
  t.equal(await presence.report(EUI, w.presence({}).subarray(0, 40)), 'malformed')
  t.equal(await presence.report(OTHER_EUI, w.presence({})), 'wrong-gateway')
  t.equal(await presence.report(OTHER_EUI, w.presence({ gatewayEui: OTHER_EUI })), 'unknown-gateway')
  t.equal(await presence.report(EUI, w.presence({ connectedAtMs: w.clock.now_ms() + 6 * MINUTE_MS })), 'from-the-future')
  t.same(await heardSoFar(w.services.events, heard), [])
  t.match(await w.services.gateways.byId(w.gatewayId), { online: false, lastSeenAtMs: null })
})
