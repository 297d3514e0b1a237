import t from 'tap'
import { execFile } from 'node:child_process'
import { readFileSync, statSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { promisify } from 'node:util'
import { lockDataDir } from '../../protocol/data-dir-lock'
import { nodeEd25519 } from '../../protocol/signature/node'
import { main, type CliIo } from '../../terminal/cli'
import { parseTerminalConfig } from '../../terminal/config'
import { TERMINAL_NODE_FLAGS, TERMINAL_SHEBANG } from '../../terminal/node-flags'
import { systemClock, systemRandom } from '../../protocol/clock'
import { TerminalEmitter } from '../../terminal/events'
import { PaymentTerminal } from '../../terminal/payment'
import { dataFiles, TerminalStore } from '../../terminal/store/store'
import { customerWithVoucher } from '../hub/e2e/running-hub'
import { hubWithGatewayToken, testCliIo } from './cli-world'
import { FixedAuthorizer, RecordingDisplay, RecordingPrinter, phoneLink } from './fixtures'

function cli(overrides: Partial<CliIo> = {}) {
  const out: string[] = []
  const err: string[] = []
  const io = testCliIo({ out: text => { out.push(text) }, err: text => { err.push(text) } }, overrides)
  return {
    io,
    async run(...argv: string[]) {
      out.length = 0
      err.length = 0
      const code = await main(argv, io)
      return { code, out: out.join(''), err: err.join('') }
    },
  }
}

t.test('--help lists the commands; unknown commands and a run without devices are refused', async t => {
  const { code, out } = await cli().run('--help')
  t.equal(code, 0)
  t.match(out, /init \[--eui EUI\]/)
  t.match(out, /run --simulate/)
  t.match(out, /doctor \[--hardware FILE\]/)
  t.equal((await cli().run('dance')).code, 2)
  const empty = await cli().run('run', '--simulate', '--data-dir', t.testdir())
  t.equal(empty.code, 1)
  t.match(empty.err, /NOT_INITIALIZED/)
  const dir = join(t.testdir(), 'gw')
  await cli().run('init', '--data-dir', dir)
  const headless = await cli().run('run', '--data-dir', dir)
  t.equal(headless.code, 1)
  t.match(headless.err, /DEVICE_MISSING: no hardware file[\s\S]*--simulate/)
  t.equal((await cli().run('run', '--simulate', '--link-only', '--data-dir', dir)).code, 1, 'one or the other')
})

t.test('init creates the key file (0600) and the database, and refuses a second init or a bad EUI', async t => {
  const dir = join(t.testdir(), 'gw')
  const terminal = cli()
  const first = await terminal.run('init', '--data-dir', dir, '--eui', '70-b3-d5-7e-d0-00-0b-01')
  t.equal(first.code, 0)
  t.match(first.out, /initialized gateway 70B3D57ED0000B01/)
  t.equal(statSync(dataFiles(dir).keyFile).mode & 0o777, 0o600)
  const again = await terminal.run('init', '--data-dir', dir)
  t.equal(again.code, 1)
  t.match(again.err, /ALREADY_INITIALIZED/)
  const badEui = await terminal.run('init', '--data-dir', join(dir, 'other'), '--eui', 'nope')
  t.equal(badEui.code, 1)
  t.match(badEui.err, /--eui/)
  const generated = await terminal.run('init', '--data-dir', join(dir, 'generated'))
  t.match(generated.out, /initialized gateway [0-9A-F]{16}/)
  const status = await terminal.run('status', '--data-dir', dir)
  t.match(status.out, /not provisioned/)
})

t.test('a coded error is printed once: the command, its code, the plain message', async t => {
  const badEui = await cli().run('init', '--data-dir', join(t.testdir(), 'gw'), '--eui', 'nope')
  t.equal(badEui.code, 1)
  t.equal(badEui.err, 'payall-terminal init: BAD_ARGUMENT: --eui: not an EUI-64: "nope"\n', 'no code inside the message, none after it')
  const notInitialized = await cli().run('status', '--data-dir', join(t.testdir(), 'none'))
  t.equal(notInitialized.err.split('NOT_INITIALIZED').length - 1, 1, 'the code once')
  t.match(notInitialized.err, /^payall-terminal status: NOT_INITIALIZED: /)
})

t.test('a config file is validated and a wrong one is refused naming the field', async t => {
  t.same(parseTerminalConfig({ language: 'fr', merchantName: 'Chez Awa', policy: 'force-offline' }), {
    language: 'fr', merchantName: 'Chez Awa', policy: 'force-offline', utcOffsetMinutes: 0, printReceipts: true,
    recordRetentionDays: 30, loraIntervalMinutes: 15, loraUplinkPort: 10, loraDownlinkPort: 11,
  })
  t.throws(() => parseTerminalConfig({ loraIntervalMinutes: 0 }), { message: /"loraIntervalMinutes"/ })
  t.throws(() => parseTerminalConfig({ loraUplinkPort: 224 }), { message: /"loraUplinkPort"/ })
  t.throws(() => parseTerminalConfig({ loraDownlinkPort: 10 }), { message: /"loraDownlinkPort" must differ/ })
  t.equal(parseTerminalConfig({ recordRetentionDays: 0 }).recordRetentionDays, 0, 'prune as soon as proved')
  t.ok(Object.isFrozen(parseTerminalConfig({ language: 'fr' })), 'the parsed config is frozen')
  t.throws(() => parseTerminalConfig({ recordRetentionDays: 1.5 }), { message: /"recordRetentionDays"/ })
  t.throws(() => parseTerminalConfig({ recordRetentionDays: -1 }), { message: /"recordRetentionDays"/ })
  t.throws(() => parseTerminalConfig({ language: 'de' }), { code: 'BAD_CONFIG', message: /"language"/ })
  t.throws(() => parseTerminalConfig({ policy: 'sometimes' }), { message: /"policy"/ })
  t.throws(() => parseTerminalConfig({ utcOffsetMinutes: 1e6 }), { message: /"utcOffsetMinutes"/ })
  t.throws(() => parseTerminalConfig({ merchantNme: 'typo' }), { message: /"merchantNme" is not known/ })
  const base = t.testdir()
  const file = join(base, 'terminal.json')
  writeFileSync(file, '{"printReceipts": "yes"}')
  const dir = join(base, 'gw')
  const terminal = cli()
  await terminal.run('init', '--data-dir', dir)
  const run = await terminal.run('run', '--data-dir', dir, '--config', file)
  t.equal(run.code, 1)
  t.match(run.err, /config field "printReceipts" must be true or false/)
})

t.test('init → provision → offline payments → status → sync → export, against the real hub', async t => {
  const base = t.testdir()
  const eui = '70B3D57ED0000B02'
  const { hub, operator, token } = await hubWithGatewayToken(t, base, eui, 'fanta@shop.example')

  const dir = join(base, 'gw')
  const terminal = cli()
  t.equal((await terminal.run('init', '--data-dir', dir, '--eui', eui)).code, 0)
  const provisioned = await terminal.run('provision', '--data-dir', dir, '--hub', hub.httpUrl, '--token', token)
  t.equal(provisioned.code, 0, provisioned.err)
  t.match(provisioned.out, new RegExp(`mqtt: ${hub.mqttUrl}`))
  const reused = await terminal.run('provision', '--data-dir', dir, '--hub', hub.httpUrl, '--token', token)
  t.equal(reused.code, 1, 'a provisioning token works once')
  t.match(reused.err, /PROVISION_REFUSED/)

  // Two payments at the counter with no link (no sync runs), as the payment loop takes them.
  const customer = await customerWithVoucher(operator, 'khady@phone.example', 50_000, '20000')
  const store = TerminalStore.open(dir)
  const counter = new PaymentTerminal({
    store, phone: phoneLink(customer.phone), display: new RecordingDisplay(), printer: new RecordingPrinter(),
    online: new FixedAuthorizer(false), events: new TerminalEmitter(), clock: systemClock, random: systemRandom,
    ed25519: nodeEd25519, language: 'en', merchantName: 'Fanta',
  })
  t.equal((await counter.take(1_500)).kind, 'approved')
  t.equal((await counter.take(2_500)).kind, 'approved')
  store.close()

  const before = await terminal.run('status', '--data-dir', dir)
  t.match(before.out, /unsynced   2 offline \(4\u202f000 XOF\)/)
  t.match(before.out, /count left 198 of 200/)
  t.match(before.out, /23 h 59 min left to sync/)

  const synced = await terminal.run('sync', '--data-dir', dir)
  t.equal(synced.code, 0, synced.err)
  t.match(synced.out, /uploaded   2 records in 1 batches/)
  t.match(synced.out, /settled 2, duplicate 0, rejected 0, flagged 0/)
  t.match(synced.out, /0 left/)

  const after = JSON.parse((await terminal.run('status', '--data-dir', dir, '--json')).out)
  t.match(after, { eui, provisioned: true, chainHeadSeq: 2, unsynced: [], riskConfigSerial: 1, lastError: null })
  t.ok(after.lastAck !== null)

  const lines = (await terminal.run('export', '--data-dir', dir)).out.trim().split('\n').map(line => JSON.parse(line))
  t.same(lines.map(line => [line.gatewaySeq, line.amountMinor, line.status, line.ackOutcome]), [[1, 1_500, 'acked', 'settled'], [2, 2_500, 'acked', 'settled']])
  t.equal(lines[1].previousHash, lines[0].recordHash, 'the export shows the chain links')
  t.equal((await terminal.run('export', '--data-dir', dir, '--from-seq', '2')).out.trim().split('\n').length, 1)

  const resynced = await terminal.run('sync', '--data-dir', dir)
  t.match(resynced.out, /uploaded   0 records in 0 batches/, 'nothing new to send')
})

t.test('the launcher runs Node with the gateway flags the bench measured, and Node takes them', async t => {
  const firstLine = readFileSync(join(__dirname, '../../terminal/cli.ts'), 'utf8').split('\n')[0]
  t.equal(firstLine, TERMINAL_SHEBANG)
  // The same first line on a script of its own: the kernel and env(1) hand Node exactly these flags.
  const dir = t.testdir()
  const script = join(dir, 'launcher')
  writeFileSync(script, `${TERMINAL_SHEBANG}\nprocess.stdout.write(JSON.stringify(process.execArgv))\n`, { mode: 0o755 })
  const { stdout } = await promisify(execFile)(script, [], { env: { ...process.env, PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ''}` } })
  t.same(JSON.parse(stdout), TERMINAL_NODE_FLAGS)
})

t.test('a second terminal on a data folder in use is refused with the folder and the holder\'s pid; reading it is not', async t => {
  const dir = join(t.testdir(), 'gw')
  t.equal((await cli().run('init', '--data-dir', dir, '--eui', '70B3D57ED0000B09')).code, 0)
  const held = lockDataDir(dir)
  t.teardown(() => held.release())
  for (const argv of [['sync'], ['run', '--simulate'], ['provision', '--hub', 'http://127.0.0.1:1', '--token', 'pt_x'], ['init']]) {
    const refused = await cli().run(...argv, '--data-dir', dir)
    t.equal(refused.code, 1, argv[0])
    t.equal(refused.err, `payall-terminal ${argv[0]}: DATA_DIR_IN_USE: ${resolve(dir)} is in use by process ${process.pid}; stop it first, or give another --data-dir\n`)
  }
  t.equal((await cli().run('status', '--data-dir', dir)).code, 0, 'status only reads')
  held.release()
  const stale = await cli().run('sync', '--data-dir', dir, '--timeout-ms', '1')
  t.notMatch(stale.err, /DATA_DIR_IN_USE/, 'once let go, the folder is taken again')
})

t.test('provision takes a hub address without a scheme, and says why the hub refused a gateway initialized with another EUI', async t => {
  const base = t.testdir()
  const eui = '70B3D57ED0000B0A'
  const { hub, token } = await hubWithGatewayToken(t, base, eui, 'scheme@shop.example')
  const hostPort = hub.httpUrl.replace(/^http:\/\//, '')

  const random = join(base, 'random')
  await cli().run('init', '--data-dir', random)
  const refused = await cli().run('provision', '--data-dir', random, '--hub', hostPort, '--token', token)
  t.equal(refused.code, 1)
  t.match(refused.err, /^payall-terminal provision: PROVISION_REFUSED: the hub refused \(404 UNKNOWN_GATEWAY\): no gateway has the EUI [0-9A-F]{16} at this hub: init the terminal with the EUI .*--eui/)

  const badHub = await cli().run('provision', '--data-dir', random, '--hub', 'ftp://x', '--token', token)
  t.equal(badHub.err, 'payall-terminal provision: BAD_ARGUMENT: --hub must be a hub\'s address such as http://127.0.0.1:3001 or localhost:3001, got "ftp://x"\n')

  const dir = join(base, 'gw')
  await cli().run('init', '--data-dir', dir, '--eui', eui)
  const provisioned = await cli().run('provision', '--data-dir', dir, '--hub', hostPort, '--token', token)
  t.equal(provisioned.code, 0, provisioned.err)
  t.match(provisioned.out, `provisioned ${eui} as gateway`)
})
