import t from 'tap'
import { createSigner } from 'fast-jwt'
import { REQUIRED_CLAIMS, TOKEN_AUDIENCE, TOKEN_ISSUER } from '../../../hub/http/auth'
import { UserStore } from '../../../hub/users/store'
import { addUser, errorOf, login, testHub } from './fixtures'

const PASSWORD = 'a long and good password'

t.test('a token signed with the hub\'s secret is refused 401 when it lacks exp, iat, aud, iss, sub or jti', async (t) => {
  const { app, context, clock } = await testHub(t)
  const id = await addUser(context, { email: 'ops@payall.example', password: PASSWORD, role: 'operator' })
  const key = Buffer.from(context.jwtSecret)
  // The signer adds an iat of its own to a payload without one, unless told not to.
  const signers = { withIat: createSigner({ key, algorithm: 'HS256' }), withoutIat: createSigner({ key, algorithm: 'HS256', noTimestamp: true }) }
  const sign = (claims: Record<string, unknown>) => ('iat' in claims ? signers.withIat : signers.withoutIat)(claims)
  const now_seconds = Math.floor(clock.now_ms() / 1000)
  const complete: Record<string, unknown> = {
    sub: id, role: 'operator', jti: 'hand-made', gen: 0, iss: TOKEN_ISSUER, aud: TOKEN_AUDIENCE, iat: now_seconds, exp: now_seconds + 60,
  }
  const verify = (claims: Record<string, unknown>) =>
    app.inject({ method: 'GET', url: '/ledger/verify', headers: { authorization: `Bearer ${sign(claims)}` } })

  t.equal((await verify(complete)).statusCode, 200, 'the hand-made token with every claim is admitted')
  for (const claim of REQUIRED_CLAIMS) {
    const { [claim]: _left, ...lacking } = complete
    const refused = await verify(lacking)
    t.equal(refused.statusCode, 401, `without ${claim}`)
    t.equal(errorOf(refused).code, 'UNAUTHORIZED', `without ${claim}`)
  }
  t.same([...REQUIRED_CLAIMS].sort(), ['aud', 'exp', 'iat', 'iss', 'jti', 'sub'])
})

t.test('the roles come from the database on every request: a demoted operator loses operator routes at once', async (t) => {
  const { app, context } = await testHub(t)
  const id = await addUser(context, { email: 'ops@payall.example', password: PASSWORD, role: 'operator' })
  await addUser(context, { email: 'other-ops@payall.example', password: PASSWORD, role: 'operator' })
  const headers = { authorization: `Bearer ${(await login(app, 'ops@payall.example', PASSWORD)).json().token}` }
  const verify = () => app.inject({ method: 'GET', url: '/ledger/verify', headers })
  const ownGateways = () => app.inject({ method: 'GET', url: '/owner/gateways', headers })

  t.equal((await verify()).statusCode, 200)
  t.equal((await ownGateways()).statusCode, 403, 'an operator is not an owner')
  const users = new UserStore(context.engine)
  t.ok(await users.addRole(id, 'owner', context.clock.now_ms()))
  t.ok(await users.removeRole(id, 'operator'))

  const refused = await verify()
  t.equal(refused.statusCode, 403, 'the unexpired token no longer opens operator routes')
  t.same(errorOf(refused), { code: 'FORBIDDEN', message: 'this route is for operator; your roles are owner' })
  t.equal((await ownGateways()).statusCode, 200, 'and the new role\'s routes open at once')
})

t.test('a suspended user\'s tokens stop working at once, and login and refresh give them no new session', async (t) => {
  const { app, context, clock } = await testHub(t)
  const id = await addUser(context, { email: 'fatou@phone.example', password: PASSWORD, role: 'customer' })
  const session = (await login(app, 'fatou@phone.example', PASSWORD)).json()
  const headers = { authorization: `Bearer ${session.token}` }
  const devices = () => app.inject({ method: 'GET', url: '/api/auth/device/user', headers })
  t.equal((await devices()).statusCode, 200)

  context.db.prepare('UPDATE users SET suspended_at_ms = ? WHERE id = ?').run(clock.now_ms(), id)
  const refused = await devices()
  t.equal(refused.statusCode, 401)
  t.equal(errorOf(refused).code, 'ACCOUNT_SUSPENDED')
  const relogin = await login(app, 'fatou@phone.example', PASSWORD)
  t.equal(relogin.statusCode, 401)
  t.equal(errorOf(relogin).code, 'ACCOUNT_SUSPENDED')
  const refresh = await app.inject({ method: 'POST', url: '/users/refresh', payload: { refreshToken: session.refreshToken } })
  t.equal(refresh.statusCode, 401)
  t.equal(errorOf(refresh).code, 'ACCOUNT_SUSPENDED')

  context.db.prepare('UPDATE users SET suspended_at_ms = NULL WHERE id = ?').run(id)
  t.equal((await devices()).statusCode, 200, 'reactivated, the token works again until it expires')
  t.equal((await login(app, 'fatou@phone.example', PASSWORD)).statusCode, 200)
})
