// The legacy import's figures: a 100,000-user legacy system (web pg_dump with COPY, mobile mysqldump with extended
// INSERTs, a device and an account per mobile user) written to files, then read alone and imported into a fresh
// hub store, in one run. Alone: `node dist/bench/run.js legacy`.

import { createReadStream, createWriteStream, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { once } from 'node:events'
import type { Writable } from 'node:stream'
import { ManualClock, systemRandom } from '../protocol/clock'
import { readSqlDump } from '../hub/legacy/dump-reader'
import { importLegacy, type ImportSource } from '../hub/legacy/importer'
import { HUB_DATABASE_FILE, openDatabase } from '../hub/store/database'
import { round, type Metric } from './metric'

const USERS = 100_000
/** Nine in ten people have a record in both systems, joined by id_user_ext. */
const JOINED_EVERY = 10
const INSERT_ROWS = 1000
const HASH = '$2y$10$abcdefghijklmnopqrstuuJm5cZ0H1c0Y7hQ2vO7oK4t3gQ5wS6yW'
const START_MS = Date.UTC(2026, 11, 1)

async function write(stream: Writable, text: string): Promise<void> {
  if (!stream.write(text)) await once(stream, 'drain')
}

async function close(stream: Writable): Promise<void> {
  stream.end()
  await once(stream, 'finish')
}

const phoneOf = (index: number): string => `+22177${String(index).padStart(7, '0')}`

async function writeWebDump(path: string): Promise<void> {
  const out = createWriteStream(path)
  await write(out, 'CREATE TABLE public.users (id integer, full_name text, email text, email_verified boolean, phone_verified boolean, status integer, password text, phone text, created_at timestamp, updated_at timestamp);\n')
  await write(out, 'COPY public.users (id, full_name, email, email_verified, phone_verified, status, password, phone, created_at, updated_at) FROM stdin;\n')
  for (let i = 1; i <= USERS; i++) {
    await write(out, `${i}\tUser ${i} N'Diaye\tuser${i}@example.com\tt\tt\t0\t${HASH.replace('$2y$', '$2b$')}\t${phoneOf(i)}\t2023-01-01 10:00:00\t2023-01-02 10:00:00\n`)
  }
  await write(out, '\\.\n')
  await close(out)
}

async function writeMobileDump(path: string): Promise<void> {
  const out = createWriteStream(path)
  await write(out, 'CREATE TABLE `users` (`id` int, `id_device` bigint, `id_user_ext` bigint, `name` varchar(255), `surename` varchar(255), `imei` varchar(255), `sexe` varchar(10), `dob` varchar(20), `profession` varchar(255), `address` text, `email` varchar(255), `phone` varchar(20), `password` varchar(255), `code` varchar(10), `meta_data` text, `created_at` timestamp, `updated_at` timestamp);\n')
  const chunks = async (table: string, row: (i: number) => string): Promise<void> => {
    for (let first = 1; first <= USERS; first += INSERT_ROWS) {
      const rows: string[] = []
      for (let i = first; i < first + INSERT_ROWS && i <= USERS; i++) rows.push(row(i))
      await write(out, `INSERT INTO \`${table}\` VALUES ${rows.join(',')};\n`)
    }
  }
  await chunks('users', i => `(${i},${i},${i % JOINED_EVERY === 0 ? 'NULL' : i},'Awa','Diop ${i}','35${String(i).padStart(13, '0')}','F','1990-01-01','Commerçante','Médina, Dakar',`
    + `'user${i}@example.com','${phoneOf(i)}','${HASH}','123456',NULL,'2023-01-01 10:00:00','2023-01-03 10:00:00')`)
  await write(out, 'CREATE TABLE `device` (`id` int, `imei` varchar(255), `model` varchar(255), `brand` varchar(255), `status` tinyint, `created_at` timestamp);\n')
  await chunks('device', i => `(${i},'35${String(i).padStart(13, '0')}','A12','Samsung',1,'2023-01-01 10:00:00')`)
  await write(out, 'CREATE TABLE `account` (`id` int, `id_user` int, `accountno` varchar(255), `balance` decimal(15,2), `id_compte_ext` varchar(255), `created_at` timestamp);\n')
  await chunks('account', i => `(${i},${i},'ACC${i}',${i % 100000}.00,NULL,'2023-01-01 10:00:00')`)
  await close(out)
}

function sources(dir: string): ImportSource[] {
  return [
    { system: 'web', name: 'web.sql', rows: readSqlDump(createReadStream(join(dir, 'web.sql')), 'postgresql') },
    { system: 'mobile', name: 'mobile.sql', rows: readSqlDump(createReadStream(join(dir, 'mobile.sql')), 'mysql') },
  ]
}

export async function benchLegacy(): Promise<Metric[]> {
  const dir = mkdtempSync(join(tmpdir(), 'payall-bench-legacy-'))
  try {
    await writeWebDump(join(dir, 'web.sql'))
    await writeMobileDump(join(dir, 'mobile.sql'))
    let rows = 0
    const readStarted = performance.now()
    for (const source of sources(dir)) for await (const row of source.rows) rows += row.values.length > 0 ? 1 : 0
    const read_s = (performance.now() - readStarted) / 1000

    const db = openDatabase(join(dir, HUB_DATABASE_FILE))
    const rssBefore = process.memoryUsage().rss
    let rssPeak = rssBefore
    const importStarted = performance.now()
    const report = await importLegacy(db, sources(dir), {
      currency: 'XOF', phoneRegion: 'SN', dryRun: false, clock: new ManualClock(START_MS),
      random: systemRandom,
      onProgress: () => {
        rssPeak = Math.max(rssPeak, process.memoryUsage().rss)
      },
    })
    const import_s = (performance.now() - importStarted) / 1000
    db.close()
    if (report.entities.users.imported !== USERS || report.refusals.length > 0) {
      throw new Error(`the bench import went wrong: ${JSON.stringify(report.entities)}, ${report.refusals.length} refusals`)
    }
    return [
      { name: 'legacy_dump_rows', value: rows, unit: 'rows' },
      { name: 'legacy_read_rows_per_s', value: round(rows / read_s, 0), unit: 'rows/s' },
      { name: 'legacy_import_rows_per_s', value: round(rows / import_s, 0), unit: 'rows/s' },
      { name: 'legacy_import_seconds_100k_users', value: round(import_s, 1), unit: 's' },
      { name: 'legacy_import_to_read_ratio', value: round(read_s / import_s, 3), unit: 'ratio' },
      { name: 'legacy_import_rss_growth_mib', value: round((rssPeak - rssBefore) / 2 ** 20, 0), unit: 'MiB' },
    ]
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}
