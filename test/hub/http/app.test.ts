import t from 'tap'
import packageJson from '../../../package.json'
import { API_CONTENT_SECURITY_POLICY } from '../../../hub/http/security-headers'
import { schemaVersionOf } from '../../../hub/store/database'
import { testHub } from './fixtures'

t.test('GET /health reports ok, the schema version of the database and the app version', async (t) => {
  const { app, context } = await testHub(t)
  const response = await app.inject({ method: 'GET', url: '/health' })
  t.equal(response.statusCode, 200)
  t.same(response.json(), { status: 'ok', database: 'sqlite', schemaVersion: schemaVersionOf(context.db), leader: true, appVersion: packageJson.version })
  t.ok(schemaVersionOf(context.db) >= 2, 'the ledger and users migrations have run')
})

t.test('every reply carries the security headers, errors included', async (t) => {
  const { app } = await testHub(t)
  for (const url of ['/health', '/no/such/route']) {
    const response = await app.inject({ method: 'GET', url })
    t.equal(response.headers['x-content-type-options'], 'nosniff', url)
    t.equal(response.headers['x-frame-options'], 'DENY', url)
    t.equal(response.headers['referrer-policy'], 'no-referrer', url)
    t.equal(response.headers['content-security-policy'], API_CONTENT_SECURITY_POLICY, url)
  }
})

t.test('the OpenAPI document at /docs/json describes the routes with their schemas', async (t) => {
  const { app } = await testHub(t)
  const response = await app.inject({ method: 'GET', url: '/docs/json' })
  t.equal(response.statusCode, 200)
  const document = response.json()
  t.match(document.openapi, /^3\./)
  t.equal(document.info.version, packageJson.version)
  t.ok(document.paths['/health'].get, '/health is documented')
  const loginOperation = document.paths['/users/login'].post
  const loginBody = loginOperation.requestBody.content['application/json'].schema
  t.same(loginBody.required, ['password'], 'an email or a phone, with the password')
  t.same(Object.keys(loginBody.properties).sort(), ['email', 'password', 'phone', 'refreshIn'])
  t.ok(loginOperation.responses['401'], 'the 401 reply is documented')
  t.ok(document.components.schemas.ErrorReply, 'the error shape is a named schema')
  t.ok(document.components.securitySchemes.bearerAuth)
})

t.test('Swagger UI at /docs gets a policy that lets it run, without forcing https', async (t) => {
  const { app } = await testHub(t)
  const response = await app.inject({ method: 'GET', url: '/docs' })
  t.equal(response.statusCode, 200)
  t.match(response.headers['content-type'], /text\/html/)
  const policy = String(response.headers['content-security-policy'])
  t.match(policy, /script-src 'self'/)
  t.notMatch(policy, /upgrade-insecure-requests/)
})

t.test('CORS answers only the configured origins', async (t) => {
  const { app } = await testHub(t, { config: { corsOrigins: ['https://dashboard.example'] } })
  const allowed = await app.inject({
    method: 'OPTIONS',
    url: '/users/login',
    headers: { origin: 'https://dashboard.example', 'access-control-request-method': 'POST' },
  })
  t.equal(allowed.statusCode, 204)
  t.equal(allowed.headers['access-control-allow-origin'], 'https://dashboard.example')
  t.match(String(allowed.headers['access-control-allow-headers']), /Authorization/)

  const other = await app.inject({ method: 'GET', url: '/health', headers: { origin: 'https://evil.example' } })
  t.equal(other.headers['access-control-allow-origin'], undefined)
})

t.test('without configured origins no CORS header is sent', async (t) => {
  const { app } = await testHub(t)
  const response = await app.inject({ method: 'GET', url: '/health', headers: { origin: 'https://dashboard.example' } })
  t.equal(response.headers['access-control-allow-origin'], undefined)
})
