// Voiding an online request that went unanswered (DESIGN step 8): the gateway asked the hub to
// authorize a payment, heard nothing back, and did not record it (it declined at the counter, or
// lost its power before the answer). The hub may have approved and settled it all the same, so the
// customer would be charged for goods never handed over. The gateway signs a void of the payment's
// transfer id, kept and sent again until the hub answers; the hub gives back an approval it made
// (every posting reversed) and never approves that payment online afterwards.

import { MessageType } from '../codec'
import { REASONS, type Reason } from '../reasons'
import { defineSignedMessage, type Signed } from './define'
import { EUI_BYTES, HASH_BYTES, readAmount, readEnum, readEui, writeAmount, writeEui } from './fields'

export interface OnlineVoidRequestBody {
  /** The payment the gateway asked about online: its transfer id. */
  transferId: Uint8Array
  gatewayEui: string
  timeMs: number
}
export type OnlineVoidRequest = Signed<OnlineVoidRequestBody>

export const onlineVoidRequestCodec = defineSignedMessage<OnlineVoidRequestBody>({
  type: MessageType.OnlineVoidRequest,
  name: 'OnlineVoidRequest',
  body_bytes_max: HASH_BYTES + EUI_BYTES + 8,
  writeBody(writer, value) {
    writer.fixed(value.transferId, HASH_BYTES, 'transferId')
    writeEui(writer, value.gatewayEui)
    writer.u64(value.timeMs)
  },
  readBody(reader) {
    return {
      transferId: reader.fixed(HASH_BYTES, 'transferId'),
      gatewayEui: readEui(reader, 'gatewayEui'),
      timeMs: reader.u64('timeMs'),
    }
  },
})

export interface OnlineVoidResponseBody {
  transferId: Uint8Array
  /** True when the payment will never be approved online: any approval of it given back. */
  voided: boolean
  /** Why not, when not voided (PaymentRecorded, GatewayUnknown, …); None when voided. */
  reason: Reason
  /** What went back to the customer: the amount the hub had approved, or 0 when it approved nothing. */
  reversedMinor: number
  timeMs: number
}
export type OnlineVoidResponse = Signed<OnlineVoidResponseBody>

export const onlineVoidResponseCodec = defineSignedMessage<OnlineVoidResponseBody>({
  type: MessageType.OnlineVoidResponse,
  name: 'OnlineVoidResponse',
  body_bytes_max: HASH_BYTES + 1 + 1 + 8 + 8,
  writeBody(writer, value) {
    writer.fixed(value.transferId, HASH_BYTES, 'transferId').u8(value.voided ? 1 : 0).u8(value.reason)
    writeAmount(writer, value.reversedMinor)
    writer.u64(value.timeMs)
  },
  readBody(reader) {
    return {
      transferId: reader.fixed(HASH_BYTES, 'transferId'),
      voided: readEnum(reader, [0, 1], 'voided') === 1,
      reason: readEnum(reader, REASONS, 'reason'),
      reversedMinor: readAmount(reader, 'reversedMinor'),
      timeMs: reader.u64('timeMs'),
    }
  },
})
