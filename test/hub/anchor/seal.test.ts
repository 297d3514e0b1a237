import t from 'tap'
import { join } from 'node:path'
import { StandardMerkleTree } from '@openzeppelin/merkle-tree'
import { toHex } from '../../../protocol/bytes'
import { nodeEd25519 } from '../../../protocol/signature/node'
import { sealedBatchMessage } from '../../../hub/anchor/batch'
import { Sealer } from '../../../hub/anchor/seal'
import { anchorSettings } from '../../../hub/anchor/settings'
import { AnchorStore } from '../../../hub/anchor/store'
import { openDatabase } from '../../../hub/store/database'
import { SqliteEngine } from '../../../hub/store/sql'
import { MIGRATIONS } from '../../../hub/store/migrations'
import { cashTransferId } from '../../../hub/ledger/ids'
import { ManualClock } from '../../../protocol/clock'
import { anchorWorld } from './world'

/** The migration after which batches cover ranges of transfer keys. */
const RANGES_VERSION = MIGRATIONS.find(migration => migration.name === 'anchor batches cover ranges of transfer keys')!.version

t.test('with no chain configured, batches are sealed by count and wait as sealed', async t => {
  const w = anchorWorld(t)
  const ids = await w.settle(25)
  const service = w.service({ batchMax: 10, batchAge_ms: 60_000 })
  const report = await service.tick()
  t.same(report.sealed, [1, 2], 'two full batches of 10; the last 5 are younger than the age limit')
  t.equal(report.idle, 'no_chain')
  t.same((await w.store.queueState()).queuedCount, 5)
  for (const batchId of [1, 2]) {
    const batch = (await w.store.batch(batchId))!
    t.equal(batch.status, 'sealed')
    t.equal(batch.count, 10)
    t.same(await w.store.batchTransferIds(batchId), ids.slice((batchId - 1) * 10, batchId * 10), 'oldest transfers first, in order')
  }
  t.same((await service.tick()).sealed, [], 'sealing again changes nothing while nothing more is due')
})

t.test('seals what waits once the oldest transfer is older than the batch age', async t => {
  const w = anchorWorld(t)
  await w.settle(3)
  const service = w.service({ batchMax: 1_000, batchAge_ms: 60_000 })
  t.same((await service.tick()).sealed, [], 'three transfers, just settled: not due')
  w.clock.advance(59_999)
  t.same((await service.tick()).sealed, [])
  w.clock.advance(1)
  t.same((await service.tick()).sealed, [1], 'due at exactly the age')
  t.equal((await w.store.batch(1))!.count, 3)
  t.equal((await w.store.queueState()).queuedCount, 0)
})

t.test('the root is OpenZeppelin’s over the transfer ids and the hub signs (batchId, root, count, sealedAtMs)', async t => {
  const w = anchorWorld(t)
  const ids = await w.settle(7)
  await w.service().tick()
  const batch = (await w.store.batch(1))!
  const expected = StandardMerkleTree.of(ids.map(id => [`0x${id}`]), ['bytes32'])
  t.equal(`0x${toHex(batch.root)}`, expected.root)
  t.ok(nodeEd25519.verify(sealedBatchMessage(batch), batch.hubSignature, w.context.hubKeys.publicKey), 'hub-signed')
  t.notOk(nodeEd25519.verify(sealedBatchMessage({ ...batch, count: 8 }), batch.hubSignature, w.context.hubKeys.publicKey),
    'the signature covers the count')
  t.equal(batch.sealedAtMs, w.clock.now_ms())
})

t.test('every settled transfer lands in exactly one batch, at its own leaf index', async t => {
  const w = anchorWorld(t)
  const ids = [...await w.settle(12), ...await w.settle(9)]
  const service = w.service({ batchMax: 5 })
  await service.tick()
  const leaves = await Promise.all(ids.map(id => w.store.leafOf(id)))
  t.ok(leaves.every(leaf => leaf !== undefined), 'none is left out')
  t.same(new Set(leaves.map(leaf => `${leaf!.batchId}/${leaf!.leafIndex}`)).size, ids.length, 'no two share a leaf')
  const values = await Promise.all([1, 2, 3, 4, 5].map(batchId => w.store.batchTransferIds(batchId)))
  const sealedIds = values.flat()
  t.same(sealedIds, ids, 'and none is in two batches')
  t.same(await Promise.all([1, 2, 3, 4, 5].map(async batchId => (await w.store.batch(batchId))!.count)), [5, 5, 5, 5, 1])
  t.same(leaves, values.flatMap((batchValues, index) => batchValues
    .map((_id, leafIndex) => ({ batchId: index + 1, leafIndex }))), 'each at the index of its id in its batch\'s values')
})

t.test('a seal that fails midway writes nothing: its transfers stay queued for the next one', async t => {
  const w = anchorWorld(t)
  await w.settle(4)
  const policy = anchorSettings({ batchMax: 10, batchAge_ms: 0 })
  const failing = new Sealer(w.store, w.context.hubKeys, {
    ...nodeEd25519,
    sign: () => {
      throw new Error('power loss while signing')
    },
  }, w.clock, policy)
  await t.rejects(failing.sealOne(), /power loss/)
  t.equal((await w.store.queueState()).queuedCount, 4)
  t.equal(await w.store.batch(1), undefined)

  const sealer = new Sealer(w.store, w.context.hubKeys, nodeEd25519, w.clock, policy)
  t.equal((await sealer.sealOne())!.batch.batchId, 1, 'the next seal takes the same transfers as batch 1')
  t.equal((await w.store.batch(1))!.count, 4)
  t.equal(await sealer.sealOne(), undefined, 'and then there is nothing left to seal')
})

t.test('a sealed batch and its range cannot be rewritten, and ranges follow one another', async t => {
  const w = anchorWorld(t)
  await w.settle(1)
  await w.service().tick()
  const db = w.context.db!
  t.throws(() => db.prepare('UPDATE anchor_batches SET root = ? WHERE id = 1').run(Buffer.alloc(32)), /ANCHOR_IMMUTABLE/)
  t.throws(() => db.prepare('UPDATE anchor_batches SET last_seq = last_seq + 1 WHERE id = 1').run(), /ANCHOR_IMMUTABLE/)
  t.throws(() => db.prepare('UPDATE anchor_ranges_origin SET from_seq = from_seq + 1').run(), /ANCHOR_IMMUTABLE/)
  t.throws(() => db.prepare('DELETE FROM anchor_batches').run(), /ANCHOR_IMMUTABLE/)
  const { last_seq: last } = db.prepare('SELECT last_seq FROM anchor_batches WHERE id = 1').get() as { last_seq: number }
  const insert = db.prepare(`INSERT INTO anchor_batches (id, root, leaf_count, sealed_at_ms, hub_signature, status, first_seq, last_seq)
    VALUES (2, zeroblob(32), 1, 0, zeroblob(64), 'sealed', ?, ?)`)
  t.throws(() => insert.run(last + 2, last + 2), /ANCHOR_RANGE/, 'a range that skips keys is refused')
  t.throws(() => insert.run(last, last), /ANCHOR_RANGE/, 'a range that overlaps the last one is refused')
  t.throws(() => insert.run(last + 1, null), /ANCHOR_RANGE/, 'a range has both ends')
})

t.test('transfers settled before anchoring existed are queued by the migration, oldest first', async t => {
  const path = join(t.testdir(), 'hub.sqlite')
  const before = openDatabase(path, { migrations: MIGRATIONS.slice(0, MIGRATIONS.findIndex(migration => migration.name === 'anchoring')) })
  // Written as that schema had them (the ledger's code of today writes the schema of today).
  before.exec(`INSERT INTO accounts (id, kind, currency, balance_minor, created_at_ms) VALUES ('external.XOF', 'external', 'XOF', -3, 1000);
    INSERT INTO accounts (id, kind, currency, balance_minor, created_at_ms) VALUES ('early', 'wallet', 'XOF', 3, 1000)`)
  const ids = ['a', 'b', 'c'].map(key => cashTransferId('cash_in', 'early', key))
  ids.forEach((id, index) => {
    before.prepare(`INSERT INTO transfers (id, kind, currency, amount_minor, content_sha256, created_at_ms) VALUES (?, 'cash_in', 'XOF', 1, ?, ?)`)
      .run(id, id, 1_000 + index)
    before.prepare(`INSERT INTO postings (transfer_id, posting_index, account_id, amount_minor, role)
      VALUES (?, 0, 'external.XOF', -1, 'payer'), (?, 1, 'early', 1, 'payee')`).run(id, id)
  })
  before.close()

  const after = openDatabase(path)
  t.teardown(() => after.close())
  const store = new AnchorStore(new SqliteEngine(after))
  t.same(await store.unsealed(10), { queued: true, transfers: ids.map((transferId, index) => ({ seq: index + 1, transferId })) })
})

t.test('after the move to ranges, what the old queue held is sealed from it first, then ranges; every proof is found', async t => {
  const path = join(t.testdir(), 'hub.sqlite')
  const before = openDatabase(path, { migrations: MIGRATIONS.filter(migration => migration.version < RANGES_VERSION) })
  before.exec(`INSERT INTO accounts (id, kind, currency, balance_minor, created_at_ms) VALUES ('external.XOF', 'external', 'XOF', -7, 1000);
    INSERT INTO accounts (id, kind, currency, balance_minor, created_at_ms) VALUES ('early', 'wallet', 'XOF', 7, 1000)`)
  const ids = ['a', 'b', 'c', 'd', 'e', 'f', 'g'].map(key => cashTransferId('cash_in', 'early', key))
  const write = (db: ReturnType<typeof openDatabase>, id: string, index: number): void => {
    const { lastInsertRowid: seq } = db.prepare(`INSERT INTO transfers (id, kind, currency, amount_minor, content_sha256, created_at_ms)
      VALUES (?, 'cash_in', 'XOF', 1, ?, ?)`).run(id, id, 1_000 + index)
    db.prepare(`INSERT INTO postings (transfer_seq, posting_index, account_id, amount_minor, role)
      VALUES (?, 0, 'external.XOF', -1, 'payer'), (?, 1, 'early', 1, 'payee')`).run(seq, seq)
  }
  ids.slice(0, 5).forEach((id, index) => write(before, id, index))
  // A hub of then sealed the first two, with a leaf row each, and took them off its queue.
  before.prepare(`INSERT INTO anchor_batches (id, root, leaf_count, sealed_at_ms, hub_signature, status)
    VALUES (1, zeroblob(32), 2, 0, zeroblob(64), 'sealed')`).run()
  ids.slice(0, 2).forEach((id, leafIndex) => before.prepare('INSERT INTO anchor_leaves (transfer_id, batch_id, leaf_index) VALUES (?, 1, ?)').run(id, leafIndex))
  before.prepare('DELETE FROM anchor_queue WHERE seq <= 2').run()
  before.close()

  const after = openDatabase(path)
  t.teardown(() => after.close())
  ids.slice(5).forEach((id, index) => write(after, id, 5 + index))
  const store = new AnchorStore(new SqliteEngine(after))
  t.same((await store.queueState()).queuedCount, 5, 'the three queued and the two written since')
  const clock = new ManualClock(5_000)
  const sealer = new Sealer(store, nodeEd25519.generateKeyPair(), nodeEd25519, clock, anchorSettings({ batchMax: 10, batchAge_ms: 0 }))
  t.equal((await sealer.sealOne())!.batch.count, 3, 'batch 2: what the queue held')
  t.equal((await sealer.sealOne())!.batch.count, 2, 'batch 3: the range written since')
  t.equal(await sealer.sealOne(), undefined)
  t.equal((await store.queueState()).queuedCount, 0)
  t.same(await Promise.all(ids.map(id => store.leafOf(id))), [
    { batchId: 1, leafIndex: 0 }, { batchId: 1, leafIndex: 1 },
    { batchId: 2, leafIndex: 0 }, { batchId: 2, leafIndex: 1 }, { batchId: 2, leafIndex: 2 },
    { batchId: 3, leafIndex: 0 }, { batchId: 3, leafIndex: 1 },
  ])
  t.same(await Promise.all([1, 2, 3].map(batchId => store.batchTransferIds(batchId))), [ids.slice(0, 2), ids.slice(2, 5), ids.slice(5)])
  for (const batchId of [2, 3]) {
    const expected = StandardMerkleTree.of((await store.batchTransferIds(batchId)).map(id => [`0x${id}`]), ['bytes32'])
    t.equal(`0x${toHex((await store.batch(batchId))!.root)}`, expected.root, `batch ${batchId}'s root is over its transfers in order`)
  }
})
