// The gateway as a product (issue 20): what a payment costs the SD card, how long a cold start takes
// to be ready, and a whole tap through the PN532 at its real line speed (bench/tap.ts).
// - Storage: bytes written per payment, from /proc/self/io of a child process making payments
//   through the real flow into a fresh store (WAL, synchronous=FULL), checkpoints included.
//   write_bytes is what the kernel sent (or will send) to the block device for this process; wchar,
//   what it handed to write(2) (SQLite's WAL frames, before the page cache merges them).
// - Cold start: from forking a terminal process to its link being up to a local hub (node started,
//   the key file read, the store opened and migrated, the runtime started, MQTT connected and
//   subscribed). Goal: at most 3 s.

import { execFileSync, fork, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { TERMINAL_NODE_FLAGS } from '../terminal/node-flags'
import { enrollTerminals } from '../simulator/fleet/enroll'
import { startEmbeddedHub } from '../simulator/fleet/hub'
import { SeededRandom } from '../simulator/fleet/seeded-random'
import { round, type Metric } from './metric'
import type { StorageReport } from './storage-child'
import { benchTap } from './tap'
import type { ChildRequest } from './terminal-child'
import { childMessages } from './terminal'

const STORAGE_PAYMENTS = 500
const COLD_STARTS = 3
const COLD_START_GOAL_MS = 3_000

export async function benchGateway(): Promise<Metric[]> {
  const workDir = mkdtempSync(join(tmpdir(), 'payall-bench-gateway-'))
  try {
    // The tap first, before this process holds a hub: run after one, a pause past the driver's 50 ms ACK wait
    // declined a tap in some runs (a hub's leftovers, not the terminal's own behaviour).
    const tap = await benchTap()
    return [...storagePerPayment(join(workDir, 'storage')), ...await coldStart(join(workDir, 'cold')), ...tap]
  } finally {
    rmSync(workDir, { recursive: true, force: true })
  }
}

function storagePerPayment(dataDir: string): Metric[] {
  const output = execFileSync(process.execPath, [...TERMINAL_NODE_FLAGS, join(__dirname, 'storage-child.js'), dataDir, String(STORAGE_PAYMENTS)], { encoding: 'utf8' })
  const report = JSON.parse(output) as StorageReport
  if (report.delta.write_bytes === 0) {
    // Some filesystems (tmpfs, some overlays) never send anything to a block device: then only wchar says anything.
    process.stderr.write('storage bench: write_bytes stayed 0 on this filesystem; wchar is the figure to read\n')
  }
  return [
    { name: 'gateway_storage_payments_measured', value: report.payments, unit: 'payments' },
    { name: 'gateway_storage_write_bytes_per_payment', value: Math.round(report.delta.write_bytes / report.payments), unit: 'B' },
    { name: 'gateway_storage_wchar_per_payment', value: Math.round(report.delta.wchar / report.payments), unit: 'B' },
    { name: 'gateway_storage_write_calls_per_payment', value: round(report.delta.syscw / report.payments, 1), unit: 'calls' },
  ]
}

async function coldStart(workDir: string): Promise<Metric[]> {
  const hub = await startEmbeddedHub(join(workDir, 'hub'), {})
  let child: ChildProcess | undefined
  try {
    const random = new SeededRandom('bench-cold-start')
    const [terminal] = await enrollTerminals(hub.operator, 1, join(workDir, 'terminals'), random.fork('identities'), { tag: '' }, () => random.fork('nonces'))
    const brokerUrl = terminal!.store.mqttSettings()!.url
    await terminal!.shutDown()
    const startsMs: number[] = []
    for (let start = 0; start < COLD_STARTS; start++) {
      const forked_ms = performance.now()
      child = fork(join(__dirname, 'terminal-child.js'), [terminal!.dataDir, brokerUrl], {
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv: [...TERMINAL_NODE_FLAGS],
      })
      await childMessages(child).next('online')
      startsMs.push(performance.now() - forked_ms)
      const exited = new Promise(resolve => child!.once('exit', resolve))
      child.send({ kind: 'stop' } satisfies ChildRequest)
      await exited
    }
    startsMs.sort((a, b) => a - b)
    return [
      { name: 'gateway_cold_start_to_ready_median', value: Math.round(startsMs[Math.floor(COLD_STARTS / 2)]!), unit: 'ms' },
      { name: 'gateway_cold_start_to_ready_max', value: Math.round(startsMs[COLD_STARTS - 1]!), unit: 'ms' },
      { name: 'gateway_cold_start_goal', value: COLD_START_GOAL_MS, unit: 'ms' },
    ]
  } finally {
    if (child !== undefined && child.exitCode === null) child.kill('SIGKILL')
    await hub.stop()
  }
}
