// ProofBundle: the hub's signed answer about the anchoring of one gateway's transfers (DESIGN "Anchoring"):
// one anchored batch (root, chain, contract, transaction, block) with a Merkle inclusion proof per transfer,
// and the ids the hub cannot prove yet (settled, not anchored) or does not know for this gateway.
// ProofRequest: a gateway asking for the proofs of some of its transfers (after being offline, say).
// Every id list is sorted and unique, so each message has one encoding.

import { compareBytes, toHex } from '../bytes'
import { MessageType, type Reader, type Writer } from '../codec'
import { ProtocolError } from '../errors'
import { MERKLE_LEAVES_MAX, MERKLE_PROOF_LENGTH_MAX, MERKLE_WORD_BYTES } from '../merkle'
import { defineMessage, defineSignedMessage, type Signed } from './define'
import { EUI_BYTES, HASH_BYTES, readEui, writeEui } from './fields'

/** Proof entries in one bundle: with the longest proofs a bundle stays under 180 kB, well within an MQTT packet. */
export const PROOF_BUNDLE_ENTRIES_MAX = 256
/** Transfer ids in one request, and in each of a bundle's pending and unknown lists. */
export const PROOF_REQUEST_IDS_MAX = 256
const TRANSFER_ID_BYTES = 32
export const CONTRACT_ADDRESS_BYTES = 20

/** Where and how a batch root sits on chain: only batches anchored with enough confirmations travel. */
export interface AnchoredBatch {
  batchId: number
  /** The Merkle root (OpenZeppelin StandardMerkleTree, leaf encoding bytes32) over the batch's transfer ids. */
  root: Uint8Array
  leafCount: number
  chainId: number
  contractAddress: Uint8Array
  /** The transaction that anchored the root, when the hub knows it. */
  txHash: Uint8Array | null
  blockNumber: number
}

export interface ProofEntry {
  transferId: Uint8Array
  /** Index of the transfer in the values the tree was built from (StandardMerkleTree.getProof(index)). */
  leafIndex: number
  /** Sibling hashes from the leaf up to the root. */
  proof: Uint8Array[]
}

export interface ProofBundleBody {
  gatewayEui: string
  /** Null when the bundle only says which ids cannot be proved (yet). */
  batch: AnchoredBatch | null
  /** Sorted by transfer id; non-empty exactly when there is a batch. */
  entries: ProofEntry[]
  /** Settled but not anchored yet: ask again later. */
  pending: Uint8Array[]
  /** Not a payment of this gateway the hub settled. */
  unknown: Uint8Array[]
}
export type ProofBundle = Signed<ProofBundleBody>

export interface ProofRequest {
  gatewayEui: string
  transferIds: Uint8Array[]
}

const BATCH_BYTES = 8 + HASH_BYTES + 4 + 8 + CONTRACT_ADDRESS_BYTES + 1 + HASH_BYTES + 8
const ENTRY_BYTES_MAX = TRANSFER_ID_BYTES + 4 + 1 + MERKLE_PROOF_LENGTH_MAX * MERKLE_WORD_BYTES
const ID_LIST_BYTES_MAX = 2 + PROOF_REQUEST_IDS_MAX * TRANSFER_ID_BYTES

/** Sorts and de-duplicates transfer ids into the canonical order of every id list here. */
export function canonicalTransferIds(ids: Iterable<Uint8Array>): Uint8Array[] {
  const sorted = [...ids].sort(compareBytes)
  return sorted.filter((id, i) => i === 0 || compareBytes(sorted[i - 1]!, id) !== 0)
}

function checkSortedUnique(ids: readonly Uint8Array[], field: string): void {
  for (let i = 1; i < ids.length; i++) {
    if (compareBytes(ids[i - 1]!, ids[i]!) >= 0) throw new ProtocolError('BAD_VALUE', `${field} must be sorted and unique`)
  }
}

function writeIds(writer: Writer, ids: readonly Uint8Array[], field: string): void {
  if (ids.length > PROOF_REQUEST_IDS_MAX) throw new ProtocolError('TOO_MANY', `${field}: at most ${PROOF_REQUEST_IDS_MAX} ids`)
  writer.u16(ids.length)
  for (const id of ids) writer.fixed(id, TRANSFER_ID_BYTES, field)
}

function readIds(reader: Reader, field: string): Uint8Array[] {
  const count = reader.u16(`${field} count`)
  if (count > PROOF_REQUEST_IDS_MAX) throw new ProtocolError('TOO_MANY', `${field}: at most ${PROOF_REQUEST_IDS_MAX} ids, not ${count}`)
  const ids: Uint8Array[] = []
  for (let i = 0; i < count; i++) ids.push(reader.fixed(TRANSFER_ID_BYTES, field))
  return ids
}

function checkBatch(batch: AnchoredBatch): void {
  if (!Number.isSafeInteger(batch.batchId) || batch.batchId < 1) throw new ProtocolError('OUT_OF_RANGE', 'batchId must be at least 1')
  if (!Number.isInteger(batch.leafCount) || batch.leafCount < 1 || batch.leafCount > MERKLE_LEAVES_MAX) {
    throw new ProtocolError('OUT_OF_RANGE', `leafCount must be 1..${MERKLE_LEAVES_MAX}`)
  }
  if (!Number.isSafeInteger(batch.chainId) || batch.chainId < 1) throw new ProtocolError('OUT_OF_RANGE', 'chainId must be at least 1')
}

/** The rules a bundle obeys whichever way it travels, so a decoded bundle is exactly one encodable value. */
function checkBundleShape(value: ProofBundleBody): void {
  if (value.entries.length > PROOF_BUNDLE_ENTRIES_MAX) {
    throw new ProtocolError('TOO_MANY', `a bundle holds at most ${PROOF_BUNDLE_ENTRIES_MAX} proofs`)
  }
  if ((value.batch === null) !== (value.entries.length === 0)) {
    throw new ProtocolError('BAD_VALUE', 'a bundle carries proofs exactly when it carries their batch')
  }
  if (value.entries.length + value.pending.length + value.unknown.length === 0) {
    throw new ProtocolError('BAD_VALUE', 'a bundle says something about at least one transfer')
  }
  if (value.batch !== null) checkBatch(value.batch)
  for (const entry of value.entries) {
    if (value.batch !== null && entry.leafIndex >= value.batch.leafCount) {
      throw new ProtocolError('OUT_OF_RANGE', `leaf index ${entry.leafIndex} is outside a batch of ${value.batch.leafCount}`)
    }
    if (entry.proof.length > MERKLE_PROOF_LENGTH_MAX) {
      throw new ProtocolError('TOO_MANY', `a proof has at most ${MERKLE_PROOF_LENGTH_MAX} hashes`)
    }
  }
  checkSortedUnique(value.entries.map(entry => entry.transferId), 'proof entries')
  checkSortedUnique(value.pending, 'pending ids')
  checkSortedUnique(value.unknown, 'unknown ids')
  // An id has one answer.
  const seen = new Set<string>()
  for (const id of [...value.entries.map(entry => entry.transferId), ...value.pending, ...value.unknown]) {
    const key = toHex(id)
    if (seen.has(key)) throw new ProtocolError('BAD_VALUE', `transfer ${key} is answered twice`)
    seen.add(key)
  }
}

export const proofBundleCodec = defineSignedMessage<ProofBundleBody>({
  type: MessageType.ProofBundle,
  name: 'ProofBundle',
  body_bytes_max: EUI_BYTES + 1 + BATCH_BYTES + 2 + PROOF_BUNDLE_ENTRIES_MAX * ENTRY_BYTES_MAX + 2 * ID_LIST_BYTES_MAX,
  writeBody(writer, value) {
    checkBundleShape(value)
    writeEui(writer, value.gatewayEui)
    const batch = value.batch
    if (batch === null) {
      writer.u8(0)
    } else {
      writer.u8(1).u64(batch.batchId).fixed(batch.root, HASH_BYTES, 'root').u32(batch.leafCount).u64(batch.chainId)
        .fixed(batch.contractAddress, CONTRACT_ADDRESS_BYTES, 'contractAddress')
      if (batch.txHash === null) writer.u8(0)
      else writer.u8(1).fixed(batch.txHash, HASH_BYTES, 'txHash')
      writer.u64(batch.blockNumber)
    }
    writer.u16(value.entries.length)
    for (const entry of value.entries) {
      writer.fixed(entry.transferId, TRANSFER_ID_BYTES, 'transferId').u32(entry.leafIndex).u8(entry.proof.length)
      for (const node of entry.proof) writer.fixed(node, MERKLE_WORD_BYTES, 'proof node')
    }
    writeIds(writer, value.pending, 'pending ids')
    writeIds(writer, value.unknown, 'unknown ids')
  },
  readBody(reader) {
    const gatewayEui = readEui(reader, 'gatewayEui')
    const hasBatch = readFlag(reader, 'batch flag')
    let batch: AnchoredBatch | null = null
    if (hasBatch) {
      const batchId = reader.u64('batchId')
      const root = reader.fixed(HASH_BYTES, 'root')
      const leafCount = reader.u32('leafCount')
      const chainId = reader.u64('chainId')
      const contractAddress = reader.fixed(CONTRACT_ADDRESS_BYTES, 'contractAddress')
      const txHash = readFlag(reader, 'txHash flag') ? reader.fixed(HASH_BYTES, 'txHash') : null
      const blockNumber = reader.u64('blockNumber')
      batch = { batchId, root, leafCount, chainId, contractAddress, txHash, blockNumber }
    }
    const count = reader.u16('entry count')
    if (count > PROOF_BUNDLE_ENTRIES_MAX) throw new ProtocolError('TOO_MANY', `a bundle holds at most ${PROOF_BUNDLE_ENTRIES_MAX} proofs`)
    const entries: ProofEntry[] = []
    for (let i = 0; i < count; i++) {
      const transferId = reader.fixed(TRANSFER_ID_BYTES, 'transferId')
      const leafIndex = reader.u32('leafIndex')
      const length = reader.u8('proof length')
      if (length > MERKLE_PROOF_LENGTH_MAX) throw new ProtocolError('TOO_MANY', `a proof has at most ${MERKLE_PROOF_LENGTH_MAX} hashes`)
      const proof: Uint8Array[] = []
      for (let j = 0; j < length; j++) proof.push(reader.fixed(MERKLE_WORD_BYTES, 'proof node'))
      entries.push({ transferId, leafIndex, proof })
    }
    const body = { gatewayEui, batch, entries, pending: readIds(reader, 'pending ids'), unknown: readIds(reader, 'unknown ids') }
    checkBundleShape(body)
    return body
  },
})

export const proofRequestCodec = defineMessage<ProofRequest>({
  type: MessageType.ProofRequest,
  name: 'ProofRequest',
  body_bytes_max: EUI_BYTES + ID_LIST_BYTES_MAX,
  writeBody(writer, value) {
    checkRequestShape(value.transferIds)
    writeEui(writer, value.gatewayEui)
    writeIds(writer, value.transferIds, 'transferIds')
  },
  readBody(reader) {
    const gatewayEui = readEui(reader, 'gatewayEui')
    const transferIds = readIds(reader, 'transferIds')
    checkRequestShape(transferIds)
    return { gatewayEui, transferIds }
  },
})

function checkRequestShape(ids: readonly Uint8Array[]): void {
  if (ids.length === 0) throw new ProtocolError('BAD_VALUE', 'a proof request names at least one transfer')
  checkSortedUnique(ids, 'transferIds')
}

function readFlag(reader: Reader, field: string): boolean {
  const flag = reader.u8(field)
  if (flag > 1) throw new ProtocolError('OUT_OF_RANGE', `${field} must be 0 or 1, not ${flag}`)
  return flag === 1
}
