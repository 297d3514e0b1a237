import t from 'tap'
import { ManualClock } from '../../../protocol/clock'
import { connectHubClient, type HubClientEvent } from '../../../hub/mqtt/hub-client'
import { HUB_CREDENTIALS, START_MS, startTestBroker } from './fixtures'

/** The hub client's events, and the next one of a kind (past ones are consumed in order). */
function eventLog() {
  const events: HubClientEvent[] = []
  const waiters: Array<() => void> = []
  let consumed = 0
  return {
    events,
    log(event: HubClientEvent) {
      events.push(event)
      for (const wake of waiters.splice(0)) wake()
    },
    async next<Kind extends HubClientEvent['kind']>(kind: Kind): Promise<Extract<HubClientEvent, { kind: Kind }>> {
      for (;;) {
        while (consumed < events.length) {
          const event = events[consumed++]!
          if (event.kind === kind) return event as Extract<HubClientEvent, { kind: Kind }>
        }
        await new Promise<void>(resolve => waiters.push(resolve))
      }
    },
  }
}

t.test('reconnects on the injected clock, the delay doubling from reconnectInitial_ms up to reconnectMax_ms', async t => {
  const first = await startTestBroker()
  const clock = new ManualClock(START_MS)
  const log = eventLog()
  const client = await connectHubClient({
    url: first.broker.url, ...HUB_CREDENTIALS, clientId: 'payall-hub-clock', clock,
    reconnectInitial_ms: 1_000, reconnectMax_ms: 4_000, log: event => log.log(event),
  })
  t.teardown(() => client.close())
  t.equal(clock.pendingTimers, 0, 'connected: no timer left')

  await first.broker.close()
  const delays = [(await log.next('reconnecting')).delay_ms]
  for (let attempt = 0; attempt < 3; attempt++) {
    const delay_ms = delays.at(-1)!
    clock.advance(delay_ms - 1)
    t.equal(clock.pendingTimers, 1, `no attempt before ${delay_ms} ms have passed on the clock`)
    t.equal(log.events.filter(event => event.kind === 'reconnecting').length, delays.length)
    clock.advance(1)
    t.equal(clock.pendingTimers, 0, 'the attempt starts when its time comes')
    delays.push((await log.next('reconnecting')).delay_ms)
  }
  t.same(delays, [1_000, 2_000, 4_000, 4_000])

  const second = await startTestBroker({ port: first.broker.port })
  t.teardown(() => second.broker.close())
  clock.advance(4_000)
  t.match(await log.next('connected'), { kind: 'connected' }, 'back once the broker is')
  t.ok(client.connected)
})

t.test('close() stops a reconnect that is due later', async t => {
  const harness = await startTestBroker()
  const clock = new ManualClock(START_MS)
  const log = eventLog()
  const client = await connectHubClient({
    url: harness.broker.url, ...HUB_CREDENTIALS, clientId: 'payall-hub-clock-close', clock,
    reconnectInitial_ms: 1_000, log: event => log.log(event),
  })
  await harness.broker.close()
  await log.next('reconnecting')
  t.equal(clock.pendingTimers, 1)
  await client.close()
  t.equal(clock.pendingTimers, 0, 'the reconnect is cancelled')
})

t.test('a first connection given up through its signal rejects with CONNECT_ABORTED and leaves no timer', async t => {
  const gone = await startTestBroker()
  const url = gone.broker.url
  await gone.broker.close()
  const clock = new ManualClock(START_MS)
  const options = { url, ...HUB_CREDENTIALS, clientId: 'payall-hub-abort', clock, connectTimeout_ms: 60_000 }
  const attempts = new AbortController()
  const connecting = connectHubClient(options, attempts.signal)
  t.ok(clock.pendingTimers > 0, 'trying, the connect timeout far away')
  attempts.abort()
  await t.rejects(connecting, { code: 'CONNECT_ABORTED' })
  t.equal(clock.pendingTimers, 0, 'neither the connect timeout nor a reconnect is left')
  await t.rejects(connectHubClient(options, attempts.signal), { code: 'CONNECT_ABORTED' }, 'a signal aborted already: no attempt at all')
  t.equal(clock.pendingTimers, 0)
})
