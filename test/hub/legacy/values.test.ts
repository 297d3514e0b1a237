// The legacy values as the import reads them: DECIMAL amounts exactly in minor units (property-tested against
// BigInt arithmetic), booleans, timestamps, keys.

import t from 'tap'
import fc from 'fast-check'
import { currencyByCode } from '../../../protocol/money'
import { booleanOf, keyOf, minorUnitsOf, timestampOf } from '../../../hub/legacy/values'

const EUR = currencyByCode('EUR')
const XOF = currencyByCode('XOF')
const BHD = currencyByCode('BHD')

t.test('amounts: exact minor units, trailing zeros past the exponent allowed, anything that would round refused', async (t) => {
  t.same(minorUnitsOf('0.10', EUR), { ok: true, value: 10 })
  t.same(minorUnitsOf('99999999.99', EUR), { ok: true, value: 9999999999 })
  t.same(minorUnitsOf('12.5', EUR), { ok: true, value: 1250 })
  t.same(minorUnitsOf('-3', EUR), { ok: true, value: -300 })
  t.same(minorUnitsOf(' 7.000 ', EUR), { ok: true, value: 700 })
  t.same(minorUnitsOf('100.00', XOF), { ok: true, value: 100 }, 'a DECIMAL(15,2) of whole francs')
  t.same(minorUnitsOf('1.234', BHD), { ok: true, value: 1234 })
  t.match(minorUnitsOf('0.10', XOF), { ok: false, problem: /0\.10 has more decimal places than XOF holds \(0\): it would have to be rounded/ })
  t.match(minorUnitsOf('0.005', EUR), { ok: false, problem: /would have to be rounded/ })
  for (const bad of ['', '1,50', '1e3', '0x10', '.5', '5.', '--1', 'NaN', '١٢']) t.match(minorUnitsOf(bad, EUR), { ok: false, problem: /is not a decimal amount/ }, bad)
  t.match(minorUnitsOf('90071992547409.92', EUR), { ok: false, problem: /more than PayAll holds/ })
  t.same(minorUnitsOf('90071992547409.91', EUR), { ok: true, value: Number.MAX_SAFE_INTEGER })
})

t.test('amounts: any decimal text reads as BigInt arithmetic says, or is refused exactly when it would round', async () => {
  const decimal = fc.tuple(fc.boolean(), fc.bigInt({ min: 0n, max: 10n ** 17n }), fc.stringMatching(/^[0-9]{0,5}$/))
  fc.assert(fc.property(decimal, fc.constantFrom(EUR, XOF, BHD), ([negative, whole, fraction], currency) => {
    const text = `${negative ? '-' : ''}${whole}${fraction === '' ? '' : `.${fraction}`}`
    const reading = minorUnitsOf(text, currency)
    const rounds = /[^0]/.test(fraction.slice(currency.exponent))
    const magnitude = whole * 10n ** BigInt(currency.exponent) + BigInt(fraction.slice(0, currency.exponent).padEnd(currency.exponent, '0') || '0')
    if (rounds) return !reading.ok && /rounded/.test(reading.problem)
    if (magnitude > BigInt(Number.MAX_SAFE_INTEGER)) return !reading.ok
    return reading.ok && reading.value === Number(negative && magnitude !== 0n ? -magnitude : magnitude)
  }), { seed: 19, numRuns: 2000 })
})

t.test('booleans as PostgreSQL and MySQL write them; NULL is false', async (t) => {
  for (const text of ['t', 'true', 'TRUE', '1', 'y']) t.same(booleanOf(text), { ok: true, value: true }, text)
  for (const text of ['f', 'false', '0', 'n', null]) t.same(booleanOf(text), { ok: true, value: false }, String(text))
  t.match(booleanOf('maybe'), { ok: false, problem: /not a boolean/ })
})

t.test('timestamps: with or without a zone or fraction; NULL, zero dates and impossible days read as unknown', async (t) => {
  t.equal(timestampOf('2024-03-01 10:20:30'), Date.UTC(2024, 2, 1, 10, 20, 30))
  t.equal(timestampOf('2024-03-01 10:20:30.123456+00'), Date.UTC(2024, 2, 1, 10, 20, 30, 123))
  t.equal(timestampOf('2024-03-01 10:20:30+01'), Date.UTC(2024, 2, 1, 9, 20, 30))
  t.equal(timestampOf('2024-03-01 00:30:00+05:30'), Date.UTC(2024, 1, 29, 19, 0, 0))
  t.equal(timestampOf('2024-03-01T10:20:30Z'), Date.UTC(2024, 2, 1, 10, 20, 30))
  t.equal(timestampOf('2024-03-01'), Date.UTC(2024, 2, 1))
  for (const unknown of [null, '0000-00-00 00:00:00', '2023-02-30 10:00:00', 'yesterday', '2024-13-01 00:00:00']) t.equal(timestampOf(unknown), null, String(unknown))
})

t.test('keys: integers as canonical text', async (t) => {
  t.same(keyOf('007'), { ok: true, value: '7' })
  t.same(keyOf(null), { ok: true, value: null })
  t.same(keyOf(' 42 '), { ok: true, value: '42' })
  t.match(keyOf('4a'), { ok: false })
  t.match(keyOf('-1'), { ok: false })
})
