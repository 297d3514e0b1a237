// Authorization: the customer's signature over one payment under a voucher (DESIGN step 3).
// `seq` only grows and `cumulativeMinor` (spent under the voucher, this payment included)
// never exceeds the voucher's limit; two different authorizations with one (voucher, seq)
// are the customer's own signed proof of a double spend.

import { sha256 } from '../bytes'
import { MessageType } from '../codec'
import { ProtocolError } from '../errors'
import { defineSignedMessage, type Signed } from './define'
import {
  EUI_BYTES, ID_BYTES, NONCE_BYTES, readCurrency, readEui, readPositiveAmount, writeCurrency, writeEui,
  writePositiveAmount,
} from './fields'

export interface AuthorizationBody {
  voucherId: Uint8Array
  seq: number
  cumulativeMinor: number
  amountMinor: number
  currency: string
  gatewayEui: string
  nonce: Uint8Array
  timeMs: number
}
export type Authorization = Signed<AuthorizationBody>

export const authorizationCodec = defineSignedMessage<AuthorizationBody>({
  type: MessageType.Authorization,
  name: 'Authorization',
  body_bytes_max: ID_BYTES + 4 + 8 + 8 + 2 + EUI_BYTES + NONCE_BYTES + 8,
  writeBody(writer, value) {
    if (value.cumulativeMinor < value.amountMinor) {
      throw new ProtocolError('OUT_OF_RANGE', 'cumulativeMinor must include this payment\'s amount')
    }
    writer.fixed(value.voucherId, ID_BYTES, 'voucherId').u32(value.seq)
    writePositiveAmount(writer, value.cumulativeMinor)
    writePositiveAmount(writer, value.amountMinor)
    writeCurrency(writer, value.currency)
    writeEui(writer, value.gatewayEui)
    writer.fixed(value.nonce, NONCE_BYTES, 'nonce').u64(value.timeMs)
  },
  readBody(reader) {
    const body: AuthorizationBody = {
      voucherId: reader.fixed(ID_BYTES, 'voucherId'),
      seq: reader.u32('seq'),
      cumulativeMinor: readPositiveAmount(reader, 'cumulativeMinor'),
      amountMinor: readPositiveAmount(reader, 'amountMinor'),
      currency: readCurrency(reader),
      gatewayEui: readEui(reader, 'gatewayEui'),
      nonce: reader.fixed(NONCE_BYTES, 'nonce'),
      timeMs: reader.u64('timeMs'),
    }
    if (body.cumulativeMinor < body.amountMinor) {
      throw new ProtocolError('OUT_OF_RANGE', 'cumulativeMinor is below the payment amount')
    }
    return body
  },
})

/**
 * The transfer id of a payment: SHA-256 of the authorization's canonical unsigned bytes.
 * It names the payment itself (voucher, seq, amounts, gateway, nonce, time), so the same
 * payment carries the same id whichever way it reaches the hub (online answer, batch,
 * re-sent batch) and can be settled only once.
 */
export function transferIdOf(authorization: AuthorizationBody): Uint8Array {
  return sha256(authorizationCodec.encodeUnsigned(authorization))
}
