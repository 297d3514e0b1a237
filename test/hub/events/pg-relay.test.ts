// The live events of two hubs on one PostgreSQL, relayed by LISTEN/NOTIFY: what one publishes reaches the other's
// listeners with the audience the publisher resolved and an id of the receiving hub's own; a hub does not hear its
// own twice; access changes cross; garbage on the channel is dropped; a batch larger than one notification arrives
// whole and in order; a relay whose connection the server cuts reconnects on the clock, and what was lost meanwhile
// makes the hubs forget the events they kept (resumers get `reset`).

import t from 'tap'
import { Client } from 'pg'
import { ManualClock, systemRandom } from '../../../protocol/clock'
import { LiveEvents, type AudienceLookups } from '../../../hub/events/live-events'
import type { LiveEvent, NewLiveEvent } from '../../../hub/events/model'
import { startPgEventRelay } from '../../../hub/events/pg-relay'
import type { EventRelay } from '../../../hub/events/relay'
import { packNotifications } from '../../../hub/events/relay-payload'
import { EventIdStore } from '../../../hub/events/sequence-store'
import { postgresSkip, testDatabase } from '../../helpers/postgres'
import { timersSet } from '../../helpers/clock'
import { postgresFactory } from '../helpers/engines'
import { twoHubs } from '../helpers/two-hubs'
import { watchedLog } from '../helpers/watched-log'

const skip = postgresSkip()
const RECONNECT_FIRST_MS = 1_000
const LOST = 'the live events relay lost its connection: it reconnects'
const RECONNECTED = 'the live events relay reconnected'

interface Teardown {
  teardown(fn: () => void | Promise<void>): void
}

/** What a hub's listener heard, and a promise for the moment it has heard enough. */
interface Heard {
  readonly events: LiveEvent[]
  readonly accessChanges: string[]
  until(enough: (heard: Heard) => boolean): Promise<void>
}

interface Hub {
  readonly events: LiveEvents
  readonly relay: EventRelay
  readonly heard: Heard
  /** The relay connection's application_name, to find its backend. */
  readonly name: string
  seen(message: string): Promise<void>
}

let groups = 0

/** Two hubs on one new schema, their relays on a channel of their own, on one manual clock. */
async function twoRelayedHubs(test: Teardown, lookups: readonly AudienceLookups[] = [], sendsPending_max?: number) {
  const database = await testDatabase(t)
  groups += 1
  const channel = `live_events_${process.pid}_${groups}`
  const clock = new ManualClock(Date.UTC(2025, 0, 15))
  const engines = await twoHubs(t, test, postgresFactory(t))
  const hubs: Hub[] = []
  for (const [index, engine] of engines.entries()) {
    const { log, seen } = watchedLog()
    const name = `${channel}_${index}`
    const relay = await startPgEventRelay({
      connection: { ...database.config, application_name: name }, clock, random: systemRandom, log, channel, ...(sendsPending_max === undefined ? {} : { sendsPending_max }),
    })
    const events = new LiveEvents({ ids: new EventIdStore(engine), lookups: lookups[index] ?? NO_OWNERS, log, relay })
    test.teardown(async () => {
      await events.idle()
      await relay.stop()
    })
    await events.ready()
    hubs.push({ events, relay, heard: listen(events), name, seen })
  }
  return { hubs: hubs as [Hub, Hub], clock, database, channel }
}

const NO_OWNERS: AudienceLookups = { gatewayOwner: async () => null, accountOwner: async () => null }

function listen(events: LiveEvents): Heard {
  const waiting = new Set<() => void>()
  const heard: Heard = {
    events: [],
    accessChanges: [],
    until: enough => new Promise(resolve => {
      const check = () => {
        if (!enough(heard)) return
        waiting.delete(check)
        resolve()
      }
      waiting.add(check)
      check()
    }),
  }
  const changed = () => {
    for (const check of [...waiting]) check()
  }
  events.listen({
    event: event => { heard.events.push(event); changed() },
    accessChanged: userId => { heard.accessChanges.push(userId); changed() },
  })
  return heard
}

function order(orderId: string, buyerId = 'buyer'): NewLiveEvent {
  return { type: 'order.decided', data: { orderId, status: 'validated', buyerId } }
}

const orderIds = (events: readonly NewLiveEvent[]) => events.map(event => (event.data as { orderId?: string }).orderId ?? event.type)

/** Ends the relay connection named `name` from the server's side, as when its hub's network goes. */
async function cutOff(config: object, name: string): Promise<void> {
  const admin = new Client(config)
  await admin.connect()
  try {
    const ended = await admin.query<{ ended: boolean }>('SELECT pg_terminate_backend(pid) AS ended FROM pg_stat_activity WHERE application_name = $1', [name])
    if (!ended.rows.some(row => row.ended)) throw new Error(`no connection named ${name}`)
  } finally {
    await admin.end()
  }
}

t.test('an event published on one hub reaches the other\'s listeners with the publisher\'s audience and a local id', { skip }, async t => {
  // Only the publisher knows the gateway's owner: the audience the other hub hands on must be the one it received.
  const owned: AudienceLookups = { ...NO_OWNERS, gatewayOwner: async () => 'owner-1' }
  const { hubs: [a, b] } = await twoRelayedHubs(t, [owned, NO_OWNERS])
  a.events.publish({ type: 'gateway.presence', data: { gatewayId: 'g1', online: true, lastSeenAtMs: 5 } })
  await b.heard.until(heard => heard.events.length === 1)
  const [received] = b.heard.events
  t.same({ type: received!.type, data: received!.data, audience: received!.audience },
    { type: 'gateway.presence', data: { gatewayId: 'g1', online: true, lastSeenAtMs: 5 }, audience: ['owner-1'] })
  t.equal(received!.id, b.events.lastId, 'numbered by the receiving hub, as its newest')
  t.not(received!.id, a.heard.events[0]!.id, 'not the publisher\'s id: each hub has its own block')
  t.same(b.events.resume(received!.id - 1), { kind: 'events', events: [received] }, 'kept for resumption on the receiving hub')
})

t.test('a hub does not hear its own events twice', { skip }, async t => {
  const { hubs: [a, b] } = await twoRelayedHubs(t)
  a.events.publish(order('o1'))
  await b.heard.until(heard => heard.events.length === 1)
  b.events.publish(order('o2'))
  await a.heard.until(heard => heard.events.length === 2)
  // Each publishes once it heard the other's last: its echo of its own last came back before that, and was dropped.
  a.events.publish(order('o3'))
  await b.heard.until(heard => heard.events.length === 3)
  b.events.publish(order('o4'))
  await a.heard.until(heard => heard.events.length === 4)
  await Promise.all([a.events.idle(), b.events.idle()])
  t.same(orderIds(a.heard.events), ['o1', 'o2', 'o3', 'o4'])
  t.same(orderIds(b.heard.events), ['o1', 'o2', 'o3', 'o4'])
  for (const hub of [a, b]) {
    const ids = hub.heard.events.map(event => event.id)
    t.same(ids, ids.map((_, index) => ids[0]! + index), 'consecutive ids, none skipped for an echo')
  }
})

t.test('an access change on one hub reaches the other\'s listeners, once', { skip }, async t => {
  const { hubs: [a, b] } = await twoRelayedHubs(t)
  a.events.accessChanged('u1')
  await b.heard.until(heard => heard.accessChanges.length === 1)
  b.events.accessChanged('u2')
  await a.heard.until(heard => heard.accessChanges.length === 2)
  a.events.accessChanged('u3')
  await b.heard.until(heard => heard.accessChanges.length === 3)
  t.same(a.heard.accessChanges, ['u1', 'u2', 'u3'])
  t.same(b.heard.accessChanges, ['u1', 'u2', 'u3'])
})

t.test('a malformed notification on the channel is logged and dropped; what follows still arrives', { skip }, async t => {
  const { hubs: [a, b], database, channel } = await twoRelayedHubs(t)
  const admin = new Client(database.config)
  await admin.connect()
  t.teardown(() => admin.end())
  for (const payload of ['not json', '{"hub":"ab","kind":"events","events":[{"type":"order.decided","data":{},"audience":[]}]}', '']) {
    await admin.query('SELECT pg_notify($1, $2)', [channel, payload])
  }
  a.events.publish(order('o1'))
  await b.heard.until(heard => heard.events.length === 1)
  await b.seen('a malformed live events notification was dropped')
  t.same(orderIds(b.heard.events), ['o1'], 'only the well formed event')
})

t.test('a batch larger than one notification arrives whole and in order', { skip }, async t => {
  const { hubs: [a, b] } = await twoRelayedHubs(t)
  const batch = Array.from({ length: 400 }, (_, index) => order(`order-${String(index).padStart(3, '0')}-${'x'.repeat(40)}`))
  const notifications = packNotifications('ab', { kind: 'events', events: batch.map(event => ({ ...event, audience: ['buyer'] })) })
  t.ok(notifications.payloads.length > 2, `the batch takes ${notifications.payloads.length} notifications`)
  a.events.publishAll(batch)
  await b.heard.until(heard => heard.events.length === batch.length)
  t.same(orderIds(b.heard.events), orderIds(a.heard.events), 'every event, in the publisher\'s order')
  const ids = b.heard.events.map(event => event.id)
  t.same(ids, ids.map((_, index) => ids[0]! + index), 'consecutive local ids')
})

t.test('a relay whose connection the server cuts reconnects on the clock; delivery resumes, resumers get reset', { skip }, async t => {
  const { hubs: [a, b], clock, database } = await twoRelayedHubs(t)
  a.events.publish(order('o1'))
  await b.heard.until(heard => heard.events.length === 1)
  const seenBefore = b.events.lastId

  await cutOff(database.config, b.name)
  await b.seen(LOST)
  await timersSet(clock, 3)
  clock.advance(RECONNECT_FIRST_MS - 1)
  t.equal(clock.pendingTimers, 3, 'the reconnection waits for its delay')
  clock.advance(1)
  t.equal(clock.pendingTimers, 2, 'then it starts')
  await b.seen(RECONNECTED)

  a.events.publish(order('o2'))
  await b.heard.until(heard => heard.events.length === 2)
  t.same(orderIds(b.heard.events), ['o1', 'o2'], 'what a publishes reaches b again')
  t.same(b.events.resume(seenBefore), { kind: 'reset' }, 'events may have gone past b while it was cut off: a resumer reloads')
  t.same(b.events.resume(b.events.lastId - 1).kind, 'events', 'from the reconnection on, it resumes')
})

t.test('what a hub could not send while cut off makes the other hubs forget what they kept', { skip }, async t => {
  const { hubs: [a, b], clock, database } = await twoRelayedHubs(t)
  a.events.publish(order('o1'))
  await b.heard.until(heard => heard.events.length === 1)
  const seenOnB = b.events.lastId

  await cutOff(database.config, a.name)
  await a.seen(LOST)
  a.events.publish(order('never relayed'))
  await a.seen('live events are not reaching the other hubs')
  await timersSet(clock, 3)
  clock.advance(RECONNECT_FIRST_MS)
  await a.seen(RECONNECTED)

  a.events.publish(order('o2'))
  await b.heard.until(heard => heard.events.length === 2)
  t.same(orderIds(b.heard.events), ['o1', 'o2'])
  t.same(b.events.resume(seenOnB), { kind: 'reset' }, 'b\'s resumers would miss what a dropped: they reload')
})

t.test('a relay stops once what it was sending has gone; stopping it again does nothing', { skip }, async t => {
  const { hubs: [a, b] } = await twoRelayedHubs(t)
  a.events.publish(order('o1'))
  a.events.publish(order('o2'))
  a.events.accessChanged('u1')
  await a.events.idle()
  await a.relay.stop()
  await a.relay.stop()
  await b.heard.until(heard => heard.events.length === 2 && heard.accessChanges.length === 1)
  t.same(orderIds(b.heard.events), ['o1', 'o2'])
  t.same(b.heard.accessChanges, ['u1'])
})

t.test('notifications past the bound of those waiting are dropped, and the other hubs told so once the connection answers', { skip }, async t => {
  const { hubs: [a, b] } = await twoRelayedHubs(t, [], 2)
  a.events.publish(order('o1'))
  await b.heard.until(heard => heard.events.length === 1)
  const seenOnB = b.events.lastId
  const batch = Array.from({ length: 400 }, (_, index) => order(`order-${index}-${'x'.repeat(40)}`))
  a.events.publishAll(batch)
  await a.seen('live events are not reaching the other hubs')
  // a tells the others after the notifications that went, on the same connection: b hears them first.
  await b.seen('another hub could not relay some of its live events')
  await b.events.idle()
  const received = orderIds(b.heard.events).slice(1)
  t.ok(received.length > 0 && received.length < batch.length, `b heard ${received.length} of the batch's ${batch.length}: the rest was dropped`)
  t.same(received, orderIds(batch).slice(0, received.length), 'the batch\'s start, in order')
  t.same(b.events.resume(seenOnB), { kind: 'reset' }, 'b forgot what it kept: a resumer reloads')
})
