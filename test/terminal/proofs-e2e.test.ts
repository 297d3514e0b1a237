import t from 'tap'
import { join } from 'node:path'
import pino from 'pino'
import { equalBytes } from '../../protocol/bytes'
import { verifyProof } from '../../protocol/merkle'
import { startHub, type RunningHub } from '../../hub/server'
import { freePort } from '../../simulator/anvil'
import { main } from '../../terminal/cli'
import type { PaymentOutcome } from '../../terminal/payment'
import { TerminalStore, type StoredRecord } from '../../terminal/store/store'
import { hubConfig } from '../hub/e2e/running-hub'
import { watchedLog } from '../hub/helpers/watched-log'
import { HUB_CHAIN_KEY, testChain, type TestChain } from '../hub/anchor/world'
import {
  attachTerminal, customerWithVoucher, merchantBalance, OPERATOR, provisionedTerminal, Rest, shutDown, type WorldTerminal,
} from './hub-world'
import { testCliIo } from './cli-world'

const ANCHOR_FAST = { batchAge_ms: 0, tickInterval_ms: 20 }

function startChainHub(dir: string, chain: TestChain | undefined, log?: pino.Logger, mqttPort = 0): Promise<RunningHub> {
  const chainConfig = chain === undefined ? {} : {
    chainRpcUrl: chain.anvil.rpcUrl, chainKey: HUB_CHAIN_KEY, anchorAddress: chain.contractAddress,
  }
  return startHub(hubConfig(dir, { ...chainConfig, mqttPort }), { anchor: ANCHOR_FAST, ...(log === undefined ? {} : { log }) })
}

function approved(outcome: PaymentOutcome): StoredRecord {
  if (outcome.kind !== 'approved') throw new Error(`expected approved, got ${JSON.stringify(outcome)}`)
  return outcome.record
}

/** Resolves once `count` records in all were pruned. */
async function prunedTotal(world: WorldTerminal, count: number): Promise<void> {
  while (world.store.proofs.counts().recordsPruned < count) await world.events.next('records-pruned')
}

function seqs(world: WorldTerminal): number[] {
  return world.store.recordsFrom(1, 1_000).map(record => record.gatewaySeq)
}

t.test('offline payments sync, get anchored, their proofs come back and the records are pruned; the chain goes on', async t => {
  const dir = t.testdir()
  const chain = await testChain(t)
  const hub = await startChainHub(join(dir, 'hub'), chain)
  t.teardown(() => hub.stop())
  const operator = await new Rest(hub.httpUrl).as(OPERATOR.email, OPERATOR.password)
  let world = await provisionedTerminal(hub, operator, dir, '70B3D57ED0000C01', 'awa@shop.example', { recordRetentionMs: 0 })
  const customer = await customerWithVoucher(operator, 'fatou@phone.example', 100_000, '50000')

  const first = [1_000, 2_000, 3_000]
  const records = []
  for (const amount of first) records.push(approved(await world.pay(customer.phone, amount)))
  t.same(records.map(r => r.status), ['pending', 'pending', 'pending'], 'taken offline')

  const pruned = prunedTotal(world, 2)
  await world.proxy.up()
  await world.sync.waitOnline(10_000)
  t.match(await world.sync.syncNow(), { settled: 3, pendingLeft: 0, error: null })
  await pruned
  t.same(seqs(world), [3], 'acked and proved records are pruned, all but the chain head')
  const proof = world.store.proofs.proofOf(records[2]!.transferId)!
  t.ok(verifyProof(proof.root, records[2]!.transferId, proof.proof), 'the head record keeps a verified proof')
  t.equal(world.store.record(3)!.prunable, true)
  t.match(await chain.connect().then(async onChain => {
    try {
      return await onChain.batch(proof.batchId)
    } finally {
      onChain.close()
    }
  }), { count: proof.leafCount, blockNumber: proof.blockNumber }, 'the batch the proof names is on chain')

  // A later payment still chains onto the pruned history, and settles.
  const fourth = approved(await world.pay(customer.phone, 4_000, 'force-offline'))
  t.equal(fourth.gatewaySeq, 4)
  t.ok(equalBytes(fourth.previousHash, records[2]!.recordHash), 'record 4 links to record 3')
  const prunedAgain = prunedTotal(world, 3)
  // The approval itself started an upload with the link up; this round waits for it.
  t.match(await world.sync.syncNow(), { pendingLeft: 0, error: null })
  await prunedAgain
  t.same(seqs(world), [4])

  // After a restart the chain head and what is left are intact, and the next payment chains on.
  await shutDown(world)
  const store = TerminalStore.open(world.dataDir)
  world = await attachTerminal(store, world.dataDir, world.ownerEmail, hub.mqttUrl!, { recordRetentionMs: 0 })
  t.teardown(() => shutDown(world))
  const fifth = approved(await world.pay(customer.phone, 500, 'force-offline'))
  t.equal(fifth.gatewaySeq, 5)
  t.ok(equalBytes(fifth.previousHash, fourth.recordHash))
  await world.proxy.up()
  await world.sync.waitOnline(10_000)
  t.match(await world.sync.syncNow(), { pendingLeft: 0, error: null })
  t.equal(world.store.record(5)!.ackOutcome, 'settled')
  t.equal(await merchantBalance(hub, world.ownerEmail), 10_500, 'every payment was paid once')
  t.equal((await operator.ok('GET', '/ledger/verify')).ok, true)
})

t.test('a terminal offline while its batch was anchored asks for its proofs on reconnect, and prunes', async t => {
  const dir = t.testdir()
  const hubDir = join(dir, 'hub')
  // First no chain: the payments settle and are sealed, but nothing can be anchored.
  let hub = await startChainHub(hubDir, undefined)
  const operator = await new Rest(hub.httpUrl).as(OPERATOR.email, OPERATOR.password)
  let world = await provisionedTerminal(hub, operator, dir, '70B3D57ED0000C02', 'binta@shop.example', { recordRetentionMs: 0 })
  const customer = await customerWithVoucher(operator, 'ibou@phone.example', 100_000, '50000')
  for (const amount of [700, 800, 900]) approved(await world.pay(customer.phone, amount))
  await world.proxy.up()
  await world.sync.waitOnline(10_000)
  t.match(await world.sync.syncNow(), { settled: 3, error: null })
  t.match(world.store.proofs.counts(), { proofsKept: 0, proofsAwaited: 3, recordsPruned: 0 }, 'acked, not proved: nothing pruned')
  t.same(seqs(world), [1, 2, 3])
  await shutDown(world)
  await hub.stop()

  // The hub comes back with a chain and anchors while the terminal is away: its push reaches no one.
  const chain = await testChain(t)
  const { log, seen } = watchedLog()
  hub = await startChainHub(hubDir, chain, log)
  t.teardown(() => hub.stop())
  await seen('batch anchored')

  const store = TerminalStore.open(world.dataDir)
  world = await attachTerminal(store, world.dataDir, world.ownerEmail, hub.mqttUrl!, { recordRetentionMs: 0 })
  t.teardown(() => shutDown(world))
  const pruned = prunedTotal(world, 2)
  await world.proxy.up()
  await pruned
  t.same(seqs(world), [3])
  t.match(world.store.proofs.counts(), { proofsKept: 1, proofsAwaited: 0, recordsPruned: 2, prunedThroughSeq: 2 })
})

t.test('payall-terminal sync brings the proofs of a batch anchored since, even ones it asked about a moment before', async t => {
  const dir = t.testdir()
  const hubDir = join(dir, 'hub')
  // The CLI's sync goes to the broker the gateway was provisioned with: the hub keeps its port across the restart.
  const mqttPort = await freePort()
  let hub = await startChainHub(hubDir, undefined, undefined, mqttPort)
  const operator = await new Rest(hub.httpUrl).as(OPERATOR.email, OPERATOR.password)
  const world = await provisionedTerminal(hub, operator, dir, '70B3D57ED0000C03', 'coumba@shop.example')
  const customer = await customerWithVoucher(operator, 'modou@phone.example', 100_000, '50000')
  for (const amount of [500, 600]) approved(await world.pay(customer.phone, amount))
  await world.proxy.up()
  await world.sync.waitOnline(10_000)
  t.match(await world.sync.syncNow(), { settled: 2, error: null })
  t.equal(await world.sync.proofsNow(10_000), 2, 'asked about both: the hub answers that they are pending')
  t.match(world.store.proofs.counts(), { proofsKept: 0, proofsAwaited: 2 })
  await shutDown(world)
  await hub.stop()

  const chain = await testChain(t)
  const { log, seen } = watchedLog()
  hub = await startChainHub(hubDir, chain, log, mqttPort)
  t.teardown(() => hub.stop())
  await seen('batch anchored')

  const out: string[] = []
  const io = testCliIo({ out: text => { out.push(text) }, err: text => { out.push(text) } })
  t.equal(await main(['sync', '--data-dir', world.dataDir], io), 0, out.join(''))
  // The link coming up asks at once too: its answer may be in before this sync asks, which then asks for none.
  t.match(out.join(''), /proofs +asked for [0-2]\n[\s\S]*anchoring proofs of batch \d+ kept \(2 new\)/)
  const store = TerminalStore.open(world.dataDir)
  t.teardown(() => store.close())
  t.match(store.proofs.counts(), { proofsKept: 2, proofsAwaited: 0 }, 'kept at this sync, not at a request five minutes later')
})
