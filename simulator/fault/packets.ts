// What a packet is, as the fault simulation keys its decisions: a name that is the same in every
// run of a seed (the records' numbers, the ack's head, the gateway's n-th online request, the
// revocation serial), never the bytes (signatures, times and hub-drawn ids differ from run to run)
// nor the packet's place in its stream (a message the session sends again after a reconnect would
// shift every packet after it, by the OS's timing).

import { toHex } from '../../protocol/bytes'
import { MessageType } from '../../protocol/codec'
import { ackCodec } from '../../protocol/messages/ack'
import { onlineAuthorizationRequestCodec, onlineAuthorizationResponseCodec } from '../../protocol/messages/online-authorization'
import { recordBatchCodec } from '../../protocol/messages/record-batch'
import { revocationDeltaCodec } from '../../protocol/messages/revocation-delta'
import { revocationListCodec } from '../../protocol/messages/revocation-list'
import type { PacketStream } from './plan'

/** Names one gateway's packets; it numbers the gateway's online requests in the order they first appear. */
export class PacketNames {
  /** Online requests by their nonce (the terminal's, drawn from the seed), and by correlation id (drawn anew each run). */
  private readonly requestsByNonce = new Map<string, number>()
  private readonly requestsByCorrelation = new Map<string, number>()

  /** A name for the packet's message, the same in every run of a seed; undefined when it cannot be read. */
  name(stream: PacketStream, payload: Uint8Array): string | undefined {
    try {
      return this.read(stream, payload)
    } catch {
      return undefined
    }
  }

  private read(stream: PacketStream, payload: Uint8Array): string | undefined {
    switch (stream) {
      case 'records': {
        const { records } = recordBatchCodec.decode(payload)
        return `records ${records[0]?.gatewaySeq}..${records[records.length - 1]?.gatewaySeq}`
      }
      case 'acks':
        return `ack up to ${ackCodec.decode(payload).headSeq}`
      case 'online-request': {
        const { correlationId, authorization } = onlineAuthorizationRequestCodec.decode(payload)
        const nonce = toHex(authorization.nonce)
        const number = this.requestsByNonce.get(nonce) ?? this.requestsByNonce.size + 1
        this.requestsByNonce.set(nonce, number)
        this.requestsByCorrelation.set(toHex(correlationId), number)
        return `online request ${number}`
      }
      case 'online-answer': {
        const number = this.requestsByCorrelation.get(toHex(onlineAuthorizationResponseCodec.decode(payload).correlationId))
        return number === undefined ? undefined : `answer to online request ${number}`
      }
      case 'revocations':
        if (payload[0] === MessageType.RevocationList) {
          const list = revocationListCodec.decode(payload)
          return `revocation list ${list.serial} part ${list.part + 1}`
        }
        return `revocation delta ${revocationDeltaCodec.decode(payload).serial}`
    }
  }
}
