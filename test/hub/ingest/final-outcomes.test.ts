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

t.test('a payment refused for want of funds stays refused after the funds arrive: online, and as a record of any seq', async t => {
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
  gateway.append(authorization)
  const ack = await w.ingest.ingest(gateway.eui, gateway.batch())
  t.same(answers(ack), [[AckOutcome.Rejected, Reason.InsufficientFunds]], 'its record is refused with the same reason')
  gateway.append(authorization)
  t.same(answers(await w.ingest.ingest(gateway.eui, gateway.batch(2))), [[AckOutcome.Rejected, Reason.InsufficientFunds]],
    'and so is a record of it at another seq, in another batch')
  t.equal(await w.balance(gateway.merchantAccountId), 0, 'no money moved')
  t.equal(await w.balance(customer.wallet), 5_000)
  await w.assertLedgerOk(t)
})

t.test('an online refusal that is final is on file by transfer id before the answer goes out', async t => {
  const w = await ingestWorld(t)
  const gateway = await w.addGateway('00000000000000E2')
  const { customer, emptied } = await customerWithNothingLeft(w)
  const authorization = w.pay(customer.phone, gateway, 500)
  await emptied()
  await askOnline(w, gateway.eui, authorization)
  const row = w.db.prepare('SELECT reason, eui FROM final_refusals WHERE transfer_id = ?').get(toHex(transferIdOf(authorization)))
  t.same(row, { reason: Reason.InsufficientFunds, eui: gateway.eui })
  t.equal(w.store.finalRefusal(toHex(transferIdOf(authorization))), Reason.InsufficientFunds)
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
  t.equal(w.store.finalRefusal(toHex(transferIdOf(genuine))), undefined, 'a refusal that proves no signature is not final')

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
  t.equal(w.store.finalRefusal(toHex(transferIdOf(expired))), Reason.VoucherExpired, 'on file by transfer id')
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
