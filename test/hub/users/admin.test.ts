import t from 'tap'
import { UserAdministration } from '../../../hub/users/administration'
import { ADMIN_USERS_PAGE_MAX } from '../../../hub/users/admin-routes'
import { addUser, errorOf, login } from '../http/fixtures'
import { PASSWORD, call, mobileUser, restHub, signIn, type RestHub, type SignedIn } from './fixtures'

function suspend(hub: RestHub, as: SignedIn | undefined, userId: string, reason: unknown = 'fraud suspected') {
  return call(hub.app, as, { method: 'POST', url: `/admin/users/${userId}/suspend`, payload: { reason } })
}

function act(hub: RestHub, as: SignedIn | undefined, method: 'POST' | 'DELETE', path: string) {
  return call(hub.app, as, { method, url: `/admin/users/${path}` })
}

function auditEntries(hub: RestHub) {
  return hub.context.db.prepare('SELECT actor_id, action, target_id, detail FROM audit_log ORDER BY id').all()
}

function list(hub: RestHub, query = '') {
  return call(hub.app, hub.operator, { method: 'GET', url: `/admin/users${query}` })
}

t.test('only operators administer users: others get 403, nobody without a token', async (t) => {
  const hub = await restHub(t)
  const requests: Array<[string, string, object | undefined]> = [
    ['GET', '/admin/users', undefined],
    ['POST', `/admin/users/${hub.owner.userId}/suspend`, { reason: 'x' }],
    ['POST', `/admin/users/${hub.owner.userId}/reactivate`, undefined],
    ['POST', `/admin/users/${hub.owner.userId}/verify-email`, undefined],
    ['POST', `/admin/users/${hub.customer.userId}/operator`, undefined],
    ['DELETE', `/admin/users/${hub.operator.userId}/operator`, undefined],
    ['GET', '/admin/audit', undefined],
  ]
  for (const [method, url, payload] of requests) {
    for (const as of [hub.customer, hub.owner]) {
      const refused = await call(hub.app, as, { method, url, ...(payload === undefined ? {} : { payload }) })
      t.equal(refused.statusCode, 403, `${method} ${url}`)
      t.equal(errorOf(refused).code, 'FORBIDDEN')
    }
    t.equal((await call(hub.app, undefined, { method, url })).statusCode, 401)
  }
  t.same(auditEntries(hub), [], 'nothing was done')
  t.equal(hub.context.db.prepare('SELECT count(*) AS count FROM users WHERE suspended_at_ms IS NOT NULL').pluck().get(), 0)
})

t.test('the list is newest first, a page at a time, with the suspension of each user', async (t) => {
  const hub = await restHub(t)
  const more: SignedIn[] = []
  for (let n = 0; n < 4; n++) {
    hub.clock.advance(1_000)
    more.push(await signIn(hub, 'customer'))
  }
  const first = await list(hub, '?limit=2')
  t.equal(first.statusCode, 200)
  t.same(first.json().users.map((user: { id: string }) => user.id), [more[3]!.userId, more[2]!.userId])
  t.match(first.json().users[0], { roles: ['customer'], role: 'customer', emailVerified: true, suspendedAtMs: null, suspendedReason: null })
  t.type(first.json().next, 'string')
  const paged: string[] = []
  let next: string | null = null
  do {
    const page = await list(hub, `?limit=2${next === null ? '' : `&before=${next}`}`)
    t.ok(page.json().users.length <= 2)
    paged.push(...page.json().users.map((user: { id: string }) => user.id))
    next = page.json().next
  } while (next !== null)
  // The three of restHub were created in one instant: newest first, then by id.
  const firstThree = [hub.operator.userId, hub.customer.userId, hub.owner.userId].sort().reverse()
  t.same(paged, [...more.map((user) => user.userId).reverse(), ...firstThree], 'every user once, newest first, until next is null')
  const all = await list(hub)
  t.same(all.json().users.map((user: { id: string }) => user.id), paged, 'one page of 50 holds them all')
  t.equal(all.json().next, null)

  t.equal((await list(hub, '?before=bm90IGEgY3Vyc29y')).statusCode, 400, 'a cursor the hub never gave')
  t.equal((await list(hub, '?before=a%2Fb')).statusCode, 400)
  t.equal((await list(hub, `?limit=${ADMIN_USERS_PAGE_MAX + 1}`)).statusCode, 400)
  t.equal((await list(hub, '?limit=0')).statusCode, 400)
  t.equal((await list(hub, `?q=${'x'.repeat(101)}`)).statusCode, 400)
  t.equal((await list(hub, '?role=king')).statusCode, 400)
  t.equal((await list(hub, '?sort=name')).statusCode, 400)
})

t.test('the search matches part of a name, an email or a phone number typed any way; filters by role and status', async (t) => {
  const hub = await restHub(t)
  const awa = await addUser(hub.context, { email: 'awa.diop@shop.example', password: PASSWORD, role: 'owner', fullName: 'Awa Diop' })
  const fatou = await mobileUser(hub, { phone: '+221775550142', name: 'Fatou' })
  await addUser(hub.context, { email: 'percent@shop.example', password: PASSWORD, role: 'customer', fullName: '100% Real_Name' })
  const ids = async (query: string) => (await list(hub, query)).json().users.map((user: { id: string }) => user.id)

  t.same(await ids('?q=DIOP'), [awa], 'part of a name, whatever the case')
  t.same(await ids('?q=shop.example&role=owner'), [awa])
  t.same(await ids('?q=77%20555%2001%2042'), [fatou.userId], 'a phone typed with spaces')
  t.same(await ids('?q=%2B2217755501'), [fatou.userId], 'or part of it in E.164')
  t.same((await list(hub, '?q=%25')).json().users.map((user: { fullName: string }) => user.fullName), ['100% Real_Name'],
    'LIKE wildcards match themselves')
  t.same(await ids('?q=nobody'), [])
  t.same(await ids('?role=operator'), [hub.operator.userId])
  t.equal((await suspend(hub, hub.operator, awa)).statusCode, 200)
  t.same(await ids('?status=suspended'), [awa])
  t.notOk((await ids('?status=active')).includes(awa))
})

t.test('a suspension stops the user’s tokens at once and keeps them out; reactivation lets them log in again', async (t) => {
  const hub = await restHub(t)
  const target = hub.customer
  t.equal((await call(hub.app, target, { method: 'GET', url: '/accounts' })).statusCode, 200)
  const suspended = await suspend(hub, hub.operator, target.userId, '  chargebacks  ')
  t.equal(suspended.statusCode, 200)
  t.match(suspended.json(), { id: target.userId, suspendedAtMs: hub.clock.now_ms(), suspendedReason: 'chargebacks' })
  const refused = await call(hub.app, target, { method: 'GET', url: '/accounts' })
  t.equal(refused.statusCode, 401)
  t.equal(errorOf(refused).code, 'ACCOUNT_SUSPENDED', 'the token issued before stops working at once')
  t.equal(errorOf(await login(hub.app, target.email, PASSWORD)).code, 'ACCOUNT_SUSPENDED')
  t.same(auditEntries(hub), [{ actor_id: hub.operator.userId, action: 'user.suspend', target_id: target.userId, detail: 'chargebacks' }])
  t.equal((await suspend(hub, hub.operator, target.userId, 'again')).json().suspendedReason, 'chargebacks', 'suspending again changes nothing')
  t.equal(auditEntries(hub).length, 1, 'and logs nothing')

  const reactivated = await act(hub, hub.operator, 'POST', `${target.userId}/reactivate`)
  t.match(reactivated.json(), { suspendedAtMs: null, suspendedReason: null })
  t.equal((await call(hub.app, target, { method: 'GET', url: '/accounts' })).statusCode, 401, 'the sessions it had stay ended')
  t.equal((await login(hub.app, target.email, PASSWORD)).statusCode, 200, 'a new login works')
  t.match(auditEntries(hub)[1], { action: 'user.reactivate', target_id: target.userId, detail: null })
  t.equal((await act(hub, hub.operator, 'POST', `${target.userId}/reactivate`)).statusCode, 200)
  t.equal(auditEntries(hub).length, 2, 'reactivating an active user logs nothing')
})

t.test('an operator cannot suspend themself; bad reasons and unknown users change nothing', async (t) => {
  const hub = await restHub(t)
  const self = await suspend(hub, hub.operator, hub.operator.userId)
  t.equal(self.statusCode, 409)
  t.equal(errorOf(self).code, 'SELF_SUSPEND')
  t.equal((await call(hub.app, hub.operator, { method: 'GET', url: '/admin/users' })).statusCode, 200, 'still active')
  t.equal((await suspend(hub, hub.operator, hub.customer.userId, '')).statusCode, 400)
  t.equal(errorOf(await suspend(hub, hub.operator, hub.customer.userId, 'line\nbreak')).code, 'BAD_TEXT')
  t.equal((await suspend(hub, hub.operator, hub.customer.userId, 'r'.repeat(501))).statusCode, 400)
  t.equal((await call(hub.app, hub.operator, { method: 'POST', url: `/admin/users/${hub.customer.userId}/suspend` })).statusCode, 400, 'a reason is needed')
  t.equal((await suspend(hub, hub.operator, 'no-such-user')).statusCode, 404)
  t.equal((await act(hub, hub.operator, 'POST', 'no-such-user/operator')).statusCode, 404)
  t.same(auditEntries(hub), [])
})

t.test('granting and removing the operator role act at once on the user’s tokens, and are logged', async (t) => {
  const hub = await restHub(t)
  const verify = () => call(hub.app, hub.customer, { method: 'GET', url: '/ledger/verify' })
  t.equal((await verify()).statusCode, 403)
  const granted = await act(hub, hub.operator, 'POST', `${hub.customer.userId}/operator`)
  t.equal(granted.statusCode, 200)
  t.match(granted.json(), { roles: ['operator', 'customer'], role: 'operator' })
  t.equal((await verify()).statusCode, 200, 'the token they hold opens operator routes now')
  t.equal((await act(hub, hub.operator, 'POST', `${hub.customer.userId}/operator`)).statusCode, 200)

  const removed = await act(hub, hub.customer, 'DELETE', `${hub.operator.userId}/operator`)
  t.equal(removed.statusCode, 200, 'the new operator removes the old one')
  t.match(removed.json(), { roles: ['customer'], role: 'customer' }, 'who held no other role is left a customer')
  t.equal((await call(hub.app, hub.operator, { method: 'GET', url: '/admin/users' })).statusCode, 403, 'at once')
  t.match(auditEntries(hub), [
    { actor_id: hub.operator.userId, action: 'operator.grant', target_id: hub.customer.userId, detail: null },
    { actor_id: hub.customer.userId, action: 'operator.revoke', target_id: hub.operator.userId, detail: 'held no other role: now a customer' },
  ])
})

t.test('the last active operator keeps the role: 409 LAST_OPERATOR; a suspended operator does not count', async (t) => {
  const hub = await restHub(t)
  const alone = await act(hub, hub.operator, 'DELETE', `${hub.operator.userId}/operator`)
  t.equal(alone.statusCode, 409)
  t.equal(errorOf(alone).code, 'LAST_OPERATOR')

  const second = await signIn(hub, 'operator')
  t.equal((await suspend(hub, hub.operator, second.userId)).statusCode, 200)
  t.equal(errorOf(await act(hub, hub.operator, 'DELETE', `${hub.operator.userId}/operator`)).code, 'LAST_OPERATOR',
    'the other operator is suspended')
  t.equal((await act(hub, hub.operator, 'DELETE', `${second.userId}/operator`)).statusCode, 200, 'a suspended operator may lose the role')
  t.same((await call(hub.app, hub.operator, { method: 'GET', url: '/admin/users?role=operator' })).json().users.map((user: { id: string }) => user.id),
    [hub.operator.userId])
})

t.test('an operator suspended or demoted meanwhile acts no more, even with a request already admitted', async (t) => {
  const hub = await restHub(t)
  const second = await signIn(hub, 'operator')
  const administration = new UserAdministration({ engine: hub.context.engine, users: hub.services.users, audit: hub.services.audit, clock: hub.clock })
  await administration.suspend(hub.operator.userId, second.userId, 'lost laptop')
  await t.rejects(administration.suspend(second.userId, hub.operator.userId, 'revenge'), { status: 403, code: 'FORBIDDEN' })
  t.equal(await hub.services.users.activeOperatorCount(), 1, 'the hub keeps its active operator')
})

t.test('an act and its audit entry are one transaction: an entry that cannot be written undoes the act', async (t) => {
  const hub = await restHub(t)
  hub.context.db.exec("CREATE TRIGGER audit_broken BEFORE INSERT ON audit_log BEGIN SELECT RAISE(ABORT, 'disk full'); END")
  t.equal((await suspend(hub, hub.operator, hub.customer.userId)).statusCode, 500)
  t.equal((await call(hub.app, hub.customer, { method: 'GET', url: '/accounts' })).statusCode, 200, 'not suspended, sessions alive')
  t.equal((await act(hub, hub.operator, 'POST', `${hub.customer.userId}/operator`)).statusCode, 500)
  t.equal((await call(hub.app, hub.customer, { method: 'GET', url: '/ledger/verify' })).statusCode, 403, 'not an operator')
})

t.test('GET /admin/audit pages the log newest first, with names as they were; the log cannot be edited', async (t) => {
  const hub = await restHub(t)
  for (const target of [hub.customer, hub.owner]) {
    await suspend(hub, hub.operator, target.userId)
    hub.clock.advance(1_000)
    await act(hub, hub.operator, 'POST', `${target.userId}/reactivate`)
  }
  const first = await call(hub.app, hub.operator, { method: 'GET', url: '/admin/audit?limit=3' })
  t.equal(first.statusCode, 200)
  t.equal(first.json().entries.length, 3)
  t.match(first.json().entries[0], {
    atMs: hub.clock.now_ms(), actorId: hub.operator.userId, actorName: 'Test User', action: 'user.reactivate',
    targetId: hub.owner.userId, targetName: 'Test User', detail: null,
  })
  t.equal(first.json().next, String(first.json().entries[2].id))
  const rest = await call(hub.app, hub.operator, { method: 'GET', url: `/admin/audit?limit=3&before=${first.json().next}` })
  t.same(rest.json().entries.map((entry: { action: string }) => entry.action), ['user.suspend'])
  t.equal(rest.json().next, null)
  t.equal((await call(hub.app, hub.operator, { method: 'GET', url: '/admin/audit?before=0' })).statusCode, 400)
  t.equal((await call(hub.app, hub.operator, { method: 'GET', url: '/admin/audit?limit=201' })).statusCode, 400)
  t.throws(() => hub.context.db.prepare("UPDATE audit_log SET detail = 'nothing happened'").run(), /AUDIT_IMMUTABLE/)
  t.throws(() => hub.context.db.prepare('DELETE FROM audit_log').run(), /AUDIT_IMMUTABLE/)
})

t.test('an operator vouches for a user’s email: it counts as proved, its pending code is forgotten, and it is logged', async (t) => {
  const hub = await restHub(t)
  const signUp = await hub.app.inject({
    method: 'POST', url: '/users/sign-up', payload: { fullName: 'Awa Diop', email: 'awa@example.com', password: PASSWORD },
  })
  const awa = { userId: signUp.json().id as string, email: 'awa@example.com', token: (await login(hub.app, 'awa@example.com', PASSWORD)).json().token }
  t.equal((await act(hub, hub.customer, 'POST', `${awa.userId}/verify-email`)).statusCode, 403, 'for operators only')
  const vouched = await act(hub, hub.operator, 'POST', `${awa.userId}/verify-email`)
  t.equal(vouched.statusCode, 200)
  t.match(vouched.json(), { emailVerified: true })
  t.same(hub.context.db.prepare('SELECT count(*) AS count FROM email_codes').get(), { count: 0 }, 'the code sent at sign-up is forgotten')
  t.equal(errorOf(await call(hub.app, awa, { method: 'POST', url: '/users/verify-email-finish', payload: { code: '123456' } })).code,
    'EMAIL_ALREADY_VERIFIED')
  t.match(auditEntries(hub), [{ actor_id: hub.operator.userId, action: 'user.verify_email', target_id: awa.userId, detail: 'awa@example.com' }])
  t.equal((await act(hub, hub.operator, 'POST', `${awa.userId}/verify-email`)).statusCode, 200)
  t.equal(auditEntries(hub).length, 1, 'vouching again changes and logs nothing')
  const fatou = await mobileUser(hub)
  t.equal(errorOf(await act(hub, hub.operator, 'POST', `${fatou.userId}/verify-email`)).code, 'NO_EMAIL')
})
