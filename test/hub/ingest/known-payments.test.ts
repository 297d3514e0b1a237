// Deciding a batch reads what it must and no more: a voucher's history only for a payment at or below
// the highest known under it (double spends are still found wherever their seq falls), and the batch's
// stored records and final refusals in one read each, not one per record.

import t from 'tap'
import { AckOutcome } from '../../../protocol/messages/ack'
import { ingestWorld } from './world'

const outcomes = (ack: { entries: Array<{ outcome: number }> } | null) => ack?.entries.map(e => e.outcome)

/** Counts the reads of a voucher's whole history. */
function countHistoryReads(store: { knownPayments(voucherIdHex: string): unknown }): { count: number } {
  const reads = { count: 0 }
  const knownPayments = store.knownPayments.bind(store)
  store.knownPayments = (voucherIdHex: string) => {
    reads.count++
    return knownPayments(voucherIdHex)
  }
  return reads
}

t.test('payments that come after everything known under their voucher settle without reading its history', async t => {
  const w = await ingestWorld(t)
  const gateway = await w.addGateway('00000000000000C1')
  const customer = await w.addCustomer(100_000, 50_000)
  const history = countHistoryReads(w.store)
  for (const amount_minor of [1_000, 2_000, 3_000]) gateway.append(w.pay(customer.phone, gateway, amount_minor))
  t.same(outcomes(await w.ingest.ingest(gateway.eui, gateway.batch(1, 3))), [AckOutcome.Settled, AckOutcome.Settled, AckOutcome.Settled])
  for (const amount_minor of [4_000, 5_000]) gateway.append(w.pay(customer.phone, gateway, amount_minor))
  t.same(outcomes(await w.ingest.ingest(gateway.eui, gateway.batch(4, 5))), [AckOutcome.Settled, AckOutcome.Settled])
  t.equal(history.count, 0, 'no history was read')
  t.equal(await w.balance(gateway.merchantAccountId), 15_000)
  await w.assertLedgerOk(t)
})

t.test('a payment at or below the highest known seq is decided against the whole history: honest ones settle, conflicts are flagged', async t => {
  const w = await ingestWorld(t)
  const first = await w.addGateway('00000000000000C2')
  const second = await w.addGateway('00000000000000C3')
  const customer = await w.addCustomer(100_000, 50_000)
  const history = countHistoryReads(w.store)
  first.append(w.pay(customer.phone, first, 1_000))
  second.append(w.pay(customer.phone, second, 2_000))
  t.same(outcomes(await w.ingest.ingest(second.eui, second.batch())), [AckOutcome.Settled], 'seq 2 arrives first')
  t.same(outcomes(await w.ingest.ingest(first.eui, first.batch())), [AckOutcome.Settled], 'seq 1 fits before it')
  t.equal(history.count, 1, 'the history was read for the payment below the highest')

  // The phone forgets its second payment and signs another at seq 2: the same seq, another payment.
  customer.phone.forget(customer.voucher, { seq: 1, cumulativeMinor: 1_000 })
  first.append(w.pay(customer.phone, first, 500))
  t.same(outcomes(await w.ingest.ingest(first.eui, first.batch(2, 2))), [AckOutcome.Flagged], 'a second payment at seq 2 is a double spend')
  const row = w.db.prepare('SELECT kind FROM double_spends').get() as { kind: string }
  t.equal(row.kind, 'same_seq')
  await w.assertLedgerOk(t)
})

t.test('a batch reads its stored records and final refusals once, not once per record, and still answers a re-send', async t => {
  const w = await ingestWorld(t)
  const gateway = await w.addGateway('00000000000000C4')
  const customer = await w.addCustomer(100_000, 50_000)
  const perRecord = { storedRecord: 0, finalRefusal: 0 }
  for (const name of ['storedRecord', 'finalRefusal'] as const) {
    const read = (w.store[name] as (...args: unknown[]) => unknown).bind(w.store)
    Object.assign(w.store, { [name]: (...args: unknown[]) => { perRecord[name]++; return read(...args) } })
  }
  for (const amount_minor of [1_000, 2_000, 3_000]) gateway.append(w.pay(customer.phone, gateway, amount_minor))
  t.same(outcomes(await w.ingest.ingest(gateway.eui, gateway.batch())), [AckOutcome.Settled, AckOutcome.Settled, AckOutcome.Settled])
  t.same(outcomes(await w.ingest.ingest(gateway.eui, gateway.batch())), [AckOutcome.Duplicate, AckOutcome.Duplicate, AckOutcome.Duplicate],
    'the re-sent batch is answered from the records read ahead')
  t.same(perRecord, { storedRecord: 0, finalRefusal: 0 }, 'no record was read on its own')
  await w.assertLedgerOk(t)
})
