import t from 'tap'
import { AUTH_RATE_LIMITS, clockRateLimitStore } from '../../../hub/users/rate-limits'
import { ManualClock } from '../../../protocol/clock'
import { errorOf, START_MS, testHub } from '../http/fixtures'
import { PASSWORD, restHub } from './fixtures'

t.test('the clock store counts fixed windows on the injected clock and forgets the least recently seen key', async (t) => {
  const clock = new ManualClock(START_MS)
  const Store = clockRateLimitStore(clock, 2)
  const store = new Store({})
  const incr = (key: string) => new Promise<{ current: number; ttl: number }>((resolve) => {
    store.incr(key, (_error, result) => resolve(result!), 1000, 5)
  })
  t.same(await incr('a'), { current: 1, ttl: 1000 })
  clock.advance(400)
  t.same(await incr('a'), { current: 2, ttl: 600 })
  clock.advance(600)
  t.same(await incr('a'), { current: 1, ttl: 1000 }, 'a new window')
  await incr('b')
  await incr('c')
  t.same(await incr('a'), { current: 1, ttl: 1000 }, 'a was forgotten when c came, as the third key')
})

t.test('login is limited per client address, good logins included: the next request gets 429 in the one error shape, until the window passes', async (t) => {
  const hub = await restHub(t)
  const { max, windowMs } = AUTH_RATE_LIMITS['POST /users/login']!
  // Good logins: failed ones meet the login throttle long before the rate limit.
  const attempt = (remoteAddress: string) => hub.app.inject({
    method: 'POST', url: '/users/login', remoteAddress, payload: { email: hub.customer.email, password: PASSWORD },
  })
  for (let request = 0; request < max; request++) t.equal((await attempt('203.0.113.7')).statusCode, 200)
  const limited = await attempt('203.0.113.7')
  t.equal(limited.statusCode, 429)
  t.equal(errorOf(limited).code, 'TOO_MANY_REQUESTS')
  t.ok(Number(limited.headers['retry-after']) > 0, 'says when to come back')
  t.equal((await attempt('198.51.100.9')).statusCode, 200, 'another address has its own count')
  hub.clock.advance(windowMs)
  t.equal((await attempt('203.0.113.7')).statusCode, 200, 'a new window')
})

t.test('every auth route of the table is limited; routes outside it are not', async (t) => {
  const hub = await restHub(t)
  const limits = AUTH_RATE_LIMITS['POST /users/reset-password-init']!
  for (let request = 0; request < limits.max; request++) {
    await hub.app.inject({ method: 'POST', url: '/users/reset-password-init', remoteAddress: '192.0.2.1', payload: { email: 'x@y.example' } })
  }
  const limited = await hub.app.inject({
    method: 'POST', url: '/users/reset-password-init', remoteAddress: '192.0.2.1', payload: { email: 'x@y.example' },
  })
  t.equal(limited.statusCode, 429)
  for (let request = 0; request < 100; request++) {
    const health = await hub.app.inject({ method: 'GET', url: '/health', remoteAddress: '192.0.2.1' })
    if (health.statusCode !== 200) t.fail(`health answered ${health.statusCode}`)
  }
  t.pass('health is not limited')
  const routes = Object.keys(AUTH_RATE_LIMITS)
  for (const route of routes) {
    const [method, url] = route.split(' ') as [string, string]
    t.ok(hub.app.hasRoute({ method: method as 'POST', url }), `${route} exists`)
  }
})

t.test('behind a trusted proxy, limits count per forwarded client; an X-Forwarded-For from anyone else is ignored', async (t) => {
  const { app } = await testHub(t, { config: { trustProxy: ['10.0.0.2'] } })
  const { max } = AUTH_RATE_LIMITS['POST /users/reset-password-init']!
  const resetFrom = (remoteAddress: string, forwardedFor: string) => app.inject({
    method: 'POST', url: '/users/reset-password-init', remoteAddress, headers: { 'x-forwarded-for': forwardedFor },
    payload: { email: 'x@y.example' },
  })
  for (let request = 0; request < max; request++) t.equal((await resetFrom('10.0.0.2', '203.0.113.7')).statusCode, 202)
  t.equal((await resetFrom('10.0.0.2', '203.0.113.7')).statusCode, 429, 'the forwarded client is limited')
  t.equal((await resetFrom('10.0.0.2', '198.51.100.9')).statusCode, 202, 'another client behind the same proxy has its own count')

  for (let request = 0; request < max; request++) await resetFrom('192.0.2.50', `192.0.2.${request}`)
  t.equal((await resetFrom('192.0.2.50', '192.0.2.200')).statusCode, 429, 'a client naming itself anew in X-Forwarded-For is still itself')
})
