// Checks the ledger's invariants over one audit snapshot: each currency sums to zero, balances are their postings,
// transfers balance, holds agree with their vouchers, and no account but external is below its recorded debt.

import type { LedgerAudit, LedgerStore } from './store'

type ViolationCode =
  | 'CURRENCY_NOT_ZERO'
  | 'BALANCE_NOT_POSTINGS'
  | 'BELOW_ZERO'
  | 'TRANSFER_UNBALANCED'
  | 'TRANSFER_TOO_FEW_POSTINGS'
  | 'TRANSFER_AMOUNT_MISMATCH'
  | 'TRANSFER_CURRENCY_MISMATCH'
  | 'HOLD_OVER_LIMIT'
  | 'HOLD_REMAINDER_MISMATCH'
  | 'HOLD_EXCESS_MISMATCH'
  | 'HOLD_RELEASED_NOT_EMPTY'
  | 'HOLD_ACCOUNT_MISMATCH'

export interface Violation {
  readonly code: ViolationCode
  readonly message: string
  readonly currency?: string
  readonly accountId?: string
  readonly transferId?: string
  readonly voucherId?: string
}

export interface LedgerVerification {
  readonly ok: boolean
  readonly violations: readonly Violation[]
}

export async function verifyLedger(store: Pick<LedgerStore, 'audit'>): Promise<LedgerVerification> {
  return checkAudit(await store.audit())
}

/** The violations an audit shows; pure, so a test can hand it a doctored audit. */
export function checkAudit(audit: LedgerAudit): LedgerVerification {
  const violations: Violation[] = [
    ...balanceViolations(audit),
    ...audit.transfersMisrecorded.flatMap(transferViolations),
    ...audit.holdsMisrecorded.flatMap(holdViolations),
  ]
  for (const { accountId, balanceMinor, openRemainderMinor } of audit.holdAccountsOffRemainders) {
    violations.push({
      code: 'HOLD_ACCOUNT_MISMATCH', accountId,
      message: `hold account ${accountId} holds ${balanceMinor}, its vouchers have ${openRemainderMinor} left`,
    })
  }
  return { ok: violations.length === 0, violations }
}

/** Currencies that do not sum to zero, balances that are not their postings, accounts below their debt. */
function balanceViolations(audit: LedgerAudit): Violation[] {
  const violations: Violation[] = []
  for (const { currency, balanceSumMinor, postingSumMinor } of audit.currencies) {
    if (balanceSumMinor !== 0n || postingSumMinor !== 0n) {
      violations.push({
        code: 'CURRENCY_NOT_ZERO', currency,
        message: `${currency} balances sum to ${balanceSumMinor} and its postings to ${postingSumMinor}, not zero`,
      })
    }
  }
  for (const { accountId, balanceMinor, postingSumMinor } of audit.accountsOffPostings) {
    violations.push({
      code: 'BALANCE_NOT_POSTINGS', accountId,
      message: `account ${accountId} stores ${balanceMinor}, its postings sum to ${postingSumMinor}`,
    })
  }
  for (const { accountId, kind, balanceMinor, debtMinor } of audit.accountsBelowDebt) {
    violations.push({
      code: 'BELOW_ZERO', accountId,
      message: `${kind} account ${accountId} is at ${balanceMinor}, below its recorded debt of ${-debtMinor}`,
    })
  }
  return violations
}

function transferViolations(transfer: LedgerAudit['transfersMisrecorded'][number]): Violation[] {
  const violations: Violation[] = []
  const { transferId } = transfer
  if (transfer.postingSumMinor !== 0n) {
    violations.push({
      code: 'TRANSFER_UNBALANCED', transferId,
      message: `transfer ${transferId}: postings sum to ${transfer.postingSumMinor}`,
    })
  }
  if (transfer.postingCount < 2) {
    violations.push({
      code: 'TRANSFER_TOO_FEW_POSTINGS', transferId,
      message: `transfer ${transferId} has ${transfer.postingCount} posting(s)`,
    })
  }
  if (transfer.creditSumMinor !== transfer.amountMinor) {
    violations.push({
      code: 'TRANSFER_AMOUNT_MISMATCH', transferId,
      message: `transfer ${transferId} records ${transfer.amountMinor}, its postings credit ${transfer.creditSumMinor}`,
    })
  }
  if (transfer.foreignCurrencyPostingCount > 0) {
    violations.push({
      code: 'TRANSFER_CURRENCY_MISMATCH', transferId,
      message: `transfer ${transferId} posts to ${transfer.foreignCurrencyPostingCount} account(s) of another currency`,
    })
  }
  return violations
}

function holdViolations(hold: LedgerAudit['holdsMisrecorded'][number]): Violation[] {
  const violations: Violation[] = []
  const { voucherId } = hold
  const remaining_minor = hold.limitMinor - hold.settledMinor - hold.releasedMinor
  if (remaining_minor < 0n) {
    violations.push({
      code: 'HOLD_OVER_LIMIT', voucherId,
      message: `voucher ${voucherId}: settled ${hold.settledMinor} + released ${hold.releasedMinor} exceed the limit ${hold.limitMinor}`,
    })
  }
  if (remaining_minor !== hold.holdPostingSumMinor) {
    violations.push({
      code: 'HOLD_REMAINDER_MISMATCH', voucherId,
      message: `voucher ${voucherId}: ${remaining_minor} left by its terms, ${hold.holdPostingSumMinor} by its hold postings`,
    })
  }
  if (hold.excessMinor !== hold.excessPostingSumMinor) {
    violations.push({
      code: 'HOLD_EXCESS_MISMATCH', voucherId,
      message: `voucher ${voucherId}: excess ${hold.excessMinor} recorded, ${hold.excessPostingSumMinor} posted`,
    })
  }
  if (hold.status === 'released' && remaining_minor !== 0n) {
    violations.push({
      code: 'HOLD_RELEASED_NOT_EMPTY', voucherId,
      message: `voucher ${voucherId} is released with ${remaining_minor} still held`,
    })
  }
  return violations
}
