import t from 'tap'
import { canonicalJson, contentSha256 } from '../../../hub/ledger/content'

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
