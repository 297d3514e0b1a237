// Test scaffolding for the stores written on SqlEngine (hub/store/sql.ts): a test registered once per engine, each
// half given a new, migrated, empty database. SQLite: a file in a temporary directory, opened through the hub's own
// openDatabase (all of the hub's migrations). PostgreSQL: a schema of its own in the test file's database
// (test/helpers/postgres.ts), migrated by the hub's own migratePg. The PostgreSQL half is skipped, saying why, when no
// server is at hand (and fails under .ci/run).

import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Pool } from 'pg'
import type { Test } from 'tap'
import { openDatabase, type SqliteDatabase } from '../../../hub/store/database'
import { migratePg } from '../../../hub/store/pg/migrate'
import { PgEngine, SqliteEngine, type SqlDialect, type SqlEngine } from '../../../hub/store/sql'
import { postgresSkip, testDatabase } from '../../helpers/postgres'

interface Teardown {
  teardown(fn: () => void | Promise<void>): void
}

interface TapLike extends Teardown {
  test(name: string, options: { skip: string | false }, fn: (t: Test) => Promise<void>): unknown
}

interface OpenEngine {
  readonly dialect: SqlDialect
  readonly engine: SqlEngine
  /** The SQLite connection under the engine, for tests that reach into SQLite itself; undefined on PostgreSQL. */
  readonly sqlite: SqliteDatabase | undefined
  /** The pool under the engine, for a PostgreSQL store beside it (the ledger's); undefined on SQLite. */
  readonly pgPool: Pool | undefined
  /** The same database through a new connection and engine, as after a restart; this one is closed. */
  reopen(t: Teardown): Promise<OpenEngine>
  /** The same database through another connection and engine, beside this one: another hub (or process) on it. */
  another(t: Teardown): Promise<OpenEngine>
}

export interface EngineFactory {
  readonly dialect: SqlDialect
  /** A new, empty, migrated database; closed and removed at teardown. */
  open(t: Teardown): Promise<OpenEngine>
}

const sqliteFactory: EngineFactory = {
  dialect: 'sqlite',
  async open(t) {
    const directory = mkdtempSync(join(tmpdir(), 'payall-engine-'))
    t.teardown(() => rmSync(directory, { recursive: true, force: true }))
    return openSqlite(t, join(directory, 'hub.sqlite'))
  },
}

function openSqlite(t: Teardown, path: string): OpenEngine {
  const database = openDatabase(path)
  t.teardown(() => {
    if (database.open) database.close()
  })
  return {
    dialect: 'sqlite',
    engine: new SqliteEngine(database),
    sqlite: database,
    pgPool: undefined,
    async reopen(t) {
      database.close()
      return openSqlite(t, path)
    },
    async another(t) {
      return openSqlite(t, path)
    },
  }
}

let schemas = 0

/** PostgreSQL alone, for tests of what only it has (LISTEN/NOTIFY); they skip as postgresSkip() says. */
export function postgresFactory(root: Teardown): EngineFactory {
  return {
    dialect: 'postgres',
    async open(t) {
      schemas += 1
      return openPostgres(t, root, `engine_${process.pid}_${schemas}`)
    },
  }
}

async function openPostgres(t: Teardown, root: Teardown, schema: string, migrate = true): Promise<OpenEngine> {
  const pool = await (await testDatabase(root)).pool(schema)
  if (migrate) await migratePg(pool)
  let closed = false
  const close = async () => {
    if (closed) return
    closed = true
    await pool.end()
  }
  t.teardown(close)
  return {
    dialect: 'postgres',
    engine: new PgEngine(pool),
    sqlite: undefined,
    pgPool: pool,
    async reopen(t) {
      await close()
      return openPostgres(t, root, schema)
    },
    async another(t) {
      return openPostgres(t, root, schema, false)
    },
  }
}

/** Registers `fn` once per engine, SQLite first, named after it; the PostgreSQL half is skipped without a server. */
export function engineTests(root: TapLike): (name: string, fn: (t: Test, factory: EngineFactory) => Promise<void>) => void {
  const factories = [sqliteFactory, postgresFactory(root)]
  const skip = postgresSkip()
  return (name, fn) => {
    for (const factory of factories) {
      root.test(`${name} [${factory.dialect}]`, { skip: factory.dialect === 'postgres' ? skip : false }, t => fn(t, factory))
    }
  }
}
