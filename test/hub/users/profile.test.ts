import t from 'tap'
import { errorOf } from '../http/fixtures'
import { call, restHub } from './fixtures'

t.test('update-account changes the caller’s own name and phone, normalising the phone', async (t) => {
  const hub = await restHub(t)
  const response = await call(hub.app, hub.customer, {
    method: 'PATCH', url: '/users/update-account', payload: { fullName: '  Awa Diop ', phone: '+221 77 123-45.67' },
  })
  t.equal(response.statusCode, 200)
  t.match(response.json(), { id: hub.customer.userId, fullName: 'Awa Diop', phone: '+221771234567', email: hub.customer.email, role: 'customer' })
  t.notMatch(response.body, /password|scrypt/i)
  const other = hub.context.db.prepare('SELECT full_name FROM users WHERE id = ?').get(hub.owner.userId) as { full_name: string }
  t.equal(other.full_name, 'Test User', 'nobody else changed')
})

t.test('update-account refuses a phone that belongs to someone else with 409', async (t) => {
  const hub = await restHub(t)
  await call(hub.app, hub.owner, { method: 'PATCH', url: '/users/update-account', payload: { phone: '+221700000001' } })
  const taken = await call(hub.app, hub.customer, { method: 'PATCH', url: '/users/update-account', payload: { phone: '+221 70 000 00 01' } })
  t.equal(taken.statusCode, 409)
  t.equal(errorOf(taken).code, 'PHONE_TAKEN')
})

t.test('update-account refuses empty, unknown, malformed and oversized input, and callers without a token', async (t) => {
  const hub = await restHub(t)
  const patch = (payload: object, as = hub.customer) => call(hub.app, as, { method: 'PATCH', url: '/users/update-account', payload })
  t.equal((await patch({})).statusCode, 400, 'nothing to change')
  t.equal((await patch({ role: 'operator' })).statusCode, 400, 'the role is not the caller’s to change')
  t.equal((await patch({ email: 'new@payall.example' })).statusCode, 400)
  t.equal((await patch({ phone: 'call me' })).statusCode, 400)
  t.equal((await patch({ phone: '+--' })).statusCode, 400)
  t.equal((await patch({ fullName: '   ' })).statusCode, 400)
  t.equal((await patch({ fullName: 'x'.repeat(201) })).statusCode, 400)
  t.equal((await patch({ fullName: 'x'.repeat(9000) })).statusCode, 413)
  t.equal((await call(hub.app, undefined, { method: 'PATCH', url: '/users/update-account', payload: { fullName: 'A' } })).statusCode, 401)
})
