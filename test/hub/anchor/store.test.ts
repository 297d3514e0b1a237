// The anchoring store and the sealer on both engines (SQLite, PostgreSQL): ranges of transfer keys sealed once each,
// the guards of sealed batches, a batch's chain state moved by conditional UPDATEs; on PostgreSQL, two hubs sealing and
// sending at once, and a transfer whose key was drawn before another's but committed after it.

import t from 'tap'
import { StandardMerkleTree } from '@openzeppelin/merkle-tree'
import { toHex } from '../../../protocol/bytes'
import { ManualClock } from '../../../protocol/clock'
import { nodeEd25519 } from '../../../protocol/signature/node'
import { rootInPlace } from '../../../hub/anchor/merkle-roots'
import { ProofService } from '../../../hub/anchor/proofs'
import { Sealer } from '../../../hub/anchor/seal'
import { anchorSettings } from '../../../hub/anchor/settings'
import { AnchorStore } from '../../../hub/anchor/store'
import { cashTransferId } from '../../../hub/ledger/ids'
import type { SqlQuery } from '../../../hub/store/sql'
import { engineTests } from '../helpers/engines'
import { twoHubs } from '../helpers/two-hubs'

const root = t
const engineTest = engineTests(t)
const hubKeys = nodeEd25519.generateKeyPair()
const TARGET = { chainId: 31337, contractAddress: `0x${'c0'.repeat(20)}`, senderAddress: `0x${'5d'.repeat(20)}` }

let written = 0

/** Writes one cash-in transfer per key (no postings: sealing reads the transfers alone); their ids, in order. */
async function writeTransfers(sql: SqlQuery, count: number, at_ms = 1_000): Promise<string[]> {
  const ids: string[] = []
  for (let index = 0; index < count; index++) {
    const id = cashTransferId('cash_in', 'anchor-store-test', `key-${written++}`)
    await sql.run(`INSERT INTO transfers (id, kind, currency, amount_minor, content_sha256, created_at_ms)
      VALUES (?, 'cash_in', 'XOF', 1, ?, ?)`, [id, id, at_ms])
    ids.push(id)
  }
  return ids
}

function sealerOf(store: AnchorStore, batch_max: number): Sealer {
  return new Sealer(store, hubKeys, nodeEd25519, new ManualClock(5_000), anchorSettings({ batchMax: batch_max, batchAge_ms: 0 }), rootInPlace)
}

engineTest('transfers are sealed into ranges, oldest first, each at its own leaf, with a root that rebuilds', async (t, factory) => {
  const { engine } = await factory.open(t)
  const store = new AnchorStore(engine)
  t.same(await store.queueState(), { queuedCount: 0, oldestQueuedAtMs: undefined })
  const ids = await writeTransfers(engine, 12)
  t.same(await store.queueState(), { queuedCount: 12, oldestQueuedAtMs: 1_000 })
  const sealer = sealerOf(store, 5)
  t.same((await sealer.sealDue()).map(({ batch }) => [batch.batchId, batch.count]), [[1, 5], [2, 5], [3, 2]])
  t.equal(await sealer.sealOne(), undefined, 'nothing is left to seal')
  t.same(await store.queueState(), { queuedCount: 0, oldestQueuedAtMs: undefined })
  const values = await Promise.all([1, 2, 3].map(batchId => store.batchTransferIds(batchId)))
  t.same(values.flat(), ids, 'every transfer in one batch, in the order written')
  t.same(await Promise.all(ids.map(id => store.leafOf(id))),
    values.flatMap((batchValues, index) => batchValues.map((_id, leafIndex) => ({ batchId: index + 1, leafIndex }))))
  const proofs = new ProofService(store)
  for (const [index, batchValues] of values.entries()) {
    const batch = (await store.batch(index + 1))!
    t.equal(`0x${toHex(batch.root)}`, StandardMerkleTree.of(batchValues.map(id => [`0x${id}`]), ['bytes32']).root)
    t.match(batch, { status: 'sealed', sendCount: 0, txHash: null, sealedAtMs: 5_000 })
  }
  const lookup = await proofs.lookup(ids[7]!)
  t.match(lookup, { kind: 'proof', proof: { leafIndex: 2, batch: { batchId: 2 } } })
  const [later] = await writeTransfers(engine, 1)
  t.same(await proofs.lookup(later!), { kind: 'queued' }, 'settled, not sealed yet')
  t.same(await proofs.lookup('ab'.repeat(32)), { kind: 'unknown' })
  t.equal(await store.transferExists(later!), true)
  t.same((await store.batchPage(2, 0)).batches.map(batch => batch.batchId), [3, 2])
  t.equal((await store.batchPage(2, 2)).total, 3)
  t.equal(await store.waitingCount(), 3)
})

engineTest('a sealed batch and its range cannot be rewritten, and ranges follow one another', async (t, factory) => {
  const { engine } = await factory.open(t)
  const store = new AnchorStore(engine)
  await writeTransfers(engine, 2)
  await sealerOf(store, 1).sealOne()
  await t.rejects(engine.run('UPDATE anchor_batches SET root = ? WHERE id = 1', [Buffer.alloc(32)]), /ANCHOR_IMMUTABLE/)
  await t.rejects(engine.run('UPDATE anchor_batches SET last_seq = last_seq + 1 WHERE id = 1'), /ANCHOR_IMMUTABLE/)
  await t.rejects(engine.run('UPDATE anchor_ranges_origin SET from_seq = from_seq + 1'), /ANCHOR_IMMUTABLE/)
  await t.rejects(engine.run('DELETE FROM anchor_batches'), /ANCHOR_IMMUTABLE/)
  const last = (await engine.get<{ last_seq: number }>('SELECT last_seq FROM anchor_batches WHERE id = 1'))!.last_seq
  const insert = (first: number, lastSeq: number | null) => engine.run(
    `INSERT INTO anchor_batches (id, root, leaf_count, sealed_at_ms, hub_signature, status, first_seq, last_seq)
     VALUES (2, ?, 1, 0, ?, 'sealed', ?, ?)`, [Buffer.alloc(32), Buffer.alloc(64), first, lastSeq])
  await t.rejects(insert(last + 2, last + 2), /ANCHOR_RANGE/, 'a range that skips keys is refused')
  await t.rejects(insert(last, last), /ANCHOR_RANGE/, 'a range that overlaps the last one is refused')
  await t.rejects(insert(last + 1, null), /ANCHOR_RANGE/, 'a range has both ends')
  t.equal((await sealerOf(store, 1).sealOne())!.batch.batchId, 2, 'the next range is sealed as it should be')
})

engineTest('a batch moves on chain by conditional updates: one transaction recorded per send count, none after anchored', async (t, factory) => {
  const [one, other] = await twoHubs(root, t, factory)
  const [hubA, hubB] = [new AnchorStore(one), new AnchorStore(other)]
  await writeTransfers(one, 3)
  await sealerOf(hubA, 1).sealDue()
  const sent = (txByte: string, txNonce: number) => ({ txHash: `0x${txByte.repeat(32)}`, txNonce, sentAtMs: 6_000 })
  const batch = (await hubA.batch(1))!
  const outcomes = await Promise.all([
    hubA.markSent(1, batch.sendCount, TARGET, sent('a1', 0)), hubB.markSent(1, batch.sendCount, TARGET, sent('b1', 0))])
  t.same(outcomes.filter(Boolean).length, 1, 'of two hubs sending the batch it read at once, one records its transaction')
  t.match(await hubB.batch(1), { status: 'sent', sendCount: 1, txNonce: 0, txHash: outcomes[0] ? sent('a1', 0).txHash : sent('b1', 0).txHash })
  t.equal(await hubB.markSent(1, 0, TARGET, sent('b2', 1)), false, 'a send count read before is out of date')
  t.equal(await hubB.markSent(1, 1, TARGET, sent('b2', 1)), true, 'a resend on what is stored now goes')
  t.equal(await hubA.nonceInFlightMax(TARGET.chainId, TARGET.senderAddress), 1)
  t.equal(await hubA.nonceInFlightMax(TARGET.chainId, `0x${'99'.repeat(20)}`), undefined)

  await hubA.recordError(1, 'CHAIN_UNREACHABLE')
  t.match(await hubA.batch(1), { lastError: 'CHAIN_UNREACHABLE' })
  await hubA.markAnchored(1, TARGET, { txHash: null, blockNumber: 7, anchoredAtMs: 8_000 })
  t.match(await hubA.batch(1), { status: 'anchored', blockNumber: 7, anchoredAtMs: 8_000, txHash: sent('b2', 1).txHash, lastError: null })
  t.equal(await hubB.markSent(1, 2, TARGET, sent('b3', 2)), false, 'an anchored batch is never sent again')
  await hubB.markConflict(1, TARGET)
  await hubB.recordError(1, 'LATE')
  await hubB.markAnchored(1, TARGET, { txHash: null, blockNumber: 99, anchoredAtMs: 9_000 })
  t.match(await hubA.batch(1), { status: 'anchored', blockNumber: 7, lastError: null }, 'and stays as anchored')

  await hubA.markConflict(2, TARGET)
  t.same((await hubA.unanchored(TARGET, 10)).map(unanchored => unanchored.batchId), [3],
    'a conflict on the contract in use waits for an operator')
  t.same((await hubA.unanchored({ ...TARGET, contractAddress: `0x${'c1'.repeat(20)}` }, 10)).map(unanchored => unanchored.batchId), [2, 3],
    'and gets another chance on another contract')
  t.equal(await hubA.waitingCount(), 2)
})

engineTest('two hubs sealing at once seal every transfer once, in ranges that follow one another', async (t, factory) => {
  const [one, other] = await twoHubs(root, t, factory)
  const [hubA, hubB] = [new AnchorStore(one), new AnchorStore(other)]
  const ids = await writeTransfers(one, 23)
  const sealed = await Promise.all([sealerOf(hubA, 4).sealDue(), sealerOf(hubB, 4).sealDue(), sealerOf(hubB, 4).sealDue()])
  const batchIds = sealed.flat().map(({ batch }) => batch.batchId).sort((a, b) => a - b)
  t.same(batchIds, [1, 2, 3, 4, 5, 6], 'six batches in all, whoever sealed each')
  const values = await Promise.all(batchIds.map(batchId => hubB.batchTransferIds(batchId)))
  t.same(values.flat(), ids, 'every transfer once, in order')
  const proofs = new ProofService(hubB)
  for (const id of ids) t.equal((await proofs.lookup(id)).kind, 'proof')
})

engineTest('PostgreSQL: a range waits for a transfer whose key was drawn before a sealed one\'s and committed after it', async (t, factory) => {
  if (factory.dialect !== 'postgres') return
  const [settler, sealerEngine] = await twoHubs(root, t, factory)
  const store = new AnchorStore(sealerEngine)
  let commit!: () => void
  const held = new Promise<void>(resolve => { commit = resolve })
  let drawn!: () => void
  const keyDrawn = new Promise<void>(resolve => { drawn = resolve })
  // The first transfer takes key 1 and holds its transaction open; the second takes key 2 and commits at once.
  const first = settler.write(async sql => {
    const [id] = await writeTransfers(sql, 1)
    drawn()
    await held
    return id!
  })
  await keyDrawn
  const [second] = await writeTransfers(settler, 1)
  const sealing = sealerOf(store, 10).sealOne()
  // The sealer waits on the open transaction: its lock request is queued behind it.
  for (let waits = 0; ; waits++) {
    const waiting = await settler.get<{ n: number }>(`SELECT count(*) AS n FROM pg_locks WHERE NOT granted AND locktype = 'relation'`)
    if (waiting!.n > 0) break
    if (waits > 1_000) throw new Error('the sealer never waited for the open transfer')
  }
  commit()
  const firstId = await first
  const sealed = await sealing
  t.same(await store.batchTransferIds(sealed!.batch.batchId), [firstId, second], 'both transfers, in key order, in one range')
  t.equal((await new ProofService(store).lookup(firstId)).kind, 'proof', 'whose root rebuilds')
})
