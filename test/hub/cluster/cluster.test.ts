// npm run cluster as a developer runs it: the compiled CLI starts a Mosquitto made by broker-setup and two hubs on
// one PostgreSQL database, prints a line per hub and `cluster ready`; one hub leads, the broker lets nobody in
// anonymously, a login at one hub is good at the other; SIGTERM stops everything and leaves nothing running.
// And startCluster, the library the tests that kill hubs reuse: a hub killed with SIGKILL is seen to end.

import t from 'tap'
import { tryConnect } from '../../helpers/mqtt-login'
import { execFileSync, spawn, type ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import { connect, createServer } from 'node:net'
import { join } from 'node:path'
import { startCluster } from '../../../hub/cluster/cluster'
import { Transcript } from '../../helpers/transcript'
import { databaseUrlOf, postgresSkip, testDatabase } from '../../helpers/postgres'
import { requiredProgram } from '../../helpers/required-program'
import { freePort } from '../../../simulator/anvil'

const ROOT = join(__dirname, '..', '..', '..')
const CLI = join(ROOT, 'dist', 'hub', 'cluster', 'cli.js')
const mosquitto = requiredProgram('mosquitto', ['/usr/sbin/mosquitto', '/usr/bin/mosquitto'], 'apt-get install mosquitto; .ci/run does')
const mosquittoCtrl = requiredProgram('mosquitto_ctrl', ['/usr/bin/mosquitto_ctrl', '/usr/sbin/mosquitto_ctrl'], 'apt-get install mosquitto; .ci/run does')
/** The file's top-level test, whose teardown drops the database testDatabase makes once for the file. */
const root = t
const skip = mosquitto.skip || mosquittoCtrl.skip || postgresSkip()

function listening(port: number): Promise<boolean> {
  return new Promise(resolve => {
    const socket = connect({ port, host: '127.0.0.1' })
    socket.once('connect', () => { socket.destroy(); resolve(true) })
    socket.once('error', () => resolve(false))
  })
}

async function free(port: number): Promise<boolean> {
  const server = createServer()
  const ok = await new Promise<boolean>(resolve => {
    server.once('error', () => resolve(false))
    server.listen(port, '127.0.0.1', () => resolve(true))
  })
  if (ok) await new Promise(resolve => server.close(resolve))
  return ok
}

/** A base port with the `count` ports from it free. */
async function freeBasePort(count: number): Promise<number> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const base = await freePort()
    if (base + count > 65_535) continue
    let all = true
    for (let port = base + 1; port < base + count && all; port++) all = await free(port)
    if (all) return base
  }
  throw new Error(`no ${count} free ports in a row`)
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

/** Resolves once `pattern` is in the output; fails, with the output, if the CLI ends first. */
async function shows(output: Transcript, child: ChildProcess, pattern: RegExp): Promise<RegExpExecArray> {
  const ended = new Promise<never>((_, reject) => {
    const fail = () => reject(new Error(`the cluster ended (${child.exitCode}) before ${pattern}:\n${output.text}`))
    if (child.exitCode !== null) fail()
    else child.once('exit', fail)
  })
  await Promise.race([output.next(pattern), ended])
  return pattern.exec(output.text)!
}

function exitOf(child: ChildProcess): Promise<number | null> {
  return new Promise(resolve => {
    if (child.exitCode !== null) resolve(child.exitCode)
    else child.once('exit', code => resolve(code))
  })
}

t.test('npm run cluster: two hubs on one database and a broker without anonymous access, stopped by SIGTERM', { skip }, async t => {
  execFileSync(process.execPath, [join(ROOT, 'scripts', 'build.mjs'), '--if-changed'], { cwd: ROOT, stdio: 'ignore' })
  const database = await testDatabase(root)
  const basePort = await freeBasePort(3)
  const { PAYALL_OPERATOR_EMAIL: _email, PAYALL_OPERATOR_PASSWORD: _password, ...env } = process.env
  const child = spawn(process.execPath, [CLI, '--hubs', '2', '--database-url', databaseUrlOf(database.config), '--base-port', String(basePort)],
    { cwd: ROOT, env: { ...env, PAYALL_LOG_LEVEL: 'warn' }, stdio: ['ignore', 'pipe', 'pipe'] })
  t.teardown(() => { child.kill('SIGKILL') })
  const output = new Transcript()
  child.stdout!.on('data', chunk => output.add(String(chunk)))
  child.stderr!.on('data', chunk => output.add(String(chunk)))

  const workDir = (await shows(output, child, /^work dir (\S+) /m))[1]!
  const password = (await shows(output, child, /^operator: operator@payall\.local password: (\S+) /m))[1]!
  await shows(output, child, /^cluster ready$/m)
  const hubLines = [...output.text.matchAll(/^hub (\d+): http:\/\/127\.0\.0\.1:(\d+) pid (\d+)$/gm)]
  t.same(hubLines.map(line => [Number(line[1]), Number(line[2])]), [[1, basePort + 1], [2, basePort + 2]], 'one line per hub, hub 1 first')
  const brokerPid = Number(/^broker: mqtt:\/\/127\.0\.0\.1:\d+ pid (\d+)$/m.exec(output.text)![1])
  const pids = [brokerPid, ...hubLines.map(line => Number(line[3]))]
  t.ok(existsSync(join(workDir, 'hub-1.log')) && existsSync(join(workDir, 'mosquitto.log')), 'the logs are files in the work dir')

  const health = await Promise.all(hubLines.map(async line =>
    (await (await fetch(`http://127.0.0.1:${line[2]}/health`)).json()) as { database: string; leader: boolean }))
  t.same(health.map(reply => reply.database), ['postgres', 'postgres'])
  t.equal(health.filter(reply => reply.leader === true).length, 1, 'exactly one hub leads')

  const login = await fetch(`http://127.0.0.1:${basePort + 1}/users/login`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'operator@payall.local', password }),
  })
  t.equal(login.status, 200, 'the relayed operator password logs in')
  const { token } = await login.json() as { token: string }
  const atOther = await fetch(`http://127.0.0.1:${basePort + 2}/gateways`, { headers: { authorization: `Bearer ${token}` } })
  t.equal(atOther.status, 200, 'and its session is good at the other hub: they share the keys')

  t.match(await tryConnect(`mqtt://127.0.0.1:${basePort}`, {}), /^refused/, 'the broker refuses an anonymous client')

  child.kill('SIGTERM')
  t.equal(await exitOf(child), 0, 'SIGTERM: exit 0')
  t.match(output.text, /SIGTERM, stopping…\npayall-cluster: stopped\n/)
  for (const port of [basePort, basePort + 1, basePort + 2]) t.equal(await listening(port), false, `port ${port} is closed`)
  t.same(pids.filter(alive), [], 'no hub and no broker left running')
  t.notOk(existsSync(workDir), 'the temporary work dir is removed')
})

t.test('a hub that ends by itself is reported, and the cluster stops everything and exits 1', { skip }, async t => {
  const database = await testDatabase(root)
  const basePort = await freeBasePort(2)
  const child = spawn(process.execPath, [CLI, '--hubs', '1', '--database-url', databaseUrlOf(database.config), '--base-port', String(basePort)],
    { cwd: ROOT, env: { ...process.env, PAYALL_LOG_LEVEL: 'warn' }, stdio: ['ignore', 'pipe', 'pipe'] })
  t.teardown(() => { child.kill('SIGKILL') })
  const output = new Transcript()
  child.stdout!.on('data', chunk => output.add(String(chunk)))
  child.stderr!.on('data', chunk => output.add(String(chunk)))
  const hubPid = Number((await shows(output, child, /^hub 1: \S+ pid (\d+)$/m))[1])
  const brokerPid = Number(/^broker: \S+ pid (\d+)$/m.exec(output.text)![1])
  await shows(output, child, /^cluster ready$/m)
  // Stopped from outside, as an operator's kill would: the hub stops cleanly, and the cluster did not ask it to.
  process.kill(hubPid, 'SIGTERM')
  t.equal(await exitOf(child), 1)
  t.match(output.text, /^hub 1 exited with code 0$/m)
  t.same([hubPid, brokerPid].filter(alive), [], 'the broker is stopped too')
})

t.test('a bad option exits 2 with one line naming it', async t => {
  const run = (argv: string[]) => new Promise<{ code: number | null; stderr: string }>(resolve => {
    const child = spawn(process.execPath, [CLI, ...argv], { cwd: ROOT, env: { ...process.env, PAYALL_DATABASE_URL: '' }, stdio: ['ignore', 'ignore', 'pipe'] })
    let stderr = ''
    child.stderr!.on('data', chunk => { stderr += String(chunk) })
    child.once('close', code => resolve({ code, stderr }))
  })
  execFileSync(process.execPath, [join(ROOT, 'scripts', 'build.mjs'), '--if-changed'], { cwd: ROOT, stdio: 'ignore' })
  for (const [argv, code] of [
    [['--hubs', '0', '--database-url', 'postgres://x/y'], 'BAD_OPTION'],
    [['--hubs', '2', '--database-url', 'mysql://x/y'], 'BAD_OPTION'],
    [['--hubs', '2', '--database-url', 'postgres://x/y', '--base-port', '65535'], 'BAD_OPTION'],
    [['--hubs', '2', '--database-url', 'postgres://x/y', '--verbose'], 'BAD_OPTION'],
    [['--database-url', 'postgres://x/y'], 'MISSING_OPTION'],
  ] as const) {
    const result = await run([...argv])
    t.equal(result.code, 2, argv.join(' '))
    t.match(result.stderr, new RegExp(`^payall-cluster: ${code}: [^\\n]+\\n$`))
  }
})

t.test('startCluster: a hub killed with SIGKILL is seen to end, and stop() takes down the rest', { skip }, async t => {
  const database = await testDatabase(root)
  const basePort = await freeBasePort(2)
  const cluster = await startCluster({ hubs: 1, databaseUrl: databaseUrlOf(database.config), basePort, hubEnv: { PAYALL_LOG_LEVEL: 'warn' } })
  t.teardown(() => cluster.stop())
  t.equal(cluster.brokerUrl, `mqtt://127.0.0.1:${basePort}`)
  t.match(cluster.hubLoginUrl, new RegExp(`^mqtt://payall-hub:[\\w-]+@127\\.0\\.0\\.1:${basePort}$`))
  t.equal(await tryConnect(cluster.hubLoginUrl, {}), 'connected', 'the hubs\' login gets in')
  const [hub] = cluster.hubs
  hub!.kill('SIGKILL')
  t.equal(await hub!.exited, null)
  t.equal(hub!.exitSignal(), 'SIGKILL')
  await cluster.stop()
  t.equal(await cluster.broker.exited, 0, 'the broker stopped cleanly')
  t.equal(await listening(basePort), false)
  t.notOk(existsSync(cluster.workDir))
})

t.test('startCluster without a database URL: one hub on SQLite behind the same broker; two hubs are refused', { skip: mosquitto.skip || mosquittoCtrl.skip }, async t => {
  const basePort = await freeBasePort(2)
  await t.rejects(startCluster({ hubs: 2, basePort }), { code: 'BAD_OPTION' }, 'hubs on SQLite cannot share it')
  // A PAYALL_DATABASE_URL in the environment names no reachable server: the hub would not start if it took it.
  const cluster = await startCluster({
    hubs: 1, basePort, env: { ...process.env, PAYALL_DATABASE_URL: 'postgres://postgres@nowhere.invalid/payall' }, hubEnv: { PAYALL_LOG_LEVEL: 'warn' },
  })
  t.teardown(() => cluster.stop())
  const health = await (await fetch(`${cluster.hubs[0]!.httpUrl}/health`)).json() as { database: string; leader: boolean }
  t.same({ database: health.database, leader: health.leader }, { database: 'sqlite', leader: true }, 'the hub runs on SQLite and leads')
  t.match(await tryConnect(cluster.brokerUrl, {}), /^refused/, 'the broker still refuses an anonymous client')
  t.equal(await tryConnect(cluster.hubLoginUrl, {}), 'connected', 'and lets the hub\'s login in')
})
