// Typed errors of a fleet run that could not be carried out (as opposed to an invariant that
// failed, which is a finding of the run, reported in its summary).

import { CodedError } from '../../protocol/errors'

export type FleetErrorCode =
  | 'NOT_PROVISIONED'
  | 'LINK_TIMEOUT'
  | 'SYNC_INCOMPLETE'
  | 'REVOCATION_NOT_DELIVERED'
  | 'NO_OPERATOR_CREDENTIALS'
  | 'HUB_UNREACHABLE'
  | 'PAYMENT_NOT_APPROVED'
  | 'PAYMENT_NOT_SETTLED'
  /** A step only the customer can take, for a customer enrolled in bulk (who has no password yet). */
  | 'NOT_SIGNED_IN'
  /** A customer's revocation of their voucher was refused by the hub for another reason than its being revoked already. */
  | 'REVOKE_FAILED'
  /** Stopped by a signal (Ctrl-C) before the run was over. */
  | 'INTERRUPTED'

export class FleetError extends CodedError<FleetErrorCode> {
  override readonly name = 'FleetError'
}
