// Small writers of the legacy dump formats for the readers' tests, and ways to feed a reader bytes in
// pieces. The writers escape as pg_dump, mysqldump and PostgreSQL's CSV COPY do.

import { Readable } from 'node:stream'
import fc from 'fast-check'
import type { DumpRow } from '../../../hub/legacy/model'

export interface Table {
  readonly name: string
  readonly columns: readonly { readonly name: string, readonly numeric: boolean }[]
  readonly rows: readonly (readonly (string | null)[])[]
}

/** The bytes of `text` in pieces of the given sizes (cycled), cutting characters and escapes anywhere. */
export function piecesOf(text: string | Uint8Array, sizes: readonly number[] = [1 << 16]): Readable {
  const bytes = typeof text === 'string' ? Buffer.from(text, 'utf8') : Buffer.from(text)
  const pieces: Buffer[] = []
  for (let start = 0, turn = 0; start < bytes.length; turn++) {
    const size = Math.max(1, sizes[turn % sizes.length]!)
    pieces.push(bytes.subarray(start, start + size))
    start += size
  }
  return Readable.from(pieces, { objectMode: false })
}

export async function readAll(rows: AsyncIterable<DumpRow>): Promise<DumpRow[]> {
  const all: DumpRow[] = []
  for await (const row of rows) all.push(row)
  return all
}

/** The rows a reader must give back for `tables`, in order. */
export function rowsOf(tables: readonly Table[]): DumpRow[] {
  return tables.flatMap(table => table.rows.map(values => ({ table: table.name, columns: table.columns.map(column => column.name), values })))
}

const quoted = (text: string, quote: string): string => quote + text.replaceAll(quote, quote + quote) + quote

function copyText(value: string | null): string {
  if (value === null) return '\\N'
  return value.replace(/[\\\t\n\r]/g, char => ({ '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' })[char]!)
}

/** A pg_dump with COPY blocks (odd tables) or INSERTs (even tables; with E'' strings on odd rows), with the clutter pg_dump writes around them. */
export function pgDump(tables: readonly Table[]): string {
  let dump = '--\n-- PostgreSQL database dump\n--\n\nSET client_encoding = \'UTF8\';\nSELECT pg_catalog.set_config(\'search_path\', \'\', false);\n'
  tables.forEach((table, tableIndex) => {
    const names = table.columns.map(column => quoted(column.name, '"')).join(', ')
    dump += `\nCREATE TABLE public.${quoted(table.name, '"')} (\n${table.columns.map(column => `    ${quoted(column.name, '"')} ${column.numeric ? 'numeric(10,2)' : 'text'}`).join(',\n')}\n);\n`
    dump += `/* a comment; with 'quotes' */ ALTER TABLE public.${quoted(table.name, '"')} OWNER TO web;\n`
    if (tableIndex % 2 === 1) {
      dump += `COPY public.${quoted(table.name, '"')} (${names}) FROM stdin;\n`
      for (const row of table.rows) dump += `${row.map(copyText).join('\t')}\n`
      dump += '\\.\n\n'
      return
    }
    table.rows.forEach((row, rowIndex) => {
      const values = row.map((value, index) => {
        if (value === null) return 'NULL'
        if (table.columns[index]!.numeric) return value
        if (rowIndex % 2 === 0) return `${quoted(value, "'")}::text`
        return `E${quoted(value.replaceAll('\\', '\\\\'), "'")}`
      })
      dump += `INSERT INTO public.${quoted(table.name, '"')} ${rowIndex % 3 === 0 ? '' : `(${names}) `}VALUES (${values.join(', ')});\n`
    })
  })
  return `${dump}\nSELECT pg_catalog.setval('public.users_id_seq', 42, true);\n\n-- PostgreSQL database dump complete\n`
}

const MYSQL_ESCAPES: Readonly<Record<string, string>> = { '\0': '\\0', "'": "\\'", '"': '\\"', '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\x1a': '\\Z' }

function mysqlValue(value: string | null, numeric: boolean): string {
  if (value === null) return 'NULL'
  if (numeric) return value
  return `'${value.replace(/[\0'"\\\n\r\x1a]/g, char => MYSQL_ESCAPES[char]!)}'`
}

/** A mysqldump: extended INSERTs, without a column list on odd tables, inside the usual locks and /*! comments. */
export function mysqlDump(tables: readonly Table[]): string {
  let dump = '-- MySQL dump 10.13\n/*!40101 SET @OLD_CHARACTER_SET_CLIENT=@@CHARACTER_SET_CLIENT */;\n/*!40101 SET NAMES utf8mb4 */;\n'
  tables.forEach((table, tableIndex) => {
    const name = quoted(table.name, '`')
    dump += `\nDROP TABLE IF EXISTS ${name};\nCREATE TABLE ${name} (\n${table.columns.map(column => `  ${quoted(column.name, '`')} ${column.numeric ? 'decimal(15,2)' : "varchar(255) DEFAULT 'x,y'"}`).join(',\n')},\n  PRIMARY KEY (${quoted(table.columns[0]!.name, '`')})\n) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;\n`
    dump += `LOCK TABLES ${name} WRITE;\n/*!40000 ALTER TABLE ${name} DISABLE KEYS */;\n`
    if (table.rows.length > 0) {
      const columns = tableIndex % 2 === 1 ? ' ' : ` (${table.columns.map(column => quoted(column.name, '`')).join(', ')}) `
      const tuples = table.rows.map(row => `(${row.map((value, index) => mysqlValue(value, table.columns[index]!.numeric)).join(',')})`)
      dump += `INSERT INTO ${name}${columns}VALUES ${tuples.join(',')};\n`
    }
    dump += `/*!40000 ALTER TABLE ${name} ENABLE KEYS */;\nUNLOCK TABLES;\n`
  })
  return `${dump}-- Dump completed on 2024-05-01 12:00:00\n`
}

function csvField(value: string | null): string {
  if (value === null) return ''
  return value === '' || /[",\r\n]/.test(value) ? quoted(value, '"') : value
}

/** A CSV export of one table: a header row, then a record per row, NULL as an empty unquoted field. */
export function csvExport(table: Table): string {
  return [table.columns.map(column => csvField(column.name)), ...table.rows.map(row => row.map(csvField))]
    .map(fields => `${fields.join(',')}\r\n`).join('')
}

const TEXT_PIECE = fc.oneof(
  fc.constantFrom('\t', '\n', '\r', '\r\n', '\\', "'", "''", '"', '`', ',', ';', '(', ')', '\\N', '\\.', 'NULL', '--', '/*', '*/', '$$', 'é', '€', '😀', '\u00a0', ' '),
  fc.string({ unit: 'grapheme', maxLength: 6 }),
)
const text = fc.array(TEXT_PIECE, { maxLength: 6 }).map(pieces => pieces.join(''))
const amount = fc.tuple(fc.boolean(), fc.bigInt({ min: 0n, max: 99999999n }), fc.integer({ min: 0, max: 99 }))
  .map(([negative, units, cents]) => `${negative && units + BigInt(cents) > 0n ? '-' : ''}${units}.${String(cents).padStart(2, '0')}`)
const COLUMN_NAMES = ['id', 'full_name', 'order', 'e-mail', 'Balance', 'naïve', 'select', 'x y']

function tableArbitrary(name: string): fc.Arbitrary<Table> {
  return fc.uniqueArray(fc.tuple(fc.constantFrom(...COLUMN_NAMES), fc.boolean()), { minLength: 1, maxLength: 4, selector: ([column]) => column })
    .chain(columns => fc.record({
      name: fc.constant(name),
      columns: fc.constant(columns.map(([column, numeric]) => ({ name: column, numeric }))),
      rows: fc.array(fc.tuple(...columns.map(([, numeric]) => fc.option(numeric ? amount : text, { freq: 4 }))), { maxLength: 6 }),
    }))
}

/** One to three tables of random rows: awkward text, NULLs, empty strings, amounts up to 99999999.99. */
export const tablesArbitrary: fc.Arbitrary<Table[]> = fc.uniqueArray(fc.constantFrom('users', 'account', 'gateways', 'Order Items'), { minLength: 1, maxLength: 3 })
  .chain(names => fc.tuple(...names.map(tableArbitrary)))

/** Sizes of the pieces a dump is fed in. */
export const pieceSizesArbitrary = fc.array(fc.integer({ min: 1, max: 9 }), { minLength: 1, maxLength: 8 })
