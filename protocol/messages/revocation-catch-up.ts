// RevocationCatchUpRequest: a gateway that missed revocation deltas says which serial it holds, on
// its own `revocations/request` topic; the hub answers on the gateway's `revocations/catch-up` topic
// with the deltas since then, or with the whole list (revocation-list.ts) when those are no longer
// kept. Unsigned, like ProofRequest: the broker knows which gateway published it, and the answer
// is signed and only ever adds what the hub revoked.

import { MessageType } from '../codec'
import { defineMessage } from './define'
import { EUI_BYTES, readEui, writeEui } from './fields'

export interface RevocationCatchUpRequest {
  gatewayEui: string
  /** The serial whose list the gateway holds whole (0: none yet). */
  serial: number
}

export const revocationCatchUpRequestCodec = defineMessage<RevocationCatchUpRequest>({
  type: MessageType.RevocationCatchUpRequest,
  name: 'RevocationCatchUpRequest',
  body_bytes_max: EUI_BYTES + 4,
  writeBody(writer, value) {
    writeEui(writer, value.gatewayEui)
    writer.u32(value.serial)
  },
  readBody(reader) {
    return { gatewayEui: readEui(reader, 'gatewayEui'), serial: reader.u32('serial') }
  },
})
