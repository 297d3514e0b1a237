// The overdraft rule and the new balances of a transfer's accounts, decided before anything is written. Pure.
// Only the external account may go below zero, except through an `excess` posting (recorded customer debt).

import { LedgerError } from './errors'
import type { Account, AccountKind, PostingInput, PostingRole } from './model'

export type AccountState = Pick<Account, 'id' | 'kind' | 'currency' | 'balanceMinor'>

export type BalancePlan =
  | { readonly ok: true; readonly balancesMinor: ReadonlyMap<string, number> }
  | { readonly ok: false; readonly error: LedgerError }

export interface BalancePlanOptions {
  /** Hold accounts move only through the hold operations, which keep voucher_holds in step. */
  readonly holdAccountsAllowed: boolean
}

// Which account kinds each role may post to.
const ROLE_ACCOUNT_KINDS: Readonly<Record<PostingRole, readonly AccountKind[]>> = {
  payer: ['wallet', 'external', 'platform'],
  payee: ['wallet', 'external', 'platform'],
  hold: ['hold'],
  excess: ['wallet'],
  merchant: ['wallet'],
  owner_share: ['wallet'],
  platform_share: ['platform'],
}

/**
 * The balance each touched account will have once the postings apply, or why they must not.
 * For an account other than external, its ordinary postings may not take it below zero; an account already in
 * debt may be credited but not debited. `excess` postings are exempt: they are the recorded debt.
 */
export function planBalances(
  currency: string,
  postings: readonly PostingInput[],
  accounts: ReadonlyMap<string, AccountState>,
  options: BalancePlanOptions,
): BalancePlan {
  const ordinaryDeltaMinor = new Map<string, bigint>()
  const debtDeltaMinor = new Map<string, bigint>()
  for (const posting of postings) {
    const account = accounts.get(posting.accountId)
    if (account === undefined) return refuse('UNKNOWN_ACCOUNT', `no account ${posting.accountId}`)
    if (account.currency !== currency) {
      return refuse('CURRENCY_MISMATCH', `account ${account.id} is in ${account.currency}, the transfer in ${currency}`)
    }
    if (!ROLE_ACCOUNT_KINDS[posting.role].includes(account.kind)) {
      return refuse('WRONG_ACCOUNT_KIND', `a ${posting.role} posting cannot go to ${account.kind} account ${account.id}`)
    }
    if (account.kind === 'hold' && !options.holdAccountsAllowed) {
      return refuse('WRONG_ACCOUNT_KIND', `hold account ${account.id} moves only through hold operations`)
    }
    const deltas = posting.role === 'excess' ? debtDeltaMinor : ordinaryDeltaMinor
    deltas.set(account.id, (deltas.get(account.id) ?? 0n) + BigInt(posting.amountMinor))
  }

  const balancesMinor = new Map<string, number>()
  for (const [accountId, account] of accounts) {
    if (!ordinaryDeltaMinor.has(accountId) && !debtDeltaMinor.has(accountId)) continue
    const ordinary_minor = ordinaryDeltaMinor.get(accountId) ?? 0n
    const afterOrdinary_minor = BigInt(account.balanceMinor) + ordinary_minor
    const after_minor = afterOrdinary_minor + (debtDeltaMinor.get(accountId) ?? 0n)
    if (account.kind !== 'external' && ordinary_minor < 0n && afterOrdinary_minor < 0n) {
      return refuse('INSUFFICIENT_FUNDS',
        `account ${accountId} holds ${account.balanceMinor}, the transfer debits ${-ordinary_minor}`)
    }
    if (after_minor > BigInt(Number.MAX_SAFE_INTEGER) || after_minor < -BigInt(Number.MAX_SAFE_INTEGER)) {
      return refuse('BALANCE_OVERFLOW', `account ${accountId} would leave the range of exact amounts`)
    }
    balancesMinor.set(accountId, Number(after_minor))
  }
  return { ok: true, balancesMinor }
}

function refuse(code: LedgerError['code'], message: string): BalancePlan {
  return { ok: false, error: new LedgerError(code, message) }
}
