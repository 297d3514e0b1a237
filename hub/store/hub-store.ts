// Everything the running hub stores, on the engine its configuration names: the SQLite file under the data folder (the
// default, one hub), or a PostgreSQL database several hubs share (--database-url). Either way the hub gets the same
// parts: the engine every store is written on, the ledger, the lease that says whether this hub runs the work one hub
// at a time must do, and one close for all of them.

import type { FastifyBaseLogger } from 'fastify'
import { Pool, type ClientConfig } from 'pg'
import type { Clock } from '../../protocol/clock'
import { PgLedgerStore } from '../ledger/pg-store'
import { SqliteLedgerStore } from '../ledger/sqlite-store'
import type { LedgerStore } from '../ledger/store'
import type { SqliteDatabase } from './database'
import { schemaVersionOf } from './database'
import { HubDatabase } from './hub-database'
import { PgLeaderLease, soleLeadership, type Leadership } from './leadership'
import { migratePg } from './pg/migrate'
import { PgEngine, type SqlEngine } from './sql'
import { StoreError } from './errors'
import type { WalSync } from './wal-sync'

/** Connections one hub holds to PostgreSQL for its stores (the lease and the live events hold one more each). */
const PG_POOL_SIZE = 10

export interface HubStore {
  readonly kind: 'sqlite' | 'postgres'
  /** Where it is, for the banner and the logs: the SQLite file, or the PostgreSQL server and database (no password). */
  readonly where: string
  readonly engine: SqlEngine
  readonly ledger: LedgerStore
  /** The SQLite connection under the engine; undefined on PostgreSQL. */
  readonly sqlite: SqliteDatabase | undefined
  /** Commits of the SQLite file that return before their fsync (wal-sync.ts); undefined on PostgreSQL. */
  readonly walSync: WalSync | undefined
  /** Whether this hub runs the sweepers, the anchoring, the revocation publishing and the notifications. */
  readonly leadership: Leadership
  /** How PostgreSQL is reached, for the connections of the hub's own (the live events); undefined on SQLite. */
  readonly pgConnection: ClientConfig | undefined
  /** The schema version the database is at, read from it (so it proves the database answers), in the engine's own numbering. */
  schemaVersion(): Promise<number>
  /** Gives the lease up, then closes the database. */
  close(): Promise<void>
}

/** The SQLite file `path`, alone: this hub always leads. `log` hears of a WAL checkpoint that failed. */
export function openSqliteHubStore(
  path: string, { busyTimeout_ms, clock, log }: { busyTimeout_ms: number; clock: Clock; log: Pick<FastifyBaseLogger, 'warn'> },
): HubStore {
  const database = new HubDatabase(path, busyTimeout_ms)
  database.checkpointOnWorker(message => log.warn({ code: 'CHECKPOINT_FAILED' }, message))
  const leadership = soleLeadership()
  return {
    kind: 'sqlite',
    where: path,
    engine: database.engine,
    ledger: new SqliteLedgerStore(database.db, { clock, walSync: database.walSync, gate: database.engine }),
    sqlite: database.db,
    walSync: database.walSync,
    leadership,
    pgConnection: undefined,
    schemaVersion: () => Promise.resolve(schemaVersionOf(database.db)),
    close: async () => {
      await leadership.stop()
      await database.close()
    },
  }
}

/**
 * The PostgreSQL database `url` names, migrated (under the migrations' own lock, so hubs starting together migrate
 * once), with this hub in the lease. A database that cannot be reached or migrated fails the start.
 */
export async function openPgHubStore(
  url: string, { clock, log }: { clock: Clock; log: Pick<FastifyBaseLogger, 'info' | 'warn'> },
): Promise<HubStore> {
  const connection: ClientConfig = { connectionString: url }
  const pool = new Pool({ ...connection, max: PG_POOL_SIZE })
  // An idle connection the server drops (a restart, a network cut) reports here; the next query opens another.
  pool.on('error', error => log.warn({ err: error }, 'a PostgreSQL connection of the pool failed'))
  try {
    await reachable(pool, url)
    await migratePg(pool)
  } catch (error) {
    await pool.end()
    throw error
  }
  const leadership = new PgLeaderLease({ connection, clock, log })
  const engine = new PgEngine(pool)
  return {
    kind: 'postgres',
    where: serverOf(url),
    engine,
    ledger: new PgLedgerStore(pool, { clock }),
    sqlite: undefined,
    walSync: undefined,
    leadership,
    pgConnection: connection,
    schemaVersion: async () =>
      (await engine.get<{ version: number }>('SELECT max(version) AS version FROM payall_schema_version'))?.version ?? 0,
    close: async () => {
      try {
        await leadership.stop()
      } finally {
        await pool.end()
      }
    },
  }
}

/** Fails with DATABASE_UNREACHABLE, naming the server (never the password), when no connection can be made. */
async function reachable(pool: Pool, url: string): Promise<void> {
  try {
    const client = await pool.connect()
    client.release()
  } catch (error) {
    throw new StoreError('DATABASE_UNREACHABLE', `cannot reach PostgreSQL at ${serverOf(url)}: ${(error as Error).message}`, { cause: error })
  }
}

/** The server and database of a postgres:// URL, without its password: host:port/database, or socket dir/database. */
function serverOf(url: string): string {
  const parsed = new URL(url)
  const user = parsed.username === '' ? '' : `${decodeURIComponent(parsed.username)}@`
  return `${user}${parsed.searchParams.get('host') ?? parsed.host}${parsed.pathname}`
}
