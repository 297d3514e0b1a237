import t from 'tap'
import { testHub } from '../http/fixtures'

t.test('the OpenAPI document describes every money route, with bearer auth where it needs a token', async (t) => {
  const { app } = await testHub(t)
  const { paths } = (await app.inject({ method: 'GET', url: '/docs/json' })).json()
  t.same(paths['/users/sign-up'].post.requestBody.content['application/json'].schema.required, ['fullName', 'email', 'password'])
  t.notOk(paths['/users/sign-up'].post.security, 'signing up needs no token')
  for (const [path, method] of [
    ['/users/create-account', 'post'], ['/accounts', 'get'], ['/accounts/{id}', 'get'], ['/ledger/cash-in', 'post'],
    ['/ledger/cash-out', 'post'], ['/ledger/verify', 'get'], ['/revenue', 'get'], ['/fees', 'get'], ['/fees', 'post'],
  ] as const) {
    const operation = paths[path]?.[method]
    t.ok(operation, `${method} ${path} is documented`)
    t.same(operation?.security, [{ bearerAuth: [] }], `${method} ${path} wants a bearer token`)
  }
  t.ok(paths['/ledger/cash-in'].post.responses['409'], 'the conflict reply of cash-in is documented')
})
