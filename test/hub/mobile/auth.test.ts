import t from 'tap'
import { errorOf } from '../http/fixtures'
import { PASSWORD, call, fundedWallet, mobileUser, restHub, type RestHub, type SignedIn } from '../users/fixtures'

function register(hub: RestHub, payload: object) {
  return hub.app.inject({ method: 'POST', url: '/api/auth/register', payload })
}

const FATOU = { name: 'Fatou', surname: 'Ndiaye', phone: '+221 77 555 01 02', password: PASSWORD }

t.test('register creates a customer in the users table, identified by phone, without the hash on the wire', async (t) => {
  const hub = await restHub(t)
  const response = await register(hub, { ...FATOU, email: 'Fatou@Phone.Example' })
  t.equal(response.statusCode, 201)
  t.match(response.json(), { fullName: 'Fatou Ndiaye', phone: '+221775550102', email: 'fatou@phone.example', role: 'customer' })
  t.notMatch(response.body, /scrypt|password/i)
  const row = hub.context.db.prepare('SELECT role, password_hash FROM users WHERE phone = ?').get('+221775550102') as Record<string, string>
  t.match(row, { role: 'customer', password_hash: /^\$scrypt\$/ })
  const web = await hub.app.inject({ method: 'POST', url: '/users/login', payload: { email: 'fatou@phone.example', password: PASSWORD } })
  t.equal(web.statusCode, 200, 'the same user logs in on the web with the email')
})

t.test('register refuses a taken phone or email, a weak password, and bad, missing or oversized fields', async (t) => {
  const hub = await restHub(t)
  t.equal((await register(hub, FATOU)).statusCode, 201)
  const samePhone = await register(hub, { ...FATOU, phone: '+221775550102' })
  t.equal(samePhone.statusCode, 409)
  t.equal(errorOf(samePhone).code, 'PHONE_TAKEN')
  const sameEmail = await register(hub, { ...FATOU, phone: '+221700000000', email: hub.customer.email })
  t.equal(errorOf(sameEmail).code, 'EMAIL_TAKEN')
  t.equal(errorOf(await register(hub, { ...FATOU, phone: '+221700000001', password: 'weakweak' })).code, 'WEAK_PASSWORD')
  t.equal((await register(hub, { ...FATOU, phone: undefined })).statusCode, 400)
  t.equal((await register(hub, { ...FATOU, phone: 'not a phone' })).statusCode, 400)
  t.equal((await register(hub, { ...FATOU, phone: '+221700000002', email: 'nope' })).statusCode, 400)
  t.equal((await register(hub, { ...FATOU, phone: '+221700000003', role: 'operator' })).statusCode, 400)
  t.equal((await register(hub, { ...FATOU, phone: '+221700000004', name: 'N'.repeat(100) })).statusCode, 400)
  t.equal((await register(hub, { ...FATOU, phone: '+221700000005', surname: 'S'.repeat(9000) })).statusCode, 413)
})

t.test('login by phone, typed any way, returns the session; a wrong password or unknown phone gets the same 401', async (t) => {
  const hub = await restHub(t)
  await register(hub, FATOU)
  const login = await hub.app.inject({ method: 'POST', url: '/api/auth/login', payload: { phone: '+221-77-555-0102', password: PASSWORD } })
  t.equal(login.statusCode, 200)
  t.same(Object.keys(login.json()).sort(), ['refreshToken', 'token', 'user'])
  t.equal(login.json().user.phone, '+221775550102')
  const wrong = await hub.app.inject({ method: 'POST', url: '/api/auth/login', payload: { phone: FATOU.phone, password: 'wrong password 1' } })
  const unknown = await hub.app.inject({ method: 'POST', url: '/api/auth/login', payload: { phone: '+221700000009', password: PASSWORD } })
  t.equal(wrong.statusCode, 401)
  t.equal(wrong.body, unknown.body)
  t.equal((await hub.app.inject({ method: 'POST', url: '/api/auth/login', payload: { phone: FATOU.phone } })).statusCode, 400)
  t.equal((await hub.app.inject({ method: 'POST', url: '/api/auth/login', payload: { email: 'x@y.z', password: PASSWORD } })).statusCode, 400)
})

t.test('logout refuses the access token at once, and the refresh token when given', async (t) => {
  const hub = await restHub(t)
  const fatou = await mobileUser(hub.app)
  const other = await mobileUser(hub.app)
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
  const fatou = await mobileUser(hub.app)
  const moussa = await mobileUser(hub.app)
  t.equal((await call(hub.app, fatou, { method: 'POST', url: '/api/auth/logout', payload: { refreshToken: moussa.refreshToken } })).statusCode, 204)
  const refresh = await hub.app.inject({ method: 'POST', url: '/users/refresh', payload: { refreshToken: moussa.refreshToken } })
  t.equal(refresh.statusCode, 200)
  const bare = await mobileUser(hub.app)
  t.equal((await call(hub.app, bare, { method: 'POST', url: '/api/auth/logout' })).statusCode, 204)
  t.equal((await call(hub.app, undefined, { method: 'POST', url: '/api/auth/logout' })).statusCode, 401)
  t.equal((await call(hub.app, moussa, { method: 'POST', url: '/api/auth/logout', payload: { everything: true } })).statusCode, 400)
})

t.test('binding links a bank account number, or the caller’s own wallet, to one user only', async (t) => {
  const hub = await restHub(t)
  const fatou = await mobileUser(hub.app)
  const moussa = await mobileUser(hub.app)
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
  t.equal((await bind(hub.owner, 'X2')).statusCode, 403, 'mobile binding is for customers')
  t.equal((await bind(fatou, '')).statusCode, 400)
  t.equal((await bind(fatou, 12345)).statusCode, 400)
  t.equal((await bind(fatou, 'A'.repeat(65))).statusCode, 400)
  t.equal((await bind(fatou, 'A'.repeat(9000))).statusCode, 413)
})
