// The topic → handler table of the terminal's sync, as aedes keeps one handler a packet type: each
// topic the gateway listens to has its handler, and a topic that carries two kinds of message
// hands each to its own by the payload's type byte.

import { MessageType } from '../../../protocol/codec'
import { errorText } from '../../../protocol/errors'
import type { GatewayTopics } from '../../../protocol/topics'
import { onAck } from './ack'
import type { Handler, SyncContext } from './context'
import { onOnlineAuthorizationResponse } from './online-authorization-response'
import { onOnlineVoidResponse } from './online-void-response'
import { onProofBundle } from './proof-bundle'
import { onRefundResponse } from './refund-response'
import { onRevocationDelta } from './revocation-delta'
import { onRevocationList } from './revocation-list'
import { onRiskConfig } from './risk-config'
import { onUpdateKey } from './update-key'

export type { Handler, SyncContext } from './context'

/** The topics the gateway listens to: its provisioned ones and those every hub derives from its EUI. */
export interface InboundTopics extends Pick<GatewayTopics, 'acks' | 'config' | 'onlineResponse' | 'revocations'> {
  readonly proofs: string
  readonly revocationsCatchUp: string
  readonly updateKey: string
}

/** A topic with two kinds of message: `kind` goes to `handler`, anything else to `otherwise`. */
function byType(kind: MessageType, handler: Handler, otherwise: Handler): Handler {
  return (context, payload) => (payload[0] === kind ? handler(context, payload) : otherwise(context, payload))
}

/** Every topic the gateway subscribes to, in the order it subscribes, with its handler. */
export function handlerTable(topics: InboundTopics): ReadonlyMap<string, Handler> {
  const revocations = byType(MessageType.RevocationList, onRevocationList, onRevocationDelta)
  return new Map<string, Handler>([
    [topics.acks, onAck],
    [topics.config, onRiskConfig],
    [topics.onlineResponse, byType(MessageType.RefundResponse, onRefundResponse,
      byType(MessageType.OnlineVoidResponse, onOnlineVoidResponse, onOnlineAuthorizationResponse))],
    [topics.revocations, revocations],
    [topics.proofs, onProofBundle],
    [topics.revocationsCatchUp, revocations],
    [topics.updateKey, onUpdateKey],
  ])
}

/** Hands a message to its topic's handler; a message the store could not take is reported, not thrown. */
export function dispatch(table: ReadonlyMap<string, Handler>, context: SyncContext, topic: string, payload: Uint8Array): void {
  const handler = table.get(topic)
  if (handler === undefined) return
  try {
    handler(context, payload)
  } catch (error) {
    // A message the store could not take stays unapplied; the hub sends acks and lists again.
    context.events.emit('sync-error', { code: 'APPLY_FAILED', message: `${topic}: ${errorText(error)}` })
  }
}
