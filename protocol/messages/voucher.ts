// Voucher: the hub-signed offline allowance a bound phone carries (DESIGN step 1).
// Issuing it places a hold of `limitMinor` on the account, so every offline spend is covered.

import { MessageType } from '../codec'
import { defineSignedMessage, type Signed } from './define'
import {
  ID_BYTES, PUBLIC_KEY_BYTES, readCurrency, readPositiveAmount, writeCurrency, writePositiveAmount,
} from './fields'

export interface VoucherBody {
  voucherId: Uint8Array
  /** The hub's opaque reference of the account the hold sits on. */
  accountRef: Uint8Array
  devicePublicKey: Uint8Array
  currency: string
  limitMinor: number
  issuedAtMs: number
  expiresAtMs: number
}
export type Voucher = Signed<VoucherBody>

export const voucherCodec = defineSignedMessage<VoucherBody>({
  type: MessageType.Voucher,
  name: 'Voucher',
  body_bytes_max: ID_BYTES * 2 + PUBLIC_KEY_BYTES + 2 + 8 * 3,
  writeBody(writer, value) {
    writer
      .fixed(value.voucherId, ID_BYTES, 'voucherId')
      .fixed(value.accountRef, ID_BYTES, 'accountRef')
      .fixed(value.devicePublicKey, PUBLIC_KEY_BYTES, 'devicePublicKey')
    writeCurrency(writer, value.currency)
    writePositiveAmount(writer, value.limitMinor)
    writer.u64(value.issuedAtMs).u64(value.expiresAtMs)
  },
  readBody(reader) {
    return {
      voucherId: reader.fixed(ID_BYTES, 'voucherId'),
      accountRef: reader.fixed(ID_BYTES, 'accountRef'),
      devicePublicKey: reader.fixed(PUBLIC_KEY_BYTES, 'devicePublicKey'),
      currency: readCurrency(reader),
      limitMinor: readPositiveAmount(reader, 'limitMinor'),
      issuedAtMs: reader.u64('issuedAtMs'),
      expiresAtMs: reader.u64('expiresAtMs'),
    }
  },
})
