// Pins protocol/merkle to OpenZeppelin's StandardMerkleTree (leaf encoding ['bytes32']): same root,
// same proofs, proofs its verify() accepts, and the typed errors for bad input.

import t from 'tap'
import fc from 'fast-check'
import { StandardMerkleTree } from '@openzeppelin/merkle-tree'
import { compareBytes, concatBytes, toHex } from '../../protocol/bytes'
import type { ProtocolErrorCode } from '../../protocol/errors'
import {
  MERKLE_LEAVES_MAX,
  MERKLE_PROOF_LENGTH_MAX,
  MerkleTree,
  leafHash,
  nodeHash,
  verifyProof,
  verifyProofHex,
} from '../../protocol/merkle'

const FAST_CHECK = { seed: 20_240_611, numRuns: 60 }
const word = fc.uint8Array({ minLength: 32, maxLength: 32 })

function hex(bytes: Uint8Array): string {
  return `0x${toHex(bytes)}`
}

/** Deterministic 32-byte values, different for each seed. */
function valuesFor(count: number, seed: number): Uint8Array[] {
  return fc.sample(word, { seed, numRuns: count })
}

function protocolError(code: ProtocolErrorCode): { name: string; code: ProtocolErrorCode } {
  return { name: 'ProtocolError', code }
}

function openZeppelinTree(values: readonly Uint8Array[]): StandardMerkleTree<string[]> {
  return StandardMerkleTree.of(
    values.map(value => [hex(value)]),
    ['bytes32'],
  )
}

function flipBit(bytes: Uint8Array, bitIndex: number): Uint8Array {
  const copy = bytes.slice()
  copy[bitIndex >>> 3]! ^= 1 << (bitIndex & 7)
  return copy
}

/**
 * Every check that ties one of our trees to OpenZeppelin's over the same values: the roots, and how
 * many proofs differ from its getProof(), fail its verify() or ours, or are longer than ceil(log2 n).
 */
function compareWithOpenZeppelin(values: readonly Uint8Array[]): { ours: string; theirs: string; failures: number } {
  const ours = MerkleTree.build(values)
  const theirs = openZeppelinTree(values)
  const depth_max = Math.ceil(Math.log2(values.length))
  let failures = 0
  for (let index = 0; index < values.length; index++) {
    const proof = ours.proofHex(index)
    if (JSON.stringify(proof) !== JSON.stringify(theirs.getProof(index))) failures++
    if (!StandardMerkleTree.verify(theirs.root, ['bytes32'], [hex(values[index]!)], proof)) failures++
    if (!verifyProof(ours.root, values[index]!, ours.proof(index))) failures++
    if (proof.length > depth_max) failures++
  }
  return { ours: ours.rootHex, theirs: theirs.root, failures }
}

t.test('leafHash and nodeHash equal keccak256 as @noble/hashes computes it', async t => {
  // @noble/hashes v2 ships only ES modules.
  const { keccak_256 } = await import('@noble/hashes/sha3.js')
  fc.assert(
    fc.property(word, value => toHex(leafHash(value)) === toHex(keccak_256(keccak_256(value)))),
    FAST_CHECK,
  )
  fc.assert(
    fc.property(word, word, (a, b) => {
      const [low, high] = compareBytes(a, b) <= 0 ? [a, b] : [b, a]
      const expected = toHex(keccak_256(concatBytes(low, high)))
      return toHex(nodeHash(a, b)) === expected && toHex(nodeHash(b, a)) === expected
    }),
    FAST_CHECK,
  )
  t.pass('no counterexample')
})

t.test('root and every proof equal OpenZeppelin StandardMerkleTree for sizes 1 to 1000', async t => {
  for (const size of [1, 2, 3, 4, 5, 7, 8, 100, 1000]) {
    const { ours, theirs, failures } = compareWithOpenZeppelin(valuesFor(size, size))
    t.equal(ours, theirs, `root of ${size} values`)
    t.equal(failures, 0, `proofs of ${size} values`)
  }
})

t.test('root and every proof equal OpenZeppelin StandardMerkleTree for arbitrary value sets', async t => {
  // Drawing some values from a pool of three makes repeats common.
  const valueOrRepeat = fc.oneof(word, fc.constantFrom(...valuesFor(3, 99)))
  fc.assert(
    fc.property(fc.array(valueOrRepeat, { minLength: 1, maxLength: 70 }), values => {
      const ours = MerkleTree.build(values)
      const theirs = openZeppelinTree(values)
      if (ours.rootHex !== theirs.root) return false
      return values.every(
        (value, index) =>
          JSON.stringify(ours.proofHex(index)) === JSON.stringify(theirs.getProof(index)) &&
          StandardMerkleTree.verify(theirs.root, ['bytes32'], [hex(value)], ours.proofHex(index)),
      )
    }),
    FAST_CHECK,
  )
  t.pass('no counterexample')
})

t.test('a single value is its own root with an empty proof', async t => {
  const [value] = valuesFor(1, 7)
  const tree = MerkleTree.build([value!])
  t.same(tree.root, leafHash(value!))
  t.same(tree.proof(0), [])
  t.ok(verifyProof(tree.root, value!, []))
})

t.test('a proof can be asked for by value and gives the same proof as by index', async t => {
  const values = valuesFor(37, 37)
  const tree = MerkleTree.build(values)
  for (const index of [0, 18, 36]) {
    t.same(tree.proof(values[index]!), tree.proof(index))
    t.same(tree.proofHex(hex(values[index]!)), tree.proofHex(index))
    t.equal(tree.indexOf(values[index]!), index)
  }
})

t.test('OpenZeppelin proofs verify with verifyProofHex and verifyProof', async t => {
  const values = valuesFor(100, 100)
  const theirs = openZeppelinTree(values)
  let rejected = 0
  for (const [index, [value]] of theirs.entries()) {
    if (!verifyProofHex(theirs.root, value!, theirs.getProof(index))) rejected++
  }
  t.equal(rejected, 0)
})

t.test('a tampered leaf, a tampered proof element and the wrong root all fail', async t => {
  const values = valuesFor(100, 101)
  const tree = MerkleTree.build(values)
  const otherTree = MerkleTree.build(valuesFor(100, 102))
  fc.assert(
    fc.property(fc.nat({ max: 99 }), fc.nat({ max: 255 }), fc.nat(), (index, bitIndex, elementChoice) => {
      const value = values[index]!
      const proof = tree.proof(index)
      const element = elementChoice % proof.length
      const tamperedProof = proof.map((sibling, at) => (at === element ? flipBit(sibling, bitIndex) : sibling))
      return (
        verifyProof(tree.root, value, proof) &&
        !verifyProof(tree.root, flipBit(value, bitIndex), proof) &&
        !verifyProof(tree.root, value, tamperedProof) &&
        !verifyProof(flipBit(tree.root, bitIndex), value, proof) &&
        !verifyProof(otherTree.root, value, proof) &&
        !verifyProof(tree.root, value, proof.slice(1)) &&
        !verifyProof(tree.root, value, [...proof].reverse())
      )
    }),
    FAST_CHECK,
  )
  t.pass('no counterexample')
})

t.test('duplicates are separate leaves, found by value at their last occurrence, as in OpenZeppelin', async t => {
  const [a, b, c] = valuesFor(3, 3)
  const values = [a!, b!, a!, c!, a!, b!]
  const comparison = compareWithOpenZeppelin(values)
  t.equal(comparison.ours, comparison.theirs)
  t.equal(comparison.failures, 0)
  const ours = MerkleTree.build(values)
  const theirs = openZeppelinTree(values)
  t.equal(ours.leafCount, 6)
  t.equal(ours.indexOf(a!), 4)
  t.equal(ours.indexOf(b!), 5)
  t.same(ours.proofHex(hex(a!)), theirs.getProof([hex(a!)]))
  t.same(ours.proofHex(hex(b!)), theirs.getProof([hex(b!)]))
  t.equal(ours.indexOf(c!), 3)
})

t.test('a value that is not a leaf has index -1 and no proof', async t => {
  const tree = MerkleTree.build(valuesFor(10, 10))
  const [stranger] = valuesFor(1, 11)
  t.equal(tree.indexOf(stranger!), -1)
  t.throws(() => tree.proof(stranger!), protocolError('BAD_VALUE'))
  t.equal(tree.indexOf(new Uint8Array(32)), -1, 'below the smallest leaf hash')
  t.equal(tree.indexOf(new Uint8Array(32).fill(0xff)), -1, 'above the largest leaf hash')
})

t.test('bad inputs to build give typed errors', async t => {
  const good = valuesFor(3, 3)
  t.throws(() => MerkleTree.build([]), protocolError('BAD_VALUE'), 'no values')
  t.throws(() => MerkleTree.build([...good, new Uint8Array(31)]), protocolError('BAD_LENGTH'), 'a 31-byte value')
  t.throws(() => MerkleTree.build([new Uint8Array(33)]), protocolError('BAD_LENGTH'), 'a 33-byte value')
  t.throws(() => MerkleTree.build(['00'.repeat(32) as unknown as Uint8Array]), protocolError('BAD_VALUE'), 'a string')
  t.throws(() => MerkleTree.build(new Array<Uint8Array>(MERKLE_LEAVES_MAX + 1)), protocolError('TOO_MANY'))
  t.throws(() => MerkleTree.fromHex(new Array<string>(MERKLE_LEAVES_MAX + 1)), protocolError('TOO_MANY'))
  t.throws(() => MerkleTree.fromHex(['0x' + 'zz'.repeat(32)]), protocolError('BAD_VALUE'), 'not hex')
  t.throws(() => MerkleTree.fromHex(['0x' + 'ab'.repeat(31)]), protocolError('BAD_LENGTH'), 'short hex')
  t.throws(() => leafHash(new Uint8Array(20)), protocolError('BAD_LENGTH'))
})

t.test('fromHex builds the same tree as build, with or without the 0x prefix', async t => {
  const values = valuesFor(9, 9)
  const root = MerkleTree.build(values).rootHex
  t.equal(MerkleTree.fromHex(values.map(hex)).rootHex, root)
  t.equal(MerkleTree.fromHex(values.map(value => toHex(value))).rootHex, root)
})

t.test('a proof index outside the values is OUT_OF_RANGE', async t => {
  const tree = MerkleTree.build(valuesFor(5, 5))
  for (const index of [-1, 5, 1.5, Number.NaN]) {
    t.throws(() => tree.proof(index), protocolError('OUT_OF_RANGE'), `${index}`)
  }
})

t.test('verifyProof returns false for malformed proofs instead of throwing', async t => {
  const values = valuesFor(8, 8)
  const tree = MerkleTree.build(values)
  const proof = tree.proof(3)
  t.notOk(verifyProof(tree.root, values[3]!, [...proof.slice(0, 2), proof[2]!.subarray(0, 31)]), 'a 31-byte element')
  t.notOk(verifyProof(tree.root, values[3]!, [...proof, new Uint8Array(33)]), 'a 33-byte element')
  t.notOk(verifyProof(tree.root.subarray(0, 31), values[3]!, proof), 'a 31-byte root')
  t.notOk(verifyProof(tree.root, values[3]!.subarray(0, 31), proof), 'a 31-byte value')
  const tooLong = Array.from({ length: MERKLE_PROOF_LENGTH_MAX + 1 }, () => new Uint8Array(32))
  t.notOk(verifyProof(tree.root, values[3]!, tooLong), 'longer than MERKLE_PROOF_LENGTH_MAX')
})

t.test('verifyProofHex returns false for malformed hex instead of throwing', async t => {
  const values = valuesFor(8, 8)
  const tree = MerkleTree.build(values)
  const proof = tree.proofHex(3)
  const value = hex(values[3]!)
  t.ok(verifyProofHex(tree.rootHex, value, proof))
  t.ok(verifyProofHex(tree.rootHex.slice(2), value.slice(2), proof), 'the 0x prefix is optional')
  t.notOk(verifyProofHex(tree.rootHex, value, [...proof.slice(1), 'zz']), 'not hex')
  t.notOk(verifyProofHex(tree.rootHex, value, [...proof.slice(1), proof[0]!.slice(0, -2)]), 'a 31-byte element')
  t.notOk(verifyProofHex('0x', value, proof), 'an empty root')
  t.notOk(verifyProofHex(tree.rootHex, 42 as unknown as string, proof), 'a value that is not a string')
  t.notOk(verifyProofHex(tree.rootHex, value, 'nope' as unknown as string[]), 'a proof that is not an array')
})
