// The notifications hubs send each other about live events: a batch packed into as few payloads as fit the limit,
// in order, each under it; an event too large alone refused; what is read back is exactly what was sent, and
// anything else (not JSON, another shape, an event's data of the wrong type) is refused whole.

import t from 'tap'
import {
  NOTIFICATION_PAYLOAD_BYTES_MAX, packNotifications, readNotification, type Notification,
} from '../../../hub/events/relay-payload'
import type { RelayedEvent } from '../../../hub/events/relay'

const HUB = 'a1b2c3'

function order(orderId: string, buyerId = 'buyer'): RelayedEvent {
  return { type: 'order.decided', data: { orderId, status: 'validated', buyerId }, audience: [buyerId] }
}

function eventsOf(payloads: readonly string[]): RelayedEvent[] {
  return payloads.flatMap(payload => {
    const reading = readNotification(payload)
    if (!reading.ok || reading.notification.kind !== 'events') throw new Error(`not events: ${payload}`)
    return reading.notification.events
  })
}

/** Each payload but the last is full: it could not have taken the first event of the next (so, in order, none fit fewer). */
function full(payloads: readonly string[], limit: number): boolean {
  return payloads.slice(0, -1).every((payload, index) => payload.length + 1 + JSON.stringify(eventsOf([payloads[index + 1]!])[0]).length > limit)
}

t.test('a batch too large for one notification is packed into as few as fit, in order, each under the limit', async t => {
  const events = Array.from({ length: 200 }, (_, index) => order(`order-${index}-${'x'.repeat(60)}`))
  const { payloads, refused } = packNotifications(HUB, { kind: 'events', events })
  t.same(refused, [])
  t.ok(payloads.length > 1, `${payloads.length} notifications`)
  t.ok(full(payloads, NOTIFICATION_PAYLOAD_BYTES_MAX), 'as few as fit')
  for (const payload of payloads) t.ok(Buffer.byteLength(payload) <= NOTIFICATION_PAYLOAD_BYTES_MAX, `${Buffer.byteLength(payload)} bytes`)
  t.same(eventsOf(payloads), events, 'every event, in order, as it was')
})

t.test('the limit is met exactly: a payload may be as long as the limit, never longer', async t => {
  const events = Array.from({ length: 30 }, (_, index) => order(`o${index}`))
  for (const limit of [200, 201, 257, 1_000]) {
    const { payloads } = packNotifications(HUB, { kind: 'events', events }, limit)
    t.ok(payloads.every(payload => payload.length <= limit), `all within ${limit}`)
    t.same(eventsOf(payloads), events)
    t.ok(full(payloads, limit), 'as few as fit')
  }
})

t.test('an event that does not fit one notification alone is refused; the others still go', async t => {
  const huge: RelayedEvent = order('x'.repeat(NOTIFICATION_PAYLOAD_BYTES_MAX))
  const { payloads, refused } = packNotifications(HUB, { kind: 'events', events: [order('o1'), huge, order('o2')] })
  t.same(refused, ['order.decided'])
  t.same(eventsOf(payloads), [order('o1'), order('o2')])
})

t.test('text past ASCII is escaped, so a payload\'s length is its size in bytes, and reads back the same', async t => {
  const event = order('commande-été-🚀', 'utilisatrice-ß')
  const { payloads } = packNotifications(HUB, { kind: 'events', events: [event] })
  t.match(payloads[0], /^[\x20-\x7e]*$/, 'ASCII only')
  t.same(eventsOf(payloads), [event])
})

t.test('an access change and a loss read back as sent, with the hub that sent them', async t => {
  const read = (payload: string): Notification => {
    const reading = readNotification(payload)
    if (!reading.ok) throw new Error(reading.reason)
    return reading.notification
  }
  t.same(read(packNotifications(HUB, { kind: 'access', userId: 'u-1' }).payloads[0]!), { hub: HUB, kind: 'access', userId: 'u-1' })
  t.same(read(packNotifications(HUB, { kind: 'lost' }).payloads[0]!), { hub: HUB, kind: 'lost' })
})

t.test('a malformed payload is refused with a reason, never taken in part', async t => {
  const event = { type: 'order.decided', data: { orderId: 'o1', status: 'validated', buyerId: 'b' }, audience: ['b'] }
  const malformed: Record<string, string> = {
    'not JSON': '{"hub":',
    'not an object': '42',
    'no hub': JSON.stringify({ kind: 'lost' }),
    'a hub id of another form': JSON.stringify({ hub: 'NOT HEX', kind: 'lost' }),
    'an unknown kind': JSON.stringify({ hub: HUB, kind: 'hello' }),
    'no events': JSON.stringify({ hub: HUB, kind: 'events', events: [] }),
    'an unknown event type': JSON.stringify({ hub: HUB, kind: 'events', events: [{ ...event, type: 'order.eaten' }] }),
    'data of the wrong shape': JSON.stringify({ hub: HUB, kind: 'events', events: [{ ...event, data: { orderId: 1 } }] }),
    'one bad event among good ones': JSON.stringify({ hub: HUB, kind: 'events', events: [event, { ...event, audience: [7] }] }),
    'an id on the event': JSON.stringify({ hub: HUB, kind: 'events', events: [{ ...event, id: 4 }] }),
    'an empty user': JSON.stringify({ hub: HUB, kind: 'access', userId: '' }),
    'too long': JSON.stringify({ hub: HUB, kind: 'access', userId: 'u'.repeat(NOTIFICATION_PAYLOAD_BYTES_MAX) }),
  }
  for (const [what, payload] of Object.entries(malformed)) {
    const reading = readNotification(payload)
    t.equal(reading.ok, false, what)
    if (!reading.ok) t.ok(reading.reason.length > 0, `${what}: ${reading.reason}`)
  }
  t.equal(readNotification(JSON.stringify({ hub: HUB, kind: 'events', events: [event] })).ok, true, 'the same, well formed, is read')
})
