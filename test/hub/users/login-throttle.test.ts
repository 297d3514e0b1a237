import t from 'tap'
import type { FastifyInstance } from 'fastify'
import { buildApp } from '../../../hub/app'
import {
  CLIENT_WAIT_MESSAGE, IDENTIFIER_LOCKED_MESSAGE, LOGIN_THROTTLE_DEFAULTS, LoginThrottle, clientKey, identifierKey,
} from '../../../hub/users/login-throttle'
import { BAD_CREDENTIALS_MESSAGE, BAD_PHONE_CREDENTIALS_MESSAGE } from '../../../hub/users/login'
import type { PasswordHasher } from '../../../hub/users/passwords'
import { UserStore, newUserId } from '../../../hub/users/store'
import { ManualClock } from '../../../protocol/clock'
import { START_MS, testContext, type Tap } from '../http/fixtures'

const PASSWORD = 'the owner password 1'
const OWNER_EMAIL = 'owner@shop.example'
const OWNER_PHONE = '+221775550102'
const ATTACKER = '203.0.113.66'
const OWNER_ADDRESS = '198.51.100.7'
const {
  clientFailuresFree, clientDelayBase_ms, clientDelayMax_ms, clientLeak_ms, identifierFailuresMax, identifierLockBase_ms,
} = LOGIN_THROTTLE_DEFAULTS

/** A hub whose password hasher counts the hashes it computes, with the owner's account (email and phone). */
async function throttledHub(t: Tap) {
  const { context, clock } = testContext(t)
  const hashes = { count: 0 }
  const real = context.passwords
  const counting: PasswordHasher = {
    hash: (password) => real.hash(password),
    verify: (password, stored) => {
      hashes.count++
      return real.verify(password, stored)
    },
    verifyNothing: (password) => {
      hashes.count++
      return real.verifyNothing(password)
    },
    needsRehash: (stored) => real.needsRehash(stored),
  }
  const app = await buildApp({ ...context, passwords: counting })
  t.teardown(() => app.close())
  await app.ready()
  await new UserStore(context.engine).insertWithProvedPhoneIn(context.engine, {
    id: newUserId(context.random), email: OWNER_EMAIL, emailVerifiedAtMs: null, fullName: 'Awa Diop', roles: ['owner', 'customer'],
    passwordHash: await real.hash(PASSWORD), createdAtMs: clock.now_ms(),
  }, OWNER_PHONE, clock.now_ms())
  return { app, context, clock, hashes }
}

interface Answer {
  status: number
  body: string
  retryAfter: string | undefined
  hashes: number
}

async function loginFrom(
  hub: { app: FastifyInstance; hashes: { count: number } }, remoteAddress: string, email: string, password = 'a wrong guess 1',
): Promise<Answer> {
  const before = hub.hashes.count
  const response = await hub.app.inject({ method: 'POST', url: '/users/login', remoteAddress, payload: { email, password } })
  const retryAfter = response.headers['retry-after']
  return {
    status: response.statusCode,
    body: response.body,
    retryAfter: retryAfter === undefined ? undefined : String(retryAfter),
    hashes: hub.hashes.count - before,
  }
}

t.test('the same sequence of logins against a known and an unknown email gets the same answers after the same work', async (t) => {
  // Guesses from several addresses, with pauses: checked failures, the identifier's lock (423) against the
  // addresses that failed but not a fresh one, the lock's end, then one address made to wait (429).
  const script: Array<{ from: string; afterMs: number }> = []
  for (let round = 0; round < 4; round++) for (const from of ['192.0.2.1', '192.0.2.2', '192.0.2.3']) script.push({ from, afterMs: 0 })
  script.push({ from: '192.0.2.4', afterMs: 0 }, { from: '192.0.2.4', afterMs: 0 }, { from: '192.0.2.1', afterMs: 0 })
  script.push({ from: '192.0.2.1', afterMs: identifierLockBase_ms })
  for (let attempt = 0; attempt < clientFailuresFree; attempt++) script.push({ from: '192.0.2.2', afterMs: 0 })
  script.push({ from: '192.0.2.2', afterMs: clientDelayBase_ms })

  const run = async (email: string) => {
    const hub = await throttledHub(t)
    const answers: Answer[] = []
    for (const step of script) {
      hub.clock.advance(step.afterMs)
      answers.push(await loginFrom(hub, step.from, email))
    }
    return answers
  }
  const known = await run(OWNER_EMAIL)
  const unknown = await run('nobody@shop.example')
  t.same(unknown, known, 'status, code, message, Retry-After and hashes computed: all the same')
  t.same(known.map((answer) => answer.status), [
    ...Array<number>(identifierFailuresMax).fill(401), 423, 423, 401, 423, 423, 401, 401, 401, 401, 429, 429, 401,
  ], 'the script meets every kind of answer')
  for (const answer of known) {
    t.equal(answer.hashes, answer.status === 401 ? 1 : 0, `one hash for a checked guess, none for a refusal (${answer.status})`)
  }
  t.same(JSON.parse(known.find((answer) => answer.status === 401)!.body), { error: { code: 'UNAUTHORIZED', message: BAD_CREDENTIALS_MESSAGE } })
})

t.test('phone logins answer alike for a known and an unknown phone, through the throttle too', async (t) => {
  const run = async (phone: string) => {
    const hub = await throttledHub(t)
    const answers: Array<{ status: number; body: string }> = []
    for (let attempt = 0; attempt < clientFailuresFree + 2; attempt++) {
      const response = await hub.app.inject({
        method: 'POST', url: '/api/auth/login', remoteAddress: ATTACKER, payload: { phone, password: 'a wrong guess 1' },
      })
      answers.push({ status: response.statusCode, body: response.body })
    }
    return answers
  }
  const known = await run(OWNER_PHONE)
  t.same(await run('+221700000009'), known)
  t.same(known.map((answer) => answer.status), [...Array<number>(clientFailuresFree).fill(401), 429, 429])
  t.same(JSON.parse(known[0]!.body), { error: { code: 'UNAUTHORIZED', message: BAD_PHONE_CREDENTIALS_MESSAGE } })
})

t.test('an address that keeps failing waits longer and longer (429 with Retry-After), whatever email it tries', async (t) => {
  const hub = await throttledHub(t)
  for (let attempt = 0; attempt < clientFailuresFree; attempt++) {
    t.equal((await loginFrom(hub, ATTACKER, `target-${attempt}@shop.example`)).status, 401, 'the free failures')
  }
  let wait_ms = clientDelayBase_ms
  for (let step = 0; step < 4; step++) {
    const refused = await loginFrom(hub, ATTACKER, `next-${step}@shop.example`)
    t.equal(refused.status, 429)
    t.same(JSON.parse(refused.body), { error: { code: 'TOO_MANY_REQUESTS', message: CLIENT_WAIT_MESSAGE } })
    t.equal(refused.retryAfter, String(wait_ms / 1000), `waits ${wait_ms} ms`)
    t.equal(refused.hashes, 0, 'a refusal checks nothing')
    hub.clock.advance(wait_ms - 1)
    t.equal((await loginFrom(hub, ATTACKER, `next-${step}@shop.example`)).status, 429, 'not a millisecond early')
    hub.clock.advance(1)
    t.equal((await loginFrom(hub, ATTACKER, `next-${step}@shop.example`)).status, 401, 'then one more guess')
    wait_ms *= 2
  }
  t.equal((await loginFrom(hub, OWNER_ADDRESS, OWNER_EMAIL, PASSWORD)).status, 200, 'another address is not slowed')
})

t.test('an address\'s waits stop growing at the maximum, and its failures leak away', async (t) => {
  const clock = new ManualClock(START_MS)
  const throttle = new LoginThrottle(clock)
  const fail = () => throttle.attempt(ATTACKER, [], async () => undefined)
  const waits: number[] = []
  for (let attempt = 0; attempt < 80; attempt++) {
    await fail().catch((error: { status: number; retryAfter_seconds: number }) => {
      waits.push(error.retryAfter_seconds)
      clock.advance(error.retryAfter_seconds * 1000)
    })
  }
  t.same(waits.slice(0, 9), [1, 2, 4, 8, 16, 32, 64, 128, 256], 'each failure doubles the wait')
  t.ok(waits.every((wait) => wait <= clientDelayMax_ms / 1000), 'never past the maximum')
  t.same(waits.slice(-10), Array<number>(10).fill(clientDelayMax_ms / 1000), 'then one guess per 15 minutes, as fast as failures leak away')

  const fresh = new ManualClock(START_MS)
  const forgetting = new LoginThrottle(fresh)
  const failFresh = () => forgetting.attempt(ATTACKER, [], async () => undefined)
  for (let attempt = 0; attempt < clientFailuresFree; attempt++) await failFresh()
  fresh.advance(clientDelayBase_ms)
  await failFresh()
  await t.rejects(failFresh(), { message: CLIENT_WAIT_MESSAGE })
  fresh.advance(2 * clientLeak_ms)
  t.equal(await failFresh(), undefined, 'two failures have leaked away: a free attempt again')
  await t.rejects(failFresh(), { message: CLIENT_WAIT_MESSAGE }, 'and only one')
})

t.test('50 guesses from an attacker\'s address do not stop the owner logging in from another address', async (t) => {
  const hub = await throttledHub(t)
  const answers: number[] = []
  for (let guess = 0; guess < 50; guess++) {
    const answer = await loginFrom(hub, ATTACKER, OWNER_EMAIL)
    answers.push(answer.status)
    // The attacker waits out the address's waits, so every guess that can be checked before the lock is.
    if (answer.status === 429) hub.clock.advance(Number(answer.retryAfter) * 1000)
  }
  t.equal(answers.filter((status) => status === 401).length, identifierFailuresMax, 'ten guesses checked, then the email locked')
  t.equal(answers.at(-1), 423)
  const owner = await loginFrom(hub, OWNER_ADDRESS, OWNER_EMAIL, PASSWORD)
  t.equal(owner.status, 200, 'the owner, from an address that has not failed, gets in during the lock')
  t.equal((await loginFrom(hub, ATTACKER, OWNER_EMAIL, PASSWORD)).status, 423, 'even the right password is refused to the attacker\'s address')
})

t.test('a lock of an identifier expires, and the next one lasts twice as long', async (t) => {
  const hub = await throttledHub(t)
  const addresses = ['192.0.2.10', '192.0.2.11', '192.0.2.12']
  for (let guess = 0; guess < identifierFailuresMax; guess++) {
    t.equal((await loginFrom(hub, addresses[guess % 3]!, OWNER_EMAIL)).status, 401)
    if (guess % 3 === 2) hub.clock.advance(clientDelayMax_ms)
  }
  const locked = await loginFrom(hub, '192.0.2.10', OWNER_EMAIL, PASSWORD)
  t.equal(locked.status, 423)
  t.same(JSON.parse(locked.body), { error: { code: 'LOCKED', message: IDENTIFIER_LOCKED_MESSAGE } })
  t.equal(locked.retryAfter, String(identifierLockBase_ms / 1000))
  hub.clock.advance(identifierLockBase_ms)
  t.equal((await loginFrom(hub, '192.0.2.10', OWNER_EMAIL, PASSWORD)).status, 200, 'the lock has passed')

  for (let guess = 0; guess < identifierFailuresMax; guess++) {
    await loginFrom(hub, addresses[guess % 3]!, OWNER_EMAIL)
    if (guess % 3 === 2) hub.clock.advance(clientDelayMax_ms)
  }
  t.equal((await loginFrom(hub, '192.0.2.11', OWNER_EMAIL)).retryAfter, String((2 * identifierLockBase_ms) / 1000), 'twice as long')
})

t.test('parallel guesses from one address cannot all slip through its free attempts', async (t) => {
  const hub = await throttledHub(t)
  const answers = await Promise.all(Array.from({ length: 20 }, (_, guess) => loginFrom(hub, ATTACKER, `someone-${guess}@shop.example`)))
  t.equal(answers.filter((answer) => answer.status === 401).length, clientFailuresFree)
  t.equal(answers.filter((answer) => answer.status === 429).length, 20 - clientFailuresFree)
  t.equal(hub.hashes.count, clientFailuresFree, 'only the admitted guesses were hashed')
})

t.test('wrong current passwords at update-password count against the address and the account\'s email and phone', async (t) => {
  const hub = await throttledHub(t)
  const session = (await hub.app.inject({
    method: 'POST', url: '/users/login', remoteAddress: OWNER_ADDRESS, payload: { email: OWNER_EMAIL, password: PASSWORD },
  })).json()
  const change = (from: string, currentPassword: string) => hub.app.inject({
    method: 'PATCH', url: '/users/update-password', remoteAddress: from, headers: { authorization: `Bearer ${session.token}` },
    payload: { currentPassword, newPassword: 'a brand new password 2' },
  })
  const thief = ['203.0.113.1', '203.0.113.2']
  for (let guess = 0; guess < identifierFailuresMax; guess++) {
    t.equal((await change(thief[guess % 2]!, `guess ${guess}`)).statusCode, 403)
  }
  hub.clock.advance(clientDelayBase_ms)
  t.equal((await change(thief[0]!, PASSWORD)).statusCode, 423, 'the thief\'s addresses are locked out of the account')
  const byPhone = await hub.app.inject({
    method: 'POST', url: '/api/auth/login', remoteAddress: thief[1]!, payload: { phone: OWNER_PHONE, password: PASSWORD },
  })
  t.equal(byPhone.statusCode, 423, 'its phone login too')
  t.equal((await loginFrom(hub, OWNER_ADDRESS, OWNER_EMAIL, PASSWORD)).status, 200, 'the owner is not')
})

t.test('wrong reset tokens slow the address down like wrong passwords', async (t) => {
  const hub = await throttledHub(t)
  const finish = () => hub.app.inject({
    method: 'POST', url: '/users/reset-password-finish', remoteAddress: ATTACKER,
    payload: { token: 'not-a-token', password: 'a brand new password 2' },
  })
  for (let attempt = 0; attempt < clientFailuresFree; attempt++) t.equal((await finish()).statusCode, 400)
  const refused = await finish()
  t.equal(refused.statusCode, 429)
  t.equal(refused.headers['retry-after'], String(clientDelayBase_ms / 1000))
})

t.test('clients are counted by IPv4 address, or by the /64 of an IPv6 one', async (t) => {
  t.equal(clientKey('203.0.113.9'), '203.0.113.9')
  t.equal(clientKey('::ffff:203.0.113.9'), '203.0.113.9', 'IPv4-mapped')
  t.equal(clientKey('2001:db8:1:2:aaaa:bbbb:cccc:dddd'), '2001:db8:1:2::/64')
  t.equal(clientKey('2001:0db8:0001:0002::1'), '2001:db8:1:2::/64', 'any spelling of the same /64')
  t.equal(clientKey('2001:db8::1'), '2001:db8:0:0::/64')
  t.equal(clientKey('fe80::1%eth0'), 'fe80:0:0:0::/64', 'the zone is not part of the address')
  t.equal(clientKey('64:ff9b::192.0.2.1'), '64:ff9b:0:0::/64')
  t.equal(clientKey('::1'), '0:0:0:0::/64')
  t.not(identifierKey('email', 'a@b.example'), identifierKey('phone', 'a@b.example'), 'an email and a phone never share a key')
  t.match(identifierKey('email', 'a@b.example'), /^[0-9a-f]{32}$/, 'a hash: the throttle keeps no email or phone')
})

t.test('the throttle keeps at most its bound of clients and identifiers, forgetting the least recently used', async (t) => {
  const clock = new ManualClock(START_MS)
  const throttle = new LoginThrottle(clock, { ...LOGIN_THROTTLE_DEFAULTS, clientsMax: 2, identifiersMax: 2 })
  const fail = (address: string) => throttle.attempt(address, [identifierKey('email', address)], async () => undefined)
  for (let attempt = 0; attempt < clientFailuresFree; attempt++) await fail('192.0.2.1')
  await t.rejects(fail('192.0.2.1'), { message: CLIENT_WAIT_MESSAGE })
  await fail('192.0.2.2')
  await fail('192.0.2.3')
  t.equal(await fail('192.0.2.1'), undefined, 'forgotten past the bound: a flood of addresses is what it takes')
})
