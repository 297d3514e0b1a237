import t from 'tap'
import {
  PROOF_CODE_LIFETIME_MS, PROOF_CODE_WRONG_MAX, judgeProofCode, proofCodeHash,
} from '../../../hub/users/one-time-code'
import { PHONE_CODE_SENDS } from '../../../hub/users/phone-verification'
import { newUserId } from '../../../hub/users/store'
import { errorOf } from '../http/fixtures'
import { PASSWORD, call, outbox, provePhone, restHub, secretIn, signIn, type RestHub, type SignedIn } from './fixtures'

const NUMBER = '+221761112233'

function claim(hub: RestHub, as: SignedIn, phone: string) {
  return call(hub.app, as, { method: 'PATCH', url: '/users/update-account', payload: { phone } })
}

function init(hub: RestHub, as: SignedIn, payload?: object) {
  return call(hub.app, as, { method: 'POST', url: '/users/verify-phone-init', ...(payload === undefined ? {} : { payload }) })
}

function finish(hub: RestHub, as: SignedIn, code: string) {
  return call(hub.app, as, { method: 'POST', url: '/users/verify-phone-finish', payload: { code } })
}

function wrongCodeFor(code: string): string {
  return code === '000000' ? '000001' : '000000'
}

function userRow(hub: RestHub, id: string) {
  return hub.context.db.prepare('SELECT phone, phone_verified_at_ms FROM users WHERE id = ?').get(id)
}

/** A user from before codes were asked: a number stored, never proved. */
async function legacyUser(hub: RestHub, phone: string, email: string | null): Promise<string> {
  const id = newUserId(hub.context.random)
  hub.context.db.prepare(`INSERT INTO users (id, email, phone, full_name, password_hash, created_at_ms)
    VALUES (?, ?, ?, 'Legacy User', ?, 0)`).run(id, email, phone, await hub.context.passwords.hash(PASSWORD))
  hub.context.db.prepare(`INSERT INTO user_roles (user_id, role, granted_at_ms) VALUES (?, 'customer', 0)`).run(id)
  return id
}

t.test('the verdict on a code follows its expiry, its wrong tries and whether it is right', async (t) => {
  const code = { codeExpiresAtMs: 1_000, wrongCodes: 0 }
  t.same(judgeProofCode(code, true, 999), { kind: 'prove' })
  t.same(judgeProofCode(code, false, 999), { kind: 'wrong' })
  t.same(judgeProofCode(code, true, 1_000), { kind: 'expired' }, 'expiry wins over a right code')
  t.same(judgeProofCode({ ...code, wrongCodes: PROOF_CODE_WRONG_MAX }, true, 0), { kind: 'exhausted' }, 'so do too many wrong tries')
})

t.test('a code is six digits sent by SMS to the number, and is stored only as a hash bound to its claim', async (t) => {
  const hub = await restHub(t)
  t.equal((await claim(hub, hub.customer, '76 111 22 33')).statusCode, 200)
  const [message] = outbox(hub, 'phone_code')
  t.match(message, { channel: 'sms', recipient: NUMBER, user_id: hub.customer.userId })
  const code = secretIn(hub, 'phone_code')
  t.match(code, /^\d{6}$/)
  const stored = hub.context.db.prepare('SELECT id, code_sha256 FROM phone_claims WHERE user_id = ?').get(hub.customer.userId) as { id: string; code_sha256: string }
  t.equal(stored.code_sha256, proofCodeHash('phone-code', stored.id, code))
  t.notMatch(JSON.stringify(hub.context.db.prepare('SELECT * FROM phone_claims').all()), code)
})

t.test(`wrong codes count down; the ${PROOF_CODE_WRONG_MAX}th ends the code, even for the right one, until a new code is sent`, async (t) => {
  const hub = await restHub(t)
  await claim(hub, hub.customer, NUMBER)
  const code = secretIn(hub, 'phone_code')
  const wrong = wrongCodeFor(code)
  const first = await finish(hub, hub.customer, wrong)
  t.equal(first.statusCode, 400)
  t.match(errorOf(first), { code: 'WRONG_CODE', message: `${PROOF_CODE_WRONG_MAX - 1} attempt(s) left` })
  for (let attempt = 2; attempt < PROOF_CODE_WRONG_MAX; attempt++) t.equal(errorOf(await finish(hub, hub.customer, wrong)).code, 'WRONG_CODE')
  const last = await finish(hub, hub.customer, wrong)
  t.equal(last.statusCode, 409)
  t.equal(errorOf(last).code, 'CODE_ATTEMPTS_EXHAUSTED')
  const right = await finish(hub, hub.customer, code)
  t.equal(errorOf(right).code, 'CODE_ATTEMPTS_EXHAUSTED', 'the right code no longer proves anything')
  t.same(userRow(hub, hub.customer.userId), { phone: null, phone_verified_at_ms: null })

  const resent = await init(hub, hub.customer)
  t.equal(resent.statusCode, 202)
  t.same(resent.json(), { phone: NUMBER, expiresAt: new Date(hub.clock.now_ms() + PROOF_CODE_LIFETIME_MS).toISOString() })
  t.equal(errorOf(await finish(hub, hub.customer, code)).code, 'WRONG_CODE', 'the old code is not the new one')
  const proved = await finish(hub, hub.customer, secretIn(hub, 'phone_code'))
  t.equal(proved.statusCode, 200)
  t.match(proved.json(), { phone: NUMBER, phoneVerified: true, phonePending: null })
  t.same(userRow(hub, hub.customer.userId), { phone: NUMBER, phone_verified_at_ms: hub.clock.now_ms() })
})

t.test('a code expires on the hub’s clock; a new one can be asked for', async (t) => {
  const hub = await restHub(t)
  await claim(hub, hub.customer, NUMBER)
  const code = secretIn(hub, 'phone_code')
  hub.clock.advance(PROOF_CODE_LIFETIME_MS - 1)
  hub.clock.advance(1)
  const expired = await finish(hub, hub.customer, code)
  t.equal(expired.statusCode, 409)
  t.equal(errorOf(expired).code, 'CODE_EXPIRED')
  t.equal((await init(hub, hub.customer)).statusCode, 202)
  t.equal((await finish(hub, hub.customer, secretIn(hub, 'phone_code'))).statusCode, 200)
})

t.test(`at most ${PHONE_CODE_SENDS.perClaimantMax} codes per account in a window: the next is 429 and sends nothing, until the window moves on`, async (t) => {
  const hub = await restHub(t)
  await claim(hub, hub.customer, NUMBER)
  for (let send = 1; send < PHONE_CODE_SENDS.perClaimantMax; send++) {
    hub.clock.advance(60_000)
    t.equal((await init(hub, hub.customer)).statusCode, 202)
  }
  const limited = await init(hub, hub.customer)
  t.equal(limited.statusCode, 429)
  t.equal(errorOf(limited).code, 'TOO_MANY_REQUESTS')
  t.match(errorOf(limited).message, `ask again after ${new Date(hub.clock.now_ms() - 4 * 60_000 + PHONE_CODE_SENDS.windowMs).toISOString()}`)
  const changed = await claim(hub, hub.customer, '+221761112244')
  t.equal(changed.statusCode, 429, 'another number does not reset the account’s count')
  t.equal(changed.json().phonePending, undefined)
  t.equal(outbox(hub, 'phone_code').length, PHONE_CODE_SENDS.perClaimantMax)
  hub.clock.advance(PHONE_CODE_SENDS.windowMs - 4 * 60_000)
  t.equal((await init(hub, hub.customer)).statusCode, 202, 'the first send left the window')
})

t.test(`at most ${PHONE_CODE_SENDS.perNumberMax} codes per number in a window, whoever asks: nobody floods a phone with SMS`, async (t) => {
  const hub = await restHub(t)
  const askers: SignedIn[] = []
  for (let asker = 0; asker <= PHONE_CODE_SENDS.perNumberMax; asker++) askers.push(await signIn(hub, 'customer'))
  for (const asker of askers.slice(0, PHONE_CODE_SENDS.perNumberMax)) t.equal((await claim(hub, asker, NUMBER)).statusCode, 200)
  const limited = await claim(hub, askers[PHONE_CODE_SENDS.perNumberMax]!, NUMBER)
  t.equal(limited.statusCode, 429)
  t.match(errorOf(limited).message, `too many codes were sent to ${NUMBER} lately`)
  t.equal(outbox(hub, 'phone_code').filter((message) => message.recipient === NUMBER).length, PHONE_CODE_SENDS.perNumberMax)
  t.same(hub.context.db.prepare('SELECT count(*) AS count FROM phone_claims WHERE user_id = ?').get(askers[PHONE_CODE_SENDS.perNumberMax]!.userId), { count: 0 })
  hub.clock.advance(PHONE_CODE_SENDS.windowMs)
  t.equal((await claim(hub, askers[PHONE_CODE_SENDS.perNumberMax]!, NUMBER)).statusCode, 200)
  t.same(hub.context.db.prepare('SELECT count(*) AS count FROM phone_code_sends').get(), { count: 1 }, 'the log keeps one window of sends')
})

t.test('a squatter cannot claim a number someone proved: 409, and no code goes to it', async (t) => {
  const hub = await restHub(t)
  await provePhone(hub, hub.owner, NUMBER)
  const sent = outbox(hub, 'phone_code').length
  for (const response of [await claim(hub, hub.customer, NUMBER), await init(hub, hub.customer, { phone: '0022176 111 22 33' })]) {
    t.equal(response.statusCode, 409)
    t.equal(errorOf(response).code, 'PHONE_TAKEN')
  }
  t.equal(outbox(hub, 'phone_code').length, sent)
  t.equal(errorOf(await finish(hub, hub.customer, '123456')).code, 'NO_PENDING_PHONE')
})

t.test('a number proved by its owner wins over a pending claim: the squatter’s claim ends and its code proves nothing', async (t) => {
  const hub = await restHub(t)
  const squat = await claim(hub, hub.customer, NUMBER)
  t.equal(squat.json().phonePending, NUMBER)
  const squattersCode = secretIn(hub, 'phone_code')
  const owner = await provePhone(hub, hub.owner, NUMBER)
  t.match(owner.json(), { phone: NUMBER, phoneVerified: true })
  const late = await finish(hub, hub.customer, squattersCode)
  t.equal(late.statusCode, 409)
  t.equal(errorOf(late).code, 'NO_PENDING_PHONE')
  const squatter = await call(hub.app, hub.customer, { method: 'PATCH', url: '/users/update-account', payload: { fullName: 'S' } })
  t.match(squatter.json(), { phone: null, phonePending: null, phoneVerified: false })
})

t.test('a number kept unproved from before codes goes to whoever proves it; its holder keeps logging in by email', async (t) => {
  const hub = await restHub(t)
  const holder = await legacyUser(hub, NUMBER, 'legacy@payall.example')
  t.equal((await claim(hub, hub.customer, NUMBER)).statusCode, 200, 'an unproved number can be claimed')
  t.equal((await finish(hub, hub.customer, secretIn(hub, 'phone_code'))).statusCode, 200)
  t.same(userRow(hub, holder), { phone: null, phone_verified_at_ms: null })
  t.same(userRow(hub, hub.customer.userId), { phone: NUMBER, phone_verified_at_ms: hub.clock.now_ms() })
  t.ok(hub.log.lines.some((line) => line['userId'] === holder && /lost a number it never proved/.test(String(line['msg']))), 'logged')
})

t.test('a number kept unproved by an account with no email stays its own: 409 for anyone else, and its holder can prove it', async (t) => {
  const hub = await restHub(t)
  const holder = await legacyUser(hub, NUMBER, null)
  const taken = await claim(hub, hub.customer, NUMBER)
  t.equal(taken.statusCode, 409)
  t.equal(errorOf(taken).code, 'PHONE_TAKEN')
  const login = await hub.app.inject({ method: 'POST', url: '/api/auth/login', payload: { phone: '76 111 22 33', password: PASSWORD } })
  t.equal(login.statusCode, 200, 'the holder logs in with it, as before')
  t.match(login.json().user, { id: holder, phone: NUMBER, phoneVerified: false })
  const self = { userId: holder, email: '', token: login.json().token }
  const sent = await init(hub, self)
  t.equal(sent.statusCode, 202, 'without a body, the code goes to the number kept')
  t.equal(sent.json().phone, NUMBER)
  t.match((await finish(hub, self, secretIn(hub, 'phone_code'))).json(), { id: holder, phone: NUMBER, phoneVerified: true })
})

t.test('init and finish answer plainly when there is nothing to prove, and want a token and a well-formed code', async (t) => {
  const hub = await restHub(t)
  t.equal(errorOf(await init(hub, hub.customer)).code, 'NO_PENDING_PHONE')
  t.equal(errorOf(await finish(hub, hub.customer, '123456')).code, 'NO_PENDING_PHONE')
  await provePhone(hub, hub.customer, NUMBER)
  const own = await init(hub, hub.customer, { phone: NUMBER })
  t.equal(own.statusCode, 409, 'one’s own proved number')
  t.equal(errorOf(await init(hub, hub.customer, { phone: 'call me' })).code, 'BAD_PHONE')
  t.equal((await init(hub, hub.customer, { phone: NUMBER, extra: 1 })).statusCode, 400)
  for (const code of ['12345', '1234567', 'abcdef', 123456]) t.equal((await call(hub.app, hub.customer, {
    method: 'POST', url: '/users/verify-phone-finish', payload: { code },
  })).statusCode, 400, `code ${code}`)
  t.equal((await init(hub, undefined as unknown as SignedIn)).statusCode, 401)
  t.equal((await call(hub.app, undefined, { method: 'POST', url: '/users/verify-phone-finish', payload: { code: '123456' } })).statusCode, 401)
})
