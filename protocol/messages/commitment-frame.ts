// CommitmentFrame: what a gateway holds, small enough for LoRaWAN EU868 DR0 (51 bytes).
// It carries no signature (64 bytes would not fit): LoRaWAN's own MIC authenticates the uplink,
// and the hub checks the frame against the records when they arrive over IP.

import { MessageType } from '../codec'
import { defineMessage } from './define'
import { readCurrency, writeCurrency } from './fields'

export const COMMITMENT_HEAD_BYTES = 16
/** EU868 DR0–2 application payload. */
export const LORA_PAYLOAD_BYTES_MAX = 51

export interface CommitmentFrame {
  gatewaySeq: number
  unsyncedCount: number
  unsyncedAmountMinor: number
  currency: string
  /** The first 16 bytes of the chain head hash. */
  headPrefix: Uint8Array
  /** Whole seconds: the frame has no room for milliseconds. */
  timeS: number
}

export const commitmentFrameCodec = defineMessage<CommitmentFrame>({
  type: MessageType.CommitmentFrame,
  name: 'CommitmentFrame',
  body_bytes_max: 4 + 2 + 6 + 2 + COMMITMENT_HEAD_BYTES + 4,
  writeBody(writer, value) {
    writer.u32(value.gatewaySeq).u16(value.unsyncedCount).u48(value.unsyncedAmountMinor)
    writeCurrency(writer, value.currency)
    writer.fixed(value.headPrefix, COMMITMENT_HEAD_BYTES, 'headPrefix').u32(value.timeS)
  },
  readBody(reader) {
    return {
      gatewaySeq: reader.u32('gatewaySeq'),
      unsyncedCount: reader.u16('unsyncedCount'),
      unsyncedAmountMinor: reader.u48('unsyncedAmountMinor'),
      currency: readCurrency(reader),
      headPrefix: reader.fixed(COMMITMENT_HEAD_BYTES, 'headPrefix'),
      timeS: reader.u32('timeS'),
    }
  },
})
