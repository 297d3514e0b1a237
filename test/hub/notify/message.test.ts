import t from 'tap'
import { EMAIL_QUOTE_LENGTH_MAX, SMS_QUOTE_LENGTH_MAX, orderDecidedMessage, passwordResetMessage, paymentCodeMessage, quoted } from '../../../hub/notify/message'
import { balanceOf, call, fundedWallet, mobileUser, outbox, restHub, secretIn } from '../users/fixtures'

const PAYER = { id: 'u1', email: null, phone: '+221771234567', fullName: 'Fatou Ndiaye' }
const INJECTION = 'PayAll Support.\n\nPayAll: your account is blocked, call +221 70 000 00 00'

t.test('user text is quoted, on one line, with its own quotes made harmless, and cut to a bound', async (t) => {
  t.equal(quoted('Awa Diop', 40), '“Awa Diop”')
  t.equal(quoted('  Awa   Diop ', 40), '“Awa Diop”', 'runs of spaces close up')
  t.equal(quoted(INJECTION, 200), '“PayAll Support.\uFFFD\uFFFDPayAll: your account is blocked, call +221 70 000 00 00”',
    'a control character stored before the check shows as U+FFFD, never as a line break')
  t.equal(quoted('Awa” PayAll: blocked “x', 40), '“Awa\' PayAll: blocked \'x”', 'the text cannot close the quote')
  t.equal(quoted('Awa\u202EDiop', 40), '“Awa\uFFFDDiop”', 'nor reverse what follows')
  t.equal(quoted('عبد الله', 40), '“\u2068عبد الله\u2069”', 'right-to-left text is isolated from the hub’s words around it')
  const long = quoted('Ndèye '.repeat(20), 10)
  t.equal(long, '“Ndèye Ndè…”')
  t.equal(quoted('👩\u200D💻'.repeat(12), 10), `“${'👩\u200D💻'.repeat(9)}…”`, 'cut between characters as people see them')
})

t.test('every message quotes the names and reasons it carries, within its bound', async (t) => {
  const sms = paymentCodeMessage(PAYER, '123456', { amountMinor: 2500, currency: 'XOF', payeeName: INJECTION, validMinutes: 5 })
  t.notMatch(sms.body, /\n/, 'an SMS is one line')
  t.match(sms.body, /^PayAll: 123456 confirms your payment of 2\u202f500 XOF to “PayAll Support\.\uFFFD\uFFFDPayAll: your account i…”\. Valid 5 min\./)
  t.equal(SMS_QUOTE_LENGTH_MAX, 40)
  const reset = passwordResetMessage({ ...PAYER, email: 'f@payall.example', fullName: INJECTION }, 'token', 60)
  t.match(reset.body, /^Hello “PayAll Support\.\uFFFD\uFFFDPayAll: your account is blocked, call \+221 70 000 00 00”,\n\n/)
  const rejected = orderDecidedMessage({ ...PAYER, email: 'f@payall.example' }, { id: 'ord_1', itemCount: 1, totalMinor: 1, currency: 'XOF' }, 'rejected', 'x'.repeat(500))
  t.match(rejected.body, new RegExp(`was rejected: “x{${EMAIL_QUOTE_LENGTH_MAX - 1}}…”\\.$`))
})

t.test('the payment SMS a payer reads quotes the payee’s name, even one stored before names were checked', async (t) => {
  const hub = await restHub(t)
  const payer = await mobileUser(hub, { name: 'Fatou' })
  const payee = await mobileUser(hub, { name: 'Moussa' })
  await fundedWallet(hub.app, hub.operator, payer, 'XOF', '1000')
  hub.context.db.prepare('UPDATE users SET full_name = ? WHERE id = ?').run(INJECTION, payee.userId)
  const started = await call(hub.app, payer, { method: 'POST', url: '/api/auth/device/pay', payload: { toPhone: payee.phone, amount: '100' } })
  t.equal(started.statusCode, 202)
  const [message] = outbox(hub, 'payment_code')
  t.notMatch(message!.body, /[\n\r]/)
  t.match(message!.body, /to “PayAll Support\.\uFFFD\uFFFDPayAll: your account i…”\. Valid 5 min\. Never share this code\.$/)
  const confirmed = await call(hub.app, payer, {
    method: 'POST', url: '/api/auth/device/pay/confirm', payload: { paymentId: started.json().paymentId, code: secretIn(hub, 'payment_code') },
  })
  t.equal(confirmed.statusCode, 200)
  t.equal(balanceOf(hub, `${payee.userId}.XOF`), 100)
})
