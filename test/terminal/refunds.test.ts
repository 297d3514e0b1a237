// Refunds end to end: a terminal and the real hub (REST, embedded broker, SQLite ledger). The
// refund moves money from the merchant back to the customer through the ledger, once per refund
// id however often it is sent, never beyond the payment.

import t from 'tap'
import { randomBytes } from 'node:crypto'
import { toHex } from '../../protocol/bytes'
import { refundRequestCodec } from '../../protocol/messages/refund'
import { Reason, reasonName } from '../../protocol/reasons'
import { nodeEd25519 } from '../../protocol/signature/node'
import type { PaymentOutcome, RefundOutcome } from '../../terminal/payment'
import { RefundBook } from '../../terminal/refunds'
import type { HubApi } from '../../simulator/hub-api'
import { customerWithVoucher, merchantBalance, provisionedTerminal, shutDown, startTestHub, type WorldTerminal } from './hub-world'

async function walletBalance(api: HubApi, walletId: string): Promise<number> {
  const { accounts } = await api.ok('GET', '/accounts')
  return accounts.find((account: { id: string }) => account.id === walletId).balanceMinor
}

function approvedSeq(outcome: PaymentOutcome): number {
  if (outcome.kind !== 'approved') throw new Error(`expected approved, got ${JSON.stringify(outcome)}`)
  return outcome.record.gatewaySeq
}

function kindOf(outcome: RefundOutcome): string {
  return outcome.kind === 'declined' ? `declined ${reasonName(outcome.reason)}` : outcome.kind
}

/** A refund written down and signed, not sent: what the terminal holds between asking and hearing. */
function openRefund(world: WorldTerminal, seq: number, amount_minor: number) {
  return new RefundBook(world.store).open({
    refundId: randomBytes(16), transferId: world.store.record(seq)!.transferId, gatewaySeq: seq, amountMinor: amount_minor,
    currency: 'XOF', nowMs: Date.now(), ed25519: nodeEd25519,
  })
}

async function online(world: WorldTerminal): Promise<void> {
  const up = world.events.next('link', ({ online }) => online)
  await world.proxy.up()
  await up
}

t.test('a refund gives money back once per refund id, never more than the payment', async t => {
  const { hub, operator, dir } = await startTestHub(t)
  const world = await provisionedTerminal(hub, operator, dir, '70B3D57ED0000C01', 'refunds@shop.example')
  t.teardown(() => shutDown(world))
  const customer = await customerWithVoucher(operator, 'rama@phone.example', 100_000, '30000')

  const seq = approvedSeq(await world.pay(customer.phone, 10_000))
  await online(world)
  await world.sync.syncNow()
  t.equal(world.store.record(seq)!.ackOutcome, 'settled', 'the offline payment settled')
  const merchantBefore = await merchantBalance(hub, world.ownerEmail)
  const customerBefore = await walletBalance(customer.api, customer.wallet)

  const first = await world.terminal.refund({ gatewaySeq: seq }, 4_000)
  t.equal(kindOf(first), 'approved')
  t.equal(first.kind === 'approved' && first.refundedMinor, 4_000, 'the hub counts what is refunded of the payment')
  t.match(world.display.last, { kind: 'approved' })
  t.equal(await walletBalance(customer.api, customer.wallet), customerBefore + 4_000, 'the customer got the refund')
  t.equal(await merchantBalance(hub, world.ownerEmail), merchantBefore - 4_000, 'the merchant paid it')

  // The same signed request again (its answer lost): the hub answers as before and moves nothing.
  const book = new RefundBook(world.store)
  const stored = book.ofTransfer(world.store.record(seq)!.transferId)[0]!
  const again = await world.sync.refund(stored.request)
  t.not(again, 'unreachable')
  if (again !== 'unreachable') t.match(again.response, { approved: true, amountMinor: 4_000, refundedMinor: 4_000 })
  t.equal(await walletBalance(customer.api, customer.wallet), customerBefore + 4_000, 'a re-sent refund moves nothing')

  // Beyond what is left: refused by the terminal, and by the hub when a request gets there anyway.
  t.equal(kindOf(await world.terminal.refund({ gatewaySeq: seq }, 6_001)), 'declined RefundExceedsPayment')
  const forced = openRefund(world, seq, 6_001)
  const refused = await world.sync.refund(forced.request)
  t.equal(refused !== 'unreachable' && refused.response.reason, Reason.RefundExceedsPayment, 'the hub refuses it too')

  // The rest, by default the whole remainder.
  const rest = await world.terminal.refund({ gatewaySeq: seq })
  t.equal(kindOf(rest), 'approved')
  t.equal(rest.kind === 'approved' && rest.refund.amountMinor, 6_000)
  t.equal(await walletBalance(customer.api, customer.wallet), customerBefore + 10_000)
  t.equal(kindOf(await world.terminal.refund({ gatewaySeq: seq }, 1)), 'declined RefundExceedsPayment')
  t.equal((await operator.ok('GET', '/ledger/verify')).ok, true, 'the ledger keeps its invariants')

  const dayReport = await world.terminal.dayReport(false)
  t.same(dayReport.refunds, [{ currency: 'XOF', count: 2, totalMinor: 10_000 }], 'the day report counts the refunds')
})

t.test('a refund whose answer was lost is sent again unchanged and made once', async t => {
  const { hub, operator, dir } = await startTestHub(t)
  const world = await provisionedTerminal(hub, operator, dir, '70B3D57ED0000C02', 'lost@shop.example')
  t.teardown(() => shutDown(world))
  const customer = await customerWithVoucher(operator, 'awa@phone.example', 100_000, '30000')
  const seq = approvedSeq(await world.pay(customer.phone, 5_000))
  await online(world)
  await world.sync.syncNow()
  const customerBefore = await walletBalance(customer.api, customer.wallet)

  // Written down and sent, but the answer never written: as if the link fell right after sending.
  const pending = openRefund(world, seq, 2_000)
  t.not(await world.sync.refund(pending.request), 'unreachable')
  t.same(world.terminal.pendingRefunds().map(r => toHex(r.refundId)), [toHex(pending.refundId)], 'still pending here')

  const retried = await world.terminal.refund({ gatewaySeq: seq }, 2_000)
  t.equal(kindOf(retried), 'approved')
  t.equal(retried.kind === 'approved' && toHex(retried.refund.refundId), toHex(pending.refundId), 'the same refund, not a new one')
  t.equal(await walletBalance(customer.api, customer.wallet), customerBefore + 2_000, 'the money moved once')
  t.same(world.terminal.pendingRefunds(), [])
})

t.test('refunds are refused offline, for unknown payments, with a wrong signature or a reused id', async t => {
  const { hub, operator, dir } = await startTestHub(t)
  const world = await provisionedTerminal(hub, operator, dir, '70B3D57ED0000C03', 'refused@shop.example')
  t.teardown(() => shutDown(world))
  const customer = await customerWithVoucher(operator, 'ousmane@phone.example', 100_000, '30000')
  const seq = approvedSeq(await world.pay(customer.phone, 3_000))

  const offline = await world.terminal.refund({ gatewaySeq: seq }, 1_000)
  t.equal(kindOf(offline), 'declined OnlineRequired', 'offline, a refund is not even written down')
  t.same(world.terminal.pendingRefunds(), [])

  await online(world)
  // Before its record reaches the hub, the hub knows no such payment.
  t.equal(kindOf(await world.terminal.refund({ transferId: randomBytes(32) }, 1_000)), 'declined PaymentNotFound')
  await world.sync.syncNow()

  const transferId = world.store.record(seq)!.transferId
  const stranger = nodeEd25519.keyPairFromSeed(randomBytes(32))
  const forged = refundRequestCodec.encode(refundRequestCodec.sign({
    refundId: randomBytes(16), transferId, gatewayEui: world.eui, amountMinor: 1_000, currency: 'XOF', timeMs: Date.now(),
  }, stranger.secretKey, nodeEd25519))
  const answer = await world.sync.refund(forged)
  t.equal(answer !== 'unreachable' && answer.response.reason, Reason.BadGatewaySignature, 'only the gateway\'s own key asks')

  const made = openRefund(world, seq, 1_000)
  t.not(await world.sync.refund(made.request), 'unreachable')
  const reused = refundRequestCodec.encode(refundRequestCodec.sign({
    refundId: made.refundId, transferId, gatewayEui: world.eui, amountMinor: 1_500, currency: 'XOF', timeMs: Date.now(),
  }, world.store.keys.secretKey, nodeEd25519))
  const conflict = await world.sync.refund(reused)
  t.equal(conflict !== 'unreachable' && conflict.response.reason, Reason.RefundIdReused, 'one id, one refund')
  t.equal((await operator.ok('GET', '/ledger/verify')).ok, true)
})
