// A throwaway PostgreSQL cluster on this machine, for the tests and the bench: initdb and pg_ctl (Debian's postgresql
// package) in a temporary directory, as the postgres user when this process is root, listening only on a Unix socket
// in that directory, so it takes no port and nothing outside the directory can reach it. Stopped and removed by stop().

import { execFileSync } from 'node:child_process'
import { chmodSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'

const DEBIAN_ROOT = '/usr/lib/postgresql'

/** Where initdb may be: Debian's versioned directories, newest first, then the usual bin directories. */
export function initdbCandidates(): string[] {
  const versions = existsSync(DEBIAN_ROOT)
    ? readdirSync(DEBIAN_ROOT).filter(name => /^\d+$/.test(name)).sort((a, b) => Number(b) - Number(a))
    : []
  return [...versions.map(version => join(DEBIAN_ROOT, version, 'bin', 'initdb')), '/usr/local/bin/initdb', '/usr/bin/initdb']
}

export interface LocalCluster {
  /** Connection settings for pg: the socket directory as host, the postgres superuser, its database. */
  readonly config: { readonly host: string; readonly user: string; readonly database: string }
  /** The cluster's data directory: its postmaster.pid names the server's process, for the bench's CPU figures. */
  readonly dataDir: string
  stop(): void
}

export interface LocalClusterOptions {
  /** fsync off, for tests: a thrown-away cluster need not survive a power cut. The bench keeps it on. */
  readonly fsync: boolean
}

/** Starts a cluster with the initdb at `initdbPath` (and pg_ctl beside it); seconds, not minutes. */
export function startLocalCluster(initdbPath: string, options: LocalClusterOptions): LocalCluster {
  const bin = dirname(initdbPath)
  const directory = mkdtempSync(join(tmpdir(), 'payall-pg-'))
  const data = join(directory, 'data')
  const asRoot = process.getuid?.() === 0
  const run = (program: string, args: readonly string[]) => {
    const command = asRoot ? ['runuser', '-u', 'postgres', '--', join(bin, program), ...args] : [join(bin, program), ...args]
    execFileSync(command[0]!, command.slice(1), { stdio: ['ignore', 'ignore', 'pipe'] })
  }
  try {
    if (asRoot) {
      execFileSync('chown', ['postgres:postgres', directory])
      chmodSync(directory, 0o700)
    }
    run('initdb', ['-D', data, '-U', 'postgres', '-A', 'trust', '--no-sync', '-E', 'UTF8', '--no-instructions'])
    const settings = [`-c listen_addresses='' -k ${directory} -c max_connections=200`]
    if (!options.fsync) settings.push('-c fsync=off -c full_page_writes=off')
    run('pg_ctl', ['start', '-D', data, '-w', '-s', '-l', join(directory, 'log'), '-o', settings.join(' ')])
  } catch (error) {
    rmSync(directory, { recursive: true, force: true })
    throw error
  }
  return {
    config: { host: directory, user: 'postgres', database: 'postgres' },
    dataDir: data,
    stop() {
      try {
        run('pg_ctl', ['stop', '-D', data, '-m', 'immediate', '-s', '-w'])
      } finally {
        rmSync(directory, { recursive: true, force: true })
      }
    },
  }
}
