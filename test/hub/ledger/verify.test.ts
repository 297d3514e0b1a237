import t from 'tap'
import { sha256, toHex } from '../../../protocol/bytes'
import { cashTransferId } from '../../../hub/ledger/ids'
import { cashInPostings } from '../../../hub/ledger/settle'
import type { LedgerAudit } from '../../../hub/ledger/store'
import { checkAudit, verifyLedger } from '../../../hub/ledger/verify'
import { ledgerTests, type LedgerFactory, type OpenLedger, type Teardown } from '../helpers/ledger'
import { HOUR_MS } from '../../../protocol/clock'

// The tests over a ledger run on SQLite and on PostgreSQL (test/hub/helpers/ledger.ts).
const test = ledgerTests(t)

async function busyLedger(t: Teardown, factory: LedgerFactory): Promise<OpenLedger> {
  const ledger = await factory.open(t)
  const { store, clock } = ledger
  await store.systemAccounts('XOF')
  for (const id of ['alice', 'bob', 'shop', 'owner']) await store.openWallet({ id, userId: `user-${id}`, currency: 'XOF' })
  await store.addFeeSchedule({
    id: 'pos-xof-1', gatewayType: 'pos', currency: 'XOF', version: 1,
    basisPoints: 100, fixedMinor: 0, ownerShareBasisPoints: 5_000, effectiveFromMs: 0,
  })
  await store.applyTransfers([{
    id: cashTransferId('cash_in', 'alice', 'receipt-1'), kind: 'cash_in', currency: 'XOF',
    postings: cashInPostings({ externalAccountId: 'external:XOF', walletAccountId: 'alice', amountMinor: 10_000 }),
  }])
  await store.placeHold({
    voucherId: 'voucher-1', walletAccountId: 'alice', limitMinor: 4_000,
    expiresAtMs: clock.now_ms() + HOUR_MS, uploadDeadlineAtMs: clock.now_ms() + 2 * HOUR_MS,
  })
  await store.settleFromHolds([{
    transferId: toHex(sha256(new TextEncoder().encode('record-1'))), voucherId: 'voucher-1', amountMinor: 5_000,
    merchantAccountId: 'shop', ownerAccountId: 'owner', feeScheduleId: 'pos-xof-1', gatewayEui: '0011223344556677',
  }])
  return ledger
}

function codes(verification: { violations: readonly { code: string }[] }): string[] {
  return [...new Set(verification.violations.map(violation => violation.code))].sort()
}

test('a ledger built only through the store verifies', async (t, factory) => {
  const ledger = await busyLedger(t, factory)
  const verification = await verifyLedger(ledger.store)
  t.equal(verification.ok, true)
  t.same(verification.violations, [])
})

test('finds a balance edited behind the ledger’s back', async (t, factory) => {
  const ledger = await busyLedger(t, factory)
  await ledger.query("UPDATE accounts SET balance_minor = balance_minor + 1 WHERE id = 'bob'")
  const verification = await verifyLedger(ledger.store)
  t.equal(verification.ok, false)
  t.same(codes(verification), ['BALANCE_NOT_POSTINGS', 'CURRENCY_NOT_ZERO'])
  t.match(verification.violations.find(violation => violation.code === 'BALANCE_NOT_POSTINGS'), { accountId: 'bob' })
})

test('finds a posting edited once the immutability trigger is dropped', async (t, factory) => {
  const ledger = await busyLedger(t, factory)
  await ledger.query(ledger.kind === 'sqlite' ? 'DROP TRIGGER postings_refuse_update' : 'DROP TRIGGER postings_refuse_change ON postings')
  await ledger.query("UPDATE postings SET amount_minor = amount_minor + 7 WHERE account_id = 'shop'")
  t.same(codes(await verifyLedger(ledger.store)),
    ['BALANCE_NOT_POSTINGS', 'CURRENCY_NOT_ZERO', 'TRANSFER_AMOUNT_MISMATCH', 'TRANSFER_UNBALANCED'])
})

test('finds a hold whose state disagrees with its postings', async (t, factory) => {
  const ledger = await busyLedger(t, factory)
  await ledger.query("UPDATE voucher_holds SET settled_minor = settled_minor - 100, excess_minor = 0 WHERE voucher_id = 'voucher-1'")
  t.same(codes(await verifyLedger(ledger.store)), ['HOLD_ACCOUNT_MISMATCH', 'HOLD_EXCESS_MISMATCH', 'HOLD_REMAINDER_MISMATCH'])
})

test('finds a wallet below zero that no excess posting accounts for', async (t, factory) => {
  const ledger = await busyLedger(t, factory)
  // A balanced transfer written around the store, overdrawing bob: every sum agrees, only the floor is broken.
  const id = toHex(sha256(new TextEncoder().encode('forged')))
  const [{ seq }] = await ledger.query(`INSERT INTO transfers (id, kind, currency, amount_minor, content_sha256, created_at_ms)
    VALUES ('${id}', 'p2p', 'XOF', 50, '${id}', 0) RETURNING seq`) as [{ seq: number }]
  await ledger.query(`INSERT INTO postings VALUES (${seq}, 0, 'bob', -50, 'payer'), (${seq}, 1, 'shop', 50, 'payee')`)
  await ledger.query("UPDATE accounts SET balance_minor = balance_minor - 50 WHERE id = 'bob'")
  await ledger.query("UPDATE accounts SET balance_minor = balance_minor + 50 WHERE id = 'shop'")
  const verification = await verifyLedger(ledger.store)
  t.same(codes(verification), ['BELOW_ZERO'])
  t.match(verification.violations[0], { accountId: 'bob' })
})

t.test('turns every kind of anomaly in an audit into its violation code', async t => {
  const audit: LedgerAudit = {
    currencies: [
      { currency: 'EUR', accountCount: 3, balanceSumMinor: 0n, postingSumMinor: 0n },
      { currency: 'XOF', accountCount: 3, balanceSumMinor: 5n, postingSumMinor: 0n },
    ],
    accountsOffPostings: [{ accountId: 'a', balanceMinor: 5n, postingSumMinor: 0n }],
    accountsBelowDebt: [{ accountId: 'b', kind: 'wallet', balanceMinor: -3n, debtMinor: -1n }],
    transfersMisrecorded: [{
      transferId: 'f'.repeat(64), amountMinor: 10n, postingCount: 1, postingSumMinor: 9n, creditSumMinor: 9n,
      foreignCurrencyPostingCount: 1,
    }],
    holdsMisrecorded: [{
      voucherId: 'v', limitMinor: 10n, settledMinor: 8n, releasedMinor: 5n, excessMinor: 1n, status: 'released',
      holdPostingSumMinor: 0n, excessPostingSumMinor: 0n,
    }],
    holdAccountsOffRemainders: [{ accountId: 'hold:c', balanceMinor: 1n, openRemainderMinor: 0n }],
  }
  const verification = checkAudit(audit)
  t.equal(verification.ok, false)
  t.same(verification.violations.map(violation => violation.code), [
    'CURRENCY_NOT_ZERO', 'BALANCE_NOT_POSTINGS', 'BELOW_ZERO', 'TRANSFER_UNBALANCED', 'TRANSFER_TOO_FEW_POSTINGS',
    'TRANSFER_AMOUNT_MISMATCH', 'TRANSFER_CURRENCY_MISMATCH', 'HOLD_OVER_LIMIT', 'HOLD_REMAINDER_MISMATCH',
    'HOLD_EXCESS_MISMATCH', 'HOLD_RELEASED_NOT_EMPTY', 'HOLD_ACCOUNT_MISMATCH',
  ])
  t.match(verification.violations[0], { currency: 'XOF' })
})
