import t from 'tap'
import fc from 'fast-check'
import { AMOUNT_MAX_MINOR } from '../../../protocol/money'
import { computeFee, feeScheduleInEffect, type FeeSchedule } from '../../../hub/ledger/fees'

function schedule(terms: Partial<FeeSchedule>): FeeSchedule {
  return {
    id: 'pos-xof-1', gatewayType: 'pos', currency: 'XOF', version: 1,
    basisPoints: 0, fixedMinor: 0, ownerShareBasisPoints: 0, effectiveFromMs: 0, ...terms,
  }
}

t.test('splits the fee by the table of cases, rounding every division down', async t => {
  const cases: Array<[string, number, Partial<FeeSchedule>, [number, number, number, number]]> = [
    // name, amount, terms, [fee, owner, platform, merchant]
    ['plain percentage', 10_000, { basisPoints: 150, ownerShareBasisPoints: 5_000 }, [150, 75, 75, 9_850]],
    ['fee rounds down', 999, { basisPoints: 150, ownerShareBasisPoints: 3_333 }, [14, 4, 10, 985]],
    ['owner share of one unit rounds to zero', 100, { basisPoints: 100, ownerShareBasisPoints: 5_000 }, [1, 0, 1, 99]],
    ['fixed part only', 1_000, { fixedMinor: 25, ownerShareBasisPoints: 2_000 }, [25, 5, 20, 975]],
    ['percentage plus fixed', 20_000, { basisPoints: 100, fixedMinor: 50, ownerShareBasisPoints: 1_000 }, [250, 25, 225, 19_750]],
    ['fee capped at the amount', 10, { basisPoints: 100, fixedMinor: 50, ownerShareBasisPoints: 5_000 }, [10, 5, 5, 0]],
    ['zero basis points, zero fixed: no fee', 12_345, { ownerShareBasisPoints: 5_000 }, [0, 0, 0, 12_345]],
    ['zero owner share: platform takes the fee', 10_000, { basisPoints: 200 }, [200, 0, 200, 9_800]],
    ['whole owner share: owner takes the fee', 10_000, { basisPoints: 200, ownerShareBasisPoints: 10_000 }, [200, 200, 0, 9_800]],
    ['whole amount as fee', 777, { basisPoints: 10_000, ownerShareBasisPoints: 5_000 }, [777, 388, 389, 0]],
    ['one minor unit', 1, { basisPoints: 9_999, fixedMinor: 0, ownerShareBasisPoints: 9_999 }, [0, 0, 0, 1]],
    ['zero amount', 0, { basisPoints: 100, fixedMinor: 50 }, [0, 0, 0, 0]],
    ['largest amount', AMOUNT_MAX_MINOR, { basisPoints: 333, fixedMinor: 7, ownerShareBasisPoints: 5_000 },
      [299_939_735_182_882, 149_969_867_591_441, 149_969_867_591_441, 8_707_259_519_558_109]],
    // amount × bps / 10000 in doubles gives 8720050503995551 here: one unit too many.
    ['near 2^53, where doubles round wrong', 9_006_455_798_384_167, { basisPoints: 9_682, ownerShareBasisPoints: 2_500 },
      [8_720_050_503_995_550, 2_180_012_625_998_887, 6_540_037_877_996_663, 286_405_294_388_617]],
  ]
  for (const [name, amount_minor, terms, [fee_minor, ownerShare_minor, platformShare_minor, merchant_minor]] of cases) {
    t.same(computeFee(amount_minor, schedule(terms)), { feeMinor: fee_minor, ownerShareMinor: ownerShare_minor, platformShareMinor: platformShare_minor, merchantMinor: merchant_minor }, name)
  }
})

t.test('merchant + owner + platform is always exactly the amount', async () => {
  const terms = fc.record({
    basisPoints: fc.integer({ min: 0, max: 10_000 }),
    fixedMinor: fc.oneof(fc.integer({ min: 0, max: 1_000 }), fc.integer({ min: 0, max: AMOUNT_MAX_MINOR })),
    ownerShareBasisPoints: fc.integer({ min: 0, max: 10_000 }),
  })
  const amountMinor = fc.oneof(
    fc.integer({ min: 0, max: 1_000_000 }),
    fc.integer({ min: 0, max: AMOUNT_MAX_MINOR }),
    fc.integer({ min: AMOUNT_MAX_MINOR - 1_000_000, max: AMOUNT_MAX_MINOR }),
  )
  fc.assert(fc.property(amountMinor, terms, (amount, feeTerms) => {
    const split = computeFee(amount, schedule(feeTerms))
    const exactFee = (BigInt(amount) * BigInt(feeTerms.basisPoints)) / 10_000n + BigInt(feeTerms.fixedMinor)
    return BigInt(split.merchantMinor) + BigInt(split.ownerShareMinor) + BigInt(split.platformShareMinor) === BigInt(amount)
      && split.feeMinor === Number(exactFee < BigInt(amount) ? exactFee : BigInt(amount))
      && split.ownerShareMinor + split.platformShareMinor === split.feeMinor
      && split.merchantMinor >= 0 && split.ownerShareMinor >= 0 && split.platformShareMinor >= 0
  }), { seed: 20250115, numRuns: 5_000 })
})

t.test('refuses a schedule out of range and an amount that is not whole minor units', async t => {
  t.throws(() => computeFee(100, schedule({ basisPoints: 10_001 })), { code: 'INVALID_FEE_SCHEDULE' })
  t.throws(() => computeFee(100, schedule({ ownerShareBasisPoints: -1 })), { code: 'INVALID_FEE_SCHEDULE' })
  t.throws(() => computeFee(100, schedule({ fixedMinor: 0.5 })), { code: 'INVALID_FEE_SCHEDULE' })
  t.throws(() => computeFee(100, schedule({ version: 0 })), { code: 'INVALID_FEE_SCHEDULE' })
  t.throws(() => computeFee(100, schedule({ currency: 'ZZZ' })), { code: 'INVALID_FEE_SCHEDULE' })
  t.throws(() => computeFee(10.5, schedule({})), { code: 'MONEY_NOT_INTEGER' })
  t.throws(() => computeFee(-1, schedule({})), { code: 'MONEY_NEGATIVE' })
  t.throws(() => computeFee(AMOUNT_MAX_MINOR + 1, schedule({})), { code: 'MONEY_OVERFLOW' })
})

t.test('picks the highest version of the gateway type and currency already in effect', async t => {
  const schedules = [
    schedule({ id: 'pos-1', version: 1, effectiveFromMs: 0 }),
    schedule({ id: 'pos-2', version: 2, effectiveFromMs: 1_000 }),
    schedule({ id: 'pos-3', version: 3, effectiveFromMs: 5_000 }),
    schedule({ id: 'kiosk-9', gatewayType: 'kiosk', version: 9, effectiveFromMs: 0 }),
    schedule({ id: 'pos-eur-4', currency: 'EUR', version: 4, effectiveFromMs: 0 }),
  ]
  t.equal(feeScheduleInEffect(schedules, 'pos', 'XOF', 999)?.id, 'pos-1')
  t.equal(feeScheduleInEffect(schedules, 'pos', 'XOF', 1_000)?.id, 'pos-2')
  t.equal(feeScheduleInEffect(schedules, 'pos', 'XOF', 10_000)?.id, 'pos-3')
  t.equal(feeScheduleInEffect(schedules, 'kiosk', 'XOF', 10_000)?.id, 'kiosk-9')
  t.equal(feeScheduleInEffect(schedules, 'pos', 'EUR', 10)?.id, 'pos-eur-4')
  t.equal(feeScheduleInEffect(schedules, 'pos', 'XOF', -1), undefined)
  t.equal(feeScheduleInEffect(schedules, 'atm', 'XOF', 10_000), undefined)
})
