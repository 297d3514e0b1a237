// Ack: the hub's signed answer to a RecordBatch, one outcome per record (DESIGN step 6).
// A gateway deletes nothing on an unsigned or foreign ack.

import { MessageType } from '../codec'
import { ProtocolError } from '../errors'
import { REASONS, type Reason } from '../reasons'
import { defineSignedMessage, type Signed } from './define'
import { EUI_BYTES, HASH_BYTES, readEnum, readEui, writeEui } from './fields'
import { BATCH_RECORDS_MAX } from './record-batch'

export const AckOutcome = {
  /** Settled now. */
  Settled: 0,
  /** Settled before (a re-sent batch): nothing changed. */
  Duplicate: 1,
  /** Refused with a reason and kept for audit; no money moved. */
  Rejected: 2,
  /** Settled, and evidence of a double spend: the voucher is revoked. */
  Flagged: 3,
} as const
export type AckOutcome = (typeof AckOutcome)[keyof typeof AckOutcome]
const OUTCOMES: readonly AckOutcome[] = Object.values(AckOutcome)

export interface AckEntry {
  gatewaySeq: number
  outcome: AckOutcome
  reason: Reason
}

export interface AckBody {
  gatewayEui: string
  /** The chain head of the batch this answers. */
  headSeq: number
  /**
   * The head's record hash, as the batch's ChainHead gave it: a gateway applies the ack only if its own
   * record at headSeq has it. A re-imaged gateway's new chain reuses the old one's numbers, and a
   * broker may hand it an ack of the old chain still queued for the EUI.
   */
  headHash: Uint8Array
  timeMs: number
  entries: AckEntry[]
}
export type Ack = Signed<AckBody>

const ENTRY_BYTES = 4 + 1 + 1

export const ackCodec = defineSignedMessage<AckBody>({
  type: MessageType.Ack,
  name: 'Ack',
  body_bytes_max: EUI_BYTES + 4 + HASH_BYTES + 8 + 2 + BATCH_RECORDS_MAX * ENTRY_BYTES,
  writeBody(writer, value) {
    if (value.entries.length > BATCH_RECORDS_MAX) throw new ProtocolError('TOO_MANY', 'too many ack entries')
    writeEui(writer, value.gatewayEui)
    writer.u32(value.headSeq).fixed(value.headHash, HASH_BYTES, 'headHash').u64(value.timeMs).u16(value.entries.length)
    for (const entry of value.entries) writer.u32(entry.gatewaySeq).u8(entry.outcome).u8(entry.reason)
  },
  readBody(reader) {
    const gatewayEui = readEui(reader, 'gatewayEui')
    const headSeq = reader.u32('headSeq')
    const headHash = reader.fixed(HASH_BYTES, 'headHash')
    const time_ms = reader.u64('timeMs')
    const count = reader.u16('entry count')
    if (count > BATCH_RECORDS_MAX) throw new ProtocolError('TOO_MANY', `an ack holds at most ${BATCH_RECORDS_MAX} entries`)
    const entries: AckEntry[] = []
    for (let i = 0; i < count; i++) {
      entries.push({
        gatewaySeq: reader.u32('gatewaySeq'),
        outcome: readEnum(reader, OUTCOMES, 'ack outcome'),
        reason: readEnum(reader, REASONS, 'reason'),
      })
    }
    return { gatewayEui, headSeq, headHash, timeMs: time_ms, entries }
  },
})
