import t from 'tap'
import fc from 'fast-check'
import { ProtocolError } from '../../protocol/errors'
import {
  parseAmount, formatAmount, formatMoney, assertAmountMinor, currencyByCode, currencyByNumeric, allCurrencies,
  addAmounts, AMOUNT_MAX_MINOR,
} from '../../protocol/money'

t.test('parses decimal text into minor units by the currency exponent', async t => {
  t.equal(parseAmount('12.50', 'EUR'), 1250)
  t.equal(parseAmount('12.5', 'EUR'), 1250)
  t.equal(parseAmount('12', 'EUR'), 1200)
  t.equal(parseAmount('0.01', 'EUR'), 1)
  t.equal(parseAmount('1500', 'XOF'), 1500)
  t.equal(parseAmount('1.234', 'KWD'), 1234)
  t.equal(parseAmount('007.10', 'USD'), 710)
  t.equal(parseAmount('-3.00', 'EUR', { allowNegative: true }), -300)
  t.equal(parseAmount('90071992547409.91', 'EUR'), AMOUNT_MAX_MINOR)
})

t.test('rejects what is not an exact amount, each with its code', async t => {
  t.throws(() => parseAmount('12.505', 'EUR'), { code: 'MONEY_PRECISION' })
  t.throws(() => parseAmount('1.5', 'XOF'), { code: 'MONEY_PRECISION' })
  t.throws(() => parseAmount('-1', 'EUR'), { code: 'MONEY_NEGATIVE' })
  t.throws(() => parseAmount('90071992547409.92', 'EUR'), { code: 'MONEY_OVERFLOW' })
  t.throws(() => parseAmount('1e3', 'EUR'), { code: 'MONEY_FORMAT' })
  t.throws(() => parseAmount('12,50', 'EUR'), { code: 'MONEY_FORMAT' })
  t.throws(() => parseAmount('', 'EUR'), { code: 'MONEY_FORMAT' })
  t.throws(() => parseAmount('.5', 'EUR'), { code: 'MONEY_FORMAT' })
  t.throws(() => parseAmount(12.5 as unknown as string, 'EUR'), { code: 'MONEY_FORMAT' })
  t.throws(() => parseAmount('1', 'ABC'), { code: 'UNKNOWN_CURRENCY' })
  t.throws(() => parseAmount('0', 'EUR', { allowZero: false }), { code: 'OUT_OF_RANGE' })
  t.throws(() => assertAmountMinor(12.5), { code: 'MONEY_NOT_INTEGER' })
  t.throws(() => assertAmountMinor(Number.NaN), { code: 'MONEY_NOT_INTEGER' })
  t.throws(() => assertAmountMinor('12' as unknown), { code: 'MONEY_NOT_INTEGER' })
  t.throws(() => assertAmountMinor(2 ** 53), { code: 'MONEY_OVERFLOW' })
  t.throws(() => addAmounts(AMOUNT_MAX_MINOR, 1), { code: 'MONEY_OVERFLOW' })
})

t.test('formats minor units back to the same text', async t => {
  t.equal(formatAmount(1250, 'EUR'), '12.50')
  t.equal(formatAmount(5, 'EUR'), '0.05')
  t.equal(formatAmount(-5, 'EUR'), '-0.05')
  t.equal(formatAmount(1500, 'XOF'), '1500')
  t.equal(formatAmount(1, 'BHD'), '0.001')
  t.equal(formatMoney(123456789, 'EUR'), '1\u202f234\u202f567.89 EUR')
  t.equal(formatMoney(1500, 'XOF'), '1\u202f500 XOF')
  fc.assert(
    fc.property(
      fc.constantFrom(...allCurrencies().map(c => c.code)),
      fc.integer({ min: -AMOUNT_MAX_MINOR, max: AMOUNT_MAX_MINOR }),
      (code, amount) => parseAmount(formatAmount(amount, code), code, { allowNegative: true }) === amount,
    ),
    { seed: 4217 },
  )
})

t.test('knows currencies by code and ISO numeric code', async t => {
  t.same(currencyByCode('XOF'), { code: 'XOF', numeric: 952, exponent: 0 })
  t.equal(currencyByNumeric(978).code, 'EUR')
  t.throws(() => currencyByNumeric(999), { code: 'UNKNOWN_CURRENCY' })
  t.throws(() => currencyByCode('eur'), { code: 'UNKNOWN_CURRENCY' })
  const numerics = new Set(allCurrencies().map(c => c.numeric))
  t.equal(numerics.size, allCurrencies().length, 'numeric codes are unique')
})

t.test('parsing any text as an amount gives an amount or a typed error, nothing else', async t => {
  fc.assert(
    fc.property(fc.oneof(fc.string(), fc.stringMatching(/^-?\d{0,20}(\.\d{0,4})?$/)), fc.constantFrom('EUR', 'XOF', 'KWD', 'NOPE'), (text, code) => {
      try {
        const value = parseAmount(text, code, { allowNegative: true })
        if (!Number.isSafeInteger(value)) throw new Error(`unsafe result ${value}`)
      } catch (error) {
        if (!(error instanceof ProtocolError)) throw error
      }
    }),
    { seed: 978, numRuns: 2000 },
  )
  t.pass('2000 inputs')
})
