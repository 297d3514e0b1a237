// What one ledger call has read and is about to write: each account, hold and fee schedule read once, and the balances
// and hold totals as the call's earlier requests left them. The store writes the changes once, when the call ends.

import { assert } from '../../protocol/errors'
import type { FeeSchedule } from './fees'
import { holdRemainingMinor, type Account, type AccountKind, type VoucherHold } from './model'
import type { HoldSplit } from './settle'
import { POSTINGS_PER_TRANSFER_MAX, TRANSFERS_PER_BATCH_MAX } from './transfer'

/** A request reads its postings' accounts, and a settlement also its two payee wallets and its currency's two system accounts. */
const BATCH_ACCOUNTS_MAX = TRANSFERS_PER_BATCH_MAX * (POSTINGS_PER_TRANSFER_MAX + 4)
const BATCH_HOLDS_MAX = TRANSFERS_PER_BATCH_MAX
const BATCH_FEE_SCHEDULES_MAX = TRANSFERS_PER_BATCH_MAX

/** The rows as stored when the call began; the view asks once per id. */
export interface LedgerReader {
  account(id: string): Account | undefined
  hold(voucherId: string): VoucherHold | undefined
  feeSchedule(id: string): FeeSchedule | undefined
}

export interface BalanceChange {
  readonly accountId: string
  /** As stored now: read at the start of the call, or 0 for an account the call created. */
  readonly storedMinor: number
  readonly balanceMinor: number
}

export interface HoldChange {
  readonly stored: VoucherHold
  readonly hold: VoucherHold
}

// The schema's floor: only these kinds may hold a negative balance (a wallet only through recorded debt).
const KINDS_BELOW_ZERO: readonly AccountKind[] = ['wallet', 'external']

export class BatchView {
  // null: read, and not there.
  private readonly accounts = new Map<string, Account | null>()
  private readonly holds = new Map<string, VoucherHold | null>()
  private readonly feeSchedules = new Map<string, FeeSchedule | null>()
  private readonly storedBalancesMinor = new Map<string, number>()
  private readonly storedHolds = new Map<string, VoucherHold>()

  constructor(private readonly reader: LedgerReader) {}

  account(id: string): Account | undefined {
    return cached(this.accounts, id, BATCH_ACCOUNTS_MAX, () => this.reader.account(id))
  }

  hold(voucherId: string): VoucherHold | undefined {
    return cached(this.holds, voucherId, BATCH_HOLDS_MAX, () => this.reader.hold(voucherId))
  }

  feeSchedule(id: string): FeeSchedule | undefined {
    return cached(this.feeSchedules, id, BATCH_FEE_SCHEDULES_MAX, () => this.reader.feeSchedule(id))
  }

  /** An account the call has just inserted, with its balance of zero. */
  created(account: Account): void {
    assert(this.accounts.get(account.id) == null, `account ${account.id} is created once`)
    assert(account.balanceMinor === 0, 'an account starts at zero')
    assert(this.accounts.size < BATCH_ACCOUNTS_MAX || this.accounts.has(account.id), 'a batch reads a bounded set of accounts')
    this.accounts.set(account.id, account)
  }

  /** Moves the accounts to the balances a request's plan decided, checked against the schema's floor. */
  applyBalances(balancesMinor: ReadonlyMap<string, number>): void {
    for (const [accountId, balance_minor] of balancesMinor) {
      const account = this.accounts.get(accountId)
      assert(account != null, `account ${accountId} was read before its balance was planned`)
      assert(Number.isSafeInteger(balance_minor), `account ${accountId} keeps an exact balance`)
      assert(balance_minor >= 0 || KINDS_BELOW_ZERO.includes(account.kind),
        `${account.kind} account ${accountId} does not go below zero`)
      if (!this.storedBalancesMinor.has(accountId)) this.storedBalancesMinor.set(accountId, account.balanceMinor)
      this.accounts.set(accountId, { ...account, balanceMinor: balance_minor })
    }
  }

  /** Adds a payment's split to its hold's totals; returns the hold as it now stands. */
  settle(voucherId: string, split: HoldSplit): VoucherHold {
    const hold = this.holds.get(voucherId)
    assert(hold != null, `hold ${voucherId} was read before it was settled`)
    if (!this.storedHolds.has(voucherId)) this.storedHolds.set(voucherId, hold)
    const settled: VoucherHold = {
      ...hold, settledMinor: hold.settledMinor + split.fromHoldMinor, excessMinor: hold.excessMinor + split.excessMinor,
    }
    holdRemainingMinor(settled)
    this.holds.set(voucherId, settled)
    return settled
  }

  balanceChanges(): BalanceChange[] {
    return [...this.storedBalancesMinor].map(([accountId, stored_minor]) => ({
      accountId, storedMinor: stored_minor, balanceMinor: this.accounts.get(accountId)!.balanceMinor,
    }))
  }

  holdChanges(): HoldChange[] {
    return [...this.storedHolds].map(([voucherId, stored]) => ({ stored, hold: this.holds.get(voucherId)! }))
  }
}

function cached<T>(rows: Map<string, T | null>, id: string, rows_max: number, read: () => T | undefined): T | undefined {
  const known = rows.get(id)
  if (known !== undefined) return known ?? undefined
  assert(rows.size < rows_max, `a batch reads at most ${rows_max} rows of a kind`)
  const row = read() ?? null
  rows.set(id, row)
  return row ?? undefined
}
