import t from 'tap'
import { EventEmitter } from 'node:events'
import { randomBytes } from 'node:crypto'
import type { IClientOptions, MqttClient } from 'mqtt'
import { ManualClock } from '../../protocol/clock'
import { nodeEd25519 } from '../../protocol/signature/node'
import { TerminalEmitter } from '../../terminal/events'
import { HubConnection } from '../../terminal/sync/connection'
import type { TerminalStore } from '../../terminal/store/store'
import { gatewayTopic, type GatewayTopicKind } from '../../protocol/topics'
import { EUI, provisionedStore, T0 } from './fixtures'

/** Just enough of an mqtt.js client for the connection: its events, a subscribe, a publish. */
class BareClient extends EventEmitter {
  connected = false
  readonly published: Array<{ topic: string; qos: number }> = []
  constructor(readonly options: IClientOptions) {
    super()
  }
  async subscribeAsync(): Promise<unknown[]> {
    return []
  }
  publish(topic: string, _payload: Buffer, options: { qos: number }, callback?: (error?: Error) => void): void {
    this.published.push({ topic, qos: options.qos })
    queueMicrotask(() => callback?.())
  }
  async endAsync(): Promise<void> {
    this.connected = false
  }
}

function connectionOver(store: TerminalStore, events: TerminalEmitter, connectTimeout_ms?: number) {
  let client: BareClient | undefined
  const connection = new HubConnection({
    url: 'mqtt://127.0.0.1:1', store, events, clock: new ManualClock(T0), random: n => new Uint8Array(randomBytes(n)),
    ed25519: nodeEd25519, reconnectInitialMs: 20, reconnectMaxMs: 160, subscriptions: ['a/b'],
    ...(connectTimeout_ms !== undefined && { connectTimeoutMs: connectTimeout_ms }),
    connect: (_url, options) => {
      client = new BareClient(options)
      return client as unknown as MqttClient
    },
    onMessage: () => undefined, onUp: () => undefined, onDown: () => undefined,
  })
  connection.start()
  return { connection, client: () => client! }
}

// Found by the fault simulation (seed soak1.45): an online request lost with its connection was
// sent again by the MQTT session once the link came back, after the gateway had taken the payment
// offline; the hub refused it then (a double spend by then), and that refusal rejected the record.
t.test('questions on online/request go at QoS 0, so a reconnect never asks one again; everything else at QoS 1', async t => {
  const store = provisionedStore(t.testdir())
  const events = new TerminalEmitter()
  const { connection, client } = connectionOver(store, events)
  const up = events.next('link')
  client().connected = true
  client().emit('connect', { sessionPresent: false })
  await up
  for (const kind of ['online/request', 'records', 'proofs/request', 'revocations/request']) connection.publish(gatewayTopic(EUI, kind as GatewayTopicKind), new Uint8Array([1]))
  t.same(client().published.filter(publish => publish.topic !== gatewayTopic(EUI, 'status')), [
    { topic: gatewayTopic(EUI, 'online/request'), qos: 0 },
    { topic: gatewayTopic(EUI, 'records'), qos: 1 },
    { topic: gatewayTopic(EUI, 'proofs/request'), qos: 1 },
    { topic: gatewayTopic(EUI, 'revocations/request'), qos: 1 },
  ])
  await connection.stop()
  store.close()
})

// Found by the fault simulation: a gateway whose store failed (there, closed by a power cut) while
// its MQTT connection closed threw out of mqtt.js's 'close' event, which ends a Node process.
t.test('a store that cannot note the link state is reported; the link still goes up and down, and nothing throws out of the client\'s events', async t => {
  const store = provisionedStore(t.testdir())
  const events = new TerminalEmitter()
  const links: boolean[] = []
  const errors: string[] = []
  events.on('link', ({ online }) => links.push(online))
  events.on('sync-error', ({ code }) => errors.push(code))
  const { connection, client: current } = connectionOver(store, events)
  const client = current()
  const up = events.next('link')
  client.connected = true
  client.emit('connect', { sessionPresent: false })
  await up
  t.same(links, [true])
  t.same(errors, [])

  store.close()
  client.connected = false
  t.doesNotThrow(() => client.emit('close'), 'the close event does not throw')
  t.same(links, [true, false], 'the link is down all the same')
  t.same(errors, ['LINK_NOT_NOTED'])

  const upAgain = events.next('link')
  client.connected = true
  client.emit('connect', { sessionPresent: false })
  await upAgain
  t.same(links, [true, false, true], 'and up again, with nothing thrown from the subscribe that follows a connect')
  t.same(errors, ['LINK_NOT_NOTED', 'LINK_NOT_NOTED'])
  await connection.stop()
})

t.test('a connection attempt waits for the broker as long as the backoff\'s most, or as long as it is told', async t => {
  const store = provisionedStore(t.testdir())
  const events = new TerminalEmitter()
  const byDefault = connectionOver(store, events)
  t.equal(byDefault.client().options.connectTimeout, 160, 'reconnectMaxMs')
  await byDefault.connection.stop()
  const told = connectionOver(store, events, 10_000)
  t.equal(told.client().options.connectTimeout, 10_000, 'a busy broker (a large simulated fleet) is given longer')
  await told.connection.stop()
  store.close()
})
