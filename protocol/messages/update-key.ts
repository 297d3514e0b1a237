// UpdateKey: the hub-signed public key that update bundles must be signed with (issue 20), retained
// on UPDATE_KEY_TOPIC for every gateway. The hub's own key never signs code: a gateway runs a bundle
// only when the update key, which the hub vouches for, signed its manifest.

import { MessageType } from '../codec'
import { defineSignedMessage, type Signed } from './define'
import { PUBLIC_KEY_BYTES } from './fields'

export interface UpdateKeyBody {
  /** Higher serials replace lower ones: a new update key is a new serial. */
  serial: number
  issuedAtMs: number
  publicKey: Uint8Array
}
export type UpdateKey = Signed<UpdateKeyBody>

export const updateKeyCodec = defineSignedMessage<UpdateKeyBody>({
  type: MessageType.UpdateKey,
  name: 'UpdateKey',
  body_bytes_max: 4 + 8 + PUBLIC_KEY_BYTES,
  writeBody(writer, value) {
    writer.u32(value.serial).u64(value.issuedAtMs).fixed(value.publicKey, PUBLIC_KEY_BYTES, 'publicKey')
  },
  readBody(reader) {
    return { serial: reader.u32('serial'), issuedAtMs: reader.u64('issuedAtMs'), publicKey: reader.fixed(PUBLIC_KEY_BYTES, 'publicKey') }
  },
})
