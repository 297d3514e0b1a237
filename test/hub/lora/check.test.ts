import t from 'tap'
import type { CommitmentFrame } from '../../../protocol/messages/commitment-frame'
import { checkFrame } from '../../../hub/lora/check'

const HEAD = Uint8Array.from({ length: 32 }, (_, i) => 0xa0 + i)
const frame = (fields: Partial<CommitmentFrame>): CommitmentFrame => ({
  gatewaySeq: 5, unsyncedCount: 2, unsyncedAmountMinor: 300, currency: 'XOF', headPrefix: HEAD.slice(0, 16), timeS: 1, ...fields,
})
const chain = { contiguousSeq: 5, hashAtSeq: HEAD, offlineAmountsNewestFirst: [100, 200, 999] }

t.test('a frame agrees with the end of the chain the hub holds', async t => {
  t.same(checkFrame(frame({}), chain), { state: 'consistent' })
  t.same(checkFrame(frame({ unsyncedCount: 0, unsyncedAmountMinor: 0 }), chain), { state: 'consistent' })
})

t.test('a frame waits for the records up to its sequence', async t => {
  t.same(checkFrame(frame({}), { ...chain, contiguousSeq: 4 }), { state: 'pending' })
  t.same(checkFrame(frame({}), { ...chain, hashAtSeq: undefined }), { state: 'pending' })
})

t.test('what no chain can hold is a mismatch at once, records or not', async t => {
  const none = { contiguousSeq: 0, hashAtSeq: undefined, offlineAmountsNewestFirst: [] }
  t.match(checkFrame(frame({ unsyncedCount: 6, unsyncedAmountMinor: 600 }), none), { state: 'mismatch', mismatch: 'UNSYNCED_COUNT' })
  t.match(checkFrame(frame({ unsyncedCount: 3, unsyncedAmountMinor: 2 }), none), { state: 'mismatch', mismatch: 'UNSYNCED_AMOUNT' })
  t.match(checkFrame(frame({ unsyncedCount: 0, unsyncedAmountMinor: 1 }), none), { state: 'mismatch', mismatch: 'UNSYNCED_AMOUNT' })
  t.same(checkFrame(frame({ gatewaySeq: 0, unsyncedCount: 0, unsyncedAmountMinor: 0, headPrefix: new Uint8Array(16) }), none), { state: 'consistent' })
  t.match(checkFrame(frame({ gatewaySeq: 0, unsyncedCount: 0, unsyncedAmountMinor: 0 }), none), { mismatch: 'HEAD_MISMATCH' })
})

t.test('another head, too few records or another total is flagged', async t => {
  const otherHead = Uint8Array.from(HEAD)
  otherHead[15] ^= 1
  t.match(checkFrame(frame({ headPrefix: otherHead.slice(0, 16) }), chain), { state: 'mismatch', mismatch: 'HEAD_MISMATCH' })
  t.match(checkFrame(frame({}), { ...chain, offlineAmountsNewestFirst: [300] }), { state: 'mismatch', mismatch: 'UNSYNCED_COUNT' })
  t.match(checkFrame(frame({ unsyncedAmountMinor: 301 }), chain), { state: 'mismatch', mismatch: 'UNSYNCED_AMOUNT' })
})
