import t from 'tap'
import { errorOf, login, testHub } from '../http/fixtures'
import { MANUAL_NOTIFY, outbox, provePhone } from '../users/fixtures'
import { oversizedBody } from './fixtures'

const SIGN_UP = { fullName: 'Awa Diop', email: 'Awa@Example.com', password: 'mango tree 2025', phone: '+221771234567' }

function signUp(app: Awaited<ReturnType<typeof testHub>>['app'], payload: object) {
  return app.inject({ method: 'POST', url: '/users/sign-up', payload })
}

t.test('signing up creates a customer who can log in, and the reply carries no password hash', async (t) => {
  const { app, context, clock } = await testHub(t)
  const response = await signUp(app, SIGN_UP)
  t.equal(response.statusCode, 201)
  const user = response.json()
  t.same(Object.keys(user).sort(), [
    'createdAt', 'email', 'emailVerified', 'fullName', 'id', 'phone', 'phonePending', 'phoneVerified', 'role', 'roles',
  ])
  t.match(user, {
    email: 'awa@example.com', emailVerified: false, phone: null, phonePending: '+221771234567', phoneVerified: false, fullName: 'Awa Diop',
    roles: ['customer'], role: 'customer', createdAt: new Date(clock.now_ms()).toISOString(),
  })
  t.notMatch(response.body, /scrypt|password/i)
  const stored = context.db.prepare('SELECT password_hash FROM users WHERE id = ?').get(user.id) as Record<string, string>
  t.match(stored.password_hash, /^\$scrypt\$/, 'the password is stored hashed')
  t.same(context.db.prepare('SELECT role FROM user_roles WHERE user_id = ?').all(user.id), [{ role: 'customer' }])
  const loggedIn = await login(app, 'awa@example.com', SIGN_UP.password)
  t.equal(loggedIn.statusCode, 200)
  t.equal(loggedIn.json().user.id, user.id)
})

t.test('a phone is optional; one given is the account’s only once proved with the code sent to it', async (t) => {
  const hub = await testHub(t, { config: { notify: MANUAL_NOTIFY } })
  const { phone: _phone, ...withoutPhone } = SIGN_UP
  const response = await signUp(hub.app, withoutPhone)
  t.equal(response.statusCode, 201)
  t.match(response.json(), { phone: null, phonePending: null, phoneVerified: false })

  const withPhone = await signUp(hub.app, { ...SIGN_UP, email: 'moussa@example.com', phone: '77 123 45 67' })
  t.match(withPhone.json(), { phone: null, phonePending: '+221771234567', phoneVerified: false })
  t.match(outbox(hub, 'phone_code'), [{ channel: 'sms', recipient: '+221771234567', user_id: withPhone.json().id }])
  const session = await login(hub.app, 'moussa@example.com', SIGN_UP.password)
  const proved = await provePhone(hub, { userId: withPhone.json().id, email: 'moussa@example.com', token: session.json().token })
  t.match(proved.json(), { phone: '+221771234567', phonePending: null, phoneVerified: true })
})

t.test('a role in the body is refused: sign-up makes customers only, and nobody', async (t) => {
  const { app, context } = await testHub(t)
  const response = await signUp(app, { ...SIGN_UP, role: 'operator' })
  t.equal(response.statusCode, 400)
  t.equal(errorOf(response).code, 'BAD_REQUEST')
  t.equal((context.db.prepare('SELECT count(*) AS count FROM users').get() as { count: number }).count, 0)
  const customer = await signUp(app, SIGN_UP)
  t.equal(customer.json().role, 'customer')
})

for (const [password, why] of [
  ['short1a', 'fewer than 10 characters'],
  ['onlyletterspassword', 'no digit'],
  ['12345678901234', 'no letter'],
] as const) {
  t.test(`a password with ${why} is a 400 WEAK_PASSWORD and creates nobody`, async (t) => {
    const { app, context } = await testHub(t)
    const response = await signUp(app, { ...SIGN_UP, password })
    t.equal(response.statusCode, 400)
    t.equal(errorOf(response).code, 'WEAK_PASSWORD')
    t.equal((context.db.prepare('SELECT count(*) AS count FROM users').get() as { count: number }).count, 0)
  })
}

t.test('an email already registered, in any case, is a 409 EMAIL_TAKEN', async (t) => {
  const { app } = await testHub(t)
  t.equal((await signUp(app, SIGN_UP)).statusCode, 201)
  const again = await signUp(app, { ...SIGN_UP, email: 'AWA@example.COM', phone: '+221770000000' })
  t.equal(again.statusCode, 409)
  t.equal(errorOf(again).code, 'EMAIL_TAKEN')
})

t.test('a phone someone proved, however it is written, is a 409 PHONE_TAKEN and creates nobody', async (t) => {
  const hub = await testHub(t, { config: { notify: MANUAL_NOTIFY } })
  const first = await signUp(hub.app, SIGN_UP)
  const session = await login(hub.app, 'awa@example.com', SIGN_UP.password)
  t.equal((await provePhone(hub, { userId: first.json().id, email: 'awa@example.com', token: session.json().token })).statusCode, 200)
  for (const phone of ['221771234567', '00221771234567', '771234567', '+221 77 123 45 67']) {
    const again = await signUp(hub.app, { ...SIGN_UP, email: 'other@example.com', phone })
    t.equal(again.statusCode, 409, phone)
    t.equal(errorOf(again).code, 'PHONE_TAKEN')
  }
  t.equal((hub.context.db.prepare('SELECT count(*) AS count FROM users').get() as { count: number }).count, 1)
})

t.test('missing or malformed fields are 400s naming the field', async (t) => {
  const { app } = await testHub(t)
  for (const [payload, field] of [
    [{ email: SIGN_UP.email, password: SIGN_UP.password }, 'fullName'],
    [{ ...SIGN_UP, email: 'not an email' }, 'email'],
    [{ ...SIGN_UP, phone: 'call me' }, 'call me'],
    [{ ...SIGN_UP, fullName: '' }, 'fullName'],
  ] as const) {
    const response = await signUp(app, payload)
    t.equal(response.statusCode, 400, field)
    t.match(errorOf(response).message, field)
  }
})

t.test('a body over the size limit is a 413', async (t) => {
  const { app } = await testHub(t)
  const response = await app.inject({
    method: 'POST', url: '/users/sign-up', headers: { 'content-type': 'application/json' }, payload: oversizedBody(SIGN_UP),
  })
  t.equal(response.statusCode, 413)
  t.equal(errorOf(response).code, 'PAYLOAD_TOO_LARGE')
})
