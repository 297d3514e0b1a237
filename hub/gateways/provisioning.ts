// Provisioning: the operator issues a one-time token for an assigned gateway; the gateway presents
// it with its EUI and its new Ed25519 public key, and gets the hub's key, the MQTT settings, its
// signed RiskConfig and, when the hub serves TLS, the certificate to pin. Only the token's SHA-256
// is stored, so a leaked database provisions nothing.
//
// A provisioned gateway may be provisioned again with a fresh token (a re-imaged device): its new
// key replaces the old one, which from then on can neither connect nor sign batches the hub accepts.

import { timingSafeEqual } from 'node:crypto'
import { sha256, toHex } from '../../protocol/bytes'
import { requireAcceptablePublicKey } from '../../protocol/signature/public-key'
import { REVOCATIONS_TOPIC, gatewayTopic, type GatewayTopics } from '../../protocol/topics'
import type { HubConfig } from '../config'
import type { HubContext } from '../context'
import { HttpError } from '../http/errors'
import type { SqlQuery } from '../store/sql'
import { currentRiskLimits, publishRiskConfig, signRiskConfig } from './config'
import { nextRiskConfigBody } from './risk'
import type { Gateway, GatewayStore, ProvisioningTokenHash } from './store'

export const PROVISIONING_TOKEN_LIFETIME_MS = 24 * 60 * 60 * 1000
const PROVISIONING_TOKEN_BYTES = 32
/**
 * Before the random part, so a token never starts with '-' (base64url's alphabet has it): a command
 * line would take such a token for an option (`payall-terminal provision --token -x…` is refused).
 */
const PROVISIONING_TOKEN_PREFIX = 'pt_'

/**
 * A JSON Web Token, as the login hands out: the header `{"alg"…` base64url-encoded starts with eyJ.
 * A provisioning token (pt_…) never looks like one.
 */
const LOGIN_TOKEN_SHAPE = /^eyJ[\w-]*\.[\w-]*\.[\w-]*$/

export interface IssuedProvisioningToken {
  readonly gateway: Gateway
  /** PROVISIONING_TOKEN_PREFIX then base64url, shown once: the hub keeps only its hash. */
  readonly token: string
  readonly expiresAtMs: number
}

export interface ProvisioningRequest {
  /** Canonical. */
  readonly eui: string
  readonly token: string
  readonly publicKey: Uint8Array
}

export interface ProvisionedGateway {
  readonly gateway: Gateway
  /** The signed, encoded RiskConfig, also published retained on the gateway's config topic. */
  readonly riskConfig: Uint8Array
  /** Its password on an external broker whose logins the hub keeps (config.mqttLogins dynsec); else undefined. */
  readonly brokerPassword: string | undefined
}

export type { GatewayTopics } from '../../protocol/topics'

/** A fresh token for an assigned (or provisioned, to re-image) gateway; it replaces any earlier one. `sql`: the transaction it is part of. */
export async function issueProvisioningToken(
  context: HubContext, store: GatewayStore, sql: SqlQuery, gatewayId: string,
): Promise<IssuedProvisioningToken> {
  const gateway = await store.byId(gatewayId, sql)
  if (gateway === undefined) throw new HttpError(404, 'NOT_FOUND', `no gateway ${gatewayId}`)
  if (gateway.status !== 'assigned' && gateway.status !== 'provisioned') {
    throw new HttpError(409, 'CONFLICT', `gateway ${gateway.eui} is ${gateway.status}: only an assigned gateway is provisioned`)
  }
  const token = PROVISIONING_TOKEN_PREFIX + Buffer.from(context.random(PROVISIONING_TOKEN_BYTES)).toString('base64url')
  const expiresAt_ms = context.clock.now_ms() + PROVISIONING_TOKEN_LIFETIME_MS
  if (!(await store.setProvisioningToken(gateway.id, { sha256Hex: tokenSha256Hex(token), expiresAtMs: expiresAt_ms }, sql))) {
    throw new HttpError(409, 'CONFLICT', `gateway ${gateway.eui} changed meanwhile; try again`)
  }
  return { gateway, token, expiresAtMs: expiresAt_ms }
}

/**
 * Checks the token (constant time, single use), stores the gateway's key and its config, and
 * publishes the config. The stored config is kept if it is in the gateway's payment currency;
 * otherwise the currency's defaults are issued with the next serial.
 */
export async function provisionGateway(
  context: HubContext, store: GatewayStore, request: ProvisioningRequest,
): Promise<ProvisionedGateway> {
  // Before the token is spent: a small-order key would let anyone sign as this gateway, with no secret.
  requireAcceptablePublicKey(request.publicKey, 'publicKey')
  const { gateway, stored } = await presentedToken(store, request)
  const now_ms = context.clock.now_ms()
  if (now_ms >= stored.expiresAtMs) {
    throw new HttpError(401, 'TOKEN_EXPIRED', 'the provisioning token has expired; ask the operator for a new one')
  }

  const { limits, issued } = await currentRiskLimits(context, gateway)
  let riskConfig: Uint8Array
  let riskConfigSerial: number
  if (issued !== null) {
    riskConfig = gateway.riskConfig!
    riskConfigSerial = issued.serial
  } else {
    const body = nextRiskConfigBody(gateway.eui, limits, gateway.riskConfigSerial, now_ms)
    riskConfig = signRiskConfig(context, body)
    riskConfigSerial = body.serial
  }
  // Let in before the token is spent: a broker that cannot be reached leaves the token for another try.
  const brokerPassword = await admitToBroker(context, gateway.eui, request.publicKey)
  const provisioned = await store.provision({
    id: gateway.id,
    tokenSha256Hex: stored.sha256Hex,
    publicKey: request.publicKey,
    riskConfig,
    riskConfigSerial,
    provisionedAtMs: now_ms,
  })
  // Another request used the token while the config was being prepared.
  if (!provisioned) throw tokenUsed(gateway.eui)
  void publishRiskConfig(context, gateway.eui, riskConfig)
  return { gateway: (await store.byId(gateway.id))!, riskConfig, brokerPassword }
}

/**
 * With an external Mosquitto whose logins the hub keeps: the gateway's login made (anew, dropping a device connected
 * with an older key), and its password. 503 BROKER_UNAVAILABLE while the broker cannot be reached.
 */
async function admitToBroker(context: HubContext, eui: string, publicKey: Uint8Array): Promise<string | undefined> {
  if (context.config.mqttLogins !== 'dynsec') return undefined
  const logins = context.broker.logins
  const unavailable = (why: string): HttpError => new HttpError(503, 'BROKER_UNAVAILABLE',
    `the broker's logins cannot be set now (${why}); the token stays valid: try again shortly`)
  if (logins === undefined) throw unavailable('the hub is not connected to the broker yet')
  try {
    await logins.admit({ eui, publicKey })
  } catch (error) {
    context.log.warn({ err: error, eui }, 'a gateway could not be let into the broker')
    throw unavailable((error as Error).message)
  }
  return logins.passwordOf({ eui, publicKey })
}

/**
 * A retired gateway's broker login deleted (with an external Mosquitto whose logins the hub keeps), which drops it;
 * if the broker cannot be reached now, the hub does it when its MQTT side next starts.
 */
export async function shutOutOfBroker(context: HubContext, eui: string): Promise<void> {
  if (context.config.mqttLogins !== 'dynsec') return
  try {
    await context.broker.logins?.shutOut(eui)
  } catch (error) {
    context.log.warn({ err: error, eui }, 'a retired gateway\'s broker login was not deleted; it is when the MQTT side next starts')
  }
}

/**
 * The gateway and the token waiting for it, when the presented token is that one; else an error
 * saying which case it is, so the person at the gateway knows what to fix. Telling them apart gives
 * nothing to a guesser: a token is 32 random bytes, and an EUI is printed on the device.
 */
async function presentedToken(store: GatewayStore, request: ProvisioningRequest): Promise<{ gateway: Gateway; stored: ProvisioningTokenHash }> {
  if (LOGIN_TOKEN_SHAPE.test(request.token)) {
    throw new HttpError(400, 'LOGIN_TOKEN_GIVEN', 'this is a login (access) token; provisioning takes the one-time provisioning token '
      + `the operator issues for the gateway (POST /gateways/{id}/provisioning-token), which starts with ${PROVISIONING_TOKEN_PREFIX}`)
  }
  const gateway = await store.byEui(request.eui)
  if (gateway === undefined) {
    throw new HttpError(404, 'UNKNOWN_GATEWAY', `no gateway has the EUI ${request.eui} at this hub: init the terminal with the EUI `
      + 'the operator created the gateway with (payall-terminal init --eui EUI)')
  }
  const stored = await store.provisioningToken(gateway.id)
  if (stored === undefined) {
    if (gateway.status === 'provisioned') throw tokenUsed(gateway.eui)
    throw new HttpError(401, 'TOKEN_NOT_ISSUED', `no provisioning token is waiting for gateway ${gateway.eui} (it is ${gateway.status}): `
      + 'the operator issues one once the gateway has an owner')
  }
  if (!timingSafeEqual(sha256(Buffer.from(request.token, 'utf8')), Buffer.from(stored.sha256Hex, 'hex'))) {
    throw new HttpError(401, 'WRONG_TOKEN', `this is not the provisioning token waiting for gateway ${gateway.eui} `
      + '(each token the operator issues replaces the one before)')
  }
  return { gateway, stored }
}

function tokenUsed(eui: string): HttpError {
  return new HttpError(401, 'TOKEN_USED', `gateway ${eui} is provisioned and no token is waiting for it: a provisioning token works once; `
    + 'to provision it again, ask the operator for a new one')
}

/** The topics a gateway uses, named as the provisioning reply gives them. */
export function gatewayTopics(eui: string): GatewayTopics {
  return {
    records: gatewayTopic(eui, 'records'),
    acks: gatewayTopic(eui, 'acks'),
    config: gatewayTopic(eui, 'config'),
    revocations: REVOCATIONS_TOPIC,
    onlineRequest: gatewayTopic(eui, 'online/request'),
    onlineResponse: gatewayTopic(eui, 'online/response'),
  }
}

/**
 * The broker URL a gateway should use: the external broker's (without any credentials in it), or
 * the embedded one's (mqtts:// when the hub serves TLS); an embedded broker on every interface is
 * reached at the host the gateway reached the hub by.
 */
export function gatewayMqttUrl(config: HubConfig, requestHostname: string, boundPort?: number): string {
  if (config.mqttUrl !== undefined) {
    const url = new URL(config.mqttUrl)
    url.username = ''
    url.password = ''
    return url.toString()
  }
  const host = config.mqttHost === '0.0.0.0' || config.mqttHost === '::' ? requestHostname : config.mqttHost
  const scheme = config.tlsCertFile === undefined ? 'mqtt' : 'mqtts'
  return `${scheme}://${host.includes(':') && !host.startsWith('[') ? `[${host}]` : host}:${boundPort ?? config.mqttPort}`
}

function tokenSha256Hex(token: string): string {
  return toHex(sha256(Buffer.from(token, 'utf8')))
}
