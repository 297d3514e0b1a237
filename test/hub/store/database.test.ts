import t from 'tap'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { openDatabase, schemaVersionOf, SCHEMA_VERSION } from '../../../hub/store/database'
import { MIGRATIONS, type Migration } from '../../../hub/store/migrations'
import { temporaryDirectory } from '../helpers/ledger'

t.test('opens a new file in WAL mode with synchronous=FULL, foreign keys and a busy timeout', async t => {
  const database = openDatabase(join(temporaryDirectory(t), 'hub.sqlite'), { busyTimeoutMs: 1234 })
  t.teardown(() => database.close())
  t.equal(database.pragma('journal_mode', { simple: true }), 'wal')
  t.equal(database.pragma('synchronous', { simple: true }), 2, 'FULL')
  t.equal(database.pragma('foreign_keys', { simple: true }), 1)
  t.equal(database.pragma('busy_timeout', { simple: true }), 1234)
})

t.test('migrates a new file to the latest schema version', async t => {
  const database = openDatabase(join(temporaryDirectory(t), 'hub.sqlite'))
  t.teardown(() => database.close())
  t.equal(SCHEMA_VERSION, MIGRATIONS[MIGRATIONS.length - 1]!.version)
  t.equal(schemaVersionOf(database), SCHEMA_VERSION)
  const tables = database.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").pluck().all() as string[]
  for (const ledgerTable of ['accounts', 'fee_schedules', 'postings', 'transfers', 'voucher_holds']) {
    t.ok(tables.includes(ledgerTable), `has the ${ledgerTable} table`)
  }
})

t.test('applies only the migrations a file lacks, each once, across reopenings', async t => {
  const path = join(temporaryDirectory(t), 'hub.sqlite')
  const first: Migration[] = [{ version: 1, name: 'one', sql: 'CREATE TABLE one (id INTEGER PRIMARY KEY)' }]
  openDatabase(path, { migrations: first }).close()
  const second: Migration[] = [...first, { version: 2, name: 'two', sql: 'CREATE TABLE two (id INTEGER PRIMARY KEY)' }]
  const database = openDatabase(path, { migrations: second })
  t.teardown(() => database.close())
  t.equal(schemaVersionOf(database), 2)
  t.same(database.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").pluck().all(), ['one', 'two'])
})

t.test('rolls a failing migration back whole and keeps the previous version', async t => {
  const path = join(temporaryDirectory(t), 'hub.sqlite')
  const migrations: Migration[] = [
    { version: 1, name: 'one', sql: 'CREATE TABLE one (id INTEGER PRIMARY KEY)' },
    { version: 2, name: 'broken', sql: 'CREATE TABLE two (id INTEGER PRIMARY KEY); INSERT INTO missing VALUES (1)' },
  ]
  t.throws(() => openDatabase(path, { migrations }), { code: 'MIGRATION_FAILED' })
  const database = new Database(path)
  t.teardown(() => database.close())
  t.equal(database.pragma('user_version', { simple: true }), 1)
  t.same(database.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").pluck().all(), ['one'])
})

t.test('refuses a file whose schema is newer than this build', async t => {
  const path = join(temporaryDirectory(t), 'hub.sqlite')
  openDatabase(path).close()
  const raw = new Database(path)
  raw.pragma(`user_version = ${SCHEMA_VERSION + 1}`)
  raw.close()
  t.throws(() => openDatabase(path), { code: 'SCHEMA_TOO_NEW' })
})

t.test('refuses a migration list that is not numbered 1, 2, 3, …', async t => {
  const path = join(temporaryDirectory(t), 'hub.sqlite')
  t.throws(() => openDatabase(path, { migrations: [{ version: 2, name: 'skips one', sql: 'SELECT 1' }] }),
    /assertion failed/)
})
