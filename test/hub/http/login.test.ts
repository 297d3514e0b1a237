import t from 'tap'
import bcrypt from 'bcryptjs'
import type { FastifyInstance } from 'fastify'
import { sha256, toHex } from '../../../protocol/bytes'
import { requireRole } from '../../../hub/http/auth'
import { BAD_CREDENTIALS_MESSAGE, REFRESH_TOKEN_LIFETIME_MS } from '../../../hub/users/login'
import { addUser, errorOf, login, testHub } from './fixtures'

const EMAIL = 'merchant@shop.example'
const PASSWORD = 'a long and good password'

/** Right issuer, audience and claims, wrong key. */
function foreignToken(app: FastifyInstance): string {
  return app.jwt.sign({ sub: 'someone', role: 'operator', jti: 'foreign' }, { key: 'another secret entirely, 32+ chars' })
}

t.test('a good login returns an access token, a refresh token and the user without its hash', async (t) => {
  const { app, context, clock } = await testHub(t)
  const id = await addUser(context, { email: EMAIL, password: PASSWORD, role: 'owner', fullName: 'Awa Diop' })
  const response = await login(app, 'Merchant@Shop.Example ', PASSWORD)
  t.equal(response.statusCode, 200)
  const body = response.json()
  t.same(Object.keys(body).sort(), ['refreshToken', 'token', 'user'])
  t.same(body.user, {
    id, email: EMAIL, emailVerified: true, phone: null, phoneVerified: false, phonePending: null, fullName: 'Awa Diop',
    roles: ['owner', 'customer'], role: 'owner', createdAt: new Date(clock.now_ms()).toISOString(),
  })
  t.notMatch(response.body, /scrypt|password/i, 'nothing about the password goes out')

  const claims = app.jwt.decode<Record<string, unknown>>(body.token)!
  t.match(claims, { sub: id, role: 'owner', roles: ['owner', 'customer'], iss: 'payall-hub', aud: 'payall', iat: Math.floor(clock.now_ms() / 1000) })
  t.equal((claims.exp as number) - (claims.iat as number), 24 * 60 * 60, 'the access token lasts 24 h')

  const stored = context.db.prepare('SELECT * FROM refresh_tokens').all() as Array<Record<string, unknown>>
  t.equal(stored.length, 1)
  t.equal(stored[0]!.token_sha256, toHex(sha256(Buffer.from(body.refreshToken))), 'only the hash is stored')
  t.equal(stored[0]!.expires_at_ms, clock.now_ms() + REFRESH_TOKEN_LIFETIME_MS)
  t.equal(REFRESH_TOKEN_LIFETIME_MS, 7 * 24 * 60 * 60 * 1000)
})

t.test('a wrong password and an unknown email get the same 401', async (t) => {
  const { app, context } = await testHub(t)
  await addUser(context, { email: EMAIL, password: PASSWORD, role: 'owner' })
  const wrongPassword = await login(app, EMAIL, 'not the password')
  const unknownEmail = await login(app, 'nobody@shop.example', PASSWORD)
  t.equal(wrongPassword.statusCode, 401)
  t.equal(unknownEmail.statusCode, 401)
  t.same(errorOf(wrongPassword), { code: 'UNAUTHORIZED', message: BAD_CREDENTIALS_MESSAGE })
  t.equal(wrongPassword.body, unknownEmail.body)
})

t.test('a login without a password is a 400 naming the field', async (t) => {
  const { app } = await testHub(t)
  const response = await app.inject({ method: 'POST', url: '/users/login', payload: { email: EMAIL } })
  t.equal(response.statusCode, 400)
  t.match(errorOf(response).message, /password/)
})

for (const prefix of ['$2a$', '$2b$', '$2y$']) {
  t.test(`a ${prefix} bcrypt hash from the legacy system logs in, and is rehashed with scrypt`, async (t) => {
    const { app, context } = await testHub(t)
    const legacyHash = prefix + bcrypt.hashSync(PASSWORD, 4).slice(4)
    await addUser(context, { email: EMAIL, passwordHash: legacyHash, role: 'customer' })
    t.equal((await login(app, EMAIL, 'wrong password')).statusCode, 401)
    const response = await login(app, EMAIL, PASSWORD)
    t.equal(response.statusCode, 200)
    const { password_hash: stored } = context.db.prepare('SELECT password_hash FROM users WHERE email = ?').get(EMAIL) as {
      password_hash: string
    }
    t.match(stored, /^\$scrypt\$/)
    t.equal((await login(app, EMAIL, PASSWORD)).statusCode, 200, 'the new hash verifies too')
  })
}

t.test('an access token for the wrong role gets 403 on an operator-only route', async (t) => {
  const { app, context } = await testHub(t, {
    beforeReady: (app) => {
      app.get('/test/operator-only', {
        schema: { security: [{ bearerAuth: [] }], response: { 200: { type: 'object', properties: { sub: { type: 'string' } } } } },
        preValidation: [app.authenticate, requireRole('operator')],
      }, async (request) => ({ sub: request.user.sub }))
    },
  })
  const ownerId = await addUser(context, { email: EMAIL, password: PASSWORD, role: 'owner' })
  const operatorId = await addUser(context, { email: 'ops@payall.example', password: PASSWORD, role: 'operator' })

  const ownerToken = (await login(app, EMAIL, PASSWORD)).json().token
  const refused = await app.inject({ method: 'GET', url: '/test/operator-only', headers: { authorization: `Bearer ${ownerToken}` } })
  t.equal(refused.statusCode, 403)
  t.equal(errorOf(refused).code, 'FORBIDDEN')
  t.not(ownerId, operatorId)

  const operatorToken = (await login(app, 'ops@payall.example', PASSWORD)).json().token
  const admitted = await app.inject({ method: 'GET', url: '/test/operator-only', headers: { authorization: `Bearer ${operatorToken}` } })
  t.equal(admitted.statusCode, 200)
  t.same(admitted.json(), { sub: operatorId })
})

t.test('a missing, malformed, foreign, expired or revoked token gets 401', async (t) => {
  let captured: unknown
  const { app, context, clock } = await testHub(t, {
    beforeReady: (app) => {
      app.get('/test/me', { preValidation: app.authenticate, schema: { security: [{ bearerAuth: [] }], response: { 204: { type: 'null' } } } },
        async (request, reply) => {
          captured = request.user
          return reply.code(204).send()
        })
    },
  })
  await addUser(context, { email: EMAIL, password: PASSWORD, role: 'customer' })
  const token: string = (await login(app, EMAIL, PASSWORD)).json().token
  const call = (authorization?: string) =>
    app.inject({ method: 'GET', url: '/test/me', headers: authorization === undefined ? {} : { authorization } })

  t.equal((await call(`Bearer ${token}`)).statusCode, 204, 'the fresh token is admitted')
  for (const [what, header] of [
    ['no header', undefined],
    ['not a bearer', `Basic ${Buffer.from('a:b').toString('base64')}`],
    ['not a JWT', 'Bearer not.a.jwt'],
    ['signed with another secret', `Bearer ${foreignToken(app)}`],
  ] as const) {
    const response = await call(header)
    t.equal(response.statusCode, 401, what)
    t.equal(errorOf(response).code, 'UNAUTHORIZED', what)
  }

  app.revokeAccessToken(captured as Parameters<typeof app.revokeAccessToken>[0])
  const revoked = await call(`Bearer ${token}`)
  t.equal(revoked.statusCode, 401)
  t.match(errorOf(revoked).message, /revoked/)

  const second: string = (await login(app, EMAIL, PASSWORD)).json().token
  t.equal((await call(`Bearer ${second}`)).statusCode, 204, 'revoking one token leaves the others')
  clock.advance(24 * 60 * 60 * 1000 + 1000)
  const expired = await call(`Bearer ${second}`)
  t.equal(expired.statusCode, 401)
  t.match(errorOf(expired).message, /expired/)
})
