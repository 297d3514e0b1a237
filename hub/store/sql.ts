// One SQL interface for the hub's stores on either engine: SQLite (one file, one connection, the default) or
// PostgreSQL (several hubs on one database). A store written against SqlEngine has one implementation for both:
// statements take `?` placeholders (numbered for PostgreSQL here, outside quoted text), integers come back as numbers
// on both (PostgreSQL's BIGINT and COUNT are read exactly, pg/transaction.ts), blobs as Buffers.
//
// Atomicity. `write` runs a store's statements as one transaction: on PostgreSQL on one pooled connection, run again
// from the start when it lost a race to another hub (so `work` must do nothing but its statements); on SQLite under
// BEGIN IMMEDIATE. The hub has one SQLite connection, and a transaction on it is open across the awaits of `work`:
// everything else on that connection waits until it ends (the gate below), or it would join it. Code that still uses
// the connection synchronously (the ledger's own SQLite store) runs through `exclusive`; its calls that hand a caller
// their statements run in `write`, and its settlements in `writeUnsynced`, where the ingest writes what it received
// with the ledger's statements.

import type { Pool, PoolClient } from 'pg'
import type { Statement } from 'better-sqlite3'
import { assert } from '../../protocol/errors'
import type { SqliteDatabase } from './database'
import { inPgTransaction, pgRows, pgWriting } from './pg/transaction'
import type { WalSync } from './wal-sync'

export type SqlValue = string | number | bigint | Uint8Array | null
export type SqlRow = Record<string, unknown>

export interface SqlRunResult {
  /** Rows inserted, updated or deleted by the statement. */
  readonly changes: number
}

/** Statements run on one engine, inside a transaction or alone. */
export interface SqlQuery {
  all<Row extends SqlRow>(sql: string, params?: readonly SqlValue[]): Promise<Row[]>
  get<Row extends SqlRow>(sql: string, params?: readonly SqlValue[]): Promise<Row | undefined>
  run(sql: string, params?: readonly SqlValue[]): Promise<SqlRunResult>
}

export type SqlDialect = 'sqlite' | 'postgres'

/** A statement alone is atomic by itself; `write` and `read` group several. */
export interface SqlEngine extends SqlQuery {
  readonly dialect: SqlDialect
  /** One atomic transaction. On PostgreSQL it may run more than once: `work` has no effect but its statements. */
  write<T>(work: (sql: SqlQuery) => Promise<T>): Promise<T>
  /** One consistent snapshot, read only. */
  read<T>(work: (sql: SqlQuery) => Promise<T>): Promise<T>
}

/** The hub's SQLite connection as a SqlEngine. One per connection: it holds the gate its transactions pass. */
export class SqliteEngine implements SqlEngine {
  readonly dialect = 'sqlite'
  private readonly statements = new Map<string, Statement>()
  private readonly direct: SqlQuery
  /** Resolves when the transaction or statement that holds the connection ends; undefined while it is free. */
  private held: Promise<void> | undefined

  constructor(readonly db: SqliteDatabase) {
    this.direct = {
      all: async <Row extends SqlRow>(sql: string, params: readonly SqlValue[] = []) => this.statement(sql).all(...params) as Row[],
      get: async <Row extends SqlRow>(sql: string, params: readonly SqlValue[] = []) =>
        this.statement(sql).get(...params) as Row | undefined,
      run: async (sql: string, params: readonly SqlValue[] = []) => ({ changes: this.statement(sql).run(...params).changes }),
    }
  }

  all<Row extends SqlRow>(sql: string, params?: readonly SqlValue[]): Promise<Row[]> {
    return this.exclusive(() => this.statement(sql).all(...(params ?? [])) as Row[])
  }

  get<Row extends SqlRow>(sql: string, params?: readonly SqlValue[]): Promise<Row | undefined> {
    return this.exclusive(() => this.statement(sql).get(...(params ?? [])) as Row | undefined)
  }

  run(sql: string, params?: readonly SqlValue[]): Promise<SqlRunResult> {
    return this.exclusive(() => ({ changes: this.statement(sql).run(...(params ?? [])).changes }))
  }

  write<T>(work: (sql: SqlQuery) => Promise<T>): Promise<T> {
    return this.transaction('BEGIN IMMEDIATE', work)
  }

  read<T>(work: (sql: SqlQuery) => Promise<T>): Promise<T> {
    return this.transaction('BEGIN', work, true)
  }

  /**
   * As `write`, committed with synchronous=NORMAL through `walSync` (wal-sync.ts): it returns before its fsync, and what
   * it wrote is durable once a later `walSync.synced()` resolves. Without a walSync, as `write`.
   */
  writeUnsynced<T>(walSync: WalSync | undefined, work: (sql: SqlQuery) => Promise<T>): Promise<T> {
    return this.transaction('BEGIN IMMEDIATE', work, false, walSync)
  }

  /**
   * Runs synchronous work on the connection once no transaction of this engine is open on it, so that work neither
   * joins a transaction nor sees one's uncommitted rows. At once when the connection is free.
   */
  async exclusive<T>(work: () => T): Promise<T> {
    while (this.held !== undefined) await this.held
    return work()
  }

  private async transaction<T>(
    begin: string, work: (sql: SqlQuery) => Promise<T>, readOnly = false, walSync?: WalSync,
  ): Promise<T> {
    while (this.held !== undefined) await this.held
    let release!: () => void
    this.held = new Promise(resolve => { release = resolve })
    // A transaction a synchronous caller opened on the connection outside the engine (the legacy import's, which
    // commits or rolls back everything at its end): this one nests in it as a savepoint, and that caller's commit decides.
    const nested = this.db.inTransaction
    const run = async (): Promise<T> => {
      this.db.exec(nested ? 'SAVEPOINT engine_write' : begin)
      try {
        const result = await work(this.direct)
        this.db.exec(nested ? 'RELEASE engine_write' : 'COMMIT')
        return result
      } catch (error) {
        if (nested) this.db.exec('ROLLBACK TO engine_write; RELEASE engine_write')
        else if (this.db.inTransaction) this.db.exec('ROLLBACK')
        throw error
      }
    }
    try {
      if (readOnly) this.db.pragma('query_only = ON')
      // The gate is held: no other transaction of the connection commits under the unsynced setting.
      return await (walSync === undefined || nested ? run() : walSync.commitUnsyncedAsync(run))
    } finally {
      if (readOnly) this.db.pragma('query_only = OFF')
      this.held = undefined
      release()
    }
  }

  private statement(sql: string): Statement {
    let statement = this.statements.get(sql)
    if (statement === undefined) {
      statement = this.db.prepare(sql)
      this.statements.set(sql, statement)
    }
    return statement
  }
}

/** A PostgreSQL database as a SqlEngine, through a pool shared with the hub's other PostgreSQL stores. */
export class PgEngine implements SqlEngine {
  readonly dialect = 'postgres'

  constructor(private readonly pool: Pool, private readonly options: { readonly attempts?: number } = {}) {}

  all<Row extends SqlRow>(sql: string, params?: readonly SqlValue[]): Promise<Row[]> {
    return this.on(this.pool).all<Row>(sql, params)
  }

  get<Row extends SqlRow>(sql: string, params?: readonly SqlValue[]): Promise<Row | undefined> {
    return this.on(this.pool).get<Row>(sql, params)
  }

  run(sql: string, params?: readonly SqlValue[]): Promise<SqlRunResult> {
    return this.on(this.pool).run(sql, params)
  }

  write<T>(work: (sql: SqlQuery) => Promise<T>): Promise<T> {
    return pgWriting(this.pool, client => work(this.on(client)),
      this.options.attempts === undefined ? {} : { attempts: this.options.attempts })
  }

  read<T>(work: (sql: SqlQuery) => Promise<T>): Promise<T> {
    return inPgTransaction(this.pool, client => work(this.on(client)), 'REPEATABLE READ', true)
  }

  private on(client: Pool | PoolClient): SqlQuery {
    return pgQueryOn(client)
  }
}

// Each statement's text numbered once (a bounded set: the stores' constant SQL texts).
const numbered = new Map<string, string>()

function toPg(sql: string): string {
  let text = numbered.get(sql)
  if (text === undefined) {
    text = numberPlaceholders(sql)
    numbered.set(sql, text)
  }
  return text
}

/**
 * Statements with `?` placeholders on a PostgreSQL pool or client: on a client inside a transaction, they are of that
 * transaction (how a PostgreSQL store hands its own transaction to a caller's statements, as the ledger does).
 */
export function pgQueryOn(client: Pool | PoolClient): SqlQuery {
  return {
    all: <Row extends SqlRow>(sql: string, params: readonly SqlValue[] = []) => pgRows<Row>(client, toPg(sql), params),
    get: async <Row extends SqlRow>(sql: string, params: readonly SqlValue[] = []): Promise<Row | undefined> =>
      (await pgRows<Row>(client, toPg(sql), params))[0],
    run: async (sql: string, params: readonly SqlValue[] = []) => {
      const result = await client.query({ text: toPg(sql), values: [...params] })
      return { changes: result.rowCount ?? 0 }
    },
  }
}

/** `?` placeholders as PostgreSQL's `$1, $2, …`; a `?` inside a quoted string or identifier is left alone. */
export function numberPlaceholders(sql: string): string {
  let out = ''
  let count = 0
  let quote: string | undefined
  for (const char of sql) {
    if (quote !== undefined) {
      if (char === quote) quote = undefined
      out += char
    } else if (char === "'" || char === '"') {
      quote = char
      out += char
    } else if (char === '?') {
      count += 1
      out += `$${count}`
    } else {
      out += char
    }
  }
  assert(quote === undefined, 'a quote in a statement is closed')
  return out
}
