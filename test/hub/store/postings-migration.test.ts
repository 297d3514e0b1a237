import t from 'tap'
import { join } from 'node:path'
import { systemClock } from '../../../protocol/clock'
import { SqliteLedgerStore } from '../../../hub/ledger/sqlite-store'
import { verifyLedger } from '../../../hub/ledger/verify'
import { openDatabase, schemaVersionOf } from '../../../hub/store/database'
import { MIGRATIONS } from '../../../hub/store/migrations'
import { temporaryDirectory } from '../helpers/ledger'

const POSTINGS_MIGRATION = MIGRATIONS.findIndex(migration => migration.name.startsWith('postings keyed')) + 1

const idOf = (n: number) => n.toString(16).padStart(64, '0')

t.test('postings move to their transfer\'s integer key with every row, reference and guard kept', async t => {
  t.ok(POSTINGS_MIGRATION > 1, 'the migration is in the list')
  const path = join(temporaryDirectory(t), 'hub.sqlite')
  // A ledger written before the migration: two cash-ins, a payment, and a refund that refers to a transfer.
  const before = openDatabase(path, { migrations: MIGRATIONS.slice(0, POSTINGS_MIGRATION - 1) })
  before.exec(`
    INSERT INTO accounts (id, kind, currency, balance_minor, created_at_ms) VALUES ('external.XOF', 'external', 'XOF', -1500, 0);
    INSERT INTO accounts (id, user_id, kind, currency, balance_minor, created_at_ms) VALUES ('alice', 'u-alice', 'wallet', 'XOF', 800, 0);
    INSERT INTO accounts (id, user_id, kind, currency, balance_minor, created_at_ms) VALUES ('shop', 'u-shop', 'wallet', 'XOF', 700, 0);
    INSERT INTO transfers (id, kind, currency, amount_minor, content_sha256, created_at_ms) VALUES
      ('${idOf(3)}', 'cash_in', 'XOF', 1000, '${idOf(3)}', 1),
      ('${idOf(1)}', 'cash_in', 'XOF', 500, '${idOf(1)}', 2),
      ('${idOf(2)}', 'p2p', 'XOF', 700, '${idOf(2)}', 3);
    INSERT INTO postings (transfer_id, posting_index, account_id, amount_minor, role) VALUES
      ('${idOf(3)}', 0, 'external.XOF', -1000, 'payer'), ('${idOf(3)}', 1, 'alice', 1000, 'payee'),
      ('${idOf(1)}', 0, 'external.XOF', -500, 'payer'), ('${idOf(1)}', 1, 'alice', 500, 'payee'),
      ('${idOf(2)}', 0, 'alice', -700, 'payer'), ('${idOf(2)}', 1, 'shop', 700, 'payee');
    INSERT INTO refunds (refund_id, transfer_id, ledger_transfer_id, gateway_eui, amount_minor, currency, requested_at_ms, created_at_ms)
      VALUES ('${'ab'.repeat(16)}', '${idOf(9)}', '${idOf(2)}', '0000000000000001', 700, 'XOF', 3, 3);
  `)
  const oldPostings = before.prepare('SELECT transfer_id, posting_index, account_id, amount_minor, role FROM postings ORDER BY transfer_id, posting_index').all()
  const oldRowids = before.prepare('SELECT id, rowid FROM transfers ORDER BY rowid').all()
  const guards = (db: typeof before) => db.prepare(
    "SELECT name, tbl_name FROM sqlite_master WHERE type IN ('trigger', 'index') AND tbl_name IN ('transfers', 'postings') AND sql IS NOT NULL ORDER BY name").all()
  const oldGuards = guards(before)
  before.close()

  // Up to this migration: a later one changes how transfers are queued for anchoring.
  const database = openDatabase(path, { migrations: MIGRATIONS.slice(0, POSTINGS_MIGRATION) })
  t.teardown(() => database.close())
  t.equal(schemaVersionOf(database), POSTINGS_MIGRATION)
  t.same(database.prepare('SELECT id, seq AS rowid FROM transfers ORDER BY seq').all(), oldRowids, 'each transfer keeps its rowid as its key')
  t.same(database.prepare(`SELECT t.id AS transfer_id, p.posting_index, p.account_id, p.amount_minor, p.role
    FROM postings p JOIN transfers t ON t.seq = p.transfer_seq ORDER BY t.id, p.posting_index`).all(), oldPostings,
  'every posting belongs to the same transfer as before')
  t.same(guards(database), oldGuards, 'the same triggers and indexes guard both tables, the anchoring queue\'s among them')
  t.equal(database.pragma('foreign_keys', { simple: true }), 1, 'foreign keys are on again')
  t.same(database.pragma('foreign_key_check'), [], 'the refund still refers to its transfer')
  t.throws(() => database.prepare('UPDATE postings SET amount_minor = 1').run(), /LEDGER_IMMUTABLE/)
  t.throws(() => database.prepare('DELETE FROM transfers').run(), /LEDGER_IMMUTABLE/)
  t.throws(() => database.prepare(`INSERT INTO postings VALUES (999, 0, 'alice', 1, 'payee')`).run(), /FOREIGN KEY/,
    'a posting of no transfer is refused')

  const ledger = new SqliteLedgerStore(database, { clock: systemClock })
  t.equal((await ledger.transfer(idOf(2)))?.postings.length, 2, 'the store reads a transfer with its postings')
  t.same((await verifyLedger(ledger)).violations, [], 'the ledger verifies after the migration')
})

t.test('a row elsewhere that breaks a foreign key already does not stop the migration; a broken posting does, and changes nothing', async t => {
  const dir = temporaryDirectory(t)
  const beforeMigration = (name: string, sql: string) => {
    const path = join(dir, name)
    const database = openDatabase(path, { migrations: MIGRATIONS.slice(0, POSTINGS_MIGRATION - 1) })
    database.pragma('foreign_keys = OFF')
    database.exec(sql)
    database.close()
    return path
  }
  // A voucher of a user and wallet the file does not hold: not the ledger's tables, not this migration's to judge.
  const elsewhere = beforeMigration('elsewhere.sqlite', `INSERT INTO vouchers (voucher_id, device_id, user_id, wallet_account_id,
    device_public_key, currency, limit_minor, issued_at_ms, expires_at_ms, upload_deadline_at_ms, voucher)
    VALUES ('${'cd'.repeat(16)}', 'd', 'nobody', 'no-wallet', zeroblob(32), 'XOF', 100, 0, 1, 2, x'00')`)
  const migrated = openDatabase(elsewhere)
  t.equal(schemaVersionOf(migrated), MIGRATIONS.length, 'migrated')
  migrated.close()

  // A posting to an account that does not exist: the rebuilt postings would carry the break.
  const broken = beforeMigration('broken.sqlite', `
    INSERT INTO transfers (id, kind, currency, amount_minor, content_sha256, created_at_ms) VALUES ('${idOf(1)}', 'p2p', 'XOF', 5, '${idOf(1)}', 1);
    INSERT INTO postings (transfer_id, posting_index, account_id, amount_minor, role) VALUES ('${idOf(1)}', 0, 'ghost', -5, 'payer')`)
  t.throws(() => openDatabase(broken), { code: 'MIGRATION_FAILED', message: /rows of postings break a foreign key/ })
  const after = openDatabase(broken, { migrations: MIGRATIONS.slice(0, POSTINGS_MIGRATION - 1) })
  t.teardown(() => after.close())
  t.equal(schemaVersionOf(after), POSTINGS_MIGRATION - 1, 'the file keeps its version')
  t.equal(after.prepare('SELECT transfer_id FROM postings').pluck().get(), idOf(1), 'and its postings as they were')
  t.equal(after.pragma('foreign_keys', { simple: true }), 1)
})
