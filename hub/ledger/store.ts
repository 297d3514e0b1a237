// The ledger's storage boundary: coarse, asynchronous calls, each one atomic. SQLite implements it (the default,
// sqlite-store.ts), and PostgreSQL the same (pg-store.ts), for hubs past one machine.

import type { SqlQuery } from '../store/sql'
import type { LedgerError } from './errors'
import type { FeeSchedule } from './fees'
import type {
  Account, AccountKind, PlaceHoldInput, SettleFromHoldInput, Transfer, TransferInput, VoucherHold,
} from './model'

/** Most rows of each kind of anomaly an audit reports. */
export const AUDIT_ROWS_PER_CHECK_MAX = 100
export const FEE_SCHEDULES_LIST_MAX = 1_000

/**
 * applied: written now. exists: the same request was applied before; nothing changed.
 * conflict: the id exists with different content; nothing changed. refused: nothing written, `error.code` says why.
 */
export type TransferOutcome =
  | { readonly status: 'applied' | 'exists'; readonly transferId: string }
  | { readonly status: 'conflict' | 'refused'; readonly transferId: string; readonly error: LedgerError }

/** As TransferOutcome, for a hold operation; transferId is null when no money moved (a revocation, an empty release). */
export type HoldOutcome =
  | { readonly status: 'applied' | 'exists'; readonly hold: VoucherHold; readonly transferId: string | null }
  | { readonly status: 'conflict' | 'refused'; readonly error: LedgerError; readonly transferId: string | null }

export interface OpenWalletInput {
  readonly id: string
  readonly userId: string | null
  readonly currency: string
}

/** A new customer's money: a wallet opened, cashed in from the currency's external account, a voucher's hold placed on it. */
export interface FundedWalletInput {
  readonly wallet: OpenWalletInput
  /** A cash_in transfer into the wallet, in its currency. */
  readonly cashIn: TransferInput
  readonly hold: PlaceHoldInput
}

export interface SystemAccounts {
  readonly external: Account
  readonly platform: Account
}

// The requests' shapes live with the model, for the checks both stores share (requests.ts).
export type { PlaceHoldInput, SettleFromHoldInput } from './model'

export interface FeeScheduleFilter {
  readonly gatewayType?: string
  readonly currency?: string
}

export type RevenuePeriod = 'day' | 'month'

export interface OwnerRevenueSelection {
  readonly ownerUserId: string | null
  readonly gatewayEui: string | null
  /** Inclusive. */
  readonly fromMs: number
  /** Exclusive. */
  readonly toMs: number
  readonly period: RevenuePeriod
  readonly rowsMax: number
}

export interface OwnerRevenueRow {
  readonly ownerUserId: string | null
  readonly ownerAccountId: string
  readonly gatewayEui: string
  readonly currency: string
  /** UTC: 'YYYY-MM-DD' by day, 'YYYY-MM' by month. */
  readonly period: string
  readonly revenueMinor: number
  /** Payments that earned the owner a share (a zero share leaves no posting to count). */
  readonly paymentCount: number
}

/** One owner's revenue over a window, summed per currency. */
export interface OwnerRevenueTotal {
  readonly currency: string
  readonly revenueMinor: number
  /** Payments that earned the owner a share. */
  readonly paymentCount: number
}

/** Aggregates of the whole ledger read in one snapshot, and the rows that break an invariant. Sums are exact. */
export interface LedgerAudit {
  readonly currencies: readonly {
    readonly currency: string
    readonly accountCount: number
    readonly balanceSumMinor: bigint
    readonly postingSumMinor: bigint
  }[]
  /** Accounts whose stored balance is not the sum of their postings. */
  readonly accountsOffPostings: readonly { readonly accountId: string; readonly balanceMinor: bigint; readonly postingSumMinor: bigint }[]
  /** Accounts other than external below their recorded debt (the sum of their excess postings, ≤ 0). */
  readonly accountsBelowDebt: readonly {
    readonly accountId: string; readonly kind: AccountKind; readonly balanceMinor: bigint; readonly debtMinor: bigint
  }[]
  /** Transfers whose postings do not sum to zero, are fewer than two, credit other than the amount, or cross currencies. */
  readonly transfersMisrecorded: readonly {
    readonly transferId: string
    readonly amountMinor: bigint
    readonly postingCount: number
    readonly postingSumMinor: bigint
    readonly creditSumMinor: bigint
    readonly foreignCurrencyPostingCount: number
  }[]
  /** Holds over their limit, or whose remainder is not what their hold-account postings left, or whose excess is not recorded. */
  readonly holdsMisrecorded: readonly {
    readonly voucherId: string
    readonly limitMinor: bigint
    readonly settledMinor: bigint
    readonly releasedMinor: bigint
    readonly excessMinor: bigint
    readonly status: VoucherHold['status']
    readonly holdPostingSumMinor: bigint
    readonly excessPostingSumMinor: bigint
  }[]
  /** Hold accounts whose balance is not the sum of their vouchers' open remainders. */
  readonly holdAccountsOffRemainders: readonly {
    readonly accountId: string; readonly balanceMinor: bigint; readonly openRemainderMinor: bigint
  }[]
}

/**
 * Account operations throw a LedgerError on a bad or conflicting request; money operations never throw for
 * a refusal but answer with an outcome per request. An exception from a money operation is a broken
 * invariant or an I/O failure, and then nothing of the call was written.
 */
export interface LedgerStore {
  /** Creates a wallet, or returns it unchanged if it exists with the same fields. */
  openWallet(input: OpenWalletInput): Promise<Account>
  /**
   * Opens up to TRANSFERS_PER_BATCH_MAX wallets, cashes each in and places its hold, in one transaction, in order
   * (a bulk enrollment). All or nothing: any refusal throws its LedgerError and nothing is written. `alsoWrite` runs in
   * that transaction after the ledger's writes, as settleFromHolds' does: the caller's rows that name the wallets
   * commit with them, or not at all (a throw there rolls the wallets back too).
   */
  openFundedWallets(inputs: readonly FundedWalletInput[], alsoWrite?: (sql: SqlQuery) => Promise<void>): Promise<void>
  /** The currency's external and platform accounts, created on first use. */
  systemAccounts(currency: string): Promise<SystemAccounts>
  /** The wallet's hold account, created on first use. */
  holdAccount(walletAccountId: string): Promise<Account>
  account(id: string): Promise<Account | undefined>

  /**
   * Applies up to TRANSFERS_PER_BATCH_MAX transfers in one transaction, in order; one outcome each.
   * Hold transfers and offline payments are refused here: they go through the hold operations below.
   * `alsoWrite` runs in that transaction with the outcomes, as settleFromHolds' does (an operator's act written to the
   * audit log with it).
   */
  applyTransfers(
    inputs: readonly TransferInput[], alsoWrite?: (outcomes: readonly TransferOutcome[], sql: SqlQuery) => Promise<void>,
  ): Promise<TransferOutcome[]>
  transfer(id: string): Promise<Transfer | undefined>

  /**
   * Adds a schedule (a new version is a new schedule); 'exists' if the same one is there already. `alsoWrite` runs in
   * the transaction that adds it, and only then, as settleFromHolds' does (an operator's act written to the audit log
   * with it).
   */
  addFeeSchedule(schedule: FeeSchedule, alsoWrite?: (sql: SqlQuery) => Promise<void>): Promise<'applied' | 'exists'>
  feeSchedule(id: string): Promise<FeeSchedule | undefined>
  feeSchedules(filter: FeeScheduleFilter): Promise<FeeSchedule[]>

  /** Sets the voucher's limit aside from its wallet; refused with INSUFFICIENT_FUNDS if the wallet cannot cover it. */
  placeHold(input: PlaceHoldInput): Promise<HoldOutcome>
  /**
   * Settles offline payments from their vouchers' holds (beyond a hold: the customer's debt), in one transaction.
   * `alsoWrite`, given the outcomes and the transaction's own statements (`sql`), runs inside that transaction before
   * it commits and is awaited: what the caller records of the settlement commits with it, in one write to disk, or
   * not at all (a throw there rolls everything back, and the call rejects with it). On PostgreSQL the call may run
   * more than once (a race lost to another hub): `alsoWrite` then runs again, so it does nothing but its statements.
   * It may return once committed but before it is on disk, so that many settlements share one fsync: tell no one
   * outside the hub an outcome before `settlementsDurable()` has resolved.
   */
  settleFromHolds(
    inputs: readonly SettleFromHoldInput[], alsoWrite?: (outcomes: readonly HoldOutcome[], sql: SqlQuery) => Promise<void>,
  ): Promise<HoldOutcome[]>
  /** Resolves once every settlement committed before the call would survive a power cut. */
  settlementsDurable(): Promise<void>
  /** Once the upload deadline has passed, gives what is left of the hold back to the wallet. Idempotent. */
  releaseHold(voucherId: string): Promise<HoldOutcome>
  /** Marks the voucher revoked; its hold still pays records taken before, until released. Idempotent. */
  revokeHold(voucherId: string): Promise<HoldOutcome>
  hold(voucherId: string): Promise<VoucherHold | undefined>

  /** Owner-share postings summed per owner account, gateway, currency and UTC period, oldest period first. */
  ownerRevenue(selection: OwnerRevenueSelection): Promise<OwnerRevenueRow[]>
  /**
   * One owner's revenue in [fromMs, toMs), summed per currency by the database: exact however many gateways and
   * periods it spans. One row per currency the owner earned in, oldest code first.
   */
  ownerRevenueTotals(selection: { readonly ownerUserId: string; readonly fromMs: number; readonly toMs: number }): Promise<OwnerRevenueTotal[]>
  /** Reads the aggregates verifyLedger checks, in one consistent snapshot. */
  audit(): Promise<LedgerAudit>
}
