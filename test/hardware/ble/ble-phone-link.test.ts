import t from 'tap'
import { BlePhoneLink, BleError } from '../../../hardware/ble/ble-phone-link'
import { FrameAssembler, frameChunks, REQUEST_MAX_BYTES } from '../../../hardware/ble/payall-service'
import { ManualClock } from '../../../protocol/clock'
import { paymentRequestCodec } from '../../../protocol/messages/payment-request'
import { paymentResponseCodec } from '../../../protocol/messages/payment-response'
import { FakeBleAdapter } from '../../../simulator/ble/fake-noble'
import { counterTerminal, EUI, phoneWithVoucher, provisionedStore, T0 } from '../../terminal/fixtures'

/** Each step waits under its own timeout, so the timer due next tells which step is waiting. */
const TIMEOUTS = { poweredOnTimeout_ms: 101, scanTimeout_ms: 102, connectTimeout_ms: 103, exchangeTimeout_ms: 104, disconnectTimeout_ms: 105 }

/** Whether the step that waits `delay_ms` is the one waiting now. */
function waitingFor(clock: ManualClock, delay_ms: number): boolean {
  return clock.nextDue_ms() === clock.now_ms() + delay_ms
}

async function until(condition: () => boolean): Promise<void> {
  for (let turn = 0; !condition(); turn++) {
    if (turn > 10_000) throw new Error('condition never held')
    await new Promise(setImmediate)
  }
}

function request() {
  return paymentRequestCodec.encode({ gatewayEui: EUI, amountMinor: 12_500, currency: 'XOF', nonce: new Uint8Array(16).fill(9), timeMs: T0, merchantName: 'Boutique Awa' })
}

t.test('framing: length-prefixed chunks of MTU - 3 bytes reassemble to the message', async t => {
  const message = Uint8Array.from({ length: 100 }, (_, i) => i)
  const chunks = frameChunks(message, 23, REQUEST_MAX_BYTES)
  t.same(chunks.map(c => c.length), [20, 20, 20, 20, 20, 2], '102 framed bytes in 20-byte chunks')
  t.same([...chunks[0]!.subarray(0, 2)], [0, 100], 'big-endian length first')
  const assembler = new FrameAssembler(REQUEST_MAX_BYTES)
  const results = chunks.map(chunk => assembler.push(chunk))
  t.same(results.slice(0, -1), [undefined, undefined, undefined, undefined, undefined])
  t.same(results[5], message)
  t.throws(() => new FrameAssembler(10).push(Uint8Array.of(0, 11)), { code: 'TOO_LARGE' })
  t.throws(() => new FrameAssembler(10).push(Uint8Array.of(0, 2, 1, 2, 3)), { code: 'BAD_FRAME' })
  t.throws(() => new FrameAssembler(10).push(Uint8Array.of(0, 0)), { code: 'BAD_FRAME' })
  t.throws(() => frameChunks(new Uint8Array(REQUEST_MAX_BYTES + 1), 23, REQUEST_MAX_BYTES), { code: 'TOO_LARGE' })
})

t.test('a whole payment over BLE: the terminal takes it through noble and a virtual phone', async t => {
  const adapter = new FakeBleAdapter()
  const { phone } = phoneWithVoucher()
  const hosted = adapter.addPhone(phone)
  const link = new BlePhoneLink(adapter.noble(), new ManualClock(0))
  const store = provisionedStore(t.testdir())
  t.teardown(() => store.close())
  const { terminal } = counterTerminal(store, link)
  const outcome = await terminal.take(12_500)
  t.equal(outcome.kind, 'approved')
  t.equal(store.record(1)?.amountMinor, 12_500)
  t.equal(hosted.connections, 1)
  await until(() => !hosted.connected)
  t.equal(hosted.disconnections, 1, 'the terminal hung up after the answer')
})

t.test('a larger MTU carries the request in fewer writes, and the answer decodes', async t => {
  const adapter = new FakeBleAdapter()
  adapter.mtu = 185
  const { phone, voucher } = phoneWithVoucher()
  adapter.addPhone(phone)
  const link = new BlePhoneLink(adapter.noble(), new ManualClock(0))
  const writes: number[] = []
  adapter.on('write', () => writes.push(1))
  const answer = paymentResponseCodec.decode(await link.exchange(request()))
  t.same(answer.voucher.voucherId, voucher.voucherId)
  t.equal(answer.authorization.amountMinor, 12_500)
  t.equal(writes.length, 1, 'one write at MTU 185')
})

t.test('an adapter that never powers on: NOT_POWERED, no scan', async t => {
  const adapter = new FakeBleAdapter()
  adapter.adapterState = 'poweredOff'
  const clock = new ManualClock(0)
  let scans = 0
  const startScanning = adapter.startScanning.bind(adapter)
  adapter.startScanning = uuids => {
    scans++
    startScanning(uuids)
  }
  const link = new BlePhoneLink(adapter.noble(), clock, TIMEOUTS)
  const exchange = link.exchange(request())
  await until(() => waitingFor(clock, TIMEOUTS.poweredOnTimeout_ms))
  clock.advance(TIMEOUTS.poweredOnTimeout_ms)
  await t.rejects(exchange, { name: 'BleError', code: 'NOT_POWERED' })
  t.equal(scans, 0)
})

t.test('an adapter that is unsupported: NOT_POWERED at once, without waiting for the timeout', async t => {
  const adapter = new FakeBleAdapter()
  adapter.adapterState = 'unsupported'
  const clock = new ManualClock(0)
  const link = new BlePhoneLink(adapter.noble(), clock, TIMEOUTS)
  await t.rejects(link.exchange(request()), { code: 'NOT_POWERED', message: /unsupported/ })
  t.equal(clock.pendingTimers, 0, 'its timer was cancelled')
})

t.test('at most four exchanges wait for the link; a fifth is refused QUEUE_FULL at once', async t => {
  const adapter = new FakeBleAdapter()
  adapter.adapterState = 'unsupported'
  const link = new BlePhoneLink(adapter.noble(), new ManualClock(0))
  const queued = Array.from({ length: 4 }, () => link.exchange(request()))
  await t.rejects(link.exchange(request()), { name: 'QueueFullError', code: 'QUEUE_FULL' })
  for (const exchange of queued) await t.rejects(exchange, { code: 'NOT_POWERED' })
  await t.rejects(link.exchange(request()), { code: 'NOT_POWERED' }, 'room again once they ended')
})

t.test('no phone in range: NO_PHONE, and the scan stops', async t => {
  const adapter = new FakeBleAdapter()
  const { phone } = phoneWithVoucher()
  const hosted = adapter.addPhone(phone)
  hosted.advertising = false
  const clock = new ManualClock(0)
  let stops = 0
  adapter.on('scanStop', () => stops++)
  const link = new BlePhoneLink(adapter.noble(), clock, TIMEOUTS)
  const exchange = link.exchange(request())
  await until(() => waitingFor(clock, TIMEOUTS.scanTimeout_ms))
  clock.advance(TIMEOUTS.scanTimeout_ms)
  await t.rejects(exchange, { code: 'NO_PHONE' })
  await until(() => stops === 1)
  t.equal(hosted.connections, 0)
})

t.test('a phone that never completes the connection: TIMEOUT, and the pending connection is cancelled', async t => {
  const adapter = new FakeBleAdapter()
  const hosted = adapter.addPhone(phoneWithVoucher().phone, { neverConnects: true })
  const clock = new ManualClock(0)
  const link = new BlePhoneLink(adapter.noble(), clock, TIMEOUTS)
  const exchange = link.exchange(request())
  await until(() => waitingFor(clock, TIMEOUTS.connectTimeout_ms))
  clock.advance(TIMEOUTS.connectTimeout_ms)
  await t.rejects(exchange, { code: 'TIMEOUT', message: /connection/ })
  t.same(adapter.cancelledConnects, [hosted.id])
})

t.test('a phone pulled away mid-exchange: DISCONNECTED, at once, not after a timeout', async t => {
  const adapter = new FakeBleAdapter()
  const { phone } = phoneWithVoucher()
  const hosted = adapter.addPhone(phone, { disconnectAfterChunks: 2 })
  const clock = new ManualClock(0)
  const link = new BlePhoneLink(adapter.noble(), clock, TIMEOUTS)
  await t.rejects(link.exchange(request()), { code: 'DISCONNECTED' })
  t.equal(hosted.connected, false)
  t.equal(hosted.disconnections, 1)
})

t.test('a garbage notification: BAD_FRAME, and the link is dropped', async t => {
  const adapter = new FakeBleAdapter()
  const { phone } = phoneWithVoucher()
  // Claims 3 bytes, sends 6.
  const hosted = adapter.addPhone(phone, { notifyInstead: [Uint8Array.of(0, 3, 1, 2, 3, 4, 5, 6)] })
  const link = new BlePhoneLink(adapter.noble(), new ManualClock(0))
  await t.rejects(link.exchange(request()), { code: 'BAD_FRAME' })
  await until(() => !hosted.connected)
  t.equal(hosted.disconnections, 1)
})

t.test('an answer announcing more than the bound: TOO_LARGE before it is buffered', async t => {
  const adapter = new FakeBleAdapter()
  const { phone } = phoneWithVoucher()
  const hosted = adapter.addPhone(phone, { notifyInstead: [Uint8Array.of(0xff, 0xff, 1, 2)] })
  const link = new BlePhoneLink(adapter.noble(), new ManualClock(0))
  await t.rejects(link.exchange(request()), { code: 'TOO_LARGE' })
  await until(() => !hosted.connected)
  await t.rejects(link.exchange(new Uint8Array(REQUEST_MAX_BYTES + 1)), { code: 'TOO_LARGE' }, 'a request over the bound never leaves')
})

t.test('a phone that never answers: TIMEOUT, then disconnected; the next phone works', async t => {
  const adapter = new FakeBleAdapter()
  const silent = adapter.addPhone(phoneWithVoucher().phone, { silent: true })
  const clock = new ManualClock(0)
  const link = new BlePhoneLink(adapter.noble(), clock, TIMEOUTS)
  const exchange = link.exchange(request())
  await until(() => silent.connected && waitingFor(clock, TIMEOUTS.exchangeTimeout_ms))
  clock.advance(TIMEOUTS.exchangeTimeout_ms)
  const error = await exchange.catch((caught: unknown) => caught)
  t.ok(error instanceof BleError && error.code === 'TIMEOUT', String(error))
  await until(() => !silent.connected)
  silent.advertising = false
  adapter.addPhone(phoneWithVoucher().phone)
  const answer = paymentResponseCodec.decode(await link.exchange(request()))
  t.equal(answer.authorization.amountMinor, 12_500)
})
