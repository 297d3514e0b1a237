import t from 'tap'
import { randomBytes } from 'node:crypto'
import { transferIdOf } from '../../../protocol/messages/authorization'
import { refundRequestCodec } from '../../../protocol/messages/refund'
import { Reason } from '../../../protocol/reasons'
import { nodeEd25519 } from '../../../protocol/signature/node'
import { GatewayStore } from '../../../hub/gateways/store'
import { REFUND_JOBS_MAX, Refunds } from '../../../hub/refunds/refunds'
import { LedgerError } from '../../../hub/ledger/errors'
import type { LedgerStore } from '../../../hub/ledger/store'
import { RefundStore } from '../../../hub/refunds/store'
import { CURRENCY, ingestWorld } from '../ingest/world'
import { holdCalls } from '../../helpers/gate'


type World = Awaited<ReturnType<typeof ingestWorld>>

/** A world where a customer paid 5,000 once at a gateway, the payment settled. */
async function paidOnce(t: Parameters<typeof ingestWorld>[0], eui: string) {
  const w = await ingestWorld(t)
  const gateway = await w.addGateway(eui)
  const customer = await w.addCustomer(10_000, 9_000)
  const payment = w.pay(customer.phone, gateway, 5_000)
  gateway.append(payment)
  await w.ingest.ingest(gateway.eui, gateway.batch())
  return { w, gateway, payment }
}

/** The hub's refunds over the world's stores, with the ledger and metrics given. */
function refundsOver(w: World, options: { ledger?: LedgerStore; metrics?: { fault(kind: string): void } }): Refunds {
  const gateways = new GatewayStore(w.context.engine)
  return new Refunds({
    store: new RefundStore(w.context.engine), ledger: options.ledger ?? w.ledger, clock: w.clock, hubKeys: w.context.hubKeys, ed25519: nodeEd25519,
    gateway: eui => gateways.ingestView(eui), ...(options.metrics === undefined ? {} : { metrics: options.metrics }),
  })
}

/** A signed request to refund 100 of the payment, under a fresh refund id. */
function refundOf(
  w: World, gateway: { eui: string; keys: { secretKey: Uint8Array } }, payment: Parameters<typeof transferIdOf>[0], amount_minor = 100,
): Uint8Array {
  return refundRequestCodec.encode(refundRequestCodec.sign({
    refundId: randomBytes(16), transferId: transferIdOf(payment), gatewayEui: gateway.eui, amountMinor: amount_minor, currency: CURRENCY,
    timeMs: w.clock.now_ms(),
  }, gateway.keys.secretKey, nodeEd25519))
}

t.test('past REFUND_JOBS_MAX a refund request is refused with QUEUE_FULL and moves nothing; those queued are answered', async t => {
  const { w, gateway, payment } = await paidOnce(t, '00000000000000D1')
  const refunds = refundsOver(w, {})
  const request = () => refundOf(w, gateway, payment)

  // The first refund waits at the ledger, and the queue fills behind it.
  const { entered, release } = holdCalls(w.ledger, 'transfer')
  const queued = Array.from({ length: REFUND_JOBS_MAX }, () => refunds.handle(gateway.eui, request()))
  await entered()
  await t.rejects(refunds.handle(gateway.eui, request()), { code: 'QUEUE_FULL' })
  release()
  const answers = await Promise.all(queued)
  t.ok(answers.every(answer => answer?.approved === true), 'every queued refund is answered')
  t.equal(await w.balance(gateway.merchantAccountId), 5_000 - REFUND_JOBS_MAX * 100, 'the refused one moved nothing')
  await w.assertLedgerOk(t)
})

t.test('a ledger refusal that is not want of funds is a fault of the hub: the refund is not answered, and asked again it is', async t => {
  const { w, gateway, payment } = await paidOnce(t, '00000000000000D2')
  let broken = true
  const ledger: LedgerStore = Object.create(w.ledger) as LedgerStore
  ledger.applyTransfers = async inputs => broken
    ? inputs.map(input => ({ status: 'refused', transferId: input.id, error: new LedgerError('UNKNOWN_ACCOUNT', 'no such merchant') }))
    : w.ledger.applyTransfers(inputs)
  const faults: string[] = []
  const refunds = refundsOver(w, { ledger, metrics: { fault: kind => faults.push(kind) } })
  const request = refundOf(w, gateway, payment)

  await t.rejects(refunds.handle(gateway.eui, request), { code: 'HUB_FAULT', kind: 'ledger' }, 'no answer is signed')
  t.same(faults, ['ledger'])
  broken = false
  t.equal((await refunds.handle(gateway.eui, request))!.approved, true, 'asked again once the fault is gone, it is refunded')
  t.equal(await w.balance(gateway.merchantAccountId), 4_900, 'once')
  await w.assertLedgerOk(t)
})

t.test('a refund row a crash left out is restored from the ledger before the next refund is decided', async t => {
  const { w, gateway, payment } = await paidOnce(t, '00000000000000D3')
  t.equal((await refundsOver(w, {}).handle(gateway.eui, refundOf(w, gateway, payment, 1_000)))!.approved, true)
  // The crash: the ledger holds the refund transfer, the refunds table has no row for it.
  w.db.prepare('DELETE FROM refunds').run()

  const answer = (await refundsOver(w, {}).handle(gateway.eui, refundOf(w, gateway, payment, 4_500)))!
  t.same([answer.approved, answer.reason, answer.refundedMinor], [false, Reason.RefundExceedsPayment, 1_000],
    'what was refunded before counts: 1,000 + 4,500 is more than the 5,000 paid')
  t.equal(await w.balance(gateway.merchantAccountId), 5_000 - 1_000, 'once')
  await w.assertLedgerOk(t)
})
