// Anchoring figures: gas of one anchor transaction (per batch and per transfer) at 1,000 and 100,000 transfers,
// the size of a proof at those sizes, and the time to seal 100,000 settled transfers. The chain is a real local
// anvil node. Alone: `node dist/bench/run.js anchor`.

import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pino from 'pino'
import { systemClock, type Clock } from '../protocol/clock'
import { nodeEd25519 } from '../protocol/signature/node'
import { AnchorService } from '../hub/anchor/service'
import { connectAnchorChain, deployAnchor } from '../hub/anchor/chain'
import { ProofService } from '../hub/anchor/proofs'
import { proofReply } from '../hub/anchor/replies'
import { Sealer } from '../hub/anchor/seal'
import { anchorSettings } from '../hub/anchor/settings'
import { AnchorStore } from '../hub/anchor/store'
import { cashTransferId } from '../hub/ledger/ids'
import { SqliteLedgerStore } from '../hub/ledger/sqlite-store'
import type { LedgerStore } from '../hub/ledger/store'
import { TRANSFERS_PER_BATCH_MAX } from '../hub/ledger/transfer'
import { openDatabase } from '../hub/store/database'
import { SqliteEngine } from '../hub/store/sql'
import { ANVIL_KEYS, startAnvil } from '../simulator/anvil'
import { round, type Metric } from './metric'

const SMALL_BATCH = 1_000
const LARGE_BATCH = 100_000
const CURRENCY = 'XOF'
const CHAIN_KEY = ANVIL_KEYS[0]
const PROOF_SAMPLE_COUNT = 256
/** How long the bench lets the anchor service send and confirm both batches. */
const ANCHOR_WAIT_MS = 60_000
const BACKOFF_POLL_MS = 200

/** Settles `count` cash-ins in ledger batches of TRANSFERS_PER_BATCH_MAX. */
async function settleCashIns(ledger: LedgerStore, count: number, tag: string): Promise<void> {
  const wallet = await ledger.openWallet({ id: 'bench-wallet', userId: null, currency: CURRENCY })
  const { external } = await ledger.systemAccounts(CURRENCY)
  for (let from = 0; from < count; from += TRANSFERS_PER_BATCH_MAX) {
    const inputs = []
    for (let index = from; index < Math.min(count, from + TRANSFERS_PER_BATCH_MAX); index++) {
      inputs.push({
        id: cashTransferId('cash_in', wallet.id, `${tag}-${index}`),
        kind: 'cash_in' as const,
        currency: CURRENCY,
        postings: [
          { accountId: external.id, amountMinor: -1, role: 'payer' as const },
          { accountId: wallet.id, amountMinor: 1, role: 'payee' as const },
        ],
      })
    }
    const outcomes = await ledger.applyTransfers(inputs)
    if (!outcomes.every(outcome => outcome.status === 'applied')) throw new Error('a bench cash-in was not applied')
  }
}

export async function benchAnchor(): Promise<Metric[]> {
  const dataDir = mkdtempSync(join(tmpdir(), 'payall-bench-anchor-'))
  const db = openDatabase(join(dataDir, 'hub.sqlite'))
  const anvil = await startAnvil()
  try {
    // The chain is a real node: the bench runs on the system's clock, and waits out the service's backoff on it.
    const clock = systemClock
    const ledger = new SqliteLedgerStore(db, { clock })
    const store = new AnchorStore(new SqliteEngine(db))
    const hubKeys = nodeEd25519.generateKeyPair()
    const sealerFor = (batch_max: number) => new Sealer(store, hubKeys, nodeEd25519, clock, anchorSettings({ batchMax: batch_max }))

    await settleCashIns(ledger, SMALL_BATCH, 'small')
    const small = (await sealerFor(SMALL_BATCH).sealOne())!.batch
    await settleCashIns(ledger, LARGE_BATCH, 'large')
    const sealStart = performance.now()
    const large = (await sealerFor(LARGE_BATCH).sealOne())!.batch
    const seal_ms = performance.now() - sealStart
    if (small.count !== SMALL_BATCH || large.count !== LARGE_BATCH) throw new Error('the batches are not the sizes measured')

    await anchorOnChain(anvil, store, sealerFor(LARGE_BATCH), clock, [small, large])
    const proofs = new ProofService(store)
    const metrics: Metric[] = []
    for (const [label, batch] of [['1k', small], ['100k', large]] as const) {
      metrics.push(...await batchMetrics(label, batch, { anvil, store, proofs, hubPublicKey: hubKeys.publicKey }))
    }
    metrics.push({ name: 'anchor_seal_100k_ms', value: round(seal_ms, 1), unit: 'ms' })
    return metrics
  } finally {
    await anvil.stop()
    db.close()
    rmSync(dataDir, { recursive: true, force: true })
  }
}

type Anvil = Awaited<ReturnType<typeof startAnvil>>
type SealedBatch = NonNullable<Awaited<ReturnType<Sealer['sealOne']>>>['batch']

/** Deploys the anchor contract and ticks an AnchorService until every batch is anchored, or ANCHOR_WAIT_MS pass. */
async function anchorOnChain(anvil: Anvil, store: AnchorStore, sealer: Sealer, clock: Clock, batches: readonly SealedBatch[]): Promise<void> {
  const { address } = await deployAnchor({ rpcUrl: anvil.rpcUrl, privateKey: CHAIN_KEY, rpcTimeout_ms: 10_000 })
  const settings = anchorSettings({ batchMax: LARGE_BATCH })
  const service = new AnchorService({
    store, clock, settings,
    sealer,
    log: pino({ level: 'silent' }),
    connect: () => connectAnchorChain({
      rpcUrl: anvil.rpcUrl, privateKey: CHAIN_KEY, contractAddress: address,
      maxFeePerGas_wei: settings.maxFeePerGas_wei, gasLimit_max: settings.gasLimit_max, rpcTimeout_ms: settings.rpcTimeout_ms,
    }),
  })
  // Each tick sends what is sealed and confirms what was sent. On a loaded machine a receipt may
  // take more ticks to be seen, and an RPC call that timed out puts the service in its backoff.
  const anchored = async () => {
    for (const batch of batches) if ((await store.batch(batch.batchId))?.status !== 'anchored') return false
    return true
  }
  const reports: unknown[] = []
  for (const deadline = clock.now_ms() + ANCHOR_WAIT_MS; !await anchored() && clock.now_ms() < deadline;) {
    const report = await service.tick()
    reports.push(report)
    if (report.idle === 'backing_off') await new Promise<void>(resolve => clock.setTimer(resolve, BACKOFF_POLL_MS))
  }
  await service.stop()
  if (!await anchored()) throw new Error(`the batches were not anchored within ${ANCHOR_WAIT_MS} ms: ${JSON.stringify(reports.slice(-3))}`)
}

/** Gas of an anchored batch's transaction, in all and per transfer, and the size of its longest proof. */
async function batchMetrics(
  label: string, batch: SealedBatch,
  { anvil, store, proofs, hubPublicKey }: { anvil: Anvil; store: AnchorStore; proofs: ProofService; hubPublicKey: Uint8Array },
): Promise<Metric[]> {
  const anchored = (await store.batch(batch.batchId))!
  if (anchored.status !== 'anchored') throw new Error(`batch ${batch.batchId} is ${anchored.status}, not anchored`)
  const receipt = await anvil.rpc('eth_getTransactionReceipt', [anchored.txHash]) as { gasUsed: string }
  const gas = Number(BigInt(receipt.gasUsed))
  // Most leaves sit on the deepest level (976 of 1,000; 68,928 of 100,000), so a sample finds the longest proof.
  let proofLength_max = 0
  let reply_bytes = 0
  for (const transferId of (await store.batchTransferIds(batch.batchId)).slice(0, PROOF_SAMPLE_COUNT)) {
    const lookup = await proofs.lookup(transferId)
    if (lookup.kind !== 'proof') throw new Error(`no proof for ${transferId}`)
    if (lookup.proof.proof.length <= proofLength_max) continue
    proofLength_max = lookup.proof.proof.length
    reply_bytes = JSON.stringify(proofReply(lookup.proof, { hubPublicKey, explorerUrl: undefined })).length
  }
  return [
    { name: `anchor_gas_per_batch_${label}`, value: gas, unit: 'gas' },
    { name: `anchor_gas_per_transfer_${label}`, value: round(gas / batch.count, 3), unit: 'gas' },
    { name: `anchor_proof_bytes_${label}`, value: proofLength_max * 32, unit: 'bytes' },
    { name: `anchor_proof_reply_bytes_${label}`, value: reply_bytes, unit: 'bytes' },
  ]
}
