// Typed errors of the hub's MQTT edge (broker, hub client, gateway passwords): a caller
// switches on `code`, never on the message.

import { CodedError } from '../../protocol/errors'

export type MqttErrorCode =
  /** An option or argument is out of range or of the wrong shape. */
  | 'INVALID_OPTIONS'
  /** A packet announced more bytes than the broker accepts; the connection was dropped. */
  | 'PACKET_TOO_LARGE'
  /** The fixed header's remaining length is not a valid MQTT variable byte integer. */
  | 'MALFORMED_PACKET'
  /** The broker refused a CONNECT (bad credentials, unknown gateway, wrong client id, overloaded). */
  | 'CONNECT_REFUSED'
  /** The broker's ACL refused a PUBLISH; MQTT 3.1.1 lets it only close the connection. */
  | 'PUBLISH_REFUSED'
  /** The broker granted no QoS (0x80) for a subscription. */
  | 'SUBSCRIBE_REFUSED'
  /** Too many publishes are waiting for the broker's acknowledgement. */
  | 'PUBLISH_QUEUE_FULL'
  /** The hub client was closed. */
  | 'CLIENT_CLOSED'
  /** No CONNACK arrived within the connect timeout. */
  | 'CONNECT_TIMEOUT'
  /** The caller gave up the connection before its first CONNACK (the hub is stopping). */
  | 'CONNECT_ABORTED'
  /** The broker's dynamic security plugin refused a command, or did not answer it in time. */
  | 'DYNSEC_FAILED'
  /** A gateway password's nonce could not be stored: the database failed, so the password is refused. */
  | 'NONCE_NOT_STORED'

export class MqttError extends CodedError<MqttErrorCode> {
  override readonly name = 'MqttError'
}

export function isMqttError(value: unknown, code?: MqttErrorCode): value is MqttError {
  return value instanceof MqttError && (code === undefined || value.code === code)
}

/** INVALID_OPTIONS unless `value` is a whole number above zero: the one check of every count and duration option here. */
export function requirePositiveInteger(value: number, name: string): void {
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new MqttError('INVALID_OPTIONS', `${name} must be a positive integer, got ${value}`)
  }
}
