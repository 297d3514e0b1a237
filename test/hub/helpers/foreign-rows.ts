// Rows of other domains' tables that a store test on both engines needs (the users its rows name), written with
// portable SQL. A table PostgreSQL's schema does not have yet (its domain not ported) is left out, with its foreign
// keys: hasTable says which.

import type { SqlEngine } from '../../../hub/store/sql'

/** Whether the engine's schema has the table. */
export async function hasTable(engine: SqlEngine, table: 'users' | 'mobile_payments'): Promise<boolean> {
  try {
    await engine.get(`SELECT 1 AS one FROM ${table} WHERE 1 = 0`)
    return true
  } catch {
    return false
  }
}

/** Users with these ids, where the schema has a users table (the foreign keys of orders and payments name them). */
export async function addUsers(engine: SqlEngine, ids: readonly string[]): Promise<void> {
  if (!await hasTable(engine, 'users')) return
  for (const id of ids) {
    await engine.run('INSERT INTO users (id, email, password_hash, created_at_ms) VALUES (?, ?, ?, ?)',
      [id, `${id.toLowerCase()}@example.com`, 'x', 0])
  }
}
