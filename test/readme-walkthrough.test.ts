// The README's manual walk-through, word for word where a program can follow it: `npm start`'s own
// two steps (build if the sources changed, then dist/hub/cli.js; on free ports and a temporary data
// folder), the operator's and the merchant's requests as the README's curl lines send them, then
// `payall-terminal init --eui`, `provision --token <provisioning token>` and a payment at the
// simulated counter. The commands the test runs are checked to be the README's, so neither drifts.

import t from 'tap'
import { execFileSync, spawn, type ChildProcess } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { PassThrough } from 'node:stream'
import { main, type CliIo } from '../terminal/cli'
import { freePort } from '../simulator/anvil'
import { keyAndTap, Transcript } from './helpers/transcript'
import { testCliIo } from './terminal/cli-world'

const ROOT = join(__dirname, '..')
const README = readFileSync(join(ROOT, 'README.md'), 'utf8')
const EUI = '70B3D57ED0001A2B'

/** The README's request lines, as the walk-through gives them (the test sends the same bodies). */
const README_LINES = [
  `-d '{"name":"Counter 1","type":"pi-nfc","eui":"${EUI}","price":"25000"}'`,
  `-d '{"fullName":"Awa Diop","email":"awa@shop.example","password":"owner password 1"}'`,
  'localhost:3001/users/verify-email-finish',
  '"shippingAddress\\":\\"12 rue Carnot, Dakar\\"',
  'localhost:3001/orders/$ORDER/validate',
  'localhost:3001/gateways/$GATEWAY/provisioning-token',
  `npx payall-terminal init --data-dir ./gw --eui ${EUI}`,
  'npx payall-terminal provision --data-dir ./gw --hub localhost:3001 --token <provisioning token>',
  'npx payall-terminal run --simulate --data-dir ./gw',
]

interface StartedHub {
  readonly child: ChildProcess
  readonly output: Transcript
  readonly httpUrl: string
}

/** `npm start` on its own ports: the build step, then the hub, until it prints its banner. */
async function npmStart(dataDir: string, env: NodeJS.ProcessEnv): Promise<StartedHub> {
  execFileSync(process.execPath, [join(ROOT, 'scripts', 'build.mjs'), '--if-changed'], { cwd: ROOT, stdio: 'ignore' })
  const [httpPort, mqttPort] = [await freePort(), await freePort()]
  const child = spawn(process.execPath, [join(ROOT, 'dist', 'hub', 'cli.js'), '--data-dir', dataDir, '--http-port', String(httpPort),
    '--mqtt-port', String(mqttPort)], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] })
  const output = new Transcript()
  child.stdout!.on('data', chunk => output.add(String(chunk)))
  child.stderr!.on('data', chunk => output.add(String(chunk)))
  await output.next(/MQTT +mqtt:\/\/127\.0\.0\.1:\d+\n/)
  return { child, output, httpUrl: `http://127.0.0.1:${httpPort}` }
}

function stopped(child: ChildProcess): Promise<number | null> {
  return new Promise(resolve => {
    if (child.exitCode !== null) resolve(child.exitCode)
    else child.once('exit', code => resolve(code))
  })
}

/** curl -s URL [-H authorization] [-d JSON] (POST with a body or -X POST), answering the parsed reply. */
async function curl(url: string, options: { token?: string; body?: unknown; post?: boolean } = {}): Promise<Record<string, unknown>> {
  const headers: Record<string, string> = {}
  if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`
  if (options.body !== undefined) headers['content-type'] = 'application/json'
  const response = await fetch(url, {
    method: options.body !== undefined || options.post === true ? 'POST' : 'GET',
    headers,
    ...(options.body !== undefined && { body: JSON.stringify(options.body) }),
  })
  const reply = await response.json() as Record<string, unknown>
  if (!response.ok) throw new Error(`${url} answered ${response.status}: ${JSON.stringify(reply)}`)
  return reply
}

t.test('the README walk-through works: npm start, the operator and the merchant, init --eui, provision, a payment', async t => {
  for (const line of README_LINES) t.ok(README.includes(line), `the README says: ${line}`)

  const base = t.testdir()
  const { PAYALL_OPERATOR_EMAIL: _email, PAYALL_OPERATOR_PASSWORD: _password, ...env } = process.env
  const hub = await npmStart(join(base, 'data'), { ...env, PAYALL_LOG_LEVEL: 'info' })
  t.teardown(async () => {
    hub.child.kill('SIGINT')
    await stopped(hub.child)
  })
  const api = hub.httpUrl
  const printed = /password: (\S+)/.exec(hub.output.text)
  t.ok(printed, 'the first start prints the operator\'s password')
  const password = printed![1]!

  const token = (await curl(`${api}/users/login`, { body: { email: 'operator@payall.local', password } })).token as string
  const gateway = (await curl(`${api}/gateways`, { token, body: { name: 'Counter 1', type: 'pi-nfc', eui: EUI, price: '25000' } })).id as string
  await curl(`${api}/users/sign-up`, { body: { fullName: 'Awa Diop', email: 'awa@shop.example', password: 'owner password 1' } })
  const owner = (await curl(`${api}/users/login`, { body: { email: 'awa@shop.example', password: 'owner password 1' } })).token as string
  // The email with the code, as the console adapter prints it in the hub's log.
  const mailed = await hub.output.next(/"to":"awa@shop\.example"[^\n]*?\b(\d{6})\b/)
  const code = /"to":"awa@shop\.example"[^\n]*?\b(\d{6})\b/.exec(hub.output.text.slice(0, mailed))![1]!
  await curl(`${api}/users/verify-email-finish`, { token: owner, body: { code } })
  const order = (await curl(`${api}/orders`, {
    token: owner, body: { items: [{ gatewayId: gateway, quantity: 1 }], shippingAddress: '12 rue Carnot, Dakar' },
  })).id as string
  await curl(`${api}/orders/${order}/validate`, { token, post: true })
  const provisioningToken = (await curl(`${api}/gateways/${gateway}/provisioning-token`, { token, post: true })).token as string

  const dir = join(base, 'gw')
  const out = new Transcript()
  const io = (overrides: Partial<CliIo> = {}): CliIo => testCliIo({ out: text => out.add(text), err: text => out.add(text) }, overrides)
  t.equal(await main(['init', '--data-dir', dir, '--eui', EUI], io()), 0, out.text)
  const hostPort = api.replace(/^http:\/\//, '')
  t.equal(await main(['provision', '--data-dir', dir, '--hub', hostPort, '--token', provisioningToken], io()), 0, out.text)
  t.match(out.text, `provisioned ${EUI} as gateway ${gateway}`)

  const input = new PassThrough()
  const output = new PassThrough()
  const screen = new Transcript(output)
  let stop!: () => void
  const stopRequested = new Promise<void>(resolve => { stop = resolve })
  const running = main(['run', '--simulate', '--data-dir', dir], io({
    env: { PAYALL_OPERATOR_EMAIL: 'operator@payall.local', PAYALL_OPERATOR_PASSWORD: password },
    stopSignal: () => stopRequested,
    console: { input, output },
  }))
  t.teardown(() => stop())
  await screen.next(/simulated counter:/)
  await out.next(/link up/)
  await keyAndTap(input, screen, '1500', /─ approved[\s\S]*APPROVED[\s\S]*1\u202f500 XOF/)
  await out.next(/ack up to #1/)
  stop()
  t.equal(await running, 0)

  const payments = await curl(`${api}/transactions/${gateway}/gateway`, { token })
  t.match(payments.items, [{ amountMinor: 1_500, currency: 'XOF' }], 'the hub settled the payment')
  t.equal((await curl(`${api}/ledger/verify`, { token })).ok, true)
})
