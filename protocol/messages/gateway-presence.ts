// GatewayPresence: a gateway says whether its MQTT connection is open, on its own `status` topic
// (`payall/v1/gw/{eui}/status`), retained, so a hub behind an external broker knows who is online. Once
// connected it publishes `online: true`; the same CONNECT set the MQTT last will, `online: false` for the same
// connection, retained too, which the broker publishes when the connection drops. Signed by the gateway, as
// everything it says is: a broker that lets others publish there cannot forge a gateway's presence.
//
// Layout after the two header bytes: the gateway's EUI (8 bytes), online (1 byte: 1 or 0), connectedAtMs (8
// bytes, the gateway's clock when it made this connection), then the Ed25519 signature (64 bytes): 83 bytes.
// connectedAtMs orders the messages of one gateway: the hub ignores a message for an older connection than
// the last one it heard of (a replay, or a will that arrived late), and an `online` after the `offline` of
// the same connection.

import { MessageType } from '../codec'
import { ProtocolError } from '../errors'
import { defineSignedMessage } from './define'
import { EUI_BYTES, readEui, writeEui } from './fields'

export interface GatewayPresence {
  gatewayEui: string
  online: boolean
  /** Unix milliseconds on the gateway's clock when it opened the connection this message speaks for. */
  connectedAtMs: number
}

export const gatewayPresenceCodec = defineSignedMessage<GatewayPresence>({
  type: MessageType.GatewayPresence,
  name: 'GatewayPresence',
  body_bytes_max: EUI_BYTES + 1 + 8,
  writeBody(writer, value) {
    if (typeof value.online !== 'boolean') throw new ProtocolError('BAD_VALUE', 'online must be true or false')
    writeEui(writer, value.gatewayEui)
    writer.u8(value.online ? 1 : 0).u64(value.connectedAtMs)
  },
  readBody(reader) {
    const gatewayEui = readEui(reader, 'gatewayEui')
    const online = reader.u8('online')
    if (online > 1) throw new ProtocolError('BAD_VALUE', `online is 0 or 1, got ${online}`)
    return { gatewayEui, online: online === 1, connectedAtMs: reader.u64('connectedAtMs') }
  },
})
