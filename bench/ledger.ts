// Ledger figures: SqliteLedgerStore throughput on a real ledger file (WAL, synchronous=FULL), in batches the size
// ingest sends. Offline payments settled from their vouchers' holds, and plain P2P transfers. Alone: `node dist/bench/run.js ledger`.

import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { sha256, toHex } from '../protocol/bytes'
import { ManualClock } from '../protocol/clock'
import { BATCH_RECORDS_MAX } from '../protocol/messages/record-batch'
import { PaymentMode } from '../protocol/messages/transfer-record'
import { cashTransferId } from '../hub/ledger/ids'
import type { TransferInput } from '../hub/ledger/model'
import { cashInPostings, walletTransferPostings } from '../hub/ledger/settle'
import { SqliteLedgerStore } from '../hub/ledger/sqlite-store'
import type { SettleFromHoldInput } from '../hub/ledger/store'
import { verifyLedger } from '../hub/ledger/verify'
import { openDatabase } from '../hub/store/database'
import { round, type Metric } from './metric'

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
  readonly store: SqliteLedgerStore
  readonly close: () => void
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
async function openBenchLedger(): Promise<BenchLedger> {
  const directory = mkdtempSync(join(tmpdir(), 'payall-bench-ledger-'))
  const database = openDatabase(join(directory, 'ledger.sqlite'))
  // Time stands still at START_MS, well before every hold's expiry and upload deadline: the ledger is measured, not the clock.
  const store = new SqliteLedgerStore(database, { clock: new ManualClock(START_MS) })
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
  return {
    store,
    close: () => {
      database.close()
      rmSync(directory, { recursive: true, force: true })
    },
  }
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
  batches: readonly (readonly T[])[],
  apply: (store: SqliteLedgerStore, batch: readonly T[]) => Promise<readonly { readonly status: string }[]>,
  what: string,
): Promise<Run> {
  const ledger = await openBenchLedger()
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
    ledger.close()
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
  for (let run = 0; run < RUNS; run++) {
    settleRuns.push(await timedRun(settlements, (store, batch) => store.settleFromHolds(batch), 'settleFromHolds'))
    transferRuns.push(await timedRun(transfers, (store, batch) => store.applyTransfers(batch), 'applyTransfers'))
  }
  const settlePerSecond = median(settleRuns.map(run => run.perSecond))
  const transfersPerSecond = median(transferRuns.map(run => run.perSecond))
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
  ]
}
