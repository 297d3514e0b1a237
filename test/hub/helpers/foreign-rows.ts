// Rows of other domains' tables that a store test on both engines needs (the users its rows name), written with
// portable SQL.

import type { SqlEngine } from '../../../hub/store/sql'

/** Users with these ids (the foreign keys of orders, payments, gateways and devices name them), on either engine. */
export async function addUsers(engine: SqlEngine, ids: readonly string[]): Promise<void> {
  for (const id of ids) {
    await engine.run('INSERT INTO users (id, email, password_hash, created_at_ms) VALUES (?, ?, ?, ?)',
      [id, `${id.toLowerCase()}@example.com`, 'x', 0])
  }
}
