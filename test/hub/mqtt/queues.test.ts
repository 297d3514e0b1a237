// The embedded broker's queues for persistent sessions, over real sockets: a gateway that stays
// away costs the hub a bounded queue, and gets back what the policy keeps when it returns.

import t from 'tap'
import { connect, type MqttClient } from 'mqtt'
import { REVOCATIONS_TOPIC, gatewayTopic } from '../../../protocol/topics'
import {
  GATEWAY_A,
  GATEWAY_B,
  startTestBroker,
  type TestBroker,
  type TestGateway,
} from './fixtures'

const A_ACKS = gatewayTopic(GATEWAY_A.eui, 'acks')
const A_CONFIG = gatewayTopic(GATEWAY_A.eui, 'config')

type Received = { topic: string; payload: string }

async function setup(t: { teardown(fn: () => unknown): void }, overrides: Parameters<typeof startTestBroker>[0] = {}) {
  const harness = await startTestBroker(overrides)
  const clients: MqttClient[] = []
  t.teardown(async () => {
    await Promise.all(clients.map((client) => client.endAsync(true)))
    await harness.broker.close()
  })
  const hub = await harness.connectHubMqtt()
  clients.push(hub)
  return { ...harness, hub, clients }
}

/**
 * Connects a gateway with a persistent session and collects what it receives from the first
 * packet on: queued messages can arrive in the same read as the CONNACK.
 */
function connectPersistent(harness: TestBroker & { clients: MqttClient[] }, gateway: TestGateway) {
  const received: Received[] = []
  const waiters: Array<{ count: number; resolve: () => void }> = []
  const client = connect(harness.broker.url, {
    clientId: gateway.eui, username: gateway.eui, password: harness.password(gateway), clean: false, reconnectPeriod: 0,
  })
  harness.clients.push(client)
  client.on('message', (topic, payload) => {
    received.push({ topic, payload: payload.toString() })
    for (const waiter of waiters.filter(waiter => received.length >= waiter.count)) waiter.resolve()
  })
  const connected = new Promise<void>((resolve, reject) => {
    client.once('connect', () => resolve())
    client.once('error', reject)
  })
  const until = (count: number): Promise<Received[]> =>
    received.length >= count ? Promise.resolve(received.slice()) : new Promise(resolve => waiters.push({ count, resolve: () => resolve(received.slice()) }))
  return { client, connected, received, until }
}

/** Subscribes with a persistent session, then goes away: from now on the broker queues for it. */
async function goAway(harness: TestBroker & { clients: MqttClient[] }, gateway: TestGateway, topics: string[]): Promise<void> {
  const first = connectPersistent(harness, gateway)
  await first.connected
  await first.client.subscribeAsync(topics, { qos: 1 })
  await first.client.endAsync()
}

t.test('a persistent session that stays away keeps at most its bound, the newest messages, and gets them when it returns', async t => {
  const harness = await setup(t, { queueBounds: { messagesPerGateway_max: 5 } })
  await goAway(harness, GATEWAY_A, [A_ACKS])
  for (let index = 0; index < 50; index++) {
    await harness.hub.publishAsync(A_ACKS, `ack ${index}`, { qos: 1 })
    t.ok(harness.broker.clientStats(GATEWAY_A.eui).messages <= 5, `within the bound after ${index + 1}`)
  }
  t.same(harness.broker.clientStats(GATEWAY_A.eui), { messages: 5, bytes: 5 * (A_ACKS.length + 'ack 45'.length) })
  t.equal(harness.broker.stats().dropped, 45)
  t.match(await harness.nextEvent('queue-dropped'), { bound: 'client', topic: A_ACKS, clients: 1, messages: 1 })

  const back = connectPersistent(harness, GATEWAY_A)
  await back.connected
  const queued = await back.until(5)
  t.same(queued.map(message => message.payload), ['ack 45', 'ack 46', 'ack 47', 'ack 48', 'ack 49'], 'the newest five, in order')
  await harness.hub.publishAsync(A_ACKS, 'after', { qos: 1 })
  t.same((await back.until(6))[5], { topic: A_ACKS, payload: 'after' }, 'and nothing else before what comes next')
})

t.test('the queues of all sessions together stay within the total bound, oldest out first', async t => {
  const harness = await setup(t, { queueBounds: { messagesPerGateway_max: 10, hubMessages_max: 10, messages_max: 12 } })
  const B_ACKS = gatewayTopic(GATEWAY_B.eui, 'acks')
  await goAway(harness, GATEWAY_A, [A_ACKS])
  await goAway(harness, GATEWAY_B, [B_ACKS])
  for (let index = 0; index < 10; index++) {
    await harness.hub.publishAsync(A_ACKS, `a ${index}`, { qos: 1 })
    await harness.hub.publishAsync(B_ACKS, `b ${index}`, { qos: 1 })
    t.ok(harness.broker.stats().queued.messages <= 12)
  }
  t.same([harness.broker.clientStats(GATEWAY_A.eui).messages, harness.broker.clientStats(GATEWAY_B.eui).messages], [6, 6])
  t.match(await harness.nextEvent('queue-dropped'), { bound: 'total' })

  const back = connectPersistent(harness, GATEWAY_A)
  await back.connected
  t.same((await back.until(6)).map(message => message.payload), ['a 4', 'a 5', 'a 6', 'a 7', 'a 8', 'a 9'])
})

t.test('a message queued for many sessions holds its payload once', async t => {
  const harness = await setup(t)
  await goAway(harness, GATEWAY_A, [REVOCATIONS_TOPIC])
  await goAway(harness, GATEWAY_B, [REVOCATIONS_TOPIC])
  for (let serial = 1; serial <= 3; serial++) await harness.hub.publishAsync(REVOCATIONS_TOPIC, Buffer.alloc(1000, serial), { qos: 1, retain: true })
  t.same([harness.broker.clientStats(GATEWAY_A.eui), harness.broker.clientStats(GATEWAY_B.eui)],
    new Array(2).fill({ messages: 3, bytes: 3 * (REVOCATIONS_TOPIC.length + 1000) }), 'each session has all three queued')
  t.same(harness.broker.stats().queued, { messages: 6, bytes: 3000 }, 'and the hub holds each payload once')

  const back = connectPersistent(harness, GATEWAY_A)
  await back.connected
  t.same((await back.until(3)).map(message => message.payload[0]), ['\u0001', '\u0002', '\u0003'], 'all three, in order')
})

t.test('retained messages are bounded: past the bound one is not retained, and a late subscriber gets none for it', async t => {
  const harness = await setup(t, { retainedBounds: { messages_max: 1 } })
  await harness.hub.publishAsync(REVOCATIONS_TOPIC, 'list 1', { qos: 1, retain: true })
  await harness.hub.publishAsync(A_CONFIG, 'config 1', { qos: 1, retain: true })
  t.match(await harness.nextEvent('retained-refused'), { topic: A_CONFIG })
  t.same(harness.broker.stats().retained.messages, 1)
  const gateway = connectPersistent(harness, GATEWAY_A)
  await gateway.connected
  // Retained messages come in the order of the filters: had the config been kept, it would come first.
  await gateway.client.subscribeAsync([A_CONFIG, REVOCATIONS_TOPIC], { qos: 1 })
  t.same((await gateway.until(1))[0], { topic: REVOCATIONS_TOPIC, payload: 'list 1' })
})

t.test('the broker refuses queue or retained byte bounds smaller than a packet may be', async t => {
  for (const overrides of [{ queueBounds: { bytesPerGateway_max: 100 } }, { queueBounds: { hubBytes_max: 100 } }, { retainedBounds: { bytes_max: 100 } }]) {
    await t.rejects(startTestBroker({ packetBytesMax: 1024, ...overrides }), { code: 'INVALID_OPTIONS' }, JSON.stringify(overrides))
  }
})
