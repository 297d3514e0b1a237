// Applies the missing PostgreSQL migrations at start, in one transaction under a transaction-scoped advisory lock,
// so hubs starting together on one database migrate it once: the second waits for the lock, then finds it done.
// DDL is transactional in PostgreSQL: a failed migration leaves the database at the version it had.

import type { Pool, PoolClient } from 'pg'
import { assert } from '../../../protocol/errors'
import { StoreError } from '../errors'
import type { Migration } from '../migrations'
import { PG_MIGRATIONS } from './migrations'

// Any fixed 64-bit number names the lock; this one is "payall" in ASCII.
const MIGRATION_LOCK_KEY = '123563950566508'

/**
 * A URL may name the schema the hub keeps its tables in (`?options=-c search_path=NAME`: hubs of several deployments,
 * or tests, sharing one database): made on first start, when missing, as the database's default `public` is there.
 */
async function ensureSchema(client: PoolClient): Promise<void> {
  const current = await client.query<{ schema: string | null }>('SELECT current_schema() AS schema')
  if (current.rows[0]?.schema != null) return
  const path = await client.query<{ search_path: string }>('SHOW search_path')
  const first = path.rows[0]?.search_path.split(',').map(name => name.trim()).find(name => name !== '"$user"' && name !== '')
  if (first === undefined) throw new StoreError('MIGRATION_FAILED', 'the connection has no schema to create its tables in (search_path is empty)')
  const name = first.startsWith('"') ? first.slice(1, -1).replaceAll('""', '"') : first
  await client.query(`CREATE SCHEMA IF NOT EXISTS "${name.replaceAll('"', '""')}"`)
}

/** Migrates the schema first on the connection's search_path to the list's last version; returns that version. */
export async function migratePg(pool: Pool, migrations: readonly Migration[] = PG_MIGRATIONS): Promise<number> {
  migrations.forEach((migration, index) => {
    assert(migration.version === index + 1, `migration ${migration.name} must have version ${index + 1}`)
    assert(migration.rebuildsTables === undefined, 'a PostgreSQL migration rebuilds tables in its own SQL')
  })
  const latest = migrations.length === 0 ? 0 : migrations[migrations.length - 1]!.version
  const client = await pool.connect()
  try {
    await client.query('BEGIN')
    await client.query(`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK_KEY})`)
    await ensureSchema(client)
    await client.query(`CREATE TABLE IF NOT EXISTS payall_schema_version (
      version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())`)
    const found = await client.query<{ version: number | null }>('SELECT max(version) AS version FROM payall_schema_version')
    const found_version = found.rows[0]?.version ?? 0
    if (found_version > latest) {
      throw new StoreError('SCHEMA_TOO_NEW', `the database is at schema version ${found_version}; this build knows ${latest}`)
    }
    for (const migration of migrations) {
      if (migration.version <= found_version) continue
      try {
        await client.query(migration.sql)
      } catch (error) {
        throw new StoreError('MIGRATION_FAILED',
          `migration ${migration.version} (${migration.name}) failed: ${(error as Error).message}`, { cause: error })
      }
      await client.query('INSERT INTO payall_schema_version (version, name) VALUES ($1, $2)', [migration.version, migration.name])
    }
    await client.query('COMMIT')
    return latest
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined)
    throw error
  } finally {
    client.release()
  }
}
