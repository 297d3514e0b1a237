import t from 'tap'
import { randomBytes } from 'node:crypto'
import { equalBytes } from '../../protocol/bytes'
import { verifyChainSegment } from '../../protocol/chain'
import { MerkleTree } from '../../protocol/merkle'
import { AckOutcome } from '../../protocol/messages/ack'
import {
  canonicalTransferIds, proofBundleCodec, proofRequestCodec, type ProofBundleBody,
} from '../../protocol/messages/proof-bundle'
import { PaymentMode, transferRecordCodec } from '../../protocol/messages/transfer-record'
import { Reason } from '../../protocol/reasons'
import type { KeyPair } from '../../protocol/signature/ed25519'
import { nodeEd25519 } from '../../protocol/signature/node'
import { TerminalEmitter } from '../../terminal/events'
import { ProofKeeper, judgeProofBundle } from '../../terminal/proofs'
import { TerminalStore } from '../../terminal/store/store'
import { DAY_MS, ManualClock } from '../../protocol/clock'
import type { OnlineRefunder, RefundAnswer } from '../../terminal/payment'
import { refundRequestCodec, refundResponseCodec } from '../../protocol/messages/refund'
import {
  CURRENCY, EUI, FixedAuthorizer, HUB, OTHER_HUB, T0, counterTerminal, phoneLink, phoneWithVoucher, provisionedStore,
} from './fixtures'

type Phone = ReturnType<typeof phoneWithVoucher>['phone']

function pay(store: TerminalStore, phone: Phone, amount_minor: number, time_ms = T0) {
  const request = { gatewayEui: EUI, amountMinor: amount_minor, currency: CURRENCY, nonce: new Uint8Array(randomBytes(16)), timeMs: time_ms, merchantName: 'Shop' }
  store.openRequest(request)
  const { voucher, authorization } = phone.authorize(request)
  return store.appendPayment({ authorization, voucher, mode: PaymentMode.Offline, nowMs: time_ms })
}

function ack(store: TerminalStore, seqs: number[], now_ms = T0, outcome: AckOutcome = AckOutcome.Settled) {
  return store.applyAck({
    gatewayEui: EUI, headSeq: Math.max(...seqs), headHash: store.record(Math.max(...seqs))!.recordHash, timeMs: now_ms,
    entries: seqs.map(gatewaySeq => ({
      gatewaySeq, outcome, reason: outcome === AckOutcome.Rejected ? Reason.InsufficientFunds : Reason.None,
    })),
  }, now_ms)
}

/** A batch tree over the given transfer ids and some of other gateways, and the hub's bundle for `proved`. */
function anchoredBundle(proved: Uint8Array[], options: { hub?: KeyPair; eui?: string; batchId?: number; pending?: Uint8Array[] } = {}) {
  const others = Array.from({ length: 5 }, () => new Uint8Array(randomBytes(32)))
  const values = [...others.slice(0, 2), ...proved, ...others.slice(2)]
  const tree = MerkleTree.build(values)
  const body: ProofBundleBody = {
    gatewayEui: options.eui ?? EUI,
    batch: {
      batchId: options.batchId ?? 1, root: tree.root, leafCount: tree.leafCount, chainId: 31337,
      contractAddress: new Uint8Array(20).fill(0xac), txHash: new Uint8Array(32).fill(0x7a), blockNumber: 42,
    },
    entries: canonicalTransferIds(proved).map(id => ({ transferId: id, leafIndex: tree.indexOf(id), proof: tree.proof(id) })),
    pending: options.pending ?? [],
    unknown: [],
  }
  return { body, tree }
}

const sign = (body: ProofBundleBody, hub: KeyPair = HUB) => proofBundleCodec.encode(proofBundleCodec.sign(body, hub.secretKey, nodeEd25519))

function world(t: Tap, retention_ms = 0) {
  const dir = t.testdir()
  const store = provisionedStore(dir)
  t.teardown(() => store.close())
  const clock = new ManualClock(T0)
  const events = new TerminalEmitter()
  const errors: string[] = []
  events.on('sync-error', ({ code, message }) => errors.push(`${code}: ${message}`))
  const keeper = new ProofKeeper({
    store, events, clock, retentionMs: retention_ms, trust: { hubPublicKey: HUB.publicKey, eui: EUI, ed25519: nodeEd25519 },
  })
  const { phone } = phoneWithVoucher()
  return { dir, store, clock, events, errors, keeper, phone }
}
type Tap = { testdir(): string; teardown(fn: () => unknown): void }

t.test('keeps a verified bundle with its records and reports it', async t => {
  const { store, keeper, events, phone } = world(t, DAY_MS)
  const records = [pay(store, phone, 100), pay(store, phone, 200), pay(store, phone, 300)]
  ack(store, [1, 2, 3])
  const kept = events.next('proofs-kept')
  const { body, tree } = anchoredBundle(records.slice(0, 2).map(r => r.transferId))
  t.equal(keeper.onBundle(sign(body)).accepted, true)
  t.same((await kept)[0], { batchId: 1, stored: 2, alreadyKept: 0 })
  const proof = store.proofs.proofOf(records[0]!.transferId)!
  t.same(proof.root, tree.root)
  t.same(proof.proof, tree.proof(records[0]!.transferId))
  t.match(proof, { batchId: 1, chainId: 31337, blockNumber: 42, leafCount: tree.leafCount, receivedAtMs: T0 })
  t.equal(store.record(1)!.prunable, true)
  t.equal(store.record(3)!.prunable, false)
  t.match(store.proofs.counts(), { proofsKept: 2, proofsAwaited: 1, recordsPruned: 0 })
  t.equal(keeper.onBundle(sign(body)).accepted, true, 'a redelivered bundle is accepted again')
  t.match(store.proofs.counts(), { proofsKept: 2 }, 'and stores nothing twice')
})

t.test('refuses, and stores nothing of, a bundle that is not sound', async t => {
  const { store, keeper, errors, phone } = world(t)
  const records = [pay(store, phone, 100), pay(store, phone, 200), pay(store, phone, 300)]
  ack(store, [1, 2])
  const ids = records.slice(0, 2).map(r => r.transferId)
  const { body } = anchoredBundle(ids)

  const tampered = structuredClone(body)
  tampered.entries[1]!.proof[0]![0]! ^= 1
  const wrongRoot = { ...body, batch: { ...body.batch!, root: anchoredBundle(ids).tree.root.map(b => b ^ 0xff) } }
  const stranger = anchoredBundle([...ids, new Uint8Array(32).fill(0x55)]).body
  const cases: Array<[string, Uint8Array, string]> = [
    ['a tampered proof', sign(tampered), 'bad-proof'],
    ['proofs under another root', sign(wrongRoot), 'bad-proof'],
    ['another hub\'s signature', sign(body, OTHER_HUB), 'bad-signature'],
    ['a bundle for another gateway', sign({ ...body, gatewayEui: '70B3D57ED00000FF' }), 'foreign'],
    ['a proof for a transfer it does not hold', sign(stranger), 'not-held'],
    ['bytes that are no bundle', Uint8Array.from([0x0e, 1, 2, 3]), 'malformed'],
  ]
  for (const [what, bytes, refusal] of cases) {
    const judged = keeper.onBundle(bytes)
    t.equal(judged.accepted === false && judged.refusal, refusal, what)
  }
  const flipped = sign(body)
  flipped[flipped.length - 1]! ^= 0x80
  t.equal(judgeProofBundle(flipped, { hubPublicKey: HUB.publicKey, eui: EUI, ed25519: nodeEd25519 }).accepted, false, 'a flipped signature bit')
  t.match(store.proofs.counts(), { proofsKept: 0, proofsAwaited: 2 }, 'nothing was stored')
  t.equal(errors.length, cases.length)
  t.ok(errors.every(line => line.startsWith('PROOFS_REFUSED')))
  t.equal(store.recordsFrom(1, 10).length, 3, 'and nothing was pruned')
})

t.test('prunes only records acked and proved, past the retention window, never the chain head', async t => {
  const { store, keeper, clock, phone } = world(t, DAY_MS)
  const records = [1, 2, 3, 4, 5].map(amount => pay(store, phone, amount * 100))
  ack(store, [1, 2, 3, 5])
  // Proofs for 1, 3, 4 (4 not acked yet: the hub anchored it, its ack was lost) and 5 (the head).
  const { body } = anchoredBundle([0, 2, 3, 4].map(i => records[i]!.transferId))
  t.equal(keeper.onBundle(sign(body)).accepted, true)
  t.same(store.recordsFrom(1, 10).map(r => r.gatewaySeq), [1, 2, 3, 4, 5], 'nothing inside the retention window goes')

  clock.advance(DAY_MS)
  t.equal(keeper.prune(), 2)
  t.same(store.recordsFrom(1, 10).map(r => r.gatewaySeq), [2, 4, 5], '2 has no proof, 4 no ack, 5 is the head')
  t.equal(store.proofs.proofOf(records[0]!.transferId), undefined, 'a pruned record takes its proof along')
  t.match(store.proofs.counts(), { proofsKept: 2, proofsAwaited: 1, recordsPruned: 2, prunedThroughSeq: 3, lastPrunedAtMs: T0 + DAY_MS })
  t.throws(() => store.db.prepare('DELETE FROM records WHERE gateway_seq = 5').run(), /deleted only once rejected, or acked and proved/, 'the head stays, even by hand')
  t.throws(() => store.db.prepare('DELETE FROM records WHERE gateway_seq = 2').run(), /deleted only once rejected, or acked and proved/, 'an unproved record stays')
  t.throws(() => store.db.prepare('DELETE FROM anchor_proofs').run(), /only with its record/, 'a proof goes only with its record')
})

t.test('the chain goes on after pruning and a restart', async t => {
  const { dir, store, keeper, clock, events, phone } = world(t, 0)
  const records = [1, 2, 3].map(amount => pay(store, phone, amount * 100))
  ack(store, [1, 2, 3])
  const pruned = events.next('records-pruned')
  keeper.onBundle(sign(anchoredBundle(records.map(r => r.transferId)).body))
  t.same((await pruned)[0], { count: 2, throughSeq: 2 }, 'retention 0: pruned as soon as proved, all but the head')
  t.equal(keeper.prune(), 0, 'and nothing more')
  const head = store.chainHead()
  store.close()

  const reopened = TerminalStore.open(dir)
  t.teardown(() => reopened.close())
  t.same(reopened.chainHead(), head, 'the head survives')
  clock.advance(1)
  const next = pay(reopened, phone, 400, clock.now_ms())
  t.equal(next.gatewaySeq, 4)
  t.ok(equalBytes(next.previousHash, records[2]!.recordHash), 'the new record links to the last one, pruned or not')
  const kept = reopened.recordsFrom(1, 10).map(r => transferRecordCodec.decode(r.record))
  t.same(verifyChainSegment({ gatewaySeq: 2, hash: records[1]!.recordHash }, kept).position, reopened.chainHead(),
    'what is left is a chain from the last pruned record to the head')
})

t.test('rejected records are pruned like acked and proved ones, past the retention window, never as the head', async t => {
  const { store, keeper, clock, events, phone } = world(t, DAY_MS)
  const records = [1, 2, 3, 4].map(amount => pay(store, phone, amount * 100))
  ack(store, [1, 3], T0, AckOutcome.Rejected)
  ack(store, [2], T0)
  t.equal(store.record(1)!.prunable, true, 'a rejected record has no proof to wait for')
  t.equal(store.record(2)!.prunable, false, 'an acked one waits for its proof')
  t.equal(keeper.prune(), 0, 'nothing within the retention window')

  clock.advance(DAY_MS)
  const pruned = events.next('records-pruned')
  t.equal(keeper.prune(), 2, 'both rejected records went; the settled one still awaits its proof')
  t.same((await pruned)[0], { count: 2, throughSeq: 3 })
  t.same(store.recordsFrom(1, 10).map(r => r.gatewaySeq), [2, 4])

  store.proofs.saveBundle(anchoredBundle([records[1]!.transferId]).body, clock.now_ms())
  ack(store, [4], T0, AckOutcome.Rejected)
  t.equal(keeper.prune(), 1, 'the proved one goes too, the head (rejected or not) stays')
  t.same(store.recordsFrom(1, 10).map(r => r.gatewaySeq), [4])
  t.throws(() => store.db.prepare('DELETE FROM records WHERE gateway_seq = 4').run(), /never as the chain head/)
})

t.test('a pruned payment keeps its number: a refund by number still finds it', async t => {
  const { store, keeper, clock, phone } = world(t, 0)
  const records = [1, 2, 3].map(amount => pay(store, phone, amount * 1_000))
  ack(store, [1, 2, 3])
  keeper.onBundle(sign(anchoredBundle(records.map(r => r.transferId)).body))
  t.equal(store.record(1), undefined, 'the record itself is gone')
  t.same(store.payments.bySeq(1), { gatewaySeq: 1, transferId: records[0]!.transferId, amountMinor: 1_000, currency: CURRENCY })
  t.same(store.payments.byTransfer(records[1]!.transferId)?.gatewaySeq, 2)
  t.equal(store.payments.bySeq(9), undefined)

  const sent: Uint8Array[] = []
  const refunder: OnlineRefunder = {
    async refund(request): Promise<RefundAnswer> {
      sent.push(request)
      const asked = refundRequestCodec.decode(request)
      const body = {
        refundId: asked.refundId, transferId: asked.transferId, approved: true, reason: Reason.None,
        amountMinor: asked.amountMinor, refundedMinor: asked.amountMinor, timeMs: clock.now_ms(),
      }
      return { response: body, bytes: refundResponseCodec.encode(refundResponseCodec.sign(body, HUB.secretKey, nodeEd25519)) }
    },
  }
  const { terminal } = counterTerminal(store, phoneLink(phone), { clock, refunder, online: new FixedAuthorizer(true) })
  const outcome = await terminal.refund({ gatewaySeq: 1 })
  t.equal(outcome.kind, 'approved', 'the whole of payment #1, found by its number')
  const asked = refundRequestCodec.decode(sent[0]!)
  t.ok(equalBytes(asked.transferId, records[0]!.transferId))
  t.equal(asked.amountMinor, 1_000)
  t.match(await terminal.refund({ gatewaySeq: 1 }, 1), { kind: 'declined', reason: Reason.RefundExceedsPayment },
    'and never beyond it')
})

t.test('pruning goes in bounded transactions', async t => {
  const { store, phone } = world(t, 0)
  const records = Array.from({ length: 12 }, (_, i) => pay(store, phone, 10 + i))
  ack(store, records.map(r => r.gatewaySeq))
  store.proofs.saveBundle(anchoredBundle(records.map(r => r.transferId)).body, T0)
  t.equal(store.proofs.pruneSome(T0, 5, T0), 5)
  t.equal(store.proofs.pruneSome(T0, 5, T0), 5)
  t.equal(store.proofs.pruneSome(T0, 5, T0), 1, 'the head is left')
  t.equal(store.proofs.pruneSome(T0, 5, T0), 0)
  t.throws(() => store.proofs.pruneSome(T0, 100_000, T0), /deletes 1\.\.256 records/)
})

t.test('asks for the proofs of acked records only, in bounded requests that rotate', async t => {
  const { store, keeper, clock, phone } = world(t, DAY_MS)
  const records = Array.from({ length: 300 }, (_, i) => pay(store, phone, 10 + i))
  ack(store, records.slice(0, 290).map(r => r.gatewaySeq))
  store.proofs.saveBundle(anchoredBundle([records[0]!.transferId]).body, T0)

  const first = keeper.takeRequests().map(bytes => proofRequestCodec.decode(bytes))
  t.same(first.map(r => r.transferIds.length), [256, 33], '289 acked records miss a proof: two requests')
  const asked = first.flatMap(r => r.transferIds)
  t.ok(first.every(r => r.gatewayEui === EUI))
  const expected = records.slice(1, 290).map(r => r.transferId)
  t.same(canonicalTransferIds(asked), canonicalTransferIds(expected), 'exactly the acked records without a proof')
  t.same(keeper.takeRequests(), [], 'nothing is asked again within the interval')
  t.equal(keeper.takeRequests(true).flatMap(bytes => proofRequestCodec.decode(bytes).transferIds).length, 289,
    'but everything at a reconnect or a sync by hand, whose answer may have been lost with the link')
  clock.advance(keeper.requestInterval_ms)
  t.equal(keeper.takeRequests().flatMap(bytes => proofRequestCodec.decode(bytes).transferIds).length, 289, 'then all of it again')
})
