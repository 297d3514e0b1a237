import t from 'tap'
import { readCsvTable } from '../../../hub/legacy/csv-reader'
import { readSqlDump } from '../../../hub/legacy/dump-reader'
import { DumpError, type DumpErrorCode } from '../../../hub/legacy/errors'
import type { SqlDialect } from '../../../hub/legacy/sql-lexer'
import { piecesOf, readAll } from './dump-writers'

const BAD_SQL: readonly { name: string, dialect: SqlDialect, dump: string | Uint8Array, code: DumpErrorCode, line: number, rows: number }[] = [
  { name: 'an unterminated string', dialect: 'mysql', dump: "INSERT INTO `t` (`a`) VALUES ('ok');\nINSERT INTO `t` (`a`) VALUES\n('never closed);\n", code: 'UNTERMINATED', line: 3, rows: 1 },
  { name: 'an unterminated E string', dialect: 'postgresql', dump: "INSERT INTO t (a) VALUES (E'ends in an escaped quote\\');\n", code: 'UNTERMINATED', line: 1, rows: 0 },
  { name: 'an unterminated comment', dialect: 'postgresql', dump: 'SET x = 1;\n/* never\nclosed\n', code: 'UNTERMINATED', line: 2, rows: 0 },
  { name: 'a COPY block with no end line', dialect: 'postgresql', dump: 'SET x = 1;\nCOPY public.t (a) FROM stdin;\n1\n2\n', code: 'UNTERMINATED', line: 2, rows: 2 },
  { name: 'a statement cut short', dialect: 'mysql', dump: "INSERT INTO `t` (`a`) VALUES ('1'),\n('2'", code: 'UNTERMINATED', line: 2, rows: 1 },
  { name: 'an INSERT row with one value too many', dialect: 'postgresql', dump: "INSERT INTO t (a, b) VALUES\n(1, 'x'),\n(2, 'y', 3);\n", code: 'COLUMN_COUNT', line: 3, rows: 1 },
  { name: 'an INSERT row with one value too few', dialect: 'mysql', dump: 'CREATE TABLE `t` (`a` int, `b` int);\nINSERT INTO `t` VALUES (1,2),(3);\n', code: 'COLUMN_COUNT', line: 2, rows: 1 },
  { name: 'a COPY row with one field too few', dialect: 'postgresql', dump: 'COPY t (a, b) FROM stdin;\n1\t2\n3\n\\.\n', code: 'COLUMN_COUNT', line: 3, rows: 1 },
  { name: 'an INSERT with no known columns', dialect: 'mysql', dump: '-- no CREATE TABLE\n\nINSERT INTO `t` VALUES (1,2);\n', code: 'UNKNOWN_COLUMNS', line: 3, rows: 0 },
  { name: 'a COPY with no known columns', dialect: 'postgresql', dump: 'COPY t FROM stdin;\n1\n\\.\n', code: 'UNKNOWN_COLUMNS', line: 1, rows: 0 },
  { name: 'bytes that are not UTF-8', dialect: 'postgresql', dump: Buffer.concat([Buffer.from("INSERT INTO t (a) VALUES ('ok');\n\nINSERT INTO t (a) VALUES ('"), Buffer.from([0xc3, 0x28]), Buffer.from("');\n")]), code: 'BAD_UTF8', line: 3, rows: 1 },
  { name: 'a character cut short by the end', dialect: 'mysql', dump: Buffer.concat([Buffer.from('-- x\n'), Buffer.from([0xe2, 0x82])]), code: 'BAD_UTF8', line: 2, rows: 0 },
  { name: 'COPY escapes that spell bytes that are not UTF-8', dialect: 'postgresql', dump: 'COPY t (a) FROM stdin;\nok\n\\303\\050\n\\.\n', code: 'BAD_UTF8', line: 3, rows: 1 },
  { name: 'a hex literal that is not UTF-8', dialect: 'mysql', dump: 'INSERT INTO `t` (`a`) VALUES (0xFF);\n', code: 'BAD_UTF8', line: 1, rows: 0 },
  { name: 'a value that is no literal', dialect: 'mysql', dump: 'INSERT INTO `t` (`a`) VALUES (1),\n(NOW());\n', code: 'BAD_SYNTAX', line: 2, rows: 1 },
  { name: 'a COPY field ending in a lone backslash', dialect: 'postgresql', dump: 'COPY t (a) FROM stdin;\nab\\\n\\.\n', code: 'BAD_SYNTAX', line: 2, rows: 0 },
]

for (const bad of BAD_SQL) {
  t.test(`refuses ${bad.name} (${bad.dialect}) with ${bad.code} on line ${bad.line}, after the rows before it`, async t => {
    for (const sizes of [[1 << 16], [1], [2, 3]]) {
      const rows: unknown[] = []
      const error = await readAll({ async *[Symbol.asyncIterator]() { for await (const row of readSqlDump(piecesOf(bad.dump, sizes), bad.dialect)) yield rows.push(row) } } as never)
        .then(() => undefined, (thrown: unknown) => thrown)
      t.ok(error instanceof DumpError, `a DumpError in pieces of ${sizes.join(', ')}`)
      t.match(error, { code: bad.code, line: bad.line })
      t.equal(rows.length, bad.rows, 'the rows before the fault came out')
    }
  })
}

t.test('refuses a value longer than the bound with TOO_LONG', async t => {
  const dump = `INSERT INTO t (a) VALUES\n('${'x'.repeat(100)}');\n`
  await t.rejects(readAll(readSqlDump(piecesOf(dump, [7]), 'postgresql', { valueChars_max: 50 })), { code: 'TOO_LONG', line: 2 })
  t.equal((await readAll(readSqlDump(piecesOf(dump, [7]), 'postgresql', { valueChars_max: 200 }))).length, 1)
})

t.test('refuses a stream that hands out strings, whose bytes are lost', async t => {
  const stream = piecesOf('COPY t (a) FROM stdin;\n\\.\n')
  stream.setEncoding('utf8')
  await t.rejects(readAll(readSqlDump(stream, 'postgresql')), TypeError)
})

// csv-parse holds a record back until it has seen what follows it, so a UTF-8 fault just after a record keeps that record in.
const BAD_CSV: readonly { name: string, csv: string | Uint8Array, code: DumpErrorCode, line: number, rows?: number }[] = [
  { name: 'a record with a field too few', csv: 'id,name\n1,a\n2\n', code: 'COLUMN_COUNT', line: 3 },
  { name: 'a record with a field too many', csv: 'id,name\n"1\n",a\n2,b,c\n', code: 'COLUMN_COUNT', line: 4 },
  { name: 'an unterminated quoted field', csv: 'id,name\n1,a\n2,"never\nclosed\n', code: 'UNTERMINATED', line: 3 },
  { name: 'bytes that are not UTF-8', csv: Buffer.concat([Buffer.from('id,name\n1,a\n2,'), Buffer.from([0xff]), Buffer.from('\n')]), code: 'BAD_UTF8', line: 3, rows: 0 },
  { name: 'a quote inside an unquoted field', csv: 'id,name\n0,z\n1,a"b\n', code: 'BAD_SYNTAX', line: 3 },
]

for (const bad of BAD_CSV) {
  t.test(`refuses a CSV with ${bad.name} with ${bad.code} on line ${bad.line}`, async t => {
    let rows = 0
    const error = await (async () => {
      for await (const _ of readCsvTable(piecesOf(bad.csv, [3]), 't')) rows++
    })().then(() => undefined, (thrown: unknown) => thrown)
    t.ok(error instanceof DumpError)
    t.match(error, { code: bad.code, line: bad.line })
    t.equal(rows, bad.rows ?? 1, 'the records before the fault came out')
  })
}
