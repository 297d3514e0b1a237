import t from 'tap'
import { EventEmitter } from 'node:events'
import { randomBytes } from 'node:crypto'
import type { IClientOptions, MqttClient } from 'mqtt'
import { ManualClock } from '../../protocol/clock'
import { nodeEd25519 } from '../../protocol/signature/node'
import { TerminalEmitter } from '../../terminal/events'
import { HubConnection } from '../../terminal/sync/connection'
import { provisionedStore, T0 } from './fixtures'

/** Just enough of an mqtt.js client for the connection: its events, a subscribe, a publish. */
class BareClient extends EventEmitter {
  connected = false
  constructor(readonly options: IClientOptions) {
    super()
  }
  async subscribeAsync(): Promise<unknown[]> {
    return []
  }
  publish(_topic: string, _payload: Buffer, _options: unknown, callback?: (error?: Error) => void): void {
    queueMicrotask(() => callback?.())
  }
  async endAsync(): Promise<void> {
    this.connected = false
  }
}

// Found by the fault simulation: a gateway whose store failed (there, closed by a power cut) while
// its MQTT connection closed threw out of mqtt.js's 'close' event, which ends a Node process.
t.test('a store that cannot note the link state is reported; the link still goes up and down, and nothing throws out of the client\'s events', async t => {
  const store = provisionedStore(t.testdir())
  const events = new TerminalEmitter()
  let client: BareClient | undefined
  const links: boolean[] = []
  const errors: string[] = []
  events.on('link', ({ online }) => links.push(online))
  events.on('sync-error', ({ code }) => errors.push(code))
  const connection = new HubConnection({
    url: 'mqtt://127.0.0.1:1', store, events, clock: new ManualClock(T0), random: n => new Uint8Array(randomBytes(n)),
    ed25519: nodeEd25519, reconnectInitialMs: 20, reconnectMaxMs: 160, subscriptions: ['a/b'],
    connect: (_url, options) => {
      client = new BareClient(options)
      return client as unknown as MqttClient
    },
    onMessage: () => undefined, onUp: () => undefined, onDown: () => undefined,
  })
  connection.start()
  const up = events.next('link')
  client!.connected = true
  client!.emit('connect', { sessionPresent: false })
  await up
  t.same(links, [true])
  t.same(errors, [])

  store.close()
  client!.connected = false
  t.doesNotThrow(() => client!.emit('close'), 'the close event does not throw')
  t.same(links, [true, false], 'the link is down all the same')
  t.same(errors, ['LINK_NOT_NOTED'])

  const upAgain = events.next('link')
  client!.connected = true
  client!.emit('connect', { sessionPresent: false })
  await upAgain
  t.same(links, [true, false, true], 'and up again, with nothing thrown from the subscribe that follows a connect')
  t.same(errors, ['LINK_NOT_NOTED', 'LINK_NOT_NOTED'])
  await connection.stop()
})
