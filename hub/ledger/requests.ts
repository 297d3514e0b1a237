// What both ledger stores (sqlite-store.ts, pg-store.ts) check and plan alike, before either writes: the shape of a
// request, the balances a transfer leaves, and whether a refusal came before the first write. Pure.

import { assert } from '../../protocol/errors'
import { isEui } from '../../protocol/eui'
import { planBalances, type AccountState } from './balances'
import type { BatchView } from './batch-view'
import { LedgerError, isLedgerError } from './errors'
import type { FeeSchedule } from './fees'
import { isIdentifier, isTransferId, isWalletAccountId } from './ids'
import type { Account, PlaceHoldInput, SettleFromHoldInput, TransferInput } from './model'
import { TRANSFERS_PER_BATCH_MAX } from './transfer'

export function assertBatch(inputs: readonly unknown[]): void {
  if (!Array.isArray(inputs)) throw new LedgerError('INVALID_TRANSFER', 'a batch is an array')
  if (inputs.length > TRANSFERS_PER_BATCH_MAX) {
    throw new LedgerError('BATCH_TOO_LARGE', `a batch holds at most ${TRANSFERS_PER_BATCH_MAX} requests, got ${inputs.length}`)
  }
}

export function statusOf(error: LedgerError): 'conflict' | 'refused' {
  return error.code === 'TRANSFER_CONFLICT' ? 'conflict' : 'refused'
}

export function placeHoldProblem(input: PlaceHoldInput): LedgerError | undefined {
  const invalid = (message: string) => new LedgerError('INVALID_HOLD', message)
  if (typeof input !== 'object' || input === null) return invalid('a hold request must be an object')
  if (!isIdentifier(input.voucherId)) return invalid('a voucher id is an identifier')
  if (!isWalletAccountId(input.walletAccountId)) return invalid('a hold is placed on a wallet')
  if (!Number.isSafeInteger(input.limitMinor) || input.limitMinor <= 0) return invalid('a hold limit is a positive amount')
  if (!Number.isSafeInteger(input.expiresAtMs) || !Number.isSafeInteger(input.uploadDeadlineAtMs)) {
    return invalid('expiry and upload deadline are times in milliseconds')
  }
  if (input.uploadDeadlineAtMs < input.expiresAtMs) return invalid('the upload deadline is not before the expiry')
  return undefined
}

export function decided<T>(writes: () => T): T {
  try {
    return writes()
  } catch (error) {
    assert(!isLedgerError(error), `a request was refused after it began to write: ${String(error)}`)
    throw error
  }
}

export function planTransfer(
  view: BatchView, input: TransferInput, holdAccountsAllowed: boolean, provisional?: AccountState,
): ReadonlyMap<string, number> {
  const accounts = new Map<string, AccountState>()
  for (const posting of input.postings) {
    if (accounts.has(posting.accountId)) continue
    const account = view.account(posting.accountId) ?? (provisional?.id === posting.accountId ? provisional : undefined)
    if (account !== undefined) accounts.set(account.id, account)
  }
  if (input.feeScheduleId !== undefined) {
    const schedule = view.feeSchedule(input.feeScheduleId)
    if (schedule === undefined) throw new LedgerError('UNKNOWN_FEE_SCHEDULE', `no fee schedule ${input.feeScheduleId}`)
    if (schedule.currency !== input.currency) {
      throw new LedgerError('CURRENCY_MISMATCH', `fee schedule ${schedule.id} is for ${schedule.currency}`)
    }
  }
  const plan = planBalances(input.currency, input.postings, accounts, { holdAccountsAllowed })
  if (!plan.ok) throw plan.error
  return plan.balancesMinor
}

export function requireWallet(account: Account | undefined, accountId: string, currency?: string): Account {
  if (account === undefined) throw new LedgerError('UNKNOWN_ACCOUNT', `no account ${String(accountId)}`)
  if (account.kind !== 'wallet') throw new LedgerError('WRONG_ACCOUNT_KIND', `account ${accountId} is not a wallet`)
  if (currency !== undefined && account.currency !== currency) {
    throw new LedgerError('CURRENCY_MISMATCH', `wallet ${accountId} is in ${account.currency}, not ${currency}`)
  }
  return account
}

export function settleFromHoldProblem(input: SettleFromHoldInput): LedgerError | undefined {
  const invalid = (message: string) => new LedgerError('INVALID_TRANSFER', message)
  if (typeof input !== 'object' || input === null) return invalid('a settlement must be an object')
  if (!isTransferId(input.transferId)) return invalid('a transfer id is 32 bytes of lowercase hex')
  if (!isIdentifier(input.voucherId)) return invalid('a voucher id is an identifier')
  if (!Number.isSafeInteger(input.amountMinor) || input.amountMinor <= 0) return invalid('a payment is a positive amount')
  if (!isIdentifier(input.merchantAccountId) || !isIdentifier(input.ownerAccountId)) return invalid('bad wallet id')
  if (!isIdentifier(input.feeScheduleId)) return invalid('bad fee schedule id')
  if (!isEui(input.gatewayEui)) return invalid('a gateway EUI is 16 uppercase hex digits')
  if (input.metadata !== undefined) {
    if (typeof input.metadata !== 'object' || input.metadata === null || Array.isArray(input.metadata)) {
      return invalid('metadata must be a JSON object')
    }
  }
  return undefined
}

export function sameFeeSchedule(a: FeeSchedule, b: FeeSchedule): boolean {
  return a.id === b.id && a.gatewayType === b.gatewayType && a.currency === b.currency && a.version === b.version
    && a.basisPoints === b.basisPoints && a.fixedMinor === b.fixedMinor
    && a.ownerShareBasisPoints === b.ownerShareBasisPoints && a.effectiveFromMs === b.effectiveFromMs
}
