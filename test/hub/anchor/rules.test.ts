import t from 'tap'
import { backoffDelay_ms, sealIsDue, sealedBatchMessage } from '../../../hub/anchor/batch'
import { judgeOnChain, judgeSentTransaction } from '../../../hub/anchor/reconcile'
import { ANCHOR_SETTINGS_DEFAULT, anchorSettings } from '../../../hub/anchor/settings'

const ROOT = `0x${'ab'.repeat(32)}`
const OTHER_ROOT = `0x${'cd'.repeat(32)}`

t.test('the contract’s record decides: ours with enough confirmations is anchored, another root is a conflict', async t => {
  t.same(judgeOnChain(ROOT, undefined, 100, 1), { kind: 'absent' })
  t.same(judgeOnChain(ROOT, { root: ROOT, count: 5, blockNumber: 100 }, 100, 1), { kind: 'anchored', blockNumber: 100 },
    'the block holding the root is its first confirmation')
  t.same(judgeOnChain(ROOT, { root: ROOT, count: 5, blockNumber: 100 }, 101, 3), { kind: 'confirming', blockNumber: 100 })
  t.same(judgeOnChain(ROOT, { root: ROOT, count: 5, blockNumber: 100 }, 102, 3), { kind: 'anchored', blockNumber: 100 })
  t.same(judgeOnChain(ROOT, { root: OTHER_ROOT, count: 5, blockNumber: 100 }, 200, 1), { kind: 'conflict', root: OTHER_ROOT })
})

t.test('a transaction still out is waited for; a lost one is signed again on its nonce unless that nonce is spent', async t => {
  const pending = { receipt: undefined, known: true }
  const lost = { receipt: undefined, known: false }
  t.equal(judgeSentTransaction(pending, 7, 7), 'wait', 'in the mempool: it may still land')
  t.equal(judgeSentTransaction({ receipt: { succeeded: true, blockNumber: 9 }, known: true }, 7, 8), 'wait',
    'mined, yet the contract does not show it: the node lags')
  t.equal(judgeSentTransaction({ receipt: { succeeded: false, blockNumber: 9 }, known: true }, 7, 8), 'resend_new_nonce',
    'reverted: its nonce is spent')
  t.equal(judgeSentTransaction(lost, 7, 7), 'resend_same_nonce', 'dropped (node restart), nonce free')
  t.equal(judgeSentTransaction(lost, 7, 8), 'resend_new_nonce', 'dropped, and another transaction took the nonce')
})

t.test('a batch is due by count or by the age of its oldest transfer, never when none waits', async t => {
  const policy = { batchMax: 10, batchAge_ms: 60_000 }
  t.notOk(sealIsDue({ queuedCount: 0, oldestQueuedAtMs: undefined }, policy, 1e12))
  t.notOk(sealIsDue({ queuedCount: 9, oldestQueuedAtMs: 1_000 }, policy, 60_999))
  t.ok(sealIsDue({ queuedCount: 9, oldestQueuedAtMs: 1_000 }, policy, 61_000))
  t.ok(sealIsDue({ queuedCount: 10, oldestQueuedAtMs: 1_000 }, policy, 1_000))
})

t.test('retries back off exponentially from the base and stop growing at the cap', async t => {
  const backoff = { backoffBase_ms: 1_000, backoffMax_ms: 300_000 }
  t.same([1, 2, 3, 4, 9, 10, 1_000].map(failures => backoffDelay_ms(failures, backoff)),
    [1_000, 2_000, 4_000, 8_000, 256_000, 300_000, 300_000])
  t.throws(() => backoffDelay_ms(0, backoff))
})

t.test('the signed bytes of a batch are fixed-length and change with every field', async t => {
  const fields = { batchId: 3, root: new Uint8Array(32).fill(0xab), count: 1_000, sealedAtMs: 1_736_931_600_000 }
  const message = sealedBatchMessage(fields)
  t.equal(message.length, 'payall/anchor-batch/v1'.length + 8 + 32 + 4 + 8)
  t.equal(Buffer.from(message).toString('hex'),
    Buffer.from('payall/anchor-batch/v1').toString('hex') + '0000000000000003' + 'ab'.repeat(32) + '000003e8' + '000001946930e680')
  for (const changed of [{ batchId: 4 }, { count: 999 }, { sealedAtMs: fields.sealedAtMs + 1 }, { root: new Uint8Array(32) }]) {
    t.not(Buffer.from(sealedBatchMessage({ ...fields, ...changed })).toString('hex'), Buffer.from(message).toString('hex'))
  }
  t.throws(() => sealedBatchMessage({ ...fields, count: 0 }), /assertion failed/)
})

t.test('settings keep their bounds', async t => {
  t.same(anchorSettings(), ANCHOR_SETTINGS_DEFAULT)
  t.equal(ANCHOR_SETTINGS_DEFAULT.batchMax, 1_000)
  t.equal(ANCHOR_SETTINGS_DEFAULT.batchAge_ms, 60_000)
  t.equal(ANCHOR_SETTINGS_DEFAULT.confirmations, 1)
  t.throws(() => anchorSettings({ batchMax: 0 }))
  t.throws(() => anchorSettings({ batchMax: 2_000_000 }), /MERKLE_LEAVES_MAX|1048576/)
  t.throws(() => anchorSettings({ confirmations: 0 }))
  t.throws(() => anchorSettings({ backoffMax_ms: 10, backoffBase_ms: 100 }))
  t.throws(() => anchorSettings({ maxFeePerGas_wei: 0n }))
})
