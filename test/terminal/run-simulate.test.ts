// `payall-terminal run --simulate` and `doctor` through the CLI entry, against the real hub: the
// keys typed at the console go through the keypad driver, the phone answers through the PN532
// emulator and the NFC driver, the receipt comes out of the ESC/POS emulator, the payment reaches
// the hub; the menu refunds it. Nothing waits on time: each step awaits what the console shows.

import t from 'tap'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { PassThrough } from 'node:stream'
import { main, type CliIo } from '../../terminal/cli'
import { systemRandom } from '../../protocol/clock'
import { TerminalStore } from '../../terminal/store/store'
import { SimulatedCounterHost, SIMULATED_PORTS } from '../../simulator/counter/host'
import { OPERATOR } from '../hub/e2e/running-hub'
import { hubWithGatewayToken, testCliIo } from './cli-world'
import { keyAndTap, Transcript } from '../helpers/transcript'

function cliIo(overrides: Partial<CliIo>): { io: CliIo; out: Transcript; err: Transcript } {
  const out = new Transcript()
  const err = new Transcript()
  const io = testCliIo({ out: text => out.add(text), err: text => err.add(text) }, overrides)
  return { io, out, err }
}

t.test('run --simulate: keys at the console, a phone tapped on the emulated PN532, a printed receipt, a refund from the menu', async t => {
  const base = t.testdir()
  const eui = '70B3D57ED0000D01'
  const { hub, operator, token } = await hubWithGatewayToken(t, base, eui, 'khady@shop.example')
  const dir = join(base, 'gw')
  t.equal(await main(['init', '--data-dir', dir, '--eui', eui], cliIo({}).io), 0)
  t.equal(await main(['provision', '--data-dir', dir, '--hub', hub.httpUrl, '--token', token], cliIo({}).io), 0)

  const input = new PassThrough()
  const output = new PassThrough()
  const screen = new Transcript(output)
  let stop!: () => void
  const stopped = new Promise<void>(resolve => { stop = resolve })
  const { io, out } = cliIo({
    env: { PAYALL_OPERATOR_EMAIL: OPERATOR.email, PAYALL_OPERATOR_PASSWORD: OPERATOR.password },
    stopSignal: () => stopped,
    console: { input, output },
  })
  const running = main(['run', '--simulate', '--data-dir', dir], io)
  t.teardown(() => stop())

  let at = await screen.next(/simulated counter:/)
  await out.next(/link up/)
  at = await keyAndTap(input, screen, '1500', /─ approved[\s\S]*APPROVED[\s\S]*1\u202f500 XOF/, at)
  at = await screen.next(/--- printed ---[\s\S]*RECEIPT[\s\S]*\[QR\] payall:transfer\/[0-9a-f]{64}\?gw=70B3D57ED0000D01&seq=1/, at)
  // The payment reaches the hub and is acked.
  await out.next(/ack up to #1/)

  // Any key leaves the result; Enter on an empty amount opens the menu; 1, payment #1, Enter: all of it.
  input.write('\r')
  at = await screen.next(/Enter amount/, at)
  input.write('\r')
  at = await screen.next(/1: refund a payment/, at)
  input.write('1')
  at = await screen.next(/Refund payment number/, at)
  input.write('1\r')
  at = await screen.next(/Amount to refund/, at)
  input.write('\r')
  at = await screen.next(/REFUNDED[\s\S]*1\u202f500 XOF/, at)
  at = await screen.next(/--- printed ---[\s\S]*REFUND[\s\S]*-1.500 XOF/, at)

  // x cuts the network: the next payment is taken offline, and synced once x restores it.
  input.write('\r')
  at = await screen.next(/Enter amount/, at)
  const beforeCut = out.text.length
  input.write('x')
  at = await screen.next(/network cut/, at)
  await out.next(/link down/, beforeCut)
  at = await keyAndTap(input, screen, '700', /─ approved[\s\S]*APPROVED[\s\S]*700 XOF[\s\S]*Offline/, at)
  const reader = TerminalStore.open(dir)
  t.equal(reader.firstPendingSeq(), 2, 'the offline payment waits in the store')
  reader.close()
  const beforeRestore = out.text.length
  input.write('x')
  await screen.next(/network restored/, at)
  await out.next(/link up[\s\S]*ack up to #2/, beforeRestore)

  stop()
  t.equal(await running, 0, 'run stops cleanly')
  const store = TerminalStore.open(dir)
  t.teardown(() => store.close())
  t.match(store.record(1), { gatewaySeq: 1, amountMinor: 1_500, currency: 'XOF' }, 'the payment is in the store')
  t.equal((await operator.ok('GET', '/ledger/verify')).ok, true, 'the hub\'s ledger keeps its invariants')
})

t.test('doctor opens each device of the hardware file and says what answered; a missing one fails it', async t => {
  const dir = t.testdir()
  const good = join(dir, 'hardware.json')
  writeFileSync(good, JSON.stringify({
    nfc: { driver: 'pn532', port: SIMULATED_PORTS.nfc },
    printer: { driver: 'escpos', port: SIMULATED_PORTS.printer, baudRate: 9600 },
  }))
  const host = () => new SimulatedCounterHost({ random: systemRandom, input: new PassThrough(), output: new PassThrough() })
  t.teardown(() => SimulatedCounterHost.reset())
  const ok = cliIo({ deviceHost: host })
  t.equal(await main(['doctor', '--data-dir', dir], ok.io), 0, 'hardware.json in the data directory is found')
  t.match(ok.out.text, /ok\s+nfc\s+pn532\s+\/dev\/payall-sim\/pn532\s+IC 0x32, firmware 1\.6/)
  t.match(ok.out.text, /ok\s+printer\s+escpos\s+\S+\s+paper present/)
  SimulatedCounterHost.reset()

  const bad = join(dir, 'missing.json')
  writeFileSync(bad, JSON.stringify({ nfc: { driver: 'pn532', port: '/dev/ttyNOPE0' }, lora: { driver: 'rak3172', port: '/dev/ttyNOPE1', region: 'EU868', appEui: '0000000000000000', appKey: '00112233445566778899AABBCCDDEEFF' } }))
  const missing = cliIo({ deviceHost: host })
  t.equal(await main(['doctor', '--hardware', bad, '--json'], missing.io), 1)
  const report = JSON.parse(missing.out.text)
  t.equal(report.ok, false)
  t.same(report.devices.map((device: { device: string; ok: boolean }) => `${device.device}:${device.ok}`), ['nfc:false', 'lora:false'])

  const typo = join(dir, 'typo.json')
  writeFileSync(typo, JSON.stringify({ nfc: { driver: 'pn532', prot: '/dev/ttyS0' } }))
  const refused = cliIo({ deviceHost: host })
  t.equal(await main(['doctor', '--hardware', typo], refused.io), 1)
  t.match(refused.err.text, /hardware field "nfc.prot" is not known/)
})
