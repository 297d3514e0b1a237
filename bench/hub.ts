// Hub throughput end to end: signed record batches published over MQTT by load clients (one per
// gateway, in a child process as a fleet is elsewhere), verified, settled durably in SQLite and acked
// with a hub signature, against one core's raw node:crypto Ed25519 verify rate measured in the same
// run, after a warm-up load that is not measured. The hub's main-thread CPU per record is measured too: what
// settlement costs besides verifying.

import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fork, type ChildProcess } from 'node:child_process'
import { toBase64, toHex } from '../protocol/bytes'
import type { Clock, RandomBytes } from '../protocol/clock'
import { BATCH_RECORDS_MAX } from '../protocol/messages/record-batch'
import { nodeEd25519 } from '../protocol/signature/node'
import { measureVerifyRate } from '../protocol/signature/verify-rate'
import { parseConfig } from '../hub/config'
import { startHub } from '../hub/server'
import { UserStore } from '../hub/users/store'
import { SimulatedGatewayChain } from '../simulator/gateway-chain'
import { customerWithVoucher, HubApi, provisionGateway } from '../simulator/hub-api'
import type { LoadGateway, LoadMessage, LoadRequest } from './hub-load-child'
import { round, type Metric } from './metric'

const BATCH_RECORDS = BATCH_RECORDS_MAX
const CURRENCY = 'XOF'
const OPERATOR = { email: 'bench@payall.example', password: 'bench operator password 1' }

/** The fleet a run loads the hub with. */
export interface Shape {
  readonly gateways: number
  /** Customers with a voucher each; customer c pays at gateways c, c + customers, … in turn (records of a voucher reach the hub from several gateways). */
  readonly customers: number
  readonly records: number
  /**
   * Records settled before the measured load, from as many other gateways: a hub runs for months, and what the bench
   * measures is its steady state, its code compiled by V8 and its tables not empty, not its first second.
   */
  readonly warmUpRecords?: number
  /**
   * The measured payments take each voucher's lower seqs and the warm-up's the higher ones: every measured record
   * arrives below the highest seq known under its voucher (its customer paid at another gateway that synced first).
   */
  readonly measuredArriveLate?: boolean
}

/** A few busy gateways: the settle rate against the verify rate. */
const BUSY: Shape = { gateways: 4, customers: 40, records: 20_000, warmUpRecords: 10_000 }
/** A thousand gateways connected at once, twenty records each. */
const FLEET: Shape = { gateways: 1000, customers: 40, records: 20_000 }
/** The busy gateways' records arriving after 30,000 later ones of the same vouchers (750 per voucher) settled. */
const LATE: Shape = { ...BUSY, warmUpRecords: 30_000, measuredArriveLate: true }

interface LoadRun {
  readonly settledPerSecond: number
  readonly verifyRate: number
  readonly mainThreadCpu_ns: number
  /** Every thread of the hub's process over the load: the main thread, the verify workers, SQLite's checkpoints, GC. */
  readonly hubProcessCpu_us: number
  /** The load process (the gateways' MQTT clients), which shares the machine's cores with the hub here. */
  readonly loadProcessCpu_us: number
  /** The bench process's resident memory (the hub's, and the records it will be sent): before the gateways connect, once every one is connected, and at the load's end. */
  readonly rssBeforeConnect_bytes: number
  readonly rssConnected_bytes: number
  readonly rssAfterLoad_bytes: number
}

export async function benchHub(): Promise<Metric[]> {
  const run = await loadHub(BUSY)
  return [
    { name: 'hub_records_settled', value: BUSY.records, unit: 'records' },
    { name: 'hub_settled_per_s_end_to_end', value: Math.round(run.settledPerSecond), unit: 'records/s' },
    { name: 'hub_ed25519_verify_node_per_s_one_core_same_run', value: Math.round(run.verifyRate), unit: 'verifications/s' },
    { name: 'hub_settled_to_verify_ratio', value: round(run.settledPerSecond / run.verifyRate, 3), unit: 'ratio' },
    // The hub's main thread over the load, per record; the verify workers are not in it.
    { name: 'hub_main_thread_cpu_per_record', value: round(run.mainThreadCpu_ns / 1000 / BUSY.records, 1), unit: 'µs' },
    { name: 'hub_process_cpu_per_record', value: round(run.hubProcessCpu_us / BUSY.records, 1), unit: 'µs' },
    { name: 'hub_load_clients_cpu_per_record', value: round(run.loadProcessCpu_us / BUSY.records, 1), unit: 'µs' },
  ]
}

/**
 * `npm run bench -- late`: the busy gateways' records, each below the highest seq known under its voucher (750
 * payments each), so every batch decides against what is known around its seqs. Without that read's bound, it read
 * each voucher's whole history per batch.
 */
export async function benchLate(): Promise<Metric[]> {
  const run = await loadHub(LATE)
  return [
    { name: 'late_settled_per_s_end_to_end', value: Math.round(run.settledPerSecond), unit: 'records/s' },
    { name: 'late_settled_to_verify_ratio', value: round(run.settledPerSecond / run.verifyRate, 3), unit: 'ratio' },
    { name: 'late_main_thread_cpu_per_record', value: round(run.mainThreadCpu_ns / 1000 / LATE.records, 1), unit: 'µs' },
    { name: 'late_process_cpu_per_record', value: round(run.hubProcessCpu_us / LATE.records, 1), unit: 'µs' },
  ]
}

/** `npm run bench -- fleet`: the hub with 1,000 gateways connected, their records arriving at once. */
export async function benchFleet(): Promise<Metric[]> {
  const run = await loadHub(FLEET)
  const mib = (bytes: number): number => round(bytes / 2 ** 20, 0)
  return [
    { name: 'fleet_gateways_connected', value: FLEET.gateways, unit: 'gateways' },
    { name: 'fleet_hub_rss_before_connect_mib', value: mib(run.rssBeforeConnect_bytes), unit: 'MiB' },
    { name: 'fleet_hub_rss_connected_mib', value: mib(run.rssConnected_bytes), unit: 'MiB' },
    { name: 'fleet_hub_rss_after_load_mib', value: mib(run.rssAfterLoad_bytes), unit: 'MiB' },
    { name: 'fleet_settled_per_s_end_to_end', value: Math.round(run.settledPerSecond), unit: 'records/s' },
    { name: 'fleet_settled_to_verify_ratio', value: round(run.settledPerSecond / run.verifyRate, 3), unit: 'ratio' },
    { name: 'fleet_main_thread_cpu_per_record', value: round(run.mainThreadCpu_ns / 1000 / FLEET.records, 1), unit: 'µs' },
  ]
}

async function loadHub(shape: Shape): Promise<LoadRun> {
  const dataDir = mkdtempSync(join(tmpdir(), 'payall-bench-hub-'))
  const hub = await startHub({
    ...parseConfig([], { PAYALL_OPERATOR_EMAIL: OPERATOR.email, PAYALL_OPERATOR_PASSWORD: OPERATOR.password }),
    dataDir, httpHost: '127.0.0.1', httpPort: 0, mqttHost: '127.0.0.1', mqttPort: 0, logLevel: 'silent',
  })
  const load = fork(join(__dirname, 'hub-load-child.js'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  const messages = loadMessages(load)
  try {
    const operator = await new HubApi(hub.httpUrl).as(OPERATOR.email, OPERATOR.password)
    const warmUpGateways = (shape.warmUpRecords ?? 0) > 0 ? shape.gateways : 0
    const provisioned = await provisionChains(hub, operator, shape.gateways + warmUpGateways)
    const [chains, warmUpChains] = [provisioned.slice(0, shape.gateways), provisioned.slice(shape.gateways)]
    await payAtEachGateway(operator, chains, hub.context, shape, warmUpChains)
    const gateways: LoadGateway[] = provisioned.map((chain, g) => ({
      eui: chain.eui, secretKeyHex: toHex(chain.keys.secretKey), batches: batchesOf(chain).map(toBase64), warmUp: g >= shape.gateways,
    }))
    const rssBeforeConnect_bytes = process.memoryUsage().rss
    load.send({ kind: 'connect', mqttUrl: hub.mqttUrl!, gateways } satisfies LoadRequest)
    await messages.next('connected')
    const rssConnected_bytes = process.memoryUsage().rss
    if (warmUpGateways > 0) {
      load.send({ kind: 'warm-up' } satisfies LoadRequest)
      const warmed = await messages.next('warmed')
      if (warmed.kind !== 'warmed' || warmed.settled !== shape.warmUpRecords) throw new Error('the warm-up did not settle all its records')
    }

    // Measured in the same run, on the same machine state, just before the load.
    const verifyRate = measureVerifyRate(nodeEd25519, 2000)

    const cpuBefore_ns = threadCpu_ns()
    const processCpuBefore = process.cpuUsage()
    load.send({ kind: 'publish' } satisfies LoadRequest)
    const acked = await messages.next('acked')
    const mainThreadCpu_ns = threadCpu_ns() - cpuBefore_ns
    const processCpu = process.cpuUsage(processCpuBefore)
    if (acked.kind !== 'acked') throw new Error('the load process did not report its acks')
    const rssAfterLoad_bytes = process.memoryUsage().rss
    if (acked.settled !== shape.records) throw new Error(`only ${acked.settled} of ${shape.records} records settled`)
    const verification = await operator.ok('GET', '/ledger/verify')
    if (verification.ok !== true) throw new Error('ledger invariants broken after the load')
    return {
      settledPerSecond: shape.records / (acked.elapsed_ms / 1000), verifyRate, mainThreadCpu_ns,
      hubProcessCpu_us: processCpu.user + processCpu.system, loadProcessCpu_us: acked.cpu_us, rssBeforeConnect_bytes, rssConnected_bytes,
      rssAfterLoad_bytes,
    }
  } finally {
    load.kill()
    await hub.stop()
    rmSync(dataDir, { recursive: true, force: true })
  }
}

type RunningHub = Awaited<ReturnType<typeof startHub>>

/** One owner and one provisioned gateway chain per gateway of the bench. */
async function provisionChains(hub: RunningHub, operator: HubApi, gateways: number): Promise<SimulatedGatewayChain[]> {
  const users = new UserStore(hub.context.engine)
  const chains: SimulatedGatewayChain[] = []
  for (let g = 0; g < gateways; g++) {
    const ownerId = `bench-owner-${g}`
    await users.insert({
      id: ownerId, email: `owner${g}@bench.example`, emailVerifiedAtMs: null, fullName: 'Bench Owner', roles: ['owner', 'customer'],
      passwordHash: 'unused', createdAtMs: hub.context.clock.now_ms(),
    })
    const eui = `70B3D57EBE00${g.toString(16).padStart(4, '0').toUpperCase()}`
    const gateway = await provisionGateway(operator, eui, ownerId)
    chains.push(new SimulatedGatewayChain(eui, gateway.keys))
  }
  return chains
}

/**
 * The customers pay at the gateways in turn, every record valid: customer c at gateways c, c + customers, …, so with
 * more gateways than customers a voucher's records reach the hub from several gateways, in any order. Made with the
 * hub's own clock and randomness (the system's here), as the records it checks are. The warm-up's gateways, if any,
 * take the shape's warm-up records from the same customers.
 */
export async function payAtEachGateway(
  operator: HubApi, chains: readonly SimulatedGatewayChain[], context: { clock: Clock; random: RandomBytes }, shape: Shape,
  warmUpChains: readonly SimulatedGatewayChain[] = [],
): Promise<void> {
  const customers: Customer[] = []
  for (let c = 0; c < shape.customers; c++) {
    customers.push(await customerWithVoucher(operator, `c${c}@bench.example`, CURRENCY, '100000000', '10000000'))
  }
  // The payments made first take the lower seqs of each voucher: the warm-up's, unless the measured ones arrive late.
  const warmUp = (): void => appendPayments(warmUpChains, customers, (shape.warmUpRecords ?? 0) / warmUpChains.length, context)
  if (shape.measuredArriveLate !== true) warmUp()
  appendPayments(chains, customers, shape.records / chains.length, context)
  if (shape.measuredArriveLate === true) warmUp()
}

type Customer = Awaited<ReturnType<typeof customerWithVoucher>>

function appendPayments(
  chains: readonly SimulatedGatewayChain[], customers: readonly Customer[], perGateway: number, { clock, random }: { clock: Clock; random: RandomBytes },
): void {
  for (const [g, chain] of chains.entries()) {
    for (let i = 0; i < perGateway; i++) {
      const customer = customers[(g + i * chains.length) % customers.length]!
      chain.append(customer.phone.authorize({
        gatewayEui: chain.eui, amountMinor: 100 + (i % 50), currency: CURRENCY, nonce: random(16),
        timeMs: clock.now_ms(), merchantName: 'Bench',
      }).authorization)
    }
  }
}

/** A chain's records as encoded batches of at most BATCH_RECORDS, in order. */
export function batchesOf(chain: SimulatedGatewayChain): Uint8Array[] {
  const encoded: Uint8Array[] = []
  for (let from = 1; from <= chain.position.gatewaySeq; from += BATCH_RECORDS) {
    encoded.push(chain.batch(from, Math.min(chain.position.gatewaySeq, from + BATCH_RECORDS - 1)))
  }
  return encoded
}

/**
 * The nanoseconds the calling thread has run on a CPU: /proc/thread-self/schedstat's first field.
 * process.cpuUsage would count every thread, the verify workers' too; called from the main thread,
 * this is the main thread's alone.
 */
function threadCpu_ns(): number {
  const first = readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ')[0]
  const ns = Number(first)
  if (!Number.isSafeInteger(ns)) throw new Error('no /proc/thread-self/schedstat: the main thread\'s CPU is measured on Linux')
  return ns
}

/** The answers of the load process, awaited by kind. */
export function loadMessages(child: ChildProcess) {
  const received: LoadMessage[] = []
  const waiting: Array<() => void> = []
  let exited: Error | undefined
  child.on('message', (message: LoadMessage) => {
    received.push(message)
    for (const wake of waiting.splice(0)) wake()
  })
  child.on('exit', code => {
    exited = new Error(`the load process exited (${code})`)
    for (const wake of waiting.splice(0)) wake()
  })
  return {
    async next(kind: LoadMessage['kind']): Promise<LoadMessage> {
      for (;;) {
        const failed = received.find(message => message.kind === 'failed')
        if (failed?.kind === 'failed') throw new Error(`the load process failed: ${failed.error}`)
        const index = received.findIndex(message => message.kind === kind)
        if (index >= 0) return received.splice(index, 1)[0]!
        if (exited !== undefined) throw exited
        await new Promise<void>(resolve => waiting.push(resolve))
      }
    },
  }
}
