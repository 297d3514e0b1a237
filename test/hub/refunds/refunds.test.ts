import t from 'tap'
import { randomBytes } from 'node:crypto'
import { transferIdOf } from '../../../protocol/messages/authorization'
import { refundRequestCodec } from '../../../protocol/messages/refund'
import { nodeEd25519 } from '../../../protocol/signature/node'
import { GatewayStore } from '../../../hub/gateways/store'
import { REFUND_JOBS_MAX, Refunds } from '../../../hub/refunds/refunds'
import { RefundStore } from '../../../hub/refunds/store'
import { CURRENCY, ingestWorld } from '../ingest/world'
import { holdCalls } from '../../helpers/gate'

t.test('past REFUND_JOBS_MAX a refund request is refused with QUEUE_FULL and moves nothing; those queued are answered', async t => {
  const w = await ingestWorld(t)
  const gateway = await w.addGateway('00000000000000D1')
  const customer = await w.addCustomer(10_000, 9_000)
  const payment = w.pay(customer.phone, gateway, 5_000)
  gateway.append(payment)
  await w.ingest.ingest(gateway.eui, gateway.batch())
  const gateways = new GatewayStore(w.db)
  const refunds = new Refunds({
    store: new RefundStore(w.db), ledger: w.ledger, clock: w.clock, hubKeys: w.context.hubKeys, ed25519: nodeEd25519,
    gateway: eui => gateways.ingestView(eui),
  })
  const request = () => refundRequestCodec.encode(refundRequestCodec.sign({
    refundId: randomBytes(16), transferId: transferIdOf(payment), gatewayEui: gateway.eui, amountMinor: 100, currency: CURRENCY,
    timeMs: w.clock.now_ms(),
  }, gateway.keys.secretKey, nodeEd25519))

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
