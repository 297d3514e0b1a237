// Typed errors of the hub's LoRa path: what is wrong with an uplink the network server
// delivered. An uplink refused with one of these changes nothing. (Bad settings are ConfigErrors.)

import { CodedError } from '../../protocol/errors'

export type LoraPathErrorCode =
  /** The MQTT payload is not JSON, or not an object. */
  | 'BAD_JSON'
  /** JSON, but not an uplink of the configured network server (a field missing or of the wrong type). */
  | 'BAD_UPLINK'
  /** The uplink is for another application than the configured one. */
  | 'FOREIGN_APPLICATION'
  /** The DevEUI is not the EUI of a provisioned gateway. */
  | 'UNKNOWN_DEVICE'
  /** Not the configured uplink fPort (0 carries MAC commands only). */
  | 'WRONG_PORT'
  /** The payload is not a CommitmentFrame. */
  | 'BAD_FRAME'
  /** The frame counter is not beyond the last one taken: a duplicate or an old frame. */
  | 'OLD_FRAME_COUNTER'

export class LoraPathError extends CodedError<LoraPathErrorCode> {
  override readonly name = 'LoraPathError'
}
