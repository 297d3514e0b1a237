import t, { type Test } from 'tap'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { StandardMerkleTree } from '@openzeppelin/merkle-tree'
import { Contract, Interface, JsonRpcProvider, Wallet, isError, type ContractTransactionResponse } from 'ethers'
import { MerkleTree } from '../../../protocol/merkle'
import { sha256, toHex } from '../../../protocol/bytes'
import { ANCHOR_ABI } from '../../../hub/anchor/chain'
import {
  CONTRACT_ARTIFACT_PATH, CONTRACT_SOURCE_PATH, artifactText, compileAnchor, repositoryRoot, sourceSha256,
} from '../../../hub/anchor/compile'
import { HUB_CHAIN_KEY, OTHER_CHAIN_KEY, testChain } from './world'

const root = repositoryRoot()
const ANCHOR_INTERFACE = new Interface(ANCHOR_ABI)

function transferIds(count: number, seed: string): string[] {
  return Array.from({ length: count }, (_, index) => `0x${toHex(sha256(Buffer.from(`${seed}:${index}`)))}`)
}

async function contractAs(t: Test, privateKey: string = HUB_CHAIN_KEY) {
  const chain = await testChain(t)
  const provider = new JsonRpcProvider(chain.anvil.rpcUrl, undefined, { cacheTimeout: -1 })
  t.teardown(() => provider.destroy())
  const contract = new Contract(chain.contractAddress, ANCHOR_ABI, new Wallet(privateKey, provider))
  const call = (name: string, ...args: unknown[]) => contract.getFunction(name).staticCall(...args)
  const send = async (name: string, ...args: unknown[]) => {
    const response = await contract.getFunction(name).send(...args) as ContractTransactionResponse
    return response.wait()
  }
  return { chain, provider, contract, call, send }
}

/** The contract's custom error a transaction was refused with, or 'accepted'. */
async function refusal(transaction: Promise<unknown>): Promise<string | undefined> {
  try {
    await transaction
    return 'accepted'
  } catch (error) {
    if (!isError(error, 'CALL_EXCEPTION')) return String(error)
    return error.revert?.name ?? (error.data === null ? undefined : ANCHOR_INTERFACE.parseError(error.data)?.name)
  }
}

t.test('the committed artifact is what contracts/Anchor.sol compiles to', async t => {
  const committed = readFileSync(join(root, CONTRACT_ARTIFACT_PATH), 'utf8')
  const source = readFileSync(join(root, CONTRACT_SOURCE_PATH), 'utf8')
  t.equal(JSON.parse(committed).sourceSha256, sourceSha256(source),
    'Anchor.sol changed since Anchor.json was written: run `node dist/hub/anchor/compile.js`')
  t.equal(committed, artifactText(compileAnchor(root)), 'recompiling gives the same ABI and bytecode, byte for byte')
})

t.test('anchors a root and verifies OpenZeppelin proofs on chain, as StandardMerkleTree.verify does off chain', async t => {
  const { call, send } = await contractAs(t)
  const ids = transferIds(37, 'verify')
  const tree = StandardMerkleTree.of(ids.map(id => [id]), ['bytes32'])
  t.equal(MerkleTree.fromHex(ids).rootHex, tree.root, 'protocol/merkle builds the same tree')
  const receipt = await send('anchor', 1, tree.root, ids.length)
  t.equal(receipt!.status, 1)

  const [storedRoot, count, blockNumber] = await call('batches', 1) as [string, bigint, bigint, bigint]
  t.equal(storedRoot, tree.root)
  t.equal(count, 37n)
  t.equal(blockNumber, BigInt(receipt!.blockNumber))
  for (const index of [0, 1, 18, 36]) {
    const proof = tree.getProof(index)
    t.ok(StandardMerkleTree.verify(tree.root, ['bytes32'], [ids[index]!], proof), `off chain, leaf ${index}`)
    t.equal(await call('verify', 1, ids[index], proof), true, `on chain, leaf ${index}`)
  }
})

t.test('a tampered proof, a foreign leaf or the wrong batch fails, on chain and off', async t => {
  const { call, send } = await contractAs(t)
  const ids = transferIds(16, 'tamper')
  const tree = StandardMerkleTree.of(ids.map(id => [id]), ['bytes32'])
  await send('anchor', 1, tree.root, ids.length)
  const proof = tree.getProof(5)
  const tampered = [...proof]
  tampered[2] = `0x${(BigInt(tampered[2]!) ^ 1n).toString(16).padStart(64, '0')}`
  const foreign = transferIds(1, 'not in the batch')[0]!

  t.equal(await call('verify', 1, ids[5], tampered), false, 'one flipped bit in the proof')
  t.notOk(StandardMerkleTree.verify(tree.root, ['bytes32'], [ids[5]!], tampered))
  t.equal(await call('verify', 1, foreign, proof), false, 'a transfer outside the batch')
  t.notOk(StandardMerkleTree.verify(tree.root, ['bytes32'], [foreign], proof))
  t.equal(await call('verify', 1, ids[6], proof), false, 'another leaf’s proof')
  t.equal(await call('verify', 2, ids[5], proof), false, 'a batch that was never anchored')
  const leafHash = tree.leafHash([ids[5]!])
  t.equal(await call('verify', 1, leafHash, proof.slice(1)), false,
    'an inner node passed off as a leaf: the double-hashed leaf keeps second preimages out')
})

t.test('only the owner anchors, and a batch is never overwritten', async t => {
  const owner = await contractAs(t)
  const stranger = new Contract(owner.chain.contractAddress, ANCHOR_ABI, new Wallet(OTHER_CHAIN_KEY, owner.provider))
  const rootHex = `0x${'11'.repeat(32)}`
  t.equal(await refusal(stranger.getFunction('anchor').send(1, rootHex, 1)), 'OwnableUnauthorizedAccount', 'a stranger is refused')
  t.equal((await owner.call('batches', 1) as string[])[0], `0x${'00'.repeat(32)}`, 'nothing was stored')

  await owner.send('anchor', 1, rootHex, 1)
  t.equal(await refusal(owner.send('anchor', 1, `0x${'22'.repeat(32)}`, 1)), 'BatchAlreadyAnchored', 'not with another root')
  t.equal(await refusal(owner.send('anchor', 1, rootHex, 1)), 'BatchAlreadyAnchored', 'not even with the same root')
  t.equal(await refusal(owner.send('anchor', 2, `0x${'00'.repeat(32)}`, 1)), 'EmptyBatch', 'not a zero root')
  t.equal(await refusal(owner.send('anchor', 2, rootHex, 0)), 'EmptyBatch', 'not zero transfers')
  t.equal((await owner.call('batches', 1) as string[])[0], rootHex, 'the first root stands')
})

t.test('an anchor emits its batch id, root and count', async t => {
  const { contract, send } = await contractAs(t)
  const rootHex = `0x${'33'.repeat(32)}`
  const receipt = await send('anchor', 9, rootHex, 1234)
  const event = contract.interface.parseLog(receipt!.logs[0]!)
  t.equal(event?.name, 'Anchored')
  t.same(event?.args.toArray(), [9n, rootHex, 1234n])
})
