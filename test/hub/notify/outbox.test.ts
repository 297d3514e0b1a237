// The outbox on both engines (SQLite, PostgreSQL): a message written alone or inside a transaction, picked when due,
// claimed by one hub for each attempt, its outcome recorded under that attempt only, its secret erased once done.

import t from 'tap'
import { passwordResetMessage } from '../../../hub/notify/message'
import { ERASED_BODY, Outbox } from '../../../hub/notify/outbox'
import { engineTests } from '../helpers/engines'
import { twoHubs } from '../helpers/two-hubs'

const root = t
const engineTest = engineTests(t)
const USER = { id: 'u1', email: 'awa@payall.example', phone: null, fullName: 'Awa Diop' }
// No user row: the message names nobody the outbox must find (its user_id is null).
const message = (token: string) => ({ ...passwordResetMessage(USER, token, 60), userId: null })

engineTest('a message is written alone or with its transaction, and is due from when it was written', async (t, factory) => {
  const { engine } = await factory.open(t)
  const outbox = new Outbox(engine)
  await outbox.enqueue('m1', message('one'), 1_000)
  await engine.write(sql => outbox.enqueueIn(sql, 'm2', message('two'), 2_000))
  await t.rejects(engine.write(async (sql) => {
    await outbox.enqueueIn(sql, 'm3', message('three'), 2_000)
    throw new Error('the request failed after writing its message')
  }), /request failed/)
  t.equal(await outbox.byId('m3'), undefined, 'a message of a transaction rolled back is not written')
  await t.rejects(outbox.enqueue('m4', { ...message('four'), body: 'x'.repeat(5_000) }, 1_000), RangeError)
  t.same((await outbox.due(1_999, 10)).map(due => due.id), ['m1'])
  t.same((await outbox.due(2_000, 10)).map(due => due.id), ['m1', 'm2'])
  t.same((await outbox.due(2_000, 1)).map(due => due.id), ['m1'], 'the longest waiting first, at most the limit')
  t.match(await outbox.byId('m1'), { status: 'pending', attempts: 0, sensitive: true, userId: null, createdAtMs: 1_000 })
  t.same(await outbox.counts(), { pending: 2, sent: 0, failed: 0 })
})

engineTest('each attempt is claimed by one hub; an outcome is recorded under the attempt it belongs to only', async (t, factory) => {
  const [one, other] = await twoHubs(root, t, factory)
  const [hubA, hubB] = [new Outbox(one), new Outbox(other)]
  await hubA.enqueue('m1', message('secret-token'), 1_000)
  const claims = await Promise.all([hubA.claim('m1', 0, 1_000, 61_000), hubB.claim('m1', 0, 1_000, 61_000)])
  t.equal(claims.filter(Boolean).length, 1, 'of two hubs claiming the due message at once, one sends it')
  t.match(await hubB.byId('m1'), { attempts: 1, nextAttemptAtMs: 61_000 })
  t.same(await hubB.due(60_999, 10), [], 'a claimed message is due to nobody while its claim holds')
  t.equal(await hubB.claim('m1', 1, 60_999, 120_000), false)

  // The claiming hub died: the claim runs out, another hub takes attempt 2, and the first hub's late word is ignored.
  t.equal(await hubB.claim('m1', 1, 61_000, 121_000), true)
  await hubA.markRetry('m1', 1, 62_000, 'late word of attempt 1')
  t.match(await hubA.byId('m1'), { attempts: 2, nextAttemptAtMs: 121_000, lastError: null })
  await hubB.markSent('m1', 2, 'provider-7', 63_000)
  t.match(await hubA.byId('m1'), { status: 'sent', attempts: 2, providerId: 'provider-7', doneAtMs: 63_000, body: ERASED_BODY })
  await hubA.markFailed('m1', 1, 64_000, 'later still')
  t.match(await hubA.byId('m1'), { status: 'sent', lastError: null }, 'a message done with stays as it was done')
  t.equal(await hubA.claim('m1', 2, 200_000, 300_000), false, 'and is claimed no more')

  await hubA.enqueue('m2', message('other'), 1_000)
  t.equal(await hubA.claim('m2', 0, 1_000, 2_000), true)
  await hubA.markFailed('m2', 1, 1_500, 'refused')
  t.match(await hubB.byId('m2'), { status: 'failed', attempts: 1, lastError: 'refused', body: ERASED_BODY })
  t.same(await hubB.counts(), { pending: 0, sent: 1, failed: 1 })
})
