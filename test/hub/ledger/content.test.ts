import t from 'tap'
import fc from 'fast-check'
import { canonicalJson, contentSha256, settleFromHoldSha256 } from '../../../hub/ledger/content'
import type { JsonValue } from '../../../hub/ledger/model'

// Stored with every transfer since the first: a retry is told from a conflict by these exact hashes, so they never change.
t.test('hashes a request to the same content hash as every earlier version of the ledger', async t => {
  const settlement = {
    operation: 'settle_from_hold', voucherId: 'voucher-1', amountMinor: 1250, merchantAccountId: 'shop', ownerAccountId: 'owner',
    feeScheduleId: 'pos-xof-1', gatewayEui: '00112233AABBCCDD',
    metadata: { gatewaySeq: 7, mode: 0, note: 'café ☕ \u{1F600}', nested: { b: [1, 2.5, null, true], a: 'x' } },
  }
  t.equal(canonicalJson(settlement),
    '{"amountMinor":1250,"feeScheduleId":"pos-xof-1","gatewayEui":"00112233AABBCCDD","merchantAccountId":"shop",'
    + '"metadata":{"gatewaySeq":7,"mode":0,"nested":{"a":"x","b":[1,2.5,null,true]},"note":"café ☕ \u{1F600}"},'
    + '"operation":"settle_from_hold","ownerAccountId":"owner","voucherId":"voucher-1"}')
  t.equal(contentSha256(settlement), '51bb2280e613764a1c46aab3e7000c3a589a83b7d0b0b00d317c0d0da630c953')
  t.equal(contentSha256({ lone: '\ud800 lone surrogate' }), 'caaff649af3c80f3de00ca0492e0aef300ee922a5a3ad8f2186be34e3df23cda',
    'a lone surrogate is hashed as U+FFFD, as UTF-8 encoding always did')
})

t.test('refuses what JSON cannot carry exactly', async t => {
  t.throws(() => canonicalJson({ amount: Number.NaN }), { code: 'INVALID_TRANSFER' })
  t.throws(() => canonicalJson({ when: new Date(0) } as never), { code: 'INVALID_TRANSFER' })
  let deep: unknown = 1
  for (let depth = 0; depth < 10; depth++) deep = { deep }
  t.throws(() => canonicalJson(deep as never), { code: 'INVALID_TRANSFER' })
})

t.test('a settlement\'s content hash written out in key order is the canonical one, for any fields and metadata', async t => {
  const text = fc.string({ unit: 'binary', maxLength: 12 })
  const json: fc.Arbitrary<JsonValue> = fc.letrec<{ value: JsonValue }>(tie => ({
    value: fc.oneof({ depthSize: 'small', maxDepth: 3 },
      fc.constant(null), fc.boolean(), fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), text,
      fc.array(tie('value'), { maxLength: 3 }), fc.dictionary(text, tie('value'), { maxKeys: 3, noNullPrototype: true })),
  })).value
  fc.assert(fc.property(
    fc.record({ voucherId: text, amountMinor: fc.maxSafeNat(), merchantAccountId: text, ownerAccountId: text, feeScheduleId: text, gatewayEui: text }),
    fc.option(fc.dictionary(text, json, { maxKeys: 4, noNullPrototype: true }), { nil: undefined }),
    (fields, metadata) => {
      const canonical = contentSha256({ operation: 'settle_from_hold', ...fields, metadata: metadata ?? null })
      return settleFromHoldSha256(fields, metadata === undefined ? 'null' : canonicalJson(metadata)) === canonical
    },
  ), { seed: 15, numRuns: 300 })
  t.pass('equal over 300 seeded cases')
  t.equal(settleFromHoldSha256({
    voucherId: 'voucher-1', amountMinor: 1250, merchantAccountId: 'shop', ownerAccountId: 'owner', feeScheduleId: 'pos-xof-1',
    gatewayEui: '00112233AABBCCDD',
  }, canonicalJson({ gatewaySeq: 7, mode: 0, note: 'café ☕ \u{1F600}', nested: { b: [1, 2.5, null, true], a: 'x' } })),
  '51bb2280e613764a1c46aab3e7000c3a589a83b7d0b0b00d317c0d0da630c953', 'the hash every earlier ledger stored')
})
