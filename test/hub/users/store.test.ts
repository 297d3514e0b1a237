// The users' stores on both engines (SQLite, PostgreSQL): accounts, roles, search, sessions and reset tokens, the codes
// that prove a phone or an email, and the audit log. What must happen once (a refresh token used, a reset token used,
// a code proving a number, an email taken) is decided by the database even when two writes race for it: on
// PostgreSQL they run on two pooled connections at once, as two hubs would.

import pino from 'pino'
import t from 'tap'
import { ManualClock, systemRandom } from '../../../protocol/clock'
import { AuditLog } from '../../../hub/audit/store'
import type { OutgoingMessage } from '../../../hub/notify/message'
import type { SqlEngine } from '../../../hub/store/sql'
import { EmailVerification } from '../../../hub/users/email-verification'
import { PhoneVerification } from '../../../hub/users/phone-verification'
import { UserStore, type NewUser } from '../../../hub/users/store'
import { engineTests } from '../helpers/engines'

const engineTest = engineTests(t)
const NOW_MS = 1_700_000_000_000
const HASH = 'a'.repeat(64)

function newUser(id: string, email: string | null, fields: Partial<NewUser> = {}): NewUser {
  return { id, email, emailVerifiedAtMs: null, fullName: 'Test User', roles: ['customer'], passwordHash: 'hash', createdAtMs: NOW_MS, ...fields }
}

/** The proof services over `engine`, with the messages they send kept for the test to read the codes in. */
function proofs(engine: SqlEngine, users: UserStore, clock: ManualClock) {
  const sent: OutgoingMessage[] = []
  const notifier = {
    send: async (message: OutgoingMessage) => { sent.push(message); return `msg_${sent.length}` },
    sendIn: async (_sql: unknown, message: OutgoingMessage) => { sent.push(message); return `msg_${sent.length}` },
    deliverDue: async () => ({ sent: 0, retried: 0, failed: 0 }),
  }
  const dependencies = { engine, users, clock, random: systemRandom, notifier, log: pino({ level: 'silent' }) }
  return { phones: new PhoneVerification(dependencies), emails: new EmailVerification(dependencies), sent }
}

function codeIn(message: OutgoingMessage): string {
  const code = /\b\d{6}\b/.exec(message.body)?.[0]
  if (code === undefined) throw new Error(`no code in ${message.body}`)
  return code
}

engineTest('users are stored with their roles, found by email, phone and id, and an email or phone is taken once', async (t, factory) => {
  const { engine } = await factory.open(t)
  const users = new UserStore(engine)
  await users.insert(newUser('u1', 'awa@example.com', { fullName: 'Awa Diop', roles: ['owner', 'customer'] }))
  t.match(await users.byId('u1'), { id: 'u1', email: 'awa@example.com', fullName: 'Awa Diop', roles: ['owner', 'customer'], phone: null })
  t.equal((await users.credentialsByEmail('awa@example.com'))?.passwordHash, 'hash')
  t.equal(await users.credentialsByEmail('nobody@example.com'), undefined)
  await t.rejects(users.insert(newUser('u2', 'awa@example.com')), { status: 409, code: 'EMAIL_TAKEN' })
  t.equal(await users.byId('u2'), undefined, 'nothing of the refused user is stored')

  const phone = '+221771234567'
  t.equal(await engine.write(sql => users.insertWithProvedPhoneIn(sql, newUser('u3', null), phone, NOW_MS)), undefined)
  t.match(await users.byProvedPhone(phone), { id: 'u3', phoneVerifiedAtMs: NOW_MS })
  t.match(await engine.write(sql => users.insertWithProvedPhoneIn(sql, newUser('u4', 'u4@example.com'), phone, NOW_MS)),
    { status: 409, code: 'PHONE_TAKEN' })
  await t.rejects(engine.run('UPDATE users SET phone = ? WHERE id = ?', ['0022178', 'u1']), 'a number that is not E.164 is refused')

  t.ok(await users.addRole('u1', 'operator', NOW_MS))
  t.notOk(await users.addRole('u1', 'operator', NOW_MS), 'held already')
  t.same(await users.countsByRole(), { operator: 1, owner: 1, customer: 2 })
  t.equal(await users.activeOperatorCount(), 1)
  t.ok(await users.suspend('u1', 'lost laptop', NOW_MS + 1))
  t.notOk(await users.suspend('u1', 'again', NOW_MS + 2))
  t.equal(await users.activeOperatorCount(), 0)
  t.equal(await users.countWithRole('operator'), 1)
  t.ok(await users.reactivate('u1'))
  await t.rejects(users.removeRole('u3', 'customer'), /at least one role/, 'the last role stays')
  t.ok(await users.removeRole('u1', 'owner'))
})

engineTest('the operators’ search pages newest first and matches names whatever their case, emails and phone digits', async (t, factory) => {
  const { engine } = await factory.open(t)
  const users = new UserStore(engine)
  await users.insert(newUser('a', 'awa@example.com', { fullName: 'Awa Diop', createdAtMs: NOW_MS }))
  await users.insert(newUser('b', 'moussa@example.com', { fullName: 'Moussa 50%_off', createdAtMs: NOW_MS + 1, roles: ['owner', 'customer'] }))
  await engine.write(sql => users.insertWithProvedPhoneIn(sql, newUser('c', null, { fullName: 'Fatou', createdAtMs: NOW_MS + 2 }), '+221771234567', NOW_MS))
  const ids = async (search: Parameters<UserStore['search']>[0]) => (await users.search(search)).users.map(user => user.id)
  t.same(await ids({ limit: 10 }), ['c', 'b', 'a'])
  t.same(await ids({ limit: 10, text: 'AWA' }), ['a'], 'a name whatever its case')
  t.same(await ids({ limit: 10, text: 'MOUSSA@' }), ['b'], 'an email whatever its case')
  t.same(await ids({ limit: 10, text: '50%_' }), ['b'], 'wildcards match as typed')
  t.same(await ids({ limit: 10, text: '%' }), ['b'])
  t.same(await ids({ limit: 10, text: '77 123' }), ['c'], 'phone digits, typed with spaces')
  t.same(await ids({ limit: 10, role: 'owner' }), ['b'])
  await users.suspend('a', 'fraud', NOW_MS)
  t.same(await ids({ limit: 10, status: 'suspended' }), ['a'])
  t.same(await ids({ limit: 10, status: 'active' }), ['c', 'b'])
  const first = await users.search({ limit: 2 })
  t.same(first.next, { createdAtMs: NOW_MS + 1, id: 'b' })
  const rest = await users.search({ limit: 2, before: first.next! })
  t.same(rest.users.map(user => user.id), ['a'])
  t.equal(rest.next, null)
})

engineTest('a refresh token is used once, a reuse is told apart, and a reset token sets the password once', async (t, factory) => {
  const { engine } = await factory.open(t)
  const users = new UserStore(engine)
  const hubs = [users, new UserStore(engine)]
  await users.insert(newUser('u1', 'awa@example.com'))
  await users.addRefreshToken(HASH, 'u1', NOW_MS, NOW_MS + 1_000)
  const uses = await Promise.all(hubs.map(hub => hub.consumeRefreshToken(HASH, NOW_MS + 1)))
  t.same(uses.map(use => use.status).sort(), ['consumed', 'reused'], 'two uses at once: one wins')
  t.same(await users.consumeRefreshToken('b'.repeat(64), NOW_MS), { status: 'unknown' })

  const token = 'c'.repeat(64)
  t.ok(await users.addPasswordReset(token, 'u1', NOW_MS, NOW_MS + 1_000, 2))
  t.ok(await users.addPasswordReset('d'.repeat(64), 'u1', NOW_MS, NOW_MS + 1_000, 2))
  t.notOk(await users.addPasswordReset('e'.repeat(64), 'u1', NOW_MS, NOW_MS + 1_000, 2), 'no more than the live maximum')
  const resets = await Promise.all(hubs.map((hub, index) => hub.resetPassword(token, `new hash ${index}`, NOW_MS + 2)))
  t.same(resets.filter(userId => userId !== undefined), ['u1'], 'two resets at once: one sets the password')
  t.match((await users.credentialsById('u1'))!.passwordHash, /^new hash/)
  t.equal(await users.resetPassword('d'.repeat(64), 'other', NOW_MS + 3), undefined, 'the other tokens of the account were used up too')
})

engineTest('two sign-ups of one email at once: one account, the other refused EMAIL_TAKEN', async (t, factory) => {
  const { engine } = await factory.open(t)
  const users = new UserStore(engine)
  const outcomes = await Promise.allSettled(['u1', 'u2'].map(id => users.insert(newUser(id, 'same@example.com'))))
  t.same(outcomes.map(outcome => outcome.status).sort(), ['fulfilled', 'rejected'])
  t.match(outcomes.find(outcome => outcome.status === 'rejected'), { reason: { code: 'EMAIL_TAKEN' } })
  t.equal((await users.search({ limit: 10 })).users.length, 1)
})

engineTest('a phone sign-up’s code proves the number once, whichever of two requests at once gets there first', async (t, factory) => {
  const { engine } = await factory.open(t)
  const clock = new ManualClock(NOW_MS)
  const users = new UserStore(engine)
  const { phones, sent } = proofs(engine, users, clock)
  const phone = '+221771234567'
  const sentCode = await phones.claimForSignUp({ userId: 'u1', fullName: 'Awa', email: 'awa@example.com', passwordHash: 'hash' }, phone)
  t.equal(sent.length, 1, 'the SMS is queued once the claim is stored')
  await t.rejects(phones.finishSignUp(sentCode.claimId, codeIn(sent[0]!) === '000000' ? '111111' : '000000'), { code: 'WRONG_CODE' })
  const finishes = await Promise.allSettled([0, 1].map(() => phones.finishSignUp(sentCode.claimId, codeIn(sent[0]!))))
  t.same(finishes.map(finish => finish.status).sort(), ['fulfilled', 'rejected'])
  t.match(finishes.find(finish => finish.status === 'fulfilled'), { value: { id: 'u1', phone, phoneVerifiedAtMs: NOW_MS } })
  t.match(finishes.find(finish => finish.status === 'rejected'), { reason: { code: 'NOT_FOUND' } })
  t.same((await users.search({ limit: 10 })).users.map(user => user.id), ['u1'])
})

engineTest('an email code proves the email once; a wrong one is counted, even though the answer is an error', async (t, factory) => {
  const { engine } = await factory.open(t)
  const clock = new ManualClock(NOW_MS)
  const users = new UserStore(engine)
  const { emails, sent } = proofs(engine, users, clock)
  await users.insert(newUser('u1', 'awa@example.com'))
  t.match(await emails.send('u1'), { email: 'awa@example.com', codeExpiresAtMs: NOW_MS + 10 * 60_000 })
  const code = codeIn(sent[0]!)
  await t.rejects(emails.finish('u1', code === '000000' ? '111111' : '000000'), { code: 'WRONG_CODE', message: /4 attempt/ })
  const finishes = await Promise.allSettled([0, 1].map(() => emails.finish('u1', code)))
  t.same(finishes.map(finish => finish.status).sort(), ['fulfilled', 'rejected'])
  t.match(finishes.find(finish => finish.status === 'rejected'), { reason: { code: 'EMAIL_ALREADY_VERIFIED' } })
  t.equal((await users.byId('u1'))!.emailVerifiedAtMs, NOW_MS)
  t.equal(await engine.get('SELECT user_id FROM email_codes WHERE user_id = ?', ['u1']), undefined, 'the code is forgotten')
})

engineTest('the audit log records an act inside its write, pages newest first, and cannot be edited', async (t, factory) => {
  const { engine } = await factory.open(t)
  const users = new UserStore(engine)
  const audit = new AuditLog(engine)
  await users.insert(newUser('op', 'op@example.com', { fullName: 'Operator', roles: ['operator'] }))
  for (let i = 0; i < 3; i++) {
    await engine.write(sql => audit.recordIn(sql, {
      atMs: NOW_MS + i, actorId: 'op', action: 'user.suspend', targetId: `u${i}`, targetName: 'x'.repeat(400), detail: null,
    }))
  }
  await t.rejects(engine.write(async (sql) => {
    await audit.recordIn(sql, { atMs: NOW_MS, actorId: 'op', action: 'user.reactivate', targetId: 'u9', targetName: 'u9', detail: null })
    throw new Error('the act failed')
  }))
  const first = await audit.page(2, null)
  t.same(first.entries.map(entry => entry.targetId), ['u2', 'u1'])
  t.match(first.entries[0], { actorName: 'Operator', atMs: NOW_MS + 2 })
  t.equal(first.entries[0]!.targetName.length, 300, 'names are cut to the log’s length')
  const rest = await audit.page(2, first.next)
  t.same(rest.entries.map(entry => entry.targetId), ['u0'])
  t.equal(rest.next, null)
  await t.rejects(engine.run("UPDATE audit_log SET detail = 'nothing happened'"), /AUDIT_IMMUTABLE/)
  await t.rejects(engine.run('DELETE FROM audit_log'), /AUDIT_IMMUTABLE/)
})
