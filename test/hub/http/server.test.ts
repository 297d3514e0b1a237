import t from 'tap'
import { existsSync } from 'node:fs'
import { connect, type Socket } from 'node:net'
import { systemClock } from '../../../protocol/clock'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { ConfigError, type HubConfig } from '../../../hub/config'
import { DATABASE_FILE, startHub, type HubStartStep } from '../../../hub/server'
import { lockDataDir } from '../../../protocol/data-dir-lock'
import { freePort } from '../../../simulator/anvil'
import { databaseIsFree, portIsFree, workerThreads } from '../../helpers/leaks'
import { CHIRPSTACK_APPLICATION, LNS_CREDENTIALS, startTestNetworkServer } from '../lora/network-server'
import { HUB_CREDENTIALS, startTestBroker } from '../mqtt/fixtures'
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
  t.same(second.operator, { created: false, passwordIgnored: false }, 'no second operator, no new password')
  t.same(second.context.hubKeys, hubKeys)
  t.same(second.context.jwtSecret, jwtSecret, 'tokens issued before the restart stay valid')
  t.equal((await postJson(`${second.httpUrl}/users/login`, { email, password })).status, 200)
  t.same(second.context.db!.prepare('SELECT count(*) AS count FROM users').get(), { count: 1 })
})

t.test('stop lets an in-flight request finish, then refuses new connections', async (t) => {
  let inHandler: (() => void) | undefined
  const reachedHandler = new Promise<void>((resolve) => {
    inHandler = resolve
  })
  let started = false
  const hub = await startHub(config(t.testdir()), {
    // Login reads the clock once the password has verified: the request is then inside its handler.
    clock: { ...systemClock, now_ms: () => {
      if (started) inHandler?.()
      return systemClock.now_ms()
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
  t.equal(hub.context.db!.open, false, 'the database is closed')
  await hub.stop()
})

t.test('a port already taken fails the start and leaves nothing open', async (t) => {
  const first = await startHub(config(t.testdir()))
  t.teardown(() => first.stop())
  const port = Number(new URL(first.httpUrl).port)
  await t.rejects(startHub({ ...config(t.testdir()), httpPort: port }), { code: 'EADDRINUSE' })
})

async function until(condition: () => boolean): Promise<void> {
  // Bounded: a disconnect over loopback reaches the broker within a few turns of the event loop.
  for (let turn = 0; turn < 1_000 && !condition(); turn++) await new Promise(resolve => setImmediate(resolve))
  if (!condition()) throw new Error('condition not reached')
}

/** Starts a hub that fails as step `failing` begins: what reached the caller, and the fault thrown there. */
async function failedStart(config: HubConfig, failing: HubStartStep): Promise<{ error: unknown; fault: Error }> {
  const fault = new Error(`the start failed at ${failing}`)
  const error = await startHub(config, {
    beforeStep: step => {
      if (step === failing) throw fault
    },
  }).then(hub => hub.stop(), (caught: unknown) => caught)
  return { error, fault }
}

t.test('a start that fails at any step closes what the steps before opened, and the caller gets the error', async (t) => {
  const lns = await startTestNetworkServer()
  t.teardown(() => lns.close())
  const dataDir = t.testdir()
  const ports = { httpPort: await freePort(), mqttPort: await freePort(), metricsPort: await freePort() }
  const withEverything: HubConfig = {
    ...config(dataDir), ...ports, loraMqttUrl: lns.broker.url, loraApplication: CHIRPSTACK_APPLICATION,
    loraUsername: LNS_CREDENTIALS.username, loraPassword: LNS_CREDENTIALS.password,
  }
  const steps: HubStartStep[] = []
  const hub = await startHub(withEverything, { beforeStep: step => { steps.push(step) } })
  await hub.lora!.connected()
  await hub.stop()
  t.same(steps, ['http', 'metrics', 'mqtt', 'broker', 'hub-client', 'subscribe', 'revocations', 'configs', 'update-key', 'lora', 'anchoring'])
  const workers = workerThreads()

  for (const failing of steps) {
    const { error, fault } = await failedStart(withEverything, failing)
    t.equal(error, fault, `${failing}: the error reaches the caller`)
    for (const [name, port] of Object.entries(ports)) t.ok(await portIsFree(port), `${failing}: ${name} is free again`)
    t.ok(databaseIsFree(join(dataDir, DATABASE_FILE)), `${failing}: the database is closed, its checkpointer too`)
    t.doesNotThrow(() => lockDataDir(dataDir).release(), `${failing}: the data folder is unlocked`)
    t.equal(workerThreads(), workers, `${failing}: the verifiers' worker threads are gone`)
    await until(() => lns.clientsConnected() === 1)
    t.pass(`${failing}: the LoRa client is gone from the network server`)
  }
})

t.test('a start that fails once the hub client is connected to an external broker closes the client', async (t) => {
  const { broker } = await startTestBroker()
  t.teardown(() => broker.close())
  const { username, password } = HUB_CREDENTIALS
  const external = { ...config(t.testdir()), mqttUrl: `mqtt://${username}:${encodeURIComponent(password)}@127.0.0.1:${broker.port}` }
  for (const failing of ['subscribe', 'revocations', 'configs', 'update-key', 'anchoring'] as const) {
    const { error, fault } = await failedStart(external, failing)
    t.equal(error, fault, `${failing}: the error reaches the caller`)
    await until(() => broker.aedes.connectedClients === 0)
    t.pass(`${failing}: the hub client is gone from the broker`)
  }
})

/** A raw TCP connection to the hub: what it received, and a promise settled when the hub closes it. */
function rawConnection(url: string) {
  const { hostname, port } = new URL(url)
  const socket = connect({ host: hostname, port: Number(port) })
  let received = ''
  socket.setEncoding('utf8')
  socket.on('data', (chunk: string) => {
    received += chunk
  })
  // A connection the hub refuses or cuts off may end in a reset: what matters is that it ends.
  socket.on('error', () => {})
  const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()))
  const connected = new Promise<void>((resolve) => socket.on('connect', () => resolve()))
  return { socket, connected, closed, received: () => received }
}

/** Writes `byte` every `everyMs` until the socket closes, so the connection is never idle while it stays incomplete. */
function trickle(socket: Socket, byte: string, every_ms: number): void {
  const timer = setInterval(() => {
    if (!socket.destroyed) socket.write(byte)
  }, every_ms)
  socket.on('close', () => clearInterval(timer))
}

function quickTimeouts(dataDir: string, overrides: Partial<HubConfig> = {}): HubConfig {
  return {
    ...config(dataDir),
    httpHeadersTimeout_ms: 300,
    httpRequestTimeout_ms: 600,
    // Far longer than the test: an idle-connection timeout must not be what cuts the slow clients off.
    httpConnectionTimeout_ms: 3_600_000,
    ...overrides,
  }
}

t.test('a request body that trickles in (slow loris) is cut off with 408 in the one error shape, then closed', async (t) => {
  const hub = await startHub(quickTimeouts(t.testdir()))
  t.teardown(() => hub.stop())
  const loris = rawConnection(hub.httpUrl)
  await loris.connected
  loris.socket.write('POST /users/login HTTP/1.1\r\nHost: hub\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{')
  trickle(loris.socket, ' ', 50)
  await loris.closed
  t.match(loris.received(), /^HTTP\/1\.1 408 Request Timeout\r\n/)
  t.same(JSON.parse(loris.received().split('\r\n\r\n')[1]!), {
    error: { code: 'REQUEST_TIMEOUT', message: 'the request did not arrive in time; the connection is closed' },
  })
})

t.test('headers that trickle in are cut off with 408', async (t) => {
  const hub = await startHub(quickTimeouts(t.testdir()))
  t.teardown(() => hub.stop())
  const loris = rawConnection(hub.httpUrl)
  await loris.connected
  loris.socket.write('GET /health HTTP/1.1\r\nHost: hub\r\n')
  trickle(loris.socket, 'X-Slow: a\r\n', 50)
  await loris.closed
  t.match(loris.received(), /^HTTP\/1\.1 408 /)
})

t.test('connections past the cap are closed unanswered, while those within it are served', async (t) => {
  const hub = await startHub(quickTimeouts(t.testdir(), { httpConnectionsMax: 3, httpHeadersTimeout_ms: 3_600_000, httpRequestTimeout_ms: 3_600_000 }))
  t.teardown(() => hub.stop())
  const held = [rawConnection(hub.httpUrl), rawConnection(hub.httpUrl), rawConnection(hub.httpUrl)]
  await Promise.all(held.map((connection) => connection.connected))
  const refused = rawConnection(hub.httpUrl)
  refused.socket.write('GET /health HTTP/1.1\r\nHost: hub\r\n\r\n')
  await refused.closed
  t.equal(refused.received(), '', 'no answer past the cap')

  const [first] = held
  first!.socket.write('GET /health HTTP/1.1\r\nHost: hub\r\nConnection: close\r\n\r\n')
  await first!.closed
  t.match(first!.received(), /^HTTP\/1\.1 200 OK\r\n/, 'a connection within the cap is served')
  for (const connection of held) connection.socket.destroy()
})

t.test('an idle keep-alive connection is closed after the keep-alive timeout', async (t) => {
  const hub = await startHub(quickTimeouts(t.testdir(), { httpKeepAliveTimeout_ms: 200 }))
  t.teardown(() => hub.stop())
  const client = rawConnection(hub.httpUrl)
  client.socket.write('GET /health HTTP/1.1\r\nHost: hub\r\n\r\n')
  await client.closed
  t.match(client.received(), /^HTTP\/1\.1 200 OK\r\n/)
  t.notMatch(client.received(), /\r\nConnection: close\r\n/i, 'the hub offered to keep it open, and closed it once idle')
})

t.test('a request that is not HTTP gets 400 in the one error shape, then the connection closes', async (t) => {
  const hub = await startHub(config(t.testdir()))
  t.teardown(() => hub.stop())
  const client = rawConnection(hub.httpUrl)
  client.socket.write('NOT AN HTTP REQUEST\r\n\r\n')
  await client.closed
  t.match(client.received(), /^HTTP\/1\.1 400 Bad Request\r\n/)
  t.same(JSON.parse(client.received().split('\r\n\r\n')[1]!), { error: { code: 'BAD_REQUEST', message: 'not a well-formed HTTP request' } })
})

t.test('a configuration built by hand that breaks a rule between options is refused before anything starts', async (t) => {
  const dataDir = join(t.testdir(), 'hub')
  await t.rejects(startHub({ ...config(dataDir), loraMqttUrl: 'mqtt://lns.local' }), {
    name: 'ConfigError', code: 'MISSING_OPTION', field: 'PAYALL_LORA_APPLICATION',
  })
  await t.rejects(startHub({ ...config(dataDir), chainRpcUrl: 'http://127.0.0.1:8545' }), ConfigError)
  t.notOk(existsSync(dataDir), 'no data directory, no database, nothing listening')
})

t.test('a database another process holds locked: a write is refused 503 DATABASE_BUSY with Retry-After, changes nothing, and goes through once it is free', async (t) => {
  const dataDir = t.testdir()
  const hub = await startHub({ ...config(dataDir), databaseBusyTimeout_ms: 50 })
  t.teardown(() => hub.stop())
  const signUp = { fullName: 'Awa Diop', email: 'awa@example.com', password: 'mango tree 2025', phone: '+221771234567' }
  const users = (database: Database.Database) => (database.prepare('SELECT count(*) AS n FROM users').get() as { n: number }).n

  // A backup or an operator's sqlite3 shell, say: it takes the write lock and keeps it.
  const other = new Database(join(dataDir, DATABASE_FILE))
  t.teardown(() => other.close())
  const before = users(other)
  other.exec('BEGIN IMMEDIATE')
  const busy = await postJson(`${hub.httpUrl}/users/sign-up`, signUp)
  t.equal(busy.status, 503)
  t.equal(busy.headers.get('retry-after'), '1')
  t.match(await busy.json(), { error: { code: 'DATABASE_BUSY' } })
  t.equal((await fetch(`${hub.httpUrl}/health`)).status, 200, 'the hub serves on: reads go through a held write lock')
  other.exec('ROLLBACK')
  t.equal(users(other), before, 'nothing of the refused sign-up was written')

  const again = await postJson(`${hub.httpUrl}/users/sign-up`, signUp)
  t.equal(again.status, 201, 'the same request, sent again, goes through')
  t.equal(users(other), before + 1)
})
