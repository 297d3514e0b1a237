// Who is connecting: the broker's CONNECT check. A gateway proves its EUI with a fresh signed
// password (gateway-password.ts); the hub's own client uses fixed credentials; nobody else gets in.

import { createHash, timingSafeEqual } from 'node:crypto'
import { isEui, parseEui } from '../../protocol/eui'
import { MqttError } from './errors'
import type { GatewayPasswordRefusal, GatewayPasswordVerifier } from './gateway-password'

export type BrokerIdentity = { readonly kind: 'hub' } | { readonly kind: 'gateway'; readonly eui: string }

/** The CONNACK return codes (MQTT 3.1.1 §3.2.2.3) a refusal uses. */
const CONNACK_IDENTIFIER_REJECTED = 2
export const CONNACK_SERVER_UNAVAILABLE = 3
const CONNACK_BAD_USERNAME_OR_PASSWORD = 4
export type ConnackRefusalCode =
  | typeof CONNACK_IDENTIFIER_REJECTED
  | typeof CONNACK_SERVER_UNAVAILABLE
  | typeof CONNACK_BAD_USERNAME_OR_PASSWORD

export type ConnectRefusalReason =
  | 'NO_CREDENTIALS'
  /** Neither a canonical EUI nor the hub's username. */
  | 'UNKNOWN_USERNAME'
  | 'UNKNOWN_GATEWAY'
  /** A gateway's client id must be its EUI, so it can hold (and take over) only its own session. */
  | 'CLIENT_ID_NOT_EUI'
  /** The hub may not use an EUI as client id: a gateway connecting with it would take the hub's session over. */
  | 'HUB_CLIENT_ID_IS_EUI'
  | 'BAD_HUB_PASSWORD'
  | GatewayPasswordRefusal

type ConnectDecision =
  | { readonly ok: true; readonly identity: BrokerIdentity }
  | { readonly ok: false; readonly reason: ConnectRefusalReason; readonly returnCode: ConnackRefusalCode }

export interface HubCredentials {
  username: string
  password: string
}

interface ConnectAttempt {
  clientId: string
  username: string | undefined
  password: Uint8Array | undefined
}

export interface ConnectAuthenticatorOptions {
  /** The public key of a provisioned gateway, undefined for any other EUI. */
  lookupGatewayKey(eui: string): Promise<Uint8Array | undefined>
  verifier: GatewayPasswordVerifier
  hubCredentials: HubCredentials
}

/** Rejects for a fault of the hub's (the database, NONCE_NOT_STORED), never for what the client sent. */
export type ConnectAuthenticator = (attempt: ConnectAttempt) => Promise<ConnectDecision>

export function createConnectAuthenticator(options: ConnectAuthenticatorOptions): ConnectAuthenticator {
  const { lookupGatewayKey, verifier, hubCredentials } = options
  requireHubCredentials(hubCredentials)
  const hubUsernameDigest = digest(Buffer.from(hubCredentials.username, 'utf8'))
  const hubPasswordDigest = digest(Buffer.from(hubCredentials.password, 'utf8'))

  return async function authenticate({ clientId, username, password }: ConnectAttempt): Promise<ConnectDecision> {
    if (username === undefined || password === undefined) return refuse('NO_CREDENTIALS', CONNACK_BAD_USERNAME_OR_PASSWORD)

    if (isEui(username)) {
      if (clientId !== username) return refuse('CLIENT_ID_NOT_EUI', CONNACK_IDENTIFIER_REJECTED)
      const publicKey = await lookupGatewayKey(username)
      if (publicKey === undefined) return refuse('UNKNOWN_GATEWAY', CONNACK_BAD_USERNAME_OR_PASSWORD)
      const verdict = await verifier.verify(username, Buffer.from(password).toString('utf8'), publicKey)
      if (!verdict.ok) {
        const returnCode = verdict.reason === 'OVERLOADED' ? CONNACK_SERVER_UNAVAILABLE : CONNACK_BAD_USERNAME_OR_PASSWORD
        return refuse(verdict.reason, returnCode)
      }
      return { ok: true, identity: { kind: 'gateway', eui: username } }
    }

    // Digests have equal lengths, so timingSafeEqual leaks neither content nor length.
    if (!timingSafeEqual(digest(Buffer.from(username, 'utf8')), hubUsernameDigest)) {
      return refuse('UNKNOWN_USERNAME', CONNACK_BAD_USERNAME_OR_PASSWORD)
    }
    if (!timingSafeEqual(digest(password), hubPasswordDigest)) return refuse('BAD_HUB_PASSWORD', CONNACK_BAD_USERNAME_OR_PASSWORD)
    if (looksLikeEui(clientId)) return refuse('HUB_CLIENT_ID_IS_EUI', CONNACK_IDENTIFIER_REJECTED)
    return { ok: true, identity: { kind: 'hub' } }
  }
}

function refuse(reason: ConnectRefusalReason, returnCode: ConnackRefusalCode): ConnectDecision {
  return { ok: false, reason, returnCode }
}

function requireHubCredentials(credentials: HubCredentials): void {
  const { username, password } = credentials ?? {}
  if (typeof username !== 'string' || username.length === 0 || typeof password !== 'string' || password.length === 0) {
    throw new MqttError('INVALID_OPTIONS', 'hub credentials need a non-empty username and password')
  }
  if (looksLikeEui(username)) {
    throw new MqttError('INVALID_OPTIONS', `the hub's username may not be an EUI: ${JSON.stringify(username)}`)
  }
}

function looksLikeEui(text: string): boolean {
  try {
    parseEui(text)
    return true
  } catch {
    return false
  }
}

function digest(bytes: Uint8Array): Buffer {
  return createHash('sha256').update(bytes).digest()
}
