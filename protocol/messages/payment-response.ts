// PaymentResponse: the phone's answer to a PaymentRequest: its voucher and its authorization.
// Too long for one APDU, it travels with response chaining (protocol/apdu.ts).

import { MessageType } from '../codec'
import { authorizationCodec, type Authorization } from './authorization'
import { defineMessage } from './define'
import { voucherCodec, type Voucher } from './voucher'

export interface PaymentResponse {
  voucher: Voucher
  authorization: Authorization
}

export const paymentResponseCodec = defineMessage<PaymentResponse>({
  type: MessageType.PaymentResponse,
  name: 'PaymentResponse',
  body_bytes_max: voucherCodec.size_max + authorizationCodec.size_max,
  writeBody(writer, value) {
    voucherCodec.write(writer, value.voucher)
    authorizationCodec.write(writer, value.authorization)
  },
  readBody(reader) {
    return { voucher: voucherCodec.read(reader), authorization: authorizationCodec.read(reader) }
  },
})
