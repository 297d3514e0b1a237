// `npm run bench -- cluster`: settled records/s through hubs run as a deployment runs them (hub/cluster/cluster.ts: a
// Mosquitto set up by payall-hub broker-setup, hub processes logged in to it, gateways logged in with the passwords
// their provisioning gave them), with one hub on SQLite, then 1, 2 and 3 hubs on one PostgreSQL database (a fresh
// one each time), under the same load (bench/hub-load-child.ts). Beside each rate, the CPU per record of the hubs,
// PostgreSQL (a local server), the broker and the load clients, and how many cores they kept busy together: on a
// small machine the hubs share the cores with everything else, and that says where it saturates.

import { fork } from 'node:child_process'
import { join } from 'node:path'
import { Client } from 'pg'
import { toBase64, toHex } from '../protocol/bytes'
import { systemClock, systemRandom } from '../protocol/clock'
import { nodeEd25519 } from '../protocol/signature/node'
import { ClusterError, startCluster, type RunningCluster } from '../hub/cluster/cluster'
import { freePort } from '../simulator/anvil'
import { SimulatedGatewayChain } from '../simulator/gateway-chain'
import { HubApi, provisionWithToken, signUpVouched, type ProvisionedGateway } from '../simulator/hub-api'
import { batchesOf, loadMessages, payAtEachGateway, type Shape } from './hub'
import type { LoadGateway, LoadRequest } from './hub-load-child'
import { round, type Metric } from './metric'
import { postgresServer, type BenchPostgres } from './postgres'
import { processCpu_us } from './process-cpu'

/** The same load every run: small enough that the four runs and their setup take a few minutes on 2 cores. */
const SHAPE: Shape = { gateways: 4, customers: 40, records: 10_000 }
const PG_HUB_COUNTS = [1, 2, 3] as const
const OPERATOR = { email: 'bench@payall.example', password: 'bench operator password 1' }
/** Tries at a base port with the cluster's ports free, against other programs taking ports meanwhile. */
const START_ATTEMPTS_MAX = 5

/** Where the cores went over one run's load, µs in all; postgres undefined when the server is not on this machine. */
interface LoadCpu {
  readonly hubs_us: number
  readonly postgres_us: number | undefined
  readonly broker_us: number
  readonly loadClients_us: number
}

interface ClusterRun {
  readonly settledPerSecond: number
  readonly elapsed_ms: number
  readonly cpu: LoadCpu
  /** PostgreSQL transactions rolled back over the load (a hub's retry after losing a race to another, among them); undefined on SQLite. */
  readonly rolledBack: number | undefined
}

/** A run as its load left it, before the hubs stop: the rolled-back transactions counted so far. */
type LoadedRun = Omit<ClusterRun, 'rolledBack'> & { readonly rolledBackBefore: number | undefined }

/** A run's own database on the bench's server. */
interface RunDatabase {
  readonly server: BenchPostgres
  readonly name: string
}

export async function benchCluster(): Promise<Metric[]> {
  const sqlite = await loadCluster(1, undefined)
  const metrics: Metric[] = [
    { name: 'cluster_records_per_run', value: SHAPE.records, unit: 'records' },
    ...runMetrics('sqlite_1_hub', sqlite),
  ]
  const postgres = postgresServer('cluster')
  if (postgres === undefined) return metrics
  try {
    for (const hubs of PG_HUB_COUNTS) {
      const label = `pg_${hubs}_${hubs === 1 ? 'hub' : 'hubs'}`
      const run = await loadCluster(hubs, { server: postgres, name: `bench_cluster_${process.pid}_${hubs}` })
      metrics.push(
        ...runMetrics(label, run),
        { name: `cluster_${label}_transactions_rolled_back`, value: run.rolledBack!, unit: 'transactions' },
        { name: `cluster_${label}_to_sqlite_ratio`, value: round(run.settledPerSecond / sqlite.settledPerSecond, 2), unit: 'ratio' },
      )
    }
  } finally {
    postgres.stop()
  }
  return metrics
}

function runMetrics(label: string, run: ClusterRun): Metric[] {
  const perRecord = (cpu_us: number): number => round(cpu_us / SHAPE.records, 1)
  const { hubs_us, postgres_us, broker_us, loadClients_us } = run.cpu
  const total_us = hubs_us + (postgres_us ?? 0) + broker_us + loadClients_us
  return [
    { name: `cluster_${label}_settled_per_s`, value: Math.round(run.settledPerSecond), unit: 'records/s' },
    // Every thread of every hub process: ingest, the verify workers, the store's driver, GC.
    { name: `cluster_${label}_hubs_cpu_per_record`, value: perRecord(hubs_us), unit: 'µs' },
    ...(postgres_us === undefined ? [] : [{ name: `cluster_${label}_postgres_cpu_per_record`, value: perRecord(postgres_us), unit: 'µs' }]),
    { name: `cluster_${label}_broker_cpu_per_record`, value: perRecord(broker_us), unit: 'µs' },
    { name: `cluster_${label}_load_clients_cpu_per_record`, value: perRecord(loadClients_us), unit: 'µs' },
    // All of the above over the load's wall time: near the machine's core count, the cores are what limits the rate.
    { name: `cluster_${label}_cores_busy`, value: round(total_us / 1000 / run.elapsed_ms, 2), unit: 'cores' },
  ]
}

/**
 * One run: the cluster started (on a fresh PostgreSQL database, or one hub on SQLite), provisioned through REST,
 * loaded, checked (every record acked settled, the ledger verifies) and stopped.
 */
async function loadCluster(hubs: number, database: RunDatabase | undefined): Promise<ClusterRun> {
  if (database !== undefined) await onServer(database.server, `CREATE DATABASE ${database.name}`)
  try {
    const cluster = await startOnFreePorts(hubs, database?.server.urlOf(database.name))
    let run: LoadedRun
    try {
      run = await loadRunning(cluster, database)
    } finally {
      await cluster.stop()
    }
    // Read once the hubs have ended: a backend reports its counts to pg_stat_database at the latest when it ends.
    const rolledBack = database === undefined ? undefined : await rolledBackIn(database) - run.rolledBackBefore!
    return { settledPerSecond: run.settledPerSecond, elapsed_ms: run.elapsed_ms, cpu: run.cpu, rolledBack }
  } finally {
    if (database !== undefined) await onServer(database.server, `DROP DATABASE IF EXISTS ${database.name} WITH (FORCE)`)
  }
}

async function loadRunning(cluster: RunningCluster, database: RunDatabase | undefined): Promise<LoadedRun> {
  const operator = await new HubApi(cluster.hubs[0]!.httpUrl).as(OPERATOR.email, OPERATOR.password)
  const gateways = await provisionGateways(operator, SHAPE.gateways)
  const chains = gateways.map(gateway => new SimulatedGatewayChain(gateway.eui, gateway.keys))
  await payAtEachGateway(operator, chains, { clock: systemClock, random: systemRandom }, SHAPE)
  const load = fork(join(__dirname, 'hub-load-child.js'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  try {
    const messages = loadMessages(load)
    const loadGateways: LoadGateway[] = gateways.map((gateway, g) => ({
      eui: gateway.eui, secretKeyHex: toHex(gateway.keys.secretKey), brokerPassword: brokerPasswordOf(gateway),
      batches: batchesOf(chains[g]!).map(toBase64),
    }))
    load.send({ kind: 'connect', mqttUrl: cluster.brokerUrl, gateways: loadGateways } satisfies LoadRequest)
    await messages.next('connected')
    const cpuOf = (): Omit<LoadCpu, 'loadClients_us'> => ({
      hubs_us: cluster.hubs.reduce((sum, hub) => sum + processCpu_us(hub.pid), 0),
      postgres_us: database?.server.cpu_us?.(),
      broker_us: processCpu_us(cluster.broker.pid),
    })
    // Counts of the setup a backend has not reported yet land in the load's: the setup, one request at a time, rolls none back.
    const rolledBackBefore = database === undefined ? undefined : await rolledBackIn(database)
    const before = cpuOf()
    load.send({ kind: 'publish' } satisfies LoadRequest)
    const acked = await messages.next('acked')
    const after = cpuOf()
    if (acked.kind !== 'acked') throw new Error('the load process did not report its acks')
    if (acked.settled !== SHAPE.records) throw new Error(`only ${acked.settled} of ${SHAPE.records} records settled`)
    const verification = await operator.ok('GET', '/ledger/verify')
    if (verification.ok !== true) throw new Error('ledger invariants broken after the load')
    return {
      settledPerSecond: SHAPE.records / (acked.elapsed_ms / 1000),
      elapsed_ms: acked.elapsed_ms,
      cpu: {
        hubs_us: after.hubs_us - before.hubs_us,
        postgres_us: after.postgres_us === undefined ? undefined : after.postgres_us - before.postgres_us!,
        broker_us: after.broker_us - before.broker_us,
        loadClients_us: acked.cpu_us,
      },
      rolledBackBefore,
    }
  } finally {
    load.kill()
  }
}

/** The cluster on a base port of a free port, tried again if one of the ports after it was taken. */
async function startOnFreePorts(hubs: number, databaseUrl: string | undefined): Promise<RunningCluster> {
  for (let attempt = 1; attempt <= START_ATTEMPTS_MAX; attempt++) {
    const basePort = await freePort()
    if (basePort + hubs > 65_535) continue
    try {
      return await startCluster({
        hubs, basePort, ...(databaseUrl === undefined ? {} : { databaseUrl }),
        hubEnv: { PAYALL_OPERATOR_EMAIL: OPERATOR.email, PAYALL_OPERATOR_PASSWORD: OPERATOR.password, PAYALL_LOG_LEVEL: 'warn' },
      })
    } catch (error) {
      if (!(error instanceof ClusterError && error.code === 'PORT_TAKEN')) throw error
    }
  }
  throw new Error(`no ${hubs + 1} free ports in a row for the cluster in ${START_ATTEMPTS_MAX} tries`)
}

/** One owner, signed up through REST, given the gateways in one bulk request; each gateway provisions itself. */
async function provisionGateways(operator: HubApi, count: number): Promise<ProvisionedGateway[]> {
  const ownerUserId = await signUpVouched(operator, { fullName: 'Bench Owner', email: 'owner@bench.example', password: 'bench owner password 1' })
  const items = Array.from({ length: count }, (_, g) => ({
    name: `Bench counter ${g + 1}`, type: 'pi-nfc', eui: `70B3D57EBE00${g.toString(16).padStart(4, '0').toUpperCase()}`, price: '25000',
  }))
  const { gateways } = await operator.ok('POST', '/admin/bulk/gateways', { idempotencyKey: 'bench-cluster-gateways', ownerUserId, items })
  const provisioned: ProvisionedGateway[] = []
  for (const { gatewayId, eui, token } of gateways as Array<{ gatewayId: string; eui: string; token: string }>) {
    provisioned.push(await provisionWithToken(operator.baseUrl, { id: gatewayId, eui, token }, nodeEd25519.keyPairFromSeed(systemRandom(32))))
  }
  return provisioned
}

function brokerPasswordOf(gateway: ProvisionedGateway): string {
  if (gateway.mqttPassword === undefined) throw new Error(`the provisioning reply for ${gateway.eui} gave no broker password: the hub does not keep the broker's logins`)
  return gateway.mqttPassword
}

/** The transactions rolled back in the database so far, as its backends have reported them. */
async function rolledBackIn(database: RunDatabase): Promise<number> {
  const rows = await onServer(database.server, 'SELECT xact_rollback::text AS n FROM pg_stat_database WHERE datname = $1', [database.name])
  return Number((rows[0] as { n: string }).n)
}

async function onServer(server: BenchPostgres, sql: string, values: unknown[] = []): Promise<unknown[]> {
  const client = new Client(server.config)
  await client.connect()
  try {
    return (await client.query(sql, values)).rows
  } finally {
    await client.end()
  }
}
