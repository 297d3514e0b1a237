// The audit log on the wire: what an operator may do (a list the reply schema names too) and an entry of the log, apart from the store's
// SQLite code, so the web dashboard imports them (a label missing for an action is a compile error there).

/**
 * What an operator did; the target is a user, an order, a KYC document, a gateway, a double-spend flag, a fee
 * schedule or the wallet cash went into or out of.
 */
export const AUDIT_ACTIONS = [
  'user.suspend',
  'user.reactivate',
  'user.verify_email',
  'operator.grant',
  'operator.revoke',
  'order.validate',
  'order.reopen',
  'order.reject',
  'kyc.approve',
  'kyc.reject',
  'gateway.create',
  'gateway.update',
  'gateway.delete',
  'gateway.retire',
  'gateway.assign',
  'gateway.provisioning_token',
  'gateway.risk_change',
  'gateway.chain_write_off',
  'flag.resolve',
  'fee_schedule.add',
  'ledger.cash_in',
  'ledger.cash_out',
  'bulk.gateways',
  'bulk.customers',
] as const

export type AuditAction = (typeof AUDIT_ACTIONS)[number]

export interface AuditEntry {
  readonly id: number
  readonly atMs: number
  readonly actorId: string
  readonly actorName: string
  readonly action: AuditAction
  readonly targetId: string
  readonly targetName: string
  readonly detail: string | null
}

export interface AuditPageReply {
  entries: AuditEntry[]
  /** The `before` of the following page, null on the last one. */
  next: string | null
}
