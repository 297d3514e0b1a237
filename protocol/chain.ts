// The gateway's record chain: gapless sequence numbers, each record linked to the hash of the
// one before. These helpers build the next link and tell a gap, a fork and an edit apart.

import { equalBytes } from './bytes'
import { ProtocolError } from './errors'
import type { Authorization } from './messages/authorization'
import { GENESIS_HASH, recordHash, type PaymentMode, type TransferRecord } from './messages/transfer-record'

export interface ChainPosition {
  /** The sequence of the last record; 0 for an empty chain. */
  readonly gatewaySeq: number
  readonly hash: Uint8Array
}

export const CHAIN_START: ChainPosition = Object.freeze({ gatewaySeq: 0, hash: GENESIS_HASH })

/** Builds the record that follows `position`, and the new position. */
export function appendRecord(
  position: ChainPosition,
  authorization: Authorization,
  mode: PaymentMode,
): { record: TransferRecord; position: ChainPosition } {
  const record: TransferRecord = {
    mode,
    gatewaySeq: position.gatewaySeq + 1,
    previousHash: position.hash,
    authorization,
  }
  return { record, position: { gatewaySeq: record.gatewaySeq, hash: recordHash(record) } }
}

/**
 * Checks that `records` continue the chain at `from` and returns the position after them.
 * - CHAIN_GAP: a sequence number is skipped or repeated;
 * - CHAIN_FORK: the first record continues another history than the one known at `from`;
 * - CHAIN_TAMPERED: inside the segment, a record does not link to the one before (an edit).
 * The record hashes are returned too, so a caller does not hash twice.
 */
export function verifyChainSegment(
  from: ChainPosition,
  records: readonly TransferRecord[],
  /** The records' hashes when the caller has them already (from the bytes it received). */
  knownHashes?: readonly Uint8Array[],
): { position: ChainPosition; hashes: Uint8Array[] } {
  let position = from
  const hashes: Uint8Array[] = []
  for (let i = 0; i < records.length; i++) {
    const record = records[i]!
    if (record.gatewaySeq !== position.gatewaySeq + 1) {
      throw new ProtocolError('CHAIN_GAP', `record ${record.gatewaySeq} cannot follow ${position.gatewaySeq}`)
    }
    if (!equalBytes(record.previousHash, position.hash)) {
      if (i === 0) {
        throw new ProtocolError('CHAIN_FORK', `record ${record.gatewaySeq} continues another history than the one known`)
      }
      throw new ProtocolError('CHAIN_TAMPERED', `record ${record.gatewaySeq - 1} was changed after record ${record.gatewaySeq} linked to it`)
    }
    const hash = knownHashes?.[i] ?? recordHash(record)
    hashes.push(hash)
    position = { gatewaySeq: record.gatewaySeq, hash }
  }
  return { position, hashes }
}

/** Two records with one sequence number and different contents prove the gateway forked its chain. */
export function isFork(a: TransferRecord, b: TransferRecord): boolean {
  return a.gatewaySeq === b.gatewaySeq && !equalBytes(recordHash(a), recordHash(b))
}
