import t from 'tap'
import { once } from 'node:events'
import type { Worker } from 'node:worker_threads'
import { nodeEd25519 } from '../../../protocol/signature/node'
import { VerifyPool, type SignatureCheck } from '../../../hub/ingest/verify-pool'

function checks(count: number): SignatureCheck[] {
  const keys = nodeEd25519.keyPairFromSeed(new Uint8Array(32).fill(7))
  return Array.from({ length: count }, (_, index) => {
    const message = Uint8Array.from([index & 0xff, index >> 8, 1, 2, 3])
    const signature = nodeEd25519.sign(message, keys.secretKey)
    // Every third one is not the key's signature of its message.
    return { message, signature: index % 3 === 2 ? signature.map((byte, at) => at === 0 ? byte ^ 1 : byte) : signature, publicKey: keys.publicKey }
  })
}

/** The pool's worker in `slot`, as the test reaches past its privacy to end it. */
function workerIn(pool: VerifyPool, slot: number): Worker {
  return (pool as unknown as { workers: Array<Worker | undefined> }).workers[slot]!
}

t.test('a verify worker that dies fails the jobs it held, and the next job gets a new one: nothing waits forever', async t => {
  const pool = new VerifyPool(1)
  t.teardown(() => pool.close())
  const expected = checks(12).map((_, index) => index % 3 !== 2)
  t.same(await pool.verifyAll(checks(12)), expected, 'checked on the worker')

  const first = workerIn(pool, 0)
  const held = pool.verifyAll(checks(3_000))
  const exited = once(first, 'exit')
  await first.terminate()
  await exited
  await t.rejects(held, /a verify worker exited/, 'the job it held is answered with an error, not left waiting')
  t.equal(pool.jobsWaiting, 0)

  t.same(await pool.verifyAll(checks(12)), expected, 'the next job starts another worker and is answered')
  t.not(workerIn(pool, 0), first)
})
