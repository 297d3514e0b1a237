import t from 'tap'
import { testHub } from '../http/fixtures'

// [path, method, needs a token]
const ROUTES: Array<[string, string, boolean]> = [
  ['/users/refresh', 'post', false],
  ['/users/reset-password-init', 'post', false],
  ['/users/reset-password-finish', 'post', false],
  ['/users/dashboard-infos', 'get', true],
  ['/users/update-account', 'patch', true],
  ['/users/verify-phone-init', 'post', true],
  ['/users/verify-phone-finish', 'post', true],
  ['/users/update-document', 'patch', true],
  ['/users/update-password', 'patch', true],
  ['/users/documents', 'get', true],
  ['/users/{id}/documents', 'get', true],
  ['/users/{id}/documents/{docId}/file', 'get', true],
  ['/users/{id}/documents/{docId}/approve', 'post', true],
  ['/users/{id}/documents/{docId}/reject', 'post', true],
  ['/orders', 'post', true],
  ['/orders', 'get', true],
  ['/orders/{id}', 'get', true],
  ['/orders/{id}/validate', 'get', true],
  ['/orders/{id}/validate', 'post', true],
  ['/orders/{id}/reject', 'get', true],
  ['/orders/{id}/reject', 'post', true],
  ['/transactions', 'post', true],
  ['/user/transactions', 'get', true],
  ['/transactions/{gatewayId}/gateway', 'get', true],
  ['/api/auth/register', 'post', false],
  ['/api/auth/register/confirm', 'post', false],
  ['/api/auth/register/resend', 'post', false],
  ['/api/auth/login', 'post', false],
  ['/api/auth/logout', 'post', true],
  ['/api/auth/binding', 'post', true],
  ['/api/auth/device/pay', 'post', true],
  ['/api/auth/device/pay/confirm', 'post', true],
  ['/api/auth/device/balance/{imei}', 'get', true],
  ['/api/auth/device/balancecheck', 'post', true],
  ['/api/auth/device/transaction', 'get', true],
]

t.test('the OpenAPI document describes every route of the REST API, with bearer auth where it needs a token', async (t) => {
  const { app } = await testHub(t)
  const response = await app.inject({ method: 'GET', url: '/docs/json' })
  t.equal(response.statusCode, 200)
  const { paths } = response.json()
  for (const [path, method, needsToken] of ROUTES) {
    const operation = paths[path]?.[method]
    t.ok(operation, `${method} ${path} is documented`)
    if (needsToken) t.same(operation?.security, [{ bearerAuth: [] }], `${method} ${path} wants a bearer token`)
    else t.notOk(operation?.security, `${method} ${path} needs no token`)
    const statuses = Object.keys(operation?.responses ?? {})
    t.ok(statuses.some((status) => status.startsWith('2')), `${method} ${path} documents its success`)
    t.ok(statuses.some((status) => status.startsWith('4')), `${method} ${path} documents its refusals`)
  }
  t.ok(paths['/users/update-document'].patch.requestBody.content['multipart/form-data'], 'the upload is multipart')
  t.ok(paths['/api/auth/login'].post.responses['429'], 'rate limiting is documented')
})
