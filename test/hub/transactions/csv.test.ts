import t from 'tap'
import { csvField, csvRecord } from '../../../hub/transactions/csv'
import { CSV_EXPORT_ROWS_MAX } from '../../../hub/transactions/routes'
import { errorOf } from '../http/fixtures'
import { addGateway } from '../money/fixtures'
import { call, fundedWallet, restHub, signIn, type RestHub } from '../users/fixtures'

const EUI = '00000000000000C5'
const URL = `/transactions/gw-${EUI}/gateway.csv`

/** A strict RFC 4180 reader: CRLF between records, quoted fields with doubled quotes; anything else throws. */
function parseCsv(text: string): string[][] {
  const records: string[][] = []
  let record: string[] = []
  let at = 0
  while (at < text.length) {
    let field = ''
    if (text[at] === '"') {
      at++
      for (;;) {
        const quote = text.indexOf('"', at)
        if (quote < 0) throw new Error('an unterminated quoted field')
        field += text.slice(at, quote)
        at = quote + 1
        if (text[at] !== '"') break
        field += '"'
        at++
      }
    } else {
      const end = text.slice(at).search(/[,\r]/)
      field = text.slice(at, end < 0 ? text.length : at + end)
      if (/["\n]/.test(field)) throw new Error(`an unquoted field holds a quote or a line feed: ${JSON.stringify(field)}`)
      at += field.length
    }
    record.push(field)
    if (text[at] === ',') {
      at++
    } else if (text.startsWith('\r\n', at)) {
      records.push(record)
      record = []
      at += 2
    } else {
      throw new Error(`a field ends with ${JSON.stringify(text[at])}, not a comma or CRLF`)
    }
  }
  if (record.length > 0) throw new Error('the last record has no CRLF')
  return records
}

/** `count` payments of 100 XOF at the gateway, written straight to the ledger's table; `perInstant` share a time. */
function insertPayments(hub: RestHub, count: number, perInstant: number): void {
  hub.context.db.prepare(`
    WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
    INSERT INTO transfers (id, kind, currency, amount_minor, gateway_eui, voucher_id, content_sha256, created_at_ms)
    SELECT printf('%064x', i), 'offline_payment', 'XOF', 100, ?, 'v1', printf('%064x', i), CAST(? AS INTEGER) + (i - 1) / CAST(? AS INTEGER) FROM n`)
    .run(count, EUI, Date.UTC(2025, 0, 1), perInstant)
}

async function csvWorld(t: Parameters<typeof restHub>[0]) {
  const hub = await restHub(t)
  const shop = await fundedWallet(hub.app, hub.operator, hub.owner, 'XOF', '0')
  addGateway(hub, { eui: EUI, ownerUserId: hub.owner.userId, merchantAccountId: shop })
  // The gateway was added before the payments it took (insertPayments dates them from 2025-01-01).
  hub.context.db.prepare('UPDATE gateways SET created_at_ms = ? WHERE eui = ?').run(Date.UTC(2024, 0, 1), EUI)
  const rename = (name: string) => hub.context.db.prepare('UPDATE gateways SET name = ? WHERE eui = ?').run(name, EUI)
  return { hub, rename }
}

t.test('a field is quoted when it holds a comma, a quote or a line break, its quotes doubled', async t => {
  t.equal(csvField('Chez Awa, Dakar'), '"Chez Awa, Dakar"')
  t.equal(csvField('Le "Baobab"'), '"Le ""Baobab"""')
  t.equal(csvField('line 1\nline 2'), '"line 1\nline 2"')
  t.equal(csvField('line 1\r\nline 2'), '"line 1\r\nline 2"')
  t.equal(csvField('plain'), 'plain')
  t.equal(csvField(''), '')
  t.equal(csvField(null), '')
  t.equal(csvRecord(['a', 1, null, 'b,c']), 'a,1,,"b,c"\r\n')
})

t.test('text a spreadsheet would run as a formula gets a leading apostrophe; the hub’s own numbers stay numbers', async t => {
  t.equal(csvField('=1+1'), "'=1+1")
  t.equal(csvField('=HYPERLINK("http://evil.example","x")'), '"\'=HYPERLINK(""http://evil.example"",""x"")"')
  for (const text of ['+33 6 12', '-2+3', '@SUM(A1)', ' =1+1', '\t=1+1']) t.equal(csvField(text), `'${text}`, JSON.stringify(text))
  t.equal(csvField('\rcmd'), '"\'\rcmd"', 'a leading CR: neutralised, then quoted for its line break')
  t.equal(csvField('Dakar = home'), 'Dakar = home', 'only a leading one')
  t.equal(csvField(-5), '-5')
  t.equal(csvField(1200), '1200')
})

t.test('a gateway’s transactions export as a CSV file, oldest first; a name with a comma, a quote, a newline or a leading = survives', async t => {
  const { hub, rename } = await csvWorld(t)
  insertPayments(hub, 2, 1)
  for (const name of ['Chez Awa, Dakar', 'Le "Baobab"', 'Boutique\nAnnexe', '=HYPERLINK("http://evil.example","prize")']) {
    rename(name)
    const response = await call(hub.app, hub.owner, { method: 'GET', url: URL })
    t.equal(response.statusCode, 200, name)
    t.equal(response.headers['content-type'], 'text/csv; charset=utf-8')
    t.equal(response.headers['content-disposition'], `attachment; filename="payall-gw-${EUI}-transactions.csv"`)
    const records = parseCsv(response.body)
    t.same(records[0], ['transferId', 'createdAt', 'kind', 'currency', 'amountMinor', 'amount', 'voucherId', 'gatewayId', 'gatewayEui', 'gatewayName'])
    t.same(records.slice(1).map(record => record[0]), ['1', '2'].map(i => i.padStart(64, '0')), 'oldest first')
    t.same(records[1], ['1'.padStart(64, '0'), '2025-01-01T00:00:00.000Z', 'offline_payment', 'XOF', '100', '100', 'v1', `gw-${EUI}`, EUI,
      name.startsWith('=') ? `'${name}` : name], `the name reads back whole: ${JSON.stringify(name)}`)
  }
})

t.test('an export spans its window a page at a time, payments of one instant across pages included', async t => {
  const { hub } = await csvWorld(t)
  insertPayments(hub, 2_500, 7)
  const all = parseCsv((await call(hub.app, hub.operator, { method: 'GET', url: URL })).body).slice(1)
  t.equal(all.length, 2_500)
  t.equal(new Set(all.map(record => record[0])).size, 2_500, 'each payment once')
  const window = parseCsv((await call(hub.app, hub.operator, {
    method: 'GET', url: `${URL}?from=${new Date(Date.UTC(2025, 0, 1) + 10).toISOString()}&to=${new Date(Date.UTC(2025, 0, 1) + 12).toISOString()}`,
  })).body).slice(1)
  t.same(window.map(record => record[1]), Array(14).fill(null).map((_, i) => new Date(Date.UTC(2025, 0, 1) + 10 + Math.floor(i / 7)).toISOString()),
    'from included, to excluded')
})

t.test(`an export holds at most ${CSV_EXPORT_ROWS_MAX} rows: more is 400 EXPORT_TOO_LARGE before anything is sent`, async t => {
  const { hub } = await csvWorld(t)
  insertPayments(hub, CSV_EXPORT_ROWS_MAX + 1, 1_000)
  const response = await call(hub.app, hub.owner, { method: 'GET', url: URL })
  t.equal(response.statusCode, 400)
  t.equal(errorOf(response).code, 'EXPORT_TOO_LARGE')
  const narrower = await call(hub.app, hub.owner, { method: 'GET', url: `${URL}?to=${new Date(Date.UTC(2025, 0, 1) + 100).toISOString()}` })
  t.equal(parseCsv(narrower.body).length, 1 + 100 * 1_000, 'a narrower window is exported')
})

t.test('an export is for the gateway’s owner and operators only', async t => {
  const { hub } = await csvWorld(t)
  t.equal((await call(hub.app, await signIn(hub, 'owner'), { method: 'GET', url: URL })).statusCode, 403)
  t.equal((await call(hub.app, hub.customer, { method: 'GET', url: URL })).statusCode, 403)
  t.equal((await call(hub.app, undefined, { method: 'GET', url: URL })).statusCode, 401)
  t.equal((await call(hub.app, hub.owner, { method: 'GET', url: '/transactions/gw-none/gateway.csv' })).statusCode, 404)
  for (const query of ['from=yesterday', 'from=2025-02-01&to=2025-01-01', 'page=2']) {
    const response = await call(hub.app, hub.owner, { method: 'GET', url: `${URL}?${query}` })
    t.equal(response.statusCode, 400, query)
    t.equal(errorOf(response).code, 'BAD_REQUEST', query)
  }
})
