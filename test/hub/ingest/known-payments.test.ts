// Deciding a batch reads what it must and no more: the payments known under a voucher only for a payment at or
// below the highest known under it, and then only those around its seq, not the voucher's whole history (double
// spends are still found wherever their seq falls); the batch's stored records and final refusals in one read each.

import t from 'tap'
import { AckOutcome } from '../../../protocol/messages/ack'
import { ingestWorld } from './world'

const outcomes = (ack: { entries: Array<{ outcome: number }> } | null) => ack?.entries.map(e => e.outcome)

type KnownAround = (voucherIdHex: string, fromSeq: number, toSeq: number) => Promise<Array<{ seq: number }>>

/** Counts the reads of the payments known around seqs of a voucher, and the seqs each read returned. */
function countHistoryReads(store: { knownPaymentsAround: KnownAround }): { count: number; seqs: number[][] } {
  const reads = { count: 0, seqs: [] as number[][] }
  const knownPaymentsAround = store.knownPaymentsAround.bind(store)
  store.knownPaymentsAround = async (voucherIdHex, fromSeq, toSeq) => {
    reads.count++
    const known = await knownPaymentsAround(voucherIdHex, fromSeq, toSeq)
    reads.seqs.push(known.map(payment => payment.seq).sort((a, b) => a - b))
    return known
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

t.test('a payment that arrives after the later ones of a long history is decided against its neighbours only', async t => {
  const w = await ingestWorld(t)
  const late = await w.addGateway('00000000000000C5')
  const busy = await w.addGateway('00000000000000C6')
  const customer = await w.addCustomer(1_000_000, 500_000)
  // Seq 1 at a gateway that syncs late; seqs 2 to 40 at a busy one, settled first.
  late.append(w.pay(customer.phone, late, 1_000))
  for (let seq = 2; seq <= 40; seq += 1) busy.append(w.pay(customer.phone, busy, 100 + seq))
  t.same(new Set(outcomes(await w.ingest.ingest(busy.eui, busy.batch()))), new Set([AckOutcome.Settled]))
  const history = countHistoryReads(w.store)
  t.same(outcomes(await w.ingest.ingest(late.eui, late.batch())), [AckOutcome.Settled], 'seq 1 fits before them')
  t.same(history.seqs, [[2]], 'one read, of the payment above it: not the 39 of the history')

  // The phone forgets seqs 2 to 40 and signs another payment at seq 2: a double spend against seq 2, found so.
  customer.phone.forget(customer.voucher, { seq: 1, cumulativeMinor: 1_000 })
  late.append(w.pay(customer.phone, late, 700))
  t.same(outcomes(await w.ingest.ingest(late.eui, late.batch(2, 2))), [AckOutcome.Flagged], 'a second payment at seq 2')
  t.same(history.seqs[1], [1, 2, 3], 'read: the payment at seq 2 and its neighbours')
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
