// Writes that count before they insert (a user's devices, documents, linked accounts, payments waiting for a code)
// pass their cap one at a time per key. On SQLite every write holds the database's one write lock already
// (BEGIN IMMEDIATE); on PostgreSQL two hubs' transactions at READ COMMITTED would both count the rows before either
// inserted, so the write takes a transaction-scoped advisory lock on (scope, key) first. This is the one place
// where that differs between the engines.

import type { SqlDialect, SqlQuery } from './sql'

/** The lock spaces: one per cap, so two caps on the same user do not wait for each other. */
const KEY_LOCK_SCOPES = {
  devicesOfUser: 1,
  documentsOfUser: 2,
  linksOfUser: 3,
  paymentsOfPayer: 4,
} as const

type KeyLockScope = keyof typeof KEY_LOCK_SCOPES

/**
 * Call first in an SqlEngine.write: the other writes that lock the same (scope, key) wait until this one has ended,
 * then read what it wrote. Released with the transaction.
 */
export async function lockKey(sql: SqlQuery, dialect: SqlDialect, scope: KeyLockScope, key: string): Promise<void> {
  // The two-int form: its key space is not the bigint one the hubs' singleton leases may use.
  if (dialect === 'postgres') await sql.get('SELECT 1 AS locked FROM pg_advisory_xact_lock(?::integer, hashtext(?))', [KEY_LOCK_SCOPES[scope], key])
}
