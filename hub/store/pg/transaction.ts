// What every PostgreSQL store shares: integers read as exact numbers, a transaction run on one pooled connection,
// and run again from the start (bounded) when another hub's transaction won a race this one lost.
// Constraints and transactions decide between hubs; no store keeps an in-process lock.

import { types as pgTypes, type Pool, type PoolClient, type QueryResultRow } from 'pg'
import { assert } from '../../../protocol/errors'

/** How many times a write runs when another hub's transaction makes it fail (a race on a key, a deadlock). */
export const PG_ATTEMPTS_DEFAULT = 5

// PostgreSQL's SQLSTATEs after which a write is run again: another transaction won a race the call can redo.
const RETRYABLE_SQLSTATES = new Set([
  '40001', // serialization_failure
  '40P01', // deadlock_detected
  '23505', // unique_violation: another hub inserted the same row first
])

// BIGINT (int8) columns and counts arrive as numbers, and only while exact; sums (numeric) as text, read by the caller.
const INT8_OID = 20
const PG_PARSE_TYPES = {
  getTypeParser: (oid: number, format?: 'text' | 'binary') => {
    if (oid === INT8_OID) return safeInteger
    return format === 'binary' ? pgTypes.getTypeParser(oid, 'binary') : pgTypes.getTypeParser(oid, 'text')
  },
}

/** A numeric or int8 text as a number, asserted exact. */
export function safeInteger(text: string): number {
  const value = Number(text)
  assert(Number.isSafeInteger(value), `the integer ${text} read from PostgreSQL is exact as a number`)
  return value
}

// PostgreSQL's SQLSTATE of a driver error, if it has one.
function sqlState(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code
  return typeof code === 'string' ? code : undefined
}

/** One statement's rows, integers as numbers (PG_PARSE_TYPES). */
export async function pgRows<Row extends QueryResultRow>(
  client: Pool | PoolClient, text: string, values: readonly unknown[] = [],
): Promise<Row[]> {
  return (await client.query<Row>({ text, values: [...values], types: PG_PARSE_TYPES })).rows
}

export type PgIsolation = 'READ COMMITTED' | 'REPEATABLE READ' | 'SERIALIZABLE'

/** Runs `work` in one transaction on one connection; rolled back if it throws. A read-only one when `readOnly`. */
export async function inPgTransaction<T>(
  pool: Pool, work: (client: PoolClient) => Promise<T>, isolation: PgIsolation = 'READ COMMITTED', readOnly = false,
): Promise<T> {
  const client = await pool.connect()
  let broken = false
  try {
    await client.query(`BEGIN ISOLATION LEVEL ${isolation}${readOnly ? ' READ ONLY' : ''}`)
    try {
      const result = await work(client)
      await client.query('COMMIT')
      return result
    } catch (error) {
      await client.query('ROLLBACK').catch(() => { broken = true })
      throw error
    }
  } finally {
    client.release(broken)
  }
}

/** As inPgTransaction, run again from the start (at most `attempts` times) when it lost a race to another transaction. */
export async function pgWriting<T>(
  pool: Pool, work: (client: PoolClient) => Promise<T>,
  options: { readonly attempts?: number; readonly isolation?: PgIsolation } = {},
): Promise<T> {
  const attempts = options.attempts ?? PG_ATTEMPTS_DEFAULT
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await inPgTransaction(pool, work, options.isolation)
    } catch (error) {
      if (attempt >= attempts || !RETRYABLE_SQLSTATES.has(sqlState(error) ?? '')) throw error
    }
  }
}
