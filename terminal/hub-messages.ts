// What the hub sends a gateway (acks, RiskConfig, revocation deltas and lists, the update key, online answers),
// decoded and judged as pure functions: accepted only when signed by the pinned hub key, addressed
// to this gateway, and (for config and revocations) newer than what the gateway holds.

import { ProtocolError } from '../protocol/errors'
import { ackCodec, type Ack } from '../protocol/messages/ack'
import { revocationDeltaCodec, type RevocationDelta } from '../protocol/messages/revocation-delta'
import { revocationListCodec, type RevocationList } from '../protocol/messages/revocation-list'
import { riskConfigCodec, type RiskConfig } from '../protocol/messages/risk-config'
import { updateKeyCodec, type UpdateKey } from '../protocol/messages/update-key'
import type { Ed25519 } from '../protocol/signature/ed25519'

export type Refusal =
  /** Not a message of the expected type, or not decodable. */
  | 'malformed'
  /** Not signed by the pinned hub key. */
  | 'bad-signature'
  /** Signed, but for another gateway. */
  | 'foreign'
  /** Not newer than what the gateway holds (same or lower serial). */
  | 'stale'

export type Judged<T> = { readonly accepted: true; readonly value: T } | { readonly accepted: false; readonly refusal: Refusal }

export interface Trust {
  readonly hubPublicKey: Uint8Array
  readonly eui: string
  readonly ed25519: Ed25519
}

function decodeOrUndefined<T>(decode: (bytes: Uint8Array) => T, bytes: Uint8Array): T | undefined {
  try {
    return decode(bytes)
  } catch (error) {
    if (error instanceof ProtocolError) return undefined
    throw error
  }
}

const refuse = <T>(refusal: Refusal): Judged<T> => ({ accepted: false, refusal })

export function judgeRiskConfig(bytes: Uint8Array, trust: Trust, currentSerial: number | undefined): Judged<RiskConfig> {
  const config = decodeOrUndefined(b => riskConfigCodec.decode(b), bytes)
  if (config === undefined) return refuse('malformed')
  if (!riskConfigCodec.verify(config, trust.hubPublicKey, trust.ed25519)) return refuse('bad-signature')
  if (config.gatewayEui !== trust.eui) return refuse('foreign')
  if (currentSerial !== undefined && config.serial <= currentSerial) return refuse('stale')
  return { accepted: true, value: config }
}

/** The key update bundles must be signed with, newer than the one held. */
export function judgeUpdateKey(bytes: Uint8Array, trust: Trust, currentSerial: number | undefined): Judged<UpdateKey> {
  const key = decodeOrUndefined(b => updateKeyCodec.decode(b), bytes)
  if (key === undefined) return refuse('malformed')
  if (!updateKeyCodec.verify(key, trust.hubPublicKey, trust.ed25519)) return refuse('bad-signature')
  if (currentSerial !== undefined && key.serial <= currentSerial) return refuse('stale')
  return { accepted: true, value: key }
}

/** A part of the hub's whole list, newer than the serial the gateway holds. */
export function judgeRevocationList(bytes: Uint8Array, trust: Trust, currentSerial: number): Judged<RevocationList> {
  const list = decodeOrUndefined(b => revocationListCodec.decode(b), bytes)
  if (list === undefined) return refuse('malformed')
  if (!revocationListCodec.verify(list, trust.hubPublicKey, trust.ed25519)) return refuse('bad-signature')
  if (list.serial <= currentSerial) return refuse('stale')
  return { accepted: true, value: list }
}

/** A delta newer than the serial the gateway holds; whether it follows that serial is the store's to say. */
export function judgeRevocationDelta(bytes: Uint8Array, trust: Trust, currentSerial: number): Judged<RevocationDelta> {
  const delta = decodeOrUndefined(b => revocationDeltaCodec.decode(b), bytes)
  if (delta === undefined) return refuse('malformed')
  if (!revocationDeltaCodec.verify(delta, trust.hubPublicKey, trust.ed25519)) return refuse('bad-signature')
  if (delta.serial <= currentSerial) return refuse('stale')
  return { accepted: true, value: delta }
}

export function judgeAck(bytes: Uint8Array, trust: Trust): Judged<Ack> {
  const ack = decodeOrUndefined(b => ackCodec.decode(b), bytes)
  if (ack === undefined) return refuse('malformed')
  if (!ackCodec.verify(ack, trust.hubPublicKey, trust.ed25519)) return refuse('bad-signature')
  if (ack.gatewayEui !== trust.eui) return refuse('foreign')
  return { accepted: true, value: ack }
}
