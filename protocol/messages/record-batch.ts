// RecordBatch: consecutive records going up to the hub, closed by a signed ChainHead whose
// sequence and hash are those of the batch's last record (DESIGN step 6).

import { equalBytes } from '../bytes'
import { verifyChainSegment } from '../chain'
import { MessageType } from '../codec'
import { ProtocolError } from '../errors'
import { chainHeadCodec, type ChainHead } from './chain-head'
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
    const gatewayEui = readEui(reader, 'gatewayEui')
    const count = reader.u16('record count')
    if (count === 0 || count > BATCH_RECORDS_MAX) {
      throw new ProtocolError('TOO_MANY', `a batch holds 1 to ${BATCH_RECORDS_MAX} records, not ${count}`)
    }
    const records: TransferRecord[] = []
    for (let i = 0; i < count; i++) records.push(transferRecordCodec.read(reader))
    const batch = { gatewayEui, records, head: chainHeadCodec.read(reader) }
    checkBatchShape(batch)
    return batch
  },
})

/**
 * Structure a batch must have before any signature is checked: one gateway throughout,
 * consecutive sequence numbers, each record linked to the one before, the head naming the
 * last record. Returns the record hashes.
 */
export function checkBatchShape(batch: RecordBatch): Uint8Array[] {
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
  )
  if (head.gatewaySeq !== position.gatewaySeq || !equalBytes(head.headHash, position.hash)) {
    throw new ProtocolError('CHAIN_TAMPERED', 'chain head does not match the last record of the batch')
  }
  return hashes
}
