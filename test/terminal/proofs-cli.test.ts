import t from 'tap'
import { randomBytes } from 'node:crypto'
import { toHex } from '../../protocol/bytes'
import { MerkleTree, verifyProofHex } from '../../protocol/merkle'
import { AckOutcome } from '../../protocol/messages/ack'
import { canonicalTransferIds, proofBundleCodec } from '../../protocol/messages/proof-bundle'
import { PaymentMode } from '../../protocol/messages/transfer-record'
import { Reason } from '../../protocol/reasons'
import { nodeEd25519 } from '../../protocol/signature/node'
import { HELP, main, type CliIo } from '../../terminal/cli'
import { TerminalEmitter } from '../../terminal/events'
import { ProofKeeper } from '../../terminal/proofs'
import { ManualClock } from '../../protocol/clock'
import { CURRENCY, EUI, HUB, T0, phoneWithVoucher, provisionedStore } from './fixtures'

async function run(clock: ManualClock, ...argv: string[]) {
  const out: string[] = []
  const err: string[] = []
  const io: CliIo = {
    out: text => { out.push(text) }, err: text => { err.push(text) }, env: {}, clock, random: n => new Uint8Array(randomBytes(n)),
    fetch: () => Promise.reject(new Error('no network in this test')), stopSignal: () => Promise.resolve(),
  }
  const code = await main(argv, io)
  return { code, out: out.join(''), err: err.join('') }
}

t.test('status counts proofs kept and awaited and records pruned; export shows each kept proof', async t => {
  const dir = t.testdir()
  const clock = new ManualClock(T0)
  const store = provisionedStore(dir)
  const { phone } = phoneWithVoucher()
  const records = [100, 200, 300].map(amount_minor => {
    const request = { gatewayEui: EUI, amountMinor: amount_minor, currency: CURRENCY, nonce: new Uint8Array(randomBytes(16)), timeMs: T0, merchantName: 'Shop' }
    store.openRequest(request)
    const { voucher, authorization } = phone.authorize(request)
    return store.appendPayment({ authorization, voucher, mode: PaymentMode.Offline, nowMs: T0 })
  })
  store.applyAck({
    gatewayEui: EUI, headSeq: 3, headHash: records[2]!.recordHash, timeMs: T0,
    entries: [1, 2, 3].map(gatewaySeq => ({ gatewaySeq, outcome: AckOutcome.Settled, reason: Reason.None })),
  }, T0)
  const proved = [records[0]!, records[1]!].map(record => record.transferId)
  const tree = MerkleTree.build([...proved, new Uint8Array(32).fill(9)])
  const bundle = proofBundleCodec.sign({
    gatewayEui: EUI,
    batch: {
      batchId: 7, root: tree.root, leafCount: tree.leafCount, chainId: 31337, contractAddress: new Uint8Array(20).fill(0xab),
      txHash: new Uint8Array(32).fill(0xcd), blockNumber: 99,
    },
    entries: canonicalTransferIds(proved).map(id => ({ transferId: id, leafIndex: tree.indexOf(id), proof: tree.proof(id) })),
    pending: [],
    unknown: [],
  }, HUB.secretKey, nodeEd25519)
  const keeper = new ProofKeeper({
    store, events: new TerminalEmitter(), clock, retentionMs: 1_000, trust: { hubPublicKey: HUB.publicKey, eui: EUI, ed25519: nodeEd25519 },
  })
  t.equal(keeper.onBundle(proofBundleCodec.encode(bundle)).accepted, true)

  const status = await run(clock, 'status', '--json', '--data-dir', dir)
  t.equal(status.code, 0, status.err)
  t.same(JSON.parse(status.out).proofs, { kept: 2, awaited: 1, recordsPruned: 0, prunedThroughSeq: 0, lastPrunedAt: null })
  const lines = (await run(clock, 'export', '--data-dir', dir)).out.trim().split('\n').map(line => JSON.parse(line))
  t.equal(lines.length, 3)
  const first = lines[0].anchor
  t.match(first, { batchId: 7, root: tree.rootHex, leafCount: 3, chainId: 31337, contract: `0x${'ab'.repeat(20)}`, txHash: `0x${'cd'.repeat(32)}`, blockNumber: 99 })
  t.ok(verifyProofHex(first.root, `0x${lines[0].transferId}`, first.proof), 'an exported proof checks with the root it names')
  t.equal(lines[2].anchor, null, 'no proof yet for record 3')

  clock.advance(1_000)
  t.equal(keeper.prune(), 2)
  store.close()
  const after = await run(clock, 'status', '--data-dir', dir)
  t.match(after.out, /proofs +0 kept, 1 awaited; 2 records pruned \(up to #2, last /)
  const left = (await run(clock, 'export', '--data-dir', dir)).out.trim().split('\n').map(line => JSON.parse(line))
  t.same(left.map(line => line.gatewaySeq), [3], 'pruned records are gone from the export')
  t.equal(left[0].transferId, toHex(records[2]!.transferId))
  t.match(HELP, /Pruned records are not\s+there/)
})
