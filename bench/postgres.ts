// The PostgreSQL server a bench runs on: PAYALL_BENCH_DATABASE_URL's, or else a throwaway local cluster with fsync on
// (hub/store/pg/local-cluster.ts) when initdb is installed; without either, the bench leaves its PostgreSQL figures
// out, saying so on stderr. The local cluster's processes can be read in /proc, so its CPU is measured too.

import { existsSync, readFileSync } from 'node:fs'
import type { PoolConfig } from 'pg'
import { initdbCandidates, startLocalCluster } from '../hub/store/pg/local-cluster'
import { processTreeCpu_us } from './process-cpu'

const BENCH_DATABASE_URL_ENV = 'PAYALL_BENCH_DATABASE_URL'

export interface BenchPostgres {
  /** Connection settings for pg, to the server's own database (to make and drop others). */
  readonly config: PoolConfig
  /** A postgres:// URL to the database `name` on the server, as a hub's --database-url takes it. */
  urlOf(name: string): string
  /** The CPU the server's processes have used so far, µs; undefined for a server elsewhere (PAYALL_BENCH_DATABASE_URL). */
  readonly cpu_us: (() => number) | undefined
  stop(): void
}

/** The server for `bench` (named in the message), or undefined, said on stderr, when there is none. */
export function postgresServer(bench: string): BenchPostgres | undefined {
  const url = process.env[BENCH_DATABASE_URL_ENV]
  if (url !== undefined) {
    return {
      config: { connectionString: url },
      urlOf: name => withDatabase(new URL(url), name),
      cpu_us: undefined,
      stop: () => undefined,
    }
  }
  const initdb = initdbCandidates().find(candidate => existsSync(candidate))
  if (initdb === undefined) {
    process.stderr.write(`${bench} bench: no PostgreSQL (install postgresql or set ${BENCH_DATABASE_URL_ENV}): its figures are left out\n`)
    return undefined
  }
  const cluster = startLocalCluster(initdb, { fsync: true })
  // The first line of postmaster.pid is the server's process; its backends are its children.
  const postmaster = Number(readFileSync(`${cluster.dataDir}/postmaster.pid`, 'utf8').split('\n')[0])
  const socket = new URL(`postgresql://${cluster.config.user}@localhost/`)
  socket.searchParams.set('host', cluster.config.host)
  return {
    config: { ...cluster.config },
    urlOf: name => withDatabase(socket, name),
    cpu_us: () => processTreeCpu_us(postmaster),
    stop: () => cluster.stop(),
  }
}

function withDatabase(server: URL, name: string): string {
  const url = new URL(server)
  url.pathname = `/${name}`
  return url.toString()
}
