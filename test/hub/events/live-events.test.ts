import t from 'tap'
import { join } from 'node:path'
import { LiveEvents, type AudienceLookups, type LiveEventListener } from '../../../hub/events/live-events'
import { EventIdStore } from '../../../hub/events/sequence-store'
import type { LiveEvent, NewLiveEvent } from '../../../hub/events/model'
import { openDatabase } from '../../../hub/store/database'
import { SqliteEngine } from '../../../hub/store/sql'
import type { Tap } from '../http/fixtures'

const NO_OWNERS: AudienceLookups = { gatewayOwner: async () => null, accountOwner: async () => null }
const quiet = { warn: () => undefined }

async function hubEvents(t: Tap, dir: string, options: { lookups?: AudienceLookups; kept_max?: number } = {}): Promise<LiveEvents> {
  const db = openDatabase(join(dir, 'hub.sqlite'))
  t.teardown(() => db.close())
  const events = new LiveEvents({ ids: new EventIdStore(new SqliteEngine(db)), lookups: options.lookups ?? NO_OWNERS, log: quiet, ...options })
  await events.ready()
  return events
}

function order(orderId: string, buyerId = 'b'): NewLiveEvent {
  return { type: 'order.decided', data: { orderId, status: 'validated', buyerId } }
}

function recorder(events: LiveEvents): LiveEvent[] {
  const heard: LiveEvent[] = []
  const listener: LiveEventListener = { event: event => heard.push(event), accessChanged: () => undefined }
  events.listen(listener)
  return heard
}

t.test('events get consecutive ids in the order they were published, even when their audiences resolve out of order', async t => {
  const releases: Array<() => void> = []
  const lookups: AudienceLookups = {
    gatewayOwner: async () => 'owner',
    // The first lookup is held until the second has been asked for: a naive hub would number the second first.
    accountOwner: accountId => new Promise(resolve => releases.push(() => resolve(`user-of-${accountId}`))),
  }
  const events = await hubEvents(t, t.testdir(), { lookups })
  const heard = recorder(events)
  const start = events.lastId
  events.publish({
    type: 'payment.settled',
    data: { transferId: 't1', gatewayId: 'g1', currency: 'XOF', amountMinor: 5, amount: '5', payerAccountId: 'a', payeeAccountId: 'b', atMs: 1 },
  })
  events.publish(order('o2'))
  // The payment's lookup is held while the order (which needs none) could overtake it; then all are let through.
  await new Promise(resolve => setImmediate(resolve))
  t.same(heard, [], 'nothing is heard while the first event waits for its audience')
  while (heard.length < 2) {
    releases.shift()?.()
    await new Promise(resolve => setImmediate(resolve))
  }
  t.same(heard.map(event => [event.id, event.type]), [[start + 1, 'payment.settled'], [start + 2, 'order.decided']])
  t.same(heard[0]!.audience, ['owner', 'user-of-a', 'user-of-b'], 'the gateway owner and both wallets\' users')
  t.same(heard[1]!.audience, ['b'], 'the buyer')
})

t.test('an id never repeats after a restart, and a Last-Event-ID from before it gets reset', async t => {
  const dir = t.testdir()
  const before = await hubEvents(t, dir)
  for (const id of ['o1', 'o2', 'o3']) before.publish(order(id))
  await before.idle()
  const lastBefore = before.lastId

  const after = await hubEvents(t, dir)
  t.ok(after.lastId >= lastBefore, 'the next hub starts past every id handed out')
  const heard = recorder(after)
  after.publish(order('o4'))
  await after.idle()
  t.ok(heard[0]!.id > lastBefore, `the first id after the restart, ${heard[0]!.id}, is new`)
  t.same(after.resume(lastBefore), { kind: 'reset' }, 'what happened before the restart is not kept')
  t.same(after.resume(heard[0]!.id - 1).kind, 'events', 'from the restart on, it resumes')
})

t.test(`the hub keeps the last events only (a bounded ring): resuming from before the oldest kept is a reset`, async t => {
  const events = await hubEvents(t, t.testdir(), { kept_max: 3 })
  const start = events.lastId
  for (const id of ['o1', 'o2', 'o3', 'o4', 'o5']) events.publish(order(id))
  await events.idle()
  const ids = (afterId: number) => {
    const resumption = events.resume(afterId)
    return resumption.kind === 'reset' ? 'reset' : resumption.events.map(event => (event.data as { orderId: string }).orderId)
  }
  t.same(ids(start + 1), 'reset', 'o2 was forgotten, so a client that saw only o1 cannot resume')
  t.same(ids(start + 2), ['o3', 'o4', 'o5'])
  t.same(ids(start + 4), ['o5'])
  t.same(ids(start + 5), [], 'up to date')
  t.same(ids(start + 6), 'reset', 'an id never handed out')
})

t.test('listeners hear of an access change once the running synchronous work (a transaction) is done', async t => {
  const events = await hubEvents(t, t.testdir())
  const heard: string[] = []
  events.listen({ event: () => undefined, accessChanged: userId => heard.push(userId) })
  events.accessChanged('u1')
  t.same(heard, [], 'not yet')
  await Promise.resolve()
  t.same(heard, ['u1'])
})

t.test('a listener that throws does not keep the others from hearing the event', async t => {
  const events = await hubEvents(t, t.testdir())
  events.listen({ event: () => { throw new Error('broken') }, accessChanged: () => undefined })
  const heard = recorder(events)
  events.publish(order('o1'))
  await events.idle()
  t.equal(heard.length, 1)
})

t.test('a gateway owner the publisher knows is taken as given, a null one too; otherwise the hub looks it up', async t => {
  const asked: string[] = []
  const lookups: AudienceLookups = {
    gatewayOwner: async gatewayId => { asked.push(gatewayId); return 'owner-now' },
    accountOwner: async accountId => `user-of-${accountId}`,
  }
  const events = await hubEvents(t, t.testdir(), { lookups })
  const heard = recorder(events)
  const settled = (gatewayId: string): NewLiveEvent => ({
    type: 'payment.settled',
    data: { transferId: 't', gatewayId, currency: 'XOF', amountMinor: 5, amount: '5', payerAccountId: 'a', payeeAccountId: 'b', atMs: 1 },
  })
  events.publish(settled('g1'), { gatewayOwner: 'owner-at-settlement' })
  events.publish(settled('g2'), { gatewayOwner: null })
  events.publish(settled('g3'))
  await events.idle()
  t.same(heard.map(event => event.audience), [
    ['owner-at-settlement', 'user-of-a', 'user-of-b'],
    ['user-of-a', 'user-of-b'],
    ['owner-now', 'user-of-a', 'user-of-b'],
  ])
  t.same(asked, ['g3'], 'only the event without a known owner cost a lookup')
})

t.test('events published together keep their order among the others; one whose audience fails is left out alone', async t => {
  const warned: unknown[] = []
  const lookups: AudienceLookups = {
    gatewayOwner: async () => 'owner',
    accountOwner: async accountId => {
      if (accountId === 'broken') throw new Error('no such account')
      return `user-of-${accountId}`
    },
  }
  const db = openDatabase(join(t.testdir(), 'hub.sqlite'))
  t.teardown(() => db.close())
  const events = new LiveEvents({ ids: new EventIdStore(new SqliteEngine(db)), lookups, log: { warn: (...args: unknown[]) => { warned.push(args) } } })
  const heard = recorder(events)
  const settled = (transferId: string, payerAccountId: string): NewLiveEvent => ({
    type: 'payment.settled',
    data: { transferId, gatewayId: 'g', currency: 'XOF', amountMinor: 1, amount: '1', payerAccountId, payeeAccountId: 'shop', atMs: 0 },
  })
  events.publish(order('before'))
  events.publishAll([settled('t1', 'alice'), settled('t2', 'broken'), settled('t3', 'bob')], { gatewayOwner: 'owner' })
  events.publishAll([])
  events.publish(order('after'))
  await events.idle()
  t.same(heard.map(event => event.type === 'payment.settled' ? event.data.transferId : event.type === 'order.decided' ? event.data.orderId : ''),
    ['before', 't1', 't3', 'after'])
  t.same(heard.map(event => event.id - heard[0]!.id), [0, 1, 2, 3], 'ids stay consecutive')
  t.same(heard[1]!.audience.slice().sort(), ['owner', 'user-of-alice', 'user-of-shop'])
  t.equal(warned.length, 1, 'the one left out is logged')
})
