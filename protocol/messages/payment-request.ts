// PaymentRequest: what the gateway sends the phone when the merchant keys an amount (DESIGN step 2).
// The nonce makes each authorization answer exactly one request.

import { MessageType } from '../codec'
import { defineMessage } from './define'
import {
  EUI_BYTES, NONCE_BYTES, readCurrency, readEui, readPositiveAmount, readText, writeCurrency, writeEui,
  writePositiveAmount, writeText,
} from './fields'

export const MERCHANT_NAME_BYTES_MAX = 40

export interface PaymentRequest {
  gatewayEui: string
  amountMinor: number
  currency: string
  nonce: Uint8Array
  timeMs: number
  /** Shown on the phone so the customer sees whom they pay. */
  merchantName: string
}

export const paymentRequestCodec = defineMessage<PaymentRequest>({
  type: MessageType.PaymentRequest,
  name: 'PaymentRequest',
  body_bytes_max: EUI_BYTES + 8 + 2 + NONCE_BYTES + 8 + 2 + MERCHANT_NAME_BYTES_MAX,
  writeBody(writer, value) {
    writeEui(writer, value.gatewayEui)
    writePositiveAmount(writer, value.amountMinor)
    writeCurrency(writer, value.currency)
    writer.fixed(value.nonce, NONCE_BYTES, 'nonce').u64(value.timeMs)
    writeText(writer, value.merchantName, MERCHANT_NAME_BYTES_MAX, 'merchantName')
  },
  readBody(reader) {
    return {
      gatewayEui: readEui(reader, 'gatewayEui'),
      amountMinor: readPositiveAmount(reader, 'amountMinor'),
      currency: readCurrency(reader),
      nonce: reader.fixed(NONCE_BYTES, 'nonce'),
      timeMs: reader.u64('timeMs'),
      merchantName: readText(reader, MERCHANT_NAME_BYTES_MAX, 'merchantName'),
    }
  },
})
