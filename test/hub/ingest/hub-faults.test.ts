import t from 'tap'
import Database from 'better-sqlite3'
import { randomBytes } from 'node:crypto'
import { AckOutcome } from '../../../protocol/messages/ack'
import { transferIdOf, type Authorization } from '../../../protocol/messages/authorization'
import { onlineAuthorizationRequestCodec } from '../../../protocol/messages/online-authorization'
import { Reason } from '../../../protocol/reasons'
import { toHex } from '../../../protocol/bytes'
import { GatewayStore } from '../../../hub/gateways/store'
import { feeScheduleResolver } from '../../../hub/ingest/fees'
import type { HubFaultKind } from '../../../hub/ingest/hub-fault'
import type { IngestMetrics } from '../../../hub/ingest/dependencies'
import type { LedgerStore } from '../../../hub/ledger/store'
import { SqliteLedgerStore } from '../../../hub/ledger/sqlite-store'
import type { SqliteEngine } from '../../../hub/store/sql'
import { WalSync } from '../../../hub/store/wal-sync'
import { ingestOver } from './bounded-ingest'
import { ingestWorld, CURRENCY } from './world'

type World = Awaited<ReturnType<typeof ingestWorld>>

const answers = (ack: { entries: Array<{ outcome: number; reason: number }> } | null) => ack?.entries.map(e => [e.outcome, e.reason])

/** Counts the faults the ingest reports, by kind. */
function faultCounter(): { faults: HubFaultKind[]; metrics: IngestMetrics } {
  const faults: HubFaultKind[] = []
  return {
    faults,
    metrics: {
      recordsReceived: () => undefined, answered: () => undefined, batchSettled: () => undefined, voided: () => undefined,
      fault: kind => faults.push(kind),
    },
  }
}

function onlineRequest(authorization: Authorization): Uint8Array {
  return onlineAuthorizationRequestCodec.encode({ correlationId: randomBytes(16), authorization })
}

async function merchantAndOneCustomer(w: World, eui: string) {
  const gateway = await w.addGateway(eui)
  const customer = await w.addCustomer(10_000, 9_000)
  return { gateway, customer }
}

function recordsOf(w: World, eui: string): number {
  return w.db.prepare('SELECT count(*) FROM gateway_records WHERE eui = ?').pluck().get(eui) as number
}

t.test('a fee schedule the ledger does not know is a fault of the hub: no ack, nothing stored, and the resend settles once', async t => {
  const w = await ingestWorld(t)
  const { gateway, customer } = await merchantAndOneCustomer(w, '00000000000000D1')
  let feeScheduleId = 'counter.XOF.missing'
  const { faults, metrics } = faultCounter()
  const ingest = ingestOver(t, w, { fees: { current: async () => feeScheduleId }, metrics })
  gateway.append(w.pay(customer.phone, gateway, 300))
  gateway.append(w.pay(customer.phone, gateway, 400))

  await t.rejects(ingest.ingest(gateway.eui, gateway.batch()), { code: 'HUB_FAULT', kind: 'fee_schedule' }, 'no ack is signed')
  t.same(faults, ['fee_schedule'], 'the fault is counted by kind')
  t.equal(recordsOf(w, gateway.eui), 0, 'no record is kept as refused')
  t.equal(await w.balance(gateway.merchantAccountId), 0)
  t.equal(await w.store.finalRefusal(toHex(transferIdOf(gateway.records[0]!.authorization))), undefined, 'nothing is final')

  feeScheduleId = await feeScheduleResolver(w.ledger, w.clock).current('counter', CURRENCY)
  t.same(answers(await ingest.ingest(gateway.eui, gateway.batch())), [[AckOutcome.Settled, Reason.None], [AckOutcome.Settled, Reason.None]])
  t.equal(await w.balance(gateway.merchantAccountId), 700, 'the merchant is paid once')
  await w.assertLedgerOk(t)
})

t.test('no fee schedule in force yet is a fault of the hub, in batches and online; once one is, both settle', async t => {
  const w = await ingestWorld(t)
  const { gateway, customer } = await merchantAndOneCustomer(w, '00000000000000D2')
  const effective_ms = w.clock.now_ms() + 60_000
  await w.ledger.addFeeSchedule({
    id: 'counter.XOF.v1', gatewayType: 'counter', currency: CURRENCY, version: 1, basisPoints: 0, fixedMinor: 0,
    ownerShareBasisPoints: 0, effectiveFromMs: effective_ms,
  })
  gateway.append(w.pay(customer.phone, gateway, 300))
  const online = w.pay(customer.phone, gateway, 200)
  await t.rejects(w.ingest.ingest(gateway.eui, gateway.batch()), { code: 'HUB_FAULT', kind: 'fee_schedule' })
  await t.rejects(w.ingest.authorizeOnline(gateway.eui, onlineRequest(online)), { code: 'HUB_FAULT', kind: 'fee_schedule' },
    'the online request is not answered either')
  w.clock.set(effective_ms)
  t.same(answers(await w.ingest.ingest(gateway.eui, gateway.batch())), [[AckOutcome.Settled, Reason.None]])
  t.equal((await w.ingest.authorizeOnline(gateway.eui, onlineRequest(online)))!.approved, true)
  t.equal(await w.balance(gateway.merchantAccountId), 500)
  await w.assertLedgerOk(t)
})

t.test('a merchant account the ledger does not know is a fault of the hub, not a currency the payment is in', async t => {
  const w = await ingestWorld(t)
  const { gateway, customer } = await merchantAndOneCustomer(w, '00000000000000D3')
  const gateways = new GatewayStore(w.context.engine)
  let merchantAccountId = 'nobody.XOF'
  const { faults, metrics } = faultCounter()
  const ingest = ingestOver(t, w, { gateway: async eui => ({ ...(await gateways.ingestView(eui))!, merchantAccountId }), metrics })
  gateway.append(w.pay(customer.phone, gateway, 300))
  const online = w.pay(customer.phone, gateway, 200)

  await t.rejects(ingest.ingest(gateway.eui, gateway.batch()), { code: 'HUB_FAULT', kind: 'merchant_account' })
  await t.rejects(ingest.authorizeOnline(gateway.eui, onlineRequest(online)), { code: 'HUB_FAULT', kind: 'merchant_account' })
  t.same(faults, ['merchant_account', 'merchant_account'])
  t.equal(recordsOf(w, gateway.eui), 0)
  t.equal(await w.store.finalRefusal(toHex(transferIdOf(online))), undefined, 'no refusal is on file for the payment')

  merchantAccountId = gateway.merchantAccountId
  t.same(answers(await ingest.ingest(gateway.eui, gateway.batch())), [[AckOutcome.Settled, Reason.None]])
  t.equal((await ingest.authorizeOnline(gateway.eui, onlineRequest(online)))!.approved, true)
  t.equal(await w.balance(gateway.merchantAccountId), 500, 'the merchant is paid once for each')
  await w.assertLedgerOk(t)
})

t.test('a SQLite error is a fault of the hub wherever it is thrown, and what the ledger committed settles nothing twice', async t => {
  const w = await ingestWorld(t)
  const { gateway, customer } = await merchantAndOneCustomer(w, '00000000000000D4')
  const { faults, metrics } = faultCounter()
  const ingest = ingestOver(t, w, { metrics })
  for (const amount of [100, 200]) gateway.append(w.pay(customer.phone, gateway, amount))

  const settleFromHolds = w.ledger.settleFromHolds.bind(w.ledger)
  w.ledger.settleFromHolds = async () => {
    throw new Database.SqliteError('database is locked', 'SQLITE_BUSY')
  }
  await t.rejects(ingest.ingest(gateway.eui, gateway.batch()), { code: 'HUB_FAULT', kind: 'storage' }, 'the ledger was busy')
  t.equal(await w.balance(gateway.merchantAccountId), 0, 'nothing was committed')
  w.ledger.settleFromHolds = settleFromHolds

  const write = w.store.write.bind(w.store)
  w.store.write = () => {
    throw new Database.SqliteError('database or disk is full', 'SQLITE_FULL')
  }
  await t.rejects(ingest.ingest(gateway.eui, gateway.batch()), { code: 'HUB_FAULT', kind: 'storage' }, 'the disk was full')
  t.equal(await w.balance(gateway.merchantAccountId), 0, 'the settlement rolled back with the records it could not write')
  t.same(faults, ['storage', 'storage'])
  w.store.write = write

  t.same(answers(await ingest.ingest(gateway.eui, gateway.batch())), [[AckOutcome.Settled, Reason.None], [AckOutcome.Settled, Reason.None]],
    'the resend settles them')
  t.equal(await w.balance(gateway.merchantAccountId), 300, 'once')
  await w.assertLedgerOk(t)
})

t.test('a ledger fault on one record of a batch rolls the whole batch back; the resend settles each payment once', async t => {
  const w = await ingestWorld(t)
  const { gateway, customer } = await merchantAndOneCustomer(w, '00000000000000D5')
  for (const amount of [100, 200, 300]) gateway.append(w.pay(customer.phone, gateway, amount))
  let broken = true
  const ledger: LedgerStore = Object.create(w.ledger) as LedgerStore
  ledger.settleFromHolds = (inputs, alsoWrite) => w.ledger.settleFromHolds(
    broken ? inputs.map((input, index) => index === 2 ? { ...input, merchantAccountId: 'nobody.XOF' } : input) : inputs, alsoWrite)
  const ingest = ingestOver(t, w, { ledger })

  await t.rejects(ingest.ingest(gateway.eui, gateway.batch()), { code: 'HUB_FAULT', kind: 'ledger', message: /UNKNOWN_ACCOUNT/ })
  t.equal(await w.balance(gateway.merchantAccountId), 0, 'the first two rolled back with the third')
  t.equal(recordsOf(w, gateway.eui), 0, 'the ingest kept nothing of the batch')
  broken = false
  t.same(answers(await ingest.ingest(gateway.eui, gateway.batch())),
    [[AckOutcome.Settled, Reason.None], [AckOutcome.Settled, Reason.None], [AckOutcome.Settled, Reason.None]])
  t.equal(await w.balance(gateway.merchantAccountId), 600, 'each payment is paid once')
  await w.assertLedgerOk(t)
})

t.test('a batch is acked only once an fsync covers its settlement; a failed fsync is a storage fault, and no ack', async t => {
  const w = await ingestWorld(t)
  const { gateway, customer } = await merchantAndOneCustomer(w, '00000000000000D7')
  const syncs: Array<{ finish: () => void; fail: (error: Error) => void }> = []
  const walSync = new WalSync(w.db, `${w.db.name}-wal`, async () => ({
    sync: () => new Promise<void>((resolve, reject) => syncs.push({ finish: resolve, fail: reject })),
    close: async () => undefined,
  }))
  const { faults, metrics } = faultCounter()
  const ingest = ingestOver(t, w, { ledger: new SqliteLedgerStore(w.db, { clock: w.clock, walSync, gate: w.context.engine as SqliteEngine }), metrics })

  gateway.append(w.pay(customer.phone, gateway, 300))
  let acked = false
  const first = ingest.ingest(gateway.eui, gateway.batch()).then(ack => { acked = true; return ack })
  while (syncs.length === 0) await new Promise(resolve => setImmediate(resolve))
  t.ok(await w.balance(gateway.merchantAccountId) > 0, 'settled and committed')
  t.notOk(acked, 'but not acked while its fsync is under way')
  syncs[0]!.finish()
  t.same(answers(await first), [[AckOutcome.Settled, Reason.None]], 'acked once on disk')

  gateway.append(w.pay(customer.phone, gateway, 400))
  const second = ingest.ingest(gateway.eui, gateway.batch(2, 2))
  while (syncs.length === 1) await new Promise(resolve => setImmediate(resolve))
  syncs[1]!.fail(new Error('EIO: i/o error'))
  await t.rejects(second, { code: 'HUB_FAULT', kind: 'storage', message: /SYNC_FAILED/ }, 'no ack for what may not be on disk')
  t.same(faults, ['storage'])
  const committed = await w.balance(gateway.merchantAccountId)
  await t.rejects(ingest.ingest(gateway.eui, gateway.batch(2, 2)), { code: 'HUB_FAULT', kind: 'storage' },
    'nothing is acked again until the hub restarts')

  // Restarted (a ledger with a sound fsync), the hub answers the resend from what it committed, paying nothing twice.
  const restarted = ingestOver(t, w)
  t.same(answers(await restarted.ingest(gateway.eui, gateway.batch(2, 2))), [[AckOutcome.Duplicate, Reason.None]])
  t.equal(await w.balance(gateway.merchantAccountId), committed)
})
