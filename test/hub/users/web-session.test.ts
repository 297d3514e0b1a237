import t from 'tap'
import { REFRESH_TOKEN_LIFETIME_MS } from '../../../hub/users/login'
import type { FastifyInstance } from 'fastify'
import { errorOf, testHub } from '../http/fixtures'
import { MANUAL_NOTIFY, PASSWORD, call, mobileUser, restHub, signIn, type RestHub } from './fixtures'

const WEB = { 'x-payall-client': 'web' }

function webLogin(hub: { app: FastifyInstance }, email: string, headers: Record<string, string> = {}) {
  return hub.app.inject({ method: 'POST', url: '/users/login', headers, payload: { email, password: PASSWORD, refreshIn: 'cookie' } })
}

/** The payall_refresh cookie a reply sets: its value and its attributes, as the browser reads them. */
function refreshCookieIn(response: { headers: Record<string, unknown> }): { value: string; attributes: string[] } {
  const header = [response.headers['set-cookie']].flat().find((cookie): cookie is string => typeof cookie === 'string' && cookie.startsWith('payall_refresh='))
  if (header === undefined) throw new Error(`no payall_refresh cookie set: ${JSON.stringify(response.headers['set-cookie'])}`)
  const [pair, ...attributes] = header.split('; ')
  return { value: pair!.slice('payall_refresh='.length), attributes: attributes.sort() }
}

function refreshByCookie(hub: RestHub, cookie: string | undefined, headers: Record<string, string> = WEB) {
  return hub.app.inject({
    method: 'POST', url: '/users/refresh', headers: { ...headers, ...(cookie === undefined ? {} : { cookie: `payall_refresh=${cookie}` }) },
  })
}

t.test('a web login puts the refresh token in an HttpOnly, SameSite=Strict cookie on the refresh path, not in the reply', async (t) => {
  const hub = await restHub(t)
  const response = await webLogin(hub, hub.customer.email)
  t.equal(response.statusCode, 200)
  t.same(Object.keys(response.json()).sort(), ['token', 'user'])
  const cookie = refreshCookieIn(response)
  t.match(cookie.value, /^[A-Za-z0-9_-]{43}$/)
  t.same(cookie.attributes, ['HttpOnly', 'Max-Age=604800', 'Path=/users/refresh', 'SameSite=Strict'])
  t.equal(REFRESH_TOKEN_LIFETIME_MS / 1000, 604_800, 'as long as the refresh token lives')
  const body = await hub.app.inject({ method: 'POST', url: '/users/login', payload: { email: hub.customer.email, password: PASSWORD } })
  t.same(Object.keys(body.json()).sort(), ['refreshToken', 'token', 'user'], 'API clients keep the body form')
  t.equal(body.headers['set-cookie'], undefined)
})

t.test('the cookie is Secure when the request came over https (through a trusted proxy)', async (t) => {
  const hub = await testHub(t, { config: { notify: MANUAL_NOTIFY, trustProxy: ['127.0.0.1'] } })
  const user = await signIn(hub, 'customer')
  const response = await webLogin(hub, user.email, { 'x-forwarded-proto': 'https' })
  t.ok(refreshCookieIn(response).attributes.includes('Secure'))
  t.notOk(refreshCookieIn(await webLogin(hub, user.email)).attributes.includes('Secure'), 'not over plain http')
})

t.test('the web refreshes with the cookie and the header: a new access token, and a fresh cookie; the old one is dead', async (t) => {
  const hub = await restHub(t)
  const first = refreshCookieIn(await webLogin(hub, hub.customer.email)).value
  const refreshed = await refreshByCookie(hub, first)
  t.equal(refreshed.statusCode, 200)
  t.same(Object.keys(refreshed.json()).sort(), ['token', 'user'])
  const second = refreshCookieIn(refreshed).value
  t.not(second, first, 'the refresh token rotates')
  t.equal((await call(hub.app, { ...hub.customer, token: refreshed.json().token }, { method: 'GET', url: '/accounts' })).statusCode, 200)

  const replayed = await refreshByCookie(hub, first)
  t.equal(replayed.statusCode, 401)
  t.same(refreshCookieIn(replayed), {
    value: '', attributes: ['Expires=Thu, 01 Jan 1970 00:00:00 GMT', 'HttpOnly', 'Max-Age=0', 'Path=/users/refresh', 'SameSite=Strict'],
  }, 'the dead cookie is cleared')
  t.equal((await refreshByCookie(hub, second)).statusCode, 401, 'a replay ends every session, as with the body form')
  t.equal((await refreshByCookie(hub, 'x'.repeat(43))).statusCode, 401, 'an unknown token')
})

t.test('a cookie without the X-PayAll-Client header is refused 403 CSRF_HEADER_MISSING, and stays usable', async (t) => {
  const hub = await restHub(t)
  const cookie = refreshCookieIn(await webLogin(hub, hub.customer.email)).value
  for (const headers of [{}, { 'x-payall-client': 'mobile' }] as Array<Record<string, string>>) {
    const refused = await refreshByCookie(hub, cookie, headers)
    t.equal(refused.statusCode, 403)
    t.equal(errorOf(refused).code, 'CSRF_HEADER_MISSING')
  }
  t.equal((await refreshByCookie(hub, cookie)).statusCode, 200, 'the refused requests used nothing up')
})

t.test('without a cookie: 204 (nobody signed in) to the web, 400 to a client that sent no refresh token', async (t) => {
  const hub = await restHub(t)
  const web = await refreshByCookie(hub, undefined)
  t.equal(web.statusCode, 204)
  t.equal(web.body, '', 'no session, no token')
  t.equal(web.headers['set-cookie'], undefined, 'no cookie set')
  t.equal((await refreshByCookie(hub, undefined, {})).statusCode, 400)
  t.equal((await hub.app.inject({ method: 'POST', url: '/users/refresh', payload: {} })).statusCode, 400)
})

t.test('a refresh token in the body is used as today, cookie or not', async (t) => {
  const hub = await restHub(t)
  const cookie = refreshCookieIn(await webLogin(hub, hub.customer.email)).value
  const session = (await hub.app.inject({ method: 'POST', url: '/users/login', payload: { email: hub.customer.email, password: PASSWORD } })).json()
  const refreshed = await hub.app.inject({
    method: 'POST', url: '/users/refresh', headers: { cookie: `payall_refresh=${cookie}` }, payload: { refreshToken: session.refreshToken },
  })
  t.equal(refreshed.statusCode, 200)
  t.same(Object.keys(refreshed.json()).sort(), ['refreshToken', 'token', 'user'])
  t.equal(refreshed.headers['set-cookie'], undefined, 'the cookie is left alone')
  t.equal((await refreshByCookie(hub, cookie)).statusCode, 200)
})

t.test('web logout, with the header, ends the access token and the cookie’s refresh token and clears the cookie', async (t) => {
  const hub = await restHub(t)
  const login = await webLogin(hub, hub.customer.email)
  const cookie = refreshCookieIn(login).value
  const token = login.json().token as string
  const logout = (headers: Record<string, string>) => hub.app.inject({
    method: 'POST', url: '/users/refresh/logout', headers: { cookie: `payall_refresh=${cookie}`, ...headers },
  })
  t.equal((await logout(WEB)).statusCode, 401, 'a bearer token first')
  const withoutHeader = await logout({ authorization: `Bearer ${token}` })
  t.equal(withoutHeader.statusCode, 403)
  t.equal(errorOf(withoutHeader).code, 'CSRF_HEADER_MISSING')

  const done = await logout({ ...WEB, authorization: `Bearer ${token}` })
  t.equal(done.statusCode, 204)
  t.equal(refreshCookieIn(done).value, '', 'cleared')
  t.equal((await call(hub.app, { ...hub.customer, token }, { method: 'GET', url: '/accounts' })).statusCode, 401, 'the access token is dead')
  t.equal((await refreshByCookie(hub, cookie)).statusCode, 401, 'so is the refresh token')
})

t.test('/users/login takes a phone instead of an email, in any form the hub reads, but never both nor neither', async (t) => {
  const hub = await restHub(t)
  const fatou = await mobileUser(hub, { phone: '+221775550177' })
  const byPhone = await hub.app.inject({ method: 'POST', url: '/users/login', payload: { phone: '77 555 01 77', password: PASSWORD } })
  t.equal(byPhone.statusCode, 200)
  t.equal(byPhone.json().user.id, fatou.userId)
  const cookie = await hub.app.inject({
    method: 'POST', url: '/users/login', payload: { phone: '+221775550177', password: PASSWORD, refreshIn: 'cookie' },
  })
  t.match(refreshCookieIn(cookie).value, /^[A-Za-z0-9_-]{43}$/)
  const wrong = await hub.app.inject({ method: 'POST', url: '/users/login', payload: { phone: '+221775550177', password: 'not it 12345' } })
  t.same(errorOf(wrong), { code: 'UNAUTHORIZED', message: 'wrong phone or password' })
  for (const payload of [
    { email: hub.customer.email, phone: '+221775550177', password: PASSWORD },
    { password: PASSWORD },
    { email: hub.customer.email, password: PASSWORD, refreshIn: 'header' },
  ]) {
    const refused = await hub.app.inject({ method: 'POST', url: '/users/login', payload })
    t.equal(refused.statusCode, 400, JSON.stringify(payload))
  }
  t.equal(errorOf(await hub.app.inject({ method: 'POST', url: '/users/login', payload: { phone: 'not a phone', password: PASSWORD } })).code, 'BAD_PHONE')
})
