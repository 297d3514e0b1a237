// TransferRecord: one approved payment as the gateway stores and uploads it (DESIGN step 5).
// Records form a hash chain with a gapless gateway sequence; no per-record gateway signature:
// the gateway signs the chain head (ChainHead), which covers every record up to it.

import { sha256 } from '../bytes'
import { MessageType } from '../codec'
import { ProtocolError } from '../errors'
import { authorizationCodec, type Authorization } from './authorization'
import { defineMessage } from './define'
import { HASH_BYTES, readEnum } from './fields'

export const PaymentMode = { Offline: 0, Online: 1 } as const
export type PaymentMode = (typeof PaymentMode)[keyof typeof PaymentMode]

/** The previous hash of the first record of a chain. */
export const GENESIS_HASH = new Uint8Array(HASH_BYTES)

export interface TransferRecord {
  mode: PaymentMode
  /** Gapless, from 1. */
  gatewaySeq: number
  previousHash: Uint8Array
  authorization: Authorization
}

export const transferRecordCodec = defineMessage<TransferRecord>({
  type: MessageType.TransferRecord,
  name: 'TransferRecord',
  body_bytes_max: 1 + 4 + HASH_BYTES + authorizationCodec.size_max,
  writeBody(writer, value) {
    if (value.gatewaySeq < 1) throw new ProtocolError('OUT_OF_RANGE', 'gatewaySeq starts at 1')
    writer.u8(value.mode).u32(value.gatewaySeq).fixed(value.previousHash, HASH_BYTES, 'previousHash')
    authorizationCodec.write(writer, value.authorization)
  },
  readBody(reader) {
    const mode = readEnum(reader, [PaymentMode.Offline, PaymentMode.Online], 'payment mode')
    const gatewaySeq = reader.u32('gatewaySeq')
    if (gatewaySeq < 1) throw new ProtocolError('OUT_OF_RANGE', 'gatewaySeq starts at 1')
    return {
      mode,
      gatewaySeq,
      previousHash: reader.fixed(HASH_BYTES, 'previousHash'),
      authorization: authorizationCodec.read(reader),
    }
  },
})

/** The chain link: SHA-256 of the whole encoded record, the customer's signature included. */
export function recordHash(record: TransferRecord): Uint8Array {
  return sha256(transferRecordCodec.encode(record))
}

