import t from 'tap'
import Database from 'better-sqlite3'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import { AckOutcome } from '../../../protocol/messages/ack'
import { authorizationCodec, transferIdOf, type Authorization } from '../../../protocol/messages/authorization'
import { onlineAuthorizationRequestCodec } from '../../../protocol/messages/online-authorization'
import { Reason } from '../../../protocol/reasons'
import { nodeEd25519 } from '../../../protocol/signature/node'
import { toHex } from '../../../protocol/bytes'
import { cashTransferId } from '../../../hub/ledger/ids'
import { openDatabase } from '../../../hub/store/database'
import { MIGRATIONS } from '../../../hub/store/migrations'
import { ingestWorld, CURRENCY } from './world'

type World = Awaited<ReturnType<typeof ingestWorld>>

const answers = (ack: { entries: Array<{ outcome: number; reason: number }> } | null) => ack?.entries.map(e => [e.outcome, e.reason])

function askOnline(w: World, eui: string, authorization: Authorization) {
  return w.ingest.authorizeOnline(eui, onlineAuthorizationRequestCodec.encode({ correlationId: randomBytes(16), authorization }))
}

async function cashOut(w: World, wallet: string, amount_minor: number): Promise<void> {
  const { external } = await w.ledger.systemAccounts(CURRENCY)
  const [outcome] = await w.ledger.applyTransfers([{
    id: cashTransferId('cash_out', wallet, `drain-${amount_minor}`), kind: 'cash_out', currency: CURRENCY,
    postings: [
      { accountId: wallet, amountMinor: -amount_minor, role: 'payer' },
      { accountId: external.id, amountMinor: amount_minor, role: 'payee' },
    ],
  }])
  if (outcome!.status !== 'applied') throw new Error(`cash-out ${outcome!.status}`)
}

/** A customer whose voucher's hold was released after its deadline and whose wallet was emptied: nothing to pay with. */
async function customerWithNothingLeft(w: World) {
  const customer = await w.addCustomer(1_000, 1_000)
  const deadline_ms = (await w.ledger.hold(customer.voucherIdHex))!.uploadDeadlineAtMs
  return {
    customer,
    async emptied(): Promise<void> {
      w.clock.set(deadline_ms)
      const released = await w.ledger.releaseHold(customer.voucherIdHex)
      if (released.status !== 'applied') throw new Error(`release ${released.status}`)
      await cashOut(w, customer.wallet, 1_000)
    },
  }
}

t.test('an online refusal answers later online copies the same, and binds no record made offline by a gateway that never heard it', async t => {
  const w = await ingestWorld(t)
  const gateway = await w.addGateway('00000000000000E1')
  const { customer, emptied } = await customerWithNothingLeft(w)
  const authorization = w.pay(customer.phone, gateway, 500)
  await emptied()

  const refused = await askOnline(w, gateway.eui, authorization)
  t.same([refused!.approved, refused!.reason], [false, Reason.InsufficientFunds], 'nothing left to pay with')
  await w.cashIn(customer.wallet, 5_000)
  const retried = await askOnline(w, gateway.eui, authorization)
  t.same([retried!.approved, retried!.reason], [false, Reason.InsufficientFunds], 'the same payment asked again gets the same answer')

  // The answer was lost with the link; under prefer-online the gateway took the payment offline.
  gateway.append(authorization)
  t.same(answers(await w.ingest.ingest(gateway.eui, gateway.batch())), [[AckOutcome.Settled, Reason.None]],
    'its record is an offline payment like any other')
  t.equal(await w.balance(gateway.merchantAccountId), 500, 'the merchant is paid')
  t.equal(await w.balance(customer.wallet), 4_500, 'by the customer, the hold being gone')
  const again = await askOnline(w, gateway.eui, authorization)
  t.same([again!.approved, again!.reason], [true, Reason.None], 'online, the payment is now the one that settled')
  await w.assertLedgerOk(t)
})

t.test('a double spend refused online and then taken offline, its answer lost, is paid from the hold and flagged once (seed soak1.25)', async t => {
  const w = await ingestWorld(t)
  const first = await w.addGateway('00000000000000E6')
  const second = await w.addGateway('00000000000000E7')
  const customer = await w.addCustomer(10_000, 10_000)
  first.append(w.pay(customer.phone, first, 8_000))
  t.same(answers(await w.ingest.ingest(first.eui, first.batch())), [[AckOutcome.Settled, Reason.None]])
  customer.phone.forget(customer.voucher)
  const clone = w.pay(customer.phone, second, 9_000)
  const refused = await askOnline(w, second.eui, clone)
  t.same([refused!.approved, refused!.reason], [false, Reason.DoubleSpend], 'refused online, the voucher revoked')

  second.append(clone)
  t.same(answers(await w.ingest.ingest(second.eui, second.batch())), [[AckOutcome.Flagged, Reason.None]],
    'the record settles as an offline double spend')
  t.equal(await w.balance(second.merchantAccountId), 9_000, 'the second merchant is paid')
  t.equal(await w.balance(customer.wallet), -7_000, 'beyond the hold, as the customer\'s recorded debt')
  t.equal(w.db.prepare('SELECT count(*) AS n FROM double_spends').pluck().get(), 1, 'one flag for the one pair')
  await w.assertLedgerOk(t)
})

t.test('an online refusal that is final is on file by transfer id before the answer goes out, for online copies', async t => {
  const w = await ingestWorld(t)
  const gateway = await w.addGateway('00000000000000E2')
  const { customer, emptied } = await customerWithNothingLeft(w)
  const authorization = w.pay(customer.phone, gateway, 500)
  await emptied()
  await askOnline(w, gateway.eui, authorization)
  const transferIdHex = toHex(transferIdOf(authorization))
  const row = w.db.prepare('SELECT reason, eui FROM online_refusals WHERE transfer_id = ?').get(transferIdHex)
  t.same(row, { reason: Reason.InsufficientFunds, eui: gateway.eui })
  t.equal(await w.store.refusalForOnline(transferIdHex), Reason.InsufficientFunds)
  t.equal(await w.store.finalRefusal(transferIdHex), undefined, 'no record is bound by it')
})

t.test('a copy with a corrupted customer signature does not block the genuine payment', async t => {
  const w = await ingestWorld(t)
  const gateway = await w.addGateway('00000000000000E3')
  const customer = await w.addCustomer(10_000, 5_000)
  const genuine = w.pay(customer.phone, gateway, 700)
  const signature = Uint8Array.from(genuine.signature)
  signature[0]! ^= 0xff
  const corrupted = { ...genuine, signature }
  t.same(transferIdOf(corrupted), transferIdOf(genuine), 'both carry the id of the genuine payment')

  const online = await askOnline(w, gateway.eui, corrupted)
  t.same([online!.approved, online!.reason], [false, Reason.BadCustomerSignature])
  gateway.append(corrupted)
  t.same(answers(await w.ingest.ingest(gateway.eui, gateway.batch())), [[AckOutcome.Rejected, Reason.BadCustomerSignature]])
  t.equal(await w.store.finalRefusal(toHex(transferIdOf(genuine))), undefined, 'a refusal that proves no signature is not final')

  gateway.append(genuine)
  t.same(answers(await w.ingest.ingest(gateway.eui, gateway.batch(2))), [[AckOutcome.Settled, Reason.None]], 'the genuine one settles')
  t.equal(await w.balance(gateway.merchantAccountId), 700)
  await w.assertLedgerOk(t)
})

t.test('a refusal decided on the voucher is final for the id, online and in batches alike', async t => {
  const w = await ingestWorld(t)
  const gateway = await w.addGateway('00000000000000E4')
  const customer = await w.addCustomer(10_000, 5_000)
  const expired = authorizationCodec.sign(
    { ...w.pay(customer.phone, gateway, 500), timeMs: customer.voucher.expiresAtMs + 1 }, customer.phone.keys.secretKey, nodeEd25519)
  gateway.append(expired)
  t.same(answers(await w.ingest.ingest(gateway.eui, gateway.batch())), [[AckOutcome.Rejected, Reason.VoucherExpired]])
  t.equal(await w.store.finalRefusal(toHex(transferIdOf(expired))), Reason.VoucherExpired, 'on file by transfer id')
  const online = await askOnline(w, gateway.eui, expired)
  t.same([online!.approved, online!.reason], [false, Reason.VoucherExpired])
})

t.test('records refused for good before final refusals were kept become final refusals, unless the payment settled since', async t => {
  const path = join(t.testdir(), 'before-final-refusals.sqlite')
  // The database the hub had before final refusals: every migration older than theirs.
  const version = MIGRATIONS.find(migration => migration.name === 'final refusals by transfer id')!.version
  openDatabase(path, { migrations: MIGRATIONS.filter(migration => migration.version < version) }).close()
  const raw = new Database(path)
  const insert = raw.prepare(`INSERT INTO gateway_records (eui, gateway_seq, record_hash, transfer_id, voucher_id, voucher_seq,
    cumulative_minor, amount_minor, currency, mode, time_ms, record, outcome, reason, received_at_ms)
    VALUES ('00000000000000E5', ?, randomblob(32), ?, ?, 1, 100, 100, 'XOF', 0, 0, x'00', ?, ?, ?)`)
  const [refused, settledSince, corrupted] = ['a', 'b', 'c'].map(letter => letter.repeat(64))
  insert.run(1, refused, 'a'.repeat(32), 'rejected', Reason.InsufficientFunds, 1_000)
  insert.run(2, refused, 'a'.repeat(32), 'rejected', Reason.InsufficientFunds, 2_000)
  insert.run(3, settledSince, 'b'.repeat(32), 'rejected', Reason.InsufficientFunds, 3_000)
  insert.run(4, settledSince, 'b'.repeat(32), 'settled', Reason.None, 4_000)
  insert.run(5, corrupted, 'c'.repeat(32), 'rejected', Reason.BadCustomerSignature, 5_000)
  raw.close()

  const db = openDatabase(path)
  t.teardown(() => db.close())
  t.same(db.prepare('SELECT transfer_id AS id, reason, refused_at_ms AS at FROM final_refusals').all(),
    [{ id: refused, reason: Reason.InsufficientFunds, at: 1_000 }])
})

t.test('refusals signed into online answers before they bound online copies only move out of the final refusals', async t => {
  const path = join(t.testdir(), 'before-online-refusals.sqlite')
  const version = MIGRATIONS.find(migration => migration.name === 'online refusals bind online copies only')!.version
  openDatabase(path, { migrations: MIGRATIONS.filter(migration => migration.version < version) }).close()
  const raw = new Database(path)
  raw.prepare(`INSERT INTO gateway_records (eui, chain, gateway_seq, record_hash, transfer_id, voucher_id, voucher_seq,
    cumulative_minor, amount_minor, currency, mode, time_ms, record, outcome, reason, received_at_ms)
    VALUES ('00000000000000E8', 1, 1, randomblob(32), ?, ?, 1, 100, 100, 'XOF', 0, 0, x'00', 'rejected', ?, 1000)`)
    .run('a'.repeat(64), 'a'.repeat(32), Reason.VoucherExpired)
  const refuse = raw.prepare('INSERT INTO final_refusals (transfer_id, reason, eui, refused_at_ms) VALUES (?, ?, ?, ?)')
  refuse.run('a'.repeat(64), Reason.VoucherExpired, '00000000000000E8', 1_000)
  refuse.run('b'.repeat(64), Reason.DoubleSpend, '00000000000000E8', 2_000)
  raw.close()

  const db = openDatabase(path)
  t.teardown(() => db.close())
  t.same(db.prepare('SELECT transfer_id AS id, reason FROM final_refusals').all(), [{ id: 'a'.repeat(64), reason: Reason.VoucherExpired }],
    'an ack\'s refusal stays final')
  t.same(db.prepare('SELECT transfer_id AS id, reason, eui, refused_at_ms AS at FROM online_refusals').all(),
    [{ id: 'b'.repeat(64), reason: Reason.DoubleSpend, eui: '00000000000000E8', at: 2_000 }], 'an online answer\'s moves')
})
