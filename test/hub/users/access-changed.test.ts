import t from 'tap'
import { UserStore } from '../../../hub/users/store'
import { addUser, testContext, type Tap } from '../http/fixtures'

// The user store tells of a change of a user's access (roles, suspension, sessions) only once it is committed: live
// streams and tokens react to what holds, never to a change a rollback took back.

/** Every microtask queued so far has run. */
const settled = () => new Promise<void>(resolve => setImmediate(resolve))

async function world(t: Tap) {
  const { context, clock } = testContext(t)
  const told: string[] = []
  const users = new UserStore(context.db, { accessChanged: userId => told.push(userId) })
  const userId = await addUser(context, { email: 'awa@example.com', passwordHash: 'x', role: 'customer' })
  return { db: context.db, users, userId, told, now_ms: clock.now_ms() }
}

t.test('an act that throws after changing access inside its transaction tells nothing', async t => {
  const { db, users, userId, told, now_ms } = await world(t)
  t.throws(() => db.transaction(() => {
    t.ok(users.addRole(userId, 'owner', now_ms))
    t.ok(users.suspend(userId, 'fraud', now_ms))
    throw new Error('the act failed after the change')
  })())
  await settled()
  t.same(told, [], 'the changes were rolled back, and nobody was told of them')
  t.notOk(users.byId(userId)!.roles.includes('owner'))
})

t.test('a change inside a transaction is told once, after the commit; outside one at once', async t => {
  const { db, users, userId, told, now_ms } = await world(t)
  db.transaction(() => {
    users.addRole(userId, 'owner', now_ms)
    users.removeRole(userId, 'owner')
    users.addRole(userId, 'operator', now_ms)
    t.same(told, [], 'not before the commit')
  })()
  await settled()
  t.same(told, [userId], 'once, for every change the transaction made')
  users.endSessions(userId, now_ms)
  t.same(told, [userId, userId], 'outside a transaction, as it happens')
})
