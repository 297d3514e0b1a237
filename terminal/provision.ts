// Provisioning: the gateway presents its EUI, the operator's one-time token and its public key to
// the hub's POST /provision, pins the hub key it gets back (and the hub's TLS certificates, when it
// serves TLS), and stores the MQTT settings and the first signed RiskConfig (checked against that
// key) in one transaction.

import { fromBase64, toBase64 } from '../protocol/bytes'
import { ProtocolError } from '../protocol/errors'
import type { Ed25519 } from '../protocol/signature/ed25519'
import { isAcceptablePublicKey } from '../protocol/signature/public-key'
import { GATEWAY_TOPIC_NAMES, type GatewayTopics } from '../protocol/topics'
import type { Clock } from '../protocol/clock'
import { pinnedCertificate, type PinnedCertificate } from '../protocol/tls-pin'
import { TerminalError } from './errors'
import { hubCertificateRefused, pinnedFetch } from './hub-certificate'
import { judgeRiskConfig } from './hub-messages'
import type { TerminalStore } from './store/store'

/** fetch, or a stand-in in tests. */
export type Fetch = (url: string, init: { method: string; headers: Record<string, string>; body: string }) => Promise<{
  status: number
  text(): Promise<string>
}>

export interface ProvisionResult {
  readonly gatewayId: string
  readonly mqttUrl: string
  readonly riskConfigSerial: number
  /** The hub's TLS certificate pinned now; undefined when the hub serves plain HTTP. */
  readonly certificate: PinnedCertificate | undefined
}

export interface ProvisionDependencies {
  /** For a call the system's CAs judge (or plain HTTP); a call to a pinned certificate makes its own connections. */
  fetch: Fetch
  clock: Clock
  ed25519: Ed25519
  /**
   * The hub's certificate to trust for this call (--hub-cert): for a self-signed hub's first
   * provisioning, or once its certificate was replaced. Else the one pinned before, else the system's CAs.
   */
  hubCertificate?: PinnedCertificate
}

export async function provision(store: TerminalStore, hubUrl: string, token: string, deps: ProvisionDependencies): Promise<ProvisionResult> {
  const { eui, publicKey } = store.identity()
  const base = hubUrl.replace(/\/+$/, '')
  const pinnedBefore = store.hubPin()?.certificate
  const trusted = deps.hubCertificate ?? (pinnedBefore === undefined ? undefined : pinnedCertificate(pinnedBefore))
  if (trusted !== undefined && new URL(base).protocol !== 'https:') {
    throw new TerminalError('BAD_ARGUMENT', `the hub's certificate is ${deps.hubCertificate === undefined ? 'pinned' : 'given'}: `
      + `provision over https://, not ${base}`)
  }
  const { status, text } = await postProvision(`${base}/provision`, JSON.stringify({ eui, token, publicKey: toBase64(publicKey) }), deps, trusted)
  let body: unknown
  try {
    body = text === '' ? null : JSON.parse(text)
  } catch {
    throw new TerminalError('PROVISION_BAD_REPLY', `the hub answered ${status} with a body that is not JSON`)
  }
  if (status !== 200) {
    const error = (body as { error?: { code?: string; message?: string } } | null)?.error
    throw new TerminalError('PROVISION_REFUSED', `the hub refused (${status} ${error?.code ?? ''}): ${error?.message ?? text.slice(0, 200)}`)
  }

  const reply = parseReply(body)
  if (reply.eui !== eui) throw new TerminalError('PROVISION_BAD_REPLY', `the hub provisioned ${reply.eui}, not ${eui}`)
  // The call met `trusted`: a hub naming another certificate (or none) is not the one this gateway would pin.
  if (trusted !== undefined && reply.certificate?.fingerprint256 !== trusted.fingerprint256) {
    throw new TerminalError('PROVISION_BAD_REPLY', `the hub answered over the certificate SHA-256 ${trusted.fingerprint256} `
      + `but names ${reply.certificate === undefined ? 'none' : `SHA-256 ${reply.certificate.fingerprint256}`} as its own`)
  }
  const judged = judgeRiskConfig(reply.riskConfig, { hubPublicKey: reply.hubPublicKey, eui, ed25519: deps.ed25519 }, undefined)
  if (!judged.accepted) throw new TerminalError('PROVISION_BAD_REPLY', `the RiskConfig in the reply was refused: ${judged.refusal}`)

  const now_ms = deps.clock.now_ms()
  store.saveProvisioning(
    {
      url: base, gatewayId: reply.gatewayId, publicKey: reply.hubPublicKey, provisionedAtMs: now_ms,
      ...(reply.certificate === undefined ? {} : { certificate: reply.certificate.pem }),
    },
    {
      url: reply.mqtt.url, topics: reply.mqtt.topics, ...(reply.mqtt.certificate === undefined ? {} : { certificate: reply.mqtt.certificate.pem }),
      ...(reply.mqtt.password === undefined ? {} : { password: reply.mqtt.password }),
    },
    judged.value,
    now_ms,
  )
  return { gatewayId: reply.gatewayId, mqttUrl: reply.mqtt.url, riskConfigSerial: judged.value.serial, certificate: reply.certificate }
}

/**
 * POSTs the request and reads the whole answer: through `deps.fetch`, or, to a trusted certificate,
 * through connections that accept that one alone (closed once the answer is read).
 */
async function postProvision(
  url: string, body: string, deps: ProvisionDependencies, trusted: PinnedCertificate | undefined,
): Promise<{ status: number; text: string }> {
  const pinned = trusted === undefined ? undefined : await pinnedFetch(trusted)
  try {
    const response = await (pinned?.fetch ?? deps.fetch)(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body })
    return { status: response.status, text: await response.text() }
  } catch (error) {
    const hub = `the hub at ${new URL(url).origin}`
    throw hubCertificateRefused(error, hub, trusted)
      ?? new TerminalError('PROVISION_REFUSED', `${hub} could not be reached: ${describe(error)}`, { cause: error })
  } finally {
    await pinned?.close()
  }
}

/** fetch's own message ("fetch failed") says nothing: what failed is its cause. */
function describe(error: unknown): string {
  const cause = error instanceof Error && error.cause instanceof Error ? `: ${error.cause.message}` : ''
  return `${(error as Error).message}${cause}`
}

interface ProvisionReply {
  gatewayId: string
  eui: string
  hubPublicKey: Uint8Array
  /** The hub's TLS certificate, when it serves TLS. */
  certificate: PinnedCertificate | undefined
  mqtt: { url: string; topics: GatewayTopics; certificate: PinnedCertificate | undefined; password: string | undefined }
  riskConfig: Uint8Array
}

/** How the gateway logs in to the broker: a fresh signed password per connection (the hub's own), or the one given. */
const PASSWORD_SCHEMES = ['ed25519-signature-v1', 'broker-password-v1'] as const

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
  const certificate = (value: unknown, field: string): PinnedCertificate | undefined => {
    if (value === undefined) return undefined
    try {
      return pinnedCertificate(string(value, field))
    } catch (error) {
      if (error instanceof ProtocolError) return bad(field)
      throw error
    }
  }
  const url = string(mqtt.url, 'mqtt.url')
  let protocol: string
  try {
    protocol = new URL(url).protocol
  } catch {
    return bad('mqtt.url')
  }
  // An older hub names no scheme: it had only its own broker's.
  const scheme = mqtt.passwordScheme ?? 'ed25519-signature-v1'
  if (!(PASSWORD_SCHEMES as readonly unknown[]).includes(scheme)) bad('mqtt.passwordScheme')
  const password = scheme === 'broker-password-v1' ? string(mqtt.password, 'mqtt.password') : undefined
  if (password !== undefined && password.length > 200) bad('mqtt.password')
  const brokerCertificate = certificate(mqtt.certificate, 'mqtt.certificate')
  // A certificate to pin for a broker reached without TLS would protect nothing: the reply is wrong.
  if (brokerCertificate !== undefined && protocol !== 'mqtts:') bad('mqtt.url (a certificate needs mqtts://)')
  return {
    gatewayId: string(reply.gatewayId, 'gatewayId'),
    eui: string(reply.eui, 'eui'),
    hubPublicKey,
    certificate: certificate(reply.certificate, 'certificate'),
    mqtt: { url, topics, certificate: brokerCertificate, password },
    riskConfig: base64(reply.riskConfig, 'riskConfig'),
  }
}
