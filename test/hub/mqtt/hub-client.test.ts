import t from 'tap'
import type { MqttClient } from 'mqtt'
import { gatewayTopic, hubTopicFilter } from '../../../protocol/topics'
import { connectHubClient, type HubClient, type HubClientEvent, type HubClientOptions } from '../../../hub/mqtt/hub-client'
import { GATEWAY_A, GATEWAY_B, HUB_CREDENTIALS, nextMessage, startTestBroker } from './fixtures'

const RECORDS = hubTopicFilter('records')
const A_RECORDS = gatewayTopic(GATEWAY_A.eui, 'records')
const B_RECORDS = gatewayTopic(GATEWAY_B.eui, 'records')
const A_ACKS = gatewayTopic(GATEWAY_A.eui, 'acks')

/** A promise plus its resolve, for handlers the test releases by hand. */
function deferred<Value = void>() {
  let resolve!: (value: Value) => void
  const promise = new Promise<Value>((settle) => {
    resolve = settle
  })
  return { promise, resolve }
}

/** Collects what the handler saw and lets a test await the n-th message. */
function recorder() {
  const seen: string[] = []
  const waiters: Array<{ count: number; resolve: () => void }> = []
  return {
    seen,
    record(entry: string) {
      seen.push(entry)
      for (const waiter of waiters.filter((candidate) => seen.length >= candidate.count)) waiter.resolve()
    },
    until(count: number): Promise<void> {
      if (seen.length >= count) return Promise.resolve()
      return new Promise((resolve) => waiters.push({ count, resolve }))
    },
  }
}

async function setup(t: { teardown(fn: () => unknown): void }) {
  const harness = await startTestBroker()
  const hubClients: HubClient[] = []
  const gateways: MqttClient[] = []
  const events: HubClientEvent[] = []
  const eventWaiters: Array<(event: HubClientEvent) => boolean> = []
  const hub = async (overrides: Partial<HubClientOptions> = {}): Promise<HubClient> => {
    const client = await connectHubClient({
      url: harness.broker.url,
      ...HUB_CREDENTIALS,
      clientId: 'payall-hub-test',
      reconnectInitial_ms: 10,
      reconnectMax_ms: 100,
      log: (event) => {
        events.push(event)
        for (let index = eventWaiters.length - 1; index >= 0; index--) if (eventWaiters[index]!(event)) eventWaiters.splice(index, 1)
      },
      ...overrides,
    })
    hubClients.push(client)
    return client
  }
  const gateway = async (which = GATEWAY_A): Promise<MqttClient> => {
    const client = await harness.connectGateway(which)
    gateways.push(client)
    return client
  }
  const nextHubEvent = <Kind extends HubClientEvent['kind']>(kind: Kind): Promise<Extract<HubClientEvent, { kind: Kind }>> =>
    new Promise((resolve) => {
      eventWaiters.push((event) => {
        if (event.kind !== kind) return false
        resolve(event as Extract<HubClientEvent, { kind: Kind }>)
        return true
      })
    })
  t.teardown(async () => {
    await Promise.all(hubClients.map((client) => client.close()))
    await Promise.all(gateways.map((client) => client.endAsync(true)))
    await harness.broker.close()
  })
  return { harness, hub, gateway, events, nextHubEvent }
}

t.test('QoS 1 messages published while the hub was away arrive when it reconnects with the same clientId', async (t) => {
  const { hub, gateway } = await setup(t)
  const first = await hub()
  await first.subscribe(RECORDS, () => {})
  await first.close()

  const gatewayA = await gateway()
  for (const batch of ['batch-1', 'batch-2', 'batch-3']) await gatewayA.publishAsync(A_RECORDS, batch, { qos: 1 })

  const received = recorder()
  const second = await hub()
  // The session's messages arrive right after CONNACK and wait for this handler.
  await second.subscribe(RECORDS, (topic, payload) => received.record(`${topic} ${payload.toString()}`))
  await received.until(3)
  t.same(received.seen, ['batch-1', 'batch-2', 'batch-3'].map((batch) => `${A_RECORDS} ${batch}`))
})

t.test('the PUBACK goes out only after the handler has resolved', async (t) => {
  const { harness, hub, gateway } = await setup(t)
  const acked: string[] = []
  harness.broker.aedes.on('ack', (packet, client) => {
    if (client.id === 'payall-hub-test' && 'topic' in packet) acked.push(packet.topic)
  })
  const client = await hub()
  const started = deferred()
  const release = deferred()
  await client.subscribe(RECORDS, async () => {
    started.resolve()
    await release.promise
  })
  const gatewayA = await gateway()
  await gatewayA.publishAsync(A_RECORDS, 'batch', { qos: 1 })
  await started.promise
  // A QoS 1 round trip on the hub's own connection: a PUBACK sent earlier would be processed first.
  await client.publish(A_ACKS, 'probe')
  t.same(acked, [], 'not acknowledged while the handler runs')

  const ackedNow = new Promise<void>((resolve) => harness.broker.aedes.once('ack', () => resolve()))
  release.resolve()
  await ackedNow
  t.same(acked, [A_RECORDS])
})

t.test('messages are handled one at a time, in arrival order, across gateways', async (t) => {
  const { hub, gateway } = await setup(t)
  const client = await hub()
  const log = recorder()
  let running = 0
  await client.subscribe(RECORDS, async (topic, payload) => {
    running++
    const overlapping = running > 1
    await new Promise((resolve) => setImmediate(resolve))
    running--
    log.record(`${overlapping ? 'OVERLAP ' : ''}${topic.slice(-19, -8)} ${payload.toString()}`)
  })
  const [gatewayA, gatewayB] = [await gateway(GATEWAY_A), await gateway(GATEWAY_B)]
  const sent: string[] = []
  for (let index = 0; index < 10; index++) {
    const [sender, topic] = index % 3 === 0 ? [gatewayB, B_RECORDS] : [gatewayA, A_RECORDS]
    sent.push(`${topic.slice(-19, -8)} ${index}`)
    await sender.publishAsync(topic, String(index), { qos: 1 })
  }
  await log.until(10)
  t.same(log.seen, sent)
})

t.test('a handler that throws does not kill the client: the message comes again after a reconnect, order kept', async (t) => {
  const { hub, gateway, nextHubEvent } = await setup(t)
  const client = await hub()
  const log = recorder()
  let failuresLeft = 1
  await client.subscribe(RECORDS, (_topic, payload) => {
    const text = payload.toString()
    if (text === 'first' && failuresLeft-- > 0) {
      log.record('first failed')
      throw new Error('database unavailable')
    }
    log.record(text)
  })
  const failed = nextHubEvent('handler-failed')
  const gatewayA = await gateway()
  await gatewayA.publishAsync(A_RECORDS, 'first', { qos: 1 })
  await gatewayA.publishAsync(A_RECORDS, 'second', { qos: 1 })
  t.match(await failed, { topic: A_RECORDS, message: 'database unavailable' })
  await log.until(3)
  t.same(log.seen, ['first failed', 'first', 'second'])
  t.ok(client.connected)
})

t.test('a message with no matching handler is acknowledged and dropped after handlerWait_ms', async (t) => {
  const { hub, gateway, nextHubEvent } = await setup(t)
  const first = await hub()
  await first.subscribe(RECORDS, () => {})
  await first.close()
  const gatewayA = await gateway()
  await gatewayA.publishAsync(A_RECORDS, 'orphan', { qos: 1 })

  const unrouted = nextHubEvent('message-unrouted')
  await hub({ handlerWait_ms: 20 })
  t.match(await unrouted, { topic: A_RECORDS })
})

t.test('subscribe rejects with SUBSCRIBE_REFUSED when the broker grants nothing', async (t) => {
  const { hub } = await setup(t)
  const client = await hub()
  await t.rejects(client.subscribe('elsewhere/#', () => {}), { code: 'SUBSCRIBE_REFUSED' })
  await client.subscribe(RECORDS, () => {})
  t.ok(client.connected, 'a refused subscription leaves the client usable')
})

t.test('with a shareGroup the hub subscribes to $share/<group>/<filter>, which aedes refuses', async (t) => {
  const { harness, hub } = await setup(t)
  const client = await hub({ shareGroup: 'hubs' })
  await t.rejects(client.subscribe(RECORDS, () => {}), { code: 'SUBSCRIBE_REFUSED' })
  t.match(await harness.nextEvent('subscribe-refused'), { filter: `$share/hubs/${RECORDS}` })
})

t.test('publish resolves once the broker acked, and a retained message reaches a later subscriber', async (t) => {
  const { hub, gateway } = await setup(t)
  const client = await hub()
  const config = gatewayTopic(GATEWAY_A.eui, 'config')
  await client.publish(config, Uint8Array.of(1, 2, 3), { retain: true })
  const gatewayA = await gateway()
  const arrived = nextMessage(gatewayA, config)
  await gatewayA.subscribeAsync(config, { qos: 1 })
  const { payload, packet } = await arrived
  t.same([...payload], [1, 2, 3])
  t.equal(packet.retain, true)
})

t.test('publish refuses beyond publishesInFlightMax instead of queueing without bound', async (t) => {
  const { hub } = await setup(t)
  const client = await hub({ publishesInFlightMax: 1 })
  const first = client.publish(A_ACKS, 'one')
  await t.rejects(client.publish(A_ACKS, 'two'), { code: 'PUBLISH_QUEUE_FULL' })
  await first
  await client.publish(A_ACKS, 'three')
})

t.test('connectHubClient rejects with CONNECT_REFUSED on bad credentials', async (t) => {
  const { hub } = await setup(t)
  await t.rejects(hub({ password: 'wrong' }), { code: 'CONNECT_REFUSED' })
})

t.test('close() lets the running handler finish and then refuses further use', async (t) => {
  const { hub, gateway } = await setup(t)
  const client = await hub()
  const started = deferred()
  const release = deferred()
  let finished = false
  await client.subscribe(RECORDS, async () => {
    started.resolve()
    await release.promise
    finished = true
  })
  const gatewayA = await gateway()
  await gatewayA.publishAsync(A_RECORDS, 'batch', { qos: 1 })
  await started.promise
  const closing = client.close()
  release.resolve()
  await closing
  t.ok(finished)
  await t.rejects(client.publish(A_ACKS, 'late'), { code: 'CLIENT_CLOSED' })
})

t.test('a handler may await its own publish without deadlocking the connection', async (t) => {
  const { hub, gateway } = await setup(t)
  const client = await hub()
  const gatewayA = await gateway()
  await gatewayA.subscribeAsync(A_ACKS, { qos: 1 })
  await client.subscribe(RECORDS, async (_topic, payload) => {
    await client.publish(A_ACKS, `ack ${payload.toString()}`)
  })
  const ack = nextMessage(gatewayA, A_ACKS)
  await gatewayA.publishAsync(A_RECORDS, 'batch-9', { qos: 1 })
  t.equal((await ack).payload.toString(), 'ack batch-9')
})

t.test('an inbound queue overflow cycles the connection and every message is still handled once, in order', async (t) => {
  const { harness, hub, gateway, nextHubEvent } = await setup(t)
  const client = await hub({ inboundQueueMessagesMax: 2 })
  const release = deferred()
  const log = recorder()
  await client.subscribe(RECORDS, async (_topic, payload) => {
    await release.promise
    log.record(payload.toString())
  })
  const overflow = nextHubEvent('inbound-overflow')
  const gatewayA = await gateway()
  const sent = ['m0', 'm1', 'm2', 'm3', 'm4']
  for (const text of sent) await gatewayA.publishAsync(A_RECORDS, text, { qos: 1 })
  t.match(await overflow, { queuedMessages: 2 })
  const reconnected = new Promise<void>((resolve) => harness.broker.aedes.once('clientReady', () => resolve()))
  release.resolve()
  await reconnected
  await log.until(sent.length)
  t.same(log.seen, sent)
})

t.test('a publish the broker never took is rejected when the client closes, not left waiting forever', async (t) => {
  const { harness, hub, nextHubEvent } = await setup(t)
  const client = await hub({ closeTimeout_ms: 50 })
  const offline = nextHubEvent('disconnected')
  await harness.broker.close()
  await offline
  // mqtt.js keeps a persistent session's QoS 1 publish for the next connection.
  const pending = client.publish(A_ACKS, 'while the broker is away')
  await client.close()
  await t.rejects(pending, { code: 'CLIENT_CLOSED' })
})
