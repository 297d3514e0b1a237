// Refunds: the merchant gives back all or part of an earlier payment, online only. The gateway
// signs the request with its own key (the hub knows it from provisioning), the hub answers with
// its signature. The refund id is chosen by the gateway once and kept until the hub has answered,
// so a request sent again after a lost answer is the same refund, never a second one.

import { MessageType } from '../codec'
import { REASONS, type Reason } from '../reasons'
import { defineSignedMessage, type Signed } from './define'
import {
  EUI_BYTES, HASH_BYTES, ID_BYTES, readAmount, readCurrency, readEnum, readEui, readPositiveAmount, writeAmount,
  writeCurrency, writeEui, writePositiveAmount,
} from './fields'

export interface RefundRequestBody {
  /** 16 random bytes chosen by the gateway: the refund's idempotency key. */
  refundId: Uint8Array
  /** The payment refunded: its transfer id. */
  transferId: Uint8Array
  gatewayEui: string
  amountMinor: number
  currency: string
  timeMs: number
}
export type RefundRequest = Signed<RefundRequestBody>

export const refundRequestCodec = defineSignedMessage<RefundRequestBody>({
  type: MessageType.RefundRequest,
  name: 'RefundRequest',
  body_bytes_max: ID_BYTES + HASH_BYTES + EUI_BYTES + 8 + 2 + 8,
  writeBody(writer, value) {
    writer.fixed(value.refundId, ID_BYTES, 'refundId').fixed(value.transferId, HASH_BYTES, 'transferId')
    writeEui(writer, value.gatewayEui)
    writePositiveAmount(writer, value.amountMinor)
    writeCurrency(writer, value.currency)
    writer.u64(value.timeMs)
  },
  readBody(reader) {
    return {
      refundId: reader.fixed(ID_BYTES, 'refundId'),
      transferId: reader.fixed(HASH_BYTES, 'transferId'),
      gatewayEui: readEui(reader, 'gatewayEui'),
      amountMinor: readPositiveAmount(reader, 'amountMinor'),
      currency: readCurrency(reader),
      timeMs: reader.u64('timeMs'),
    }
  },
})

export interface RefundResponseBody {
  refundId: Uint8Array
  transferId: Uint8Array
  approved: boolean
  reason: Reason
  /** What this refund gave back: its amount when approved, 0 when declined. */
  amountMinor: number
  /** Everything refunded of the payment so far, this refund included when approved. */
  refundedMinor: number
  timeMs: number
}
export type RefundResponse = Signed<RefundResponseBody>

export const refundResponseCodec = defineSignedMessage<RefundResponseBody>({
  type: MessageType.RefundResponse,
  name: 'RefundResponse',
  body_bytes_max: ID_BYTES + HASH_BYTES + 1 + 1 + 8 + 8 + 8,
  writeBody(writer, value) {
    writer
      .fixed(value.refundId, ID_BYTES, 'refundId')
      .fixed(value.transferId, HASH_BYTES, 'transferId')
      .u8(value.approved ? 1 : 0)
      .u8(value.reason)
    writeAmount(writer, value.amountMinor)
    writeAmount(writer, value.refundedMinor)
    writer.u64(value.timeMs)
  },
  readBody(reader) {
    return {
      refundId: reader.fixed(ID_BYTES, 'refundId'),
      transferId: reader.fixed(HASH_BYTES, 'transferId'),
      approved: readEnum(reader, [0, 1], 'approved') === 1,
      reason: readEnum(reader, REASONS, 'reason'),
      amountMinor: readAmount(reader, 'amountMinor'),
      refundedMinor: readAmount(reader, 'refundedMinor'),
      timeMs: reader.u64('timeMs'),
    }
  },
})
