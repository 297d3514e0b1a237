// Opens the hub's SQLite file with the durability the ledger relies on, then migrates its schema.
// WAL with synchronous=FULL: once a transaction has committed (and been acked), power loss cannot undo it.

import Database from 'better-sqlite3'
import { assert } from '../../protocol/errors'
import { DATABASE_BUSY_TIMEOUT_DEFAULT_MS, DATABASE_BUSY_TIMEOUT_MAX_MS } from '../config'
import { StoreError } from './errors'
import { MIGRATIONS, SCHEMA_VERSION, type Migration } from './migrations'

export { SCHEMA_VERSION }

export type SqliteDatabase = Database.Database

/** The hub's database file, in its data folder. */
export const HUB_DATABASE_FILE = 'hub.sqlite'
const SYNCHRONOUS_FULL = 2

export interface OpenDatabaseOptions {
  /** How long a writer waits for another process's write lock before SQLITE_BUSY. */
  readonly busyTimeoutMs?: number
  /** The schema to migrate to; the hub's own list unless a test brings another. */
  readonly migrations?: readonly Migration[]
}

/** Opens (creating if needed) a database file, configures it and applies the missing migrations. */
export function openDatabase(path: string, options: OpenDatabaseOptions = {}): SqliteDatabase {
  const migrations = options.migrations ?? MIGRATIONS
  const busyTimeout_ms = options.busyTimeoutMs ?? DATABASE_BUSY_TIMEOUT_DEFAULT_MS
  assert(Number.isInteger(busyTimeout_ms) && busyTimeout_ms >= 0 && busyTimeout_ms <= DATABASE_BUSY_TIMEOUT_MAX_MS,
    `busy timeout must be 0..${DATABASE_BUSY_TIMEOUT_MAX_MS} ms`)
  assertMigrationsOrdered(migrations)

  const database = new Database(path)
  try {
    configure(database, path, busyTimeout_ms)
    migrate(database, migrations)
    return database
  } catch (error) {
    database.close()
    throw error
  }
}

export function schemaVersionOf(database: SqliteDatabase): number {
  const version = database.pragma('user_version', { simple: true })
  assert(typeof version === 'number' && Number.isInteger(version) && version >= 0, 'user_version is a whole number')
  return version
}

const PAGE_CACHE_KIB = 64 * 1024

function configure(database: SqliteDatabase, path: string, busyTimeout_ms: number): void {
  // busy_timeout first: switching to WAL itself needs the lock another process may hold.
  database.pragma(`busy_timeout = ${busyTimeout_ms}`)
  const journalMode = database.pragma('journal_mode = WAL', { simple: true })
  const inMemory = path === ':memory:' || path === ''
  if (journalMode !== 'wal' && !(inMemory && journalMode === 'memory')) {
    throw new StoreError('PRAGMA_REFUSED', `journal_mode is ${String(journalMode)}, not wal`)
  }
  database.pragma('synchronous = FULL')
  if (database.pragma('synchronous', { simple: true }) !== SYNCHRONOUS_FULL) {
    throw new StoreError('PRAGMA_REFUSED', 'synchronous=FULL was not accepted')
  }
  // 64 MiB of page cache (SQLite's default is 2 MiB): the ledger's indexes are written at random places (transfer
  // ids are hashes), and a page found in the cache is not read again through the WAL.
  database.pragma(`cache_size = -${PAGE_CACHE_KIB}`)
  database.pragma('foreign_keys = ON')
  if (database.pragma('foreign_keys', { simple: true }) !== 1) {
    throw new StoreError('PRAGMA_REFUSED', 'foreign_keys=ON was not accepted')
  }
}

function migrate(database: SqliteDatabase, migrations: readonly Migration[]): void {
  const latest = migrations.length === 0 ? 0 : migrations[migrations.length - 1]!.version
  const found = schemaVersionOf(database)
  if (found > latest) {
    throw new StoreError('SCHEMA_TOO_NEW',
      `the database is at schema version ${found}; this build knows versions up to ${latest}`)
  }
  for (const migration of migrations) {
    if (migration.version <= found) continue
    const apply = database.transaction(() => {
      // Another process may have migrated between our read and this write lock.
      if (schemaVersionOf(database) >= migration.version) return
      database.exec(migration.sql)
      for (const table of migration.rebuildsTables ?? []) {
        const broken = database.pragma(`foreign_key_check(${table})`) as unknown[]
        if (broken.length > 0) throw new Error(`${broken.length} rows of ${table} break a foreign key after the rebuild`)
      }
      database.pragma(`user_version = ${migration.version}`)
    })
    // SQLite's procedure for rebuilding a table others refer to: foreign keys off (it cannot change inside a
    // transaction), the rebuild, a foreign key check before it commits, and foreign keys back on.
    const rebuilds = (migration.rebuildsTables ?? []).length > 0
    if (rebuilds) database.pragma('foreign_keys = OFF')
    try {
      apply.immediate()
    } catch (error) {
      throw new StoreError('MIGRATION_FAILED',
        `migration ${migration.version} (${migration.name}) failed: ${(error as Error).message}`, { cause: error })
    } finally {
      if (rebuilds) database.pragma('foreign_keys = ON')
    }
  }
  assert(schemaVersionOf(database) === latest, 'the database is at the latest schema version after migrating')
}

function assertMigrationsOrdered(migrations: readonly Migration[]): void {
  migrations.forEach((migration, index) => {
    assert(migration.version === index + 1, `migration ${migration.name} must have version ${index + 1}`)
    assert(migration.name.length > 0 && migration.sql.trim().length > 0, `migration ${index + 1} has a name and SQL`)
  })
}
