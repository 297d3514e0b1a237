import t from 'tap'
import { toHex } from '../../protocol/bytes'
import { authorizationCodec } from '../../protocol/messages/authorization'
import { refundRequestCodec, refundResponseCodec } from '../../protocol/messages/refund'
import { Reason, reasonName } from '../../protocol/reasons'
import { nodeEd25519 } from '../../protocol/signature/node'
import type { Key } from '../../terminal/keypad'
import { pressKey, EMPTY_ENTRY, entryText } from '../../terminal/keypad'
import { PrinterError } from '../../hardware/printer/escpos-printer'
import {
  planMode, type Display, type OnlineRefunder, type PaymentOutcome, type PaymentState, type PaymentTerminal, type Printer, type RefundAnswer, type Screen,
} from '../../terminal/payment'
import { dayBounds } from '../../terminal/day-report'
import { HOUR_MS, ManualClock } from '../../protocol/clock'
import { CURRENCY, FixedAuthorizer, HUB, T0, counterTerminal, phoneLink, phoneWithVoucher, provisionedStore, signedConfig } from './fixtures'

function approved(outcome: PaymentOutcome) {
  if (outcome.kind !== 'approved') throw new Error(`expected approved, got ${JSON.stringify(outcome)}`)
  return outcome
}

function declinedReason(outcome: PaymentOutcome): string {
  return outcome.kind === 'declined' ? reasonName(outcome.reason) : outcome.kind
}

t.test('the record is durable before the display says approved, and the display names the mode', async t => {
  const store = provisionedStore(t.testdir())
  t.teardown(() => store.close())
  const { phone } = phoneWithVoucher()
  const seenAtApproval: Array<number | undefined> = []
  const display: Display = {
    show(screen: Screen) {
      if (screen.kind === 'approved') seenAtApproval.push(store.record(1)?.gatewaySeq)
    },
  }
  const { terminal, printer } = counterTerminal(store, phoneLink(phone), { display })
  const outcome = approved(await terminal.take(1_500))
  t.same(seenAtApproval, [1], 'record 1 was in the store when "approved" was shown')
  t.equal(outcome.modeNote, 'offline-link-down', 'prefer-online with the link down says it went offline')
  t.equal(outcome.record.mode, 'offline')
  t.match(outcome.receipt.text, /Offline: no connection/)
  t.match(outcome.receipt.text, /1\u202f500 XOF/)
  t.ok(outcome.receipt.text.replace(/\n/g, '').includes(outcome.receipt.transferIdHex), 'the receipt carries the transfer id')
  t.equal(outcome.receipt.qrPayload, `payall:transfer/${toHex(outcome.record.transferId)}?gw=70B3D57ED00000A1&seq=1&amount=1500&currency=XOF`)
  t.same(printer.printed, [outcome.receipt.text])
  t.equal(terminal.state, 'idle')
})

t.test('prefer-online asks the hub when the link is up and records the payment as online', async t => {
  const store = provisionedStore(t.testdir())
  t.teardown(() => store.close())
  const { phone } = phoneWithVoucher()
  const online = new FixedAuthorizer(true, { approved: true, reason: Reason.None })
  const { terminal, display } = counterTerminal(store, phoneLink(phone), { online })
  const outcome = approved(await terminal.take(2_000))
  t.equal(online.asked.length, 1)
  t.equal(outcome.record.mode, 'online')
  t.equal(outcome.modeNote, 'online')
  t.ok(display.screens.some(s => s.kind === 'online'), 'the display said it was asking online')
  t.same(store.voucherSeen(outcome.record.voucherId)?.consecutiveOffline, 0, 'an online payment ends an offline run')
})

t.test('prefer-online falls back to offline when the hub does not answer, and says so', async t => {
  const store = provisionedStore(t.testdir())
  t.teardown(() => store.close())
  const { phone } = phoneWithVoucher()
  const { terminal, display } = counterTerminal(store, phoneLink(phone), { online: new FixedAuthorizer(true, 'unreachable') })
  const outcome = approved(await terminal.take(2_000))
  t.equal(outcome.record.mode, 'offline')
  t.equal(outcome.modeNote, 'offline-hub-unreachable')
  t.match(display.last!.lines.join('\n'), /Offline: PayAll did not answer/)
})

t.test('require-online declines rather than go offline; a hub decline is never overridden', async t => {
  const store = provisionedStore(t.testdir())
  t.teardown(() => store.close())
  const { phone } = phoneWithVoucher()
  const linkDown = counterTerminal(store, phoneLink(phone), { online: new FixedAuthorizer(false), policy: 'require-online' })
  t.equal(declinedReason(await linkDown.terminal.take(1_000)), 'OnlineRequired')
  const silent = counterTerminal(store, phoneLink(phone), { online: new FixedAuthorizer(true, 'unreachable'), policy: 'require-online' })
  t.equal(declinedReason(await silent.terminal.take(1_000)), 'HubUnavailable')
  const refused = counterTerminal(store, phoneLink(phone), { online: new FixedAuthorizer(true, { approved: false, reason: Reason.InsufficientFunds }) })
  const outcome = await refused.terminal.take(1_000)
  t.equal(declinedReason(outcome), 'InsufficientFunds')
  t.equal(outcome.kind === 'declined' && outcome.message, 'The customer does not have enough money.')
  t.equal(store.chainHead().gatewaySeq, 0, 'nothing was recorded')
})

t.test('force-offline never asks the hub', async t => {
  const store = provisionedStore(t.testdir())
  t.teardown(() => store.close())
  const { phone } = phoneWithVoucher()
  const online = new FixedAuthorizer(true)
  const { terminal } = counterTerminal(store, phoneLink(phone), { online, policy: 'force-offline' })
  t.equal(approved(await terminal.take(1_000)).modeNote, 'offline')
  t.equal(online.asked.length, 0)
  t.same(planMode('prefer-online', true), { kind: 'online', mayFallBack: true })
})

t.test('an amount over the floor limit is declined before the customer taps', async t => {
  const store = provisionedStore(t.testdir(), signedConfig({ floorLimitMinor: 10_000 }))
  t.teardown(() => store.close())
  let taps = 0
  const { terminal, display } = counterTerminal(store, { async exchange() { taps++; throw new Error('not reached') } })
  const outcome = await terminal.take(10_001)
  t.equal(declinedReason(outcome), 'OverFloorLimit')
  t.equal(taps, 0)
  t.match(display.last!.lines.join('\n'), /above the limit for one offline payment/)
})

t.test('reaching the unsynced count cap declines, emits limit-reached, and tells the merchant to connect', async t => {
  const store = provisionedStore(t.testdir(), signedConfig({ unsyncedCountMax: 2 }))
  t.teardown(() => store.close())
  const { phone } = phoneWithVoucher()
  const { terminal, events } = counterTerminal(store, phoneLink(phone))
  const reached: string[] = []
  events.on('limit-reached', ({ reason }) => reached.push(reasonName(reason)))
  approved(await terminal.take(100))
  approved(await terminal.take(100))
  const third = await terminal.take(100)
  t.equal(declinedReason(third), 'UnsyncedCountExceeded')
  t.same(reached, ['UnsyncedCountExceeded'])
})

t.test('the upload deadline blocks offline payments once the oldest unsynced record is too old', async t => {
  const store = provisionedStore(t.testdir(), signedConfig({ uploadDeadlineMs: HOUR_MS }))
  t.teardown(() => store.close())
  const { phone } = phoneWithVoucher()
  const clock = new ManualClock(T0)
  const { terminal } = counterTerminal(store, phoneLink(phone), { clock })
  approved(await terminal.take(100))
  clock.advance(HOUR_MS + 1)
  t.equal(declinedReason(await terminal.take(100)), 'UploadDeadlinePassed')
})

t.test('a tampered or failed phone answer is declined and its request closed', async t => {
  const store = provisionedStore(t.testdir())
  t.teardown(() => store.close())
  const { phone } = phoneWithVoucher()
  const cheat = phoneLink(phone, answer => {
    const { signature: _s, ...body } = answer.authorization
    // Signed by another key for a smaller amount: the customer's signature does not hold.
    const authorization = authorizationCodec.sign({ ...body, amountMinor: 1, cumulativeMinor: body.cumulativeMinor - body.amountMinor + 1 },
      nodeEd25519.keyPairFromSeed(new Uint8Array(32).fill(3)).secretKey, nodeEd25519)
    return { ...answer, authorization }
  })
  t.equal(declinedReason(await counterTerminal(store, cheat).terminal.take(1_000)), 'BadCustomerSignature')
  const broken = counterTerminal(store, { async exchange() { throw new Error('the phone left the field') } })
  const outcome = await broken.terminal.take(1_000)
  t.equal(outcome.kind === 'declined' && outcome.message, 'No answer from the phone. Ask the customer to tap again.')
  const open = store.db.prepare('SELECT COUNT(*) AS n FROM open_requests').get() as { n: number }
  t.equal(open.n, 0, 'no request is left open')
})

t.test('the keypad types minor units, with backspace, clear, enter and cancel', async t => {
  let entry = EMPTY_ENTRY
  for (const key of ['0', '1', '2', '5', '9', 'backspace', '0'] as Key[]) {
    const step = pressKey(entry, key)
    if (step.kind === 'editing') entry = step.entry
  }
  t.equal(entry.digits, '1250')
  t.equal(entryText(entry, 'EUR'), '12.50 EUR')
  t.equal(entryText(entry, 'XOF'), '1\u202f250 XOF')
  t.same(pressKey(EMPTY_ENTRY, 'enter'), { kind: 'editing', entry: EMPTY_ENTRY }, 'enter on zero does nothing')
  t.same(pressKey(entry, 'clear'), { kind: 'editing', entry: { digits: '' } })

  const store = provisionedStore(t.testdir())
  t.teardown(() => store.close())
  const { phone } = phoneWithVoucher()
  const keys: Key[] = ['3', '0', '0', 'enter']
  const { terminal, display } = counterTerminal(store, phoneLink(phone))
  const outcome = approved(await terminal.takeFromKeypad({ nextKey: async () => keys.shift()! }))
  t.equal(outcome.record.amountMinor, 300)
  t.same(display.screens.filter(s => s.kind === 'amount').map(s => s.lines[1]), ['0 XOF', '3 XOF', '30 XOF', '300 XOF'])
  const cancelled = await terminal.takeFromKeypad({ nextKey: async () => 'cancel' })
  t.same(cancelled, { kind: 'cancelled' })
  t.equal(terminal.state, 'idle')
})

t.test('the merchant can read it all in French', async t => {
  const store = provisionedStore(t.testdir(), signedConfig({ floorLimitMinor: 1_000 }))
  t.teardown(() => store.close())
  const { phone } = phoneWithVoucher()
  const { terminal, display } = counterTerminal(store, phoneLink(phone), { language: 'fr' })
  const outcome = approved(await terminal.take(500))
  t.match(outcome.receipt.text, /REÇU/)
  t.match(outcome.receipt.text, /Hors ligne : pas de connexion/)
  await terminal.take(5_000)
  t.same(display.last!.lines, ['REFUSÉ', '5\u202f000 XOF', 'Le montant dépasse le plafond d\'un paiement hors ligne.'])
})

t.test('the day report counts and totals the day\'s payments by mode and currency', async t => {
  const store = provisionedStore(t.testdir())
  t.teardown(() => store.close())
  const { phone } = phoneWithVoucher()
  const online = new FixedAuthorizer(false)
  const { terminal, printer } = counterTerminal(store, phoneLink(phone), { online })
  await terminal.take(1_000)
  await terminal.take(2_000)
  online.online = true
  await terminal.take(4_000)
  const report = await terminal.dayReport()
  t.same(report.lines, [
    { mode: 'offline', currency: CURRENCY, count: 2, totalMinor: 3_000 },
    { mode: 'online', currency: CURRENCY, count: 1, totalMinor: 4_000 },
  ])
  t.same(report.totals, [{ currency: CURRENCY, count: 3, totalMinor: 7_000 }])
  t.match(printer.printed[printer.printed.length - 1], /Total: 3 payments, 7\u202f000 XOF/)
  t.same(dayBounds(T0, 60), { fromMs: Date.UTC(2025, 4, 31, 23, 0, 0), toMs: Date.UTC(2025, 5, 1, 23, 0, 0) }, 'a day in UTC+1')
})

t.test('one payment at a time: a second one while the phone is being read is refused', async t => {
  const store = provisionedStore(t.testdir())
  t.teardown(() => store.close())
  const { phone } = phoneWithVoucher()
  const link = phoneLink(phone)
  let release!: () => void
  const tapped = new Promise<void>(resolve => { release = resolve })
  const { terminal } = counterTerminal(store, { async exchange(request) { await tapped; return link.exchange(request) } })
  const first = terminal.take(1_000)
  t.equal(terminal.state, 'requesting')
  await t.rejects(terminal.take(2_000), { code: 'PAYMENT_IN_PROGRESS' })
  release()
  t.equal((await first).kind, 'approved')
  t.equal(terminal.state, 'idle')
})

t.test('a printer that fails leaves the payment approved and stored, and tells the merchant: an event and a line on the approved screen', async t => {
  const store = provisionedStore(t.testdir())
  t.teardown(() => store.close())
  const { phone } = phoneWithVoucher()
  const printer: Printer = {
    async print() {
      throw new PrinterError('PAPER_OUT', 'the printer has no paper')
    },
  }
  const { terminal, display, events } = counterTerminal(store, phoneLink(phone), { printer })
  const faults: Array<{ code: string; message: string }> = []
  events.on('printer-error', fault => faults.push(fault))
  const outcome = approved(await terminal.take(1_500))
  t.equal(store.record(1)?.gatewaySeq, outcome.record.gatewaySeq, 'the payment is stored')
  t.equal(terminal.state, 'idle')
  t.same(faults, [{ code: 'PAPER_OUT', message: 'the printer has no paper' }])
  const last = display.last!
  t.equal(last.kind, 'approved', 'the screen still says approved')
  t.same(last.lines.slice(0, 5), ['APPROVED', '1\u202f500 XOF', 'Offline: no connection', 'Receipt not printed: check the printer.', 'PAPER_OUT: the printer has no paper'])
  t.ok(last.lines.join('\n').includes(outcome.receipt.transferIdHex.slice(0, 16)), 'with the receipt, shown rather than printed')
})

/** A refunder whose hub approves every refund, or never answers. */
function refunderAnswering(answer: 'approve' | 'unreachable'): OnlineRefunder {
  return {
    async refund(request): Promise<RefundAnswer | 'unreachable'> {
      if (answer === 'unreachable') return 'unreachable'
      const asked = refundRequestCodec.decode(request)
      const body = {
        refundId: asked.refundId, transferId: asked.transferId, approved: true, reason: Reason.None,
        amountMinor: asked.amountMinor, refundedMinor: asked.amountMinor, timeMs: T0,
      }
      return { response: body, bytes: refundResponseCodec.encode(refundResponseCodec.sign(body, HUB.secretKey, nodeEd25519)) }
    },
  }
}

t.test('a refund moves through the transition table: refunding, then approved or declined, then idle', async t => {
  const store = provisionedStore(t.testdir())
  t.teardown(() => store.close())
  const { phone } = phoneWithVoucher()
  let terminal!: PaymentTerminal
  const seen: Array<[Screen['kind'], PaymentState]> = []
  const display: Display = { show: screen => seen.push([screen.kind, terminal.state]) }
  const faults: string[] = []
  const built = counterTerminal(store, phoneLink(phone), { display, online: new FixedAuthorizer(true, 'unreachable'), refunder: refunderAnswering('approve') })
  terminal = built.terminal
  approved(await terminal.take(2_000))
  built.events.on('printer-error', ({ code }) => faults.push(code))

  seen.length = 0
  t.equal((await terminal.refund({ gatewaySeq: 1 }, 500)).kind, 'approved')
  t.same(seen, [['online', 'refunding'], ['approved', 'approved']])
  t.equal(terminal.state, 'idle')

  seen.length = 0
  t.equal((await terminal.refund({ gatewaySeq: 1 }, 5_000)).kind, 'declined')
  t.same(seen, [['declined', 'declined']])
  t.equal(terminal.state, 'idle')

  const unanswered = counterTerminal(store, phoneLink(phone), { display, online: new FixedAuthorizer(true), refunder: refunderAnswering('unreachable') })
  terminal = unanswered.terminal
  seen.length = 0
  t.equal((await terminal.refund({ gatewaySeq: 1 }, 500)).kind, 'unconfirmed')
  t.same(seen, [['online', 'refunding'], ['declined', 'refunding']], 'no answer: neither approved nor declined')
  t.equal(terminal.state, 'idle')

  const jammed = counterTerminal(store, phoneLink(phone), {
    online: new FixedAuthorizer(true), refunder: refunderAnswering('approve'),
    printer: { async print() { throw new PrinterError('COVER_OPEN', 'the printer cover is open') } },
  })
  jammed.events.on('printer-error', ({ code }) => faults.push(code))
  t.equal((await jammed.terminal.refund({ gatewaySeq: 1 }, 100)).kind, 'approved', 'a refund receipt not printed leaves the refund approved')
  t.same(faults, ['COVER_OPEN'])
  t.match(jammed.display.last, { kind: 'approved', lines: ['REFUNDED', '100 XOF', 'Receipt not printed: check the printer.', 'COVER_OPEN: the printer cover is open'] })
})

t.test('a refund while a payment or another refund is under way is refused with a typed error and changes nothing', async t => {
  const store = provisionedStore(t.testdir())
  t.teardown(() => store.close())
  const { phone } = phoneWithVoucher()
  const link = phoneLink(phone)
  let tap!: () => void
  let tapped = Promise.resolve()
  let answer!: () => void
  const approve = refunderAnswering('approve')
  const refunder: OnlineRefunder = {
    async refund(request) {
      await new Promise<void>(resolve => { answer = resolve })
      return approve.refund(request)
    },
  }
  const { terminal, display, events } = counterTerminal(store, { async exchange(request) { await tapped; return link.exchange(request) } }, {
    online: new FixedAuthorizer(true, 'unreachable'), refunder,
  })
  approved(await terminal.take(2_000))
  const heard: string[] = []
  for (const event of ['refund-approved', 'refund-declined', 'refund-unconfirmed', 'payment-approved'] as const) events.on(event, () => heard.push(event))

  tapped = new Promise(resolve => { tap = resolve })
  const payment = terminal.take(1_000)
  t.equal(terminal.state, 'requesting')
  const shown = display.screens.length
  await t.rejects(terminal.refund({ gatewaySeq: 1 }, 500), { name: 'TerminalError', code: 'PAYMENT_IN_PROGRESS' })
  t.equal(terminal.state, 'requesting', 'the payment goes on where it was')
  t.equal(display.screens.length, shown, 'nothing was shown')
  t.same(terminal.pendingRefunds(), [], 'no refund was written down')
  tap()
  approved(await payment)

  const refund = terminal.refund({ gatewaySeq: 1 }, 500)
  t.equal(terminal.state, 'refunding')
  await t.rejects(terminal.refund({ gatewaySeq: 1 }, 300), { name: 'TerminalError', code: 'PAYMENT_IN_PROGRESS' })
  await t.rejects(terminal.take(700), { name: 'TerminalError', code: 'PAYMENT_IN_PROGRESS' })
  t.equal(terminal.state, 'refunding')
  t.equal(terminal.pendingRefunds().length, 1, 'only the refund under way is written down')
  answer()
  t.equal((await refund).kind, 'approved')
  t.same(heard, ['payment-approved', 'refund-approved'])
  t.equal(terminal.state, 'idle')
})
