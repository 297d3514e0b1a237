// MQTT topics between gateways and the hub: one versioned tree per gateway plus the global
// revocations topic, a strict parser, and the broker ACL that keeps each gateway under its own EUI.

import { isEui, parseEui } from './eui'
import { ProtocolError, isProtocolError } from './errors'

export const TOPIC_PREFIX = 'payall/v1'
export const TOPIC_MAX_CHARS = 256

/** Hub → every gateway: each RevocationDelta (QoS 1), the latest one retained. */
export const REVOCATIONS_TOPIC = `${TOPIC_PREFIX}/revocations`

/** Hub → every gateway, retained: the hub-signed UpdateKey, the key update bundles must be signed with. */
export const UPDATE_KEY_TOPIC = `${TOPIC_PREFIX}/update-key`

const GATEWAY_ROOT = `${TOPIC_PREFIX}/gw`

export const GATEWAY_TOPIC_KINDS = [
  'records', // gateway → hub: record batches
  'acks', // hub → gateway
  'config', // hub → gateway, retained: signed RiskConfig
  'online/request', // gateway → hub: real-time authorization (correlation id in the payload)
  'online/response', // hub → gateway
  'commitments', // gateway → hub: LoRa commitment frames relayed
  'proofs', // hub → gateway: Merkle proofs
  'proofs/request', // gateway → hub: the proofs of given transfers, answered on `proofs`
  'status', // gateway → hub, retained: its GatewayPresence (online on connect; offline as its MQTT last will)
  'revocations/request', // gateway → hub: the revocations missed since a serial, answered on `revocations/catch-up`
  'revocations/catch-up', // hub → gateway: the deltas since that serial, or the whole list
] as const

export type GatewayTopicKind = (typeof GATEWAY_TOPIC_KINDS)[number]

export type ParsedTopic =
  | { readonly kind: 'revocations' }
  | { readonly kind: 'update-key' }
  | { readonly kind: GatewayTopicKind; readonly eui: string }

/** What a gateway publishes under its own EUI (and so what the hub subscribes to). */
export const GATEWAY_PUBLISH_KINDS: readonly GatewayTopicKind[] = Object.freeze([
  'records',
  'online/request',
  'commitments',
  'status',
  'proofs/request',
  'revocations/request',
] as const)

/** What a gateway publishes retained: its presence only, which must outlive the connection it speaks of. */
const GATEWAY_RETAINED_KINDS: readonly GatewayTopicKind[] = Object.freeze(['status'] as const)

/** Every retained message under one gateway's tree: the hub's signed config, and the gateway's own presence. */
const RETAINED_UNDER_GATEWAY_KINDS: readonly GatewayTopicKind[] = Object.freeze(['config', 'status'] as const)

/** The topics of one gateway where the broker may hold a retained message. */
export function gatewayRetainedTopics(eui: string): string[] {
  return RETAINED_UNDER_GATEWAY_KINDS.map((kind) => gatewayTopic(eui, kind))
}

/** What the hub publishes to one gateway, besides the global revocations. */
export const GATEWAY_SUBSCRIBE_KINDS: readonly GatewayTopicKind[] = Object.freeze([
  'acks',
  'config',
  'online/response',
  'proofs',
  'revocations/catch-up',
] as const)

/**
 * The topics a gateway is given at provisioning, by name: the hub's provisioning reply carries them
 * and the gateway keeps them in its store. They are topics of this tree (the hub builds them with
 * gatewayTopic() and REVOCATIONS_TOPIC), named for what the gateway does with each.
 */
export interface GatewayTopics {
  readonly records: string
  readonly acks: string
  readonly config: string
  readonly revocations: string
  readonly onlineRequest: string
  readonly onlineResponse: string
}

/** The names of a GatewayTopics, in the order the provisioning reply lists them. */
export const GATEWAY_TOPIC_NAMES: ReadonlyArray<keyof GatewayTopics> = Object.freeze([
  'records', 'acks', 'config', 'revocations', 'onlineRequest', 'onlineResponse',
] as const)

function isGatewayTopicKind(value: unknown): value is GatewayTopicKind {
  return typeof value === 'string' && (GATEWAY_TOPIC_KINDS as readonly string[]).includes(value)
}

/** The topic of one kind for one gateway; the EUI may be in any form parseEui accepts. */
export function gatewayTopic(eui: string, kind: GatewayTopicKind): string {
  const canonical = parseEui(eui)
  if (!isGatewayTopicKind(kind)) throw new ProtocolError('BAD_TOPIC', `unknown topic kind ${JSON.stringify(kind)}`)
  return `${GATEWAY_ROOT}/${canonical}/${kind}`
}

/** Parses a topic name (not a filter): exact prefix, version, canonical EUI and known kind, nothing else. */
export function parseTopic(topic: string): ParsedTopic {
  if (typeof topic !== 'string') throw new ProtocolError('BAD_TOPIC', 'a topic must be a string')
  if (topic.length === 0 || topic.length > TOPIC_MAX_CHARS) {
    throw new ProtocolError('BAD_TOPIC', `a topic is 1..${TOPIC_MAX_CHARS} characters, got ${topic.length}`)
  }
  const quoted = JSON.stringify(topic.slice(0, 80))
  if (/[+#\u0000]/.test(topic)) {
    throw new ProtocolError('BAD_TOPIC', `wildcards and NUL are not allowed in a topic name: ${quoted}`)
  }
  if (topic === REVOCATIONS_TOPIC) return { kind: 'revocations' }
  if (topic === UPDATE_KEY_TOPIC) return { kind: 'update-key' }
  if (!topic.startsWith(`${GATEWAY_ROOT}/`)) {
    throw new ProtocolError('BAD_TOPIC', `not a ${TOPIC_PREFIX} topic: ${quoted}`)
  }
  const rest = topic.slice(GATEWAY_ROOT.length + 1)
  const slash = rest.indexOf('/')
  if (slash < 0) throw new ProtocolError('BAD_TOPIC', `no kind after the gateway EUI: ${quoted}`)
  const eui = rest.slice(0, slash)
  const kind = rest.slice(slash + 1)
  if (!isEui(eui)) throw new ProtocolError('BAD_TOPIC', `not a canonical uppercase EUI-64: ${quoted}`)
  if (!isGatewayTopicKind(kind)) throw new ProtocolError('BAD_TOPIC', `unknown topic kind: ${quoted}`)
  return { kind, eui }
}

/** Broker ACL: a gateway publishes only its own records, online requests, commitments, status, proof and revocation requests. */
export function gatewayMayPublish(eui: string, topic: string): boolean {
  const own = canonicalOrUndefined(eui)
  if (own === undefined) return false
  let parsed: ParsedTopic
  try {
    parsed = parseTopic(topic)
  } catch (error) {
    if (isProtocolError(error)) return false
    throw error
  }
  return 'eui' in parsed && parsed.eui === own && GATEWAY_PUBLISH_KINDS.includes(parsed.kind)
}

/** Broker ACL: of its own topics, a gateway leaves a retained message only on its status (its presence). */
export function gatewayMayRetain(eui: string, topic: string): boolean {
  if (!gatewayMayPublish(eui, topic)) return false
  const parsed = parseTopic(topic)
  return 'eui' in parsed && GATEWAY_RETAINED_KINDS.includes(parsed.kind)
}

/**
 * Broker ACL: a gateway subscribes only to its own acks, config, online responses, proofs and
 * revocation catch-ups, and to the global revocations and update key. Any wildcard matches topics outside that finite allow-list
 * (another EUI, or a kind the gateway must not read), so only these exact filters pass.
 */
export function gatewayMaySubscribe(eui: string, topicFilter: string): boolean {
  if (typeof topicFilter !== 'string') return false
  const own = canonicalOrUndefined(eui)
  if (own === undefined) return false
  return gatewaySubscriptionTopics(own).includes(topicFilter)
}

/** The exact filters a gateway subscribes to: everything the hub sends it. */
export function gatewaySubscriptionTopics(eui: string): string[] {
  return [...GATEWAY_SUBSCRIBE_KINDS.map((kind) => gatewayTopic(eui, kind)), REVOCATIONS_TOPIC, UPDATE_KEY_TOPIC]
}

/** The hub's filter for one kind across all gateways, e.g. `payall/v1/gw/+/records`. */
export function hubTopicFilter(kind: GatewayTopicKind): string {
  if (!isGatewayTopicKind(kind)) throw new ProtocolError('BAD_TOPIC', `unknown topic kind ${JSON.stringify(kind)}`)
  return `${GATEWAY_ROOT}/+/${kind}`
}

/** Everything the hub subscribes to: what gateways publish. */
export const HUB_SUBSCRIPTION_FILTERS: readonly string[] = Object.freeze(GATEWAY_PUBLISH_KINDS.map(hubTopicFilter))

function canonicalOrUndefined(eui: string): string | undefined {
  try {
    return parseEui(eui)
  } catch (error) {
    if (isProtocolError(error)) return undefined
    throw error
  }
}
