import t from 'tap'
import fc from 'fast-check'
import { computeFee, type FeeSchedule } from '../../../hub/ledger/fees'
import {
  cashInPostings, cashOutPostings, holdPlacementPostings, holdReleasePostings, paymentPostings, refundPostings,
  settlementPostings, walletTransferPostings,
} from '../../../hub/ledger/settle'

const SCHEDULE: FeeSchedule = {
  id: 'pos-xof-1', gatewayType: 'pos', currency: 'XOF', version: 1,
  basisPoints: 200, fixedMinor: 10, ownerShareBasisPoints: 2_500, effectiveFromMs: 0,
}
const PARTIES = {
  holdAccountId: 'hold:alice', customerAccountId: 'alice', merchantAccountId: 'shop',
  ownerAccountId: 'owner', platformAccountId: 'platform:XOF',
}

t.test('a payment within the hold is paid from the hold alone', async t => {
  const fee = computeFee(1_000, SCHEDULE) // 30: owner 7, platform 23
  t.same(settlementPostings({ ...PARTIES, amountMinor: 1_000, holdRemainingMinor: 5_000, fee }), [
    { accountId: 'hold:alice', amountMinor: -1_000, role: 'hold' },
    { accountId: 'shop', amountMinor: 970, role: 'merchant' },
    { accountId: 'owner', amountMinor: 7, role: 'owner_share' },
    { accountId: 'platform:XOF', amountMinor: 23, role: 'platform_share' },
  ])
})

t.test('a payment beyond the hold charges the excess to the customer wallet as debt', async t => {
  const fee = computeFee(1_000, SCHEDULE)
  t.same(settlementPostings({ ...PARTIES, amountMinor: 1_000, holdRemainingMinor: 600, fee }).slice(0, 2), [
    { accountId: 'hold:alice', amountMinor: -600, role: 'hold' },
    { accountId: 'alice', amountMinor: -400, role: 'excess' },
  ])
  t.same(settlementPostings({ ...PARTIES, amountMinor: 1_000, holdRemainingMinor: 0, fee })[0],
    { accountId: 'alice', amountMinor: -1_000, role: 'excess' }, 'an empty hold pays nothing')
})

t.test('leaves out zero shares and keeps both postings when the owner is the merchant', async t => {
  const free: FeeSchedule = { ...SCHEDULE, basisPoints: 0, fixedMinor: 0 }
  t.same(settlementPostings({ ...PARTIES, amountMinor: 500, holdRemainingMinor: 500, fee: computeFee(500, free) }), [
    { accountId: 'hold:alice', amountMinor: -500, role: 'hold' },
    { accountId: 'shop', amountMinor: 500, role: 'merchant' },
  ])
  const own = settlementPostings({
    ...PARTIES, ownerAccountId: 'shop', amountMinor: 1_000, holdRemainingMinor: 1_000, fee: computeFee(1_000, SCHEDULE),
  })
  t.same(own.filter(posting => posting.accountId === 'shop').map(posting => posting.role), ['merchant', 'owner_share'])
})

t.test('settlement postings always sum to zero and the hold never pays more than is left', async () => {
  fc.assert(fc.property(
    fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }), fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
    fc.integer({ min: 0, max: 10_000 }), fc.integer({ min: 0, max: 10_000 }),
    (amount_minor, holdRemaining_minor, basisPoints, ownerShareBasisPoints) => {
      const fee = computeFee(amount_minor, { ...SCHEDULE, basisPoints, ownerShareBasisPoints })
      const postings = settlementPostings({ ...PARTIES, amountMinor: amount_minor, holdRemainingMinor: holdRemaining_minor, fee })
      const sum = postings.reduce((total, posting) => total + BigInt(posting.amountMinor), 0n)
      const fromHold = -(postings.find(posting => posting.role === 'hold')?.amountMinor ?? 0)
      return sum === 0n && fromHold === Math.min(amount_minor, holdRemaining_minor)
        && postings.every(posting => posting.amountMinor !== 0)
    }), { seed: 7, numRuns: 2_000 })
})

t.test('refuses a fee split that is not of this amount', async t => {
  const fee = computeFee(1_000, SCHEDULE)
  t.throws(() => settlementPostings({ ...PARTIES, amountMinor: 999, holdRemainingMinor: 999, fee }), /assertion failed/)
  t.throws(() => paymentPostings({ ...PARTIES, amountMinor: 1_000, fee: { ...fee, ownerShareMinor: fee.ownerShareMinor + 1 } }),
    /assertion failed/)
})

t.test('builds cash, wallet, refund, online payment and hold postings', async t => {
  t.same(cashInPostings({ externalAccountId: 'external:XOF', walletAccountId: 'alice', amountMinor: 50 }), [
    { accountId: 'external:XOF', amountMinor: -50, role: 'payer' },
    { accountId: 'alice', amountMinor: 50, role: 'payee' },
  ])
  t.same(cashOutPostings({ walletAccountId: 'alice', externalAccountId: 'external:XOF', amountMinor: 50 }), [
    { accountId: 'alice', amountMinor: -50, role: 'payer' },
    { accountId: 'external:XOF', amountMinor: 50, role: 'payee' },
  ])
  t.same(walletTransferPostings({ payerAccountId: 'alice', payeeAccountId: 'bob', amountMinor: 5 }), [
    { accountId: 'alice', amountMinor: -5, role: 'payer' },
    { accountId: 'bob', amountMinor: 5, role: 'payee' },
  ])
  t.same(refundPostings({ merchantAccountId: 'shop', customerAccountId: 'alice', amountMinor: 9 }), [
    { accountId: 'shop', amountMinor: -9, role: 'payer' },
    { accountId: 'alice', amountMinor: 9, role: 'payee' },
  ])
  t.same(paymentPostings({ ...PARTIES, amountMinor: 1_000, fee: computeFee(1_000, SCHEDULE) })[0],
    { accountId: 'alice', amountMinor: -1_000, role: 'payer' })
  t.same(holdPlacementPostings({ walletAccountId: 'alice', holdAccountId: 'hold:alice', limitMinor: 70 }), [
    { accountId: 'alice', amountMinor: -70, role: 'payer' },
    { accountId: 'hold:alice', amountMinor: 70, role: 'hold' },
  ])
  t.same(holdReleasePostings({ holdAccountId: 'hold:alice', walletAccountId: 'alice', remainingMinor: 20 }), [
    { accountId: 'hold:alice', amountMinor: -20, role: 'hold' },
    { accountId: 'alice', amountMinor: 20, role: 'payee' },
  ])
  t.throws(() => walletTransferPostings({ payerAccountId: 'alice', payeeAccountId: 'alice', amountMinor: 5 }), /assertion failed/)
  t.throws(() => cashInPostings({ externalAccountId: 'external:XOF', walletAccountId: 'alice', amountMinor: 0 }),
    { code: 'OUT_OF_RANGE' })
})
