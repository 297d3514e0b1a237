// RecordBatch: consecutive records going up to the hub, closed by a signed ChainHead whose
// sequence and hash are those of the batch's last record (DESIGN step 6).

import { equalBytes, sha256 } from '../bytes'
import { verifyChainSegment } from '../chain'
import { MessageType, Reader } from '../codec'
import { ProtocolError, assert } from '../errors'
import { authorizationCodec } from './authorization'
import { chainHeadCodec, type ChainHead } from './chain-head'
import { SIGNATURE_BYTES } from '../signature/ed25519'
import { defineMessage } from './define'
import { EUI_BYTES, readEui, writeEui } from './fields'
import { transferRecordCodec, type TransferRecord } from './transfer-record'

/** Bounded so one batch is one bounded MQTT message and one bounded SQLite transaction. */
export const BATCH_RECORDS_MAX = 512

export interface RecordBatch {
  gatewayEui: string
  records: TransferRecord[]
  head: ChainHead
}

export const recordBatchCodec = defineMessage<RecordBatch>({
  type: MessageType.RecordBatch,
  name: 'RecordBatch',
  body_bytes_max: EUI_BYTES + 2 + BATCH_RECORDS_MAX * transferRecordCodec.size_max + chainHeadCodec.size_max,
  writeBody(writer, value) {
    checkBatchShape(value)
    writeEui(writer, value.gatewayEui)
    writer.u16(value.records.length)
    for (const record of value.records) transferRecordCodec.write(writer, record)
    chainHeadCodec.write(writer, value.head)
  },
  readBody(reader) {
    return readFramedBody(reader).batch
  },
})

/** A record as it arrived: its exact bytes, their hash (the chain link) and the bytes its customer signed. */
export interface RecordFrame {
  bytes: Uint8Array
  hash: Uint8Array
  authorizationUnsigned: Uint8Array
}

// Fixed in version 1: mode, sequence and previous hash precede the embedded authorization.
const RECORD_PREFIX_BYTES = 2 + 1 + 4 + 32
const AUTHORIZATION_UNSIGNED_BYTES = authorizationCodec.size_max - SIGNATURE_BYTES

function readFramedBody(reader: Reader): { batch: RecordBatch; frames: RecordFrame[] } {
  const gatewayEui = readEui(reader, 'gatewayEui')
  const count = reader.u16('record count')
  if (count === 0 || count > BATCH_RECORDS_MAX) {
    throw new ProtocolError('TOO_MANY', `a batch holds 1 to ${BATCH_RECORDS_MAX} records, not ${count}`)
  }
  const records: TransferRecord[] = []
  const frames: RecordFrame[] = []
  for (let i = 0; i < count; i++) {
    const start = reader.position
    records.push(transferRecordCodec.read(reader))
    const bytes = reader.slice(start)
    assert(bytes.length === transferRecordCodec.size_max, 'version 1 records have one size')
    frames.push({
      bytes,
      hash: sha256(bytes),
      authorizationUnsigned: bytes.subarray(RECORD_PREFIX_BYTES, RECORD_PREFIX_BYTES + AUTHORIZATION_UNSIGNED_BYTES),
    })
  }
  const batch = { gatewayEui, records, head: chainHeadCodec.read(reader) }
  checkBatchShape(batch, frames.map(frame => frame.hash))
  return { batch, frames }
}

/**
 * Decodes a batch keeping each record's received bytes, so the hub hashes, verifies and stores
 * exactly what the gateway sent without encoding anything again.
 */
export function decodeRecordBatchFrames(payload: Uint8Array): { batch: RecordBatch; frames: RecordFrame[] } {
  const reader = new Reader(payload)
  reader.header(MessageType.RecordBatch, 'RecordBatch')
  const framed = readFramedBody(reader)
  reader.end()
  return framed
}

/**
 * Structure a batch must have before any signature is checked: one gateway throughout,
 * consecutive sequence numbers, each record linked to the one before, the head naming the
 * last record. Returns the record hashes.
 */
export function checkBatchShape(batch: RecordBatch, knownHashes?: readonly Uint8Array[]): Uint8Array[] {
  const { records, head } = batch
  if (records.length === 0 || records.length > BATCH_RECORDS_MAX) {
    throw new ProtocolError('TOO_MANY', `a batch holds 1 to ${BATCH_RECORDS_MAX} records`)
  }
  if (head.gatewayEui !== batch.gatewayEui) throw new ProtocolError('BAD_VALUE', 'chain head names another gateway')
  for (const record of records) {
    if (record.authorization.gatewayEui !== batch.gatewayEui) {
      throw new ProtocolError('BAD_VALUE', `record ${record.gatewaySeq} was authorized for another gateway`)
    }
  }
  const first = records[0]!
  const { position, hashes } = verifyChainSegment(
    { gatewaySeq: first.gatewaySeq - 1, hash: first.previousHash },
    records,
    knownHashes,
  )
  if (head.gatewaySeq !== position.gatewaySeq || !equalBytes(head.headHash, position.hash)) {
    throw new ProtocolError('CHAIN_TAMPERED', 'chain head does not match the last record of the batch')
  }
  return hashes
}
