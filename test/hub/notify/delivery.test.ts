import t from 'tap'
import { afterFailure, retryDelay_ms } from '../../../hub/notify/backoff'
import { DeliveryError, type DeliveryAdapter } from '../../../hub/notify/adapters/adapter'
import { NOTIFY_CONFIG_DEFAULT } from '../../../hub/notify/config'
import { Dispatcher } from '../../../hub/notify/delivery'
import { passwordResetMessage, paymentCodeMessage, type OutgoingMessage } from '../../../hub/notify/message'
import { ERASED_BODY, Outbox } from '../../../hub/notify/outbox'
import { testContext, testHub, type Tap } from '../http/fixtures'
import { MANUAL_NOTIFY, restHub } from '../users/fixtures'

const POLICY = { attemptsMax: 4, backoffBaseMs: 1_000, backoffMaxMs: 5_000 }
const USER = { id: 'u1', email: 'awa@payall.example', phone: '+221771234567', fullName: 'Awa Diop' }

t.test('retries wait twice as long each time, up to the cap, and stop after the last attempt', async (t) => {
  t.same([1, 2, 3, 4, 5].map((attempts) => retryDelay_ms(attempts, POLICY)), [1_000, 2_000, 4_000, 5_000, 5_000])
  t.same(afterFailure(1, false, 10_000, POLICY), { status: 'pending', nextAttemptAtMs: 11_000 })
  t.same(afterFailure(4, false, 10_000, POLICY), { status: 'failed' })
  t.same(afterFailure(1, true, 10_000, POLICY), { status: 'failed' }, 'a permanent refusal is not retried')
  t.equal(retryDelay_ms(10_000, NOTIFY_CONFIG_DEFAULT), NOTIFY_CONFIG_DEFAULT.backoffMaxMs, 'huge attempt counts stay finite')
  t.throws(() => retryDelay_ms(0, POLICY))
})

/** An adapter whose answers the test scripts: 'ok', 'transient' or 'permanent', one per call. */
function scriptedAdapter(script: Array<'ok' | 'transient' | 'permanent'>): DeliveryAdapter & { sent: OutgoingMessage[] } {
  const sent: OutgoingMessage[] = []
  return {
    name: 'scripted',
    sent,
    async send(message) {
      const next = script.shift() ?? 'ok'
      if (next !== 'ok') throw new DeliveryError(`provider said ${next}`, { permanent: next === 'permanent' })
      sent.push(message)
      return { providerId: `p-${sent.length}` }
    },
    async close() {},
  }
}

function dispatcherFor(t: Tap, script: Array<'ok' | 'transient' | 'permanent'>) {
  const { context, clock } = testContext(t, { config: { notify: MANUAL_NOTIFY } })
  context.db.prepare(`INSERT INTO users (id, email, phone, full_name, password_hash, created_at_ms)
    VALUES ('u1', 'awa@payall.example', '+221771234567', 'Awa Diop', 'x', 0)`).run()
  const outbox = new Outbox(context.engine)
  const adapter = scriptedAdapter(script)
  const dispatcher = new Dispatcher(outbox, { email: adapter, sms: adapter }, clock, POLICY, context.log)
  return { outbox, adapter, dispatcher, clock }
}

t.test('a message that fails for a while is retried with backoff, then sent; its secret is erased once sent', async (t) => {
  const { outbox, adapter, dispatcher, clock } = dispatcherFor(t, ['transient', 'transient', 'ok'])
  await outbox.enqueue('m1', passwordResetMessage(USER, 'the-token', 60), clock.now_ms())
  t.same(await dispatcher.deliverDue(), { sent: 0, retried: 1, failed: 0 })
  t.match(await outbox.byId('m1'), { status: 'pending', attempts: 1, nextAttemptAtMs: clock.now_ms() + 1_000, lastError: /transient/ })
  t.same(await dispatcher.deliverDue(), { sent: 0, retried: 0, failed: 0 }, 'not due yet')
  clock.advance(1_000)
  t.same(await dispatcher.deliverDue(), { sent: 0, retried: 1, failed: 0 })
  clock.advance(1_999)
  t.same(await dispatcher.deliverDue(), { sent: 0, retried: 0, failed: 0 }, 'the second wait is twice the first')
  clock.advance(1)
  t.same(await dispatcher.deliverDue(), { sent: 1, retried: 0, failed: 0 })
  t.match(adapter.sent[0]!.body, /the-token/, 'the provider got the token')
  t.match(await outbox.byId('m1'), { status: 'sent', attempts: 3, providerId: 'p-1', body: ERASED_BODY, lastError: null })
})

t.test('a message that keeps failing is marked failed after the last attempt and stays in the outbox', async (t) => {
  const { outbox, dispatcher, clock } = dispatcherFor(t, ['transient', 'transient', 'transient', 'transient', 'ok'])
  await outbox.enqueue('m1', paymentCodeMessage(USER, '123456', { amountMinor: 500, currency: 'XOF', payeeName: 'Moussa', validMinutes: 5 }), clock.now_ms())
  for (let attempt = 0; attempt < POLICY.attemptsMax; attempt++) {
    await dispatcher.deliverDue()
    clock.advance(POLICY.backoffMaxMs)
  }
  t.match(await outbox.byId('m1'), { status: 'failed', attempts: POLICY.attemptsMax, lastError: /transient/, channel: 'sms', body: ERASED_BODY })
  t.same(await outbox.counts(), { pending: 0, sent: 0, failed: 1 })
  t.same(await dispatcher.deliverDue(), { sent: 0, retried: 0, failed: 0 }, 'a failed message is not picked up again')
})

t.test('a permanent refusal fails the message at once; other messages go on', async (t) => {
  const { outbox, dispatcher, clock } = dispatcherFor(t, ['permanent', 'ok'])
  await outbox.enqueue('m1', passwordResetMessage(USER, 'a', 60), clock.now_ms())
  await outbox.enqueue('m2', passwordResetMessage(USER, 'b', 60), clock.now_ms())
  t.same(await dispatcher.deliverDue(), { sent: 1, retried: 0, failed: 1 })
  t.match(await outbox.byId('m1'), { status: 'failed', attempts: 1, lastError: /permanent/ })
  t.match(await outbox.byId('m2'), { status: 'sent' })
})

t.test('concurrent drains join one another, so a message is never sent twice', async (t) => {
  const { outbox, adapter, dispatcher, clock } = dispatcherFor(t, [])
  await outbox.enqueue('m1', passwordResetMessage(USER, 'a', 60), clock.now_ms())
  const [first, second] = await Promise.all([dispatcher.deliverDue(), dispatcher.deliverDue()])
  t.same(first, second)
  t.equal(adapter.sent.length, 1)
})

t.test('the console adapter, the default, prints the message to the log', async (t) => {
  const hub = await restHub(t)
  await hub.app.inject({ method: 'POST', url: '/users/reset-password-init', payload: { email: hub.customer.email } })
  t.same(await hub.app.notifier.deliverDue(), { sent: 1, retried: 0, failed: 0 })
  const line = hub.log.lines.find((entry) => entry.msg === 'notification (console adapter)')
  t.match(line, { notification: { channel: 'email', to: hub.customer.email, kind: 'password_reset' } })
})

/** A hub on the default configuration (a 5 s timer, and a drain right after each message) with Zoe to write to. */
async function automaticHub(t: Tap) {
  const hub = await testHub(t, { config: { notify: NOTIFY_CONFIG_DEFAULT } })
  hub.context.db.prepare(`INSERT INTO users (id, email, phone, full_name, password_hash, created_at_ms)
    VALUES ('u9', 'zoe@payall.example', NULL, 'Zoe', 'x', 0)`).run()
  const status = () => (hub.context.db.prepare('SELECT status FROM notification_outbox').get() as { status: string }).status
  return { ...hub, status, message: passwordResetMessage({ id: 'u9', email: 'zoe@payall.example', phone: null, fullName: 'Zoe' }, 'tok', 60) }
}

t.test('the notifier delivers a message right after it is sent, on the hub\'s clock, when the configuration says so', async (t) => {
  const hub = await automaticHub(t)
  await hub.app.notifier.send(hub.message)
  t.equal(hub.status(), 'pending', 'nothing is delivered while the request is in hand')
  await hub.clock.run(0)
  t.match(hub.context.db.prepare('SELECT status, body FROM notification_outbox').get(), { status: 'sent', body: ERASED_BODY })
})

t.test('the notifier\'s timer delivers what waits in the outbox every deliveryIntervalMs, until the hub closes', async (t) => {
  const hub = await automaticHub(t)
  // Written straight to the outbox, as a message left by an earlier run is: only the timer picks it up.
  await new Outbox(hub.context.engine).enqueue('ntf_left', hub.message, hub.clock.now_ms())
  await hub.clock.run(NOTIFY_CONFIG_DEFAULT.deliveryIntervalMs - 1)
  t.equal(hub.status(), 'pending', 'not before the interval')
  await hub.clock.run(1)
  t.equal(hub.status(), 'sent')
  await hub.app.close()
  t.equal(hub.clock.pendingTimers, 0, 'closing the hub stops the timer')
})
