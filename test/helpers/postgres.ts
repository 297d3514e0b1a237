// PostgreSQL for tests: the server PAYALL_TEST_DATABASE_URL names, or else a throwaway cluster this process starts
// (hub/store/pg/local-cluster.ts: initdb and pg_ctl from Debian's postgresql package, a Unix socket in a temporary
// directory, so no port is taken, fsync off). Either way one database per test file, made with a random name, dropped (or the
// cluster stopped and removed) when the file's tests end. Without PostgreSQL the tests that need it are skipped,
// and fail under .ci/run (PAYALL_CI=1), as requiredProgram says.

import { randomBytes } from 'node:crypto'
import { Client, Pool, type PoolConfig } from 'pg'
import { initdbCandidates, startLocalCluster } from '../../hub/store/pg/local-cluster'
import { requiredProgram } from './required-program'

const TEST_DATABASE_URL_ENV = 'PAYALL_TEST_DATABASE_URL'

interface Teardown {
  teardown(fn: () => void | Promise<void>): void
}

/** Where this file's database is: connection settings for a pg Pool, without the pool options. */
export interface TestDatabase {
  readonly config: PoolConfig
  /** A pool on the database whose connections use `schema` first (created if missing); the caller ends it. */
  pool(schema: string): Promise<Pool>
}

/** Whether the PostgreSQL half runs: the reason to skip it, or false. Decided once per process. */
export function postgresSkip(): string | false {
  if (process.env[TEST_DATABASE_URL_ENV] !== undefined) return false
  return postgresPrograms().skip
}

function postgresPrograms(): { readonly initdb: string | undefined; readonly skip: string | false } {
  const program = requiredProgram('PostgreSQL (initdb, pg_ctl)', initdbCandidates(),
    `apt-get install postgresql, or set ${TEST_DATABASE_URL_ENV}=postgres://… to use a server`)
  return { initdb: program.path, skip: program.skip }
}

let shared: Promise<TestDatabase> | undefined

/** PostgreSQL's SQLSTATE for a connection an administrator ended: what DROP DATABASE … WITH (FORCE) does to those left. */
const ADMIN_SHUTDOWN = '57P01'

/**
 * This test file's database, made on first use; `root` is the file's top-level tap object, whose teardown drops
 * it (and stops a cluster this process started).
 */
export function testDatabase(root: Teardown): Promise<TestDatabase> {
  shared ??= openTestDatabase(root)
  return shared
}

async function openTestDatabase(root: Teardown): Promise<TestDatabase> {
  const url = process.env[TEST_DATABASE_URL_ENV]
  const server: PoolConfig = url !== undefined ? serverOf(url) : startCluster(root)
  const name = `payall_test_${randomBytes(6).toString('hex')}`
  const admin = new Client(server)
  await admin.connect()
  try {
    await admin.query(`CREATE DATABASE ${name}`)
  } finally {
    await admin.end()
  }
  const config: PoolConfig = { ...server, database: name }
  const pools: Pool[] = []
  if (url !== undefined) {
    root.teardown(async () => {
      // A pool a test left open is ended first (one whose end() a test called already would refuse a second one).
      await Promise.all(pools.filter(pool => !pool.ending).map(pool => pool.end()))
      const dropper = new Client(server)
      await dropper.connect()
      try {
        await dropper.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
      } finally {
        await dropper.end()
      }
    })
  }
  return {
    config,
    async pool(schema) {
      if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) throw new Error(`bad schema name ${schema}`)
      const pool = new Pool({ ...config, max: 4, options: `-c search_path=${schema}` })
      pools.push(pool)
      // pool.end() resolves before its connections have closed, and a closing one keeps the pool's idle listener
      // (pg-pool's _remove): the teardown's DROP … FORCE terminating it (57P01) made the pool emit 'error', which,
      // unhandled, ended the process. That one is expected here; any other error still ends it.
      pool.on('error', (error: Error & { code?: string }) => {
        if (error.code !== ADMIN_SHUTDOWN) throw error
      })
      await pool.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`)
      return pool
    },
  }
}

/**
 * The server a postgres:// URL names, as separate settings: pg lets a connectionString's database win over a
 * `database` beside it, and each file must reach its own database. A Unix socket directory comes as `?host=/dir`.
 */
function serverOf(url: string): PoolConfig {
  const parsed = new URL(url)
  const socket = parsed.searchParams.get('host')
  return {
    host: socket ?? parsed.hostname,
    ...(parsed.port === '' ? {} : { port: Number(parsed.port) }),
    user: decodeURIComponent(parsed.username) || 'postgres',
    ...(parsed.password === '' ? {} : { password: decodeURIComponent(parsed.password) }),
    database: decodeURIComponent(parsed.pathname.slice(1)) || 'postgres',
  }
}

/** A cluster this process starts, stopped and removed when the file's tests end. */
function startCluster(root: Teardown): PoolConfig {
  const { initdb, skip } = postgresPrograms()
  if (skip !== false || initdb === undefined) throw new Error(`PostgreSQL is needed here: ${skip || 'initdb not found'}`)
  const cluster = startLocalCluster(initdb, { fsync: false })
  root.teardown(() => cluster.stop())
  return { ...cluster.config }
}

/** A postgres:// URL naming a test's database, for a hub's --database-url; a Unix socket directory goes in ?host=. */
export function databaseUrlOf(config: PoolConfig): string {
  const login = `${encodeURIComponent(config.user ?? 'postgres')}${config.password === undefined ? '' : `:${encodeURIComponent(String(config.password))}`}`
  const socket = config.host?.startsWith('/') === true
  const url = new URL(`postgresql://${login}@${socket ? 'localhost' : config.host}${config.port === undefined ? '' : `:${config.port}`}/${config.database}`)
  if (socket) url.searchParams.set('host', config.host!)
  return url.toString()
}
