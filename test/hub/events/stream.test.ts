import t from 'tap'
import { createConnection } from 'node:net'
import { EVENTS_KEPT_MAX } from '../../../hub/events/live-events'
import { KEEP_ALIVE_INTERVAL_MS, STREAMS_PER_USER_MAX } from '../../../hub/events/event-streams'
import type { NewLiveEvent } from '../../../hub/events/model'
import { call, PASSWORD } from '../money/fixtures'
import { checkShape, liveHub, ownedGateway, user, wallet, type LiveHub } from './fixtures'

function payment(hub: LiveHub, transferId: string, fields: { gatewayId: string | null; payer: string; payee: string }): NewLiveEvent {
  return {
    type: 'payment.settled',
    data: {
      transferId, gatewayId: fields.gatewayId, currency: 'XOF', amountMinor: 500, amount: '500',
      payerAccountId: fields.payer, payeeAccountId: fields.payee, atMs: hub.clock.now_ms(),
    },
  }
}

t.test('a stream starts with retry: 3000 and the newest id, then carries each event as id, event and one line of JSON data', async t => {
  const hub = await liveHub(t)
  const operator = await user(hub, 'operator')
  const stream = await hub.stream(operator)
  t.equal(stream.status, 200)
  t.match(stream.headers.get('content-type'), /^text\/event-stream/)
  t.equal(stream.headers.get('cache-control'), 'no-store')
  t.equal(stream.headers.get('x-content-type-options'), 'nosniff')
  const opening = await stream.next()
  t.equal(opening.text.split('\n')[0], 'retry: 3000', 'the first line')
  const cursor = await stream.next()
  const newest = Number(cursor.fields.id)
  t.ok(Number.isSafeInteger(newest), 'the id to resume from')

  hub.services.events.publish({ type: 'order.decided', data: { orderId: 'o1', status: 'validated', buyerId: 'u1' } })
  const event = await stream.next()
  t.equal(event.text, `id: ${newest + 1}\nevent: order.decided\ndata: {"orderId":"o1","status":"validated","buyerId":"u1"}`)
  hub.services.events.publish({ type: 'kyc.reviewed', data: { userId: 'u1', documentId: 'd1', status: 'approved' } })
  t.same(checkShape(await stream.nextEvent()), { id: newest + 2, type: 'kyc.reviewed', data: { userId: 'u1', documentId: 'd1', status: 'approved' } })
})

t.test('GET /events refuses a caller without a token (401) and a Last-Event-ID the hub never sent (400), in the one error shape', async t => {
  const hub = await liveHub(t)
  const anonymous = await fetch(`${hub.url}/events`)
  t.equal(anonymous.status, 401)
  t.same(Object.keys(((await anonymous.json()) as { error: object }).error).sort(), ['code', 'message'])
  const customer = await user(hub, 'customer')
  const bad = await fetch(`${hub.url}/events`, { headers: { authorization: `Bearer ${customer.token}`, 'last-event-id': 'abc' } })
  t.equal(bad.status, 400)
  t.equal(((await bad.json()) as { error: { code: string } }).error.code, 'BAD_REQUEST')
})

t.test('an owner sees the payments and presence of their own gateways only; a customer only payments to or from their wallets; an operator all', async t => {
  const hub = await liveHub(t)
  const [operator, ownerA, ownerB, customer, other] = [
    await user(hub, 'operator'), await user(hub, 'owner'), await user(hub, 'owner'), await user(hub, 'customer'), await user(hub, 'customer'),
  ]
  const gatewayA = await ownedGateway(hub, ownerA, '70B3D57ED0000A01')
  const gatewayB = await ownedGateway(hub, ownerB, '70B3D57ED0000B01')
  const [customerWallet, otherWallet, merchantA, merchantB] = [
    await wallet(hub, customer), await wallet(hub, other), await wallet(hub, ownerA), await wallet(hub, ownerB),
  ]
  const streams = {
    operator: await hub.stream(operator), ownerA: await hub.stream(ownerA), ownerB: await hub.stream(ownerB),
    customer: await hub.stream(customer), other: await hub.stream(other),
  }
  const { events } = hub.services
  events.publish(payment(hub, 't1', { gatewayId: gatewayA, payer: customerWallet, payee: merchantA }))
  events.publish(payment(hub, 't2', { gatewayId: gatewayB, payer: otherWallet, payee: merchantB }))
  events.publish(payment(hub, 't3', { gatewayId: null, payer: otherWallet, payee: customerWallet }))
  events.publish({ type: 'gateway.presence', data: { gatewayId: gatewayB, online: true, lastSeenAtMs: hub.clock.now_ms() } })
  events.publish({ type: 'order.decided', data: { orderId: 'o1', status: 'rejected', buyerId: customer.userId } })
  events.publish({ type: 'kyc.reviewed', data: { userId: other.userId, documentId: 'd1', status: 'rejected' } })
  events.publish({ type: 'doublespend.flagged', data: { flagId: 1, gatewayId: gatewayA, voucherId: 'ab'.repeat(16), atMs: hub.clock.now_ms() } })
  // Last, an order of each user's own: what a stream received before its first such one is all it was given.
  for (const each of [operator, ownerA, ownerB, customer, other]) {
    events.publish({ type: 'order.decided', data: { orderId: 'end', status: 'validated', buyerId: each.userId } })
  }
  await events.idle()

  const seen = async (stream: (typeof streams)[keyof typeof streams]): Promise<string[]> => {
    const names: string[] = []
    for (;;) {
      const event = checkShape(await stream.nextEvent())
      const data = event.data as { transferId?: string; gatewayId?: string; orderId?: string; documentId?: string; flagId?: number }
      if (data.orderId === 'end') return names
      names.push(`${event.type}:${data.transferId ?? data.orderId ?? data.documentId ?? data.flagId ?? data.gatewayId}`)
    }
  }
  t.same(await seen(streams.operator), [
    'payment.settled:t1', 'payment.settled:t2', 'payment.settled:t3', `gateway.presence:${gatewayB}`, 'order.decided:o1',
    'kyc.reviewed:d1', 'doublespend.flagged:1',
  ], 'an operator sees everything')
  t.same(await seen(streams.ownerA), ['payment.settled:t1'], 'owner A: the payment at their gateway')
  t.same(await seen(streams.ownerB), ['payment.settled:t2', `gateway.presence:${gatewayB}`], 'owner B: their gateway, not A\'s')
  t.same(await seen(streams.customer), ['payment.settled:t1', 'payment.settled:t3', 'order.decided:o1'], 'the customer: their payments and order')
  t.same(await seen(streams.other), ['payment.settled:t2', 'payment.settled:t3', 'kyc.reviewed:d1'], 'the other customer: theirs')
})

t.test('a client that sends Last-Event-ID gets exactly the events after it that it may see, then the newest id', async t => {
  const hub = await liveHub(t)
  const customer = await user(hub, 'customer')
  const { events } = hub.services
  const first = await hub.stream(customer)
  await first.next()
  const start = Number((await first.next()).fields.id)
  for (const orderId of ['o1', 'o2']) events.publish({ type: 'order.decided', data: { orderId, status: 'validated', buyerId: customer.userId } })
  t.equal((await first.nextEvent()).id, start + 1)
  const lastSeen = (await first.nextEvent()).id
  first.close()

  // Missed while away: one of theirs, one of somebody else's, another of theirs.
  events.publish({ type: 'order.decided', data: { orderId: 'o3', status: 'rejected', buyerId: customer.userId } })
  events.publish({ type: 'order.decided', data: { orderId: 'x', status: 'rejected', buyerId: 'somebody else' } })
  events.publish({ type: 'order.decided', data: { orderId: 'o4', status: 'validated', buyerId: customer.userId } })
  await events.idle()

  const resumed = await hub.stream(customer, String(lastSeen))
  t.equal((await resumed.next()).text, 'retry: 3000')
  t.same(await resumed.nextEvent(), { id: lastSeen + 1, type: 'order.decided', data: { orderId: 'o3', status: 'rejected', buyerId: customer.userId } })
  t.same(await resumed.nextEvent(), { id: lastSeen + 3, type: 'order.decided', data: { orderId: 'o4', status: 'validated', buyerId: customer.userId } })
  t.same((await resumed.next()).fields, { id: String(lastSeen + 3) }, 'then the id to resume from, past the events it may not see')
  events.publish({ type: 'order.decided', data: { orderId: 'o5', status: 'validated', buyerId: customer.userId } })
  t.equal((await resumed.nextEvent()).id, lastSeen + 4, 'and live events after them')
})

t.test('a Last-Event-ID older than the events the hub keeps gets a reset event carrying the newest id', async t => {
  const hub = await liveHub(t)
  const operator = await user(hub, 'operator')
  const { events } = hub.services
  await events.ready()
  const start = events.lastId
  for (let i = 0; i <= EVENTS_KEPT_MAX; i++) events.publish({ type: 'order.decided', data: { orderId: `o${i}`, status: 'validated', buyerId: 'b' } })
  await events.idle()
  t.equal(events.lastId, start + EVENTS_KEPT_MAX + 1)

  const stale = await hub.stream(operator, String(start))
  await stale.next()
  t.same(checkReset(await stale.next()), { id: String(events.lastId), event: 'reset', data: '{}' }, 'the first event after it is no longer kept')

  const kept = await hub.stream(operator, String(start + 1))
  await kept.next()
  const event = await kept.next()
  t.equal(event.fields.event, 'order.decided', 'from the oldest kept on, it resumes')
  t.equal(event.fields.id, String(start + 2))

  const future = await hub.stream(operator, String(events.lastId + 1))
  await future.next()
  t.equal((await future.next()).fields.event, 'reset', 'an id the hub never handed out')
})

function checkReset(block: { fields: Readonly<Record<string, string>> }): Record<string, string> {
  return { ...block.fields }
}

t.test('a keep-alive comment comes every 25 s of the hub clock', async t => {
  const hub = await liveHub(t)
  const customer = await user(hub, 'customer')
  const stream = await hub.stream(customer)
  await stream.next()
  await stream.next()
  hub.clock.advance(KEEP_ALIVE_INTERVAL_MS - 1)
  hub.services.events.publish({ type: 'order.decided', data: { orderId: 'o1', status: 'validated', buyerId: customer.userId } })
  t.equal((await stream.next()).fields.event, 'order.decided', 'no keep-alive before 25 s')
  hub.clock.advance(1)
  t.equal((await stream.next()).text, ': keep-alive')
  hub.clock.advance(KEEP_ALIVE_INTERVAL_MS)
  t.equal((await stream.next()).text, ': keep-alive')
})

t.test(`a user holds at most ${STREAMS_PER_USER_MAX} streams: opening one more ends their oldest, and nobody else's`, async t => {
  const hub = await liveHub(t)
  const customer = await user(hub, 'customer')
  const bystander = await user(hub, 'customer')
  const theirs = await hub.stream(bystander)
  const streams = []
  for (let i = 0; i < STREAMS_PER_USER_MAX; i++) streams.push(await hub.stream(customer))
  for (const stream of streams) await stream.next()
  const newest = await hub.stream(customer)
  await streams[0]!.ended
  t.pass('the oldest ended')
  hub.services.events.publish({ type: 'order.decided', data: { orderId: 'o1', status: 'validated', buyerId: customer.userId } })
  hub.services.events.publish({ type: 'order.decided', data: { orderId: 'o2', status: 'validated', buyerId: bystander.userId } })
  for (const stream of [...streams.slice(1), newest]) t.equal((await stream.nextEvent()).type, 'order.decided', 'the others stay open')
  t.equal(((await theirs.nextEvent()).data as { orderId: string }).orderId, 'o2')
})

t.test('a client that stops reading is cut off once its buffer passes the bound, never buffered without limit', async t => {
  const hub = await liveHub(t)
  const operator = await user(hub, 'operator')
  const { events } = hub.services
  // A raw socket that sends the request and then never reads: its kernel buffers fill, then Node's.
  const socket = createConnection({ host: '127.0.0.1', port: Number(new URL(hub.url).port) })
  t.teardown(() => socket.destroy())
  await new Promise<void>(resolve => socket.once('connect', () => resolve()))
  socket.write(`GET /events HTTP/1.1\r\nHost: hub\r\nAuthorization: Bearer ${operator.token}\r\n\r\n`)
  socket.pause()
  const cutOff = (): boolean => hub.log.lines.some(line => line.msg === 'an event stream ended' && /read too slowly/.test(String(line.reason)))
  const filler = 'x'.repeat(4_000)
  let published = 0
  // Bounded: 64 MB of events is far past any socket buffer and the stream's bound.
  while (!cutOff() && published < 16_000) {
    for (let i = 0; i < 100; i++) events.publish({ type: 'order.decided', data: { orderId: filler, status: 'validated', buyerId: 'b' } })
    published += 100
    await events.idle()
    await new Promise(resolve => setImmediate(resolve))
  }
  t.ok(cutOff(), `the hub cut the stream off after ${published} events, saying why`)
  // Read what was on its way: the connection has ended.
  const closed = new Promise<void>(resolve => socket.once('close', () => resolve()))
  socket.on('error', () => undefined)
  socket.resume()
  await closed
  t.pass('the client sees the end')
})

t.test('app.close() ends open streams and does not hang on them', async t => {
  const hub = await liveHub(t)
  const customer = await user(hub, 'customer')
  const stream = await hub.stream(customer)
  await stream.next()
  await hub.app.close()
  await stream.ended
  t.pass('closed, and the stream ended')
})

t.test('a suspended user\'s stream ends at once when the hub is told, and at the next keep-alive when it is not', async t => {
  const hub = await liveHub(t)
  const told = await user(hub, 'customer')
  const untold = await user(hub, 'customer')
  const bystander = await user(hub, 'customer')
  const [toldStream, untoldStream, bystanderStream] = [await hub.stream(told), await hub.stream(untold), await hub.stream(bystander)]
  for (const stream of [toldStream, untoldStream, bystanderStream]) {
    await stream.next()
    await stream.next()
  }
  const suspend = hub.context.db.prepare('UPDATE users SET suspended_at_ms = ? WHERE id = ?')
  suspend.run(hub.clock.now_ms(), told.userId)
  suspend.run(hub.clock.now_ms(), untold.userId)
  hub.services.events.accessChanged(told.userId)
  await toldStream.ended
  t.pass('told: ended at once')

  hub.services.events.publish({ type: 'order.decided', data: { orderId: 'o1', status: 'validated', buyerId: untold.userId } })
  t.equal((await untoldStream.nextEvent()).type, 'order.decided', 'untold: open until its access is read again')
  hub.clock.advance(KEEP_ALIVE_INTERVAL_MS)
  await untoldStream.ended
  t.pass('untold: ended at the keep-alive')
  t.equal((await bystanderStream.next()).text, ': keep-alive', 'the others keep going')
})

t.test('an operator\'s suspension ends the user\'s open streams at once, and a role granted widens what a stream shows at once', async t => {
  const hub = await liveHub(t)
  const operator = await user(hub, 'operator')
  const [suspended, promoted] = [await user(hub, 'customer'), await user(hub, 'customer')]
  const [suspendedStream, promotedStream] = [await hub.stream(suspended), await hub.stream(promoted)]
  for (const stream of [suspendedStream, promotedStream]) {
    await stream.next()
    await stream.next()
  }
  const suspending = await call(hub.app, operator, { method: 'POST', url: `/admin/users/${suspended.userId}/suspend`, payload: { reason: 'fraud' } })
  t.equal(suspending.statusCode, 200, suspending.body)
  await suspendedStream.ended
  t.pass('the suspended user\'s stream ended, before any keep-alive')

  const granting = await call(hub.app, operator, { method: 'POST', url: `/admin/users/${promoted.userId}/operator` })
  t.equal(granting.statusCode, 200, granting.body)
  // Not the promoted user's: only an operator sees it, and the stream read the roles again when they were granted.
  hub.services.events.publish({ type: 'doublespend.flagged', data: { flagId: 9, gatewayId: null, voucherId: null, atMs: hub.clock.now_ms() } })
  t.match(await promotedStream.nextEvent(), { type: 'doublespend.flagged', data: { flagId: 9 } })
})

t.test('logging out ends the streams of the token at once', async t => {
  const hub = await liveHub(t)
  const customer = await user(hub, 'customer')
  const stream = await hub.stream(customer)
  await stream.next()
  const loggedOut = await call(hub.app, customer, { method: 'POST', url: '/api/auth/logout' })
  t.equal(loggedOut.statusCode, 204, loggedOut.body)
  await stream.ended
  t.pass('ended, before any keep-alive read the token again')
})

t.test('changing the password ends the user\'s open streams at once', async t => {
  const hub = await liveHub(t)
  const customer = await user(hub, 'customer')
  const stream = await hub.stream(customer)
  await stream.next()
  const changed = await call(hub.app, customer, {
    method: 'PATCH', url: '/users/update-password', payload: { currentPassword: PASSWORD, newPassword: 'another horse 43 battery' },
  })
  t.equal(changed.statusCode, 204, changed.body)
  await stream.ended
  t.pass('ended')
})

t.test('the OpenAPI document describes GET /events: bearer security, the Last-Event-ID header and each event\'s data schema', async t => {
  const hub = await liveHub(t)
  const document = (await hub.app.inject({ method: 'GET', url: '/docs/json' })).json()
  const operation = document.paths['/events'].get
  t.same(operation.security, [{ bearerAuth: [] }])
  t.match(operation.parameters, [{ in: 'header', name: 'last-event-id', required: false }])
  t.ok(operation.responses['200'].content['text/event-stream'], 'a text/event-stream reply')
  for (const name of ['PaymentSettledEvent', 'GatewayPresenceEvent', 'OrderDecidedEvent', 'KycReviewedEvent', 'DoubleSpendFlaggedEvent', 'ResetEvent']) {
    t.ok(document.components.schemas[name], name)
    t.match(operation.description, name, `the description names ${name}`)
  }
})
