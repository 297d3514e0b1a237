import t from 'tap'
import { toBase64 } from '../../../protocol/bytes'
import { nodeEd25519 } from '../../../protocol/signature/node'
import { EMAIL_CODE_SENDS } from '../../../hub/users/email-verification'
import { PROOF_CODE_LIFETIME_MS, PROOF_CODE_WRONG_MAX, proofCodeHash } from '../../../hub/users/one-time-code'
import { errorOf, login, seededRandom } from '../http/fixtures'
import {
  PASSWORD, call, fundedWallet, mobileUser, outbox, provePhone, restHub, secretIn, type RestHub, type SignedIn,
} from './fixtures'

let signUps = 0

/** An account signed up through POST /users/sign-up (its email not proved yet), signed in. */
async function signedUp(hub: RestHub, fullName = 'Awa Diop'): Promise<SignedIn> {
  const email = `awa${++signUps}@example.com`
  const created = await hub.app.inject({ method: 'POST', url: '/users/sign-up', payload: { fullName, email, password: PASSWORD } })
  if (created.statusCode !== 201) throw new Error(`sign-up: ${created.body}`)
  const session = await login(hub.app, email, PASSWORD)
  return { userId: created.json().id, email, token: session.json().token }
}

function init(hub: RestHub, as: SignedIn) {
  return call(hub.app, as, { method: 'POST', url: '/users/verify-email-init' })
}

function finish(hub: RestHub, as: SignedIn, code: string) {
  return call(hub.app, as, { method: 'POST', url: '/users/verify-email-finish', payload: { code } })
}

function wrongCodeFor(code: string): string {
  return code === '000000' ? '000001' : '000000'
}

t.test('sign-up sends a 6-digit code to the email, kept only as a hash; the code proves the email', async (t) => {
  const hub = await restHub(t)
  const awa = await signedUp(hub)
  const [message] = outbox(hub, 'email_code')
  t.match(message, { channel: 'email', recipient: awa.email, user_id: awa.userId, subject: 'Your PayAll email code' })
  t.match(message!.body, /^Hello “Awa Diop”,\n\nPayAll: \d{6} proves this is your email\. Valid 10 min\./)
  const code = secretIn(hub, 'email_code')
  const stored = hub.context.db.prepare('SELECT * FROM email_codes WHERE user_id = ?').get(awa.userId) as { code_sha256: string }
  t.equal(stored.code_sha256, proofCodeHash('email-code', awa.userId, code))
  t.notMatch(JSON.stringify(stored), code)
  t.match((await login(hub.app, awa.email, PASSWORD)).json().user, { emailVerified: false })

  const proved = await finish(hub, awa, code)
  t.equal(proved.statusCode, 200)
  t.match(proved.json(), { id: awa.userId, emailVerified: true })
  t.same(hub.context.db.prepare('SELECT count(*) AS count FROM email_codes').get(), { count: 0 }, 'the code is gone with its work done')
  const again = await finish(hub, awa, code)
  t.equal(errorOf(again).code, 'EMAIL_ALREADY_VERIFIED')
  t.equal(errorOf(await init(hub, awa)).code, 'EMAIL_ALREADY_VERIFIED', 'and no more codes are sent')
})

t.test(`wrong codes count down; the ${PROOF_CODE_WRONG_MAX}th ends the code, even for the right one, until a new one is sent`, async (t) => {
  const hub = await restHub(t)
  const awa = await signedUp(hub)
  const code = secretIn(hub, 'email_code')
  const first = await finish(hub, awa, wrongCodeFor(code))
  t.equal(first.statusCode, 400)
  t.same(errorOf(first), { code: 'WRONG_CODE', message: `wrong code; ${PROOF_CODE_WRONG_MAX - 1} attempt(s) left` })
  for (let attempt = 2; attempt < PROOF_CODE_WRONG_MAX; attempt++) t.equal(errorOf(await finish(hub, awa, wrongCodeFor(code))).code, 'WRONG_CODE')
  t.equal(errorOf(await finish(hub, awa, wrongCodeFor(code))).code, 'CODE_ATTEMPTS_EXHAUSTED')
  t.equal(errorOf(await finish(hub, awa, code)).code, 'CODE_ATTEMPTS_EXHAUSTED', 'the right code no longer works either')

  const resent = await init(hub, awa)
  t.equal(resent.statusCode, 202)
  t.same(resent.json(), { email: awa.email, expiresAt: new Date(hub.clock.now_ms() + PROOF_CODE_LIFETIME_MS).toISOString() })
  t.equal((await finish(hub, awa, secretIn(hub, 'email_code'))).statusCode, 200, 'the new code proves it')
})

t.test('a code expires after 10 minutes; a new one replaces it', async (t) => {
  const hub = await restHub(t)
  const awa = await signedUp(hub)
  const first = secretIn(hub, 'email_code')
  hub.clock.advance(PROOF_CODE_LIFETIME_MS)
  const expired = await finish(hub, awa, first)
  t.equal(expired.statusCode, 409)
  t.equal(errorOf(expired).code, 'CODE_EXPIRED')
  await init(hub, awa)
  const second = secretIn(hub, 'email_code')
  t.not(second, first)
  t.equal(errorOf(await finish(hub, awa, first)).code, 'WRONG_CODE', 'the code before stops working')
  t.equal((await finish(hub, awa, second)).statusCode, 200)
})

t.test(`at most ${EMAIL_CODE_SENDS.perAccountMax} codes per account in a window, sign-up’s included: the next is 429 and sends nothing`, async (t) => {
  const hub = await restHub(t)
  const awa = await signedUp(hub)
  for (let send = 1; send < EMAIL_CODE_SENDS.perAccountMax; send++) {
    hub.clock.advance(60_000)
    t.equal((await init(hub, awa)).statusCode, 202)
  }
  const limited = await init(hub, awa)
  t.equal(limited.statusCode, 429)
  t.match(errorOf(limited).message, `ask again after ${new Date(hub.clock.now_ms() - 4 * 60_000 + EMAIL_CODE_SENDS.windowMs).toISOString()}`)
  t.equal(outbox(hub, 'email_code').length, EMAIL_CODE_SENDS.perAccountMax)
  hub.clock.advance(EMAIL_CODE_SENDS.windowMs - 4 * 60_000)
  t.equal((await init(hub, awa)).statusCode, 202, 'a new window, new codes')
})

t.test('an account without an email proves its phone instead; finish before any code is 409', async (t) => {
  const hub = await restHub(t)
  const fatou = await mobileUser(hub)
  t.equal(errorOf(await init(hub, fatou)).code, 'NO_EMAIL')
  const emailed = await mobileUserWithEmail(hub)
  t.equal(errorOf(await finish(hub, emailed, '123456')).code, 'NO_PENDING_CODE')
  t.equal((await init(hub, emailed)).statusCode, 202, 'a mobile account with an email may prove it too')
  t.equal((await call(hub.app, undefined, { method: 'POST', url: '/users/verify-email-init' })).statusCode, 401)
  t.equal((await finish(hub, emailed, '12345')).statusCode, 400, 'six digits')
  t.equal((await call(hub.app, emailed, { method: 'POST', url: '/users/verify-email-init', payload: { email: 'x@y.z' } })).statusCode, 400)
})

async function mobileUserWithEmail(hub: RestHub): Promise<SignedIn> {
  const registered = await hub.app.inject({
    method: 'POST', url: '/api/auth/register',
    payload: { name: 'Moussa', surname: 'Sow', phone: '+221775550199', email: 'moussa@phone.example', password: PASSWORD },
  })
  await hub.app.inject({
    method: 'POST', url: '/api/auth/register/confirm', payload: { registrationId: registered.json().registrationId, code: secretIn(hub, 'phone_code') },
  })
  const session = await login(hub.app, 'moussa@phone.example', PASSWORD)
  return { userId: session.json().user.id, email: 'moussa@phone.example', token: session.json().token }
}

t.test('an unverified account may read but not move money nor order: 403 ACCOUNT_UNVERIFIED, then accepted once verified', async (t) => {
  const hub = await restHub(t)
  const awa = await signedUp(hub)
  const payee = await mobileUser(hub, { name: 'Moussa' })
  const payeeWallet = await fundedWallet(hub.app, hub.operator, payee, 'XOF', '0')
  const wallet = await fundedWallet(hub.app, hub.operator, awa, 'XOF', '50000')
  const imei = '356938035643809'
  const bound = await call(hub.app, awa, {
    method: 'POST', url: '/api/auth/device/binding',
    payload: { imei, publicKey: toBase64(nodeEd25519.keyPairFromSeed(seededRandom('unverified')(32)).publicKey) },
  })
  t.equal(bound.statusCode, 201, 'binding a phone commits to nothing')
  const gateway = await call(hub.app, hub.operator, {
    method: 'POST', url: '/gateways', payload: { name: 'Counter', type: 'pi-nfc', eui: '70B3D57EF0000001', price: '25000', currency: 'XOF' },
  })
  const acts: Array<{ as: SignedIn; method: string; url: string; payload: object; accepted: number }> = [
    { as: awa, method: 'POST', url: '/transactions', payload: { toWalletAddress: payeeWallet, amount: '100', currency: 'XOF' }, accepted: 201 },
    { as: awa, method: 'POST', url: '/api/auth/device/pay', payload: { toPhone: payee.phone, amount: '100' }, accepted: 202 },
    { as: awa, method: 'POST', url: '/api/auth/device/voucher', payload: { imei, amount: '1000', currency: 'XOF' }, accepted: 201 },
    { as: awa, method: 'POST', url: '/orders', payload: { items: [{ gatewayId: gateway.json().id, quantity: 1 }], shippingAddress: 'Dakar' }, accepted: 201 },
    {
      as: hub.operator, method: 'POST', url: '/ledger/cash-out',
      payload: { accountId: wallet, amount: '100', currency: 'XOF', idempotencyKey: 'out-1' }, accepted: 201,
    },
  ]
  const before = JSON.stringify(hub.context.db.prepare('SELECT id, balance_minor FROM accounts ORDER BY id').all())
  for (const { as, method, url, payload } of acts) {
    const refused = await call(hub.app, as, { method, url, payload })
    t.equal(refused.statusCode, 403, url)
    t.equal(errorOf(refused).code, 'ACCOUNT_UNVERIFIED', url)
  }
  t.equal(JSON.stringify(hub.context.db.prepare('SELECT id, balance_minor FROM accounts ORDER BY id').all()), before, 'no money moved')
  t.same(hub.context.db.prepare('SELECT count(*) AS count FROM orders').get(), { count: 0 }, 'no order placed')
  for (const url of ['/accounts', '/user/transactions', '/users/dashboard-infos', '/api/auth/device/user']) {
    t.equal((await call(hub.app, awa, { method: 'GET', url })).statusCode, 200, `${url} is for reading`)
  }

  t.equal((await finish(hub, awa, secretIn(hub, 'email_code'))).statusCode, 200)
  for (const { as, method, url, payload, accepted } of acts) {
    const response = await call(hub.app, as, { method, url, payload })
    t.equal(response.statusCode, accepted, `${url} once verified: ${response.body}`)
  }
})

t.test('a proved phone verifies an account as well as a proved email', async (t) => {
  const hub = await restHub(t)
  const awa = await signedUp(hub)
  await fundedWallet(hub.app, hub.operator, awa, 'XOF', '1000')
  const payee = await mobileUser(hub)
  const pay = () => call(hub.app, awa, { method: 'POST', url: '/api/auth/device/pay', payload: { toPhone: payee.phone, amount: '100' } })
  t.equal(errorOf(await pay()).code, 'ACCOUNT_UNVERIFIED')
  t.equal((await provePhone(hub, awa, '+221765550123')).statusCode, 200)
  t.equal((await pay()).statusCode, 202, 'the same token, verified now')
})
