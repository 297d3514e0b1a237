import t from 'tap'
import { errorOf } from '../http/fixtures'
import { call, outbox, provePhone, restHub } from './fixtures'

t.test('update-account changes the caller’s own name; a new phone waits, normalised, for the code sent to it', async (t) => {
  const hub = await restHub(t)
  const response = await call(hub.app, hub.customer, {
    method: 'PATCH', url: '/users/update-account', payload: { fullName: '  Awa Diop ', phone: '+221 77 123-45.67' },
  })
  t.equal(response.statusCode, 200)
  t.match(response.json(), {
    id: hub.customer.userId, fullName: 'Awa Diop', phone: null, phonePending: '+221771234567', phoneVerified: false,
    email: hub.customer.email, role: 'customer',
  })
  t.notMatch(response.body, /password|scrypt/i)
  t.match(outbox(hub, 'phone_code'), [{ channel: 'sms', recipient: '+221771234567', user_id: hub.customer.userId }])
  const other = hub.context.db.prepare('SELECT full_name FROM users WHERE id = ?').get(hub.owner.userId) as { full_name: string }
  t.equal(other.full_name, 'Test User', 'nobody else changed')

  const proved = await provePhone(hub, hub.customer)
  t.match(proved.json(), { phone: '+221771234567', phonePending: null, phoneVerified: true })
  const again = await call(hub.app, hub.customer, { method: 'PATCH', url: '/users/update-account', payload: { phone: '771234567' } })
  t.match(again.json(), { phone: '+221771234567', phonePending: null, phoneVerified: true }, 'the proved number, typed another way, is no change')
  t.equal(outbox(hub, 'phone_code').length, 1, 'and sends no code')
})

t.test('update-account refuses a phone that someone else proved with 409, and changes nothing', async (t) => {
  const hub = await restHub(t)
  await provePhone(hub, hub.owner, '+221700000001')
  const taken = await call(hub.app, hub.customer, {
    method: 'PATCH', url: '/users/update-account', payload: { fullName: 'Squatter', phone: '+221 70 000 00 01' },
  })
  t.equal(taken.statusCode, 409)
  t.equal(errorOf(taken).code, 'PHONE_TAKEN')
  const customer = hub.context.db.prepare('SELECT full_name, phone FROM users WHERE id = ?').get(hub.customer.userId)
  t.same(customer, { full_name: 'Test User', phone: null })
  t.equal(outbox(hub, 'phone_code').length, 1, 'no code went to the owner’s number for the squatter')
})

t.test('update-account refuses empty, unknown, malformed and oversized input, and callers without a token', async (t) => {
  const hub = await restHub(t)
  const patch = (payload: object, as = hub.customer) => call(hub.app, as, { method: 'PATCH', url: '/users/update-account', payload })
  t.equal((await patch({})).statusCode, 400, 'nothing to change')
  t.equal((await patch({ role: 'operator' })).statusCode, 400, 'the role is not the caller’s to change')
  t.equal((await patch({ email: 'new@payall.example' })).statusCode, 400)
  for (const phone of ['call me', '+--', '+221 33 820 00 00', '0786365771', '+999123456789']) {
    const refused = await patch({ phone })
    t.equal(refused.statusCode, 400, phone)
    t.equal(errorOf(refused).code, 'BAD_PHONE')
  }
  t.match(errorOf(await patch({ phone: '+221 33 820 00 00' })).message, /fixed-line number: it cannot receive the SMS/)
  t.equal((await patch({ fullName: '   ' })).statusCode, 400)
  t.equal((await patch({ fullName: 'x'.repeat(201) })).statusCode, 400)
  t.equal((await patch({ fullName: 'x'.repeat(9000) })).statusCode, 413)
  t.equal((await call(hub.app, undefined, { method: 'PATCH', url: '/users/update-account', payload: { fullName: 'A' } })).statusCode, 401)
  t.equal(outbox(hub, 'phone_code').length, 0)
})
