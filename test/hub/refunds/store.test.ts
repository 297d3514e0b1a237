// The refunds store on both engines: one row per refund id whoever writes it, exact sums of what a payment gave back,
// rows that cannot change, and the rows a crash left out restored from the ledger's refund transfers, once.

import t from 'tap'
import { RefundStore, type RefundRow } from '../../../hub/refunds/store'
import type { SqlEngine } from '../../../hub/store/sql'
import { engineTests } from '../helpers/engines'

const engineTest = engineTests(t)

const EUI = '00000000000000E1'
const PAYMENT = 'a'.repeat(64)

const hex64 = (n: number) => n.toString(16).padStart(64, '0')
const refundIdOf = (n: number) => n.toString(16).padStart(32, '0')

/** A refund transfer as the ledger writes it (no postings: the refunds table names only the transfer). */
async function refundTransfer(engine: SqlEngine, n: number, amount_minor: number, metadata: object | null): Promise<string> {
  const id = hex64(n)
  await engine.run(`INSERT INTO transfers (id, kind, currency, amount_minor, gateway_eui, metadata, content_sha256, created_at_ms)
    VALUES (?, 'refund', 'XOF', ?, ?, ?, ?, ?)`, [id, amount_minor, EUI, metadata === null ? null : JSON.stringify(metadata), hex64(n), 1_000 + n])
  return id
}

function row(n: number, ledgerTransferId: string, amount_minor: number): RefundRow {
  return {
    refundId: refundIdOf(n), transferId: PAYMENT, ledgerTransferId, gatewayEui: EUI, amountMinor: amount_minor, currency: 'XOF',
    requestedAtMs: 900 + n, createdAtMs: 1_000 + n,
  }
}

engineTest('one row per refund id: the first written stays, and the sum of a payment is exact', async (t, factory) => {
  const { engine } = await factory.open(t)
  const refunds = new RefundStore(engine)
  t.equal(await refunds.refundedMinor(PAYMENT), 0, 'nothing refunded yet')
  const big = 2 ** 52
  const first = row(1, await refundTransfer(engine, 1, big, null), big)
  const second = row(2, await refundTransfer(engine, 2, 3, null), 3)
  t.equal(await refunds.insert(first), true)
  t.equal(await refunds.insert(second), true)
  t.equal(await refunds.insert({ ...first, amountMinor: 7 }), false, 'the refund id is taken')
  t.same(await refunds.byId(first.refundId), first, 'the first row is left as it was')
  t.equal(await refunds.byId(refundIdOf(9)), undefined)
  t.same(await refunds.ofTransfer(PAYMENT), [first, second])
  t.equal(await refunds.refundedMinor(PAYMENT), big + 3, 'a sum is exact and a number on both engines')
  await t.rejects(engine.run('UPDATE refunds SET amount_minor = ? WHERE refund_id = ?', [1, first.refundId]), /immutable/)
  await t.rejects(refunds.insert(row(3, hex64(99), 5)), 'a row names a transfer the ledger holds')
})

engineTest('rows a crash left out are restored from the ledger once, however many restore at the same time', async (t, factory) => {
  const { engine } = await factory.open(t)
  const refunds = new RefundStore(engine)
  const kept = await refundTransfer(engine, 1, 100, { refundId: refundIdOf(1), refundOf: PAYMENT, requestedAtMs: 901 })
  await refunds.insert(row(1, kept, 100))
  const orphan = await refundTransfer(engine, 2, 250, { refundId: refundIdOf(2), refundOf: PAYMENT, requestedAtMs: 902 })
  const undated = await refundTransfer(engine, 3, 50, { refundId: refundIdOf(3), refundOf: PAYMENT })
  await refundTransfer(engine, 4, 75, { note: 'not a refund of a gateway payment' })
  await refundTransfer(engine, 5, 75, null)

  // On PostgreSQL each call runs on connections of its own, as two hubs starting together would.
  const restored = await Promise.all([refunds.restoreOrphans(), new RefundStore(engine).restoreOrphans()])
  t.equal(restored[0]! + restored[1]!, 2, 'each row is restored once')
  t.same(await refunds.byId(refundIdOf(2)), row(2, orphan, 250))
  t.same(await refunds.byId(refundIdOf(3)), { ...row(3, undated, 50), requestedAtMs: 1_003 }, 'no request time: the transfer’s')
  t.equal(await refunds.refundedMinor(PAYMENT), 400)
  t.equal(await refunds.restoreOrphans(), 0, 'nothing is left to restore')
})
