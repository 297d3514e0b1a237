// Typed errors of the terminal runtime: a caller (the CLI, an app, a test) switches on `code`,
// never on the message text. Payment declines are not errors: they are Reason codes (risk.ts).

import { CodedError } from '../protocol/errors'

export type TerminalErrorCode =
  // store
  | 'NOT_INITIALIZED'
  | 'ALREADY_INITIALIZED'
  | 'NOT_PROVISIONED'
  | 'KEY_FILE_EXPOSED'
  | 'KEY_FILE_CORRUPT'
  | 'KEY_MISMATCH'
  | 'SCHEMA_TOO_NEW'
  | 'PRAGMA_REFUSED'
  | 'CHAIN_POSITION'
  | 'NONCE_NOT_OPEN'
  // provisioning
  | 'PROVISION_REFUSED'
  | 'PROVISION_BAD_REPLY'
  | 'HUB_KEY_CHANGED'
  /** The hub (or its broker) presented a TLS certificate other than the one pinned, or one this gateway does not trust. */
  | 'HUB_CERT_REFUSED'
  // sync
  | 'LINK_DOWN'
  | 'ACK_TIMEOUT'
  | 'PUBLISH_FAILED'
  | 'SYNC_STOPPED'
  /** A sync round ended on something other than a TerminalError (the store failing, for one). */
  | 'SYNC_FAILED'
  // payment flow and configuration
  | 'PAYMENT_IN_PROGRESS'
  | 'BAD_CONFIG'
  | 'BAD_ARGUMENT'
  // devices
  | 'DEVICE_MISSING'
  | 'SIMULATOR_MISSING'

export class TerminalError extends CodedError<TerminalErrorCode> {
  override readonly name = 'TerminalError'
}

