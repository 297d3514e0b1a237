// Two hubs, each with its own data folder and broker, on one PostgreSQL and one keys folder (so a token from one works
// on the other), as npm run cluster runs them. A payment made through hub A's REST API reaches a dashboard whose
// stream hub B serves, through the live events relay the hub starts on PostgreSQL, numbered with hub B's own ids;
// hub A's own streams get it too, and no stream gets it twice.

import t, { type Test } from 'tap'
import { join } from 'node:path'
import { startHub, type RunningHub } from '../../../hub/server'
import { signUpVouched } from '../../../simulator/hub-api'
import { databaseUrlOf, postgresSkip, testDatabase } from '../../helpers/postgres'
import { checkShape } from '../events/fixtures'
import { openStream, type SseEvent, type SseStream } from '../events/sse'
import { CURRENCY, hubConfig, OPERATOR, Rest } from './running-hub'

/** How long an event may take to reach a stream: a relayed one crosses PostgreSQL, well under a second when it works. */
const EVENT_WAIT_MS = 5_000

/** `promise`, or a failure naming `what` once EVENT_WAIT_MS has passed without it. */
async function within<T>(what: string, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no ${what} within ${EVENT_WAIT_MS} ms`)), EVENT_WAIT_MS)
  })
  try {
    return await Promise.race([promise, timeout])
  } finally {
    clearTimeout(timer)
  }
}

/** A stream on `hub` as the holder of `token`, past its opening: the newest id it started from. */
async function streamOn(t: Test, hub: RunningHub, token: string, opened: SseStream[]): Promise<{ stream: SseStream; startId: number }> {
  const stream = await openStream(hub.httpUrl, token)
  opened.push(stream)
  t.equal(stream.status, 200)
  t.equal((await stream.next()).text, 'retry: 3000')
  const cursor = await stream.next()
  return { stream, startId: Number(cursor.fields.id) }
}

async function hubOn(t: Test, dataDir: string, databaseUrl: string, keysDir: string): Promise<RunningHub> {
  const hub = await startHub(hubConfig(dataDir, { databaseUrl, keysDir }))
  t.teardown(() => hub.stop())
  return hub
}

/** Signs in on `hub`: the API as that user, and the token, which the other hub takes too. */
async function signIn(hub: RunningHub, email: string, password: string): Promise<{ api: Rest; token: string }> {
  const { token } = await new Rest(hub.httpUrl).ok('POST', '/users/login', { email, password })
  return { api: new Rest(hub.httpUrl, token), token }
}

/** A payment between the two customers through `api` (the payer's, on hub A): the transfer's id. */
async function pay(api: Rest, toWallet: string, amount: string): Promise<string> {
  const reply = await api.ok('POST', '/transactions', { toWalletAddress: toWallet, amount, currency: CURRENCY })
  return reply.transferId
}

t.test('a payment made through hub A reaches the streams hub B serves, once, with ids of hub B', { skip: postgresSkip(), timeout: 60_000 }, async t => {
  const database = await testDatabase(t)
  const databaseUrl = databaseUrlOf(database.config)
  // The hubs' stop ends their streams, as at a shutdown; any still open after it is closed here, last. Aborted by the
  // client before the stop instead, a stream leaves undici a connection with no request that the stop waits 8 s for.
  const opened: SseStream[] = []
  t.teardown(() => {
    for (const stream of opened) stream.close()
  })
  // t.testdir() makes the folder afresh on each call: once, for both hubs.
  const folder = t.testdir()
  const keysDir = join(folder, 'keys')
  // One after the other: the first creates the schema and the operator, the second finds them.
  const hubA = await hubOn(t, join(folder, 'a'), databaseUrl, keysDir)
  const hubB = await hubOn(t, join(folder, 'b'), databaseUrl, keysDir)

  // Everyone signs in on hub A; hub B takes the same tokens.
  const operator = await signIn(hubA, OPERATOR.email, OPERATOR.password)
  const password = 'customer password 1'
  const emails = { payer: 'payer@cluster.example', payee: 'payee@cluster.example' }
  for (const email of Object.values(emails)) await signUpVouched(operator.api, { fullName: 'Cluster Customer', email, password })
  const payer = await signIn(hubA, emails.payer, password)
  const payee = await signIn(hubA, emails.payee, password)
  const payerWallet: string = (await payer.api.ok('POST', '/users/create-account', { currency: CURRENCY })).id
  const payeeWallet: string = (await payee.api.ok('POST', '/users/create-account', { currency: CURRENCY })).id
  await operator.api.ok('POST', '/ledger/cash-in', { accountId: payerWallet, amount: '10000', currency: CURRENCY, idempotencyKey: 'cluster-seed' })

  const onB = await streamOn(t, hubB, operator.token, opened)
  const payeeOnB = await streamOn(t, hubB, payee.token, opened)
  const onA = await streamOn(t, hubA, operator.token, opened)

  const first = await pay(payer.api, payeeWallet, '700')
  const expected = {
    transferId: first, gatewayId: null, currency: CURRENCY, amountMinor: 700, amount: '700',
    payerAccountId: payerWallet, payeeAccountId: payeeWallet,
  }
  const eventOnA = checkShape(await within('payment on hub A', onA.stream.nextEvent()))
  const eventOnB = checkShape(await within("payment on hub B's operator stream", onB.stream.nextEvent()))
  const payeeEventOnB = checkShape(await within("payment on hub B's payee stream", payeeOnB.stream.nextEvent()))
  t.match(eventOnA, { id: onA.startId + 1, type: 'payment.settled', data: expected }, 'hub A serves its own payment')
  t.match(eventOnB, { id: onB.startId + 1, type: 'payment.settled', data: expected }, 'hub B serves it, numbered after its own newest id')
  t.same(eventOnB.data, eventOnA.data, 'with the data hub A published, as it was')
  t.same(payeeEventOnB, eventOnB, 'the payee sees it on hub B: its audience came along')
  t.not(eventOnB.id, eventOnA.id, "hub B's id is its own, not hub A's")

  // A second payment: the next event each stream gets is that one, so none got the first twice (hub A's notifications
  // reach hub B in the order they were sent, and a hub hands out its events in its order).
  const second = await pay(payer.api, payeeWallet, '300')
  const received: Array<[string, SseStream, SseEvent]> = [
    ['hub A', onA.stream, eventOnA], ["hub B's operator stream", onB.stream, eventOnB], ["hub B's payee stream", payeeOnB.stream, payeeEventOnB],
  ]
  for (const [name, stream, previous] of received) {
    const next = await within(`second payment on ${name}`, stream.nextEvent())
    t.match(next, { id: previous.id + 1, type: 'payment.settled', data: { transferId: second, amountMinor: 300 } }, `${name}: the first payment came once`)
  }
})
