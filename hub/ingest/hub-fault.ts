// A fault of the hub while it settles a gateway's payments: not a decision about the payment, so
// never signed into an ack or an online answer. The gateway hears nothing and sends again later;
// the hub logs the fault, counts it by kind, and goes on with the next batch.

import { CodedError, sqliteCodeOf } from '../../protocol/errors'
import { StoreError } from '../store/errors'
import { isLedgerError } from '../ledger/errors'

export const HUB_FAULT_KINDS = ['merchant_account', 'fee_schedule', 'ledger', 'storage', 'internal'] as const
/**
 * merchant_account: the gateway's merchant account is unknown to the ledger. fee_schedule: no fee
 * schedule in force for the payment's gateway type and currency. ledger: any other refusal of the
 * ledger that is not about the customer's money (an unknown account, a conflict, a hold missing for
 * a voucher the hub issued). storage: SQLite failed (busy, full, an I/O error). internal: anything else.
 */
export type HubFaultKind = (typeof HUB_FAULT_KINDS)[number]

export class HubFaultError extends CodedError<'HUB_FAULT'> {
  override readonly name = 'HubFaultError'

  constructor(readonly kind: HubFaultKind, message: string, options?: { cause?: unknown }) {
    super('HUB_FAULT', `${kind}: ${message}`, options)
  }
}

/** The fault a failure of the settle path stands for: itself if it is one already, else classified. */
export function asHubFault(error: unknown): HubFaultError {
  if (error instanceof HubFaultError) return error
  const message = error instanceof Error ? error.message : String(error)
  if (isLedgerError(error)) {
    const kind = error.code === 'UNKNOWN_FEE_SCHEDULE' || error.code === 'FEE_SCHEDULE_CONFLICT' ? 'fee_schedule' : 'ledger'
    return new HubFaultError(kind, `${error.code} ${message}`, { cause: error })
  }
  if (error instanceof StoreError) return new HubFaultError('storage', `${error.code} ${message}`, { cause: error })
  const sqliteCode = sqliteCodeOf(error)
  if (sqliteCode !== undefined) return new HubFaultError('storage', `${sqliteCode} ${message}`, { cause: error })
  return new HubFaultError('internal', message, { cause: error })
}
