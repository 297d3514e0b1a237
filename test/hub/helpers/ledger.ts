// Test scaffolding for the ledger: a manual clock and a real ledger on each store, made by a factory per store.
// SQLite: a file in a temporary directory, opened through the hub's own openDatabase. PostgreSQL: a schema of its
// own in the test file's database (test/helpers/postgres.ts), migrated by the hub's own migratePg.
// `ledgerTest` registers a test once per store; the PostgreSQL half is skipped, saying why, when no server is at hand.

import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Pool } from 'pg'
import type { Test } from 'tap'
import { ManualClock } from '../../../protocol/clock'
import { openDatabase, type SqliteDatabase } from '../../../hub/store/database'
import { migratePg } from '../../../hub/store/pg/migrate'
import { PgLedgerStore } from '../../../hub/ledger/pg-store'
import { SqliteLedgerStore } from '../../../hub/ledger/sqlite-store'
import type { LedgerStore } from '../../../hub/ledger/store'
import { postgresSkip, testDatabase } from '../../helpers/postgres'

export interface Teardown {
  teardown(fn: () => void | Promise<void>): void
}

export function temporaryDirectory(t: Teardown): string {
  const directory = mkdtempSync(join(tmpdir(), 'payall-ledger-'))
  t.teardown(() => rmSync(directory, { recursive: true, force: true }))
  return directory
}

type LedgerStoreKind = 'sqlite' | 'postgres'

export interface OpenLedger {
  readonly kind: LedgerStoreKind
  readonly store: LedgerStore
  readonly clock: ManualClock
  /** The SQLite file and connection, for the tests that reach into SQLite itself; undefined on PostgreSQL. */
  readonly sqlite: { readonly path: string; readonly database: SqliteDatabase } | undefined
  /** Runs one SQL statement around the store (written to run on both); its rows, integers as numbers. */
  query(sql: string): Promise<Record<string, unknown>[]>
  /** The same ledger through a new connection and store, as after a restart; this one is closed. */
  reopen(t: Teardown): Promise<OpenLedger>
  close(): Promise<void>
}

export interface LedgerFactory {
  readonly kind: LedgerStoreKind
  /** A new, empty ledger; closed and removed at teardown. */
  open(t: Teardown, options?: { clock?: ManualClock }): Promise<OpenLedger>
}

const START_MS = Date.UTC(2025, 0, 15, 12)

const sqliteFactory: LedgerFactory = {
  kind: 'sqlite',
  async open(t, options = {}) {
    const directory = temporaryDirectory(t)
    return openSqlite(t, join(directory, 'ledger.sqlite'), options.clock ?? new ManualClock(START_MS))
  },
}

function openSqlite(t: Teardown, path: string, clock: ManualClock): OpenLedger {
  const database = openDatabase(path)
  t.teardown(() => {
    if (database.open) database.close()
  })
  const ledger: OpenLedger = {
    kind: 'sqlite',
    store: new SqliteLedgerStore(database, { clock }),
    clock,
    sqlite: { path, database },
    async query(sql) {
      const statement = database.prepare(sql)
      if (statement.reader) return statement.all() as Record<string, unknown>[]
      statement.run()
      return []
    },
    async reopen(t) {
      database.close()
      return openSqlite(t, path, clock)
    },
    async close() {
      database.close()
    },
  }
  return ledger
}

let schemas = 0

function postgresFactory(root: Teardown): LedgerFactory {
  return {
    kind: 'postgres',
    async open(t, options = {}) {
      schemas += 1
      return openPostgres(t, root, `ledger_${process.pid}_${schemas}`, options.clock ?? new ManualClock(START_MS))
    },
  }
}

async function openPostgres(t: Teardown, root: Teardown, schema: string, clock: ManualClock): Promise<OpenLedger> {
  const database = await testDatabase(root)
  const pool: Pool = await database.pool(schema)
  await migratePg(pool)
  let closed = false
  const close = async () => {
    if (closed) return
    closed = true
    await pool.end()
  }
  t.teardown(close)
  return {
    kind: 'postgres',
    store: new PgLedgerStore(pool, { clock }),
    clock,
    sqlite: undefined,
    async query(sql) {
      const result = await pool.query({ text: sql, types: { getTypeParser: integerParser } })
      return result.rows as Record<string, unknown>[]
    },
    async reopen(t) {
      await close()
      return openPostgres(t, root, schema, clock)
    },
    close,
  }
}

// COUNT(*) and BIGINT columns as numbers, as better-sqlite3 gives them.
function integerParser(oid: number): (text: string) => unknown {
  return oid === 20 || oid === 23 || oid === 21 ? Number : (text: string) => text
}

/** The stores the ledger's tests run against, SQLite first. */
function ledgerFactories(root: Teardown): LedgerFactory[] {
  return [sqliteFactory, postgresFactory(root)]
}

interface TapLike extends Teardown {
  test(name: string, options: { skip: string | false }, fn: (t: Test) => Promise<void>): unknown
}

/** Registers `fn` once per store, named after it; the PostgreSQL half is skipped, saying why, without a server. */
export function ledgerTests(root: TapLike): (name: string, fn: (t: Test, factory: LedgerFactory) => Promise<void>) => void {
  const factories = ledgerFactories(root)
  const skip = postgresSkip()
  return (name, fn) => {
    for (const factory of factories) {
      root.test(`${name} [${factory.kind}]`, { skip: factory.kind === 'postgres' ? skip : false }, t => fn(t, factory))
    }
  }
}
