import t from 'tap'
import type { FastifyInstance } from 'fastify'
import { ProtocolError } from '../../../protocol/errors'
import { parseEui } from '../../../protocol/eui'
import { BODY_LIMIT_BYTES } from '../../../hub/app'
import { HttpError, clientErrorToReply, errorReplies, errorToReply } from '../../../hub/http/errors'
import { LedgerError } from '../../../hub/ledger/errors'
import { errorOf, testHub } from './fixtures'

// Routes that fail in each way the handler must map; registered in the test, as a later plugin would be.
function failingRoutes(app: FastifyInstance): void {
  const replies = errorReplies(400, 409, 500)
  app.post('/test/echo', {
    schema: {
      body: {
        type: 'object',
        required: ['amountMinor'],
        properties: { amountMinor: { type: 'integer', minimum: 0 }, note: { type: 'string' } },
      },
      response: { 200: { type: 'object', properties: { ok: { type: 'boolean' } } }, ...replies },
    },
  }, async () => ({ ok: true }))
  app.get('/test/crash', { schema: { response: replies } }, async () => {
    throw new Error('SQLITE_CORRUPT: database disk image is malformed at /srv/secret/path')
  })
  app.get('/test/eui', { schema: { response: replies } }, async () => parseEui('not-an-eui'))
  app.get('/test/funds', { schema: { response: replies } }, async () => {
    throw new LedgerError('INSUFFICIENT_FUNDS', 'wallet w1 has 100, needs 250')
  })
  app.get('/test/teapot', { schema: { response: replies } }, async () => {
    throw new HttpError(409, 'CONFLICT', 'already there')
  })
}

t.test('a body that fails its schema is a 400 BAD_REQUEST naming the field', async (t) => {
  const { app } = await testHub(t, { beforeReady: failingRoutes })
  const missing = await app.inject({ method: 'POST', url: '/test/echo', payload: { note: 'x' } })
  t.equal(missing.statusCode, 400)
  t.equal(errorOf(missing).code, 'BAD_REQUEST')
  t.match(errorOf(missing).message, /amountMinor/)

  const wrongType = await app.inject({ method: 'POST', url: '/test/echo', payload: { amountMinor: -5 } })
  t.equal(wrongType.statusCode, 400)
  t.match(errorOf(wrongType).message, /amountMinor/)
})

t.test('a body that is not JSON is a 400 BAD_REQUEST', async (t) => {
  const { app } = await testHub(t, { beforeReady: failingRoutes })
  const response = await app.inject({
    method: 'POST', url: '/test/echo', headers: { 'content-type': 'application/json' }, payload: '{"amountMinor": ',
  })
  t.equal(response.statusCode, 400)
  t.equal(errorOf(response).code, 'BAD_REQUEST')
})

t.test('a body over the limit is a 413 PAYLOAD_TOO_LARGE', async (t) => {
  const { app } = await testHub(t, { beforeReady: failingRoutes })
  const response = await app.inject({
    method: 'POST',
    url: '/test/echo',
    headers: { 'content-type': 'application/json' },
    payload: JSON.stringify({ amountMinor: 1, note: 'x'.repeat(BODY_LIMIT_BYTES) }),
  })
  t.equal(response.statusCode, 413)
  t.equal(errorOf(response).code, 'PAYLOAD_TOO_LARGE')
})

t.test('an unknown route is a 404 NOT_FOUND in the same shape', async (t) => {
  const { app } = await testHub(t)
  const response = await app.inject({ method: 'GET', url: '/no/such/route?x=1' })
  t.equal(response.statusCode, 404)
  t.same(errorOf(response), { code: 'NOT_FOUND', message: 'no route GET /no/such/route' })
})

t.test('an unexpected error is a 500 INTERNAL that leaks nothing, and is logged', async (t) => {
  const { app, log } = await testHub(t, { beforeReady: failingRoutes })
  const response = await app.inject({ method: 'GET', url: '/test/crash' })
  t.equal(response.statusCode, 500)
  const error = errorOf(response)
  t.equal(error.code, 'INTERNAL')
  t.notMatch(response.body, /SQLITE|secret|malformed|stack/)
  const logged = log.lines.find((line) => line.msg === 'request failed')
  t.ok(logged, 'the failure is logged')
  t.match((logged!.err as { message: string }).message, /SQLITE_CORRUPT/)
})

t.test('a ProtocolError is a 400 with its own code', async (t) => {
  const { app } = await testHub(t, { beforeReady: failingRoutes })
  const response = await app.inject({ method: 'GET', url: '/test/eui' })
  t.equal(response.statusCode, 400)
  t.equal(errorOf(response).code, 'BAD_EUI')
})

t.test('a ledger INSUFFICIENT_FUNDS is a 409 with that code', async (t) => {
  const { app } = await testHub(t, { beforeReady: failingRoutes })
  const response = await app.inject({ method: 'GET', url: '/test/funds' })
  t.equal(response.statusCode, 409)
  t.equal(errorOf(response).code, 'INSUFFICIENT_FUNDS')
})

t.test('an HttpError answers with its own status, code and message', async (t) => {
  const { app } = await testHub(t, { beforeReady: failingRoutes })
  const response = await app.inject({ method: 'GET', url: '/test/teapot' })
  t.equal(response.statusCode, 409)
  t.same(errorOf(response), { code: 'CONFLICT', message: 'already there' })
})

t.test('errorToReply maps thrown values without a running app', async (t) => {
  t.same(errorToReply(new ProtocolError('BAD_SIGNATURE', 'nope')), {
    status: 400, body: { error: { code: 'BAD_SIGNATURE', message: 'nope' } },
  })
  t.equal(errorToReply(new LedgerError('UNKNOWN_ACCOUNT', 'a')).status, 404)
  t.equal(errorToReply(new LedgerError('INVALID_TRANSFER', 'a')).status, 400)
  t.same(errorToReply('a thrown string').body.error.code, 'INTERNAL')
  t.same(errorToReply(Object.assign(new Error('boom'), { code: 'ENOENT' })).status, 500)
  t.same(errorToReply(Object.assign(new Error('upstream'), { code: 'FST_X', statusCode: 502 })).status, 500)
})

t.test('errors Node meets before routing get the one error shape, by Node\'s code', async (t) => {
  t.same(clientErrorToReply('ERR_HTTP_REQUEST_TIMEOUT'), {
    status: 408, body: { error: { code: 'REQUEST_TIMEOUT', message: 'the request did not arrive in time; the connection is closed' } },
  })
  t.same(clientErrorToReply('HPE_HEADER_OVERFLOW'), {
    status: 431, body: { error: { code: 'HEADERS_TOO_LARGE', message: 'the request headers are too large' } },
  })
  for (const code of ['HPE_INVALID_METHOD', undefined]) {
    t.same(clientErrorToReply(code), { status: 400, body: { error: { code: 'BAD_REQUEST', message: 'not a well-formed HTTP request' } } })
  }
})
