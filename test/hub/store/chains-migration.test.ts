import t from 'tap'
import { join } from 'node:path'
import { openDatabase, schemaVersionOf } from '../../../hub/store/database'
import { MIGRATIONS } from '../../../hub/store/migrations'
import { temporaryDirectory } from '../helpers/ledger'

const CHAINS_MIGRATION = MIGRATIONS.findIndex(migration => migration.name.startsWith('record chains numbered')) + 1
const LIVE = '00000000000000A1'
const RETIRED = '00000000000000B2'

t.test('records, chain positions, gaps and forks become chain 1 with every row kept; a retired EUI is free again', async t => {
  t.ok(CHAINS_MIGRATION > 1, 'the migration is in the list')
  const path = join(temporaryDirectory(t), 'hub.sqlite')
  const before = openDatabase(path, { migrations: MIGRATIONS.slice(0, CHAINS_MIGRATION - 1) })
  before.exec(`
    INSERT INTO gateways (id, eui, name, type, status, public_key, created_at_ms, provisioned_at_ms, retired_at_ms) VALUES
      ('g-live', '${LIVE}', 'Live', 'pos', 'available', NULL, 1, NULL, NULL),
      ('g-old', '${RETIRED}', 'Old', 'pos', 'retired', zeroblob(32), 1, 2, 50);
    INSERT INTO gateway_presence (eui, online, last_seen_at_ms) VALUES ('${RETIRED}', 0, 40);
    INSERT INTO gateway_records (eui, gateway_seq, record_hash, transfer_id, voucher_id, voucher_seq, cumulative_minor, amount_minor,
      currency, mode, time_ms, record, outcome, reason, received_at_ms) VALUES
      ('${RETIRED}', 1, zeroblob(32), '${'a'.repeat(64)}', '${'c'.repeat(32)}', 1, 100, 100, 'XOF', 0, 0, x'01', 'settled', 0, 10),
      ('${RETIRED}', 3, zeroblob(32), '${'b'.repeat(64)}', '${'c'.repeat(32)}', 3, 300, 200, 'XOF', 0, 0, x'03', 'settled', 0, 11);
    INSERT INTO gateway_chains (eui, contiguous_seq, contiguous_hash, highest_seq, head, updated_at_ms)
      VALUES ('${RETIRED}', 1, zeroblob(32), 3, x'ff', 11);
    INSERT INTO chain_gaps (eui, from_seq, to_seq, detected_at_ms) VALUES ('${RETIRED}', 2, 2, 11);
    INSERT INTO chain_forks (eui, gateway_seq, known_hash, other_record, detected_at_ms) VALUES ('${RETIRED}', 1, zeroblob(32), x'09', 12);
  `)
  const records = before.prepare('SELECT rowid AS id, * FROM gateway_records ORDER BY eui, gateway_seq').all() as Array<Record<string, unknown>>
  before.close()

  const database = openDatabase(path)
  t.teardown(() => database.close())
  t.equal(schemaVersionOf(database), MIGRATIONS.length)
  t.same(database.prepare('SELECT * FROM gateway_records ORDER BY eui, gateway_seq').all(),
    records.map(row => ({ id: row.id, eui: row.eui, chain: 1, ...row })), 'every record kept, on chain 1, with its rowid')
  t.same(database.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'gateway_records' AND sql IS NOT NULL").all(),
    [{ name: 'gateway_records_by_voucher' }], 'no index by transfer id: found under its voucher')
  t.match(database.prepare('SELECT * FROM gateway_chains').all(), [{
    eui: RETIRED, chain: 1, gateway_id: 'g-old', state: 'closing', contiguous_seq: 1, highest_seq: 3, updated_at_ms: 11, closing_at_ms: 50,
    closed_at_ms: null,
  }], "a retired gateway's chain with a gap is closing; a gateway never provisioned has none")
  t.same(database.prepare('SELECT eui, chain, from_seq, to_seq, written_off FROM chain_gaps').all(),
    [{ eui: RETIRED, chain: 1, from_seq: 2, to_seq: 2, written_off: 0 }])
  t.same(database.prepare('SELECT eui, chain, gateway_seq FROM chain_forks').all(), [{ eui: RETIRED, chain: 1, gateway_seq: 1 }])
  t.same(database.prepare('SELECT eui, online, last_seen_at_ms FROM gateway_presence').all(), [{ eui: RETIRED, online: 0, last_seen_at_ms: 40 }])
  t.same(database.pragma('foreign_key_check'), [])
  t.throws(() => database.prepare(`INSERT INTO gateway_records (eui, chain, gateway_seq, record_hash, transfer_id, voucher_id,
    voucher_seq, cumulative_minor, amount_minor, currency, mode, time_ms, record, outcome, reason, received_at_ms)
    SELECT eui, chain, gateway_seq, record_hash, transfer_id, voucher_id, voucher_seq, cumulative_minor, amount_minor, currency,
      mode, time_ms, record, outcome, reason, received_at_ms FROM gateway_records LIMIT 1`).run(), /UNIQUE/,
  'one record per place in a chain')

  const insert = database.prepare(`INSERT INTO gateways (id, eui, name, type, status, created_at_ms) VALUES (?, ?, 'New', 'pos', 'available', 60)`)
  insert.run('g-new', RETIRED)
  t.throws(() => insert.run('g-twin', LIVE), /UNIQUE/, 'two gateways in use never share an EUI')
})
