import t from 'tap'
import { startHub } from '../../../hub/server'
import { testConfig } from './fixtures'

function config(dataDir: string) {
  return testConfig(dataDir, { httpPort: 0, httpHost: '127.0.0.1', mqttPort: 0, mqttHost: '127.0.0.1', logLevel: 'silent' })
}

async function postJson(url: string, body: unknown, token?: string): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token === undefined ? {} : { authorization: `Bearer ${token}` }) },
    body: JSON.stringify(body),
  })
}

t.test('a started hub serves health, docs and login over a real socket', async (t) => {
  const hub = await startHub(config(t.testdir()))
  t.teardown(() => hub.stop())
  t.match(hub.httpUrl, /^http:\/\/127\.0\.0\.1:\d+$/)
  t.equal(hub.docsUrl, `${hub.httpUrl}/docs`)
  t.match(hub.mqttUrl, /^mqtt:\/\/127\.0\.0\.1:\d+$/, 'the embedded broker listens')

  const health = await fetch(`${hub.httpUrl}/health`)
  t.equal(health.status, 200)
  t.match(await health.json(), { status: 'ok' })
  t.equal(health.headers.get('x-frame-options'), 'DENY')
  t.equal((await fetch(`${hub.docsUrl}/json`)).status, 200)

  if (!hub.operator.created || hub.operator.generatedPassword === undefined) throw new Error('expected a generated operator')
  const login = await postJson(`${hub.httpUrl}/users/login`, {
    email: hub.operator.email, password: hub.operator.generatedPassword,
  })
  t.equal(login.status, 200)
  t.match(await login.json(), { user: { role: 'operator' } })
})

t.test('a restarted hub keeps its keys, its JWT secret and its operator', async (t) => {
  const dataDir = t.testdir()
  const first = await startHub(config(dataDir))
  if (!first.operator.created || first.operator.generatedPassword === undefined) throw new Error('expected a generated operator')
  const { email, generatedPassword: password } = first.operator
  const { hubKeys, jwtSecret } = first.context
  await first.stop()

  const second = await startHub(config(dataDir))
  t.teardown(() => second.stop())
  t.same(second.operator, { created: false }, 'no second operator, no new password')
  t.same(second.context.hubKeys, hubKeys)
  t.same(second.context.jwtSecret, jwtSecret, 'tokens issued before the restart stay valid')
  t.equal((await postJson(`${second.httpUrl}/users/login`, { email, password })).status, 200)
  t.same(second.context.db.prepare('SELECT count(*) AS count FROM users').get(), { count: 1 })
})

t.test('stop lets an in-flight request finish, then refuses new connections', async (t) => {
  let inHandler: (() => void) | undefined
  const reachedHandler = new Promise<void>((resolve) => {
    inHandler = resolve
  })
  let started = false
  const hub = await startHub(config(t.testdir()), {
    // Login reads the clock once the password has verified: the request is then inside its handler.
    clock: { nowMs: () => {
      if (started) inHandler?.()
      return Date.now()
    } },
  })
  started = true
  if (!hub.operator.created || hub.operator.generatedPassword === undefined) throw new Error('expected a generated operator')
  const pending = postJson(`${hub.httpUrl}/users/login`, { email: hub.operator.email, password: hub.operator.generatedPassword })
  await reachedHandler
  const stopped = hub.stop()
  t.equal((await pending).status, 200)
  await stopped
  await t.rejects(fetch(`${hub.httpUrl}/health`))
  t.equal(hub.context.db.open, false, 'the database is closed')
  await hub.stop()
})

t.test('a port already taken fails the start and leaves nothing open', async (t) => {
  const first = await startHub(config(t.testdir()))
  t.teardown(() => first.stop())
  const port = Number(new URL(first.httpUrl).port)
  await t.rejects(startHub({ ...config(t.testdir()), httpPort: port }), { code: 'EADDRINUSE' })
})
