// Terminal budgets (DESIGN "Budgets"): authorization received → durably approved (the record
// committed in SQLite, WAL, synchronous=FULL), p50 and p99 over offline payments through the real
// payment flow; 10,000 stored records synced to a real hub over loopback MQTT until all are acked;
// the RSS of a terminal runtime in its own process, idle with those records and after syncing them.

import { fork, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { systemClock } from '../protocol/clock'
import { NONCE_BYTES } from '../protocol/messages/fields'
import { PaymentMode } from '../protocol/messages/transfer-record'
import { paymentResponseCodec } from '../protocol/messages/payment-response'
import { paymentRequestCodec } from '../protocol/messages/payment-request'
import { TERMINAL_NODE_FLAGS } from '../terminal/node-flags'
import { TerminalStore } from '../terminal/store/store'
import type { SimulatedCustomer } from '../simulator/hub-api'
import { enrollCustomer, enrollTerminals } from '../simulator/fleet/enroll'
import { startEmbeddedHub } from '../simulator/fleet/hub'
import { SeededRandom } from '../simulator/fleet/seeded-random'
import { LinkProxy } from '../simulator/link-proxy'
import type { ChildMessage, ChildRequest } from './terminal-child'
import { round, type Metric } from './metric'

const APPROVALS = 2_000
const STORED_RECORDS = 10_000
const CUSTOMERS = 10
const AMOUNT_MINOR = 100
const LINK_TIMEOUT_MS = 30_000
const MB = 1024 * 1024

export async function benchTerminal(): Promise<Metric[]> {
  const workDir = mkdtempSync(join(tmpdir(), 'payall-bench-terminal-'))
  const hub = await startEmbeddedHub(join(workDir, 'hub'), {})
  let child: ChildProcess | undefined
  try {
    const random = new SeededRandom('bench-terminal')
    const { terminal, customers } = await enrollOfflineTerminal(hub, workDir, random)
    const latenciesMs = await measureApprovals(terminal, customers)
    const brokerUrl = terminal.store.mqttSettings()!.url
    await terminal.shutDown()
    fillStore(terminal, customers, random.fork('fill'))
    const sync = await measureSync(terminal.dataDir, brokerUrl, started => { child = started })

    const verification = await hub.operator.ok('GET', '/ledger/verify')
    if (verification.ok !== true) throw new Error('ledger invariants broken after the terminal bench')
    const { syncMs, idle, after, afterCollected } = sync
    return [
      { name: 'terminal_approvals_measured', value: APPROVALS, unit: 'payments' },
      { name: 'terminal_authorization_to_durable_approval_p50', value: round(percentile(latenciesMs, 0.5), 3), unit: 'ms' },
      { name: 'terminal_authorization_to_durable_approval_p99', value: round(percentile(latenciesMs, 0.99), 3), unit: 'ms' },
      { name: 'terminal_sync_10k_records_to_hub', value: round(syncMs / 1000, 3), unit: 's' },
      { name: 'terminal_rss_idle_with_10k_records', value: round(idle.rssBytes / MB, 1), unit: 'MB' },
      { name: 'terminal_rss_after_10k_sync', value: round(after.rssBytes / MB, 1), unit: 'MB' },
      { name: 'terminal_rss_after_10k_sync_and_gc', value: round(afterCollected.rssBytes / MB, 1), unit: 'MB' },
      { name: 'terminal_heap_used_idle', value: round(idle.heapUsedBytes / MB, 1), unit: 'MB' },
      { name: 'terminal_heap_used_after_10k_sync_and_gc', value: round(afterCollected.heapUsedBytes / MB, 1), unit: 'MB' },
      { name: 'terminal_rss_peak', value: round(after.maxRssBytes / MB, 1), unit: 'MB' },
    ]
  } finally {
    if (child !== undefined && child.exitCode === null) child.kill('SIGKILL')
    await hub.stop()
    rmSync(workDir, { recursive: true, force: true })
  }
}

type EmbeddedHub = Awaited<ReturnType<typeof startEmbeddedHub>>
type EnrolledTerminal = Awaited<ReturnType<typeof enrollTerminals>>[number]

/** One terminal with limits wide enough for every record of the bench to be taken offline and held unsynced, its link cut, and the customers who pay it. */
async function enrollOfflineTerminal(
  hub: EmbeddedHub, workDir: string, random: SeededRandom,
): Promise<{ terminal: EnrolledTerminal; customers: SimulatedCustomer[] }> {
  const [terminal] = await enrollTerminals(hub.operator, 1, join(workDir, 'terminals'), random.fork('identities'), { tag: '' }, () => random.fork('nonces'))
  const gatewayId = terminal!.store.requireHubPin().gatewayId
  const limitsArrive = terminal!.events.next('risk-config')
  await terminal!.restore(LINK_TIMEOUT_MS)
  await hub.operator.ok('PUT', `/gateways/${gatewayId}/risk`, {
    unsyncedCountMax: STORED_RECORDS, unsyncedTotalMaxMinor: STORED_RECORDS * AMOUNT_MINOR,
    consecutiveOfflineMax: STORED_RECORDS, floorLimitMinor: AMOUNT_MINOR,
  })
  await limitsArrive
  await terminal!.cut()
  const customers: SimulatedCustomer[] = []
  for (let index = 0; index < CUSTOMERS; index++) {
    customers.push(await enrollCustomer(hub.operator, index, 'XOF', (STORED_RECORDS / CUSTOMERS) * AMOUNT_MINOR, random.fork(`customer/${index}`), { tag: '' }))
  }
  return { terminal: terminal!, customers }
}

/** (a) The phone's answer leaves the counter's link at `answeredMs`; the flow approves once the record is committed. Sorted. */
async function measureApprovals(terminal: EnrolledTerminal, customers: readonly SimulatedCustomer[]): Promise<number[]> {
  let answered_ms = 0
  const latenciesMs: number[] = []
  const counter = terminal.counter
  const exchange = counter.exchange.bind(counter)
  counter.exchange = async request => {
    const response = await exchange(request)
    answered_ms = performance.now()
    return response
  }
  terminal.events.on('payment-approved', () => latenciesMs.push(performance.now() - answered_ms))
  for (let index = 0; index < APPROVALS; index++) {
    const outcome = await terminal.pay(customers[index % CUSTOMERS]!.phone, AMOUNT_MINOR, 'force-offline')
    if (outcome.kind !== 'approved') throw new Error(`bench payment ${index + 1} was declined: ${JSON.stringify(outcome)}`)
  }
  return latenciesMs.sort((a, b) => a - b)
}

/** The rest of the 10,000 records, written as the flow writes them but without an fsync each: setup, not measured. */
function fillStore(terminal: EnrolledTerminal, customers: readonly SimulatedCustomer[], nonces: SeededRandom): void {
  // Dates the records written straight into the store, as the terminal's flow would have: the machine's time.
  const clock = systemClock
  const store = TerminalStore.open(terminal.dataDir)
  store.db.pragma('synchronous = OFF')
  for (let index = APPROVALS; index < STORED_RECORDS; index++) {
    const customer = customers[index % CUSTOMERS]!
    const request = {
      gatewayEui: terminal.eui, amountMinor: AMOUNT_MINOR, currency: 'XOF', nonce: nonces.bytes(NONCE_BYTES), timeMs: clock.now_ms(), merchantName: 'Bench',
    }
    store.openRequest(request)
    const { authorization, voucher } = paymentResponseCodec.decode(
      paymentResponseCodec.encode(customer.phone.authorize(paymentRequestCodec.decode(paymentRequestCodec.encode(request)))),
    )
    store.appendPayment({ authorization, voucher, mode: PaymentMode.Offline, nowMs: clock.now_ms() })
  }
  store.close()
}

/** (b) and (c): a terminal process over those records; its link comes up and it syncs them all. */
async function measureSync(dataDir: string, brokerUrl: string, started: (child: ChildProcess) => void) {
  const relay = LinkProxy.forUrl(brokerUrl)
  await relay.up()
  await relay.down()
  const child = fork(join(__dirname, 'terminal-child.js'), [dataDir, relay.url], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv: ['--expose-gc', ...TERMINAL_NODE_FLAGS],
  })
  started(child)
  const messages = childMessages(child)
  await messages.next('ready')
  const idle = await memory(child, messages, false)
  const start_ms = performance.now()
  await relay.up()
  const synced = await messages.next('synced')
  const sync_ms = performance.now() - start_ms
  if (synced.kind !== 'synced' || synced.records !== STORED_RECORDS) throw new Error(`the child synced ${JSON.stringify(synced)}, not ${STORED_RECORDS} records`)
  const after = await memory(child, messages, false)
  const afterCollected = await memory(child, messages, true)
  child.send({ kind: 'stop' } satisfies ChildRequest)
  await new Promise(resolve => child.once('exit', resolve))
  await relay.down()
  return { syncMs: sync_ms, idle, after, afterCollected }
}

/** The value below which `share` of the sorted samples fall (nearest rank). */
function percentile(sortedMs: readonly number[], share: number): number {
  return sortedMs[Math.min(sortedMs.length - 1, Math.ceil(share * sortedMs.length) - 1)]!
}

export function childMessages(child: ChildProcess) {
  const waiting: Array<{ kind: ChildMessage['kind']; resolve(message: ChildMessage): void; reject(error: Error): void }> = []
  child.on('message', (message: ChildMessage) => {
    const index = waiting.findIndex(waiter => waiter.kind === message.kind)
    if (index >= 0) waiting.splice(index, 1)[0]!.resolve(message)
  })
  child.on('exit', code => {
    for (const waiter of waiting.splice(0)) waiter.reject(new Error(`the terminal process exited (${code}) before "${waiter.kind}"`))
  })
  return {
    next(kind: ChildMessage['kind']): Promise<ChildMessage> {
      return new Promise((resolve, reject) => waiting.push({ kind, resolve, reject }))
    },
  }
}

async function memory(
  child: ChildProcess, messages: ReturnType<typeof childMessages>, collect: boolean,
): Promise<{ rssBytes: number; heapUsedBytes: number; maxRssBytes: number }> {
  const reply = messages.next('memory')
  child.send({ kind: 'memory', collect } satisfies ChildRequest)
  const message = await reply
  if (message.kind !== 'memory') throw new Error('the terminal process answered something else than its memory')
  return message
}
