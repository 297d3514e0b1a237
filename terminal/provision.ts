// Provisioning: the gateway presents its EUI, the operator's one-time token and its public key to
// the hub's POST /provision, pins the hub key it gets back, and stores the MQTT settings and the
// first signed RiskConfig (checked against that key) in one transaction.

import { fromBase64, toBase64 } from '../protocol/bytes'
import { ProtocolError } from '../protocol/errors'
import type { Ed25519 } from '../protocol/signature/ed25519'
import { isAcceptablePublicKey } from '../protocol/signature/public-key'
import { GATEWAY_TOPIC_NAMES, type GatewayTopics } from '../protocol/topics'
import type { Clock } from '../protocol/clock'
import { TerminalError } from './errors'
import { judgeRiskConfig } from './hub-messages'
import type { MqttSettings, TerminalStore } from './store/store'

/** fetch, or a stand-in in tests. */
export type Fetch = (url: string, init: { method: string; headers: Record<string, string>; body: string }) => Promise<{
  status: number
  text(): Promise<string>
}>

export interface ProvisionResult {
  readonly gatewayId: string
  readonly mqttUrl: string
  readonly riskConfigSerial: number
}

export async function provision(
  store: TerminalStore, hubUrl: string, token: string,
  deps: { fetch: Fetch; clock: Clock; ed25519: Ed25519 },
): Promise<ProvisionResult> {
  const { eui, publicKey } = store.identity()
  const base = hubUrl.replace(/\/+$/, '')
  let response: { status: number; text(): Promise<string> }
  try {
    response = await deps.fetch(`${base}/provision`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ eui, token, publicKey: toBase64(publicKey) }),
    })
  } catch (error) {
    throw new TerminalError('PROVISION_REFUSED', `the hub at ${base} could not be reached: ${(error as Error).message}`, { cause: error })
  }
  const text = await response.text()
  let body: unknown
  try {
    body = text === '' ? null : JSON.parse(text)
  } catch {
    throw new TerminalError('PROVISION_BAD_REPLY', `the hub answered ${response.status} with a body that is not JSON`)
  }
  if (response.status !== 200) {
    const error = (body as { error?: { code?: string; message?: string } } | null)?.error
    throw new TerminalError('PROVISION_REFUSED', `the hub refused (${response.status} ${error?.code ?? ''}): ${error?.message ?? text.slice(0, 200)}`)
  }

  const reply = parseReply(body)
  if (reply.eui !== eui) throw new TerminalError('PROVISION_BAD_REPLY', `the hub provisioned ${reply.eui}, not ${eui}`)
  const judged = judgeRiskConfig(reply.riskConfig, { hubPublicKey: reply.hubPublicKey, eui, ed25519: deps.ed25519 }, undefined)
  if (!judged.accepted) throw new TerminalError('PROVISION_BAD_REPLY', `the RiskConfig in the reply was refused: ${judged.refusal}`)

  const now_ms = deps.clock.now_ms()
  store.saveProvisioning(
    { url: base, gatewayId: reply.gatewayId, publicKey: reply.hubPublicKey, provisionedAtMs: now_ms },
    reply.mqtt,
    judged.value,
    now_ms,
  )
  return { gatewayId: reply.gatewayId, mqttUrl: reply.mqtt.url, riskConfigSerial: judged.value.serial }
}

interface ProvisionReply {
  gatewayId: string
  eui: string
  hubPublicKey: Uint8Array
  mqtt: MqttSettings
  riskConfig: Uint8Array
}

function parseReply(body: unknown): ProvisionReply {
  const bad = (field: string): never => {
    throw new TerminalError('PROVISION_BAD_REPLY', `the hub's reply has no valid ${field}`)
  }
  const object = (value: unknown): Record<string, unknown> | undefined =>
    typeof value === 'object' && value !== null && !Array.isArray(value) ? value as Record<string, unknown> : undefined
  const string = (value: unknown, field: string): string => (typeof value === 'string' && value.length > 0 ? value : bad(field))
  const base64 = (value: unknown, field: string): Uint8Array => {
    try {
      return fromBase64(string(value, field))
    } catch (error) {
      if (error instanceof ProtocolError) return bad(field)
      throw error
    }
  }
  const reply = object(body) ?? bad('body')
  const mqtt = object(reply.mqtt) ?? bad('mqtt')
  const topicsIn = object(mqtt.topics) ?? bad('mqtt.topics')
  const topics = Object.fromEntries(GATEWAY_TOPIC_NAMES.map(name => [name, string(topicsIn[name], `mqtt.topics.${name}`)])) as unknown as GatewayTopics
  const hubPublicKey = base64(reply.hubPublicKey, 'hubPublicKey')
  // Pinned for good: a small-order key would make anyone's signature pass as the hub's.
  if (!isAcceptablePublicKey(hubPublicKey)) bad('hubPublicKey')
  const url = string(mqtt.url, 'mqtt.url')
  try {
    new URL(url)
  } catch {
    bad('mqtt.url')
  }
  return {
    gatewayId: string(reply.gatewayId, 'gatewayId'),
    eui: string(reply.eui, 'eui'),
    hubPublicKey,
    mqtt: { url, topics },
    riskConfig: base64(reply.riskConfig, 'riskConfig'),
  }
}
