import t from 'tap'
import { sha256, toHex } from '../../../protocol/bytes'
import { PASSWORD_RESET_LIFETIME_MS, PASSWORD_RESETS_LIVE_MAX } from '../../../hub/users/password-reset'
import { LOGIN_THROTTLE_DEFAULTS } from '../../../hub/users/login-throttle'
import { RESET_ACCEPTED_MESSAGE } from '../../../hub/users/password-routes'
import { errorOf, login } from '../http/fixtures'
import { PASSWORD, call, outbox, restHub, secretIn, type RestHub } from './fixtures'

const NEW_PASSWORD = 'a brand new password 7'

function resetInit(hub: RestHub, email: unknown) {
  return hub.app.inject({ method: 'POST', url: '/users/reset-password-init', payload: { email } })
}

function resetFinish(hub: RestHub, payload: object) {
  return hub.app.inject({ method: 'POST', url: '/users/reset-password-finish', payload })
}

t.test('reset-init answers 202 alike for a known and an unknown email, and mails a token only to the known one', async (t) => {
  const hub = await restHub(t)
  const known = await resetInit(hub, hub.customer.email.toUpperCase())
  const unknown = await resetInit(hub, 'nobody@payall.example')
  t.equal(known.statusCode, 202)
  t.equal(unknown.statusCode, 202)
  t.equal(known.body, unknown.body)
  t.same(known.json(), { message: RESET_ACCEPTED_MESSAGE })

  const messages = outbox(hub, 'password_reset')
  t.equal(messages.length, 1)
  t.match(messages[0], { channel: 'email', recipient: hub.customer.email, status: 'pending', user_id: hub.customer.userId })
  const token = secretIn(hub, 'password_reset')
  const stored = hub.context.db.prepare('SELECT * FROM password_resets').all() as Array<Record<string, unknown>>
  t.equal(stored.length, 1)
  t.equal(stored[0]!.token_sha256, toHex(sha256(Buffer.from(token))), 'only the hash is stored')
  t.equal(stored[0]!.expires_at_ms, hub.clock.now_ms() + PASSWORD_RESET_LIFETIME_MS, 'valid one hour')
})

t.test('reset-finish sets the password, ends every session and uses the token up', async (t) => {
  const hub = await restHub(t)
  const before = (await login(hub.app, hub.customer.email, PASSWORD)).json()
  await resetInit(hub, hub.customer.email)
  const token = secretIn(hub, 'password_reset')

  const finished = await resetFinish(hub, { token, password: NEW_PASSWORD })
  t.equal(finished.statusCode, 204)
  t.equal(finished.body, '')
  t.equal((await login(hub.app, hub.customer.email, PASSWORD)).statusCode, 401, 'the old password is gone')
  t.equal((await login(hub.app, hub.customer.email, NEW_PASSWORD)).statusCode, 200)
  t.equal((await call(hub.app, hub.customer, { method: 'GET', url: '/accounts' })).statusCode, 401, 'access tokens from before are refused')
  const refreshed = await hub.app.inject({ method: 'POST', url: '/users/refresh', payload: { refreshToken: before.refreshToken } })
  t.equal(refreshed.statusCode, 401, 'refresh tokens from before are dead')

  const again = await resetFinish(hub, { token, password: 'yet another password 8' })
  t.equal(again.statusCode, 400)
  t.equal(errorOf(again).code, 'INVALID_RESET_TOKEN', 'single use')
})

t.test('a reset token expires after an hour, and one reset voids the other outstanding tokens', async (t) => {
  const hub = await restHub(t)
  await resetInit(hub, hub.customer.email)
  const first = secretIn(hub, 'password_reset')
  await resetInit(hub, hub.customer.email)
  const second = secretIn(hub, 'password_reset')
  t.equal((await resetFinish(hub, { token: second, password: NEW_PASSWORD })).statusCode, 204)
  t.equal(errorOf(await resetFinish(hub, { token: first, password: NEW_PASSWORD })).code, 'INVALID_RESET_TOKEN')

  await resetInit(hub, hub.customer.email)
  const late = secretIn(hub, 'password_reset')
  hub.clock.advance(PASSWORD_RESET_LIFETIME_MS)
  t.equal(errorOf(await resetFinish(hub, { token: late, password: NEW_PASSWORD })).code, 'INVALID_RESET_TOKEN')
})

t.test('a weak new password is refused without burning the token', async (t) => {
  const hub = await restHub(t)
  await resetInit(hub, hub.customer.email)
  const token = secretIn(hub, 'password_reset')
  const weak = await resetFinish(hub, { token, password: 'short1' })
  t.equal(weak.statusCode, 400)
  t.equal(errorOf(weak).code, 'WEAK_PASSWORD')
  t.equal((await resetFinish(hub, { token, password: NEW_PASSWORD })).statusCode, 204)
})

t.test(`an account gets at most ${PASSWORD_RESETS_LIVE_MAX} live reset tokens; more requests still answer 202`, async (t) => {
  const hub = await restHub(t)
  for (let request = 0; request < PASSWORD_RESETS_LIVE_MAX + 2; request++) t.equal((await resetInit(hub, hub.customer.email)).statusCode, 202)
  t.equal(outbox(hub, 'password_reset').length, PASSWORD_RESETS_LIVE_MAX)
})

t.test('reset routes refuse bad, missing and oversized input', async (t) => {
  const hub = await restHub(t)
  t.equal((await resetInit(hub, undefined)).statusCode, 400)
  t.equal((await resetInit(hub, 42)).statusCode, 400)
  t.equal((await resetInit(hub, `${'a'.repeat(250)}@x.example`)).statusCode, 400)
  t.equal((await resetFinish(hub, { token: 'abc' })).statusCode, 400)
  t.equal((await resetFinish(hub, { password: NEW_PASSWORD })).statusCode, 400)
  t.equal((await resetFinish(hub, { token: 'abc', password: NEW_PASSWORD, role: 'operator' })).statusCode, 400)
  const huge = await hub.app.inject({
    method: 'POST', url: '/users/reset-password-init', headers: { 'content-type': 'application/json' },
    payload: JSON.stringify({ email: 'a@b.example', padding: 'z'.repeat(10_000) }),
  })
  t.equal(huge.statusCode, 413)
  t.equal(outbox(hub).length, 0)
})

t.test('update-password changes the password and ends every session, the caller’s included', async (t) => {
  const hub = await restHub(t)
  const response = await call(hub.app, hub.customer, {
    method: 'PATCH', url: '/users/update-password', payload: { currentPassword: PASSWORD, newPassword: NEW_PASSWORD },
  })
  t.equal(response.statusCode, 204)
  t.equal((await call(hub.app, hub.customer, { method: 'GET', url: '/accounts' })).statusCode, 401)
  t.equal((await login(hub.app, hub.customer.email, PASSWORD)).statusCode, 401)
  t.equal((await login(hub.app, hub.customer.email, NEW_PASSWORD)).statusCode, 200)
  t.equal((await call(hub.app, hub.owner, { method: 'GET', url: '/accounts' })).statusCode, 200, 'other users keep their sessions')
})

t.test('update-password wants the right current password, a strong new one and a token', async (t) => {
  const hub = await restHub(t)
  const wrong = await call(hub.app, hub.customer, {
    method: 'PATCH', url: '/users/update-password', payload: { currentPassword: 'not it at all 1', newPassword: NEW_PASSWORD },
  })
  t.equal(wrong.statusCode, 403)
  t.equal(errorOf(wrong).code, 'WRONG_PASSWORD')
  const weak = await call(hub.app, hub.customer, {
    method: 'PATCH', url: '/users/update-password', payload: { currentPassword: PASSWORD, newPassword: 'password' },
  })
  t.equal(errorOf(weak).code, 'WEAK_PASSWORD')
  const anonymous = await call(hub.app, undefined, {
    method: 'PATCH', url: '/users/update-password', payload: { currentPassword: PASSWORD, newPassword: NEW_PASSWORD },
  })
  t.equal(anonymous.statusCode, 401)
  const missing = await call(hub.app, hub.customer, { method: 'PATCH', url: '/users/update-password', payload: { newPassword: NEW_PASSWORD } })
  t.equal(missing.statusCode, 400)
  const huge = await call(hub.app, hub.customer, {
    method: 'PATCH', url: '/users/update-password', payload: { currentPassword: PASSWORD, newPassword: 'n1'.repeat(6000) },
  })
  t.equal(huge.statusCode, 413)
  t.equal((await login(hub.app, hub.customer.email, PASSWORD)).statusCode, 200, 'nothing changed')
})

t.test('wrong current passwords count as failed logins: the address that made them is slowed down, and only it', async (t) => {
  const hub = await restHub(t)
  const guess = (attempt: number) => call(hub.app, hub.customer, {
    method: 'PATCH', url: '/users/update-password', remoteAddress: '203.0.113.5',
    payload: { currentPassword: `guess number ${attempt}`, newPassword: NEW_PASSWORD },
  })
  for (let attempt = 0; attempt < LOGIN_THROTTLE_DEFAULTS.clientFailuresFree; attempt++) t.equal((await guess(attempt)).statusCode, 403)
  t.equal((await guess(99)).statusCode, 429)
  const sameAddress = await hub.app.inject({
    method: 'POST', url: '/users/login', remoteAddress: '203.0.113.5', payload: { email: hub.customer.email, password: PASSWORD },
  })
  t.equal(sameAddress.statusCode, 429, 'its logins wait too')
  t.equal((await login(hub.app, hub.customer.email, PASSWORD)).statusCode, 200, 'the owner, elsewhere, is not locked out')
})
