// Typed refusals of the ledger: a caller switches on `code`, never on the message.
// Broken invariants are not refusals: they fail an `assert` and abort the whole transaction.

import { CodedError } from '../../protocol/errors'

export type LedgerErrorCode =
  /** A debit would take an account below zero (and the posting does not allow debt). Nothing was written. */
  | 'INSUFFICIENT_FUNDS'
  /** The transfer id exists with different content. Nothing was written. */
  | 'TRANSFER_CONFLICT'
  /** The account id exists with different fields. */
  | 'ACCOUNT_CONFLICT'
  /** The fee schedule id, or its (gateway type, currency, version), exists with different terms. */
  | 'FEE_SCHEDULE_CONFLICT'
  | 'UNKNOWN_ACCOUNT'
  | 'UNKNOWN_FEE_SCHEDULE'
  /** The account exists but is of a kind this operation may not touch (e.g. a hold outside a hold operation). */
  | 'WRONG_ACCOUNT_KIND'
  | 'CURRENCY_MISMATCH'
  /** Malformed input: bad id, amount, role, size or shape. */
  | 'INVALID_TRANSFER'
  | 'INVALID_ACCOUNT'
  | 'INVALID_FEE_SCHEDULE'
  | 'INVALID_HOLD'
  | 'INVALID_QUERY'
  /** Postings do not sum to zero. */
  | 'UNBALANCED_TRANSFER'
  /** A balance would leave the range of exact integers. */
  | 'BALANCE_OVERFLOW'
  | 'HOLD_NOT_FOUND'
  /** A hold is released only once its voucher's upload deadline has passed. */
  | 'HOLD_NOT_DUE'
  | 'BATCH_TOO_LARGE'

export class LedgerError extends CodedError<LedgerErrorCode> {
  override readonly name = 'LedgerError'
}

export function isLedgerError(value: unknown, code?: LedgerErrorCode): value is LedgerError {
  return value instanceof LedgerError && (code === undefined || value.code === code)
}
