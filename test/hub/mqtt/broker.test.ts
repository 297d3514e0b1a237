import t from 'tap'
import { connect as connectTcp, type Socket } from 'node:net'
import type { MqttClient } from 'mqtt'
import { concatBytes, toBase64 } from '../../../protocol/bytes'
import { gatewayPasswordSignedBytes } from '../../../protocol/mqtt-password'
import { REVOCATIONS_TOPIC, gatewayTopic, hubTopicFilter } from '../../../protocol/topics'
import { IDENTITY_KEY, NO_SECRET_SIGNATURE, rawNodeVerify } from '../../helpers/small-order'
import { portIsFree, withServersOnPipes } from '../../helpers/leaks'
import { freePort } from '../../../simulator/anvil'
import { GATEWAY_PASSWORD_WINDOW_MS_DEFAULT } from '../../../hub/mqtt/gateway-password'
import {
  GATEWAY_A,
  GATEWAY_B,
  GATEWAY_UNKNOWN,
  HUB_CREDENTIALS,
  closed,
  nextMessage,
  refusalCode,
  startTestBroker,
  type TestBroker,
} from './fixtures'

const A_RECORDS = gatewayTopic(GATEWAY_A.eui, 'records')
const B_RECORDS = gatewayTopic(GATEWAY_B.eui, 'records')
const A_ACKS = gatewayTopic(GATEWAY_A.eui, 'acks')
const B_ACKS = gatewayTopic(GATEWAY_B.eui, 'acks')

/** Starts a broker for one test and closes it, and every client opened through `track`, afterwards. */
async function setup(t: { teardown(fn: () => unknown): void }, overrides: Parameters<typeof startTestBroker>[0] = {}) {
  const harness = await startTestBroker(overrides)
  const clients: MqttClient[] = []
  const track = async (connecting: Promise<MqttClient>): Promise<MqttClient> => {
    const client = await connecting
    clients.push(client)
    return client
  }
  t.teardown(async () => {
    await Promise.all(clients.map((client) => client.endAsync(true)))
    await harness.broker.close()
  })
  return { ...harness, track }
}

/** A raw TCP socket to the broker, and a promise of its close. */
async function rawSocket(harness: TestBroker): Promise<{ socket: Socket; closed: Promise<void> }> {
  const socket = connectTcp(harness.broker.port, '127.0.0.1')
  socket.on('error', () => {})
  const socketClosed = new Promise<void>((resolve) => socket.once('close', () => resolve()))
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()))
  return { socket, closed: socketClosed }
}

/** The QoS values of a SUBACK, whether mqtt.js resolved it or rejected it for a 0x80. */
async function grantedQos(subscribing: Promise<Array<{ qos: number }>>): Promise<number[]> {
  try {
    return (await subscribing).map((grant) => grant.qos)
  } catch (error) {
    return (error as { packet?: { granted?: number[] } }).packet?.granted ?? []
  }
}

t.test('a provisioned gateway with a fresh password connects', async (t) => {
  const harness = await setup(t)
  const gateway = await harness.track(harness.connectGateway(GATEWAY_A))
  t.ok(gateway.connected)
  t.match(await harness.nextEvent('connected', (event) => event.clientId === GATEWAY_A.eui), {
    identity: { kind: 'gateway', eui: GATEWAY_A.eui },
  })
})

t.test('a replayed password is refused with CONNACK 4 (bad username or password)', async (t) => {
  const harness = await setup(t)
  const password = harness.password(GATEWAY_A)
  const first = await harness.connectGateway(GATEWAY_A, { password })
  await first.endAsync()
  t.equal(await refusalCode(harness.connectGateway(GATEWAY_A, { password })), 4)
  t.match(await harness.nextEvent('connect-refused'), { clientId: GATEWAY_A.eui, reason: 'REPLAYED', returnCode: 4 })
})

t.test('a password signed outside the time window is refused', async (t) => {
  const harness = await setup(t)
  const stale = harness.password(GATEWAY_A, harness.clock.now_ms() - GATEWAY_PASSWORD_WINDOW_MS_DEFAULT - 1)
  t.equal(await refusalCode(harness.connectGateway(GATEWAY_A, { password: stale })), 4)
  const early = harness.password(GATEWAY_A, harness.clock.now_ms() + GATEWAY_PASSWORD_WINDOW_MS_DEFAULT + 1)
  t.equal(await refusalCode(harness.connectGateway(GATEWAY_A, { password: early })), 4)
  t.same(
    harness.events.flatMap((event) => (event.kind === 'connect-refused' ? [event.reason] : [])),
    ['EXPIRED', 'EXPIRED'],
  )
})

t.test('a password captured and replayed later is refused as expired once the fake clock moves on', async (t) => {
  const harness = await setup(t)
  const captured = harness.password(GATEWAY_A)
  harness.clock.advance(GATEWAY_PASSWORD_WINDOW_MS_DEFAULT + 1)
  t.equal(await refusalCode(harness.connectGateway(GATEWAY_A, { password: captured })), 4)
  t.match(await harness.nextEvent('connect-refused'), { reason: 'EXPIRED' })
})

t.test('a password signed with another key is refused', async (t) => {
  const harness = await setup(t)
  const forged = harness.password({ eui: GATEWAY_A.eui, keys: GATEWAY_B.keys })
  t.equal(await refusalCode(harness.connectGateway(GATEWAY_A, { password: forged })), 4)
  t.match(await harness.nextEvent('connect-refused'), { reason: 'BAD_SIGNATURE' })
})

t.test('a gateway holding a small-order key cannot get in with a password signed with no secret', async (t) => {
  // A key provisioned before keys were checked: the broker still has it on record.
  const harness = await setup(t, { lookupGatewayKey: async (eui) => (eui === GATEWAY_A.eui ? IDENTITY_KEY : undefined) })
  const time = new Uint8Array(8)
  new DataView(time.buffer).setBigUint64(0, BigInt(harness.clock.now_ms()))
  const nonce = harness.random(16)
  t.ok(rawNodeVerify(gatewayPasswordSignedBytes(GATEWAY_A.eui, time, nonce), NO_SECRET_SIGNATURE, IDENTITY_KEY),
    'premise: node:crypto alone takes this password')
  const password = toBase64(concatBytes(time, nonce, NO_SECRET_SIGNATURE))
  t.equal(await refusalCode(harness.connectGateway(GATEWAY_A, { password })), 4)
  t.match(await harness.nextEvent('connect-refused'), { clientId: GATEWAY_A.eui, reason: 'BAD_SIGNATURE' })
})

t.test('an unknown EUI is refused', async (t) => {
  const harness = await setup(t)
  t.equal(await refusalCode(harness.connectGateway(GATEWAY_UNKNOWN)), 4)
  t.match(await harness.nextEvent('connect-refused'), { clientId: GATEWAY_UNKNOWN.eui, reason: 'UNKNOWN_GATEWAY' })
})

t.test('a gateway that signs a fresh password for every reconnect gets back in', async (t) => {
  const harness = await setup(t)
  const gateway = await harness.track(harness.connectGateway(GATEWAY_A, { reconnectPeriod: 10 }))
  // mqtt.js builds each CONNECT from its options, and emits 'reconnect' just before.
  gateway.on('reconnect', () => {
    gateway.options.password = harness.password(GATEWAY_A)
  })
  const reconnected = new Promise<void>((resolve) => gateway.once('connect', () => resolve()))
  gateway.stream.destroy()
  await reconnected
  t.equal(harness.events.filter((event) => event.kind === 'connected').length, 2)
  t.notOk(harness.events.some((event) => event.kind === 'connect-refused'))
})

t.test('an MQTT 5 client is refused with CONNACK 1: aedes 1.x speaks MQTT 3.1 and 3.1.1 only', async (t) => {
  const harness = await setup(t)
  t.equal(await refusalCode(harness.connectGateway(GATEWAY_A, { protocolVersion: 5 })), 1)
  t.ok((await harness.track(harness.connectGateway(GATEWAY_A))).connected)
})

t.test('a gateway whose client id is not its EUI is refused with CONNACK 2 (identifier rejected)', async (t) => {
  const harness = await setup(t)
  t.equal(await refusalCode(harness.connectGateway(GATEWAY_A, { clientId: `${GATEWAY_A.eui}-x` })), 2)
  t.equal(await refusalCode(harness.connectGateway(GATEWAY_A, { clientId: GATEWAY_B.eui })), 2, 'cannot take over another session')
})

t.test('anyone else is refused: no credentials, unknown username, wrong hub password', async (t) => {
  const harness = await setup(t)
  t.equal(await refusalCode(harness.connectHubMqtt({ username: undefined, password: undefined })), 4)
  t.equal(await refusalCode(harness.connectHubMqtt({ username: 'guest', password: 'guest' })), 4)
  t.equal(await refusalCode(harness.connectHubMqtt({ password: `${HUB_CREDENTIALS.password}!` })), 4)
  const hub = await harness.track(harness.connectHubMqtt())
  t.ok(hub.connected, 'the right hub credentials still work')
})

t.test('a gateway cannot publish to another gateway\'s records: it is disconnected and nothing reaches the hub', async (t) => {
  const harness = await setup(t)
  const hub = await harness.track(harness.connectHubMqtt())
  await hub.subscribeAsync(hubTopicFilter('records'), { qos: 1 })
  const received: string[] = []
  hub.on('message', (_topic, payload) => received.push(payload.toString()))

  const intruder = await harness.track(harness.connectGateway(GATEWAY_A))
  const intruderClosed = closed(intruder)
  intruder.publish(B_RECORDS, 'forged', { qos: 1 }, () => {})
  await intruderClosed
  t.match(await harness.nextEvent('publish-refused'), { clientId: GATEWAY_A.eui, topic: B_RECORDS })

  // The refusal happened before the intruder's connection closed, so a message published after
  // that close arriving means the forged one, had it been routed, would already be here.
  const honest = await harness.track(harness.connectGateway(GATEWAY_B))
  const sentinel = nextMessage(hub, B_RECORDS)
  await honest.publishAsync(B_RECORDS, 'sentinel', { qos: 1 })
  await sentinel
  t.same(received, ['sentinel'])
})

t.test('a gateway cannot publish retained, not even to its own records', async (t) => {
  const harness = await setup(t)
  const gateway = await harness.track(harness.connectGateway(GATEWAY_A))
  const gatewayClosed = closed(gateway)
  gateway.publish(A_RECORDS, 'sticky', { qos: 1, retain: true }, () => {})
  await gatewayClosed
  t.match(await harness.nextEvent('publish-refused'), { topic: A_RECORDS, retain: true })
})

t.test('a gateway cannot subscribe to another gateway\'s acks: SUBACK 0x80, stays connected, receives nothing', async (t) => {
  const harness = await setup(t)
  const hub = await harness.track(harness.connectHubMqtt())
  const gateway = await harness.track(harness.connectGateway(GATEWAY_A))
  t.same(await grantedQos(gateway.subscribeAsync(B_ACKS, { qos: 1 })), [0x80])
  t.match(await harness.nextEvent('subscribe-refused'), { clientId: GATEWAY_A.eui, filter: B_ACKS })
  await gateway.subscribeAsync(A_ACKS, { qos: 1 })
  const received: string[] = []
  gateway.on('message', (topic) => received.push(topic))

  await hub.publishAsync(B_ACKS, 'for B only', { qos: 1 })
  const sentinel = nextMessage(gateway, A_ACKS)
  await hub.publishAsync(A_ACKS, 'sentinel', { qos: 1 })
  await sentinel
  t.same(received, [A_ACKS])
  t.ok(gateway.connected)
})

t.test("'#' and '+' filters that cover other gateways are refused", async (t) => {
  const harness = await setup(t)
  const gateway = await harness.track(harness.connectGateway(GATEWAY_A))
  const filters = ['#', '+/#', 'payall/v1/#', 'payall/v1/gw/+/acks', `payall/v1/gw/${GATEWAY_A.eui}/#`, '$SYS/#']
  for (const filter of filters) {
    t.same(await grantedQos(gateway.subscribeAsync(filter, { qos: 1 })), [0x80], filter)
  }
  t.ok(gateway.connected)
})

t.test('a gateway may subscribe to the global revocations and gets the retained list', async (t) => {
  const harness = await setup(t)
  const hub = await harness.track(harness.connectHubMqtt())
  await hub.publishAsync(REVOCATIONS_TOPIC, 'revocation list v1', { qos: 1, retain: true })
  const gateway = await harness.track(harness.connectGateway(GATEWAY_A))
  const retained = nextMessage(gateway, REVOCATIONS_TOPIC)
  const granted = await gateway.subscribeAsync(REVOCATIONS_TOPIC, { qos: 1 })
  t.same(granted.map((grant) => grant.qos), [1])
  const { payload, packet } = await retained
  t.equal(payload.toString(), 'revocation list v1')
  t.equal(packet.retain, true)
})

t.test('raw garbage on a socket is dropped and the broker keeps serving', async (t) => {
  const harness = await setup(t)
  const { socket, closed: garbageClosed } = await rawSocket(harness)
  socket.write(Buffer.from('GET / HTTP/1.1\r\nHost: hub\r\n\r\n'))
  socket.write(Buffer.alloc(64, 0xff))
  await garbageClosed
  const gateway = await harness.track(harness.connectGateway(GATEWAY_A))
  t.ok(gateway.connected)
})

t.test('a packet header announcing more than packetBytesMax closes that connection at once', async (t) => {
  const harness = await setup(t)
  const { socket, closed: socketClosed } = await rawSocket(harness)
  // A PUBLISH announcing 268,435,455 bytes (the protocol maximum); no body follows.
  socket.write(Uint8Array.of(0x30, 0xff, 0xff, 0xff, 0x7f))
  await socketClosed
  t.match(await harness.nextEvent('client-error'), { code: 'PACKET_TOO_LARGE' })
  t.ok((await harness.track(harness.connectGateway(GATEWAY_A))).connected)
})

t.test('an authenticated gateway publishing an oversized payload is cut off and nothing is routed', async (t) => {
  const harness = await setup(t, { packetBytesMax: 4096 })
  const hub = await harness.track(harness.connectHubMqtt())
  await hub.subscribeAsync(hubTopicFilter('records'), { qos: 1 })
  const received: number[] = []
  hub.on('message', (_topic, payload) => received.push(payload.length))

  const gateway = await harness.track(harness.connectGateway(GATEWAY_A))
  const gatewayClosed = closed(gateway)
  gateway.publish(A_RECORDS, Buffer.alloc(5000), { qos: 1 }, () => {})
  await gatewayClosed
  t.match(await harness.nextEvent('client-error', (event) => event.clientId === GATEWAY_A.eui), { code: 'PACKET_TOO_LARGE' })

  const honest = await harness.track(harness.connectGateway(GATEWAY_B))
  const sentinel = nextMessage(hub, B_RECORDS)
  await honest.publishAsync(B_RECORDS, Buffer.alloc(100), { qos: 1 })
  await sentinel
  t.same(received, [100])
})

t.test('a remaining length longer than four bytes is malformed and closes the connection', async (t) => {
  const harness = await setup(t)
  const { socket, closed: socketClosed } = await rawSocket(harness)
  socket.write(Uint8Array.of(0x10, 0x80, 0x80, 0x80, 0x80, 0x01))
  await socketClosed
  t.match(await harness.nextEvent('client-error'), { code: 'MALFORMED_PACKET' })
})

t.test('connections beyond connectionsMax are dropped', async (t) => {
  const harness = await setup(t, { connectionsMax: 1 })
  const first = await harness.track(harness.connectGateway(GATEWAY_A))
  const { closed: secondClosed } = await rawSocket(harness)
  await secondClosed
  await harness.nextEvent('connection-dropped')
  t.ok(first.connected, 'the connection within the cap is untouched')
})

t.test('close() disconnects connected and half-open clients and stops listening', async (t) => {
  const harness = await startTestBroker()
  const gateway = await harness.connectGateway(GATEWAY_A)
  const gatewayClosed = closed(gateway)
  const { closed: halfOpenClosed } = await rawSocket(harness)
  await harness.broker.close()
  await Promise.all([gatewayClosed, halfOpenClosed])
  await harness.broker.close()
  t.equal(await refusalCode(harness.connectGateway(GATEWAY_A)), 'ECONNREFUSED')
  await gateway.endAsync(true)
})

t.test('a start that fails once the server listens closes it again: the port is free and the error reaches the caller', async (t) => {
  const port = await freePort()
  await t.rejects(withServersOnPipes(() => startTestBroker({ port })), { code: 'INVALID_OPTIONS', message: /must listen on a TCP port/ })
  t.ok(await portIsFree(port), 'nothing listens on the port')
})

t.test('the broker tells when a gateway connects and when its connection ends; a takeover leaves it online', async (t) => {
  const changes: Array<[string, boolean]> = []
  let told: () => void = () => undefined
  const presence = (eui: string, online: boolean): void => {
    changes.push([eui, online])
    told()
  }
  const nextChange = () => new Promise<void>(resolve => { told = resolve })
  const harness = await setup(t, { presence })
  const hub = await harness.track(harness.connectHubMqtt())
  t.same(changes, [], 'the hub\'s own client is no gateway')

  let changed = nextChange()
  const first = await harness.track(harness.connectGateway(GATEWAY_A))
  await changed
  t.same(changes, [[GATEWAY_A.eui, true]])

  // The same gateway again (its session taken over): the old connection ends first, then the new one is online.
  changed = nextChange()
  const firstClosed = closed(first)
  const second = await harness.track(harness.connectGateway(GATEWAY_A))
  await firstClosed
  while (changes.length < 3) {
    await changed
    changed = nextChange()
  }
  t.same(changes.slice(1), [[GATEWAY_A.eui, false], [GATEWAY_A.eui, true]])

  changed = nextChange()
  second.stream.destroy()
  await changed
  t.same(changes.at(-1), [GATEWAY_A.eui, false], 'a dropped connection is offline')
  t.ok(hub.connected)
})

t.test('a gateway\'s retained presence and its last will reach the hub on its own status topic; another\'s is refused', async (t) => {
  const harness = await setup(t)
  const hub = await harness.track(harness.connectHubMqtt())
  const A_STATUS = gatewayTopic(GATEWAY_A.eui, 'status')
  await hub.subscribeAsync(A_STATUS, { qos: 1 })
  const gateway = await harness.track(harness.connectGateway(GATEWAY_A, { will: { topic: A_STATUS, payload: Buffer.from('gone'), qos: 1, retain: true } }))
  const online = nextMessage(hub, A_STATUS)
  await gateway.publishAsync(A_STATUS, 'here', { qos: 1, retain: true })
  t.equal(String((await online).payload), 'here')

  const will = nextMessage(hub, A_STATUS)
  gateway.stream.destroy()
  const { payload, packet } = await will
  t.equal(String(payload), 'gone', 'the will, published by the broker when the connection dropped')
  const late = await harness.track(harness.connectHubMqtt({ clientId: 'late-hub' }))
  const retained = nextMessage(late, A_STATUS)
  await late.subscribeAsync(A_STATUS, { qos: 1 })
  t.match(await retained, { payload: Buffer.from('gone'), packet: { retain: true } }, 'and retained for a hub that subscribes later')
  t.equal(packet.topic, A_STATUS)

  const intruder = await harness.track(harness.connectGateway(GATEWAY_B))
  const intruderClosed = closed(intruder)
  intruder.publish(A_STATUS, 'forged', { qos: 1, retain: true }, () => {})
  await intruderClosed
  t.match(await harness.nextEvent('publish-refused', (event) => event.clientId === GATEWAY_B.eui), { topic: A_STATUS, retain: true })
})
