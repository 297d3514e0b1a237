import t from 'tap'
import { codeMatches, judgeConfirmation, newPaymentCode, paymentCodeHash } from '../../../hub/mobile/payment-code'
import { seededRandom } from '../http/fixtures'

t.test('codes are six digits, leading zeros kept, and values past the unbiased range are drawn again', async (t) => {
  const random = seededRandom('codes')
  for (let draw = 0; draw < 200; draw++) t.match(newPaymentCode(random), /^\d{6}$/)
  const scripted = [[0xff, 0xff, 0xff, 0xff], [0, 0, 0, 7]].map((bytes) => Uint8Array.from(bytes))
  t.equal(newPaymentCode(() => scripted.shift()!), '000007', 'the first draw, 2^32 − 1, is past the range and rejected')
  t.throws(() => newPaymentCode(() => Uint8Array.from([0xff, 0xff, 0xff, 0xff])), /random source/)
})

t.test('a code matches only its own payment', async (t) => {
  const hash = paymentCodeHash('pay_1', '123456')
  t.ok(codeMatches('pay_1', '123456', hash))
  t.notOk(codeMatches('pay_1', '123457', hash))
  t.notOk(codeMatches('pay_2', '123456', hash))
})

t.test('the verdict on a confirmation follows the payment’s state, the code and the clock', async (t) => {
  const waiting = { status: 'awaiting_confirmation' as const, expiresAtMs: 1_000 }
  t.same(judgeConfirmation(waiting, true, 999), { kind: 'settle' })
  t.same(judgeConfirmation(waiting, false, 999), { kind: 'wrong_code' })
  t.same(judgeConfirmation(waiting, true, 1_000), { kind: 'expired' }, 'expiry wins over a right code')
  t.same(judgeConfirmation({ ...waiting, status: 'settled' }, true, 5_000), { kind: 'settled' })
  t.same(judgeConfirmation({ ...waiting, status: 'settled' }, false, 0), { kind: 'closed', status: 'settled' })
  t.same(judgeConfirmation({ ...waiting, status: 'cancelled' }, true, 0), { kind: 'closed', status: 'cancelled' })
})
