// Merkle trees over 32-byte transfer ids in the exact format of OpenZeppelin's StandardMerkleTree
// with leaf encoding ['bytes32'], so a batch root anchored on chain is checked by MerkleProof.verify.

import { ProtocolError, assert } from './errors'
import { fromHex, toHex } from './bytes'
import { keccakWords } from './keccak'

/** Largest batch one tree holds; bounds memory (64 MiB of nodes) and the proof length. */
export const MERKLE_LEAVES_MAX = 1_048_576
/** ceil(log2(MERKLE_LEAVES_MAX)): no proof from a tree we build is longer. */
export const MERKLE_PROOF_LENGTH_MAX = 20
/** A leaf value (abi type bytes32) and every node hash are this long. */
export const MERKLE_WORD_BYTES = 32

const WORD_HEX = /^(?:0[xX])?[0-9a-fA-F]{64}$/

function compareWords(a: Uint8Array, aOffset: number, b: Uint8Array, bOffset: number): number {
  for (let index = 0; index < MERKLE_WORD_BYTES; index++) {
    const difference = a[aOffset + index]! - b[bOffset + index]!
    if (difference !== 0) return difference
  }
  return 0
}

function isWord(value: unknown): value is Uint8Array {
  return value instanceof Uint8Array && value.length === MERKLE_WORD_BYTES
}

function checkValue(value: unknown, valueIndex?: number): asserts value is Uint8Array {
  if (isWord(value)) return
  const what = valueIndex === undefined ? 'value' : `value ${valueIndex}`
  if (!(value instanceof Uint8Array)) throw new ProtocolError('BAD_VALUE', `${what} must be a Uint8Array`)
  throw new ProtocolError('BAD_LENGTH', `${what} must be ${MERKLE_WORD_BYTES} bytes, got ${value.length}`)
}

function wordToHex(word: Uint8Array): string {
  return `0x${toHex(word)}`
}

/** OpenZeppelin's leaf: keccak256(keccak256(abi.encode(value))), where abi.encode of a bytes32 is the value. */
function hashLeafInto(source: Uint8Array, sourceOffset: number, target: Uint8Array, targetOffset: number): void {
  keccakWords(source, sourceOffset, null, 0, target, targetOffset)
  keccakWords(target, targetOffset, null, 0, target, targetOffset)
}

/** OpenZeppelin's inner node: keccak256 of the two children in ascending byte order, so proofs need no sides. */
function hashNodeInto(
  left: Uint8Array,
  leftOffset: number,
  right: Uint8Array,
  rightOffset: number,
  target: Uint8Array,
  targetOffset: number,
): void {
  if (compareWords(left, leftOffset, right, rightOffset) <= 0) {
    keccakWords(left, leftOffset, right, rightOffset, target, targetOffset)
  } else {
    keccakWords(right, rightOffset, left, leftOffset, target, targetOffset)
  }
}

/** The hash a tree stores for `value` (32 bytes). */
export function leafHash(value: Uint8Array): Uint8Array {
  checkValue(value)
  const hash = new Uint8Array(MERKLE_WORD_BYTES)
  hashLeafInto(value, 0, hash, 0)
  return hash
}

/** The parent of two node hashes (32 bytes each); commutative. */
export function nodeHash(a: Uint8Array, b: Uint8Array): Uint8Array {
  checkValue(a)
  checkValue(b)
  const hash = new Uint8Array(MERKLE_WORD_BYTES)
  hashNodeInto(a, 0, b, 0, hash, 0)
  return hash
}

/** The root a proof implies for a leaf hash. The caller has checked every element is 32 bytes. */
function rootFromProof(leaf: Uint8Array, proof: readonly Uint8Array[]): Uint8Array {
  const node = leaf.slice()
  for (const sibling of proof) hashNodeInto(node, 0, sibling, 0, node, 0)
  return node
}

/**
 * Whether `proof` links `value` to `root`, with the verdict of OpenZeppelin's
 * StandardMerkleTree.verify(root, ['bytes32'], [value], proof) and Solidity's MerkleProof.verify.
 * A proof is untrusted input, so anything malformed is simply not a proof and this returns false
 * instead of throwing: a root, value or element that is not 32 bytes, or a proof longer than
 * MERKLE_PROOF_LENGTH_MAX (no tree we build is that deep).
 */
export function verifyProof(root: Uint8Array, value: Uint8Array, proof: readonly Uint8Array[]): boolean {
  if (!isWord(root) || !isWord(value) || proof.length > MERKLE_PROOF_LENGTH_MAX) return false
  for (const element of proof) if (!isWord(element)) return false
  const leaf = new Uint8Array(MERKLE_WORD_BYTES)
  hashLeafInto(value, 0, leaf, 0)
  return compareWords(rootFromProof(leaf, proof), 0, root, 0) === 0
}

function parseWordHex(text: unknown): Uint8Array | null {
  return typeof text === 'string' && WORD_HEX.test(text) ? fromHex(text) : null
}

/** verifyProof over the "0x…" strings OpenZeppelin's tools and our REST API exchange; never throws. */
export function verifyProofHex(root: string, value: string, proof: readonly string[]): boolean {
  const rootBytes = parseWordHex(root)
  const valueBytes = parseWordHex(value)
  if (rootBytes === null || valueBytes === null) return false
  if (!Array.isArray(proof) || proof.length > MERKLE_PROOF_LENGTH_MAX) return false
  const proofBytes: Uint8Array[] = []
  for (const element of proof) {
    const elementBytes = parseWordHex(element)
    if (elementBytes === null) return false
    proofBytes.push(elementBytes)
  }
  return verifyProof(rootBytes, valueBytes, proofBytes)
}

/**
 * The tree OpenZeppelin's StandardMerkleTree.of(values.map(v => [v]), ['bytes32']) builds: same root,
 * same proofs. Its 2n − 1 node hashes sit in one flat buffer in heap order (node i has children
 * 2i + 1 and 2i + 2, the root is node 0) and the n leaves fill the last n slots, sorted by hash with
 * the smallest last. A value is named by its index in the array given to build(), as in
 * OpenZeppelin's getProof(index). A value given twice becomes two leaves, as in OpenZeppelin;
 * looking it up by value finds its last occurrence.
 */
export class MerkleTree {
  readonly root: Uint8Array
  readonly rootHex: string
  readonly leafCount: number
  readonly #nodes: Uint8Array
  readonly #treeIndexByValueIndex: Uint32Array
  /** Value indices in ascending order of leaf hash; sorted position p is tree index 2n − 2 − p. */
  readonly #valueIndexBySortedPosition: Uint32Array

  private constructor(nodes: Uint8Array, treeIndexByValueIndex: Uint32Array, valueIndexBySortedPosition: Uint32Array) {
    this.#nodes = nodes
    this.#treeIndexByValueIndex = treeIndexByValueIndex
    this.#valueIndexBySortedPosition = valueIndexBySortedPosition
    this.leafCount = valueIndexBySortedPosition.length
    this.root = nodes.slice(0, MERKLE_WORD_BYTES)
    this.rootHex = wordToHex(this.root)
  }

  /**
   * Builds the tree over 32-byte values. Throws ProtocolError BAD_VALUE for no values or a value
   * that is not a Uint8Array, BAD_LENGTH for a value that is not 32 bytes, TOO_MANY past
   * MERKLE_LEAVES_MAX.
   */
  static build(values: readonly Uint8Array[]): MerkleTree {
    const leafCount = values.length
    if (leafCount === 0) throw new ProtocolError('BAD_VALUE', 'a Merkle tree needs at least one value')
    if (leafCount > MERKLE_LEAVES_MAX) {
      throw new ProtocolError('TOO_MANY', `${leafCount} values, at most ${MERKLE_LEAVES_MAX} in one tree`)
    }

    const leafHashes = new Uint8Array(leafCount * MERKLE_WORD_BYTES)
    for (let valueIndex = 0; valueIndex < leafCount; valueIndex++) {
      const value = values[valueIndex]!
      checkValue(value, valueIndex)
      hashLeafInto(value, 0, leafHashes, valueIndex * MERKLE_WORD_BYTES)
    }

    // Ties (equal values) go by value index: the order OpenZeppelin's stable sort leaves them in.
    const valueIndexBySortedPosition = new Uint32Array(leafCount)
    for (let valueIndex = 0; valueIndex < leafCount; valueIndex++) valueIndexBySortedPosition[valueIndex] = valueIndex
    valueIndexBySortedPosition.sort(
      (a, b) => compareWords(leafHashes, a * MERKLE_WORD_BYTES, leafHashes, b * MERKLE_WORD_BYTES) || a - b,
    )

    const nodeCount = 2 * leafCount - 1
    const nodes = new Uint8Array(nodeCount * MERKLE_WORD_BYTES)
    const treeIndexByValueIndex = new Uint32Array(leafCount)
    for (let position = 0; position < leafCount; position++) {
      const valueIndex = valueIndexBySortedPosition[position]!
      const treeIndex = nodeCount - 1 - position
      const hashOffset = valueIndex * MERKLE_WORD_BYTES
      nodes.set(leafHashes.subarray(hashOffset, hashOffset + MERKLE_WORD_BYTES), treeIndex * MERKLE_WORD_BYTES)
      treeIndexByValueIndex[valueIndex] = treeIndex
    }
    for (let treeIndex = leafCount - 2; treeIndex >= 0; treeIndex--) {
      const leftOffset = (2 * treeIndex + 1) * MERKLE_WORD_BYTES
      hashNodeInto(nodes, leftOffset, nodes, leftOffset + MERKLE_WORD_BYTES, nodes, treeIndex * MERKLE_WORD_BYTES)
    }
    return new MerkleTree(nodes, treeIndexByValueIndex, valueIndexBySortedPosition)
  }

  /**
   * build() over "0x…" strings (the prefix optional). Throws ProtocolError BAD_VALUE for text that
   * is not hex and BAD_LENGTH for hex that is not 32 bytes, besides build()'s errors.
   */
  static fromHex(values: readonly string[]): MerkleTree {
    if (values.length > MERKLE_LEAVES_MAX) {
      throw new ProtocolError('TOO_MANY', `${values.length} values, at most ${MERKLE_LEAVES_MAX} in one tree`)
    }
    return MerkleTree.build(values.map(value => fromHex(value, MERKLE_WORD_BYTES)))
  }

  /** The index in build()'s values of the last value equal to `value`, or -1 when it is not a leaf. */
  indexOf(value: Uint8Array): number {
    const hash = leafHash(value)
    const lastTreeIndex = 2 * this.leafCount - 2
    // Binary search for the first sorted position whose hash is greater: at most 21 steps.
    let low = 0
    let high = this.leafCount
    while (low < high) {
      const middle = (low + high) >>> 1
      if (compareWords(this.#nodes, (lastTreeIndex - middle) * MERKLE_WORD_BYTES, hash, 0) <= 0) low = middle + 1
      else high = middle
    }
    if (low === 0) return -1
    const position = low - 1
    if (compareWords(this.#nodes, (lastTreeIndex - position) * MERKLE_WORD_BYTES, hash, 0) !== 0) return -1
    return this.#valueIndexBySortedPosition[position]!
  }

  /**
   * The sibling hashes from the leaf up to the root, in OpenZeppelin's order: exactly its
   * getProof(). `target` is a value or its index in build()'s values. Throws ProtocolError
   * OUT_OF_RANGE for an index that names no value and BAD_VALUE for a value that is not a leaf
   * (indexOf() asks without throwing).
   */
  proof(target: Uint8Array | number): Uint8Array[] {
    let treeIndex = this.#treeIndexByValueIndex[this.#valueIndexOf(target)]!
    const leaf = this.#nodes.subarray(treeIndex * MERKLE_WORD_BYTES, (treeIndex + 1) * MERKLE_WORD_BYTES)
    const proof: Uint8Array[] = []
    while (treeIndex > 0) {
      const siblingOffset = (treeIndex % 2 === 1 ? treeIndex + 1 : treeIndex - 1) * MERKLE_WORD_BYTES
      proof.push(this.#nodes.slice(siblingOffset, siblingOffset + MERKLE_WORD_BYTES))
      treeIndex = (treeIndex - 1) >>> 1
    }
    assert(proof.length <= MERKLE_PROOF_LENGTH_MAX, 'a proof is no longer than the deepest tree')
    assert(compareWords(rootFromProof(leaf, proof), 0, this.root, 0) === 0, 'a proof leads back to the root')
    return proof
  }

  /** proof() as "0x…" strings; a string target is a value in hex (malformed: BAD_VALUE or BAD_LENGTH). */
  proofHex(target: string | number): string[] {
    const proof = this.proof(typeof target === 'string' ? fromHex(target, MERKLE_WORD_BYTES) : target)
    return proof.map(wordToHex)
  }

  #valueIndexOf(target: Uint8Array | number): number {
    if (typeof target === 'number') {
      if (!Number.isInteger(target) || target < 0 || target >= this.leafCount) {
        throw new ProtocolError('OUT_OF_RANGE', `value index ${target} outside 0..${this.leafCount - 1}`)
      }
      return target
    }
    const valueIndex = this.indexOf(target)
    if (valueIndex < 0) throw new ProtocolError('BAD_VALUE', 'value is not a leaf of this tree')
    return valueIndex
  }
}
