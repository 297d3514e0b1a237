import t from 'tap'
import { StandardMerkleTree } from '@openzeppelin/merkle-tree'
import { toHex } from '../../../protocol/bytes'
import { seededRandom } from '../http/fixtures'
import { MerkleRootWorker, rootInPlace } from '../../../hub/anchor/merkle-roots'

t.test('the worker computes the root OpenZeppelin\'s standard tree has, as the sealer computes it in place', async t => {
  const random = seededRandom('merkle-roots')
  const worker = new MerkleRootWorker()
  t.teardown(() => worker.close())
  for (const count of [1, 2, 7, 1_000]) {
    const values = Array.from({ length: count }, () => random(32))
    const expected = StandardMerkleTree.of(values.map(value => [`0x${toHex(value)}`]), ['bytes32']).root
    const [fromWorker, inPlace] = await Promise.all([worker.root(values), rootInPlace(values)])
    t.equal(`0x${toHex(fromWorker)}`, expected, `${count} values on the worker`)
    t.equal(`0x${toHex(inPlace)}`, expected, `${count} values in place`)
  }
})

t.test('a value that is not one 32-byte word is refused, and the worker answers the next job', async t => {
  const worker = new MerkleRootWorker()
  t.teardown(() => worker.close())
  await t.rejects(worker.root([new Uint8Array(31)]), /one 32-byte word/)
  await t.rejects(worker.root([]), /at least one value/, 'an empty batch is refused by the worker, with the tree\'s own error')
  t.equal((await worker.root([new Uint8Array(32)])).length, 32)
})

t.test('a job asked of a worker that has stopped is refused at once instead of waiting for an answer that never comes', async t => {
  const worker = new MerkleRootWorker()
  await worker.close()
  await t.rejects(worker.root([new Uint8Array(32)]), /the Merkle root worker stopped/)
})
