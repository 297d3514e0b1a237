// Opens the terminal's SQLite file with the durability an approved payment relies on, then
// migrates its schema. WAL with synchronous=FULL: a committed record survives power loss.

import Database from 'better-sqlite3'
import { assert } from '../../protocol/errors'
import { TerminalError } from '../errors'
import { MIGRATIONS, type Migration } from './migrations'

export type SqliteDatabase = Database.Database

/** Bytes as a BLOB parameter, without a copy. */
export const blob = (value: Uint8Array): Buffer => Buffer.from(value.buffer, value.byteOffset, value.byteLength)
/** A BLOB column as bytes of their own (a copy: SQLite's buffer is reused). */
export const bytes = (buffer: Buffer): Uint8Array => new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength).slice()

const SYNCHRONOUS_FULL = 2
const BUSY_TIMEOUT_MS = 5_000
/**
 * SQLite's page cache, in KiB (a negative cache_size). The default 2 MiB is a fifth of what the
 * gateway's budget leaves above Node itself; records are small and read once in order, and the
 * OS page cache holds the file anyway.
 */
const PAGE_CACHE_KIB = 512

export function openDatabase(path: string, migrations: readonly Migration[] = MIGRATIONS): SqliteDatabase {
  const database = new Database(path)
  try {
    database.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`)
    database.pragma(`cache_size = -${PAGE_CACHE_KIB}`)
    const journalMode = database.pragma('journal_mode = WAL', { simple: true })
    if (journalMode !== 'wal' && !(path === ':memory:' && journalMode === 'memory')) {
      throw new TerminalError('PRAGMA_REFUSED', `journal_mode is ${String(journalMode)}, not wal`)
    }
    database.pragma('synchronous = FULL')
    if (database.pragma('synchronous', { simple: true }) !== SYNCHRONOUS_FULL) {
      throw new TerminalError('PRAGMA_REFUSED', 'synchronous=FULL was not accepted')
    }
    migrate(database, migrations)
    return database
  } catch (error) {
    database.close()
    throw error
  }
}

function schemaVersionOf(database: SqliteDatabase): number {
  const version = database.pragma('user_version', { simple: true })
  assert(typeof version === 'number' && Number.isInteger(version) && version >= 0, 'user_version is a whole number')
  return version
}

function migrate(database: SqliteDatabase, migrations: readonly Migration[]): void {
  migrations.forEach((migration, index) => assert(migration.version === index + 1, 'migrations are numbered 1, 2, …'))
  const latest = migrations.length
  const found = schemaVersionOf(database)
  if (found > latest) {
    throw new TerminalError('SCHEMA_TOO_NEW', `the database is at schema version ${found}; this build knows up to ${latest}`)
  }
  for (const migration of migrations.slice(found)) {
    database.transaction(() => {
      database.exec(migration.sql)
      database.pragma(`user_version = ${migration.version}`)
    }).immediate()
  }
  assert(schemaVersionOf(database) === latest, 'the database is at the latest schema version after migrating')
}
