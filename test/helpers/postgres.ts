// PostgreSQL for tests: the server PAYALL_TEST_DATABASE_URL names, or else a throwaway cluster this process starts
// in a temporary directory (initdb and pg_ctl from Debian's postgresql package), listening on a Unix socket there
// only, so no port is taken. Either way one database per test file, made with a random name, dropped (or the
// cluster stopped and removed) when the file's tests end. Without PostgreSQL the tests that need it are skipped,
// and fail under .ci/run (PAYALL_CI=1), as requiredProgram says.

import { execFileSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { chmodSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Client, Pool, type PoolConfig } from 'pg'
import { requiredProgram } from './required-program'

export const TEST_DATABASE_URL_ENV = 'PAYALL_TEST_DATABASE_URL'

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

function postgresPrograms(): { readonly bin: string | undefined; readonly skip: string | false } {
  const root = '/usr/lib/postgresql'
  const versions = existsSync(root) ? readdirSync(root).filter(name => /^\d+$/.test(name)).sort((a, b) => Number(b) - Number(a)) : []
  const candidates = [...versions.map(version => join(root, version, 'bin', 'initdb')), '/usr/local/bin/initdb', '/usr/bin/initdb']
  const program = requiredProgram('PostgreSQL (initdb, pg_ctl)', candidates,
    `apt-get install postgresql, or set ${TEST_DATABASE_URL_ENV}=postgres://… to use a server`)
  return { bin: program.path === undefined ? undefined : join(program.path, '..'), skip: program.skip }
}

let shared: Promise<TestDatabase> | undefined

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
  const server: PoolConfig = url !== undefined ? { connectionString: url } : startCluster(root)
  const name = `payall_test_${randomBytes(6).toString('hex')}`
  const admin = new Client(server)
  await admin.connect()
  try {
    await admin.query(`CREATE DATABASE ${name}`)
  } finally {
    await admin.end()
  }
  const config: PoolConfig = { ...server, database: name }
  if (url !== undefined) {
    root.teardown(async () => {
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
      await pool.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`)
      return pool
    },
  }
}

/** initdb and pg_ctl start a cluster in a temporary directory, as the postgres user when this process is root. */
function startCluster(root: Teardown): PoolConfig {
  const { bin, skip } = postgresPrograms()
  if (skip !== false || bin === undefined) throw new Error(`PostgreSQL is needed here: ${skip || 'initdb not found'}`)
  const directory = mkdtempSync(join(tmpdir(), 'payall-pg-'))
  const data = join(directory, 'data')
  const asRoot = process.getuid?.() === 0
  const run = (program: string, args: readonly string[]) => {
    const command = asRoot ? ['runuser', '-u', 'postgres', '--', join(bin, program), ...args] : [join(bin, program), ...args]
    execFileSync(command[0]!, command.slice(1), { stdio: ['ignore', 'ignore', 'pipe'] })
  }
  if (asRoot) {
    execFileSync('chown', ['postgres:postgres', directory])
    chmodSync(directory, 0o700)
  }
  // fsync off: a test cluster is thrown away; durability is PostgreSQL's, not what these tests check.
  run('initdb', ['-D', data, '-U', 'postgres', '-A', 'trust', '--no-sync', '-E', 'UTF8', '--no-instructions'])
  run('pg_ctl', ['start', '-D', data, '-w', '-s', '-l', join(directory, 'log'),
    '-o', `-c listen_addresses='' -k ${directory} -c fsync=off -c full_page_writes=off -c max_connections=200`])
  root.teardown(() => {
    try {
      run('pg_ctl', ['stop', '-D', data, '-m', 'immediate', '-s', '-w'])
    } finally {
      rmSync(directory, { recursive: true, force: true })
    }
  })
  return { host: directory, user: 'postgres', database: 'postgres' }
}
