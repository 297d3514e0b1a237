// `payall-hub import` refusing what it cannot import: bad arguments (exit 2), a dump cut short or not in the legacy
// layout (exit 1, nothing written), and amounts the currency cannot hold exactly (the row refused, never rounded).

import t from 'tap'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { main } from '../../../hub/cli'
import { capturedIo, type CapturedIo } from '../helpers/cli-io'
import { mysqlDump, pgDump, type Table } from './dump-writers'
import { legacyData } from './legacy-data'



async function runImport(args: readonly string[]): Promise<CapturedIo & { code: number }> {
  const io = capturedIo()
  const code = await main(['import', ...args], { PAYALL_PHONE_REGION: 'SN' }, io)
  return Object.assign(io, { code })
}

const counts = (dataDir: string) => {
  const db = new Database(join(dataDir, 'hub.sqlite'), { readonly: true })
  try {
    return db.prepare('SELECT (SELECT count(*) FROM users) AS users, (SELECT count(*) FROM transfers) AS transfers, (SELECT count(*) FROM gateways) AS gateways').get()
  } finally {
    db.close()
  }
}

t.test('bad arguments exit 2 with what is wrong, before anything is opened', async (t) => {
  const dir = t.testdir({ 'web.sql': '' })
  const web = join(dir, 'web.sql')
  const cases: [string[], RegExp][] = [
    [['--web-dump', web], /--currency is required: the legacy tables name no currency/],
    [['--web-dump', web, '--currency', 'ZZZ'], /--currency: ZZZ is not an ISO 4217 currency code/],
    [['--currency', 'EUR'], /name what to import: --web-dump, --mobile-dump or --csv-dir/],
    [['--web-dump', web, '--currency', 'EUR', '--bogus'], /Unknown option '--bogus'/],
  ]
  for (const [args, message] of cases) {
    const run = await runImport([...args, '--data-dir', join(dir, 'data')])
    t.equal(run.code, 2, args.join(' '))
    t.match(run.err, message)
  }
  const help = await runImport(['--help'])
  t.equal(help.code, 0)
  t.match(help.out, /Usage: payall-hub import --currency CODE/)
  const missing = await runImport(['--web-dump', join(dir, 'nowhere.sql'), '--currency', 'EUR', '--data-dir', join(dir, 'data')])
  t.equal(missing.code, 1)
  t.match(missing.err, /NO_FILE: .*nowhere\.sql is not a file; nothing was imported/)
})

t.test('a dump cut short, or not in the legacy layout, imports nothing at all', async (t) => {
  const dir = t.testdir()
  const data = legacyData(60)
  const whole = pgDump(data.web)
  // Cut inside the gateways' COPY block (the second table): the users before it were read already.
  const cut = whole.slice(0, whole.indexOf('Counter one') + 4)
  writeFileSync(join(dir, 'cut.sql'), cut)
  writeFileSync(join(dir, 'mobile.sql'), mysqlDump(data.mobile))
  const run = await runImport(['--web-dump', join(dir, 'cut.sql'), '--mobile-dump', join(dir, 'mobile.sql'), '--currency', 'EUR', '--data-dir', join(dir, 'data')])
  t.equal(run.code, 1)
  t.match(run.err, /^payall-hub import: COLUMN_COUNT: line \d+: a COPY row of 2 values for 6 columns \(in .*cut\.sql\); nothing was imported\n$/)
  t.same(counts(join(dir, 'data')), { users: 0, transfers: 0, gateways: 0 })

  const noPassword: Table = { ...data.web[0]!, columns: data.web[0]!.columns.filter(column => column.name !== 'password'), rows: [] }
  writeFileSync(join(dir, 'odd.sql'), pgDump([noPassword]))
  const odd = await runImport(['--web-dump', join(dir, 'odd.sql'), '--currency', 'EUR', '--data-dir', join(dir, 'data')])
  t.equal(odd.code, 0, 'a table with no rows says nothing of its layout')
  const oddRows: Table = { ...noPassword, rows: [data.web[0]!.rows[0]!.filter((_, index) => data.web[0]!.columns[index]!.name !== 'password')] }
  writeFileSync(join(dir, 'odd.sql'), pgDump([oddRows]))
  const refused = await runImport(['--web-dump', join(dir, 'odd.sql'), '--currency', 'EUR', '--data-dir', join(dir, 'data')])
  t.equal(refused.code, 1)
  t.match(refused.err, /NOT_LEGACY_LAYOUT: the web table users has no column password/)
  t.same(counts(join(dir, 'data')), { users: 0, transfers: 0, gateways: 0 })
})

t.test('in XOF, 100.00 is 100 francs and 0.10 is refused with its row, never rounded', async (t) => {
  const dir = t.testdir()
  const data = legacyData(60)
  writeFileSync(join(dir, 'web.sql'), pgDump(data.web))
  writeFileSync(join(dir, 'mobile.sql'), mysqlDump(data.mobile))
  const run = await runImport(['--web-dump', join(dir, 'web.sql'), '--mobile-dump', join(dir, 'mobile.sql'), '--currency', 'XOF', '--data-dir', join(dir, 'data'), '--json'])
  t.equal(run.code, 0, run.err)
  const report = JSON.parse(run.out)
  const byKey = new Map<string, any>(report.refusals.map((refusal: any) => [`${refusal.system} ${refusal.table} ${refusal.key}`, refusal]))
  // Account balances cycle through 0.10, 99999999.99, 1500.00, 0, 0.00, 12.5, 250000.75, 3 by id.
  t.match(byKey.get('mobile account 8'), { reason: 'BAD_AMOUNT', detail: /0\.10 has more decimal places than XOF holds \(0\): it would have to be rounded/ })
  t.match(byKey.get('mobile account 9'), { reason: 'BAD_AMOUNT', detail: /99999999\.99/ })
  t.notOk(byKey.has('mobile account 10'), '1500.00 francs import')
  t.match(byKey.get('mobile account 13'), { reason: 'BAD_AMOUNT' }, '12.5 francs cannot be held')
  t.match(byKey.get('web gateways 2'), { reason: 'BAD_AMOUNT', detail: /price: 0\.10/ })
  const db = new Database(join(dir, 'data', 'hub.sqlite'), { readonly: true })
  t.teardown(() => db.close())
  const wallet = db.prepare(`SELECT balance_minor FROM accounts WHERE id = (SELECT payall_id FROM legacy_rows WHERE system = 'mobile' AND legacy_table = 'account' AND legacy_key = '10')`).get() as any
  t.equal(wallet.balance_minor, 1500)
})

t.test('on a terminal, a progress bar on stderr while reading and writing, cleared before the report', async (t) => {
  const dir = t.testdir()
  const data = legacyData(60)
  writeFileSync(join(dir, 'web.sql'), pgDump(data.web))
  const io = capturedIo()
  const tty = { write: (text: string) => (io.err += text), isTTY: true }
  const code = await main(['import', '--web-dump', join(dir, 'web.sql'), '--currency', 'EUR', '--data-dir', join(dir, 'data')],
    { PAYALL_PHONE_REGION: 'SN' }, { ...io, stderr: tty })
  t.equal(code, 0)
  t.match(io.err, /\r\x1b\[K\[#{24}\] 100% reading web\.sql: \d+ rows/, 'the reading bar reaches 100% of the file')
  t.ok(io.err.endsWith('\r\x1b[K'), 'the line is cleared before the report')
  t.match(io.out, /^Imported:/)
})

t.test('not while a hub runs on the data folder: the import waits for it to stop', async (t) => {
  const dir = t.testdir()
  writeFileSync(join(dir, 'web.sql'), pgDump(legacyData(10).web))
  let during: (CapturedIo & { code: number }) | undefined
  const hubIo = capturedIo(async () => {
    during = await runImport(['--web-dump', join(dir, 'web.sql'), '--currency', 'EUR', '--data-dir', join(dir, 'data')])
  })
  const quiet = { PAYALL_LOG_LEVEL: 'silent', PAYALL_HTTP_HOST: '127.0.0.1', PAYALL_HTTP_PORT: '0', PAYALL_MQTT_HOST: '127.0.0.1', PAYALL_MQTT_PORT: '0' }
  t.equal(await main(['--data-dir', join(dir, 'data')], quiet, hubIo), 0)
  t.equal(during!.code, 1)
  t.match(during!.err, /^payall-hub import: DATA_DIR_IN_USE: .* is in use by process \d+; .*nothing was imported\n$/)
  t.same(counts(join(dir, 'data')), { users: 1, transfers: 0, gateways: 0 }, 'only the operator the hub made')
})
