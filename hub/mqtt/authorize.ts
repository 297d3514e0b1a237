// What a connected client may publish and subscribe to: the broker ACL. A gateway stays under its
// own EUI (protocol/topics.ts decides which kinds) and publishes retained only its presence (its own
// status topic, and its last will there); the hub may use the whole payall/v1 tree and nothing outside it.

import { TOPIC_PREFIX, gatewayMayPublish, gatewayMayRetain, gatewayMaySubscribe } from '../../protocol/topics'
import type { BrokerIdentity } from './authenticate'

const HUB_TREE = `${TOPIC_PREFIX}/`

export function mayPublish(identity: BrokerIdentity, topic: string, retain: boolean): boolean {
  if (typeof topic !== 'string') return false
  if (identity.kind === 'hub') return topic.startsWith(HUB_TREE)
  // A retained message outlives the connection: a gateway leaves none on the hub's topics but its presence.
  return retain ? gatewayMayRetain(identity.eui, topic) : gatewayMayPublish(identity.eui, topic)
}

/**
 * `$share/...` filters are refused for the hub too: aedes would read them as plain filters that
 * match nothing, and the hub would wait for messages that never come.
 */
export function maySubscribe(identity: BrokerIdentity, filter: string): boolean {
  if (typeof filter !== 'string') return false
  if (identity.kind === 'hub') return filter.startsWith(HUB_TREE)
  return gatewayMaySubscribe(identity.eui, filter)
}
