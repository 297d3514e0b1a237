import t from 'tap'
import { heardEvents, heardSoFar } from '../helpers/live-events'
import { PAYMENT_CODE_LIFETIME_MS, WRONG_CODES_MAX } from '../../../hub/mobile/payment-code'
import { OPEN_PAYMENTS_PER_PAYER_MAX } from '../../../hub/mobile/payments'
import { errorOf } from '../http/fixtures'
import { balanceOf, call, fundedWallet, mobileUser, outbox, provePhone, restHub, secretIn, type MobileUser, type RestHub } from '../users/fixtures'

interface PayWorld extends RestHub {
  payer: MobileUser
  payee: MobileUser
  payerWallet: string
}

async function payWorld(t: Parameters<typeof restHub>[0]): Promise<PayWorld> {
  const hub = await restHub(t)
  const payer = await mobileUser(hub, { name: 'Fatou' })
  const payee = await mobileUser(hub, { name: 'Moussa' })
  const payerWallet = await fundedWallet(hub.app, hub.operator, payer, 'XOF', '10000')
  return { ...hub, payer, payee, payerWallet }
}

function pay(hub: PayWorld, payload: object, as: MobileUser | undefined = hub.payer) {
  return call(hub.app, as, { method: 'POST', url: '/api/auth/device/pay', payload })
}

function confirm(hub: PayWorld, paymentId: string, code: string, as: MobileUser | undefined = hub.payer) {
  return call(hub.app, as, { method: 'POST', url: '/api/auth/device/pay/confirm', payload: { paymentId, code } })
}

t.test('pay sends a 6-digit code to the payer; the right code settles through the ledger', async (t) => {
  const hub = await payWorld(t)
  const started = await pay(hub, { toPhone: hub.payee.phone, amount: '2500' })
  t.equal(started.statusCode, 202)
  const { paymentId } = started.json()
  t.match(started.json(), { status: 'awaiting_confirmation', expiresAt: new Date(hub.clock.now_ms() + PAYMENT_CODE_LIFETIME_MS).toISOString() })
  t.equal(balanceOf(hub, hub.payerWallet), 10000, 'nothing moves before the code')
  const [message] = outbox(hub, 'payment_code')
  t.match(message, { channel: 'sms', recipient: hub.payer.phone, user_id: hub.payer.userId })
  t.match(message!.body, /2\u202f500 XOF to \u201CMoussa Ndiaye\u201D\. Valid 5 min/, 'the payee’s name in quotes of its own')
  const stored = hub.context.db.prepare('SELECT code_sha256 FROM mobile_payments WHERE id = ?').get(paymentId) as { code_sha256: string }
  const code = secretIn(hub, 'payment_code')
  t.notMatch(stored.code_sha256, code, 'the code is stored hashed')

  const confirmed = await confirm(hub, paymentId, code)
  t.equal(confirmed.statusCode, 200)
  t.match(confirmed.json(), {
    paymentId, status: 'settled', fromAccountId: hub.payerWallet, toAccountId: `${hub.payee.userId}.XOF`, amountMinor: 2500, amount: '2500',
  })
  t.equal(balanceOf(hub, hub.payerWallet), 7500)
  t.equal(balanceOf(hub, `${hub.payee.userId}.XOF`), 2500, 'the payee’s wallet was opened for them')
  t.match(await hub.context.ledger.transfer(confirmed.json().transferId), { kind: 'p2p', metadata: { channel: 'mobile', paymentId } })

  const retried = await confirm(hub, paymentId, code)
  t.equal(retried.statusCode, 200, 'a retried confirmation answers as before')
  t.equal(retried.json().transferId, confirmed.json().transferId)
  t.equal(balanceOf(hub, hub.payerWallet), 7500, 'and moves nothing')
})

t.test(`wrong codes count; the ${WRONG_CODES_MAX}rd cancels the payment for good`, async (t) => {
  const hub = await payWorld(t)
  const { paymentId } = (await pay(hub, { toPhone: hub.payee.phone, amount: '100' })).json()
  const code = secretIn(hub, 'payment_code')
  const wrong = code === '000000' ? '000001' : '000000'
  const first = await confirm(hub, paymentId, wrong)
  t.equal(first.statusCode, 400)
  t.match(errorOf(first), { code: 'WRONG_CODE', message: /2 attempt/ })
  t.equal(errorOf(await confirm(hub, paymentId, wrong)).code, 'WRONG_CODE')
  const third = await confirm(hub, paymentId, wrong)
  t.equal(third.statusCode, 409)
  t.equal(errorOf(third).code, 'PAYMENT_CANCELLED')
  const late = await confirm(hub, paymentId, code)
  t.equal(late.statusCode, 409)
  t.equal(errorOf(late).code, 'PAYMENT_CLOSED', 'the right code no longer helps')
  t.equal(balanceOf(hub, hub.payerWallet), 10000)
  const history = await call(hub.app, hub.payer, { method: 'GET', url: '/api/auth/device/transaction?status=cancelled' })
  t.match(history.json(), { total: 1, items: [{ id: paymentId, status: 'cancelled', direction: 'out', amountMinor: 100 }] })
})

t.test('a code expires after 5 minutes', async (t) => {
  const hub = await payWorld(t)
  const { paymentId } = (await pay(hub, { toPhone: hub.payee.phone, amount: '100' })).json()
  const code = secretIn(hub, 'payment_code')
  hub.clock.advance(PAYMENT_CODE_LIFETIME_MS)
  const expired = await confirm(hub, paymentId, code)
  t.equal(expired.statusCode, 409)
  t.equal(errorOf(expired).code, 'PAYMENT_EXPIRED')
  t.equal(balanceOf(hub, hub.payerWallet), 10000)
  const history = await call(hub.app, hub.payer, { method: 'GET', url: '/api/auth/device/transaction' })
  t.match(history.json().items[0], { id: paymentId, status: 'expired' })
})

t.test('another customer’s payment answers as a missing one, and their guesses do not count', async (t) => {
  const hub = await payWorld(t)
  const { paymentId } = (await pay(hub, { toPhone: hub.payee.phone, amount: '100' })).json()
  const code = secretIn(hub, 'payment_code')
  for (let guess = 0; guess < WRONG_CODES_MAX; guess++) {
    const stolen = await confirm(hub, paymentId, code, hub.payee)
    t.equal(stolen.statusCode, 404)
  }
  t.equal((await confirm(hub, paymentId, code)).statusCode, 200, 'the payer still confirms')
})

t.test('pay refuses an unknown payee, oneself, more than the balance, and wallets that do not exist', async (t) => {
  const hub = await payWorld(t)
  const unknown = await pay(hub, { toPhone: '+221700000999', amount: '1' })
  t.equal(unknown.statusCode, 404)
  t.equal(errorOf(unknown).code, 'UNKNOWN_PAYEE')
  t.equal((await pay(hub, { toPhone: hub.payer.phone, amount: '1' })).statusCode, 400)
  const tooMuch = await pay(hub, { toPhone: hub.payee.phone, amount: '10001' })
  t.equal(tooMuch.statusCode, 409)
  t.equal(errorOf(tooMuch).code, 'INSUFFICIENT_FUNDS')
  t.equal(errorOf(await pay(hub, { toPhone: hub.payer.phone, amount: '1' }, hub.payee)).code, 'NO_WALLET')
  t.equal(errorOf(await pay(hub, { toPhone: hub.payee.phone, amount: '1', currency: 'EUR' })).code, 'NO_WALLET')
  await fundedWallet(hub.app, hub.operator, hub.payer, 'EUR', '0')
  t.match(errorOf(await pay(hub, { toPhone: hub.payee.phone, amount: '1' })).message, /name the currency/)
  t.equal(outbox(hub, 'payment_code').length, 0, 'no code went out')
})

t.test('a payment settles only if the money is still there when confirmed', async (t) => {
  const hub = await payWorld(t)
  const { paymentId } = (await pay(hub, { toPhone: hub.payee.phone, amount: '8000' })).json()
  const code = secretIn(hub, 'payment_code')
  await call(hub.app, hub.operator, {
    method: 'POST', url: '/ledger/cash-out', payload: { accountId: hub.payerWallet, amount: '5000', currency: 'XOF', idempotencyKey: 'atm' },
  })
  const refused = await confirm(hub, paymentId, code)
  t.equal(refused.statusCode, 409)
  t.equal(errorOf(refused).code, 'INSUFFICIENT_FUNDS')
  t.equal(balanceOf(hub, hub.payerWallet), 5000)
})

t.test(`a payer has at most ${OPEN_PAYMENTS_PER_PAYER_MAX} payments waiting for their code`, async (t) => {
  const hub = await payWorld(t)
  for (let payment = 0; payment < OPEN_PAYMENTS_PER_PAYER_MAX; payment++) {
    t.equal((await pay(hub, { toPhone: hub.payee.phone, amount: '1' })).statusCode, 202)
  }
  t.equal((await pay(hub, { toPhone: hub.payee.phone, amount: '1' })).statusCode, 409)
  hub.clock.advance(PAYMENT_CODE_LIFETIME_MS)
  t.equal((await pay(hub, { toPhone: hub.payee.phone, amount: '1' })).statusCode, 202, 'expired ones no longer count')
})

t.test('pay and confirm are for customers (owners too) with a token, with well-formed, bounded bodies', async (t) => {
  const hub = await payWorld(t)
  await fundedWallet(hub.app, hub.operator, hub.owner, 'XOF', '100')
  t.equal((await pay(hub, { toPhone: hub.payee.phone, amount: '1' }, undefined)).statusCode, 202, 'the default caller is the payer')
  t.equal((await call(hub.app, undefined, { method: 'POST', url: '/api/auth/device/pay', payload: { toPhone: hub.payee.phone, amount: '1' } })).statusCode, 401)
  const byOwner = await call(hub.app, hub.owner, { method: 'POST', url: '/api/auth/device/pay', payload: { toPhone: hub.payee.phone, amount: '1' } })
  t.equal(byOwner.statusCode, 202, 'an owner is a customer too: roles add up')
  t.equal((await call(hub.app, hub.operator, { method: 'POST', url: '/api/auth/device/pay/confirm', payload: { paymentId: 'p', code: '123456' } })).statusCode, 403)
  t.equal((await pay(hub, { toPhone: hub.payee.phone, amount: 1 })).statusCode, 400)
  t.equal((await pay(hub, { toPhone: hub.payee.phone })).statusCode, 400)
  t.equal((await pay(hub, { amount: '1' })).statusCode, 400)
  t.equal((await pay(hub, { toPhone: hub.payee.phone, amount: '1', fromPhone: hub.payee.phone })).statusCode, 400)
  t.equal((await pay(hub, { toPhone: hub.payee.phone, amount: '1'.repeat(9000) })).statusCode, 413)
  t.equal((await confirm(hub, 'pay_x', '12345')).statusCode, 400, 'six digits')
  t.equal((await confirm(hub, 'pay_x', 'abcdef')).statusCode, 400)
  t.equal((await confirm(hub, 'pay_x', '123456')).statusCode, 404)
})

t.test('a squatter’s update-account to the owner’s number does not draw a payment sent to that number', async (t) => {
  const hub = await payWorld(t)
  const squatter = await mobileUser(hub, { name: 'Squatter' })
  const owner = hub.payee
  const squat = await call(hub.app, squatter, { method: 'PATCH', url: '/users/update-account', payload: { phone: owner.phone.slice(4) } })
  t.equal(squat.statusCode, 409, 'a number its owner proved cannot be claimed')
  t.equal(errorOf(squat).code, 'PHONE_TAKEN')
  const { paymentId } = (await pay(hub, { toPhone: owner.phone, amount: '700' })).json()
  t.equal((await confirm(hub, paymentId, secretIn(hub, 'payment_code'))).statusCode, 200)
  t.equal(balanceOf(hub, `${owner.userId}.XOF`), 700, 'the owner is paid')
  t.equal(balanceOf(hub, `${squatter.userId}.XOF`), undefined, 'the squatter is not')
})

t.test('a number only claimed, not proved, cannot be paid: the same 404 as an unknown number', async (t) => {
  const hub = await payWorld(t)
  const claimed = await call(hub.app, hub.payee, { method: 'PATCH', url: '/users/update-account', payload: { phone: '+221 76 111 22 33' } })
  t.equal(claimed.json().phonePending, '+221761112233')
  const pending = await pay(hub, { toPhone: '+221761112233', amount: '100' })
  const unknown = await pay(hub, { toPhone: '+221761112234', amount: '100' })
  t.equal(pending.statusCode, 404)
  t.equal(errorOf(pending).code, 'UNKNOWN_PAYEE')
  t.equal(pending.body, unknown.body, 'the answer does not tell a pending number from an unknown one')
  t.equal(outbox(hub, 'payment_code').length, 0)

  t.equal((await provePhone(hub, hub.payee)).statusCode, 200)
  const { paymentId } = (await pay(hub, { toPhone: '761112233', amount: '100' })).json()
  t.equal((await confirm(hub, paymentId, secretIn(hub, 'payment_code'))).statusCode, 200, 'once proved, the number is paid')
  t.equal(balanceOf(hub, `${hub.payee.userId}.XOF`), 100)
  const former = await pay(hub, { toPhone: hub.payee.phone, amount: '100' })
  t.equal(former.statusCode, 404, 'the number the payee left is no longer theirs')
})

t.test('a confirmed payment is announced once, to the payer and the payee; a wrong code or a retried confirmation announces nothing', async (t) => {
  const hub = await payWorld(t)
  const heard = heardEvents(hub.services.events)
  const { paymentId } = (await pay(hub, { toPhone: hub.payee.phone, amount: '2500' })).json()
  const code = secretIn(hub, 'payment_code')
  t.equal((await confirm(hub, paymentId, code === '000000' ? '111111' : '000000')).statusCode, 400, 'a wrong code')
  const { transferId } = (await confirm(hub, paymentId, code)).json()
  t.equal((await confirm(hub, paymentId, code)).statusCode, 200, 'a retried confirmation')
  t.same(await heardSoFar(hub.services.events, heard), [{
    type: 'payment.settled',
    data: {
      transferId, gatewayId: null, currency: 'XOF', amountMinor: 2500, amount: '2500', payerAccountId: hub.payerWallet,
      payeeAccountId: `${hub.payee.userId}.XOF`, atMs: hub.clock.now_ms(),
    },
    audience: [hub.payer.userId, hub.payee.userId],
  }])
})
