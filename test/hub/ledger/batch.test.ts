// A batch call decides each request against the balances and holds its earlier requests left, and writes balances and
// holds once at its end: these tests pin that a batch answers and writes exactly what its requests would one call each.

import t from 'tap'
import fc from 'fast-check'
import { sha256, toHex } from '../../../protocol/bytes'
import { cashTransferId } from '../../../hub/ledger/ids'
import type { TransferInput } from '../../../hub/ledger/model'
import { cashInPostings, walletTransferPostings } from '../../../hub/ledger/settle'
import type { HoldOutcome, SettleFromHoldInput, TransferOutcome } from '../../../hub/ledger/store'
import { verifyLedger } from '../../../hub/ledger/verify'
import { ledgerTests, type LedgerFactory, type OpenLedger, type Teardown } from '../helpers/ledger'
import { HOUR_MS } from '../../../protocol/clock'

// Each test runs on SQLite and on PostgreSQL (test/hub/helpers/ledger.ts).
const test = ledgerTests(t)
const GATEWAY_EUI = '00112233AABBCCDD'
// All the money there is beside alice's 5 000 and bob's 8 000 (external is then at the bottom of exact amounts):
// paid OVERFLOWING_MINOR as a merchant, this wallet would leave the range of exact amounts.
const RICH_MINOR = Number.MAX_SAFE_INTEGER - 13_000
const OVERFLOWING_MINOR = 20_000

function idOf(text: string): string {
  return toHex(sha256(new TextEncoder().encode(text)))
}

function codeOf(outcome: TransferOutcome | HoldOutcome | undefined): string | undefined {
  return outcome?.status === 'refused' || outcome?.status === 'conflict' ? outcome.error.code : undefined
}

function cashIn(walletAccountId: string, amount_minor: number, key: string, currency = 'XOF'): TransferInput {
  return {
    id: cashTransferId('cash_in', walletAccountId, key), kind: 'cash_in', currency,
    postings: cashInPostings({ externalAccountId: `external:${currency}`, walletAccountId, amountMinor: amount_minor }),
  }
}

function p2p(payerAccountId: string, payeeAccountId: string, amount_minor: number, key: string): TransferInput {
  return {
    id: idOf(`p2p ${key}`), kind: 'p2p', currency: 'XOF',
    postings: walletTransferPostings({ payerAccountId, payeeAccountId, amountMinor: amount_minor }),
  }
}

function settlement(record: string, voucherId: string, amount_minor: number, merchantAccountId = 'shop'): SettleFromHoldInput {
  return {
    transferId: idOf(record), voucherId, amountMinor: amount_minor, merchantAccountId, ownerAccountId: 'owner',
    feeScheduleId: 'pos-xof-1', gatewayEui: GATEWAY_EUI, metadata: { record },
  }
}

/** Wallets alice and bob (5 000 and 8 000, vouchers of 2 000 and 5 000), shop, owner, rich (near the top of exact amounts). */
async function ledgerWithHolds(t: Teardown, factory: LedgerFactory): Promise<OpenLedger> {
  const ledger = await factory.open(t)
  const { store, clock } = ledger
  await store.systemAccounts('XOF')
  await store.systemAccounts('EUR')
  for (const id of ['alice', 'bob', 'shop', 'owner', 'rich']) await store.openWallet({ id, userId: `user-${id}`, currency: 'XOF' })
  await store.openWallet({ id: 'eve-eur', userId: 'user-eve', currency: 'EUR' })
  await store.addFeeSchedule({
    id: 'pos-xof-1', gatewayType: 'pos', currency: 'XOF', version: 1,
    basisPoints: 200, fixedMinor: 10, ownerShareBasisPoints: 2_500, effectiveFromMs: 0,
  })
  await store.applyTransfers([cashIn('alice', 5_000, 'seed'), cashIn('bob', 8_000, 'seed'), cashIn('rich', RICH_MINOR, 'seed')])
  for (const [voucherId, walletAccountId, limit_minor] of [['voucher-a', 'alice', 2_000], ['voucher-b', 'bob', 5_000]] as const) {
    await store.placeHold({
      voucherId, walletAccountId, limitMinor: limit_minor, expiresAtMs: clock.now_ms() + HOUR_MS, uploadDeadlineAtMs: clock.now_ms() + 2 * HOUR_MS,
    })
  }
  return ledger
}

/** Every ledger row: on SQLite in the order written; on PostgreSQL, which has no rowid, in key order. */
async function rows(ledger: OpenLedger): Promise<Record<string, unknown[]>> {
  const all = (table: string, key: string) => ledger.query(ledger.kind === 'sqlite'
    ? `SELECT rowid AS row_id, * FROM ${table} ORDER BY rowid` : `SELECT * FROM ${table} ORDER BY ${key}`)
  return {
    accounts: await all('accounts', 'id'), transfers: await all('transfers', 'seq'), holds: await all('voucher_holds', 'voucher_id'),
    // Postings have no rowid: their key is their transfer's, then their place in it.
    postings: await ledger.query('SELECT * FROM postings ORDER BY transfer_seq, posting_index'),
  }
}

/** The inputs as one batch on one ledger and one call each on another: the same outcomes and the same rows. */
async function assertBatchIsSequence<Input, Outcome>(
  t: tap.Test,
  setup: (t: Teardown, factory: LedgerFactory) => Promise<OpenLedger>,
  factory: LedgerFactory,
  call: (ledger: OpenLedger, inputs: readonly Input[]) => Promise<Outcome[]>,
  inputs: readonly Input[],
): Promise<{ batched: OpenLedger; outcomes: Outcome[] }> {
  const batched = await setup(t, factory)
  const sequential = await setup(t, factory)
  const outcomes = await call(batched, inputs)
  const oneByOne: Outcome[] = []
  for (const input of inputs) oneByOne.push(...await call(sequential, [input]))
  t.same(outcomes, oneByOne, 'the batch answers as its requests one call each')
  t.same(await rows(batched), await rows(sequential), 'the batch writes the rows its requests write one call each')
  t.same((await verifyLedger(batched.store)).violations, [], 'the ledger verifies')
  return { batched, outcomes }
}

const settle = (ledger: OpenLedger, inputs: readonly SettleFromHoldInput[]) => ledger.store.settleFromHolds(inputs)
const apply = (ledger: OpenLedger, inputs: readonly TransferInput[]) => ledger.store.applyTransfers(inputs)

test('two settlements in one batch draining a hold past its remainder charge the excess as separate batches do', async (t, factory) => {
  const { batched, outcomes } = await assertBatchIsSequence(t, ledgerWithHolds, factory, settle, [
    settlement('record-1', 'voucher-a', 1_500),
    settlement('record-2', 'voucher-a', 1_200), // 500 left: the other 700 comes out of alice's 3 000
    settlement('record-3', 'voucher-a', 3_000), // nothing left: all of it from her 2 300, 700 of it as debt
  ])
  t.same(outcomes.map(outcome => outcome.status), ['applied', 'applied', 'applied'])
  t.same(outcomes.map(outcome => outcome.status === 'applied' ? [outcome.hold.settledMinor, outcome.hold.excessMinor] : null),
    [[1_500, 0], [2_000, 700], [2_000, 3_700]], 'each outcome holds the hold as that settlement left it')
  t.equal((await batched.store.account('alice'))?.balanceMinor, 3_000 - 3_700)
  t.equal((await batched.store.account('hold:alice'))?.balanceMinor, 0)
})

test('a refusal in the middle of a settlement batch leaves the settlements before and after it intact', async (t, factory) => {
  const { batched, outcomes } = await assertBatchIsSequence(t, ledgerWithHolds, factory, settle, [
    settlement('record-1', 'voucher-b', 1_000),
    settlement('record-2', 'voucher-b', OVERFLOWING_MINOR, 'rich'), // refused last of all, once its postings are planned
    settlement('record-3', 'voucher-none', 1_000),
    settlement('record-4', 'voucher-b', 1_000, 'eve-eur'),
    settlement('record-5', 'voucher-b', 1_000),
  ])
  t.same(outcomes.map(codeOf), [undefined, 'BALANCE_OVERFLOW', 'HOLD_NOT_FOUND', 'CURRENCY_MISMATCH', undefined])
  t.match(await batched.store.hold('voucher-b'), { settledMinor: 2_000, excessMinor: 0 })
  t.equal((await batched.store.account('rich'))?.balanceMinor, RICH_MINOR)
  t.equal(await batched.store.transfer(idOf('record-2')), undefined)
})

test('an overdraft refused in the middle of a transfer batch leaves the transfers before and after it intact', async (t, factory) => {
  const { batched, outcomes } = await assertBatchIsSequence(t, ledgerWithHolds, factory, apply, [
    p2p('alice', 'shop', 2_000, 'first'), // alice: 3 000 → 1 000
    p2p('alice', 'shop', 1_001, 'overdraft'),
    p2p('shop', 'alice', 500, 'back'), // alice: 1 500
    p2p('alice', 'shop', 1_500, 'all of it'), // alice: 0
    p2p('alice', 'shop', 1, 'empty'),
  ])
  t.same(outcomes.map(outcome => outcome.status), ['applied', 'refused', 'applied', 'applied', 'refused'])
  t.same(outcomes.map(codeOf), [undefined, 'INSUFFICIENT_FUNDS', undefined, undefined, 'INSUFFICIENT_FUNDS'])
  t.equal((await batched.store.account('alice'))?.balanceMinor, 0)
  t.equal((await batched.store.account('shop'))?.balanceMinor, 3_000)
})

test('a request repeated within its batch is "exists" and sees what the first left; changed, it is a conflict', async (t, factory) => {
  const record = settlement('record-1', 'voucher-a', 800)
  const { outcomes } = await assertBatchIsSequence(t, ledgerWithHolds, factory, settle, [
    record, settlement('record-2', 'voucher-a', 100), record, { ...record, amountMinor: 801 },
  ])
  t.same(outcomes.map(outcome => outcome.status), ['applied', 'applied', 'exists', 'conflict'])
  t.match(outcomes[2], { hold: { settledMinor: 900 } }, 'the repeat answers with the hold as it stands')

  const transfer = p2p('bob', 'shop', 10, 'again')
  const transfers = await assertBatchIsSequence(t, ledgerWithHolds, factory, apply, [transfer, transfer, { ...transfer, metadata: { n: 1 } }])
  t.same(transfers.outcomes.map(outcome => outcome.status), ['applied', 'exists', 'conflict'])
})

test('a write failing in the middle of a batch rolls back the whole call, and the next call starts afresh', async (t, factory) => {
  const ledger = await ledgerWithHolds(t, factory)
  const before = await rows(ledger)
  // Stands for an I/O error: the third settlement's postings cannot be written.
  const record3 = `(SELECT seq FROM transfers WHERE id = '${idOf('record-3')}')`
  if (ledger.kind === 'sqlite') {
    await ledger.query(`CREATE TEMP TRIGGER fail_record_3 BEFORE INSERT ON postings WHEN NEW.transfer_seq = ${record3}
      BEGIN SELECT RAISE(ABORT, 'simulated write failure'); END`)
  } else {
    await ledger.query(`CREATE FUNCTION fail_record_3() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN IF NEW.transfer_seq = ${record3} THEN RAISE EXCEPTION 'simulated write failure'; END IF; RETURN NEW; END $$`)
    await ledger.query('CREATE TRIGGER fail_record_3 BEFORE INSERT ON postings FOR EACH ROW EXECUTE FUNCTION fail_record_3()')
  }
  const batch = [1, 2, 3, 4].map(index => settlement(`record-${index}`, 'voucher-b', 1_000))
  await t.rejects(ledger.store.settleFromHolds(batch), /simulated write failure/)
  t.same(await rows(ledger), before, 'nothing of the call was written')

  await ledger.query(ledger.kind === 'sqlite' ? 'DROP TRIGGER temp.fail_record_3' : 'DROP TRIGGER fail_record_3 ON postings')
  t.same((await ledger.store.settleFromHolds(batch)).map(outcome => outcome.status), ['applied', 'applied', 'applied', 'applied'])
  t.match(await ledger.store.hold('voucher-b'), { settledMinor: 4_000 })
  t.same((await verifyLedger(ledger.store)).violations, [])
})

test('a settlement refused in a currency without a platform account creates none; the next one creates it', async (t, factory) => {
  const ledger = await factory.open(t)
  const { store } = ledger
  // A ledger from before system accounts came in pairs: GHS has its external account only.
  await ledger.query(`INSERT INTO accounts (id, user_id, kind, currency, wallet_account_id, balance_minor, created_at_ms)
    VALUES ('external:GHS', NULL, 'external', 'GHS', NULL, 0, 0)`)
  for (const id of ['kofi', 'shop', 'owner', 'rich']) await store.openWallet({ id, userId: `user-${id}`, currency: 'GHS' })
  await store.addFeeSchedule({
    id: 'pos-ghs-1', gatewayType: 'pos', currency: 'GHS', version: 1,
    basisPoints: 200, fixedMinor: 10, ownerShareBasisPoints: 2_500, effectiveFromMs: 0,
  })
  await store.applyTransfers([cashIn('kofi', 5_000, 'seed', 'GHS'), cashIn('rich', RICH_MINOR + 8_000, 'seed', 'GHS')])
  await store.placeHold({ voucherId: 'voucher-k', walletAccountId: 'kofi', limitMinor: 3_000, expiresAtMs: 0, uploadDeadlineAtMs: 0 })
  const inGhs = (record: string, merchantAccountId: string) => ({
    ...settlement(record, 'voucher-k', merchantAccountId === 'rich' ? OVERFLOWING_MINOR : 1_000, merchantAccountId),
    feeScheduleId: 'pos-ghs-1',
  })

  const [refused] = await store.settleFromHolds([inGhs('record-1', 'rich')])
  t.equal(codeOf(refused), 'BALANCE_OVERFLOW')
  t.equal(await store.account('platform:GHS'), undefined)

  const outcomes = await store.settleFromHolds([inGhs('record-1', 'rich'), inGhs('record-2', 'shop'), inGhs('record-3', 'shop')])
  t.same(outcomes.map(outcome => outcome.status), ['refused', 'applied', 'applied'])
  t.match(await store.account('platform:GHS'), { kind: 'platform', currency: 'GHS', balanceMinor: 2 * 23 })
  t.same((await verifyLedger(store)).violations, [])
})

// --- any mix of settlements: one batch equals one call each ---

const settlementArbitrary: fc.Arbitrary<SettleFromHoldInput> = fc.record({
  record: fc.integer({ min: 0, max: 11 }),
  voucher: fc.constantFrom('voucher-a', 'voucher-b', 'voucher-none'),
  amountMinor: fc.oneof({ weight: 3, arbitrary: fc.integer({ min: 1, max: 4_000 }) }, { weight: 1, arbitrary: fc.constant(OVERFLOWING_MINOR) }),
  merchant: fc.constantFrom('shop', 'shop', 'shop', 'alice', 'owner', 'rich', 'eve-eur', 'hold:bob'),
  withMetadata: fc.boolean(),
}).map(({ record, voucher, amountMinor, merchant, withMetadata }) => {
  const input = settlement(`record-${record}`, voucher, amountMinor, merchant)
  if (withMetadata) return input
  const { metadata: _metadata, ...plain } = input
  return plain
})

// Some entries repeat an earlier one exactly, so the batches also meet their own retries.
const batchArbitrary: fc.Arbitrary<SettleFromHoldInput[]> = fc.array(
  fc.oneof({ weight: 4, arbitrary: settlementArbitrary }, { weight: 1, arbitrary: fc.nat({ max: 1_000 }) }),
  { minLength: 1, maxLength: 24 },
).map(entries => {
  const inputs: SettleFromHoldInput[] = []
  for (const entry of entries) {
    if (typeof entry !== 'number') inputs.push(entry)
    else if (inputs.length > 0) inputs.push(inputs[entry % inputs.length]!)
  }
  return inputs
})

test('any mix of settlements settles in one batch exactly as one call each', async (t, factory) => {
  const counts = new Map<string, number>()
  await fc.assert(fc.asyncProperty(batchArbitrary, async inputs => {
    const batched = await ledgerWithHolds(t, factory)
    const sequential = await ledgerWithHolds(t, factory)
    try {
      const outcomes = await batched.store.settleFromHolds(inputs)
      const oneByOne: HoldOutcome[] = []
      for (const input of inputs) oneByOne.push(...await sequential.store.settleFromHolds([input]))
      for (const outcome of outcomes) {
        const key = codeOf(outcome) ?? outcome.status
        counts.set(key, (counts.get(key) ?? 0) + 1)
      }
      return JSON.stringify(outcomes) === JSON.stringify(oneByOne)
        && JSON.stringify(await rows(batched)) === JSON.stringify(await rows(sequential))
        && (await verifyLedger(batched.store)).ok
    } finally {
      await batched.close()
      await sequential.close()
    }
  }), { seed: 20250116, numRuns: 40 })
  for (const reached of ['applied', 'exists', 'TRANSFER_CONFLICT', 'HOLD_NOT_FOUND', 'CURRENCY_MISMATCH', 'BALANCE_OVERFLOW', 'WRONG_ACCOUNT_KIND']) {
    t.ok((counts.get(reached) ?? 0) > 0, `the batches reached: ${reached}`)
  }
})
