import t from 'tap'
import { nodeEd25519 } from '../../protocol/signature/node'
import {
  REVOCATION_LIST_PART_IDS_MAX, REVOKED_VOUCHERS_MAX, canonicalVoucherIds, revocationListBodies, revocationListCodec,
} from '../../protocol/messages/revocation-list'
import { REVOCATION_DELTA_IDS_MAX, revocationDeltaBodies, revocationDeltaCodec } from '../../protocol/messages/revocation-delta'

const ed = nodeEd25519
const hubKeys = ed.keyPairFromSeed(new Uint8Array(32).fill(7))

/** `count` distinct ids, in canonical order. */
function ids(count: number, salt = 0): Uint8Array[] {
  return canonicalVoucherIds(Array.from({ length: count }, (_, i) => {
    const id = new Uint8Array(16)
    id[0] = salt
    id[1] = i >> 16
    id[2] = (i >> 8) & 0xff
    id[3] = i & 0xff
    return id
  }))
}

t.test('a list longer than one message goes in full parts and a last one, every id kept', async t => {
  const all = ids(2 * REVOCATION_LIST_PART_IDS_MAX + 5)
  const bodies = revocationListBodies(12, 1_000, all)
  t.same(bodies.map(b => [b.serial, b.part, b.parts, b.voucherIds.length]), [[12, 0, 3, 4096], [12, 1, 3, 4096], [12, 2, 3, 5]])
  t.same(bodies.flatMap(b => b.voucherIds), all, 'nothing truncated, nothing reordered')
  for (const body of bodies) {
    const encoded = revocationListCodec.encode(revocationListCodec.sign(body, hubKeys.secretKey, ed))
    t.ok(encoded.length <= revocationListCodec.size_max)
    t.same(revocationListCodec.decode(encoded).voucherIds.length, body.voucherIds.length)
  }
  t.same(revocationListBodies(13, 1_000, []).map(b => [b.part, b.parts, b.voucherIds.length]), [[0, 1, 0]], 'an empty list is one empty part')
  t.throws(() => revocationListBodies(14, 1_000, ids(REVOKED_VOUCHERS_MAX + 1)), { code: 'TOO_MANY' }, 'past the bound it refuses, never truncates')
})

t.test('a list part that is not the canonical split is refused', async t => {
  const sign = (body: Parameters<typeof revocationListCodec.sign>[0]) => revocationListCodec.sign(body, hubKeys.secretKey, ed)
  t.throws(() => sign({ serial: 1, issuedAtMs: 0, part: 0, parts: 2, voucherIds: ids(3) }), { code: 'BAD_VALUE' }, 'a short part before the last')
  t.throws(() => sign({ serial: 1, issuedAtMs: 0, part: 1, parts: 2, voucherIds: [] }), { code: 'BAD_VALUE' }, 'an empty last part')
  t.throws(() => sign({ serial: 1, issuedAtMs: 0, part: 2, parts: 2, voucherIds: ids(1) }), { code: 'BAD_VALUE' })
  t.throws(() => sign({ serial: 1, issuedAtMs: 0, part: 0, parts: 17, voucherIds: ids(1) }), { code: 'BAD_VALUE' })
  t.throws(() => sign({ serial: 1, issuedAtMs: 0, part: 0, parts: 1, voucherIds: ids(REVOCATION_LIST_PART_IDS_MAX + 1) }), { code: 'TOO_MANY' })
})

t.test('changes too many for one delta take consecutive serials, each id in exactly one', async t => {
  const added = ids(REVOCATION_DELTA_IDS_MAX + 3, 1)
  const removed = ids(2, 2)
  const bodies = revocationDeltaBodies(40, 5_000, added, removed)
  t.same(bodies.map(b => [b.serial, b.follows, b.added.length, b.removed.length]), [[41, 40, 1024, 2], [42, 41, 3, 0]])
  t.same(bodies.flatMap(b => b.added), added)
  t.same(revocationDeltaBodies(40, 5_000, [], []), [], 'nothing changed, no delta')
  for (const body of bodies) {
    const delta = revocationDeltaCodec.sign(body, hubKeys.secretKey, ed)
    t.ok(revocationDeltaCodec.verify(revocationDeltaCodec.decode(revocationDeltaCodec.encode(delta)), hubKeys.publicKey, ed))
  }
})

t.test('a delta that follows itself or later, or adds and removes one voucher, is refused', async t => {
  const sign = (body: Parameters<typeof revocationDeltaCodec.sign>[0]) => revocationDeltaCodec.sign(body, hubKeys.secretKey, ed)
  t.throws(() => sign({ serial: 5, follows: 5, issuedAtMs: 0, added: [], removed: [] }), { code: 'BAD_VALUE' })
  t.throws(() => sign({ serial: 5, follows: 6, issuedAtMs: 0, added: [], removed: [] }), { code: 'BAD_VALUE' })
  const [id] = ids(1)
  t.throws(() => sign({ serial: 5, follows: 4, issuedAtMs: 0, added: [id!], removed: [id!] }), { code: 'BAD_VALUE' })
  t.throws(() => sign({ serial: 5, follows: 4, issuedAtMs: 0, added: ids(REVOCATION_DELTA_IDS_MAX + 1), removed: [] }), { code: 'TOO_MANY' })
})
