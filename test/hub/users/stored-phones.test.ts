import { join } from 'node:path'
import { Writable } from 'node:stream'
import pino from 'pino'
import t from 'tap'
import { DATABASE_FILE, startHub } from '../../../hub/server'
import { openDatabase } from '../../../hub/store/database'
import { MIGRATIONS } from '../../../hub/store/migrations'
import { createPasswordHasher } from '../../../hub/users/passwords'
import { PHONE_VERIFICATION_SQL } from '../../../hub/users/tables'
import { SqliteEngine } from '../../../hub/store/sql'
import { normalizeStoredPhones } from '../../../hub/users/stored-phones'
import { TEST_SCRYPT_COST, errorOf, login, seededRandom, testConfig, testHub } from '../http/fixtures'
import { MANUAL_NOTIFY, provePhone } from './fixtures'

// Users as a hub stored them before the migration that asks for proof: numbers as typed, one number possibly
// three accounts.
const STORED: Array<[id: string, email: string | null, phone: string]> = [
  ['awa', 'awa@payall.example', '221786365771'],
  ['awa-again', null, '00221786365771'],
  ['awa-thrice', 'awa3@payall.example', '786365771'],
  ['moussa', null, '77 123 45 67'],
  ['fatou', null, '+221775550102'],
  ['typo', null, '+22177000001'],
]

/** Every migration before the one that asks for proof, whatever its number once branches are merged. */
const BEFORE_PHONE_PROOFS = MIGRATIONS.slice(0, MIGRATIONS.findIndex((migration) => migration.sql === PHONE_VERIFICATION_SQL))

/** A database file at the schema before phone proofs, holding STORED. */
function databaseBeforePhoneProofs(dataDir: string): string {
  const path = join(dataDir, DATABASE_FILE)
  const db = openDatabase(path, { migrations: BEFORE_PHONE_PROOFS })
  const insert = db.prepare(`INSERT INTO users (id, email, phone, full_name, password_hash, role, created_at_ms)
    VALUES (?, ?, ?, 'Stored User', 'hash', 'customer', 0)`)
  for (const [id, email, phone] of STORED) insert.run(id, email, phone)
  db.close()
  return path
}

function capturedLog() {
  const lines: Array<Record<string, unknown>> = []
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const line of chunk.toString('utf8').split('\n')) if (line !== '') lines.push(JSON.parse(line))
      callback()
    },
  })
  return { lines, log: pino({ level: 'info' }, sink) }
}

t.test('stored numbers are rewritten in E.164, unproved; numbers that turn out the same are not merged but reported', async (t) => {
  const db = openDatabase(databaseBeforePhoneProofs(t.testdir()))
  t.teardown(() => db.close())
  const { lines, log } = capturedLog()
  const report = await normalizeStoredPhones(new SqliteEngine(db), 'SN', log)
  t.same(report, {
    rewritten: 1,
    collisions: [{ phone: '+221786365771', userIds: ['awa', 'awa-again', 'awa-thrice'] }],
    unreadable: ['typo'],
  })
  const phones = Object.fromEntries((db.prepare('SELECT id, phone, phone_verified_at_ms FROM users').all() as Array<{ id: string; phone: string; phone_verified_at_ms: null }>)
    .map((row) => [row.id, [row.phone, row.phone_verified_at_ms]]))
  t.same(phones, {
    'awa': ['221786365771', null],
    'awa-again': ['00221786365771', null],
    'awa-thrice': ['786365771', null],
    'moussa': ['+221771234567', null],
    'fatou': ['+221775550102', null],
    'typo': ['+22177000001', null],
  }, 'the three spellings of one number keep what they had: none is chosen over the others')
  t.match(lines, [
    { level: 30, rewritten: 1 },
    { level: 40, numbers: 1, collisions: [{ phone: '+221786365771', userIds: ['awa', 'awa-again', 'awa-thrice'] }], msg: /none was changed or merged/ },
    { level: 40, accounts: 1, userIds: ['typo'], msg: /no valid number/ },
  ])
  t.same(await normalizeStoredPhones(new SqliteEngine(db), 'SN', log), { ...report, rewritten: 0 }, 'a second run rewrites nothing more')
})

t.test('once an operator settles a shared number, the next start rewrites the account left with it', async (t) => {
  const db = openDatabase(databaseBeforePhoneProofs(t.testdir()))
  t.teardown(() => db.close())
  const { log } = capturedLog()
  db.prepare("UPDATE users SET phone = NULL WHERE id IN ('awa', 'awa-thrice')").run()
  t.match(await normalizeStoredPhones(new SqliteEngine(db), 'SN', log), { rewritten: 2, collisions: [] })
  t.same(db.prepare("SELECT phone FROM users WHERE id = 'awa-again'").get(), { phone: '+221786365771' })
})

t.test('a new phone is written in E.164 only: the schema refuses anything else', async (t) => {
  const db = openDatabase(join(t.testdir(), 'hub.sqlite'))
  t.teardown(() => db.close())
  const insert = db.prepare(`INSERT INTO users (id, email, phone, full_name, password_hash, created_at_ms)
    VALUES (?, 'x@payall.example', ?, 'X', 'hash', 0)`)
  t.throws(() => insert.run('x', '786365771'), /E\.164/)
  insert.run('x', null)
  t.throws(() => db.prepare("UPDATE users SET phone = '0022178' WHERE id = 'x'").run(), /E\.164/)
  t.throws(() => db.prepare("UPDATE users SET phone_verified_at_ms = 1 WHERE id = 'x'").run(), /CHECK/, 'nothing proved without a number')
})

t.test('the hub rewrites stored numbers when it starts, so the old spellings log in', async (t) => {
  const dataDir = t.testdir()
  const path = databaseBeforePhoneProofs(dataDir)
  const before = openDatabase(path, { migrations: BEFORE_PHONE_PROOFS })
  const hasher = createPasswordHasher({ random: seededRandom('stored-phones'), cost: TEST_SCRYPT_COST })
  before.prepare("UPDATE users SET password_hash = ? WHERE id = 'moussa'").run(await hasher.hash('moussa password 1'))
  before.close()
  const hub = await startHub(testConfig(dataDir, { httpPort: 0, httpHost: '127.0.0.1', mqttPort: 0, mqttHost: '127.0.0.1', logLevel: 'silent' }))
  t.teardown(() => hub.stop())
  t.same(hub.context.db!.prepare("SELECT phone FROM users WHERE id = 'moussa'").get(), { phone: '+221771234567' })
  for (const phone of ['77 123 45 67', '+221771234567', '00221771234567']) {
    const login = await fetch(`${hub.httpUrl}/api/auth/login`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ phone, password: 'moussa password 1' }),
    })
    t.equal(login.status, 200, phone)
    t.match(await login.json(), { user: { id: 'moussa', phone: '+221771234567', phoneVerified: false } })
  }
})

t.test('an account whose stored number is shared gives it again; proving it settles whose it is', async (t) => {
  const dataDir = t.testdir()
  const before = openDatabase(databaseBeforePhoneProofs(dataDir), { migrations: BEFORE_PHONE_PROOFS })
  const hasher = createPasswordHasher({ random: seededRandom('stored-phones'), cost: TEST_SCRYPT_COST })
  before.prepare("UPDATE users SET password_hash = ? WHERE id = 'awa-thrice'").run(await hasher.hash('awa password 1'))
  before.close()
  const hub = await testHub(t, { dataDir, config: { notify: MANUAL_NOTIFY } })
  await normalizeStoredPhones(hub.context.engine, 'SN', hub.context.log)
  const session = await login(hub.app, 'awa3@payall.example', 'awa password 1')
  t.equal(session.statusCode, 200, session.body)
  const awa = { userId: 'awa-thrice', email: 'awa3@payall.example', token: session.json().token }
  const init = await hub.app.inject({ method: 'POST', url: '/users/verify-phone-init', headers: { authorization: `Bearer ${awa.token}` } })
  t.equal(init.statusCode, 409, 'the number as stored cannot be proved')
  t.equal(errorOf(init).code, 'NO_PENDING_PHONE')
  t.match((await provePhone(hub, awa, '786365771')).json(), { id: 'awa-thrice', phone: '+221786365771', phoneVerified: true })
  t.same(hub.context.db!.prepare("SELECT id, phone FROM users WHERE id LIKE 'awa%' ORDER BY id").all(), [
    { id: 'awa', phone: '221786365771' }, { id: 'awa-again', phone: '00221786365771' }, { id: 'awa-thrice', phone: '+221786365771' },
  ], 'the others keep what they had, which no lookup finds')
  t.match((await normalizeStoredPhones(hub.context.engine, 'SN', hub.context.log)).collisions, [{ phone: '+221786365771', userIds: ['awa', 'awa-again', 'awa-thrice'] }],
    'and stay reported until an operator clears them')
})
