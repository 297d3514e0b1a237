import t from 'tap'
import { sha256, toHex } from '../../../protocol/bytes'
import { cashTransferId, holdTransferId } from '../../../hub/ledger/ids'
import type { TransferInput } from '../../../hub/ledger/model'
import { cashInPostings, cashOutPostings, walletTransferPostings } from '../../../hub/ledger/settle'
import type { FundedWalletInput, HoldOutcome, SettleFromHoldInput, TransferOutcome } from '../../../hub/ledger/store'
import type { SqlQuery } from '../../../hub/store/sql'
import { TRANSFERS_PER_BATCH_MAX } from '../../../hub/ledger/transfer'
import { verifyLedger } from '../../../hub/ledger/verify'
import { ledgerTests, type LedgerFactory, type OpenLedger, type Teardown } from '../helpers/ledger'
import { HOUR_MS } from '../../../protocol/clock'

// Each test runs on SQLite and on PostgreSQL (test/hub/helpers/ledger.ts).
const test = ledgerTests(t)
const GATEWAY_EUI = '00112233AABBCCDD'

function codeOf(outcome: TransferOutcome | HoldOutcome | undefined): string | undefined {
  return outcome?.status === 'refused' || outcome?.status === 'conflict' ? outcome.error.code : undefined
}

function idOf(text: string): string {
  return toHex(sha256(new TextEncoder().encode(text)))
}

function cashIn(walletAccountId: string, amount_minor: number, key: string, currency = 'XOF'): TransferInput {
  return {
    id: cashTransferId('cash_in', walletAccountId, key), kind: 'cash_in', currency,
    postings: cashInPostings({ externalAccountId: `external:${currency}`, walletAccountId, amountMinor: amount_minor }),
  }
}

function cashOut(walletAccountId: string, amount_minor: number, key: string): TransferInput {
  return {
    id: cashTransferId('cash_out', walletAccountId, key), kind: 'cash_out', currency: 'XOF',
    postings: cashOutPostings({ walletAccountId, externalAccountId: 'external:XOF', amountMinor: amount_minor }),
  }
}

function p2p(payerAccountId: string, payeeAccountId: string, amount_minor: number, key: string): TransferInput {
  return {
    id: idOf(`p2p ${key}`), kind: 'p2p', currency: 'XOF',
    postings: walletTransferPostings({ payerAccountId, payeeAccountId, amountMinor: amount_minor }),
  }
}

async function ledgerWithWallets(t: Teardown, factory: LedgerFactory): Promise<OpenLedger> {
  const ledger = await factory.open(t)
  const { store } = ledger
  await store.systemAccounts('XOF')
  await store.systemAccounts('EUR')
  for (const [id, userId] of [['alice', 'user-alice'], ['bob', 'user-bob'], ['shop', 'user-shop'], ['owner', 'user-owner']]) {
    await store.openWallet({ id: id!, userId: userId!, currency: 'XOF' })
  }
  await store.openWallet({ id: 'eve-eur', userId: 'user-eve', currency: 'EUR' })
  await store.addFeeSchedule({
    id: 'pos-xof-1', gatewayType: 'pos', currency: 'XOF', version: 1,
    basisPoints: 200, fixedMinor: 10, ownerShareBasisPoints: 2_500, effectiveFromMs: 0,
  })
  return ledger
}

/** Alice cashes in 5,000 and places a hold of 2,000 on voucher-1, due an hour from now, to upload within two. */
async function placeAliceHold({ store, clock }: OpenLedger): Promise<HoldOutcome> {
  await store.applyTransfers([cashIn('alice', 5_000, 'receipt-1')])
  return store.placeHold({
    voucherId: 'voucher-1', walletAccountId: 'alice', limitMinor: 2_000,
    expiresAtMs: clock.now_ms() + HOUR_MS, uploadDeadlineAtMs: clock.now_ms() + 2 * HOUR_MS,
  })
}

async function balances(ledger: OpenLedger): Promise<Record<string, number>> {
  const rows = await ledger.query('SELECT id, balance_minor FROM accounts ORDER BY id') as Array<{ id: string; balance_minor: number }>
  return Object.fromEntries(rows.map(row => [row.id, row.balance_minor]))
}

async function rowCounts(ledger: OpenLedger): Promise<Record<string, number>> {
  const count = async (table: string) => (await ledger.query(`SELECT COUNT(*) AS n FROM ${table}`))[0]!.n as number
  return {
    accounts: await count('accounts'), transfers: await count('transfers'), postings: await count('postings'),
    holds: await count('voucher_holds'),
  }
}

/** A row of the caller's, written through the ledger call's own statements (a users row: no foreign key, both engines). */
async function writeCallerRow(sql: SqlQuery, id: string): Promise<void> {
  await sql.run('INSERT INTO users (id, email, password_hash, created_at_ms) VALUES (?, ?, ?, ?)', [id, `${id}@example.com`, 'x', 0])
}

async function callerRows(ledger: OpenLedger): Promise<string[]> {
  return (await ledger.query('SELECT id FROM users ORDER BY id')).map(row => String(row.id))
}

/** What a caller's `alsoWrite` throws after its statements: the call rejects with it and writes nothing. */
async function refuseAfter(write: Promise<void>): Promise<never> {
  await write
  throw new Error('the caller refuses')
}

/** A wallet `id` of user-`id`, cashed in with `cash_minor`, and a hold of `limit_minor` on voucher-`id`. */
function fundedWallet({ clock }: OpenLedger, id: string, cash_minor: number, limit_minor: number): FundedWalletInput {
  return {
    wallet: { id, userId: `user-${id}`, currency: 'XOF' },
    cashIn: cashIn(id, cash_minor, `bulk-${id}`),
    hold: { voucherId: `voucher-${id}`, walletAccountId: id, limitMinor: limit_minor, expiresAtMs: clock.now_ms() + HOUR_MS,
      uploadDeadlineAtMs: clock.now_ms() + 2 * HOUR_MS },
  }
}

async function assertVerified(t: tap.Test, ledger: OpenLedger): Promise<void> {
  const verification = await verifyLedger(ledger.store)
  t.same(verification.violations, [], 'the ledger verifies')
}

function settlement(transferId: string, voucherId: string, amount_minor: number): SettleFromHoldInput {
  return {
    transferId, voucherId, amountMinor: amount_minor, merchantAccountId: 'shop', ownerAccountId: 'owner',
    feeScheduleId: 'pos-xof-1', gatewayEui: GATEWAY_EUI,
  }
}

test('a cash-in moves money from the external account into the wallet, stamped by the injected clock', async (t, factory) => {
  const ledger = await ledgerWithWallets(t, factory)
  const input = cashIn('alice', 5_000, 'receipt-1')
  t.same(await ledger.store.applyTransfers([input]), [{ status: 'applied', transferId: input.id }])
  t.equal((await ledger.store.account('alice'))?.balanceMinor, 5_000)
  t.equal((await ledger.store.account('external:XOF'))?.balanceMinor, -5_000)
  const transfer = await ledger.store.transfer(input.id)
  t.equal(transfer?.amountMinor, 5_000)
  t.equal(transfer?.createdAtMs, ledger.clock.now_ms())
  t.same(transfer?.postings.map(posting => [posting.accountId, posting.amountMinor, posting.role]),
    [['external:XOF', -5_000, 'payer'], ['alice', 5_000, 'payee']])
  await assertVerified(t, ledger)
})

test('an overdraft is refused with INSUFFICIENT_FUNDS and changes nothing', async (t, factory) => {
  const ledger = await ledgerWithWallets(t, factory)
  await ledger.store.applyTransfers([cashIn('alice', 1_000, 'receipt-1')])
  const before = { balances: await balances(ledger), rows: await rowCounts(ledger) }

  const [cashOutOutcome] = await ledger.store.applyTransfers([cashOut('alice', 1_001, 'counter-1')])
  t.equal(cashOutOutcome?.status, 'refused')
  t.equal(codeOf(cashOutOutcome), 'INSUFFICIENT_FUNDS')
  const [p2pOutcome] = await ledger.store.applyTransfers([p2p('bob', 'alice', 1, 'empty wallet')])
  t.equal(codeOf(p2pOutcome), 'INSUFFICIENT_FUNDS')

  t.same(await balances(ledger), before.balances)
  t.same(await rowCounts(ledger), before.rows)
  t.equal(await ledger.store.transfer(cashOut('alice', 1_001, 'counter-1').id), undefined)
  await assertVerified(t, ledger)
})

test('a batch applies in order, in one transaction, with one outcome per transfer', async (t, factory) => {
  const ledger = await ledgerWithWallets(t, factory)
  const batch = [
    cashIn('alice', 1_000, 'receipt-1'),
    p2p('alice', 'bob', 600, 'lunch'),
    p2p('alice', 'bob', 600, 'dinner'), // only 400 left
    cashIn('alice', 1_000, 'receipt-1'), // the same cash-in again
    cashOut('bob', 600, 'counter-1'),
  ]
  const outcomes = await ledger.store.applyTransfers(batch)
  t.same(outcomes.map(outcome => outcome.status), ['applied', 'applied', 'refused', 'exists', 'applied'])
  t.same(outcomes.map(outcome => outcome.transferId), batch.map(input => input.id))
  t.equal((await ledger.store.account('alice'))?.balanceMinor, 400)
  t.equal((await ledger.store.account('bob'))?.balanceMinor, 0)
  t.equal((await ledger.store.account('external:XOF'))?.balanceMinor, -400)
  await assertVerified(t, ledger)
})

test('the same transfer again is "exists"; the same id with other content is "conflict"; neither writes', async (t, factory) => {
  const ledger = await ledgerWithWallets(t, factory)
  const original = cashIn('alice', 1_000, 'receipt-1')
  await ledger.store.applyTransfers([original])
  const before = { balances: await balances(ledger), rows: await rowCounts(ledger) }

  t.same(await ledger.store.applyTransfers([original]), [{ status: 'exists', transferId: original.id }])
  const changed = cashIn('alice', 9_999, 'receipt-1')
  t.equal(changed.id, original.id, 'same idempotency key, same id')
  const [conflict] = await ledger.store.applyTransfers([changed])
  t.equal(conflict?.status, 'conflict')
  t.equal(codeOf(conflict), 'TRANSFER_CONFLICT')
  const [metadataConflict] = await ledger.store.applyTransfers([{ ...original, metadata: { note: 'other' } }])
  t.equal(metadataConflict?.status, 'conflict')

  t.same(await balances(ledger), before.balances)
  t.same(await rowCounts(ledger), before.rows)
})

test('refuses malformed, unbalanced, foreign-currency and unknown-account transfers without writing', async (t, factory) => {
  const ledger = await ledgerWithWallets(t, factory)
  await ledger.store.applyTransfers([cashIn('alice', 1_000, 'receipt-1')])
  await ledger.store.holdAccount('alice')
  const before = { balances: await balances(ledger), rows: await rowCounts(ledger) }
  const good = p2p('alice', 'bob', 10, 'good')
  const cases: Array<[string, TransferInput, string]> = [
    ['unbalanced', { ...good, postings: [{ ...good.postings[0]!, amountMinor: -11 }, good.postings[1]!] }, 'UNBALANCED_TRANSFER'],
    ['one posting', { ...good, postings: [good.postings[0]!] }, 'INVALID_TRANSFER'],
    ['bad id', { ...good, id: 'ABC' }, 'INVALID_TRANSFER'],
    ['float amount', { ...good, postings: [{ ...good.postings[0]!, amountMinor: -0.5 }, { ...good.postings[1]!, amountMinor: 0.5 }] },
      'INVALID_TRANSFER'],
    ['unknown account', p2p('alice', 'nobody', 10, 'unknown'), 'UNKNOWN_ACCOUNT'],
    ['foreign currency', p2p('alice', 'eve-eur', 10, 'foreign'), 'CURRENCY_MISMATCH'],
    ['excess credited', { ...good, kind: 'double_spend_excess', postings: [good.postings[0]!, { ...good.postings[1]!, role: 'excess' }] },
      'INVALID_TRANSFER'],
    ['debt outside a double spend', { ...good, postings: [{ ...good.postings[0]!, role: 'excess' }, good.postings[1]!] },
      'INVALID_TRANSFER'],
    ['hold account', { ...good, id: idOf('hold'), postings: [{ accountId: 'alice', amountMinor: -5, role: 'payer' },
      { accountId: 'hold:alice', amountMinor: 5, role: 'hold' }] }, 'WRONG_ACCOUNT_KIND'],
    ['hold kind', { ...good, id: idOf('hold kind'), kind: 'voucher_hold' }, 'INVALID_TRANSFER'],
    ['offline payment without a hold', { ...good, id: idOf('offline'), kind: 'offline_payment' }, 'INVALID_TRANSFER'],
    ['bad gateway', { ...good, gatewayEui: 'not an eui' }, 'INVALID_TRANSFER'],
    ['unknown fee schedule', { ...good, feeScheduleId: 'nope' }, 'UNKNOWN_FEE_SCHEDULE'],
  ]
  const outcomes = await ledger.store.applyTransfers(cases.map(([, input]) => input))
  cases.forEach(([name, , code], index) => {
    const outcome = outcomes[index]!
    t.equal(codeOf(outcome), code, name)
  })
  t.same(await balances(ledger), before.balances)
  t.same(await rowCounts(ledger), before.rows)
  await assertVerified(t, ledger)
})

test('refuses a batch beyond the bound before touching the database', async (t, factory) => {
  const ledger = await ledgerWithWallets(t, factory)
  const batch = Array.from({ length: TRANSFERS_PER_BATCH_MAX + 1 }, (_, index) => cashIn('alice', 1, `receipt-${index}`))
  await t.rejects(ledger.store.applyTransfers(batch), { code: 'BATCH_TOO_LARGE' })
  t.equal((await rowCounts(ledger)).transfers, 0)
})

test('the database refuses to update or delete postings and transfers', async (t, factory) => {
  const ledger = await ledgerWithWallets(t, factory)
  const input = cashIn('alice', 1_000, 'receipt-1')
  await ledger.store.applyTransfers([input])
  for (const sql of [
    'UPDATE postings SET amount_minor = 1', 'DELETE FROM postings', 'UPDATE transfers SET amount_minor = 1',
    'DELETE FROM transfers', 'UPDATE fee_schedules SET basis_points = 0', "DELETE FROM accounts WHERE id = 'bob'",
    "UPDATE accounts SET currency = 'EUR' WHERE id = 'bob'",
  ]) {
    await t.rejects(ledger.query(sql), /LEDGER_IMMUTABLE/, sql)
  }
  t.equal((await ledger.store.transfer(input.id))?.postings.length, 2)
  await assertVerified(t, ledger)
})

test('reopening the ledger keeps every balance, transfer and hold, and retries stay idempotent', async (t, factory) => {
  const first = await ledgerWithWallets(t, factory)
  await first.store.applyTransfers([cashIn('alice', 10_000, 'receipt-1'), p2p('alice', 'bob', 2_500, 'rent')])
  await first.store.placeHold({
    voucherId: 'voucher-1', walletAccountId: 'alice', limitMinor: 3_000,
    expiresAtMs: first.clock.now_ms() + HOUR_MS, uploadDeadlineAtMs: first.clock.now_ms() + 2 * HOUR_MS,
  })
  await first.store.settleFromHolds([settlement(idOf('record-1'), 'voucher-1', 1_000)])
  const before = { balances: await balances(first), rows: await rowCounts(first), hold: await first.store.hold('voucher-1') }
  const second = await first.reopen(t)
  t.same(await balances(second), before.balances)
  t.same(await rowCounts(second), before.rows)
  t.same(await second.store.hold('voucher-1'), before.hold)
  t.same((await second.store.applyTransfers([cashIn('alice', 10_000, 'receipt-1')]))[0]?.status, 'exists')
  t.same((await second.store.settleFromHolds([settlement(idOf('record-1'), 'voucher-1', 1_000)]))[0]?.status, 'exists')
  t.same(await balances(second), before.balances)
  await assertVerified(t, second)
})

test('a hold sets the limit aside; payments settle from it, beyond it as recorded debt', async (t, factory) => {
  const ledger = await ledgerWithWallets(t, factory)
  const { store } = ledger
  const placed = await placeAliceHold(ledger)
  t.equal(placed.status, 'applied')
  t.equal(placed.transferId, holdTransferId('place', 'voucher-1'))
  t.equal((await store.account('alice'))?.balanceMinor, 3_000)
  t.equal((await store.account('hold:alice'))?.balanceMinor, 2_000)

  // 1500 from the hold: fee 40 (owner 10, platform 30).
  const [within] = await store.settleFromHolds([settlement(idOf('record-1'), 'voucher-1', 1_500)])
  t.equal(within?.status, 'applied')
  t.equal((await store.account('shop'))?.balanceMinor, 1_460)
  t.equal((await store.account('owner'))?.balanceMinor, 10)
  t.equal((await store.account('platform:XOF'))?.balanceMinor, 30)
  t.equal((await store.account('hold:alice'))?.balanceMinor, 500)
  t.equal((await store.transfer(idOf('record-1')))?.feeScheduleId, 'pos-xof-1')

  // A double spend: 4000 more against 500 left; 3500 comes out of alice's 3000, leaving her 500 in debt.
  const [beyond] = await store.settleFromHolds([settlement(idOf('record-2'), 'voucher-1', 4_000)])
  t.equal(beyond?.status, 'applied')
  t.equal((await store.account('hold:alice'))?.balanceMinor, 0)
  t.equal((await store.account('alice'))?.balanceMinor, -500)
  t.match(await store.hold('voucher-1'), { settledMinor: 2_000, excessMinor: 3_500, releasedMinor: 0, status: 'active' })
  await assertVerified(t, ledger)

  // In debt, alice may be credited but not spend.
  const [spend] = await store.applyTransfers([cashOut('alice', 1, 'counter-1')])
  t.equal(codeOf(spend), 'INSUFFICIENT_FUNDS')
  await store.applyTransfers([cashIn('alice', 300, 'receipt-2')])
  t.equal((await store.account('alice'))?.balanceMinor, -200)
  await assertVerified(t, ledger)
})

test('a double-spend excess charged on its own is the one plain transfer that may leave debt', async (t, factory) => {
  const ledger = await ledgerWithWallets(t, factory)
  const { store, clock } = ledger
  await store.applyTransfers([cashIn('alice', 100, 'receipt-1'), cashIn('alice', 900, 'receipt-2')])
  await store.placeHold({ voucherId: 'voucher-1', walletAccountId: 'alice', limitMinor: 900, expiresAtMs: clock.now_ms(), uploadDeadlineAtMs: clock.now_ms() })
  const charge: TransferInput = {
    id: idOf('excess of voucher-1'), kind: 'double_spend_excess', currency: 'XOF', voucherId: 'voucher-1',
    postings: [{ accountId: 'alice', amountMinor: -300, role: 'excess' }, { accountId: 'shop', amountMinor: 300, role: 'payee' }],
  }
  t.same((await store.applyTransfers([charge])).map(outcome => outcome.status), ['applied'])
  t.equal((await store.account('alice'))?.balanceMinor, -200)
  t.match(await store.hold('voucher-1'), { settledMinor: 0, excessMinor: 0 }, 'the hold is not touched')
  await assertVerified(t, ledger)
})

test('settling the same record again is "exists"; another record under its id is "conflict"', async (t, factory) => {
  const ledger = await ledgerWithWallets(t, factory)
  const { store } = ledger
  await placeAliceHold(ledger)
  const record = settlement(idOf('record-1'), 'voucher-1', 1_500)
  await store.settleFromHolds([record])
  const before = { balances: await balances(ledger), rows: await rowCounts(ledger) }

  // The second settlement of the same record would now exceed the hold: still 'exists', nothing charged.
  const outcomes = await store.settleFromHolds([record, { ...record, amountMinor: 1_501 }, { ...record, voucherId: 'voucher-2' }])
  t.same(outcomes.map(outcome => outcome.status), ['exists', 'conflict', 'conflict'])
  t.same(await balances(ledger), before.balances)
  t.same(await rowCounts(ledger), before.rows)

  const [unknown] = await store.settleFromHolds([settlement(idOf('record-9'), 'voucher-9', 1)])
  t.equal(codeOf(unknown), 'HOLD_NOT_FOUND')
  const [foreignMerchant] = await store.settleFromHolds([{ ...settlement(idOf('record-8'), 'voucher-1', 1), merchantAccountId: 'eve-eur' }])
  t.equal(codeOf(foreignMerchant), 'CURRENCY_MISMATCH')
  t.same(await rowCounts(ledger), before.rows)
  await assertVerified(t, ledger)
})

test('a hold the wallet cannot cover is refused and leaves no hold account or hold behind', async (t, factory) => {
  const ledger = await ledgerWithWallets(t, factory)
  const before = { balances: await balances(ledger), rows: await rowCounts(ledger) }
  const outcome = await ledger.store.placeHold({
    voucherId: 'voucher-1', walletAccountId: 'bob', limitMinor: 1, expiresAtMs: 1, uploadDeadlineAtMs: 2,
  })
  t.equal(codeOf(outcome), 'INSUFFICIENT_FUNDS')
  t.same(await balances(ledger), before.balances)
  t.same(await rowCounts(ledger), before.rows)
  t.equal(await ledger.store.account('hold:bob'), undefined)
})

test('placing the same voucher again is "exists"; other terms under its id are "conflict"', async (t, factory) => {
  const ledger = await ledgerWithWallets(t, factory)
  await ledger.store.applyTransfers([cashIn('alice', 5_000, 'receipt-1')])
  const terms = { voucherId: 'voucher-1', walletAccountId: 'alice', limitMinor: 1_000, expiresAtMs: 10, uploadDeadlineAtMs: 20 }
  t.equal((await ledger.store.placeHold(terms)).status, 'applied')
  t.equal((await ledger.store.placeHold(terms)).status, 'exists')
  t.equal((await ledger.store.placeHold({ ...terms, limitMinor: 1_001 })).status, 'conflict')
  t.equal((await ledger.store.account('alice'))?.balanceMinor, 4_000)
  await assertVerified(t, ledger)
})

test('a hold is released only after its upload deadline, once, and later payments become debt', async (t, factory) => {
  const ledger = await ledgerWithWallets(t, factory)
  const { store, clock } = ledger
  await placeAliceHold(ledger)
  await store.settleFromHolds([settlement(idOf('record-1'), 'voucher-1', 500)])

  const early = await store.releaseHold('voucher-1')
  t.equal(codeOf(early), 'HOLD_NOT_DUE')
  t.equal((await store.revokeHold('voucher-1')).status, 'applied')
  t.equal((await store.revokeHold('voucher-1')).status, 'exists')

  clock.advance(2 * HOUR_MS)
  const released = await store.releaseHold('voucher-1')
  t.equal(released.status, 'applied')
  t.equal(released.transferId, holdTransferId('release', 'voucher-1'))
  t.match(await store.hold('voucher-1'), { status: 'released', settledMinor: 500, releasedMinor: 1_500 })
  t.equal((await store.account('alice'))?.balanceMinor, 4_500)
  t.equal((await store.account('hold:alice'))?.balanceMinor, 0)
  t.equal((await store.releaseHold('voucher-1')).status, 'exists')
  t.equal((await store.account('alice'))?.balanceMinor, 4_500)

  // A record taken before the deadline but uploaded after the release is charged to the wallet.
  await store.settleFromHolds([settlement(idOf('record-2'), 'voucher-1', 700)])
  t.equal((await store.account('alice'))?.balanceMinor, 3_800)
  t.match(await store.hold('voucher-1'), { status: 'released', excessMinor: 700 })
  await assertVerified(t, ledger)
})

test('an exhausted hold is released without a transfer', async (t, factory) => {
  const ledger = await ledgerWithWallets(t, factory)
  const { store, clock } = ledger
  await store.applyTransfers([cashIn('alice', 1_000, 'receipt-1')])
  await store.placeHold({ voucherId: 'voucher-1', walletAccountId: 'alice', limitMinor: 1_000, expiresAtMs: 0, uploadDeadlineAtMs: 0 })
  await store.settleFromHolds([settlement(idOf('record-1'), 'voucher-1', 1_000)])
  clock.advance(1)
  const released = await store.releaseHold('voucher-1')
  t.equal(released.status, 'applied')
  t.equal(released.transferId, null)
  t.equal(await store.transfer(holdTransferId('release', 'voucher-1')), undefined)
  t.equal((await store.releaseHold('voucher-1')).transferId, null)
  await assertVerified(t, ledger)
})

test('wallets and fee schedules are idempotent by id and refuse conflicting reuse', async (t, factory) => {
  const ledger = await ledgerWithWallets(t, factory)
  const { store } = ledger
  t.match(await store.openWallet({ id: 'alice', userId: 'user-alice', currency: 'XOF' }), { id: 'alice', kind: 'wallet' })
  await t.rejects(store.openWallet({ id: 'alice', userId: 'user-bob', currency: 'XOF' }), { code: 'ACCOUNT_CONFLICT' })
  await t.rejects(store.openWallet({ id: 'hold:mallory', userId: null, currency: 'XOF' }), { code: 'INVALID_ACCOUNT' })
  await t.rejects(store.openWallet({ id: 'zed', userId: null, currency: 'ZZZ' }), { code: 'INVALID_ACCOUNT' })
  t.match(await store.holdAccount('alice'), { id: 'hold:alice', kind: 'hold', walletAccountId: 'alice', userId: 'user-alice' })
  await t.rejects(store.holdAccount('external:XOF'), { code: 'WRONG_ACCOUNT_KIND' })

  const version1 = (await store.feeSchedule('pos-xof-1'))!
  t.equal(await store.addFeeSchedule(version1), 'exists')
  await t.rejects(store.addFeeSchedule({ ...version1, basisPoints: 1 }), { code: 'FEE_SCHEDULE_CONFLICT' })
  await t.rejects(store.addFeeSchedule({ ...version1, id: 'pos-xof-other' }), { code: 'FEE_SCHEDULE_CONFLICT' })
  t.equal(await store.addFeeSchedule({ ...version1, id: 'pos-xof-2', version: 2, basisPoints: 100 }), 'applied')
  t.same((await store.feeSchedules({ gatewayType: 'pos', currency: 'XOF' })).map(schedule => schedule.id), ['pos-xof-1', 'pos-xof-2'])
})

test('a transfer keeps the fee schedule it settled under after a new version', async (t, factory) => {
  const ledger = await ledgerWithWallets(t, factory)
  const { store, clock } = ledger
  await store.applyTransfers([cashIn('alice', 5_000, 'receipt-1')])
  await store.placeHold({ voucherId: 'voucher-1', walletAccountId: 'alice', limitMinor: 5_000, expiresAtMs: 0, uploadDeadlineAtMs: 0 })
  await store.settleFromHolds([settlement(idOf('record-1'), 'voucher-1', 1_000)])
  await store.addFeeSchedule({
    id: 'pos-xof-2', gatewayType: 'pos', currency: 'XOF', version: 2,
    basisPoints: 0, fixedMinor: 0, ownerShareBasisPoints: 0, effectiveFromMs: clock.now_ms(),
  })
  await store.settleFromHolds([{ ...settlement(idOf('record-2'), 'voucher-1', 1_000), feeScheduleId: 'pos-xof-2' }])
  t.equal((await store.transfer(idOf('record-1')))?.feeScheduleId, 'pos-xof-1')
  t.equal((await store.transfer(idOf('record-2')))?.feeScheduleId, 'pos-xof-2')
  t.equal((await store.account('shop'))?.balanceMinor, 970 + 1_000)
  await assertVerified(t, ledger)
})

test('funded wallets open, cash in and place their holds in one transaction: all or nothing, and again changes nothing', async (t, factory) => {
  const ledger = await factory.open(t)
  const { store } = ledger
  const funded = (id: string, cash_minor: number, limit_minor: number) => fundedWallet(ledger, id, cash_minor, limit_minor)
  let alsoWritten = 0
  await store.openFundedWallets([funded('ama', 5_000, 2_000), funded('kofi', 3_000, 3_000)], async (sql) => {
    alsoWritten++
    const wallet = await sql.get<{ balance_minor: number }>('SELECT balance_minor FROM accounts WHERE id = ?', ['ama'])
    t.equal(wallet?.balance_minor, 3_000, 'the caller\'s statements run in the call\'s transaction: they see its wallets')
    await writeCallerRow(sql, 'user-ama')
  })
  t.equal(alsoWritten, 1)
  t.same(await callerRows(ledger), ['user-ama'], 'the caller\'s row committed with the wallets')
  t.same([(await store.account('ama'))?.balanceMinor, (await store.account('kofi'))?.balanceMinor], [3_000, 0])
  t.match(await store.hold('voucher-ama'), { limitMinor: 2_000, status: 'active', walletAccountId: 'ama' })
  const before = await rowCounts(ledger)
  await store.openFundedWallets([funded('ama', 5_000, 2_000), funded('kofi', 3_000, 3_000)])
  t.same(await rowCounts(ledger), before, 'the same chunk again writes nothing')

  // A hold beyond what the cash-in brought is refused, and the wallets before it in the chunk go with it.
  await t.rejects(store.openFundedWallets([funded('esi', 1_000, 500), funded('yaw', 1_000, 2_000)], async (sql) => {
    alsoWritten++
    await writeCallerRow(sql, 'user-esi')
  }), { code: 'INSUFFICIENT_FUNDS' })
  t.equal(await store.account('esi'), undefined, 'nothing of the chunk was written')
  t.equal(alsoWritten, 1, 'the caller\'s rows are not written for a refused chunk')
  t.same(await rowCounts(ledger), before)
  t.same(await callerRows(ledger), ['user-ama'])
  await assertVerified(t, ledger)
})

test('a throw in openFundedWallets\' alsoWrite rolls back the wallets and the caller\'s rows; the call rejects with it', async (t, factory) => {
  const ledger = await factory.open(t)
  const chunk = [fundedWallet(ledger, 'ama', 5_000, 2_000), fundedWallet(ledger, 'kofi', 3_000, 3_000)]
  const before = await rowCounts(ledger)
  await t.rejects(ledger.store.openFundedWallets(chunk, sql => refuseAfter(writeCallerRow(sql, 'user-ama'))),
    { message: 'the caller refuses' })
  t.equal(await ledger.store.account('ama'), undefined, 'no wallet')
  t.equal(await ledger.store.hold('voucher-ama'), undefined, 'no hold')
  t.same(await rowCounts(ledger), before)
  t.same(await callerRows(ledger), [], 'no row of the caller')

  await ledger.store.openFundedWallets(chunk, sql => writeCallerRow(sql, 'user-ama'))
  t.equal((await ledger.store.account('ama'))?.balanceMinor, 3_000, 'the same chunk then opens its wallets')
  t.same(await callerRows(ledger), ['user-ama'])
  await assertVerified(t, ledger)
})

test('applyTransfers\' alsoWrite, given the outcomes, commits with the transfers; a throw in it rolls them back', async (t, factory) => {
  const ledger = await ledgerWithWallets(t, factory)
  const input = cashIn('alice', 1_000, 'receipt-1')
  const before = { balances: await balances(ledger), rows: await rowCounts(ledger), callers: await callerRows(ledger) }
  await t.rejects(ledger.store.applyTransfers([input], (_outcomes, sql) => refuseAfter(writeCallerRow(sql, 'act-refused'))),
    { message: 'the caller refuses' })
  t.same(await balances(ledger), before.balances, 'no balance moved')
  t.same(await rowCounts(ledger), before.rows, 'no transfer')
  t.same(await callerRows(ledger), before.callers, 'no row of the caller')

  const seen: TransferOutcome[][] = []
  const outcomes = await ledger.store.applyTransfers([input], async (outcomes, sql) => {
    seen.push([...outcomes])
    await writeCallerRow(sql, 'act-applied')
  })
  t.same(outcomes, [{ status: 'applied', transferId: input.id }])
  t.same(seen, [outcomes], 'alsoWrite is given the outcomes, once')
  t.equal((await ledger.store.account('alice'))?.balanceMinor, 1_000)
  t.same(await callerRows(ledger), [...before.callers, 'act-applied'], 'the caller\'s row committed with the transfer')
  await assertVerified(t, ledger)
})

test('addFeeSchedule\'s alsoWrite commits with a schedule added, rolls it back with a throw, and is not run for one that exists', async (t, factory) => {
  const ledger = await ledgerWithWallets(t, factory)
  const { store } = ledger
  const version2 = { ...(await store.feeSchedule('pos-xof-1'))!, id: 'pos-xof-2', version: 2, basisPoints: 100 }
  const before = await callerRows(ledger)
  await t.rejects(store.addFeeSchedule(version2, sql => refuseAfter(writeCallerRow(sql, 'act-refused'))), { message: 'the caller refuses' })
  t.equal(await store.feeSchedule('pos-xof-2'), undefined, 'no schedule')
  t.same(await callerRows(ledger), before, 'no row of the caller')

  t.equal(await store.addFeeSchedule(version2, sql => writeCallerRow(sql, 'act-applied')), 'applied')
  t.match(await store.feeSchedule('pos-xof-2'), { version: 2, basisPoints: 100 })
  t.same(await callerRows(ledger), [...before, 'act-applied'], 'the caller\'s row committed with the schedule')
  t.equal(await store.addFeeSchedule(version2, sql => writeCallerRow(sql, 'act-again')), 'exists')
  t.same(await callerRows(ledger), [...before, 'act-applied'], 'nothing recorded for a schedule that was there')
})
