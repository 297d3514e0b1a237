import t from 'tap'
import { fromHex, toHex } from '../../../protocol/bytes'
import { encodeResponseApdu } from '../../../protocol/apdu'
import { isPn532Error } from '../../../hardware/nfc/errors'
import { parsePassiveTarget, Pn532 } from '../../../hardware/nfc/pn532'
import type { FieldTarget } from '../../../simulator/nfc/pn532-emulator'
import { ManualClock } from '../../../protocol/clock'
import { settle } from '../../helpers/clock'
import { openBench, type Bench } from './bench'

const hex = (text: string) => toHex(fromHex(text.replace(/ /g, '')))
const WAKE_UP = '5555' + '00'.repeat(14)
const SAM_CONFIGURATION = hex('00 00 FF 03 FD D4 14 01 17 00')
const GET_FIRMWARE_VERSION = hex('00 00 FF 02 FE D4 02 2A 00')
const ACK = hex('00 00 FF 00 FF 00')
const NACK = hex('00 00 FF FF 00 00')

/** A target that answers 90 00 to anything, and remembers what it got. */
class EchoTarget implements FieldTarget {
  readonly apdus: string[] = []
  deactivations = 0
  constructor(private readonly answer: (apdu: Uint8Array) => Uint8Array = () => fromHex('9000')) {}
  processCommandApdu(apdu: Uint8Array): Uint8Array {
    this.apdus.push(toHex(apdu))
    return this.answer(apdu)
  }
  onDeactivated(): void {
    this.deactivations += 1
  }
}

async function awake(t: Tap, options: Parameters<typeof openBench>[1] = {}): Promise<Bench> {
  const bench = await openBench(t, options)
  await settle(bench.clock, bench.reader.begin())
  return bench
}
type Tap = Parameters<typeof openBench>[0]

/** The error `work` fails with, and its code (or what came instead). */
async function failure(work: Promise<unknown>): Promise<{ code: string; error: unknown }> {
  const error = await work.then(() => 'resolved', (caught: unknown) => caught)
  return { code: isPn532Error(error) ? error.code : String(error), error }
}

t.test('begin wakes the chip with 55 55 and zeros, then SAMConfiguration; the firmware is the manual\'s', async t => {
  const bench = await openBench(t)
  t.notOk(bench.emulator.awake)
  await settle(bench.clock, bench.reader.begin())
  t.ok(bench.emulator.awake)
  t.ok(bench.written().startsWith(WAKE_UP + SAM_CONFIGURATION), 'wake-up bytes, then the SAMConfiguration frame of UM0701')
  const before = bench.written().length
  const version = await settle(bench.clock, bench.reader.firmwareVersion())
  t.same(version, { ic: 0x32, version: 1, revision: 6, support: 7 })
  t.equal(bench.written().slice(before), GET_FIRMWARE_VERSION, 'GetFirmwareVersion is 00 00 FF 02 FE D4 02 2A 00 on the wire')
  t.equal(bench.clock.now_ms(), 0, 'no timeout was needed')
})

t.test('a chip never woken up gives NO_ACK after every resend', async t => {
  const bench = await openBench(t, { reader: { ackRetriesMax: 2 } })
  t.equal((await failure(settle(bench.clock, bench.reader.firmwareVersion()))).code, 'NO_ACK')
  t.equal(bench.written(), GET_FIRMWARE_VERSION.repeat(3) + ACK, 'sent once, resent twice, then aborted with an ACK')
  t.equal(bench.clock.now_ms(), 150, 'three ACK timeouts of 50 ms')
})

t.test('InListPassiveTarget: NbTg 0 on an empty field; a phone with ATS and a fresh random UID on each tap', async t => {
  const bench = await awake(t)
  t.equal(await settle(bench.clock, bench.reader.listPassiveTarget()), undefined)
  const phone = new EchoTarget()
  bench.emulator.tap(phone)
  const first = await settle(bench.clock, bench.reader.listPassiveTarget())
  t.ok(bench.written().includes(hex('00 00 FF 04 FC D4 4A 01 00 E1 00')), 'the manual\'s InListPassiveTarget frame')
  t.equal(first?.targetNumber, 1)
  t.equal(first?.atqa, 0x0004)
  t.equal(first?.sak, 0x20)
  t.equal(first?.uid.length, 4)
  t.equal(first?.uid[0], 0x08, 'a random UID starts with 08')
  t.same(first?.ats && [...first.ats], [0x78, 0x80, 0x70, 0x02])
  bench.emulator.remove()
  bench.emulator.tap(phone)
  const second = await settle(bench.clock, bench.reader.listPassiveTarget())
  t.not(toHex(second!.uid), toHex(first!.uid), 'another tap, another UID')

  const replay = await awake(t, { seed: 532 })
  replay.emulator.tap(phone)
  t.equal(toHex((await settle(replay.clock, replay.reader.listPassiveTarget()))!.uid), toHex(first!.uid), 'the same seed draws the same UIDs')
})

t.test('InDataExchange carries the manual\'s SELECT and returns the target\'s 90 00', async t => {
  const bench = await awake(t)
  const target = new EchoTarget()
  bench.emulator.tap(target)
  await settle(bench.clock, bench.reader.listPassiveTarget())
  const before = bench.written().length
  const answer = await settle(bench.clock, bench.reader.dataExchange(1, fromHex('00A4040007F0010203040506' + '00')))
  t.equal(bench.written().slice(before), hex('00 00 FF 10 F0 D4 40 01 00 A4 04 00 07 F0 01 02 03 04 05 06 00 37 00'))
  t.equal(toHex(answer), '9000')
  t.same(target.apdus, ['00a4040007f001020304050600'])
  await settle(bench.clock, bench.reader.release(1))
  t.equal(target.deactivations, 1, 'InRelease deactivates the target')
})

t.test('answers longer than a normal frame come in extended frames, and "more information" rounds are followed', async t => {
  const long = new Uint8Array(258).map((_, index) => index & 0xff)
  for (const chunk of [262, 64]) {
    const bench = await awake(t, { emulator: { dataExchangeChunkMaxBytes: chunk } })
    bench.emulator.tap(new EchoTarget(() => long))
    await settle(bench.clock, bench.reader.listPassiveTarget())
    const command = new Uint8Array(261).fill(0xab)
    const answer = await settle(bench.clock, bench.reader.dataExchange(1, command))
    t.equal(toHex(answer), toHex(long), `${chunk}-byte pieces`)
    t.ok(bench.written().includes('0000ffffff0108f7d440'), 'the 264-byte command body went out in an extended frame')
  }
})

t.test('garbage before a response is skipped', async t => {
  const bench = await awake(t)
  bench.emulator.inject({ kind: 'garbage', bytes: fromHex('13370000ff0342ff55') })
  t.same(await settle(bench.clock, bench.reader.firmwareVersion()), { ic: 0x32, version: 1, revision: 6, support: 7 })
  t.equal(bench.clock.now_ms(), 0)
})

t.test('a late answer to another command, or the host\'s own frame echoed, is not taken for the response', async t => {
  const bench = await awake(t)
  bench.emulator.inject({ kind: 'garbage', bytes: fromHex(hex('00 00 FF 03 FD D5 4B 00 E0 00') + GET_FIRMWARE_VERSION) })
  const before = bench.written().length
  t.same(await settle(bench.clock, bench.reader.firmwareVersion()), { ic: 0x32, version: 1, revision: 6, support: 7 })
  t.equal(bench.written().slice(before), GET_FIRMWARE_VERSION, 'both well-formed, so no NACK')
  t.equal(bench.clock.now_ms(), 0)
})

t.test('a corrupted response is asked for again with NACK, up to the bound, then BAD_FRAME', async t => {
  const bench = await awake(t, { reader: { responseNacksMax: 2 } })
  bench.emulator.inject({ kind: 'corrupt', count: 2 })
  let before = bench.written().length
  t.same(await settle(bench.clock, bench.reader.firmwareVersion()), { ic: 0x32, version: 1, revision: 6, support: 7 })
  t.equal(bench.written().slice(before), GET_FIRMWARE_VERSION + NACK + NACK, 'two NACKs, and the third copy was good')
  bench.emulator.inject({ kind: 'corrupt', count: 3 })
  before = bench.written().length
  t.equal((await failure(settle(bench.clock, bench.reader.firmwareVersion()))).code, 'BAD_FRAME')
  t.equal(bench.written().slice(before), GET_FIRMWARE_VERSION + NACK + NACK)
  t.same(await settle(bench.clock, bench.reader.firmwareVersion()), { ic: 0x32, version: 1, revision: 6, support: 7 }, 'the next command works')
})

t.test('a response cut short times out, is aborted with ACK, and the next command works', async t => {
  const bench = await awake(t, { reader: { responseTimeoutMs: 400 } })
  bench.emulator.inject({ kind: 'cut', keepBytes: 8 })
  const before = bench.written().length
  t.equal((await failure(settle(bench.clock, bench.reader.firmwareVersion()))).code, 'TIMEOUT')
  t.equal(bench.written().slice(before), GET_FIRMWARE_VERSION + ACK, 'the host aborted with an ACK')
  t.equal(bench.clock.now_ms(), 400)
  t.same(await settle(bench.clock, bench.reader.firmwareVersion()), { ic: 0x32, version: 1, revision: 6, support: 7 })
})

t.test('an ACK with no response after it is a TIMEOUT', async t => {
  const bench = await awake(t)
  bench.emulator.inject({ kind: 'stall' })
  t.equal((await failure(settle(bench.clock, bench.reader.firmwareVersion()))).code, 'TIMEOUT')
  t.equal(bench.clock.now_ms(), 1000, 'the default response timeout')
})

t.test('a chip silent for one command is reached by the resend; silent for good is NO_ACK', async t => {
  const bench = await awake(t)
  bench.emulator.inject({ kind: 'silent', commands: 1 })
  const before = bench.written().length
  t.same(await settle(bench.clock, bench.reader.firmwareVersion()), { ic: 0x32, version: 1, revision: 6, support: 7 })
  t.equal(bench.written().slice(before), GET_FIRMWARE_VERSION.repeat(2))
  bench.emulator.inject({ kind: 'silent', commands: 100 })
  t.equal((await failure(settle(bench.clock, bench.reader.firmwareVersion()))).code, 'NO_ACK')
})

t.test('an InDataExchange without ACK is not resent: the phone must never get an APDU twice', async t => {
  const bench = await awake(t)
  const target = new EchoTarget()
  bench.emulator.tap(target)
  await settle(bench.clock, bench.reader.listPassiveTarget())
  bench.emulator.inject({ kind: 'silent', commands: 1 })
  const before = bench.written().length
  t.equal((await failure(settle(bench.clock, bench.reader.dataExchange(1, fromHex('80500000'))))).code, 'NO_ACK')
  t.equal(bench.written().slice(before), hex('00 00 FF 07 F9 D4 40 01 80 50 00 00 1B 00') + ACK, 'sent once, then aborted')
  t.same(target.apdus, [])
  bench.emulator.inject({ kind: 'nack-storm', count: 1 })
  t.equal(toHex(await settle(bench.clock, bench.reader.dataExchange(1, fromHex('80500000')))), '9000', 'a NACKed one is resent: the chip dropped it')
  t.same(target.apdus, ['80500000'])
})

t.test('a NACK storm on the line is ridden out by resends up to the bound, then NACKED', async t => {
  const bench = await awake(t, { reader: { nackResendsMax: 3 } })
  const start_ms = bench.clock.now_ms()
  bench.emulator.inject({ kind: 'nack-storm', count: 3 })
  t.same(await settle(bench.clock, bench.reader.firmwareVersion()), { ic: 0x32, version: 1, revision: 6, support: 7 })
  bench.emulator.inject({ kind: 'nack-storm', count: 4 })
  const before = bench.written().length
  t.equal((await failure(settle(bench.clock, bench.reader.firmwareVersion()))).code, 'NACKED')
  t.equal(bench.written().slice(before), GET_FIRMWARE_VERSION.repeat(4))
  t.equal(bench.clock.now_ms(), start_ms, 'NACKs need no timeout')
})

t.test('a phone pulled away mid-exchange is TARGET_GONE with the chip\'s status (01 or 2B)', async t => {
  for (const status of [0x01, 0x2b] as const) {
    const bench = await awake(t)
    const target = new EchoTarget()
    bench.emulator.tap(target)
    await settle(bench.clock, bench.reader.listPassiveTarget())
    bench.emulator.inject({ kind: 'pull-away', afterExchanges: 1, status })
    await settle(bench.clock, bench.reader.dataExchange(1, fromHex('00A4040007F0504159414C4C00')))
    const { code, error } = await failure(settle(bench.clock, bench.reader.dataExchange(1, fromHex('80500000'))))
    t.equal(code, 'TARGET_GONE')
    t.equal(isPn532Error(error) ? error.status : undefined, status)
    t.equal(target.deactivations, 1, 'the phone saw the field go')
    t.equal(await settle(bench.clock, bench.reader.listPassiveTarget()), undefined, 'the field is empty afterwards')
  }
})

t.test('commands run one at a time, in the order they were asked', async t => {
  const bench = await awake(t)
  const target = new EchoTarget(apdu => encodeResponseApdu({ data: apdu.subarray(0, 1), sw: 0x9000 }))
  bench.emulator.tap(target)
  await settle(bench.clock, bench.reader.listPassiveTarget())
  const answers = await settle(bench.clock, Promise.all([1, 2, 3, 4].map(n => bench.reader.dataExchange(1, Uint8Array.of(n, 0, 0, 0)))))
  t.same(answers.map(toHex), ['019000', '029000', '039000', '049000'])
  t.same(target.apdus, ['01000000', '02000000', '03000000', '04000000'])
  const queued = Array.from({ length: 9 }, () => bench.reader.firmwareVersion())
  const outcomes = await settle(bench.clock, Promise.allSettled(queued))
  t.same(outcomes.map(o => (o.status === 'rejected' && isPn532Error(o.reason) ? o.reason.code : o.status)), [...Array(8).fill('fulfilled'), 'BUSY'])
})

t.test('a status other than success or a departed target is STATUS; bad arguments are refused before the wire', async t => {
  const bench = await awake(t)
  t.equal((await failure(settle(bench.clock, bench.reader.dataExchange(1, fromHex('00'))))).code, 'STATUS')
  t.equal((await failure(bench.reader.dataExchange(0, fromHex('00')))).code, 'BAD_ARGUMENT')
  t.equal((await failure(bench.reader.dataExchange(1, new Uint8Array(263)))).code, 'BAD_ARGUMENT')
  t.throws(() => new Pn532({ write: () => true, on: () => undefined, removeListener: () => undefined }, new ManualClock(0), { ackTimeoutMs: 0 }), { code: 'BAD_ARGUMENT' })
})

t.test('closing the driver fails the command waiting for the chip with IO, and every later one', async t => {
  const bench = await awake(t)
  bench.emulator.inject({ kind: 'silent', commands: 1 })
  bench.clock.setTimer(() => bench.reader.close(), 10)
  t.equal((await failure(settle(bench.clock, bench.reader.firmwareVersion()))).code, 'IO')
  t.equal(bench.clock.now_ms(), 10, 'at once, not at the ACK timeout')
  t.equal((await failure(bench.reader.firmwareVersion())).code, 'IO')
})

t.test('a malformed InListPassiveTarget answer is BAD_RESPONSE, never a crash', async t => {
  const bad = ['', '0000', '02', '01', '0101000420', '010100042005080102', '0101000420040801020304', '01010004200408010203040578', '01010004000408010203' + '0400', '01010004000308010203']
  for (const answer of bad) {
    t.throws(() => parsePassiveTarget(fromHex(answer)), { code: 'BAD_RESPONSE' }, answer || 'empty')
  }
  t.same(parsePassiveTarget(fromHex('01010004000408010203')), {
    targetNumber: 1, atqa: 4, sak: 0, uid: fromHex('08010203'), ats: undefined,
  }, 'a plain type A card has no ATS')
})
