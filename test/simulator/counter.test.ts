// `payall-sim counter`: one command brings up a hub, a gateway provisioned the way a shop gets one
// and the simulated counter at the console; a payment keyed and tapped there is settled at the hub.
// Each step awaits what the console shows.

import t from 'tap'
import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { PassThrough } from 'node:stream'
import type { CliIo } from '../../terminal/cli'
import { ManualClock, systemClock, systemRandom } from '../../protocol/clock'
import { DEFAULT_CONFIG } from '../../terminal/config'
import { TerminalStore } from '../../terminal/store/store'
import { keyAndTap, Transcript } from '../helpers/transcript'
import { sim } from './sim-cli'
import { main, type SimIo } from '../../simulator/cli'

function counterConsole(extra: Partial<CliIo> = {}) {
  const input = new PassThrough()
  const output = new PassThrough()
  const screen = new Transcript(output)
  const out = new Transcript()
  let stop!: () => void
  const stopped = new Promise<void>(resolve => { stop = resolve })
  const terminal: CliIo = {
    out: text => out.add(text), err: text => out.add(text), env: {}, clock: systemClock, random: systemRandom,
    fetch: (url, init) => fetch(url, init), stopSignal: () => stopped, console: { input, output },
    syncOptions: { reconnectInitialMs: 20, reconnectMaxMs: 200 }, ...extra,
  }
  const io: SimIo = { out: text => out.add(text), err: text => out.add(text), progress: undefined, env: {}, terminal }
  return { io, input, screen, out, stop }
}

t.test('counter: a hub, a provisioned gateway and a phone; a payment keyed and tapped is approved, printed and settled', async t => {
  const data = t.testdir()
  const { io, input, screen, out, stop } = counterConsole()
  const running = main(['counter', '--data-dir', data], io)
  t.teardown(() => stop())

  const header = await out.next(/gateway +([0-9A-F]{16}) in (\S+)/)
  const [, eui, dir] = /gateway +([0-9A-F]{16}) in (\S+)/.exec(out.text.slice(0, header))!
  t.equal(dir, join(data, 'counters', eui!))
  let at = await screen.next(/simulated counter:/)
  await out.next(/link up/)
  at = await keyAndTap(input, screen, '1500', /─ approved[\s\S]*APPROVED[\s\S]*1\u202f500 XOF/, at)
  await screen.next(/--- printed ---[\s\S]*RECEIPT/, at)
  await out.next(/ack up to #1/)
  stop()
  t.equal(await running, 0, 'Ctrl-C stops it cleanly')

  t.ok(existsSync(join(data, 'hub')), '--data-dir keeps the hub\'s data')
  t.match(out.text, `the hub's and the gateway's data are kept in ${data}`)
  const store = TerminalStore.open(dir!)
  t.teardown(() => store.close())
  t.match(store.record(1), { gatewaySeq: 1, amountMinor: 1_500, currency: 'XOF' }, 'the payment is in the gateway\'s store')
  t.equal(store.firstPendingSeq(), undefined, 'and acked by the hub')
})

t.test('counter without --data-dir: Ctrl-C while a tap is awaited stops at once, cancels the payment and removes what it made; bad flags exit 2', async t => {
  const { io, input, screen, out, stop } = counterConsole()
  const running = main(['counter'], io)
  await out.next(/removed on exit/)
  const dir = /gateway +[0-9A-F]{16} in (\S+)/.exec(out.text)![1]!
  const workDir = dirname(dirname(dir))
  const at = await screen.next(/simulated counter:/)
  await out.next(/link up/)
  t.ok(existsSync(dir))
  input.write('1500\r')
  await screen.next(/tap your phone/, at)
  // The tap would wait 30 s for the phone; the stop does not.
  stop()
  t.equal(await running, 0)
  t.match(out.text, /stopping…\n/)
  t.match(screen.text.slice(at), /tap your phone[\s\S]*Cancelled/, 'the payment waiting for its tap is cancelled, not declined after the wait')
  t.match(out.text, `removed ${workDir}\n`)
  t.notOk(existsSync(workDir), 'the temporary directory is gone')

  const unknown = await sim().run('counter', '--terminals', '2')
  t.equal(unknown.code, 2)
  t.match(unknown.err, /payall-sim counter: .*--terminals/)
  t.equal((await sim().run('counter', '--data-dir', 'x', '--hub', 'http://127.0.0.1:9')).code, 2)
  const renamed = await sim().run('counter', '--data', 'x')
  t.equal(renamed.code, 2)
  t.match(renamed.err, 'payall-sim counter: --data is now --data-dir DIR')
  const badHub = await sim().run('counter', '--hub', 'ftp://x')
  t.equal(badHub.code, 2)
  t.match(badHub.err, 'payall-sim counter: --hub must be a hub\'s address such as http://127.0.0.1:3001 or localhost:3001, got "ftp://x"')
  const noLogin = await sim().run('counter', '--hub', 'http://127.0.0.1:9')
  t.equal(noLogin.code, 2)
  t.match(noLogin.err, /PAYALL_OPERATOR_EMAIL/)
})

t.test('counter --lora: the modem joins the simulated network; cut off, the counter reports over LoRa and the hub hears it', async t => {
  // The report interval moves by hand; everything else keeps the system's time.
  const loraClock = new ManualClock(Date.now())
  const { io, input, screen, out, stop } = counterConsole({ loraClock })
  const running = main(['counter', '--lora'], io)
  t.teardown(() => stop())
  await out.next(/lora +ChirpStack v4 \(simulated\) at mqtt:\/\/127\.0\.0\.1:\d+/)
  await out.next(/lora joined \(rak3172, EU868\)/)
  let at = await out.next(/link up/)
  input.write('x')
  at = await out.next(/link down/, at)
  t.equal(loraClock.pendingTimers, 1, 'cut off: the LoRa reports run')
  await keyAndTap(input, screen, '450', /APPROVED[\s\S]*450 XOF[\s\S]*Offline/)
  await loraClock.run(DEFAULT_CONFIG.loraIntervalMinutes * 60_000)
  at = await out.next(/lora report sent: head #1, 1 offline payments unsynced/, at)
  at = await out.next(/hub: LoRa report heard \(head #1, 1 unsynced, RSSI -105 dBm; records over IP: pending\)/, at)
  input.write('x')
  await out.next(/ack up to #1/, at)
  t.equal(loraClock.pendingTimers, 0, 'back online: no more LoRa reports')
  stop()
  t.equal(await running, 0)
  t.equal((await sim().run('counter', '--lora', '--hub', 'http://127.0.0.1:9')).code, 2, '--lora is for the embedded hub')
})
