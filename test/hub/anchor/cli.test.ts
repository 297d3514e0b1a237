import t, { type Test } from 'tap'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { toHex } from '../../../protocol/bytes'
import { nodeEd25519 } from '../../../protocol/signature/node'
import { buildApp } from '../../../hub/app'
import { main, type CliIo } from '../../../hub/cli'
import { ProofService } from '../../../hub/anchor/proofs'
import { proofReply, type ProofReply } from '../../../hub/anchor/replies'
import { addUser } from '../http/fixtures'
import { startAnvil } from '../../../simulator/anvil'
import { HUB_CHAIN_KEY, anchorWorld, testChain } from './world'

interface CapturedIo extends CliIo {
  out: string
  err: string
}

function capturedIo(): CapturedIo {
  const io: CapturedIo = {
    out: '',
    err: '',
    stdout: { write: (text: string) => (io.out += text) },
    stderr: { write: (text: string) => (io.err += text) },
    untilStopRequested: async () => {
      throw new Error('a subcommand must not start the hub')
    },
  }
  return io
}

/** A batch anchored on a fresh chain, and the proof file of one of its transfers. */
async function anchoredProof(t: Test) {
  const chain = await testChain(t)
  const w = anchorWorld(t)
  const ids = await w.settle(20)
  const service = w.service({ batchMax: 8 }, chain.connector())
  await service.tick()
  await service.tick()
  const lookup = await new ProofService(w.store).lookup(ids[11]!)
  if (lookup.kind !== 'proof') throw new Error('no proof')
  const reply = proofReply(lookup.proof, { hubPublicKey: w.context.hubKeys.publicKey, explorerUrl: undefined })
  const write = (proof: ProofReply): string => {
    const path = join(t.testdir(), 'proof.json')
    writeFileSync(path, JSON.stringify(proof))
    return path
  }
  return { chain, w, ids, reply, file: write(reply), write, hubKey: toHex(w.context.hubKeys.publicKey) }
}

t.test('deploy-anchor deploys a contract owned by the chain key and prints its address', async t => {
  const anvil = await startAnvil()
  t.teardown(() => anvil.stop())
  const io = capturedIo()
  t.equal(await main(['deploy-anchor', '--chain-rpc', anvil.rpcUrl], { PAYALL_CHAIN_KEY: HUB_CHAIN_KEY }, io), 0, io.err)
  const address = /PAYALL_ANCHOR_ADDRESS=(0x[0-9a-fA-F]{40})/.exec(io.out)?.[1]
  t.ok(address, 'the address is printed')
  t.not(await anvil.rpc('eth_getCode', [address, 'latest']), '0x', 'a contract is there')
  t.match(io.out, /chain id +31337/)

  const missing = capturedIo()
  t.equal(await main(['deploy-anchor', '--chain-rpc', anvil.rpcUrl], {}, missing), 2)
  t.match(missing.err, /PAYALL_CHAIN_KEY/)
})

t.test('verify-proof checks a proof file off chain and against the contract, hub signature included', async t => {
  const { chain, file, hubKey, reply } = await anchoredProof(t)
  const io = capturedIo()
  const code = await main(['verify-proof', file, '--rpc', chain.anvil.rpcUrl, '--address', chain.contractAddress, '--hub-key', hubKey], {}, io)
  t.equal(code, 0, io.out + io.err)
  t.notMatch(io.out, /FAIL/)
  t.match(io.out, /holds root 0x[0-9a-f]{64} over 8 transfers for batch 2/)
  t.match(io.out, /verify\(\) accepts/)
  t.match(io.out, /hub key signed batch 2/)
  t.match(io.out, new RegExp(`verified: transfer ${reply.transferId} is in batch 2`))

  const offChain = capturedIo()
  t.equal(await main(['verify-proof', file], {}, offChain), 0)
  t.match(offChain.out, /not checked on chain/, 'without an RPC endpoint it says what it did not check')
  t.match(offChain.out, /verified \(off chain only\)/)
})

t.test('verify-proof fails a tampered proof, a foreign leaf, another hub’s key and another contract', async t => {
  const { chain, reply, write } = await anchoredProof(t)
  const onChain = ['--rpc', chain.anvil.rpcUrl, '--address', chain.contractAddress]
  const flipped = reply.proof[0]!.slice(0, -1) + (reply.proof[0]!.endsWith('0') ? '1' : '0')

  const cases: Array<[string, ProofReply, string[]]> = [
    ['a flipped proof bit', { ...reply, proof: [flipped, ...reply.proof.slice(1)] }, onChain],
    ['a leaf that is not the transfer', { ...reply, leaf: `0x${'cd'.repeat(32)}` }, onChain],
    ['a root the contract does not hold', { ...reply, root: `0x${'ee'.repeat(32)}`, batch: { ...reply.batch, root: `0x${'ee'.repeat(32)}` } }, onChain],
    ['another hub’s key', reply, ['--hub-key', toHex(nodeEd25519.keyPairFromSeed(new Uint8Array(32).fill(9)).publicKey)]],
  ]
  for (const [what, proof, args] of cases) {
    const io = capturedIo()
    t.equal(await main(['verify-proof', write(proof), ...args], {}, io), 1, what)
    t.match(io.out, /FAIL/, what)
    t.match(io.out, /NOT verified/, what)
  }

  const otherChain = await testChain(t)
  const io = capturedIo()
  t.equal(await main(['verify-proof', write(reply), '--rpc', otherChain.anvil.rpcUrl, '--address', otherChain.contractAddress], {}, io), 1,
    'a contract that never anchored the batch')
  t.match(io.out, /FAIL +contract .* holds batch 2/)
})

t.test('verify-proof fetches the proof from a hub with --id', async t => {
  const { chain, w, ids } = await anchoredProof(t)
  const app = await buildApp(w.context)
  t.teardown(() => app.close())
  await app.listen({ host: '127.0.0.1', port: 0 })
  const address = app.server.address() as { port: number }
  const operatorId = await addUser(w.context, { email: 'operator@example.com', passwordHash: 'x', role: 'operator' })
  const token = (await app.issueAccessToken({ sub: operatorId })).token
  const env = { PAYALL_ACCESS_TOKEN: token, PAYALL_CHAIN_RPC: chain.anvil.rpcUrl, PAYALL_ANCHOR_ADDRESS: chain.contractAddress }

  const io = capturedIo()
  t.equal(await main(['verify-proof', '--id', ids[3]!, '--hub', `http://127.0.0.1:${address.port}`], env, io), 0, io.out + io.err)
  t.match(io.out, /verified: transfer .* is in batch 1/)

  const schemeless = capturedIo()
  t.equal(await main(['verify-proof', '--id', ids[3]!, '--hub', `127.0.0.1:${address.port}`], env, schemeless), 0, 'http:// is assumed')

  const noToken = capturedIo()
  t.equal(await main(['verify-proof', '--id', ids[3]!, '--hub', `http://127.0.0.1:${address.port}`], {}, noToken), 2)
  t.match(noToken.err, /^payall-hub verify-proof: --id needs an access token in PAYALL_ACCESS_TOKEN/)

  const refused = capturedIo()
  t.equal(await main(['verify-proof', '--id', ids[3]!, '--hub', `http://127.0.0.1:${address.port}`], { PAYALL_ACCESS_TOKEN: 'expired' }, refused), 1)
  t.match(refused.err, /401 UNAUTHORIZED: .*\(PAYALL_ACCESS_TOKEN is not an access token the hub takes: expired\? log in again\)/)
})

t.test('verify-proof refuses bad usage with 2', async t => {
  const cases: Array<[string[], string]> = [
    [[], 'give the proof: a FILE, or --id TRANSFER_ID with --hub URL'],
    [['a.json', 'b.json'], 'give one FILE, got 2'],
    [['a.json', '--id', 'x'], 'give one FILE or --id, not both'],
    [['--id', 'x'], '--id needs --hub URL'],
    [['a.json', '--address', 'nope'], 'not an address: nope'],
    [['a.json', '--bogus'], "Unknown option '--bogus'"],
  ]
  for (const [argv, message] of cases) {
    const io = capturedIo()
    t.equal(await main(['verify-proof', ...argv], {}, io), 2, argv.join(' '))
    t.match(io.err, `payall-hub verify-proof: ${message}`)
    t.match(io.err, /Usage: payall-hub verify-proof/)
  }
  // Checked before the proof is read: under a small-order key a forged batch signature would pass.
  for (const [hubKey, problem] of [[`01${'00'.repeat(31)}`, 'small-order'], [`ed${'ff'.repeat(30)}7f`, 'non-canonical']]) {
    const io = capturedIo()
    t.equal(await main(['verify-proof', 'a.json', '--hub-key', hubKey!], {}, io), 2, hubKey)
    t.match(io.err, new RegExp(`--hub-key is not an Ed25519 public key: ${problem}`))
  }
  const help = capturedIo()
  t.equal(await main(['--help'], {}, help), 0)
  t.match(help.out, /deploy-anchor/)
  t.match(help.out, /verify-proof/)
})

t.test('verify-proof on a saved refusal of the hub says so, instead of naming a missing field', async t => {
  const path = join(t.testdir(), 'proof.json')
  writeFileSync(path, JSON.stringify({ error: { code: 'CONFLICT', message: 'transfer ab is settled but not sealed into a batch yet; ask again later' } }))
  const io = capturedIo()
  t.equal(await main(['verify-proof', path], {}, io), 1)
  t.equal(io.err, "payall-hub verify-proof: not a proof: the file holds the hub's refusal: CONFLICT: transfer ab is settled but not sealed into a batch yet; ask again later\n")
})
