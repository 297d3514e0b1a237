import t from 'tap'
import { join } from 'node:path'
import { StandardMerkleTree } from '@openzeppelin/merkle-tree'
import { Contract, Interface, JsonRpcProvider, Wallet } from 'ethers'
import { ANCHOR_ABI, deployAnchor, type AnchorChain } from '../../../hub/anchor/chain'
import { ProofService } from '../../../hub/anchor/proofs'
import { HUB_CHAIN_KEY, OTHER_CHAIN_KEY, anchorWorld, chainAt, testChain, type TestChain } from './world'
import { startAnvil, type Anvil } from '../../../simulator/anvil'

const ANCHOR_INTERFACE = new Interface(ANCHOR_ABI)
const HUB_ADDRESS = new Wallet(HUB_CHAIN_KEY).address

/** Transactions the hub's key has had mined, less the deployment: its anchor transactions. */
async function anchorTransactionsMined(anvil: Anvil): Promise<number> {
  return Number(BigInt(await anvil.rpc('eth_getTransactionCount', [HUB_ADDRESS, 'latest']) as string)) - 1
}

async function pendingTransactions(anvil: Anvil): Promise<number> {
  return Number(BigInt((await anvil.rpc('txpool_status') as { pending: string }).pending))
}

/** Anchored events of one batch id on the chain: more than one would be anchoring twice. */
async function anchoredEvents(chain: TestChain, batchId: number): Promise<number> {
  const logs = await chain.anvil.rpc('eth_getLogs', [{
    address: chain.contractAddress,
    fromBlock: '0x0',
    toBlock: 'latest',
    topics: [ANCHOR_INTERFACE.getEvent('Anchored')!.topicHash, `0x${batchId.toString(16).padStart(64, '0')}`],
  }]) as unknown[]
  return logs.length
}

async function verifyOnChain(chain: TestChain, batchId: number, leaf: string, proof: string[]): Promise<boolean> {
  const provider = new JsonRpcProvider(chain.anvil.rpcUrl)
  try {
    return await new Contract(chain.contractAddress, ANCHOR_ABI, provider).getFunction('verify').staticCall(batchId, leaf, proof) as boolean
  } finally {
    provider.destroy()
  }
}

t.test('anchors each sealed batch with one transaction, whose proofs verify on chain and with OpenZeppelin', async t => {
  const chain = await testChain(t)
  const w = anchorWorld(t)
  const ids = await w.settle(25)
  const service = w.service({ batchMax: 10 }, chain.connector())

  const first = await service.tick()
  t.same(first.sealed, [1, 2, 3])
  t.same(first.steps.map(step => step.outcome), ['sent', 'sent', 'sent'])
  const second = await service.tick()
  t.same(second.steps.map(step => step.outcome), ['anchored', 'anchored', 'anchored'])
  t.equal(await anchorTransactionsMined(chain.anvil), 3, 'one transaction per batch')

  for (const batchId of [1, 2, 3]) {
    const batch = (await w.store.batch(batchId))!
    t.equal(batch.status, 'anchored')
    t.equal(batch.contractAddress, chain.contractAddress)
    t.equal(batch.chainId, 31337)
    t.equal(batch.sendCount, 1)
    const receipt = await chain.anvil.rpc('eth_getTransactionReceipt', [batch.txHash]) as { blockNumber: string; status: string }
    t.equal(receipt.status, '0x1', `batch ${batchId}: its stored transaction is the one that anchored it`)
    t.equal(Number(BigInt(receipt.blockNumber)), batch.blockNumber)
  }
  const proofs = new ProofService(w.store)
  for (const id of [ids[0]!, ids[13]!, ids[24]!]) {
    const lookup = await proofs.lookup(id)
    if (lookup.kind !== 'proof') throw new Error(`no proof for ${id}`)
    const { proof, leaf, root, batch } = lookup.proof
    t.ok(StandardMerkleTree.verify(root, ['bytes32'], [leaf], proof), 'OpenZeppelin accepts the proof')
    t.ok(await verifyOnChain(chain, batch.batchId, leaf, proof), 'and so does the contract')
  }
  t.same((await service.tick()).steps, [], 'then there is nothing left to do')
})

t.test('batches sealed while no chain is configured are anchored, all of them, once one is', async t => {
  const w = anchorWorld(t)
  await w.settle(30)
  const offline = w.service({ batchMax: 10 })
  t.same((await offline.tick()).sealed, [1, 2, 3])
  t.same((await offline.tick()).idle, 'no_chain')
  t.same(await Promise.all([1, 2, 3].map(async batchId => (await w.store.batch(batchId))!.status)), ['sealed', 'sealed', 'sealed'])

  const chain = await testChain(t)
  const online = w.service({ batchMax: 10 }, chain.connector())
  const statuses = () => Promise.all([1, 2, 3].map(async batchId => (await w.store.batch(batchId))!.status))
  // The first tick sends all three; a later one finds them mined. On a loaded machine anvil's block for the last may
  // not be visible yet to the second tick (seen in CI): a few ticks, each a check of what the chain holds, not a wait.
  for (let tick = 0; tick < 5 && (await statuses()).some(status => status !== 'anchored'); tick++) await online.tick()
  t.same(await statuses(), ['anchored', 'anchored', 'anchored'])
  t.equal(await anchorTransactionsMined(chain.anvil), 3)
})

t.test('a hub restarted between sending and confirming finds its transaction and does not anchor twice', async t => {
  const chain = await testChain(t, { manualMining: true })
  const w = anchorWorld(t)
  await w.settle(5)
  const before = w.service({}, chain.connector())
  t.same((await before.tick()).steps, [{ batchId: 1, outcome: 'sent' }])
  const sent = (await w.store.batch(1))!
  t.equal(sent.status, 'sent')
  t.equal(await pendingTransactions(chain.anvil), 1, 'the transaction waits in the mempool')
  await before.stop()

  const after = w.service({}, chain.connector())
  t.same((await after.tick()).steps, [{ batchId: 1, outcome: 'waiting' }], 'the restarted hub waits for the one out there')
  t.equal(await pendingTransactions(chain.anvil), 1, 'and sends nothing more')
  await chain.anvil.mine()
  t.same((await after.tick()).steps, [{ batchId: 1, outcome: 'anchored' }])
  const anchored = (await w.store.batch(1))!
  t.equal(anchored.txHash, sent.txHash)
  t.equal(anchored.sendCount, 1)
  t.equal(await anchorTransactionsMined(chain.anvil), 1)
  t.equal(await anchoredEvents(chain, 1), 1)
})

t.test('a hub that dies after storing the transaction but before broadcasting it signs it again on the same nonce', async t => {
  const chain = await testChain(t)
  const w = anchorWorld(t)
  await w.settle(5)
  const crashing = async (): Promise<AnchorChain> => {
    const real = await chain.connect()
    return Object.assign(Object.create(real) as AnchorChain, {
      broadcast: async () => {
        throw new Error('the process died here')
      },
    })
  }
  const dying = w.service({}, crashing)
  t.equal((await dying.tick()).error, 'INTERNAL')
  const stored = (await w.store.batch(1))!
  t.equal(stored.status, 'sent', 'the transaction was stored before it could leave')
  t.equal(await pendingTransactions(chain.anvil), 0, 'and never left')
  await dying.stop()

  const restarted = w.service({}, chain.connector())
  t.same((await restarted.tick()).steps, [{ batchId: 1, outcome: 'sent' }])
  t.equal((await w.store.batch(1))!.txNonce, stored.txNonce, 'the same nonce: the lost transaction and its successor exclude each other')
  await restarted.tick()
  t.equal((await w.store.batch(1))!.status, 'anchored')
  t.equal(await anchorTransactionsMined(chain.anvil), 1)
})

t.test('the node going away after the send and coming back without its mempool: retried with backoff, anchored once', async t => {
  const statePath = join(t.testdir(), 'anvil-state.json')
  const first = await testChain(t, { manualMining: true, statePath })
  const w = anchorWorld(t)
  const ids = await w.settle(8)
  const service = w.service({ backoffBase_ms: 1_000 }, first.connector())
  t.same((await service.tick()).steps, [{ batchId: 1, outcome: 'sent' }])
  const sent = (await w.store.batch(1))!

  await first.anvil.stop() // mid-anchor: the transaction is in the mempool, not in a block
  const failed = await service.tick()
  t.equal(failed.error, 'CHAIN_UNREACHABLE')
  t.equal((await w.store.batch(1))!.status, 'sent', 'nothing is dropped while the node is away')
  t.equal((await w.store.batch(1))!.lastError, 'CHAIN_UNREACHABLE')
  t.equal((await service.tick()).idle, 'backing_off', 'the next try waits')
  w.clock.advance(1_000)
  t.equal((await service.tick()).error, 'CHAIN_UNREACHABLE', 'tried again after 1 s')
  w.clock.advance(1_000)
  t.equal((await service.tick()).idle, 'backing_off', 'then waits 2 s')

  // The same chain comes back at the same address, from its saved state: blocks kept, mempool gone.
  const anvil = await startAnvil({ port: first.anvil.port, statePath })
  t.teardown(() => anvil.stop())
  const chain = chainAt(anvil, first.contractAddress)
  t.equal(await pendingTransactions(anvil), 0, 'the node lost the transaction')
  w.clock.advance(1_000)
  t.same((await service.tick()).steps, [{ batchId: 1, outcome: 'sent' }], 'signed again')
  t.equal((await w.store.batch(1))!.txNonce, sent.txNonce, 'on the nonce that is still free')
  t.same((await service.tick()).steps, [{ batchId: 1, outcome: 'anchored' }])
  t.equal((await w.store.batch(1))!.sendCount, 2)
  t.equal(await anchorTransactionsMined(anvil), 1, 'one anchor transaction in all')
  t.equal(await anchoredEvents(chain, 1), 1)
  const lookup = await new ProofService(w.store).lookup(ids[3]!)
  if (lookup.kind !== 'proof') throw new Error('no proof')
  t.ok(await verifyOnChain(chain, 1, lookup.proof.leaf, lookup.proof.proof))
})

t.test('a transaction mined while the hub could not see the node is found, not sent again', async t => {
  const statePath = join(t.testdir(), 'anvil-state.json')
  const first = await testChain(t, { statePath })
  const w = anchorWorld(t)
  await w.settle(3)
  const service = w.service({}, first.connector())
  // The first tick sends (and anvil mines at once); the hub goes blind before it looks again.
  t.same((await service.tick()).steps, [{ batchId: 1, outcome: 'sent' }])
  // anvil's automining can still hold the transaction in its pool for a moment on a loaded machine;
  // a block mined on request takes it, so the state dumped on stop has it mined.
  await first.anvil.mine()
  await first.anvil.stop()
  t.equal((await service.tick()).error, 'CHAIN_UNREACHABLE')

  const anvil = await startAnvil({ port: first.anvil.port, statePath })
  t.teardown(() => anvil.stop())
  w.clock.advance(1_000)
  t.same((await service.tick()).steps, [{ batchId: 1, outcome: 'anchored' }], 'the contract holds the root: nothing to send')
  t.equal((await w.store.batch(1))!.sendCount, 1)
  t.equal(await anchorTransactionsMined(anvil), 1)
})

t.test('waits for the configured confirmations before a batch counts as anchored', async t => {
  const chain = await testChain(t, { manualMining: true })
  const w = anchorWorld(t)
  await w.settle(2)
  const service = w.service({ confirmations: 3 }, chain.connector())
  await service.tick()
  const outcomes: string[] = []
  for (let block = 0; block < 3; block++) {
    await chain.anvil.mine()
    outcomes.push(...(await service.tick()).steps.map(step => step.outcome))
  }
  t.same(outcomes, ['confirming', 'confirming', 'anchored'])
})

t.test('keeps at most inFlight_max transactions out, each batch on its own nonce', async t => {
  const chain = await testChain(t, { manualMining: true })
  const w = anchorWorld(t)
  await w.settle(5)
  const service = w.service({ batchMax: 1, inFlight_max: 2 }, chain.connector())
  t.same((await service.tick()).steps.map(step => step.outcome), ['sent', 'sent', 'deferred', 'deferred', 'deferred'])
  t.equal(await pendingTransactions(chain.anvil), 2)
  await chain.anvil.mine()
  t.same((await service.tick()).steps.map(step => step.outcome), ['anchored', 'anchored', 'sent', 'sent', 'deferred'])
  await chain.anvil.mine()
  await service.tick()
  await chain.anvil.mine()
  await service.tick()
  const batches = await Promise.all([1, 2, 3, 4, 5].map(async batchId => (await w.store.batch(batchId))!))
  t.same(batches.map(batch => batch.status), Array(5).fill('anchored'))
  t.same(new Set(batches.map(batch => batch.txNonce)).size, 5, 'five nonces')
  t.equal(await anchorTransactionsMined(chain.anvil), 5)
})

t.test('a key that does not own the contract sends nothing: batches wait as sealed, retried with backoff', async t => {
  const chain = await testChain(t)
  const w = anchorWorld(t)
  await w.settle(3)
  const service = w.service({}, chain.connector(OTHER_CHAIN_KEY))
  const report = await service.tick()
  t.equal(report.error, 'NOT_OWNER')
  t.equal((await w.store.batch(1))!.status, 'sealed')
  t.equal((await service.tick()).idle, 'backing_off')
  w.clock.advance(1_000)
  t.equal((await service.tick()).error, 'NOT_OWNER')
  t.equal(await anchorTransactionsMined(chain.anvil), 0)
})

t.test('never pays more than the fee cap, and waits when the base fee alone is above it', async t => {
  const chain = await testChain(t)
  const w = anchorWorld(t)
  await w.settle(2)
  const refusing = w.service({}, chain.connector(HUB_CHAIN_KEY, { maxFeePerGas_wei: 1_000n }))
  t.equal((await refusing.tick()).error, 'FEE_ABOVE_CAP')
  t.equal((await w.store.batch(1))!.status, 'sealed')
  t.equal((await w.store.batch(1))!.lastError, 'FEE_ABOVE_CAP')

  const block = await chain.anvil.rpc('eth_getBlockByNumber', ['latest', false]) as { baseFeePerGas: string }
  const cap = BigInt(block.baseFeePerGas) + 1_000n
  const capped = w.service({}, chain.connector(HUB_CHAIN_KEY, { maxFeePerGas_wei: cap }))
  await capped.tick()
  const transaction = await chain.anvil.rpc('eth_getTransactionByHash', [(await w.store.batch(1))!.txHash]) as { maxFeePerGas: string }
  t.equal(BigInt(transaction.maxFeePerGas), cap, 'the transaction offers the cap, not twice the base fee')
})

t.test('another root under the batch id is a conflict: left alone there, anchored on a new contract', async t => {
  const chain = await testChain(t)
  const w = anchorWorld(t)
  await w.settle(4)
  const provider = new JsonRpcProvider(chain.anvil.rpcUrl)
  t.teardown(() => provider.destroy())
  const contract = new Contract(chain.contractAddress, ANCHOR_ABI, new Wallet(HUB_CHAIN_KEY, provider))
  await (await contract.getFunction('anchor').send(1, `0x${'99'.repeat(32)}`, 4)).wait()

  const service = w.service({}, chain.connector())
  t.same((await service.tick()).steps, [{ batchId: 1, outcome: 'conflict' }])
  t.equal((await w.store.batch(1))!.status, 'conflict')
  t.same((await service.tick()).steps, [], 'not retried on the same contract')

  const fresh = await deployAnchor({ rpcUrl: chain.anvil.rpcUrl, privateKey: HUB_CHAIN_KEY, rpcTimeout_ms: 5_000 })
  const moved = w.service({}, chainAt(chain.anvil, fresh.address).connector())
  t.same((await moved.tick()).steps, [{ batchId: 1, outcome: 'sent' }])
  // A block mined on request: the next look finds the transaction mined however busy the machine is.
  await chain.anvil.mine()
  await moved.tick()
  t.equal((await w.store.batch(1))!.status, 'anchored')
  t.equal((await w.store.batch(1))!.contractAddress, fresh.address)
})
