import t from 'tap'
import { PHONE_SIGN_UP_LIFETIME_MS } from '../../../hub/users/phone-verification'
import { errorOf } from '../http/fixtures'
import { PASSWORD, call, fundedWallet, mobileUser, outbox, restHub, secretIn, type RestHub, type SignedIn } from '../users/fixtures'

function register(hub: RestHub, payload: object) {
  return hub.app.inject({ method: 'POST', url: '/api/auth/register', payload })
}

function confirm(hub: RestHub, registrationId: string, code = secretIn(hub, 'phone_code')) {
  return hub.app.inject({ method: 'POST', url: '/api/auth/register/confirm', payload: { registrationId, code } })
}

function phoneLogin(hub: RestHub, phone: string, password = PASSWORD) {
  return hub.app.inject({ method: 'POST', url: '/api/auth/login', payload: { phone, password } })
}

function userCount(hub: RestHub): number {
  return (hub.context.db.prepare('SELECT count(*) AS count FROM users').get() as { count: number }).count
}

const FATOU = { name: 'Fatou', surname: 'Ndiaye', phone: '+221 77 555 01 02', password: PASSWORD }

t.test('register sends a code to the phone; confirming it creates the customer, phone proved, without the hash on the wire', async (t) => {
  const hub = await restHub(t)
  const users = userCount(hub)
  const response = await register(hub, { ...FATOU, email: 'Fatou@Phone.Example' })
  t.equal(response.statusCode, 202)
  const { registrationId } = response.json()
  t.match(response.json(), { registrationId: /^phc_/, phone: '+221775550102', expiresAt: new Date(hub.clock.now_ms() + 10 * 60_000).toISOString() })
  t.match(outbox(hub, 'phone_code'), [{ channel: 'sms', recipient: '+221775550102', user_id: null, body: /^PayAll: \d{6} proves this is your number/ }])
  t.equal(userCount(hub), users, 'no account before the code comes back')
  t.equal((await phoneLogin(hub, FATOU.phone)).statusCode, 401, 'nobody logs in with a number not proved')
  const stored = hub.context.db.prepare('SELECT code_sha256 FROM phone_claims WHERE id = ?').get(registrationId) as { code_sha256: string }
  t.not(stored.code_sha256, secretIn(hub, 'phone_code'), 'the code is stored hashed')

  const confirmed = await confirm(hub, registrationId)
  t.equal(confirmed.statusCode, 201)
  t.match(confirmed.json(), {
    fullName: 'Fatou Ndiaye', phone: '+221775550102', phoneVerified: true, phonePending: null, email: 'fatou@phone.example',
    emailVerified: false, roles: ['customer'], role: 'customer',
  })
  t.notMatch(confirmed.body, /scrypt|password/i)
  const row = hub.context.db.prepare('SELECT id, password_hash, phone_verified_at_ms FROM users WHERE phone = ?').get('+221775550102') as { id: string }
  t.match(row, { password_hash: /^\$scrypt\$/, phone_verified_at_ms: hub.clock.now_ms() })
  t.same(hub.context.db.prepare('SELECT role FROM user_roles WHERE user_id = ?').all(row.id), [{ role: 'customer' }])
  t.equal((await phoneLogin(hub, '+221-77-555-0102')).statusCode, 200)
  const web = await hub.app.inject({ method: 'POST', url: '/users/login', payload: { email: 'fatou@phone.example', password: PASSWORD } })
  t.equal(web.statusCode, 200, 'the same user logs in on the web with the email')
  const again = await confirm(hub, registrationId)
  t.equal(again.statusCode, 404, 'a registration is confirmed once')
})

t.test('221786365771, 00221786365771 and 786365771 are one number: once proved, registering it again any way is 409', async (t) => {
  const hub = await restHub(t)
  const first = await register(hub, { ...FATOU, phone: '221786365771' })
  t.equal(first.json().phone, '+221786365771')
  const account = (await confirm(hub, first.json().registrationId)).json()
  for (const phone of ['00221786365771', '786365771', '+221 78 636 57 71', '221786365771']) {
    const again = await register(hub, { ...FATOU, name: 'Squatter', phone })
    t.equal(again.statusCode, 409, phone)
    t.equal(errorOf(again).code, 'PHONE_TAKEN')
    const login = await phoneLogin(hub, phone)
    t.equal(login.statusCode, 200, `${phone} logs in`)
    t.equal(login.json().user.id, account.id, `${phone} is the same account`)
  }
  const web = await hub.app.inject({ method: 'POST', url: '/users/sign-up', payload: { fullName: 'Web Squatter', email: 'sq@payall.example', password: PASSWORD, phone: '0022178 636 57 71' } })
  t.equal(web.statusCode, 409, 'the web sign-up too')
  t.same(hub.context.db.prepare("SELECT count(*) AS count FROM users WHERE full_name LIKE '%Squatter%'").get(), { count: 0 })
})

t.test('until a number is proved, several may register it; the first to prove it gets it, the others end', async (t) => {
  const hub = await restHub(t)
  const squatter = (await register(hub, { ...FATOU, name: 'Squatter' })).json().registrationId
  const squattersCode = secretIn(hub, 'phone_code')
  const owner = (await register(hub, FATOU)).json().registrationId
  t.equal((await confirm(hub, owner)).statusCode, 201, 'the owner, who gets the SMS, proves it')
  const late = await confirm(hub, squatter, squattersCode)
  t.equal(late.statusCode, 404, 'the other registration ended with the proof')
  t.equal((await phoneLogin(hub, FATOU.phone)).json().user.fullName, 'Fatou Ndiaye')
})

t.test('a registration not confirmed within its lifetime is forgotten; resend sends a new code and the old one stops working', async (t) => {
  const hub = await restHub(t)
  const { registrationId } = (await register(hub, FATOU)).json()
  const oldCode = secretIn(hub, 'phone_code')
  const resent = await hub.app.inject({ method: 'POST', url: '/api/auth/register/resend', payload: { registrationId } })
  t.equal(resent.statusCode, 202)
  t.equal(resent.json().registrationId, registrationId)
  const newCode = secretIn(hub, 'phone_code')
  t.not(newCode, oldCode)
  t.equal(errorOf(await confirm(hub, registrationId, oldCode)).code, 'WRONG_CODE')
  hub.clock.advance(PHONE_SIGN_UP_LIFETIME_MS)
  t.equal((await confirm(hub, registrationId, newCode)).statusCode, 404)
  t.equal((await hub.app.inject({ method: 'POST', url: '/api/auth/register/resend', payload: { registrationId } })).statusCode, 404)
  t.equal((await hub.app.inject({ method: 'POST', url: '/api/auth/register/resend', payload: { registrationId: 'phc_nope' } })).statusCode, 404)
})

t.test('register refuses a taken phone or email, a weak password, and bad, missing or oversized fields', async (t) => {
  const hub = await restHub(t)
  await mobileUser(hub, { phone: '+221775550102' })
  const samePhone = await register(hub, { ...FATOU, phone: '+221775550102' })
  t.equal(samePhone.statusCode, 409)
  t.equal(errorOf(samePhone).code, 'PHONE_TAKEN')
  const sameEmail = await register(hub, { ...FATOU, phone: '+221700000000', email: hub.customer.email })
  t.equal(errorOf(sameEmail).code, 'EMAIL_TAKEN')
  t.equal(errorOf(await register(hub, { ...FATOU, phone: '+221700000001', password: 'weakweak' })).code, 'WEAK_PASSWORD')
  t.equal((await register(hub, { ...FATOU, phone: undefined })).statusCode, 400)
  t.equal(errorOf(await register(hub, { ...FATOU, phone: 'not a phone' })).code, 'BAD_PHONE')
  t.equal(errorOf(await register(hub, { ...FATOU, phone: '+2217700000011' })).code, 'BAD_PHONE')
  t.equal((await register(hub, { ...FATOU, phone: '+221700000002', email: 'nope' })).statusCode, 400)
  t.equal((await register(hub, { ...FATOU, phone: '+221700000003', role: 'operator' })).statusCode, 400)
  t.equal((await register(hub, { ...FATOU, phone: '+221700000004', name: 'N'.repeat(100) })).statusCode, 400)
  t.equal((await register(hub, { ...FATOU, phone: '+221700000005', surname: 'S'.repeat(9000) })).statusCode, 413)
  t.equal(outbox(hub, 'phone_code').length, 1, 'no code went out for a refused registration')
  const confirmation = (payload: object) => hub.app.inject({ method: 'POST', url: '/api/auth/register/confirm', payload })
  t.equal((await confirmation({ registrationId: 'phc_1', code: '12345' })).statusCode, 400)
  t.equal((await confirmation({ registrationId: 'phc_1' })).statusCode, 400)
  t.equal((await confirmation({ registrationId: 'phc_1', code: '123456' })).statusCode, 404)
})

t.test('login by phone, typed any way, returns the session; a wrong password or unknown phone gets the same 401', async (t) => {
  const hub = await restHub(t)
  await mobileUser(hub, { phone: FATOU.phone })
  const login = await phoneLogin(hub, '+221-77-555-0102')
  t.equal(login.statusCode, 200)
  t.same(Object.keys(login.json()).sort(), ['refreshToken', 'token', 'user'])
  t.match(login.json().user, { phone: '+221775550102', phoneVerified: true })
  t.equal((await phoneLogin(hub, '77 555 01 02')).statusCode, 200, 'a national number is one of the hub’s region')
  const wrong = await phoneLogin(hub, FATOU.phone, 'wrong password 1')
  const unknown = await phoneLogin(hub, '+221700000009')
  t.equal(wrong.statusCode, 401)
  t.equal(wrong.body, unknown.body)
  t.equal(errorOf(await phoneLogin(hub, 'call me')).code, 'BAD_PHONE')
  t.equal((await hub.app.inject({ method: 'POST', url: '/api/auth/login', payload: { phone: FATOU.phone } })).statusCode, 400)
  t.equal((await hub.app.inject({ method: 'POST', url: '/api/auth/login', payload: { email: 'x@y.z', password: PASSWORD } })).statusCode, 400)
})

t.test('logout refuses the access token at once, and the refresh token when given', async (t) => {
  const hub = await restHub(t)
  const fatou = await mobileUser(hub)
  const other = await mobileUser(hub)
  t.equal((await call(hub.app, fatou, { method: 'GET', url: '/accounts' })).statusCode, 200)
  const logout = await call(hub.app, fatou, { method: 'POST', url: '/api/auth/logout', payload: { refreshToken: fatou.refreshToken } })
  t.equal(logout.statusCode, 204)
  const after = await call(hub.app, fatou, { method: 'GET', url: '/accounts' })
  t.equal(after.statusCode, 401)
  t.match(errorOf(after).message, /revoked/)
  const refresh = await hub.app.inject({ method: 'POST', url: '/users/refresh', payload: { refreshToken: fatou.refreshToken } })
  t.equal(refresh.statusCode, 401)
  t.equal((await call(hub.app, other, { method: 'GET', url: '/accounts' })).statusCode, 200, 'other sessions live on')
})

t.test('logout without a body works; with another user’s refresh token it leaves that token alone', async (t) => {
  const hub = await restHub(t)
  const fatou = await mobileUser(hub)
  const moussa = await mobileUser(hub)
  t.equal((await call(hub.app, fatou, { method: 'POST', url: '/api/auth/logout', payload: { refreshToken: moussa.refreshToken } })).statusCode, 204)
  const refresh = await hub.app.inject({ method: 'POST', url: '/users/refresh', payload: { refreshToken: moussa.refreshToken } })
  t.equal(refresh.statusCode, 200)
  const bare = await mobileUser(hub)
  t.equal((await call(hub.app, bare, { method: 'POST', url: '/api/auth/logout' })).statusCode, 204)
  t.equal((await call(hub.app, undefined, { method: 'POST', url: '/api/auth/logout' })).statusCode, 401)
  t.equal((await call(hub.app, moussa, { method: 'POST', url: '/api/auth/logout', payload: { everything: true } })).statusCode, 400)
})

t.test('binding links a bank account number, or the caller’s own wallet, to one user only', async (t) => {
  const hub = await restHub(t)
  const fatou = await mobileUser(hub)
  const moussa = await mobileUser(hub)
  const bind = (as: SignedIn | undefined, accountNo: unknown) => call(hub.app, as, { method: 'POST', url: '/api/auth/binding', payload: { accountNo } })

  const bank = await bind(fatou, 'SN012 01001 012345678901 23')
  t.equal(bank.statusCode, 201)
  t.match(bank.json(), { accountNo: 'SN012 01001 012345678901 23', kind: 'bank' })
  t.equal((await bind(fatou, 'SN012 01001 012345678901 23')).statusCode, 200, 'linking again changes nothing')
  const taken = await bind(moussa, 'SN012 01001 012345678901 23')
  t.equal(taken.statusCode, 409)
  t.equal(errorOf(taken).code, 'ACCOUNT_LINKED')

  const wallet = await fundedWallet(hub.app, hub.operator, fatou, 'XOF', '0')
  t.match((await bind(fatou, wallet)).json(), { kind: 'wallet' })
  const theirs = await fundedWallet(hub.app, hub.operator, moussa, 'EUR', '0')
  t.equal((await bind(fatou, theirs)).statusCode, 403, 'another user’s wallet')
  t.equal((await bind(fatou, 'external:XOF')).statusCode, 400, 'system account names are no account numbers')
  t.equal((await bind(undefined, 'X1')).statusCode, 401)
  t.equal((await bind(hub.operator, 'X2')).statusCode, 403, 'mobile binding is for customers')
  t.equal((await bind(hub.owner, 'X2')).statusCode, 201, 'an owner is a customer too: roles add up')
  t.equal((await bind(fatou, '')).statusCode, 400)
  t.equal((await bind(fatou, 12345)).statusCode, 400)
  t.equal((await bind(fatou, 'A'.repeat(65))).statusCode, 400)
  t.equal((await bind(fatou, 'A'.repeat(9000))).statusCode, 413)
})
