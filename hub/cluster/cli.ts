#!/usr/bin/env node
// `npm run cluster`: a cluster of hubs on this machine, in the foreground (cluster.ts). It prints one line per hub
// once the hub answers, then `cluster ready`; SIGINT or SIGTERM stops it all (exit 0). A hub or the broker that ends
// by itself is reported and stops it all (exit 1); a bad option, a port in use or a setup it will not overwrite
// exits 2 with one line, `payall-cluster: CODE: message`.

import { parseArgs } from 'node:util'
import { errorText } from '../../protocol/errors'
import { BrokerSetupError } from '../mqtt/broker-setup'
import { CLUSTER_BASE_PORT_DEFAULT, CLUSTER_HUBS_MAX, ClusterError, startCluster, type ClusterEvent, type ClusterOptions, type RunningCluster } from './cluster'

const PROGRAM = 'payall-cluster'

const USAGE = `Usage: npm run cluster -- --hubs N --database-url postgres://… [--base-port ${CLUSTER_BASE_PORT_DEFAULT}] [--dir DIR]

Starts, in the foreground, a Mosquitto set up as payall-hub broker-setup makes it (no anonymous client, the
hub keeps the gateways' logins) on --base-port, and N hubs (1 to ${CLUSTER_HUBS_MAX}) on it and on the PostgreSQL
database, hub K serving HTTP on --base-port + K. The hubs share one keys folder; hub 1 starts first and makes the
operator account (PAYALL_OPERATOR_EMAIL and PAYALL_OPERATOR_PASSWORD if set, else a generated password, shown once).
--dir keeps the work folder (the broker setup, each hub's data folder, the logs); without it a temporary one is
removed when the cluster stops. PAYALL_DATABASE_URL stands for --database-url; other PAYALL_* variables reach the hubs.
SIGINT or SIGTERM stops the hubs, then the broker.
`

export interface ClusterCliIo {
  stdout: { write(text: string): unknown }
  stderr: { write(text: string): unknown }
  /** Resolves, with a reason, once the cluster should stop: by default on SIGINT or SIGTERM. */
  readonly stopRequested: Promise<string>
}

export async function main(argv: readonly string[], env: NodeJS.ProcessEnv, io: ClusterCliIo): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    io.stdout.write(USAGE)
    return 0
  }
  let options: ClusterOptions
  try {
    options = clusterOptions(argv, env)
  } catch (error) {
    if (!(error instanceof ClusterError)) throw error
    io.stderr.write(`${PROGRAM}: ${errorText(error)}\n`)
    return 2
  }
  const startCalledOff = new AbortController()
  let stopReason = ''
  void io.stopRequested.then(reason => {
    stopReason = reason
    startCalledOff.abort()
  })
  let cluster: RunningCluster
  try {
    cluster = await startCluster({ ...options, env, signal: startCalledOff.signal, onEvent: event => io.stdout.write(eventLine(event)) })
  } catch (error) {
    if (error instanceof ClusterError && error.code === 'CLUSTER_START_ABORTED') {
      io.stdout.write(`${PROGRAM}: ${stopReason}, stopped before the cluster was ready\n`)
      return 0
    }
    if (!(error instanceof ClusterError || error instanceof BrokerSetupError)) throw error
    io.stderr.write(`${PROGRAM}: ${errorText(error)}\n`)
    return ['BAD_OPTION', 'PORT_TAKEN', 'BROKER_SETUP_EXISTS'].includes(error.code) ? 2 : 1
  }
  io.stdout.write('cluster ready\n')
  return runUntilStopped(cluster, io)
}

/** Waits for a stop request, or for a hub or the broker to end by itself; stops everything either way. */
async function runUntilStopped(cluster: RunningCluster, io: ClusterCliIo): Promise<number> {
  const ended = await Promise.race([
    io.stopRequested.then(reason => ({ stop: reason })),
    cluster.broker.exited.then(code => ({ failure: `the broker exited with code ${code}` })),
    ...cluster.hubs.map(hub => hub.exited.then(code => ({
      failure: hub.exitSignal() === null ? `hub ${hub.index} exited with code ${code}` : `hub ${hub.index} was ended by ${hub.exitSignal()}`,
    }))),
  ])
  if ('stop' in ended) io.stdout.write(`${PROGRAM}: ${ended.stop}, stopping…\n`)
  else io.stderr.write(`${ended.failure}\n${PROGRAM}: stopping the cluster\n`)
  await cluster.stop()
  io.stdout.write(`${PROGRAM}: stopped\n`)
  return 'stop' in ended ? 0 : 1
}

function eventLine(event: ClusterEvent): string {
  switch (event.kind) {
    case 'work-dir':
      return `work dir ${event.dir} (${event.temporary ? 'removed when the cluster stops' : 'kept'}): the logs are mosquitto.log and hub-K.log in it\n`
    case 'broker-ready':
      return `broker: ${event.url} pid ${event.pid}\n`
    case 'hub-ready':
      return `hub ${event.hub.index}: ${event.hub.httpUrl} pid ${event.hub.pid}\n`
    case 'operator-created':
      return event.password === undefined
        ? `operator: ${event.email}, with PAYALL_OPERATOR_PASSWORD\n`
        : `operator: ${event.email} password: ${event.password} (shown only this once: keep it in a password manager)\n`
  }
}

function clusterOptions(argv: readonly string[], env: NodeJS.ProcessEnv): ClusterOptions {
  let values
  try {
    ({ values } = parseArgs({
      args: [...argv], strict: true, allowPositionals: false,
      options: { 'hubs': { type: 'string' }, 'database-url': { type: 'string' }, 'base-port': { type: 'string' }, 'dir': { type: 'string' } },
    }))
  } catch (error) {
    throw new ClusterError('BAD_OPTION', (error as Error).message)
  }
  if (values.hubs === undefined) throw new ClusterError('MISSING_OPTION', '--hubs N is required: how many hubs to start')
  const databaseUrl = values['database-url'] ?? env.PAYALL_DATABASE_URL
  if (databaseUrl === undefined) throw new ClusterError('MISSING_OPTION', '--database-url postgres://… (or PAYALL_DATABASE_URL) is required')
  if (values.dir === '') throw new ClusterError('BAD_OPTION', '--dir must not be empty')
  return {
    hubs: wholeNumber(values.hubs, '--hubs'),
    databaseUrl,
    basePort: values['base-port'] === undefined ? undefined : wholeNumber(values['base-port'], '--base-port'),
    dir: values.dir,
  }
}

function wholeNumber(text: string, name: string): number {
  if (!/^\d{1,6}$/.test(text)) throw new ClusterError('BAD_OPTION', `${name} must be a whole number, got '${text}'`)
  return Number(text)
}

/**
 * Resolves on the first SIGINT or SIGTERM. Later ones are ignored rather than ending this process at once: the hubs
 * and the broker run in process groups of their own and would be left running, and the stop under way is bounded.
 */
function untilSignal(): Promise<string> {
  return new Promise(resolve => {
    const onSignal = (signal: NodeJS.Signals): void => resolve(signal)
    process.on('SIGINT', onSignal)
    process.on('SIGTERM', onSignal)
  })
}

if (require.main === module) {
  main(process.argv.slice(2), process.env, { stdout: process.stdout, stderr: process.stderr, stopRequested: untilSignal() }).then(
    code => {
      process.exitCode = code
    },
    (error: unknown) => {
      process.stderr.write(`${PROGRAM}: ${(error as Error).stack ?? String(error)}\n`)
      process.exitCode = 1
    },
  )
}
