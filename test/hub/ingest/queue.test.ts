import t from 'tap'
import { randomBytes } from 'node:crypto'
import { AckOutcome } from '../../../protocol/messages/ack'
import { onlineAuthorizationRequestCodec } from '../../../protocol/messages/online-authorization'
import { boundedIngest, holdSettlements, twoGatewaysWithAPayment } from './bounded-ingest'
import { ingestWorld } from './world'

const outcomes = (ack: { entries: Array<{ outcome: number }> } | null) => ack?.entries.map(e => e.outcome)

t.test('past its bound the ingest refuses a batch with QUEUE_FULL, keeps nothing of it, and settles it when it comes again', async t => {
  const w = await ingestWorld(t)
  const ingest = boundedIngest(t, w, 1)
  const { first, second, customer } = await twoGatewaysWithAPayment(w, '00000000000000B1', '00000000000000B2')
  const held = holdSettlements(w)

  const running = ingest.ingest(first.eui, first.batch())
  await held.entered()
  await t.rejects(ingest.ingest(second.eui, second.batch()), { code: 'QUEUE_FULL' }, 'the one job the queue holds is running')
  const online = onlineAuthorizationRequestCodec.encode({ correlationId: randomBytes(16), authorization: w.pay(customer.phone, second, 50) })
  await t.rejects(ingest.authorizeOnline(second.eui, online), { code: 'QUEUE_FULL' }, 'online requests share the queue')
  const count = (sql: string) => w.db.prepare(sql).pluck().get()
  t.equal(count(`SELECT count(*) FROM gateway_records WHERE eui = '${second.eui}'`), 0, 'nothing of the refused batch is stored')
  t.equal(count('SELECT count(*) FROM rejected_batches'), 0, 'nor kept as a rejected batch')

  held.release()
  t.same(outcomes(await running), [AckOutcome.Settled])
  t.same(outcomes(await ingest.ingest(second.eui, second.batch())), [AckOutcome.Settled], 'sent again, it settles')
  t.equal(await w.balance(second.merchantAccountId), 200)
  await w.assertLedgerOk(t)
})
