// ChainHead: the gateway's signature over the head of its record chain. One signature covers
// every record up to `gatewaySeq`, so records need no signature of their own.

import { MessageType } from '../codec'
import { defineSignedMessage, type Signed } from './define'
import { EUI_BYTES, HASH_BYTES, readEui, writeEui } from './fields'

export interface ChainHeadBody {
  gatewayEui: string
  gatewaySeq: number
  headHash: Uint8Array
  timeMs: number
}
export type ChainHead = Signed<ChainHeadBody>

export const chainHeadCodec = defineSignedMessage<ChainHeadBody>({
  type: MessageType.ChainHead,
  name: 'ChainHead',
  body_bytes_max: EUI_BYTES + 4 + HASH_BYTES + 8,
  writeBody(writer, value) {
    writeEui(writer, value.gatewayEui)
    writer.u32(value.gatewaySeq).fixed(value.headHash, HASH_BYTES, 'headHash').u64(value.timeMs)
  },
  readBody(reader) {
    return {
      gatewayEui: readEui(reader, 'gatewayEui'),
      gatewaySeq: reader.u32('gatewaySeq'),
      headHash: reader.fixed(HASH_BYTES, 'headHash'),
      timeMs: reader.u64('timeMs'),
    }
  },
})
