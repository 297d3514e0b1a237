// Ledger figures: SqliteLedgerStore throughput on a real ledger file (WAL, synchronous=FULL), in batches the size
// ingest sends. Offline payments settled from their vouchers' holds, and plain P2P transfers. Alone: `node dist/bench/run.js ledger`.
// Beside them, in the same run, PgLedgerStore's settlement rate and its ratio to SQLite's, one hub on a PostgreSQL
// server: PAYALL_BENCH_DATABASE_URL's, or else a throwaway local cluster with fsync on (hub/store/pg/local-cluster.ts)
// when initdb is installed; without either, those figures are left out, saying so on stderr.

import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Pool, type PoolConfig } from 'pg'
import { sha256, toHex } from '../protocol/bytes'
import { ManualClock } from '../protocol/clock'
import { BATCH_RECORDS_MAX } from '../protocol/messages/record-batch'
import { PaymentMode } from '../protocol/messages/transfer-record'
import { cashTransferId } from '../hub/ledger/ids'
import type { TransferInput } from '../hub/ledger/model'
import { cashInPostings, walletTransferPostings } from '../hub/ledger/settle'
import { PgLedgerStore } from '../hub/ledger/pg-store'
import { SqliteLedgerStore } from '../hub/ledger/sqlite-store'
import type { LedgerStore, SettleFromHoldInput } from '../hub/ledger/store'
import { verifyLedger } from '../hub/ledger/verify'
import { openDatabase } from '../hub/store/database'
import { migratePg } from '../hub/store/pg/migrate'
import { round, type Metric } from './metric'
import { postgresServer } from './postgres'

const GATEWAYS = 4
const CUSTOMERS_PER_GATEWAY = 10
const SETTLEMENTS = 20_000
const TRANSFERS = 20_000
/** As ingest settles a gateway's record batch: one call per batch. */
const BATCH_REQUESTS = BATCH_RECORDS_MAX
/** Each run on a fresh ledger file; the median is reported. */
const RUNS = 3
const CURRENCY = 'XOF'
const CASH_IN_MINOR = 1_000_000_000
const HOLD_LIMIT_MINOR = 10_000_000
const FEE_SCHEDULE_ID = 'pos-xof-1'
const START_MS = Date.UTC(2025, 0, 15, 12)

interface BenchLedger {
  readonly store: LedgerStore
  readonly close: () => Promise<void>
}

/** Opens an empty ledger on one store. */
type OpenStore = () => Promise<BenchLedger>

const openSqliteStore: OpenStore = async () => {
  const directory = mkdtempSync(join(tmpdir(), 'payall-bench-ledger-'))
  const database = openDatabase(join(directory, 'ledger.sqlite'))
  // Time stands still at START_MS, well before every hold's expiry and upload deadline: the ledger is measured, not the clock.
  return {
    store: new SqliteLedgerStore(database, { clock: new ManualClock(START_MS) }),
    close: async () => {
      database.close()
      rmSync(directory, { recursive: true, force: true })
    },
  }
}

/** Each ledger in a schema of its own, dropped when it is closed. */
function pgStoreOpener(config: PoolConfig): OpenStore {
  let schemas = 0
  return async () => {
    schemas += 1
    const schema = `bench_${process.pid}_${schemas}`
    const pool = new Pool({ ...config, max: 2, options: `-c search_path=${schema}` })
    await pool.query(`CREATE SCHEMA ${schema}`)
    await migratePg(pool)
    return {
      store: new PgLedgerStore(pool, { clock: new ManualClock(START_MS) }),
      close: async () => {
        await pool.query(`DROP SCHEMA ${schema} CASCADE`)
        await pool.end()
      },
    }
  }
}

function idOf(text: string): string {
  return toHex(sha256(new TextEncoder().encode(text)))
}

function merchantOf(gateway: number): string {
  return `merchant-${gateway}`
}

function ownerOf(gateway: number): string {
  return `owner-${gateway}`
}

function customerOf(gateway: number, customer: number): string {
  return `customer-${gateway}-${customer}`
}

function gatewayEuiOf(gateway: number): string {
  return `70B3D57EBE0000${gateway.toString(16).padStart(2, '0').toUpperCase()}`
}

/** A fresh ledger: every customer cashed in with one voucher's hold placed, merchants and owners with empty wallets. */
async function openBenchLedger(open: OpenStore): Promise<BenchLedger> {
  const ledger = await open()
  const { store } = ledger
  await store.systemAccounts(CURRENCY)
  await store.addFeeSchedule({
    id: FEE_SCHEDULE_ID, gatewayType: 'pos', currency: CURRENCY, version: 1,
    basisPoints: 150, fixedMinor: 5, ownerShareBasisPoints: 3_333, effectiveFromMs: 0,
  })
  const cashIns: TransferInput[] = []
  for (let gateway = 0; gateway < GATEWAYS; gateway++) {
    await store.openWallet({ id: merchantOf(gateway), userId: `user-merchant-${gateway}`, currency: CURRENCY })
    await store.openWallet({ id: ownerOf(gateway), userId: `user-owner-${gateway}`, currency: CURRENCY })
    for (let customer = 0; customer < CUSTOMERS_PER_GATEWAY; customer++) {
      const walletAccountId = customerOf(gateway, customer)
      await store.openWallet({ id: walletAccountId, userId: `user-${walletAccountId}`, currency: CURRENCY })
      cashIns.push({
        id: cashTransferId('cash_in', walletAccountId, 'bench'), kind: 'cash_in', currency: CURRENCY,
        postings: cashInPostings({ externalAccountId: `external:${CURRENCY}`, walletAccountId, amountMinor: CASH_IN_MINOR }),
      })
    }
  }
  expectAllApplied(await store.applyTransfers(cashIns), 'cash-ins')
  for (let gateway = 0; gateway < GATEWAYS; gateway++) {
    for (let customer = 0; customer < CUSTOMERS_PER_GATEWAY; customer++) {
      const outcome = await store.placeHold({
        voucherId: `voucher-${gateway}-${customer}`, walletAccountId: customerOf(gateway, customer),
        limitMinor: HOLD_LIMIT_MINOR, expiresAtMs: START_MS + 86_400_000, uploadDeadlineAtMs: START_MS + 2 * 86_400_000,
      })
      if (outcome.status !== 'applied') throw new Error(`hold ${gateway}-${customer} was not placed`)
    }
  }
  return ledger
}

/** As ingest sends them: each batch from one gateway, its customers' records in turn, gateways taking turns. */
function settlementBatches(): SettleFromHoldInput[][] {
  const perGateway: SettleFromHoldInput[][] = Array.from({ length: GATEWAYS }, () => [])
  for (let index = 0; index < SETTLEMENTS; index++) {
    const gateway = index % GATEWAYS
    const gatewaySeq = perGateway[gateway]!.length + 1
    const customer = gatewaySeq % CUSTOMERS_PER_GATEWAY
    perGateway[gateway]!.push({
      transferId: idOf(`bench record ${gateway} ${gatewaySeq}`),
      voucherId: `voucher-${gateway}-${customer}`,
      amountMinor: 100 + (index % 50),
      merchantAccountId: merchantOf(gateway),
      ownerAccountId: ownerOf(gateway),
      feeScheduleId: FEE_SCHEDULE_ID,
      gatewayEui: gatewayEuiOf(gateway),
      metadata: { gatewaySeq, voucherSeq: Math.ceil(gatewaySeq / CUSTOMERS_PER_GATEWAY), mode: PaymentMode.Offline },
    })
  }
  return interleavedBatches(perGateway)
}

/** P2P between customers of the same gateway, the payer cycling, so balances move in both directions. */
function transferBatches(): TransferInput[][] {
  const perGateway: TransferInput[][] = Array.from({ length: GATEWAYS }, () => [])
  for (let index = 0; index < TRANSFERS; index++) {
    const gateway = index % GATEWAYS
    const sequence = perGateway[gateway]!.length
    const payer = sequence % CUSTOMERS_PER_GATEWAY
    perGateway[gateway]!.push({
      id: idOf(`bench p2p ${gateway} ${sequence}`), kind: 'p2p', currency: CURRENCY,
      postings: walletTransferPostings({
        payerAccountId: customerOf(gateway, payer),
        payeeAccountId: customerOf(gateway, (payer + 1 + (sequence % 3)) % CUSTOMERS_PER_GATEWAY),
        amountMinor: 100 + (index % 50),
      }),
    })
  }
  return interleavedBatches(perGateway)
}

function interleavedBatches<T>(perGateway: readonly (readonly T[])[]): T[][] {
  const batches: T[][] = []
  const length = Math.max(...perGateway.map(requests => requests.length))
  for (let from = 0; from < length; from += BATCH_REQUESTS) {
    for (const requests of perGateway) {
      if (from < requests.length) batches.push(requests.slice(from, from + BATCH_REQUESTS))
    }
  }
  return batches
}

function expectAllApplied(outcomes: readonly { readonly status: string }[], what: string): void {
  const notApplied = outcomes.filter(outcome => outcome.status !== 'applied').length
  if (notApplied > 0) throw new Error(`${what}: ${notApplied} of ${outcomes.length} not applied`)
}

async function expectVerified(ledger: BenchLedger, what: string): Promise<void> {
  const verification = await verifyLedger(ledger.store)
  if (!verification.ok) throw new Error(`${what}: ledger invariants broken: ${JSON.stringify(verification.violations.slice(0, 3))}`)
}

interface Run {
  readonly perSecond: number
  /** Process CPU time (user + system) per request: steadier than wall time on a shared machine, blind to fsync waits. */
  readonly cpuUsPerRequest: number
}

/** The whole sequence of batches on a fresh ledger, timed; verified afterwards, untimed. */
async function timedRun<T>(
  open: OpenStore,
  batches: readonly (readonly T[])[],
  apply: (store: LedgerStore, batch: readonly T[]) => Promise<readonly { readonly status: string }[]>,
  what: string,
): Promise<Run> {
  const ledger = await openBenchLedger(open)
  try {
    let requests = 0
    const cpuStart = process.cpuUsage()
    const start_ms = performance.now()
    for (const batch of batches) {
      expectAllApplied(await apply(ledger.store, batch), what)
      requests += batch.length
    }
    const elapsed_ms = performance.now() - start_ms
    const cpu = process.cpuUsage(cpuStart)
    await expectVerified(ledger, what)
    return { perSecond: requests / (elapsed_ms / 1000), cpuUsPerRequest: (cpu.user + cpu.system) / requests }
  } finally {
    await ledger.close()
  }
}

function median(samples: readonly number[]): number {
  const sorted = [...samples].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)]!
}

export async function benchLedger(): Promise<Metric[]> {
  const settlements = settlementBatches()
  const transfers = transferBatches()
  const settleRuns: Run[] = []
  const transferRuns: Run[] = []
  const settle = (store: LedgerStore, batch: readonly SettleFromHoldInput[]) => store.settleFromHolds(batch)
  for (let run = 0; run < RUNS; run++) {
    settleRuns.push(await timedRun(openSqliteStore, settlements, settle, 'settleFromHolds'))
    transferRuns.push(await timedRun(openSqliteStore, transfers, (store, batch) => store.applyTransfers(batch), 'applyTransfers'))
  }
  const settlePerSecond = median(settleRuns.map(run => run.perSecond))
  const transfersPerSecond = median(transferRuns.map(run => run.perSecond))
  const postgres = await postgresFigures(settlements, settlePerSecond)
  return [
    { name: 'ledger_settlements', value: SETTLEMENTS, unit: 'payments' },
    { name: 'ledger_batch_requests', value: BATCH_REQUESTS, unit: 'requests' },
    { name: 'ledger_settle_from_holds_per_s', value: Math.round(settlePerSecond), unit: 'payments/s' },
    { name: 'ledger_settle_from_holds_us_per_payment', value: round(1e6 / settlePerSecond, 1), unit: 'us' },
    {
      name: 'ledger_settle_from_holds_cpu_us_per_payment',
      value: round(median(settleRuns.map(run => run.cpuUsPerRequest)), 1), unit: 'us',
    },
    { name: 'ledger_apply_transfers_per_s', value: Math.round(transfersPerSecond), unit: 'transfers/s' },
    { name: 'ledger_apply_transfers_us_per_transfer', value: round(1e6 / transfersPerSecond, 1), unit: 'us' },
    {
      name: 'ledger_apply_transfers_cpu_us_per_transfer',
      value: round(median(transferRuns.map(run => run.cpuUsPerRequest)), 1), unit: 'us',
    },
    ...postgres,
  ]
}

/** PgLedgerStore's settlement rate (one hub, the same batches, median of RUNS) and its ratio to SQLite's, or none. */
async function postgresFigures(settlements: readonly (readonly SettleFromHoldInput[])[], sqlitePerSecond: number): Promise<Metric[]> {
  const server = postgresServer('ledger')
  if (server === undefined) return []
  try {
    const open = pgStoreOpener(server.config)
    const runs: Run[] = []
    for (let run = 0; run < RUNS; run++) {
      runs.push(await timedRun(open, settlements, (store, batch) => store.settleFromHolds(batch), 'settleFromHolds on PostgreSQL'))
    }
    const perSecond = median(runs.map(run => run.perSecond))
    return [
      { name: 'ledger_pg_settle_from_holds_per_s', value: Math.round(perSecond), unit: 'payments/s' },
      { name: 'ledger_pg_settle_from_holds_cpu_us_per_payment', value: round(median(runs.map(run => run.cpuUsPerRequest)), 1), unit: 'us' },
      { name: 'ledger_pg_to_sqlite_settle_ratio', value: round(perSecond / sqlitePerSecond, 2), unit: 'ratio' },
    ]
  } finally {
    server.stop()
  }
}
