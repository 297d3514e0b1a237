// `payall-hub import`: the legacy system's data into the hub's store, with the hub stopped (it takes the data
// folder's lock). Prints what it did per table, the people joined, the balances opened, and every refused row;
// --json prints the whole report as JSON instead, --dry-run writes nothing. A progress line on a terminal.

import { createReadStream, existsSync, readdirSync, statSync, type ReadStream } from 'node:fs'
import { basename, extname, join } from 'node:path'
import { parseArgs } from 'node:util'
import type { Clock, RandomBytes } from '../../protocol/clock'
import { DataDirLockError, lockDataDir } from '../../protocol/data-dir-lock'
import { errorText } from '../../protocol/errors'
import { formatAmount, isCurrencyCode } from '../../protocol/money'
import { ConfigError, parseConfigFields } from '../config'
import { HUB_DATABASE_FILE, openDatabase } from '../store/database'
import { readCsvTable } from './csv-reader'
import { readSqlDump } from './dump-reader'
import { DumpError, ImportError } from './errors'
import type { DumpRow } from './model'
import { ENTITIES, importLegacy, type ImportProgress, type ImportReport, type ImportSource } from './importer'

const PROGRAM = 'payall-hub import'
/** Refused rows and notes printed before "… and N more": --json lists them all. */
const LISTED_MAX = 20

const IMPORT_USAGE = `Usage: payall-hub import --currency CODE [--web-dump FILE] [--mobile-dump FILE] [--csv-dir DIR]
                         [--dry-run] [--json] [--data-dir DIR] [--phone-region CC]

Imports the legacy PayAll data into the hub's store, with the hub stopped: users (one per person, the web and
mobile records joined), their bcrypt passwords (they log in unchanged), profiles, devices, gateways and who owns
them, orders, and each mobile account's balance as an opening transfer in the ledger.

  --web-dump FILE     the web backend's PostgreSQL dump (pg_dump plain SQL, COPY or INSERT)
  --mobile-dump FILE  the mobile backend's MySQL dump (mysqldump)
  --csv-dir DIR       CSV exports, one table per file: DIR/web/<table>.csv and DIR/mobile/<table>.csv
  --currency CODE     the currency of every legacy amount (the legacy tables name none); no default
  --dry-run           report what would happen, write nothing
  --json              print the report as JSON
  --data-dir DIR      the hub's data folder (PAYALL_DATA_DIR, default ./data)
  --phone-region CC   the country of numbers written without a country code (PAYALL_PHONE_REGION)

Importing the same files again changes nothing. A refused row (a bad EUI, a duplicate email or phone, an amount
the currency cannot hold exactly) is reported with its table, key and reason, and the rest goes on.

Example: payall-hub import --web-dump web.sql --mobile-dump mobile.sql --currency XOF --dry-run
`

interface CommandIo {
  stdout: { write(text: string): unknown }
  stderr: { write(text: string): unknown; isTTY?: boolean }
  clock: Clock
  random: RandomBytes
}

const FLAGS = {
  'web-dump': { type: 'string' },
  'mobile-dump': { type: 'string' },
  'csv-dir': { type: 'string' },
  currency: { type: 'string' },
  'dry-run': { type: 'boolean' },
  json: { type: 'boolean' },
  'data-dir': { type: 'string' },
  'phone-region': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const

export async function importCommand(argv: readonly string[], env: NodeJS.ProcessEnv, io: CommandIo): Promise<number> {
  let values
  let config
  try {
    values = parseArgs({ args: [...argv], options: FLAGS, strict: true, allowPositionals: false }).values
    if (values.help === true) {
      io.stdout.write(IMPORT_USAGE)
      return 0
    }
    config = parseConfigFields(passOn(values), env, ['dataDir', 'phoneRegion'])
    if (values.currency === undefined) throw new ImportError('BAD_ARGUMENTS', '--currency is required: the legacy tables name no currency')
    if (!isCurrencyCode(values.currency)) throw new ImportError('BAD_ARGUMENTS', `--currency: ${values.currency} is not an ISO 4217 currency code PayAll knows`)
    if (values['web-dump'] === undefined && values['mobile-dump'] === undefined && values['csv-dir'] === undefined) {
      throw new ImportError('BAD_ARGUMENTS', 'name what to import: --web-dump, --mobile-dump or --csv-dir')
    }
  } catch (error) {
    if (!(error instanceof ConfigError || error instanceof ImportError || isParseArgsError(error))) throw error
    io.stderr.write(`${PROGRAM}: ${errorText(error)}\n${PROGRAM} --help shows the options\n`)
    return 2
  }
  let lock
  try {
    const sources = sourcesOf(values)
    lock = lockDataDir(config.dataDir)
    const db = openDatabase(join(config.dataDir, HUB_DATABASE_FILE))
    try {
      const progress = io.stderr.isTTY === true ? progressLine(io.stderr) : undefined
      const report = await importLegacy(db, sources, {
        currency: values.currency, phoneRegion: config.phoneRegion, dryRun: values['dry-run'] === true, clock: io.clock, random: io.random,
        ...(progress === undefined ? {} : { onProgress: progress.show }),
      })
      progress?.clear()
      io.stdout.write(values.json === true ? `${JSON.stringify(report, null, 2)}\n` : reportText(report))
      return 0
    } finally {
      db.close()
    }
  } catch (error) {
    if (!(error instanceof ImportError || error instanceof DumpError || error instanceof DataDirLockError)) throw error
    const where = error instanceof DumpError ? ` (in ${error.source})` : ''
    io.stderr.write(`${io.stderr.isTTY === true ? '\r\x1b[K' : ''}${PROGRAM}: ${errorText(error)}${where}; nothing was imported\n`)
    return 1
  } finally {
    lock?.release()
  }
}

/** The hub's own flags, handed to its configuration parser (which also reads PAYALL_* variables). */
function passOn(values: { 'data-dir'?: string; 'phone-region'?: string }): string[] {
  return [
    ...(values['data-dir'] === undefined ? [] : ['--data-dir', values['data-dir']]),
    ...(values['phone-region'] === undefined ? [] : ['--phone-region', values['phone-region']]),
  ]
}

function isParseArgsError(error: unknown): error is Error {
  const code: unknown = (error as { code?: unknown } | null)?.code
  return error instanceof TypeError && typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS')
}

function sourcesOf(values: { 'web-dump'?: string; 'mobile-dump'?: string; 'csv-dir'?: string }): ImportSource[] {
  const sources: ImportSource[] = []
  const file = (path: string): string => {
    if (!existsSync(path) || !statSync(path).isFile()) throw new ImportError('NO_FILE', `${path} is not a file`)
    return path
  }
  /** A file's source: its rows as `read` gives them from its bytes, faults naming the file, and how far it is read. */
  const source = (system: ImportSource['system'], path: string, read: (bytes: ReadStream) => AsyncIterable<DumpRow>): ImportSource => {
    const stream = createReadStream(path)
    const total = statSync(path).size
    return { system, name: path, rows: namingFaults(read(stream), path), bytes: () => ({ read: stream.bytesRead, total }) }
  }
  if (values['web-dump'] !== undefined) sources.push(source('web', file(values['web-dump']), bytes => readSqlDump(bytes, 'postgresql')))
  if (values['mobile-dump'] !== undefined) sources.push(source('mobile', file(values['mobile-dump']), bytes => readSqlDump(bytes, 'mysql')))
  const csvDir = values['csv-dir']
  if (csvDir !== undefined) {
    const folders = (['web', 'mobile'] as const).filter(system => existsSync(join(csvDir, system)))
    if (folders.length === 0) throw new ImportError('NO_FILE', `${csvDir} holds neither a web/ nor a mobile/ folder of CSV files`)
    for (const system of folders) {
      for (const name of readdirSync(join(csvDir, system)).filter(entry => extname(entry).toLowerCase() === '.csv').sort()) {
        sources.push(source(system, join(csvDir, system, name), bytes => readCsvTable(bytes, basename(name, extname(name)))))
      }
    }
  }
  return sources
}

/** The rows of a source, a fault in it naming the file. */
async function* namingFaults<T>(rows: AsyncIterable<T>, source: string): AsyncGenerator<T> {
  try {
    yield* rows
  } catch (error) {
    if (error instanceof DumpError) error.source = source
    throw error
  }
}

const BAR_CELLS = 24

/** `[#########---------------]  37%` */
function bar(done: number, total: number): string {
  const fraction = total <= 0 ? 1 : Math.min(1, done / total)
  const filled = Math.round(fraction * BAR_CELLS)
  return `[${'#'.repeat(filled)}${'-'.repeat(BAR_CELLS - filled)}] ${String(Math.floor(fraction * 100)).padStart(3)}%`
}

function progressLine(stream: { write(text: string): unknown }) {
  return {
    show: (progress: ImportProgress): void => {
      const text = progress.phase === 'reading'
        ? `${progress.bytesTotal === undefined ? '' : `${bar(progress.bytesRead ?? 0, progress.bytesTotal)} `}reading ${basename(progress.source)}: `
          + `${progress.rows.toLocaleString('en')} rows`
        : `${bar(progress.done, progress.total)} writing ${progress.step}: ${progress.done.toLocaleString('en')} of ${progress.total.toLocaleString('en')}`
      stream.write(`\r\x1b[K${text}`)
    },
    clear: (): void => {
      stream.write('\r\x1b[K')
    },
  }
}

function reportText(report: ImportReport): string {
  const number = (value: number): string => value.toLocaleString('en')
  const lines: string[] = []
  lines.push(report.dryRun ? 'Dry run: nothing was written. The import would do this:' : 'Imported:')
  lines.push(`  ${''.padEnd(12)}${'imported'.padStart(10)}${'unchanged'.padStart(11)}${'refused'.padStart(9)}`)
  for (const entity of ENTITIES) {
    const counts = report.entities[entity]
    lines.push(`  ${entity.padEnd(12)}${number(counts.imported).padStart(10)}${number(counts.unchanged).padStart(11)}${number(counts.refused).padStart(9)}`)
  }
  const { joins, balances } = report
  lines.push(`People in both systems: ${number(joins.id_user_ext)} joined by id_user_ext, ${number(joins.email)} by email, `
    + `${number(joins.phone)} by phone; ${number(joins.webOnly)} only in the web backend, ${number(joins.mobileOnly)} only in the mobile one.`)
  lines.push(`Balances (${balances.currency}): ${formatAmount(balances.readMinor, balances.currency)} read, ${balances.opened} opened `
    + `as ${number(balances.openedAccounts)} opening transfers. The ledger verifies.`)
  const skipped = Object.entries(report.rowsSkipped)
  if (skipped.length > 0) lines.push(`Not imported: ${skipped.map(([table, rows]) => `${table} (${number(rows)} ${rows === 1 ? 'row' : 'rows'})`).join(', ')}.`)
  listed(lines, `Refused rows (${number(report.refusals.length)}):`, report.refusals.map(refusal =>
    `${refusal.system} ${refusal.table} ${refusal.key}: ${refusal.reason}: ${refusal.detail}`))
  listed(lines, `Notes (${number(report.notes.length)}):`, report.notes.map(note => `${note.system} ${note.table} ${note.key}: ${note.note}: ${note.detail}`))
  if (!report.changed) lines.push('Nothing changed: everything in these files was imported before, or refused.')
  return `${lines.join('\n')}\n`
}

function listed(lines: string[], title: string, items: readonly string[]): void {
  if (items.length === 0) return
  lines.push(title)
  for (const item of items.slice(0, LISTED_MAX)) lines.push(`  ${item}`)
  if (items.length > LISTED_MAX) lines.push(`  … and ${(items.length - LISTED_MAX).toLocaleString('en')} more (--json lists them all)`)
}
