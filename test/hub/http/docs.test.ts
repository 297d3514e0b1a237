import t from 'tap'
import { requireRole } from '../../../hub/http/auth'
import { errorOf, testHub } from './fixtures'

const METHODS_WITH_BODY = new Set(['post', 'put', 'patch', 'delete'])

interface Operation {
  security?: unknown
}

t.test('every documented route answers an anonymous request with a bad body 401 exactly when the document says it needs a token', async (t) => {
  const { app } = await testHub(t)
  const document = (await app.inject({ method: 'GET', url: '/docs/json' })).json() as {
    paths: Record<string, Record<string, Operation>>
  }
  let secured = 0
  let open = 0
  for (const [path, operations] of Object.entries(document.paths)) {
    // Any value will do for a path parameter: a route that needs a token must refuse before it looks.
    const url = path.replace(/\{[^}]+\}/g, '1')
    for (const [method, operation] of Object.entries(operations)) {
      const route = `${method.toUpperCase()} ${path}`
      const response = await app.inject({
        method: method.toUpperCase() as 'GET',
        url,
        ...(METHODS_WITH_BODY.has(method) ? { payload: { notAField: ['of', 'any', 'route'] } } : {}),
      })
      if (operation.security === undefined) {
        open++
        t.not(response.statusCode, 401, `${route} declares no security, so it must not ask for a token`)
      } else {
        secured++
        t.same(operation.security, [{ bearerAuth: [] }], `${route} declares bearer security`)
        t.equal(response.statusCode, 401, `${route} refuses an anonymous caller before it reads the body`)
        if (response.statusCode === 401) t.equal(errorOf(response).code, 'UNAUTHORIZED', route)
      }
    }
  }
  t.ok(secured >= 40, `${secured} routes need a token`)
  t.ok(open >= 10, `${open} routes are public`)
})

t.test('a route that checks its token after validation, or whose security does not match its authentication, stops the hub from starting', async (t) => {
  await testHub(t, {
    beforeReady: (app) => {
      const bearer = [{ bearerAuth: [] }]
      const reply = async () => ({})
      t.throws(() => app.post('/late', { schema: { security: bearer }, preHandler: [app.authenticate] }, reply),
        /POST \/late: app.authenticate belongs in onRequest or preValidation/)
      t.throws(() => app.post('/undeclared', { preValidation: [app.authenticate, requireRole('operator')] }, reply),
        /POST \/undeclared: a route declares security in its schema exactly when it runs app.authenticate/)
      t.throws(() => app.get('/unchecked', { schema: { security: bearer } }, reply), /GET \/unchecked: a route declares security/)
      t.doesNotThrow(() => app.post('/early', { schema: { security: bearer }, onRequest: [app.authenticate] }, reply))
      t.doesNotThrow(() => app.get('/public', {}, reply))
    },
  })
})
