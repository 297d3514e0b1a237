// Online authorization: a gateway with a live link asks the hub to approve a payment from the
// live balance (DESIGN step 8). A correlation id pairs the answer with the question; the
// record still enters the gateway's chain, and settles once under the same transfer id.

import { MessageType } from '../codec'
import { REASONS, type Reason } from '../reasons'
import { authorizationCodec, type Authorization } from './authorization'
import { defineMessage, defineSignedMessage, type Signed } from './define'
import { HASH_BYTES, ID_BYTES, readEnum } from './fields'

export interface OnlineAuthorizationRequest {
  correlationId: Uint8Array
  authorization: Authorization
}

export const onlineAuthorizationRequestCodec = defineMessage<OnlineAuthorizationRequest>({
  type: MessageType.OnlineAuthorizationRequest,
  name: 'OnlineAuthorizationRequest',
  body_bytes_max: ID_BYTES + authorizationCodec.size_max,
  writeBody(writer, value) {
    writer.fixed(value.correlationId, ID_BYTES, 'correlationId')
    authorizationCodec.write(writer, value.authorization)
  },
  readBody(reader) {
    return { correlationId: reader.fixed(ID_BYTES, 'correlationId'), authorization: authorizationCodec.read(reader) }
  },
})

export interface OnlineAuthorizationResponseBody {
  correlationId: Uint8Array
  transferId: Uint8Array
  approved: boolean
  reason: Reason
  timeMs: number
}
export type OnlineAuthorizationResponse = Signed<OnlineAuthorizationResponseBody>

export const onlineAuthorizationResponseCodec = defineSignedMessage<OnlineAuthorizationResponseBody>({
  type: MessageType.OnlineAuthorizationResponse,
  name: 'OnlineAuthorizationResponse',
  body_bytes_max: ID_BYTES + HASH_BYTES + 1 + 1 + 8,
  writeBody(writer, value) {
    writer
      .fixed(value.correlationId, ID_BYTES, 'correlationId')
      .fixed(value.transferId, HASH_BYTES, 'transferId')
      .u8(value.approved ? 1 : 0)
      .u8(value.reason)
      .u64(value.timeMs)
  },
  readBody(reader) {
    return {
      correlationId: reader.fixed(ID_BYTES, 'correlationId'),
      transferId: reader.fixed(HASH_BYTES, 'transferId'),
      approved: readEnum(reader, [0, 1], 'approved') === 1,
      reason: readEnum(reader, REASONS, 'reason'),
      timeMs: reader.u64('timeMs'),
    }
  },
})
