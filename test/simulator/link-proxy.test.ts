import t, { type Test } from 'tap'
import { connectAsync, type MqttClient } from 'mqtt'
import { LinkProxy, type LinkDecision, type RelayedPublish } from '../../simulator/link-proxy'
import { startLoopbackBroker } from '../../simulator/lora/loopback-broker'

// The relay between a client and a plain broker, its inspector deciding per PUBLISH: what the
// subscriber behind the broker receives shows what the relay did to the publisher's packets.

async function world(t: Test, decide: (publish: RelayedPublish, index: number) => LinkDecision | undefined) {
  const broker = await startLoopbackBroker()
  t.teardown(() => broker.close())
  const relay = LinkProxy.forUrl(broker.url)
  const seen: RelayedPublish[] = []
  relay.inspector = publish => {
    if (publish.direction !== 'up' || !publish.topic.startsWith('t/')) return undefined
    seen.push(publish)
    return decide(publish, seen.length - 1)
  }
  await relay.up()
  t.teardown(() => relay.down())
  const subscriber = await connectAsync(broker.url, { reconnectPeriod: 0 })
  t.teardown(() => subscriber.endAsync(true))
  const received: string[] = []
  subscriber.on('message', (_topic, payload) => received.push(payload.toString()))
  await subscriber.subscribeAsync('t/#', { qos: 1 })
  const publisher = await connectAsync(relay.url, { reconnectPeriod: 50, clean: false, clientId: 'publisher' })
  t.teardown(() => publisher.endAsync(true))
  return { relay, seen, received, publisher }
}

async function publishAll(client: MqttClient, messages: readonly string[]): Promise<void> {
  await Promise.all(messages.map(message => client.publishAsync('t/x', message, { qos: 1 })))
}

async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise(resolve => setImmediate(resolve))
}

t.test('without a decision every PUBLISH passes, each read with its topic and payload', async t => {
  const { seen, received, publisher } = await world(t, () => undefined)
  await publishAll(publisher, ['a', 'b', 'c'])
  await until(() => received.length === 3)
  t.same(received, ['a', 'b', 'c'])
  t.same(seen.map(publish => [publish.topic, publish.payload.toString(), publish.qos]), [['t/x', 'a', 1], ['t/x', 'b', 1], ['t/x', 'c', 1]])
})

t.test('a duplicated PUBLISH arrives twice; a delayed one arrives late but in order', async t => {
  const { received, publisher } = await world(t, (_publish, index) => {
    if (index === 0) return { action: { kind: 'duplicate' } }
    if (index === 1) return { action: { kind: 'delay', delay_ms: 30 } }
    return undefined
  })
  await publishAll(publisher, ['a', 'b', 'c'])
  await until(() => received.length === 4)
  t.same(received, ['a', 'a', 'b', 'c'])
})

t.test('a PUBLISH held back arrives after the next one', async t => {
  const { received, publisher } = await world(t, (_publish, index) => (index === 0 ? { action: { kind: 'reorder', wait_ms: 5_000 } } : undefined))
  await publishAll(publisher, ['a', 'b'])
  await until(() => received.length === 2)
  t.same(received, ['b', 'a'])
})

t.test('a dropped PUBLISH takes its connection down; the client sends it again on the next one', async t => {
  let after = 0
  const { received, publisher, seen } = await world(t, (_publish, index) => (index === 0 ? { action: { kind: 'drop' }, after: () => after++ } : undefined))
  const closed = new Promise<void>(resolve => publisher.once('close', () => resolve()))
  const sent = publisher.publishAsync('t/x', 'a', { qos: 1 })
  await closed
  t.equal(after, 1, 'the action after the drop ran')
  await sent
  await until(() => received.length === 1)
  t.same(received, ['a'])
  t.equal(seen.length, 2, 'the second copy crossed a new connection')
})

t.test('reset drops the connections open now; the relay still takes new ones', async t => {
  const { relay, received, publisher } = await world(t, () => undefined)
  const closed = new Promise<void>(resolve => publisher.once('close', () => resolve()))
  relay.reset()
  await closed
  t.ok(relay.isUp)
  await publishAll(publisher, ['after'])
  await until(() => received.length === 1)
  t.same(received, ['after'])
})
