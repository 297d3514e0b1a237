// Which store the hubs tests start run on: SQLite under their data folder (the default), or PostgreSQL when
// PAYALL_TEST_STORE=postgres, each hub in a schema of its own on the server PAYALL_TEST_DATABASE_URL names (.ci/run
// starts one). The schema is named after the hub's data folder, so a test that stops a hub and starts it again on the
// same folder finds what it left. Tests reach a hub's store through its engine, which serves either.

import { createHash, randomBytes } from 'node:crypto'
import { join, resolve } from 'node:path'
import { Pool } from 'pg'
import { HUB_DATABASE_FILE, openDatabase } from '../../hub/store/database'
import { PgEngine, SqliteEngine, type SqlEngine } from '../../hub/store/sql'

const STORE_ENV = 'PAYALL_TEST_STORE'
const DATABASE_URL_ENV = 'PAYALL_TEST_DATABASE_URL'
const SALT_ENV = 'PAYALL_TEST_STORE_SALT'

export type TestStore = 'sqlite' | 'postgres'

export const TEST_STORE: TestStore = storeOf(process.env[STORE_ENV])

function storeOf(value: string | undefined): TestStore {
  if (value === undefined || value === '' || value === 'sqlite') return 'sqlite'
  if (value === 'postgres') return 'postgres'
  throw new Error(`${STORE_ENV} is sqlite or postgres, not ${value}`)
}

/** What a hub's configuration takes from the test store: nothing on SQLite, a database URL on PostgreSQL. */
export function hubStoreConfig(dataDir: string): { databaseUrl?: string } {
  if (TEST_STORE === 'sqlite') return {}
  const server = process.env[DATABASE_URL_ENV]
  if (server === undefined) throw new Error(`${STORE_ENV}=postgres needs ${DATABASE_URL_ENV}, the server the hubs' schemas go on`)
  // A salt per run, inherited by the hub processes a test starts: a folder's schema is its own in this run, and a
  // schema left by an earlier run on the same server is not found again.
  process.env[SALT_ENV] ??= randomBytes(8).toString('hex')
  const schema = `hub_${createHash('sha256').update(`${process.env[SALT_ENV]}:${resolve(dataDir)}`).digest('hex').slice(0, 20)}`
  const url = new URL(server)
  url.searchParams.set('options', `-c search_path=${schema}`)
  return { databaseUrl: url.toString() }
}

/**
 * Runs `work` on the engine of a stopped hub's store, as an operator's tool would: its SQLite file, or its PostgreSQL
 * schema. The connection is closed after.
 */
export async function withStoppedHubEngine<T>(
  config: { readonly dataDir: string; readonly databaseUrl: string | undefined }, work: (engine: SqlEngine) => Promise<T>,
): Promise<T> {
  if (config.databaseUrl !== undefined) {
    const pool = new Pool({ connectionString: config.databaseUrl, max: 1 })
    try {
      return await work(new PgEngine(pool))
    } finally {
      await pool.end()
    }
  }
  const db = openDatabase(join(config.dataDir, HUB_DATABASE_FILE))
  try {
    return await work(new SqliteEngine(db))
  } finally {
    db.close()
  }
}
