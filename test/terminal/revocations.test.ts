import t from 'tap'
import { join } from 'node:path'
import { LoraRevocationKind, loraRevocationCodec } from '../../protocol/messages/lora-revocation'
import { REVOCATION_DELTA_IDS_MAX } from '../../protocol/messages/revocation-delta'
import { revocationListBodies, revocationListCodec } from '../../protocol/messages/revocation-list'
import { nodeEd25519 } from '../../protocol/signature/node'
import { openDatabase } from '../../terminal/store/database'
import { MIGRATIONS } from '../../terminal/store/migrations'
import { RevocationStore } from '../../terminal/store/revocation-store'
import { DATABASE_FILE, TerminalStore } from '../../terminal/store/store'
import { HUB, T0, provisionedStore, signedDelta, signedRevocations } from './fixtures'

/** A distinct voucher id per number. */
function id(n: number): Uint8Array {
  const bytes = new Uint8Array(16)
  new DataView(bytes.buffer).setUint32(12, n)
  bytes[0] = 0xa0
  return bytes
}

const ids = (from: number, count: number): Uint8Array[] => Array.from({ length: count }, (_, i) => id(from + i))

function loraRevocation(serial: number, index: number, voucherIds: Uint8Array[], kind: LoraRevocationKind = LoraRevocationKind.Added) {
  return loraRevocationCodec.sign({ kind, serial, index, voucherIds }, HUB.secretKey, nodeEd25519)
}

t.test('a delta applies on top of exactly the serial held; an older one is stale and one after a gap changes nothing', async t => {
  const store = provisionedStore(t.testdir())
  t.teardown(() => store.close())
  const revocations = store.revocations
  t.same(revocations.state(), { serial: 0, revoked: 0, updatedAtMs: null })
  t.equal(revocations.applyDelta(signedDelta(1, [id(1), id(2)]), T0), 'applied')
  t.equal(revocations.applyDelta(signedDelta(3, [id(3)]), T0), 'gap', 'serial 3 follows 2, the store holds 1')
  t.notOk(store.isRevoked(id(3)), 'a delta after a gap changes nothing')
  t.equal(revocations.applyDelta(signedDelta(1, [id(9)]), T0), 'stale', 'a replay of serial 1')
  t.notOk(store.isRevoked(id(9)))
  t.equal(revocations.applyDelta(signedDelta(2, [id(4)], [id(1)]), T0 + 5), 'applied')
  t.equal(revocations.applyDelta(signedDelta(3, [id(3)]), T0 + 6), 'applied')
  t.same(revocations.state(), { serial: 3, revoked: 3, updatedAtMs: T0 + 6 })
  t.same([1, 2, 3, 4].map(n => store.isRevoked(id(n))), [false, true, true, true], 'id 1 expired past the grace: removed by serial 2')
})

t.test('a revoked voucher stays refused however many other vouchers are revoked after it', async t => {
  const store = provisionedStore(t.testdir())
  t.teardown(() => store.close())
  const stolen = id(1)
  t.equal(store.revocations.applyDelta(signedDelta(1, [stolen]), T0), 'applied')
  // Five full deltas after it: more than the 4,096 vouchers the old list stopped at.
  for (let serial = 2; serial <= 6; serial++) {
    t.equal(store.revocations.applyDelta(signedDelta(serial, ids(serial * 10_000, REVOCATION_DELTA_IDS_MAX)), T0), 'applied')
  }
  t.ok(store.isRevoked(stolen), 'the stolen phone\'s voucher is still refused')
  t.equal(store.revocations.state().revoked, 1 + 5 * REVOCATION_DELTA_IDS_MAX, 'nothing was pushed off')
})

t.test('a whole list is taken once every part is in: what it no longer names goes, what LoRa added since stays', async t => {
  const store = provisionedStore(t.testdir())
  t.teardown(() => store.close())
  const revocations = store.revocations
  t.equal(revocations.applyDelta(signedDelta(1, [id(1), id(2)]), T0), 'applied')
  // Serial 7's list: id 2 and 8,193 new ones, in three parts; LoRa told of id 99 at serial 8 meanwhile.
  const listed = [id(2), ...ids(100_000, 8_193)]
  const parts = revocationListBodies(7, T0, listed).map(body => revocationListCodec.sign(body, HUB.secretKey, nodeEd25519))
  t.equal(parts.length, 3)
  t.equal(revocations.applyLora(loraRevocation(8, 0, [id(99)]), T0), 'applied')
  t.equal(revocations.applyListPart(parts[2]!, T0), 'partial')
  t.equal(revocations.applyListPart(parts[0]!, T0), 'partial')
  t.ok(store.isRevoked(id(100_000)) && store.isRevoked(id(1)), 'a part refuses its vouchers at once; nothing goes before the list is whole')
  t.equal(revocations.state().serial, 1)
  t.equal(revocations.applyListPart(parts[0]!, T0), 'partial', 'a part twice counts once')
  t.equal(revocations.applyListPart(parts[1]!, T0 + 1), 'applied')
  t.equal(revocations.state().serial, 7)
  t.notOk(store.isRevoked(id(1)), 'not on list 7: expired past the grace')
  t.ok(listed.every(voucherId => store.isRevoked(voucherId)), 'every voucher of the list, past 4,096')
  t.ok(store.isRevoked(id(99)), 'what LoRa added at serial 8 is newer than the list and stays')
  t.equal(revocations.state().revoked, listed.length + 1)
  t.equal(revocations.applyListPart(parts[1]!, T0), 'stale', 'a list as old as the one held')
  t.equal(revocations.applyDelta(signedDelta(8, [id(5)]), T0), 'applied', 'deltas follow the list\'s serial')
})

t.test('a list part of another hub or of a changed serial does not verify', async t => {
  const part = signedRevocations(3, [id(1)])
  t.ok(revocationListCodec.verify(part, HUB.publicKey, nodeEd25519))
  t.notOk(revocationListCodec.verify({ ...part, serial: 4 }, HUB.publicKey, nodeEd25519))
})

t.test('the revoked vouchers, their serial and the LoRa messages applied survive a restart', async t => {
  const dir = t.testdir()
  const store = provisionedStore(dir)
  store.revocations.applyDelta(signedDelta(1, [id(1)]), T0)
  store.revocations.applyLora(loraRevocation(4, 0, [id(2)]), T0)
  store.close()
  const reopened = TerminalStore.open(dir)
  t.teardown(() => reopened.close())
  t.same(reopened.revocations.state(), { serial: 1, revoked: 2, updatedAtMs: T0 })
  t.equal(reopened.revocations.applyLora(loraRevocation(4, 0, [id(2)]), T0), 'replayed', 'a replayed downlink is refused after a restart')
})

t.test('LoRa revocations older than the serial held are stale; the ones remembered are bounded', async t => {
  const store = provisionedStore(t.testdir())
  t.teardown(() => store.close())
  store.revocations.applyDelta(signedDelta(1, [id(1)]), T0)
  store.revocations.applyDelta(signedDelta(2, []), T0)
  t.equal(store.revocations.applyLora(loraRevocation(2, 0, [id(7)]), T0), 'stale', 'the store holds serial 2 whole')
  t.equal(store.revocations.applyLora(loraRevocation(3, 0, [id(7)]), T0), 'applied')
  t.equal(store.revocations.applyLora(loraRevocation(3, 0, [id(7)], LoraRevocationKind.Listed), T0), 'applied', 'kinds are told apart')
  t.equal(store.revocations.applyDelta(signedDelta(3, [id(7)]), T0), 'applied')
  const remembered = () => (store.db.prepare('SELECT count(*) AS n FROM lora_revocations_applied').get() as { n: number }).n
  t.equal(remembered(), 0, 'once the serial held passes them, nothing needs remembering')
})

t.test('a store from before keeps the revoked vouchers it held, under the serial of its list', async t => {
  const path = join(t.testdir(), DATABASE_FILE)
  const before = openDatabase(path, MIGRATIONS.slice(0, 3))
  before.prepare('INSERT INTO revocation_list (id, serial, list, received_at_ms) VALUES (1, 12, ?, ?)').run(Buffer.from([1]), T0)
  for (const voucherId of [id(1), id(2)]) before.prepare('INSERT INTO revoked_vouchers (voucher_id) VALUES (?)').run(Buffer.from(voucherId))
  before.close()
  const db = openDatabase(path)
  t.teardown(() => db.close())
  const revocations = new RevocationStore(db)
  t.same(revocations.state(), { serial: 12, revoked: 2, updatedAtMs: T0 })
  t.ok(revocations.isRevoked(id(1)) && revocations.isRevoked(id(2)))
  t.equal(revocations.applyDelta(signedDelta(13, [id(3)]), T0), 'applied', 'deltas go on from the list\'s serial')
})
