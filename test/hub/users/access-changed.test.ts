import t from 'tap'
import { UserStore } from '../../../hub/users/store'
import { addUser, testContext, type Tap } from '../http/fixtures'

// The user store tells of a change of a user's access (roles, suspension, sessions) only once it is committed: live
// streams and tokens react to what holds, never to a change a rollback took back.

async function world(t: Tap) {
  const { context, clock } = testContext(t)
  const told: string[] = []
  const users = new UserStore(context.engine, { accessChanged: userId => told.push(userId) })
  const userId = await addUser(context, { email: 'awa@example.com', passwordHash: 'x', role: 'customer' })
  return { engine: context.engine, users, userId, told, now_ms: clock.now_ms() }
}

t.test('an act that throws after changing access inside its write tells nothing, and changes nothing', async t => {
  const { engine, users, userId, told, now_ms } = await world(t)
  await t.rejects(engine.write(async (sql) => {
    t.ok(await users.addRoleIn(sql, userId, 'owner', now_ms))
    t.ok(await users.suspendIn(sql, userId, 'fraud', now_ms))
    throw new Error('the act failed after the change')
  }), /the act failed/)
  t.same(told, [], 'the changes were rolled back, and nobody was told of them')
  const user = (await users.byId(userId))!
  t.notOk(user.roles.includes('owner'))
  t.equal(user.suspendedAtMs, null)
})

t.test('a change is told once its write has committed, and a change that changed nothing is not told', async t => {
  const { engine, users, userId, told, now_ms } = await world(t)
  const seen: Array<readonly string[]> = []
  const watched = new UserStore(engine, {
    // Told after the commit: what the hook reads is what the change made.
    accessChanged: id => { void users.byId(id).then(user => seen.push(user!.roles)) },
  })
  t.ok(await watched.addRole(userId, 'owner', now_ms))
  t.notOk(await users.addRole(userId, 'owner', now_ms), 'held already')
  t.same(told, [], 'nothing changed: nobody told')
  await users.byId(userId)
  t.same(seen, [['owner', 'customer']])
  t.ok(await users.removeRole(userId, 'owner'))
  await users.endSessions(userId, now_ms)
  t.ok(await users.suspend(userId, 'fraud', now_ms))
  t.notOk(await users.suspend(userId, 'fraud again', now_ms), 'suspended already')
  t.same(told, [userId, userId, userId], 'once for each change')
})
