import t from 'tap'
import { INS_GET_RESPONSE, INS_PAYMENT_REQUEST, INS_SELECT } from '../../../protocol/apdu'
import { toHex } from '../../../protocol/bytes'
import { CodedError } from '../../../protocol/errors'
import { paymentRequestCodec } from '../../../protocol/messages/payment-request'
import { paymentResponseCodec } from '../../../protocol/messages/payment-response'
import { reasonName } from '../../../protocol/reasons'
import type { Key } from '../../../hardware/devices'
import { isNfcLinkError, isPn532Error } from '../../../hardware/nfc/errors'
import { NfcPhoneLink, type NfcPhoneLinkOptions } from '../../../hardware/nfc/nfc-phone-link'
import { HcePhone, SW_CONDITIONS_NOT_SATISFIED } from '../../../simulator/nfc/hce-phone'
import { CURRENCY, EUI, T0, counterTerminal, phoneWithVoucher, provisionedStore } from '../../terminal/fixtures'
import { settle } from '../../helpers/clock'
import { openBench, type Bench } from './bench'

async function linkBench(t: Tap, options: { link?: NfcPhoneLinkOptions; emulator?: Parameters<typeof openBench>[1] } = {}) {
  const bench = await openBench(t, options.emulator)
  await settle(bench.clock, bench.reader.begin())
  const link = new NfcPhoneLink(bench.reader, bench.clock, { pollIntervalMs: 100, tapWaitMaxMs: 1000, ...options.link })
  return { ...bench, link }
}
type Tap = Parameters<typeof openBench>[0]

function request(amount_minor = 1_500, currency = CURRENCY): Uint8Array {
  return paymentRequestCodec.encode({
    gatewayEui: EUI, amountMinor: amount_minor, currency, nonce: new Uint8Array(16).fill(9), timeMs: T0, merchantName: 'Boutique Awa',
  })
}

async function failure(work: Promise<unknown>): Promise<{ code: string; error: unknown }> {
  const error = await work.then(() => 'resolved', (caught: unknown) => caught)
  return { code: error instanceof CodedError ? String(error.code) : String(error), error }
}

const keys = (...pressed: Key[]) => ({ nextKey: async () => pressed.shift() ?? 'cancel' })

t.test('a whole payment: keypad, PN532, an HCE phone and back to an approved record in SQLite', async t => {
  for (const shape of ['default sizes', 'small pieces']) {
    const chained = shape === 'small pieces'
    const bench: Bench & { link: NfcPhoneLink } = await linkBench(t, {
      link: chained ? { exchange: { chunkMaxBytes: 16 } } : {},
      emulator: chained ? { emulator: { dataExchangeChunkMaxBytes: 48 } } : {},
    })
    const store = provisionedStore(t.testdir())
    t.teardown(() => store.close())
    const { phone: wallet, voucher } = phoneWithVoucher()
    const phone = new HcePhone(wallet, chained ? { responseChunkMaxBytes: 100 } : {})
    bench.emulator.tap(phone)
    const { terminal, display } = counterTerminal(store, bench.link)

    const outcome = await settle(bench.clock, terminal.takeFromKeypad(keys('1', '5', '0', '0', 'enter')))

    t.equal(outcome.kind, 'approved', shape)
    const record = store.record(1)
    t.equal(record?.amountMinor, 1_500, `${shape}: the record is in the terminal's store`)
    t.equal(toHex(record!.voucherId), toHex(voucher.voucherId))
    t.equal(display.last?.kind, 'approved')
    t.equal(phone.received[0]?.ins, INS_SELECT, 'SELECT first')
    t.equal(toHex(phone.received[0]!.data), 'f0504159414c4c', 'the PayAll AID')
    const requestLinks = phone.received.filter(command => command.ins === INS_PAYMENT_REQUEST)
    const getResponses = phone.received.filter(command => command.ins === INS_GET_RESPONSE)
    if (chained) {
      t.ok(requestLinks.length > 1, `the request went in ${requestLinks.length} chained APDUs`)
      t.ok(getResponses.length > 0, `the answer came back with ${getResponses.length} GET RESPONSE`)
    } else {
      t.equal(requestLinks.length, 1, 'the request fits one APDU')
      t.equal(getResponses.length, 1, 'the answer (voucher and authorization) is longer than 256 bytes: one GET RESPONSE')
    }
    t.equal(phone.deactivations, 1, 'the reader released the phone')
    t.equal(bench.clock.now_ms(), 0, 'no timeout, no retry')
  }
})

t.test('a phone pulled away mid-exchange: declined, nothing recorded', async t => {
  for (const status of [0x01, 0x2b] as const) {
    const bench = await linkBench(t, { link: { exchange: { chunkMaxBytes: 16 } } })
    const store = provisionedStore(t.testdir())
    t.teardown(() => store.close())
    const { phone: wallet } = phoneWithVoucher()
    bench.emulator.tap(new HcePhone(wallet))
    bench.emulator.inject({ kind: 'pull-away', afterExchanges: 2, status })
    const { terminal } = counterTerminal(store, bench.link)
    const outcome = await settle(bench.clock, terminal.take(1_500))
    t.equal(outcome.kind === 'declined' ? reasonName(outcome.reason) : outcome.kind, 'BadFormat', `status ${status}: declined as no readable answer`)
    t.equal(store.record(1), undefined, 'nothing recorded')
    t.equal(store.chainHead().gatewaySeq, 0, 'the chain is still empty')
    t.equal(store.exposure(CURRENCY).unsyncedCount, 0)
  }
})

t.test('the link alone: a phone pulled away is TARGET_GONE from the reader', async t => {
  const bench = await linkBench(t)
  const { phone: wallet } = phoneWithVoucher()
  bench.emulator.tap(new HcePhone(wallet))
  bench.emulator.inject({ kind: 'pull-away', afterExchanges: 1, status: 0x2b })
  const { code, error } = await failure(settle(bench.clock, bench.link.exchange(request())))
  t.equal(code, 'TARGET_GONE')
  t.equal(isPn532Error(error) ? error.status : undefined, 0x2b)
})

t.test('the wallet\'s answer comes back as the PaymentResponse bytes it encoded', async t => {
  const bench = await linkBench(t)
  const { phone: wallet, voucher } = phoneWithVoucher()
  bench.emulator.tap(new HcePhone(wallet))
  const answer = paymentResponseCodec.decode(await settle(bench.clock, bench.link.exchange(request(2_000))))
  t.equal(answer.authorization.amountMinor, 2_000)
  t.equal(answer.authorization.seq, 1)
  t.equal(toHex(answer.voucher.voucherId), toHex(voucher.voucherId))
})

t.test('a phone without PayAll answers SELECT with 6A82: NO_PAYALL_APP', async t => {
  const bench = await linkBench(t)
  const { phone: wallet } = phoneWithVoucher()
  const phone = new HcePhone(wallet, { payAllInstalled: false })
  bench.emulator.tap(phone)
  const { code, error } = await failure(settle(bench.clock, bench.link.exchange(request())))
  t.equal(code, 'NO_PAYALL_APP')
  t.equal(isNfcLinkError(error) ? error.sw : undefined, 0x6a82)
  t.equal(phone.received.length, 1, 'nothing after the refused SELECT')
})

t.test('a phone answering bytes that are no response APDU is BAD_ANSWER', async t => {
  const bench = await linkBench(t)
  let deactivations = 0
  bench.emulator.tap({ processCommandApdu: () => Uint8Array.of(0x90), onDeactivated: () => { deactivations += 1 } })
  t.equal((await failure(settle(bench.clock, bench.link.exchange(request())))).code, 'BAD_ANSWER')
  t.equal(deactivations, 1, 'the phone was still released')
})

t.test('a wallet that will not pay answers a status word the link reports as PHONE_DECLINED', async t => {
  const bench = await linkBench(t)
  const { phone: wallet } = phoneWithVoucher()
  bench.emulator.tap(new HcePhone(wallet))
  const { code, error } = await failure(settle(bench.clock, bench.link.exchange(request(1_000, 'EUR'))))
  t.equal(code, 'PHONE_DECLINED')
  t.equal(isNfcLinkError(error) ? error.sw : undefined, SW_CONDITIONS_NOT_SATISFIED)
})

t.test('the link polls until a phone is tapped, and gives up after tapWaitMaxMs', async t => {
  const bench = await linkBench(t)
  const { phone: wallet } = phoneWithVoucher()
  bench.clock.setTimer(() => bench.emulator.tap(new HcePhone(wallet)), 350)
  await settle(bench.clock, bench.link.exchange(request()))
  t.equal(bench.clock.now_ms(), 400, 'found on the poll after the tap')

  const empty = await linkBench(t)
  t.equal((await failure(settle(empty.clock, empty.link.exchange(request())))).code, 'NO_PHONE')
  t.equal(empty.clock.now_ms(), 1000, 'eleven polls 100 ms apart')
})

t.test('an AbortSignal ends the wait for a tap', async t => {
  const bench = await linkBench(t)
  const controller = new AbortController()
  bench.clock.setTimer(() => controller.abort(), 250)
  t.equal((await failure(settle(bench.clock, bench.link.exchange(request(), controller.signal)))).code, 'ABORTED')
  t.equal(bench.clock.now_ms(), 250, 'at once, not at the next poll')
  t.equal((await failure(bench.link.exchange(request(), controller.signal))).code, 'ABORTED', 'an aborted signal does not poll at all')
})

t.test('a request too long for the APDU helpers is refused (ProtocolError) before anything reaches the reader', async t => {
  const bench = await linkBench(t)
  const before = bench.written().length
  t.equal((await failure(bench.link.exchange(new Uint8Array(5000)))).code, 'BAD_LENGTH')
  t.equal(bench.written().length, before)
})
