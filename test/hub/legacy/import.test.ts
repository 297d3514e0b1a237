// `payall-hub import` end to end: dumps made in the legacy layouts imported into a fresh hub's data folder, then the
// hub started on it: legacy passwords log in through the REST API, balances match to the minor unit, the ledger
// verifies, a device without a key gets its key; a second import changes nothing; a dry run writes nothing.

import t from 'tap'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import nacl from 'tweetnacl'
import { main } from '../../../hub/cli'
import { capturedIo, type CapturedIo } from '../helpers/cli-io'
import { csvExport, mysqlDump, pgDump } from './dump-writers'
import { legacyData, MOBILE_PASSWORD, WEB_PASSWORD } from './legacy-data'

const PEOPLE = 1500
const QUIET = { PAYALL_LOG_LEVEL: 'silent', PAYALL_HTTP_HOST: '127.0.0.1', PAYALL_HTTP_PORT: '0', PAYALL_MQTT_HOST: '127.0.0.1', PAYALL_MQTT_PORT: '0', PAYALL_PHONE_REGION: 'SN' }
const data = legacyData(PEOPLE)

function dumpFiles(dir: string): { web: string; mobile: string } {
  const web = join(dir, 'web.sql')
  const mobile = join(dir, 'mobile.sql')
  writeFileSync(web, pgDump(data.web))
  writeFileSync(mobile, mysqlDump(data.mobile))
  return { web, mobile }
}

async function runImport(args: readonly string[]): Promise<{ code: number; io: CapturedIo; report: any }> {
  const io = capturedIo()
  const code = await main(['import', ...args], QUIET, io)
  return { code, io, report: args.includes('--json') && code === 0 ? JSON.parse(io.out) : undefined }
}

async function api(base: string, method: string, path: string, body?: unknown, token?: string): Promise<{ status: number; body: any }> {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...(token === undefined ? {} : { authorization: `Bearer ${token}` }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  })
  const text = await response.text()
  return { status: response.status, body: text === '' ? null : JSON.parse(text) }
}

const refusalsOf = (report: any): string[] => report.refusals.map((refusal: any) => `${refusal.system} ${refusal.table} ${refusal.key} ${refusal.reason}`)

t.test('the legacy dumps imported into a fresh hub: logins, balances, devices, gateways, orders, and a second import changes nothing', async (t) => {
  const dir = t.testdir()
  const dataDir = join(dir, 'data')
  const files = dumpFiles(dir)
  const first = await runImport(['--web-dump', files.web, '--mobile-dump', files.mobile, '--currency', 'EUR', '--data-dir', dataDir, '--json'])
  t.equal(first.code, 0, first.io.err)
  const report = first.report
  t.same(refusalsOf(report).sort(), [...data.expected.refusals].sort(), 'every awkward row refused with its table, key and reason, and only those')
  t.equal(report.balances.openedMinor, data.expected.openedMinor, 'the opening balances sum to the legacy balances, to the cent')
  t.equal(report.balances.opened, (data.expected.openedMinor / 100).toFixed(2))
  t.ok(report.ledgerVerified)
  t.ok(report.changed)
  t.same(report.rowsSkipped, { 'web.transactions': 1 })
  t.match(report.people.find((person: any) => person.web === '11'), { mobile: '11', joinedBy: 'email', userId: /^[0-9a-f-]{36}$/ }, 'each join reported')
  t.match(report.people.find((person: any) => person.web === '13'), { mobile: '13', joinedBy: 'phone' })
  t.ok(report.joins.id_user_ext > 1000 && report.joins.email > 50 && report.joins.phone > 30, JSON.stringify(report.joins))
  t.equal(report.joins.webOnly, PEOPLE - report.joins.id_user_ext - report.joins.email - report.joins.phone - 1, 'every web user imported is joined or web-only (51 is refused)')
  t.match(report.entities, {
    gateways: { imported: 3, refused: 4 }, ownerships: { imported: 3, refused: 1 }, orders: { imported: 3, refused: 3 },
  })

  const db = new Database(join(dataDir, 'hub.sqlite'), { readonly: true })
  t.teardown(() => db.close())
  const user = db.prepare(`SELECT users.*, user_profiles.* FROM users JOIN user_profiles ON user_profiles.user_id = users.id WHERE email = ?`)
  t.equal((user.get('user8@example.com') as any).full_name, "Aïssatou N'Diaye", 'a name with a quote and accents kept')
  t.equal((user.get('user11@example.com') as any).full_name, '李小龙', 'non-Latin text kept')
  t.equal((user.get('user13@example.com') as any).full_name, 'Line break', 'a name is one printable line: a line break becomes a space')
  t.ok(report.notes.some((note: any) => note.key === '13' && note.note === 'TEXT_CLEANED'), 'and the change is noted')
  const backslash = user.get('user9@example.com') as any
  t.equal(backslash.full_name, 'Back\\slash \\N Name', 'backslashes and a \\N inside text are text, not NULL')
  t.equal(backslash.address, 'Médina\\Dakar "centre"')
  t.equal(backslash.sex, 'M')
  t.equal(backslash.surname, null, 'a NULL surname stays NULL')
  t.equal((user.get('user3@example.com') as any).metadata, '{"lang":"fr","note":"l\'été"}', 'metadata kept as it was')
  t.equal((user.get('user3@example.com') as any).email, 'user3@example.com', 'emails stored in lower case')
  const gateways = db.prepare('SELECT eui, name, price_minor, price_currency, status, owner_user_id FROM gateways ORDER BY eui').all() as any[]
  t.same(gateways.map(gateway => [gateway.eui, gateway.name, gateway.price_minor, gateway.status]), [
    ['00112233445566AA', 'Kiosk ñ', 9999999999, 'assigned'],
    ['A1B2C3D4E5F60718', 'Counter one', 15000000, 'assigned'],
    ['A1B2C3D4E5F60719', 'Counter "two"', 10, 'assigned'],
  ])
  const orders = db.prepare('SELECT status, total_minor, shipping_address, (SELECT count(*) FROM order_items WHERE order_id = orders.id) AS items FROM orders ORDER BY created_at_ms').all() as any[]
  t.same(orders.map(order => [order.status, order.total_minor, order.items]), [['validated', 15000010, 2], ['pending', 9999999999, 1], ['validated', 15000000, 1]])
  t.equal(orders[1].shipping_address, "Villa 'Les Palmiers' Thiès")
  const keyless = db.prepare('SELECT count(*) AS count FROM devices WHERE public_key IS NULL').get() as any
  t.ok(keyless.count > 1000, 'legacy devices come without a key')

  t.test('the hub on the imported data', async (t) => {
    const io = capturedIo(async out => {
      const base = /HTTP API +(\S+)/.exec(out)![1]!
      const operatorPassword = /password: (\S+)/.exec(out)![1]!
      const web = await api(base, 'POST', '/users/login', { email: data.expected.webOnlyEmail, password: WEB_PASSWORD })
      t.equal(web.status, 200, 'a web user logs in with the legacy $2a$/$2b$ password')
      const wrong = await api(base, 'POST', '/users/login', { email: data.expected.webOnlyEmail, password: MOBILE_PASSWORD })
      t.equal(wrong.status, 401)
      const joined = await api(base, 'POST', '/users/login', { email: data.expected.joinedEmail, password: data.expected.joinedPassword })
      t.equal(joined.status, 200, 'a joined person logs in with the password of the record changed last')
      const older = await api(base, 'POST', '/users/login', { email: data.expected.joinedEmail, password: WEB_PASSWORD })
      t.equal(older.status, 401, 'the other legacy password is forgotten at the first login')
      const other = await api(base, 'POST', '/users/login', { email: 'user5@example.com', password: WEB_PASSWORD })
      t.equal(other.status, 200, 'a joined person logs in with the password of either legacy backend, at first')
      const stillOther = await api(base, 'POST', '/users/login', { email: 'user5@example.com', password: WEB_PASSWORD })
      t.equal(stillOther.status, 200, 'the password they used keeps working, now as a scrypt hash')
      t.equal((await api(base, 'POST', '/users/login', { email: 'user5@example.com', password: MOBILE_PASSWORD })).status, 401,
        'and only that one')

      const mobile = await api(base, 'POST', '/api/auth/login', { phone: data.expected.mobileOnlyPhone, password: MOBILE_PASSWORD })
      t.equal(mobile.status, 200, 'a mobile user logs in by phone with the Laravel $2y$ password')
      const token = mobile.body.token
      const accounts = await api(base, 'GET', '/accounts', undefined, token)
      t.equal(accounts.body.accounts[0].balanceMinor,
        data.expected.balanceByPhone.get(data.expected.mobileOnlyPhone), 'the balance matches to the cent')

      // User 6 proved the phone in the web backend, so may move money; the legacy app's device has no key yet.
      const six = await api(base, 'POST', '/users/login', { email: 'user6@example.com', password: MOBILE_PASSWORD })
      t.equal(six.status, 200)
      const sixToken = six.body.token
      const ask = { imei: '350000000000006', amount: '1.00', currency: 'EUR' }
      const refused = await api(base, 'POST', '/api/auth/device/voucher', ask, sixToken)
      t.equal(refused.status, 409)
      t.equal(refused.body.error.code, 'DEVICE_HAS_NO_KEY', 'no voucher for a device without a key')
      const listed = await api(base, 'GET', '/api/auth/device/user', undefined, sixToken)
      const legacyDevice = listed.body.devices.find((device: any) => device.imei === ask.imei)
      t.match(legacyDevice, { publicKey: null, model: 'Galaxy A12', brand: 'Samsung' })
      const keys = nacl.sign.keyPair.fromSeed(new Uint8Array(32).fill(6))
      const bound = await api(base, 'POST', '/api/auth/device/binding', { imei: ask.imei, publicKey: Buffer.from(keys.publicKey).toString('base64') }, sixToken)
      t.equal(bound.status, 201, JSON.stringify(bound.body))
      t.equal(bound.body.id, legacyDevice.id, 'the app binding its key under the same IMEI keeps the imported device')
      t.equal(bound.body.model, 'Galaxy A12')
      const issued = await api(base, 'POST', '/api/auth/device/voucher', ask, sixToken)
      t.equal(issued.status, 201, JSON.stringify(issued.body))
      const operator = await api(base, 'POST', '/users/login', { email: 'operator@payall.local', password: operatorPassword })
      const verify = await api(base, 'GET', '/ledger/verify', undefined, operator.body.token)
      t.equal(verify.status, 200)
      t.equal(verify.body.ok, true, 'GET /ledger/verify passes after the import')
    })
    t.equal(await main(['--data-dir', dataDir], QUIET, io), 0, io.err)
    t.match(db.prepare(`SELECT password_hash, legacy_password_hash FROM users JOIN user_profiles ON user_id = id WHERE email = 'user5@example.com'`).get(),
      { password_hash: /^\$scrypt\$/, legacy_password_hash: null }, 'rehashed with scrypt at the first login, the other legacy hash forgotten')
    t.match(db.prepare(`SELECT password_hash FROM users WHERE email = ?`).get(data.expected.webOnlyEmail), { password_hash: /^\$scrypt\$/ })
  })

  t.test('importing the same files again changes nothing and says so', async (t) => {
    const before = db.prepare('SELECT (SELECT count(*) FROM users) AS users, (SELECT count(*) FROM transfers) AS transfers, (SELECT count(*) FROM devices) AS devices').get()
    const again = await runImport(['--web-dump', files.web, '--mobile-dump', files.mobile, '--currency', 'EUR', '--data-dir', dataDir, '--json'])
    t.equal(again.code, 0, again.io.err)
    t.equal(again.report.changed, false)
    for (const entity of ['users', 'gateways', 'ownerships', 'orders', 'devices', 'accounts']) t.equal(again.report.entities[entity].imported, 0, entity)
    t.equal(again.report.balances.openedMinor, 0)
    t.same(db.prepare('SELECT (SELECT count(*) FROM users) AS users, (SELECT count(*) FROM transfers) AS transfers, (SELECT count(*) FROM devices) AS devices').get(), before)
    const text = await runImport(['--web-dump', files.web, '--mobile-dump', files.mobile, '--currency', 'EUR', '--data-dir', dataDir])
    t.match(text.io.out, /Nothing changed: everything in these files was imported before, or refused\./)
  })
})

t.test('a dry run reports what would happen and writes nothing; CSV exports import as the dumps do', async (t) => {
  const dir = t.testdir()
  const files = dumpFiles(dir)
  const dry = await runImport(['--web-dump', files.web, '--mobile-dump', files.mobile, '--currency', 'EUR', '--data-dir', join(dir, 'dry'), '--dry-run', '--json'])
  t.equal(dry.code, 0, dry.io.err)
  t.ok(dry.report.dryRun)
  t.equal(dry.report.balances.openedMinor, data.expected.openedMinor)
  const db = new Database(join(dir, 'dry', 'hub.sqlite'), { readonly: true })
  t.same(db.prepare('SELECT (SELECT count(*) FROM users) AS users, (SELECT count(*) FROM transfers) AS transfers').get(), { users: 0, transfers: 0 })
  db.close()

  for (const [system, tables] of [['web', data.web], ['mobile', data.mobile]] as const) {
    mkdirSync(join(dir, 'csv', system), { recursive: true })
    for (const table of tables) writeFileSync(join(dir, 'csv', system, `${table.name}.csv`), csvExport(table))
  }
  const csv = await runImport(['--csv-dir', join(dir, 'csv'), '--currency', 'EUR', '--data-dir', join(dir, 'csv-data'), '--json'])
  t.equal(csv.code, 0, csv.io.err)
  t.same(csv.report.entities, dry.report.entities, 'the same rows, the same outcome')
  t.equal(csv.report.balances.openedMinor, data.expected.openedMinor)
})
