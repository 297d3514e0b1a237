import t from 'tap'
import { sha256, toHex } from '../../../protocol/bytes'
import { ACCESS_TOKEN_LIFETIME_MS } from '../../../hub/http/auth'
import { REFRESH_TOKEN_LIFETIME_MS } from '../../../hub/users/login'
import { errorOf, login } from '../http/fixtures'
import { PASSWORD, call, restHub } from './fixtures'

async function sessionOf(hub: Awaited<ReturnType<typeof restHub>>, email: string) {
  const response = await login(hub.app, email, PASSWORD)
  return response.json() as { token: string; refreshToken: string; user: { id: string; role: string } }
}

function refresh(hub: Awaited<ReturnType<typeof restHub>>, refreshToken: unknown) {
  return hub.app.inject({ method: 'POST', url: '/users/refresh', payload: { refreshToken } })
}

t.test('a refresh token buys a new pair once; the old one is dead afterwards', async (t) => {
  const hub = await restHub(t)
  const first = await sessionOf(hub, hub.customer.email)
  const refreshed = await refresh(hub, first.refreshToken)
  t.equal(refreshed.statusCode, 200)
  const second = refreshed.json()
  t.same(Object.keys(second).sort(), ['refreshToken', 'token', 'user'])
  t.not(second.refreshToken, first.refreshToken, 'the refresh token rotates')
  t.equal(second.user.id, hub.customer.userId)
  t.equal((await call(hub.app, { ...hub.customer, token: second.token }, { method: 'GET', url: '/accounts' })).statusCode, 200)

  const again = await refresh(hub, first.refreshToken)
  t.equal(again.statusCode, 401)
  t.equal(errorOf(again).code, 'UNAUTHORIZED')
  const stored = hub.context.db.prepare('SELECT token_sha256 FROM refresh_tokens').all() as Array<{ token_sha256: string }>
  t.ok(stored.some((row) => row.token_sha256 === toHex(sha256(Buffer.from(second.refreshToken)))), 'stored as a hash')
  t.notOk(stored.some((row) => row.token_sha256 === second.refreshToken), 'never in the clear')
})

t.test('a used refresh token coming back ends every session of its user, the thief’s and the owner’s', async (t) => {
  const hub = await restHub(t)
  const stolen = await sessionOf(hub, hub.customer.email)
  const owner = (await refresh(hub, stolen.refreshToken)).json()
  t.equal((await refresh(hub, stolen.refreshToken)).statusCode, 401, 'the replay is refused')
  t.equal((await refresh(hub, owner.refreshToken)).statusCode, 401, 'and the live refresh token died with it')
  const withAccessToken = await call(hub.app, { ...hub.customer, token: owner.token }, { method: 'GET', url: '/accounts' })
  t.equal(withAccessToken.statusCode, 401, 'so did the access tokens')
  t.equal((await login(hub.app, hub.customer.email, PASSWORD)).statusCode, 200, 'the password still logs in')
})

t.test('an expired refresh token and an unknown one are refused alike', async (t) => {
  const hub = await restHub(t)
  const session = await sessionOf(hub, hub.customer.email)
  t.equal((await refresh(hub, 'x'.repeat(43))).statusCode, 401)
  hub.clock.advance(REFRESH_TOKEN_LIFETIME_MS)
  const expired = await refresh(hub, session.refreshToken)
  t.equal(expired.statusCode, 401)
  t.match(errorOf(expired).message, /expired/)
})

t.test('refresh answers a missing, mistyped or oversized token with 400 and an oversized body with 413', async (t) => {
  const hub = await restHub(t)
  t.equal((await hub.app.inject({ method: 'POST', url: '/users/refresh', payload: {} })).statusCode, 400)
  t.equal((await refresh(hub, 12345)).statusCode, 400)
  t.equal((await refresh(hub, 'x'.repeat(257))).statusCode, 400)
  t.equal((await hub.app.inject({ method: 'POST', url: '/users/refresh', payload: { refreshToken: 'a', extra: 1 } })).statusCode, 400)
  const huge = await hub.app.inject({
    method: 'POST', url: '/users/refresh', headers: { 'content-type': 'application/json' },
    payload: JSON.stringify({ refreshToken: 'y'.repeat(20_000) }),
  })
  t.equal(huge.statusCode, 413)
  t.equal(errorOf(huge).code, 'PAYLOAD_TOO_LARGE')
})

t.test('a refreshed access token carries the roles the user has now', async (t) => {
  const hub = await restHub(t)
  const session = await sessionOf(hub, hub.customer.email)
  await hub.services.users.addRole(hub.customer.userId, 'owner', hub.clock.now_ms())
  const refreshed = (await refresh(hub, session.refreshToken)).json()
  t.equal(refreshed.user.role, 'owner')
  t.same(refreshed.user.roles, ['owner', 'customer'])
  t.match(hub.app.jwt.decode<{ role: string }>(refreshed.token), { role: 'owner', roles: ['owner', 'customer'] })
})

t.test('access tokens still expire after 24 h whatever the refresh token does', async (t) => {
  const hub = await restHub(t)
  hub.clock.advance(ACCESS_TOKEN_LIFETIME_MS + 1000)
  t.equal((await call(hub.app, hub.customer, { method: 'GET', url: '/accounts' })).statusCode, 401)
})
