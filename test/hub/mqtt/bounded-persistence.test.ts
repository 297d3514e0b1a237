import t from 'tap'
import { BoundedPersistence, type PersistenceEvent, type QueuedPacket } from '../../../hub/mqtt/bounded-persistence'

const BROKER_ID = 'broker-1'
/** Gateways log in with their EUI as client id; the hub with another. */
const GW_A = '00112233445566A1'
const GW_B = '00112233445566B2'
const HUB = 'payall-hub'
let counter = 0

function publish(topic: string, payload: string | Buffer, retain = false): QueuedPacket {
  return { cmd: 'publish', topic, payload: typeof payload === 'string' ? Buffer.from(payload) : payload, qos: 1, retain, brokerId: BROKER_ID, brokerCounter: ++counter }
}

function persistence(options: ConstructorParameters<typeof BoundedPersistence>[0] = {}) {
  const events: PersistenceEvent[] = []
  const store = new BoundedPersistence({ ...options, onEvent: event => events.push(event) })
  return { store, events }
}

async function queuedPayloads(store: BoundedPersistence, clientId: string): Promise<string[]> {
  const payloads: string[] = []
  for await (const packet of store.outgoingStream({ id: clientId })) payloads.push(Buffer.from((packet as QueuedPacket).payload as Buffer).toString())
  return payloads
}

t.test('past its bound a gateway loses its oldest queued messages, and each publish that drops says how many', async t => {
  const { store, events } = persistence({ queue: { messagesPerGateway_max: 3 } })
  for (let index = 0; index < 5; index++) await store.outgoingEnqueueCombi([{ clientId: GW_A }], publish('a/acks', `m${index}`))
  t.same(await queuedPayloads(store, GW_A), ['m2', 'm3', 'm4'])
  t.same(store.clientStats(GW_A), { messages: 3, bytes: 3 * ('a/acks'.length + 2) })
  t.equal(store.stats().dropped, 2)
  t.same(events, [
    { kind: 'queue-dropped', bound: 'client', topic: 'a/acks', clients: 1, messages: 1 },
    { kind: 'queue-dropped', bound: 'client', topic: 'a/acks', clients: 1, messages: 1 },
  ])
})

t.test("the hub's own session has its own bound, above a gateway's", async t => {
  const { store } = persistence({ queue: { messagesPerGateway_max: 3, hubMessages_max: 10 } })
  for (let index = 0; index < 5; index++) await store.outgoingEnqueueCombi([{ clientId: GW_A }, { clientId: HUB }], publish('t', `m${index}`))
  t.equal(store.clientStats(GW_A).messages, 3)
  t.equal(store.clientStats(HUB).messages, 5)
})

t.test('the per-gateway byte bound counts topic and payload', async t => {
  const { store } = persistence({ queue: { bytesPerGateway_max: 100 } })
  for (let index = 0; index < 4; index++) await store.outgoingEnqueue({ clientId: GW_A }, publish('t', Buffer.alloc(39, index)))
  // 40 bytes each: two fit in 100, the third pushes the first out, and so on.
  t.same(store.clientStats(GW_A), { messages: 2, bytes: 80 })
})

t.test('past the total bound the oldest queued message of any client goes first', async t => {
  const { store, events } = persistence({ queue: { messagesPerGateway_max: 3, hubMessages_max: 3, messages_max: 4 } })
  await store.outgoingEnqueue({ clientId: GW_A }, publish('a', 'a0'))
  await store.outgoingEnqueue({ clientId: GW_B }, publish('b', 'b0'))
  await store.outgoingEnqueue({ clientId: GW_A }, publish('a', 'a1'))
  await store.outgoingEnqueue({ clientId: GW_B }, publish('b', 'b1'))
  await store.outgoingEnqueue({ clientId: GW_B }, publish('b', 'b2'))
  t.same(await queuedPayloads(store, GW_A), ['a1'])
  t.same(await queuedPayloads(store, GW_B), ['b0', 'b1', 'b2'])
  t.equal(store.stats().queued.messages, 4)
  t.same(events, [{ kind: 'queue-dropped', bound: 'total', topic: 'b', clients: 1, messages: 1 }])
})

t.test('a payload queued for many clients counts once in the total bytes, and is freed with its last copy', async t => {
  const { store } = persistence()
  const broadcast = publish('payall/v1/revocations', Buffer.alloc(1000, 7), true)
  const subscribers = Array.from({ length: 50 }, (_, index) => ({ clientId: `00112233445566${index.toString(16).padStart(2, '0').toUpperCase()}` }))
  await store.outgoingEnqueueCombi(subscribers, broadcast)
  t.same(store.stats().queued, { messages: 50, bytes: 1000 })
  t.equal(store.clientStats('0011223344556607').bytes, 1000 + 'payall/v1/revocations'.length)
  for (const { clientId } of subscribers) {
    await store.outgoingUpdate({ id: clientId }, { ...broadcast, messageId: 9 })
    t.ok(await store.outgoingClearMessageId({ id: clientId }, { cmd: 'puback', messageId: 9 }), `${clientId} acknowledges it`)
  }
  t.same(store.stats().queued, { messages: 0, bytes: 0 })
})

t.test('the total byte bound drops the oldest payloads until the rest fit', async t => {
  const { store } = persistence({ queue: { bytesPerGateway_max: 1000, hubBytes_max: 1000, bytes_max: 1000 } })
  for (let index = 0; index < 3; index++) {
    await store.outgoingEnqueueCombi([{ clientId: GW_A }, { clientId: GW_B }], publish('x', Buffer.alloc(400, index)))
  }
  t.same(store.stats().queued, { messages: 4, bytes: 800 }, 'the first broadcast went, from both queues')
})

t.test('updating or acknowledging a message no longer queued is harmless', async t => {
  const { store } = persistence({ queue: { messagesPerGateway_max: 1 } })
  const first = publish('a', 'first')
  await store.outgoingEnqueue({ clientId: GW_A }, first)
  await store.outgoingEnqueue({ clientId: GW_A }, publish('a', 'second'))
  // aedes sends the first (dropped meanwhile) and records its packet id: no error, nothing changes.
  await store.outgoingUpdate({ id: GW_A }, { ...first, messageId: 1 })
  t.equal(await store.outgoingClearMessageId({ id: GW_A }, { cmd: 'puback', messageId: 1 }), undefined)
  await store.outgoingUpdate({ id: '00112233445566FF' }, { ...first, messageId: 1 })
  t.same(await queuedPayloads(store, GW_A), ['second'])
})

t.test('a PUBREL takes the place of its PUBLISH (QoS 2) and the bytes follow', async t => {
  const { store } = persistence()
  const sent = publish('a', 'payload')
  await store.outgoingEnqueue({ clientId: GW_A }, sent)
  await store.outgoingUpdate({ id: GW_A }, { ...sent, messageId: 4 })
  await store.outgoingUpdate({ id: GW_A }, { cmd: 'pubrel', messageId: 4 })
  t.same(store.clientStats(GW_A), { messages: 1, bytes: 0 })
  t.same(store.stats().queued, { messages: 1, bytes: 0 })
  t.match(await store.outgoingClearMessageId({ id: GW_A }, { cmd: 'pubcomp', messageId: 4 }), { cmd: 'pubrel' })
  t.same(store.stats().queued, { messages: 0, bytes: 0 })
})

t.test('retained messages past the bound are not retained, the previous one on the topic stays, and deletes free room', async t => {
  const { store, events } = persistence({ retained: { messages_max: 2, bytes_max: 1000 } })
  await store.storeRetained(publish('one', 'a', true))
  await store.storeRetained(publish('two', 'b', true))
  await store.storeRetained(publish('three', 'c', true))
  t.same(events, [{ kind: 'retained-refused', topic: 'three', bytes: 'three'.length + 1 }])
  await store.storeRetained(publish('two', Buffer.alloc(997), true))
  t.equal(events.length, 2, 'a replacement past the byte bound is refused too')
  t.same(store.stats().retained, { messages: 2, bytes: 'one'.length + 1 + 'two'.length + 1 })
  await store.storeRetained(publish('two', Buffer.alloc(0), true))
  await store.storeRetained(publish('three', 'c', true))
  t.same(store.stats().retained, { messages: 2, bytes: 'one'.length + 1 + 'three'.length + 1 })
  const retained: string[] = []
  for await (const packet of store.createRetainedStreamCombi(['one', 'two', 'three'])) retained.push((packet as QueuedPacket).topic!)
  t.same(retained, ['one', 'three'])
})

t.test('refuses bounds that are not positive integers, or totals below the bounds of one session', async t => {
  for (const options of [
    { queue: { messagesPerGateway_max: 0 } },
    { queue: { bytes_max: 1.5 } },
    { retained: { messages_max: -1 } },
    { queue: { messagesPerGateway_max: 10, hubMessages_max: 5, messages_max: 5 } },
    { queue: { hubBytes_max: 10_000, bytes_max: 5_000, bytesPerGateway_max: 1_000 } },
  ]) {
    t.throws(() => new BoundedPersistence(options), { name: 'MqttError', code: 'INVALID_OPTIONS' }, JSON.stringify(options))
  }
})
