// LedgerStore over one better-sqlite3 connection: every call is one transaction (IMMEDIATE when it writes) and
// statements are prepared once. A request of a batch is decided in full against the call's view (batch-view.ts) before
// it writes anything, so a refusal writes nothing without a savepoint; balances and holds are written once per call.
// What to write is decided by the pure modules (transfer, balances, fees, settle); this file only reads and writes.

import type { Clock } from '../../protocol/clock'
import { assert } from '../../protocol/errors'
import { isCurrencyCode } from '../../protocol/money'
import type { SqliteDatabase } from '../store/database'
import { SqliteEngine, type SqlQuery } from '../store/sql'
import type { WalSync } from '../store/wal-sync'
import type { AccountState } from './balances'
import { BatchView, type LedgerReader } from './batch-view'
import { METADATA_LENGTH_MAX_CHARS, canonicalJson, contentSha256, settleFromHoldSha256 } from './content'
import { LedgerError, isLedgerError } from './errors'
import {
  assertBatch, decided, placeHoldProblem, planTransfer, requireWallet, sameFeeSchedule, settleFromHoldProblem, statusOf,
} from './requests'
import { computeFee, feeScheduleProblem, type FeeSchedule } from './fees'
import {
  externalAccountId, holdAccountId, holdTransferId, isIdentifier, isTransferId, isWalletAccountId, platformAccountId,
} from './ids'
import {
  holdRemainingMinor, type Account, type AccountKind, type HoldStatus, type Metadata, type PostingRole, type Transfer,
  type TransferInput, type TransferKind, type VoucherHold,
} from './model'
import { holdPlacementPostings, holdReleasePostings, settlementPostings, splitAgainstHold } from './settle'
import {
  AUDIT_ROWS_PER_CHECK_MAX, FEE_SCHEDULES_LIST_MAX, type FeeScheduleFilter, type FundedWalletInput, type HoldOutcome,
  type LedgerAudit, type LedgerStore, type OpenWalletInput, type OwnerRevenueRow, type OwnerRevenueSelection, type OwnerRevenueTotal,
  type PlaceHoldInput, type SettleFromHoldInput, type SystemAccounts, type TransferOutcome,
} from './store'
import { assertBalanced, transferAmountMinor, transferInputProblem, transferRequestSha256 } from './transfer'

export interface SqliteLedgerStoreOptions {
  /** The clock that stamps created_at and decides whether an upload deadline has passed. */
  readonly clock: Clock
  /**
   * Where given, settleFromHolds commits without its own fsync and settlementsDurable waits for one that covers it;
   * without it every call is on disk when it returns.
   */
  readonly walSync?: WalSync
  /**
   * The SqlEngine on the same connection, whose transactions the ledger's wait for and in which it settles and runs the
   * calls that take a caller's statements (the hub's).
   * Where left out (a ledger alone on its connection), the ledger makes one of its own.
   */
  readonly gate?: SqliteEngine
}

// Transfers that move a voucher's hold, so only the hold operations (which keep voucher_holds in step) make them.
const HOLD_OPERATION_KINDS: readonly TransferKind[] = ['voucher_hold', 'voucher_release', 'offline_payment']

type Settled = { readonly status: 'applied' | 'exists'; readonly hold: VoucherHold; readonly transferId: string | null }

interface AccountRow {
  id: string
  user_id: string | null
  kind: AccountKind
  currency: string
  wallet_account_id: string | null
  balance_minor: number
  created_at_ms: number
}

interface TransferRow {
  id: string
  kind: TransferKind
  currency: string
  amount_minor: number
  gateway_eui: string | null
  voucher_id: string | null
  fee_schedule_id: string | null
  metadata: string | null
  content_sha256: string
  created_at_ms: number
}

interface PostingRow {
  transfer_id: string
  posting_index: number
  account_id: string
  amount_minor: number
  role: PostingRole
}

interface FeeScheduleRow {
  id: string
  gateway_type: string
  currency: string
  version: number
  basis_points: number
  fixed_minor: number
  owner_share_basis_points: number
  effective_from_ms: number
}

interface HoldRow {
  voucher_id: string
  wallet_account_id: string
  hold_account_id: string
  currency: string
  limit_minor: number
  settled_minor: number
  released_minor: number
  excess_minor: number
  expires_at_ms: number
  upload_deadline_at_ms: number
  status: HoldStatus
  created_at_ms: number
  revoked_at_ms: number | null
  released_at_ms: number | null
}

const ACCOUNT_COLUMNS = 'id, user_id, kind, currency, wallet_account_id, balance_minor, created_at_ms'
const FEE_SCHEDULE_COLUMNS =
  'id, gateway_type, currency, version, basis_points, fixed_minor, owner_share_basis_points, effective_from_ms'

// Long because it is one flat table of the ledger's prepared statements, grouped by table: each
// entry is a name and its SQL, and splitting it would only scatter the table across functions.
/** The owner-share postings of payments at a gateway in [@fromMs, @toMs): what an owner's revenue sums. */
const OWNER_SHARES = `FROM postings p
       JOIN transfers t ON t.seq = p.transfer_seq
       JOIN accounts a ON a.id = p.account_id
       WHERE p.role = 'owner_share' AND t.kind IN ('offline_payment', 'online_payment') AND t.gateway_eui IS NOT NULL
         AND t.created_at_ms >= @fromMs AND t.created_at_ms < @toMs`

function prepareStatements(database: SqliteDatabase) {
  return {
    selectAccount: database.prepare<[string], AccountRow>(`SELECT ${ACCOUNT_COLUMNS} FROM accounts WHERE id = ?`),
    insertAccount: database.prepare<[string, string | null, AccountKind, string, string | null, number]>(
      `INSERT INTO accounts (id, user_id, kind, currency, wallet_account_id, balance_minor, created_at_ms)
       VALUES (?, ?, ?, ?, ?, 0, ?)`),
    // Guarded by the balance read at the start of the call: nothing else writes inside its transaction.
    updateBalance: database.prepare<[number, string, number]>(
      'UPDATE accounts SET balance_minor = ? WHERE id = ? AND balance_minor = ?'),

    selectTransferContent: database.prepare<[string], string>('SELECT content_sha256 FROM transfers WHERE id = ?').pluck(),
    // A batch's ids at once, as a JSON array: one statement per call instead of one per transfer.
    selectTransferContents: database.prepare<[string], { id: string; content_sha256: string }>(
      'SELECT id, content_sha256 FROM transfers WHERE id IN (SELECT value FROM json_each(?))'),
    selectTransfer: database.prepare<[string], TransferRow>(
      `SELECT id, kind, currency, amount_minor, gateway_eui, voucher_id, fee_schedule_id, metadata, content_sha256,
         created_at_ms FROM transfers WHERE id = ?`),
    selectPostings: database.prepare<[string], PostingRow>(
      `SELECT t.id AS transfer_id, p.posting_index, p.account_id, p.amount_minor, p.role
       FROM transfers t JOIN postings p ON p.transfer_seq = t.seq
       WHERE t.id = ? ORDER BY p.posting_index`),
    insertTransfer: database.prepare<[
      string, TransferKind, string, number, string | null, string | null, string | null, string | null, string, number,
    ]>(`INSERT INTO transfers (id, kind, currency, amount_minor, gateway_eui, voucher_id, fee_schedule_id, metadata,
          content_sha256, created_at_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
    // A transfer's postings name it by its integer key (see the postings' migration).
    insertPosting: database.prepare<[number | bigint, number, string, number, PostingRole]>(
      'INSERT INTO postings (transfer_seq, posting_index, account_id, amount_minor, role) VALUES (?, ?, ?, ?, ?)'),

    selectFeeSchedule: database.prepare<[string], FeeScheduleRow>(
      `SELECT ${FEE_SCHEDULE_COLUMNS} FROM fee_schedules WHERE id = ?`),
    selectFeeScheduleVersion: database.prepare<[string, string, number], FeeScheduleRow>(
      `SELECT ${FEE_SCHEDULE_COLUMNS} FROM fee_schedules WHERE gateway_type = ? AND currency = ? AND version = ?`),
    selectFeeSchedules: database.prepare<[{ gatewayType: string | null; currency: string | null; rowsMax: number }], FeeScheduleRow>(
      `SELECT ${FEE_SCHEDULE_COLUMNS} FROM fee_schedules
       WHERE (@gatewayType IS NULL OR gateway_type = @gatewayType) AND (@currency IS NULL OR currency = @currency)
       ORDER BY gateway_type, currency, version LIMIT @rowsMax`),
    insertFeeSchedule: database.prepare<[string, string, string, number, number, number, number, number, number]>(
      `INSERT INTO fee_schedules (id, gateway_type, currency, version, basis_points, fixed_minor,
         owner_share_basis_points, effective_from_ms, created_at_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`),

    selectHold: database.prepare<[string], HoldRow>(
      `SELECT voucher_id, wallet_account_id, hold_account_id, currency, limit_minor, settled_minor, released_minor,
         excess_minor, expires_at_ms, upload_deadline_at_ms, status, created_at_ms, revoked_at_ms, released_at_ms
       FROM voucher_holds WHERE voucher_id = ?`),
    insertHold: database.prepare<[string, string, string, string, number, number, number, number]>(
      `INSERT INTO voucher_holds (voucher_id, wallet_account_id, hold_account_id, currency, limit_minor, expires_at_ms,
         upload_deadline_at_ms, status, created_at_ms) VALUES (?, ?, ?, ?, ?, ?, ?, 'active', ?)`),
    updateHoldSettlement: database.prepare<[number, number, string, number, number]>(
      `UPDATE voucher_holds SET settled_minor = ?, excess_minor = ?
       WHERE voucher_id = ? AND settled_minor = ? AND excess_minor = ?`),
    updateHoldRelease: database.prepare<[number, number, string]>(
      `UPDATE voucher_holds SET released_minor = ?, status = 'released', released_at_ms = ? WHERE voucher_id = ?`),
    updateHoldRevoke: database.prepare<[number, string]>(
      `UPDATE voucher_holds SET status = 'revoked', revoked_at_ms = ? WHERE voucher_id = ? AND status = 'active'`),

    ...prepareRevenueStatements(database),
    ...prepareAuditStatements(database),
  }
}

// What an owner's gateways earned: the owner-share postings of payments, summed by period or in total.
function prepareRevenueStatements(database: SqliteDatabase) {
  return {
    selectOwnerRevenue: database.prepare<[{
      format: string; ownerUserId: string | null; gatewayEui: string | null; fromMs: number; toMs: number; rowsMax: number
    }], {
      owner_user_id: string | null; owner_account_id: string; gateway_eui: string; currency: string; period: string
      revenue_minor: number; payment_count: number
    }>(
      `SELECT a.user_id AS owner_user_id, p.account_id AS owner_account_id, t.gateway_eui, t.currency,
         strftime(@format, t.created_at_ms / 1000, 'unixepoch') AS period,
         SUM(p.amount_minor) AS revenue_minor, COUNT(*) AS payment_count
       ${OWNER_SHARES}
         AND (@ownerUserId IS NULL OR a.user_id = @ownerUserId) AND (@gatewayEui IS NULL OR t.gateway_eui = @gatewayEui)
       GROUP BY period, p.account_id, t.gateway_eui, t.currency
       ORDER BY period, p.account_id, t.gateway_eui, t.currency
       LIMIT @rowsMax`),
    selectOwnerRevenueTotals: database.prepare<[{ ownerUserId: string; fromMs: number; toMs: number }], {
      currency: string; revenue_minor: number; payment_count: number
    }>(
      `SELECT t.currency, SUM(p.amount_minor) AS revenue_minor, COUNT(*) AS payment_count
       ${OWNER_SHARES} AND a.user_id = @ownerUserId
       GROUP BY t.currency ORDER BY t.currency`),
  }
}

// Audit reads return BigInt, so sums are exact whatever they add up to.
function prepareAuditStatements(database: SqliteDatabase) {
  const audit = (sql: string) => database.prepare<[number], Record<string, bigint | string>>(sql).safeIntegers(true)
  return {
    auditCurrencies: database.prepare<[], Record<string, bigint | string>>(
      `SELECT a.currency, COUNT(*) AS account_count, SUM(a.balance_minor) AS balance_sum_minor,
         (SELECT COALESCE(SUM(p.amount_minor), 0) FROM postings p JOIN accounts b ON b.id = p.account_id
          WHERE b.currency = a.currency) AS posting_sum_minor
       FROM accounts a GROUP BY a.currency ORDER BY a.currency`).safeIntegers(true),
    auditAccountsOffPostings: audit(
      `SELECT a.id AS account_id, a.balance_minor, COALESCE(s.posting_sum_minor, 0) AS posting_sum_minor
       FROM accounts a
       LEFT JOIN (SELECT account_id, SUM(amount_minor) AS posting_sum_minor FROM postings GROUP BY account_id) s
         ON s.account_id = a.id
       WHERE a.balance_minor <> COALESCE(s.posting_sum_minor, 0)
       ORDER BY a.id LIMIT ?`),
    auditAccountsBelowDebt: audit(
      `SELECT a.id AS account_id, a.kind, a.balance_minor, COALESCE(d.debt_minor, 0) AS debt_minor
       FROM accounts a
       LEFT JOIN (SELECT account_id, SUM(amount_minor) AS debt_minor FROM postings WHERE role = 'excess'
                  GROUP BY account_id) d ON d.account_id = a.id
       WHERE a.kind <> 'external' AND a.balance_minor < COALESCE(d.debt_minor, 0)
       ORDER BY a.id LIMIT ?`),
    auditTransfers: audit(
      `SELECT * FROM (
         SELECT t.id AS transfer_id, t.amount_minor, COUNT(p.transfer_seq) AS posting_count,
           COALESCE(SUM(p.amount_minor), 0) AS posting_sum_minor,
           COALESCE(SUM(CASE WHEN p.amount_minor > 0 THEN p.amount_minor ELSE 0 END), 0) AS credit_sum_minor,
           COALESCE(SUM(CASE WHEN a.currency <> t.currency THEN 1 ELSE 0 END), 0) AS foreign_currency_posting_count
         FROM transfers t
         LEFT JOIN postings p ON p.transfer_seq = t.seq
         LEFT JOIN accounts a ON a.id = p.account_id
         GROUP BY t.id)
       WHERE posting_sum_minor <> 0 OR posting_count < 2 OR credit_sum_minor <> amount_minor
         OR foreign_currency_posting_count > 0
       ORDER BY transfer_id LIMIT ?`),
    auditHolds: audit(
      `SELECT * FROM (
         SELECT h.voucher_id, h.limit_minor, h.settled_minor, h.released_minor, h.excess_minor, h.status,
           (SELECT COALESCE(SUM(p.amount_minor), 0) FROM transfers t JOIN postings p ON p.transfer_seq = t.seq
            WHERE t.voucher_id = h.voucher_id AND p.account_id = h.hold_account_id) AS hold_posting_sum_minor,
           (SELECT COALESCE(-SUM(p.amount_minor), 0) FROM transfers t JOIN postings p ON p.transfer_seq = t.seq
            WHERE t.voucher_id = h.voucher_id AND t.kind = 'offline_payment' AND p.role = 'excess') AS excess_posting_sum_minor
         FROM voucher_holds h)
       WHERE settled_minor + released_minor > limit_minor
         OR limit_minor - settled_minor - released_minor <> hold_posting_sum_minor
         OR excess_minor <> excess_posting_sum_minor
         OR (status = 'released' AND limit_minor - settled_minor - released_minor <> 0)
       ORDER BY voucher_id LIMIT ?`),
    auditHoldAccounts: audit(
      `SELECT * FROM (
         SELECT a.id AS account_id, a.balance_minor,
           (SELECT COALESCE(SUM(h.limit_minor - h.settled_minor - h.released_minor), 0) FROM voucher_holds h
            WHERE h.hold_account_id = a.id) AS open_remainder_minor
         FROM accounts a WHERE a.kind = 'hold')
       WHERE balance_minor <> open_remainder_minor
       ORDER BY account_id LIMIT ?`),
  }
}

export class SqliteLedgerStore implements LedgerStore {
  private readonly statements: ReturnType<typeof prepareStatements>
  private readonly clock: Clock
  // Transaction wrappers made once.
  private readonly inTransaction: (work: () => unknown) => unknown
  private readonly inImmediateTransaction: (work: () => unknown) => unknown
  private readonly reader: LedgerReader
  private readonly walSync: WalSync | undefined
  private readonly engine: SqliteEngine

  constructor(database: SqliteDatabase, options: SqliteLedgerStoreOptions) {
    assert(typeof options.clock?.now_ms === 'function', 'the ledger needs a clock')
    this.clock = options.clock
    this.walSync = options.walSync
    this.engine = options.gate ?? new SqliteEngine(database)
    this.statements = prepareStatements(database)
    const transaction = database.transaction((work: () => unknown) => work())
    this.inTransaction = transaction
    this.inImmediateTransaction = transaction.immediate
    this.reader = {
      account: (id) => this.readAccount(id),
      hold: (voucherId) => this.readHold(voucherId),
      feeSchedule: (id) => this.readFeeSchedule(id),
    }
  }

  async openWallet(input: OpenWalletInput): Promise<Account> {
    return this.gated(() => this.writing(() => this.openWalletNow(input)))
  }

  /** One transaction of the engine, as settleFromHolds (without its unsynced commit): the ledger's writes, then `alsoWrite`'s. */
  async openFundedWallets(inputs: readonly FundedWalletInput[], alsoWrite?: (sql: SqlQuery) => Promise<void>): Promise<void> {
    assertBatch(inputs)
    await this.engine.write(async (sql) => {
      for (const input of inputs) {
        const wallet = this.openWalletNow(input.wallet)
        if (input.cashIn.currency !== wallet.currency || input.cashIn.kind !== 'cash_in') {
          throw new LedgerError('INVALID_TRANSFER', `a funded wallet is cashed in, in its own currency (${wallet.currency})`)
        }
        const view = new BatchView(this.reader)
        this.ensureSystemAccounts(view, wallet.currency)
        this.applyTransfer(view, input.cashIn)
        this.writeChanges(view)
        this.placeHoldNow(input.hold)
      }
      if (alsoWrite !== undefined) await alsoWrite(sql)
    })
  }

  async systemAccounts(currency: string): Promise<SystemAccounts> {
    if (!isCurrencyCode(currency)) throw new LedgerError('INVALID_ACCOUNT', `unknown currency ${String(currency)}`)
    return this.gated(() => this.writing(() => this.ensureSystemAccounts(new BatchView(this.reader), currency)))
  }

  async holdAccount(walletAccountId: string): Promise<Account> {
    return this.gated(() => this.writing(() => {
      const view = new BatchView(this.reader)
      return this.ensureHoldAccount(view, requireWallet(view.account(walletAccountId), walletAccountId))
    }))
  }

  async account(id: string): Promise<Account | undefined> {
    return this.gated(() => this.readAccount(id))
  }

  /** As openFundedWallets: one transaction of the engine, `alsoWrite` awaited in it. */
  async applyTransfers(
    inputs: readonly TransferInput[], alsoWrite?: (outcomes: readonly TransferOutcome[], sql: SqlQuery) => Promise<void>,
  ): Promise<TransferOutcome[]> {
    assertBatch(inputs)
    return this.engine.write(async (sql) => {
      const view = new BatchView(this.reader)
      const outcomes = inputs.map((input): TransferOutcome => {
        const transferId = String(input?.id)
        try {
          return { status: this.applyTransfer(view, input), transferId }
        } catch (error) {
          if (isLedgerError(error)) return { status: statusOf(error), transferId, error }
          throw error
        }
      })
      this.writeChanges(view)
      if (alsoWrite !== undefined) await alsoWrite(outcomes, sql)
      return outcomes
    })
  }

  async transfer(id: string): Promise<Transfer | undefined> {
    return this.gated(() => this.reading(() => {
      const row = this.statements.selectTransfer.get(id)
      if (row === undefined) return undefined
      return transferFromRows(row, this.statements.selectPostings.all(id))
    }))
  }

  /** As openFundedWallets: one transaction of the engine, `alsoWrite` awaited in it once the schedule is added. */
  async addFeeSchedule(schedule: FeeSchedule, alsoWrite?: (sql: SqlQuery) => Promise<void>): Promise<'applied' | 'exists'> {
    const problem = feeScheduleProblem(schedule)
    if (problem !== undefined) throw problem
    return this.engine.write(async (sql): Promise<'applied' | 'exists'> => {
      const existing = this.readFeeSchedule(schedule.id)
      if (existing !== undefined) {
        if (sameFeeSchedule(existing, schedule)) return 'exists'
        throw new LedgerError('FEE_SCHEDULE_CONFLICT', `fee schedule ${schedule.id} exists with other terms`)
      }
      const sameVersion = this.statements.selectFeeScheduleVersion.get(schedule.gatewayType, schedule.currency, schedule.version)
      if (sameVersion !== undefined) {
        throw new LedgerError('FEE_SCHEDULE_CONFLICT',
          `${schedule.gatewayType} ${schedule.currency} version ${schedule.version} is schedule ${sameVersion.id}`)
      }
      this.statements.insertFeeSchedule.run(schedule.id, schedule.gatewayType, schedule.currency, schedule.version,
        schedule.basisPoints, schedule.fixedMinor, schedule.ownerShareBasisPoints, schedule.effectiveFromMs, this.now_ms())
      if (alsoWrite !== undefined) await alsoWrite(sql)
      return 'applied'
    })
  }

  async feeSchedule(id: string): Promise<FeeSchedule | undefined> {
    return this.gated(() => this.readFeeSchedule(id))
  }

  async feeSchedules(filter: FeeScheduleFilter): Promise<FeeSchedule[]> {
    return this.gated(() => this.statements.selectFeeSchedules
      .all({ gatewayType: filter.gatewayType ?? null, currency: filter.currency ?? null, rowsMax: FEE_SCHEDULES_LIST_MAX })
      .map(feeScheduleFromRow))
  }

  async placeHold(input: PlaceHoldInput): Promise<HoldOutcome> {
    const transferId = isIdentifier(input?.voucherId) ? holdTransferId('place', input.voucherId) : null
    return this.gated(() => holdOutcome(transferId, () => this.writing(() => this.placeHoldNow(input))))
  }

  /**
   * One transaction of the engine (BEGIN IMMEDIATE, committed unsynced through the walSync where given): the ledger's
   * synchronous work, then `alsoWrite` awaited on the same connection, then COMMIT. The engine's gate is held
   * throughout, so nothing else on the connection joins the transaction while `alsoWrite` awaits.
   */
  async settleFromHolds(
    inputs: readonly SettleFromHoldInput[], alsoWrite?: (outcomes: readonly HoldOutcome[], sql: SqlQuery) => Promise<void>,
  ): Promise<HoldOutcome[]> {
    assertBatch(inputs)
    return this.engine.writeUnsynced(this.walSync, async (sql) => {
      const view = new BatchView(this.reader)
      const stored = this.storedContents(inputs)
      const outcomes = inputs.map((input) => {
        const transferId = isTransferId(input?.transferId) ? input.transferId : null
        return holdOutcome(transferId, () => this.settleFromHold(view, input, stored))
      })
      this.writeChanges(view)
      if (alsoWrite !== undefined) await alsoWrite(outcomes, sql)
      return outcomes
    })
  }

  settlementsDurable(): Promise<void> {
    return this.walSync?.synced() ?? Promise.resolve()
  }

  async releaseHold(voucherId: string): Promise<HoldOutcome> {
    const transferId = isIdentifier(voucherId) ? holdTransferId('release', voucherId) : null
    return this.gated(() => holdOutcome(transferId, () => this.writing(() => this.releaseHoldNow(voucherId))))
  }

  async revokeHold(voucherId: string): Promise<HoldOutcome> {
    return this.gated(() => holdOutcome(null, () => this.writing((): Settled => {
      const hold = this.requireHold(voucherId)
      if (hold.status !== 'active') return { status: 'exists', hold, transferId: null }
      const changes = this.statements.updateHoldRevoke.run(this.now_ms(), voucherId).changes
      assert(changes === 1, 'an active hold is revoked once')
      return { status: 'applied', hold: this.readHold(voucherId)!, transferId: null }
    })))
  }

  async hold(voucherId: string): Promise<VoucherHold | undefined> {
    return this.gated(() => this.readHold(voucherId))
  }

  async ownerRevenue(selection: OwnerRevenueSelection): Promise<OwnerRevenueRow[]> {
    return this.gated(() => {
      const rows = this.statements.selectOwnerRevenue.all({
        format: selection.period === 'day' ? '%Y-%m-%d' : '%Y-%m',
        ownerUserId: selection.ownerUserId,
        gatewayEui: selection.gatewayEui,
        fromMs: selection.fromMs,
        toMs: selection.toMs,
        rowsMax: selection.rowsMax,
      })
      return rows.map((row) => ({
        ownerUserId: row.owner_user_id,
        ownerAccountId: row.owner_account_id,
        gatewayEui: row.gateway_eui,
        currency: row.currency,
        period: row.period,
        revenueMinor: row.revenue_minor,
        paymentCount: row.payment_count,
      }))
    })
  }

  async ownerRevenueTotals(selection: { ownerUserId: string; fromMs: number; toMs: number }): Promise<OwnerRevenueTotal[]> {
    return this.gated(() => this.statements.selectOwnerRevenueTotals.all(selection).map((row) => ({
      currency: row.currency, revenueMinor: row.revenue_minor, paymentCount: row.payment_count,
    })))
  }

  async audit(): Promise<LedgerAudit> {
    return this.gated(() => this.reading((): LedgerAudit => {
      const rows_max = AUDIT_ROWS_PER_CHECK_MAX
      const s = this.statements
      return {
        currencies: s.auditCurrencies.all().map((row) => ({
          currency: String(row.currency),
          accountCount: Number(row.account_count),
          balanceSumMinor: big(row.balance_sum_minor),
          postingSumMinor: big(row.posting_sum_minor),
        })),
        accountsOffPostings: s.auditAccountsOffPostings.all(rows_max).map((row) => ({
          accountId: String(row.account_id), balanceMinor: big(row.balance_minor), postingSumMinor: big(row.posting_sum_minor),
        })),
        accountsBelowDebt: s.auditAccountsBelowDebt.all(rows_max).map((row) => ({
          accountId: String(row.account_id),
          kind: String(row.kind) as AccountKind,
          balanceMinor: big(row.balance_minor),
          debtMinor: big(row.debt_minor),
        })),
        transfersMisrecorded: s.auditTransfers.all(rows_max).map((row) => ({
          transferId: String(row.transfer_id),
          amountMinor: big(row.amount_minor),
          postingCount: Number(row.posting_count),
          postingSumMinor: big(row.posting_sum_minor),
          creditSumMinor: big(row.credit_sum_minor),
          foreignCurrencyPostingCount: Number(row.foreign_currency_posting_count),
        })),
        holdsMisrecorded: s.auditHolds.all(rows_max).map((row) => ({
          voucherId: String(row.voucher_id),
          limitMinor: big(row.limit_minor),
          settledMinor: big(row.settled_minor),
          releasedMinor: big(row.released_minor),
          excessMinor: big(row.excess_minor),
          status: String(row.status) as HoldStatus,
          holdPostingSumMinor: big(row.hold_posting_sum_minor),
          excessPostingSumMinor: big(row.excess_posting_sum_minor),
        })),
        holdAccountsOffRemainders: s.auditHoldAccounts.all(rows_max).map((row) => ({
          accountId: String(row.account_id),
          balanceMinor: big(row.balance_minor),
          openRemainderMinor: big(row.open_remainder_minor),
        })),
      }
    }))
  }

  // --- money operations, inside the call's transaction. A request of a batch is decided against the call's view and
  // throws its LedgerError (its refusal) before its first write, so a refusal leaves nothing of that request behind ---

  private applyTransfer(view: BatchView, input: TransferInput): 'applied' | 'exists' {
    const problem = transferInputProblem(input)
    if (problem !== undefined) throw problem
    if (HOLD_OPERATION_KINDS.includes(input.kind)) {
      throw new LedgerError('INVALID_TRANSFER', `${input.kind} transfers are made by the hold operations`)
    }
    const requestSha256 = transferRequestSha256(input)
    if (this.isRepeat(input.id, requestSha256)) return 'exists'
    const balancesMinor = planTransfer(view, input, false)
    return decided(() => {
      this.writeTransfer(view, input, requestSha256, balancesMinor)
      return 'applied'
    })
  }

  private openWalletNow(input: OpenWalletInput): Account {
    if (typeof input !== 'object' || input === null || !isWalletAccountId(input.id)) {
      throw new LedgerError('INVALID_ACCOUNT', 'a wallet id is an identifier outside the reserved prefixes')
    }
    if (input.userId !== null && !isIdentifier(input.userId)) throw new LedgerError('INVALID_ACCOUNT', 'bad user id')
    if (!isCurrencyCode(input.currency)) throw new LedgerError('INVALID_ACCOUNT', `unknown currency ${input.currency}`)
    const existing = this.readAccount(input.id)
    if (existing !== undefined) {
      if (existing.kind === 'wallet' && existing.userId === input.userId && existing.currency === input.currency) {
        return existing
      }
      throw new LedgerError('ACCOUNT_CONFLICT', `account ${input.id} exists with other fields`)
    }
    this.statements.insertAccount.run(input.id, input.userId, 'wallet', input.currency, null, this.now_ms())
    return this.readAccount(input.id)!
  }

  // One request per call: a refusal after the hold account is created rolls back the whole call.
  private placeHoldNow(input: PlaceHoldInput): Settled {
    const problem = placeHoldProblem(input)
    if (problem !== undefined) throw problem
    const transferId = holdTransferId('place', input.voucherId)
    const requestSha256 = contentSha256({
      operation: 'place_hold',
      voucherId: input.voucherId,
      walletAccountId: input.walletAccountId,
      limitMinor: input.limitMinor,
      expiresAtMs: input.expiresAtMs,
      uploadDeadlineAtMs: input.uploadDeadlineAtMs,
    })
    if (this.isRepeat(transferId, requestSha256)) {
      return { status: 'exists', hold: this.readHold(input.voucherId)!, transferId }
    }
    assert(this.readHold(input.voucherId) === undefined, 'a hold exists only with the transfer that placed it')
    const view = new BatchView(this.reader)
    const wallet = requireWallet(view.account(input.walletAccountId), input.walletAccountId)
    const holdAccount = this.ensureHoldAccount(view, wallet)
    const transfer: TransferInput = {
      id: transferId,
      kind: 'voucher_hold',
      currency: wallet.currency,
      voucherId: input.voucherId,
      postings: holdPlacementPostings({
        walletAccountId: wallet.id, holdAccountId: holdAccount.id, limitMinor: input.limitMinor,
      }),
    }
    this.writeTransfer(view, transfer, requestSha256, planTransfer(view, transfer, true))
    this.statements.insertHold.run(input.voucherId, wallet.id, holdAccount.id, wallet.currency, input.limitMinor,
      input.expiresAtMs, input.uploadDeadlineAtMs, this.now_ms())
    this.writeChanges(view)
    return { status: 'applied', hold: this.readHold(input.voucherId)!, transferId }
  }

  private settleFromHold(view: BatchView, input: SettleFromHoldInput, stored?: Map<string, string | undefined>): Settled {
    const problem = settleFromHoldProblem(input)
    if (problem !== undefined) throw problem
    // Checked above: the metadata, if any, is a JSON object.
    const metadataJson = input.metadata === undefined ? null : canonicalJson(input.metadata)
    if (metadataJson !== null && metadataJson.length > METADATA_LENGTH_MAX_CHARS) {
      throw new LedgerError('INVALID_TRANSFER', `metadata exceeds ${METADATA_LENGTH_MAX_CHARS} characters`)
    }
    const requestSha256 = settleFromHoldSha256(input, metadataJson ?? 'null')
    const hold = view.hold(input.voucherId)
    if (this.isRepeat(input.transferId, requestSha256, stored)) {
      assert(hold !== undefined, 'a settled voucher has its hold')
      return { status: 'exists', hold, transferId: input.transferId }
    }
    if (hold === undefined) throw new LedgerError('HOLD_NOT_FOUND', `no hold for voucher ${input.voucherId}`)
    const schedule = view.feeSchedule(input.feeScheduleId)
    if (schedule === undefined) throw new LedgerError('UNKNOWN_FEE_SCHEDULE', `no fee schedule ${input.feeScheduleId}`)
    if (schedule.currency !== hold.currency) {
      throw new LedgerError('CURRENCY_MISMATCH', `fee schedule ${schedule.id} is for ${schedule.currency}, the voucher ${hold.currency}`)
    }
    // Both wallets are checked even when a zero share leaves one without a posting.
    requireWallet(view.account(input.merchantAccountId), input.merchantAccountId, hold.currency)
    requireWallet(view.account(input.ownerAccountId), input.ownerAccountId, hold.currency)
    const remaining_minor = holdRemainingMinor(hold)
    const platform: AccountState = view.account(platformAccountId(hold.currency))
      ?? { id: platformAccountId(hold.currency), kind: 'platform', currency: hold.currency, balanceMinor: 0 }
    const transfer: TransferInput = {
      id: input.transferId,
      kind: 'offline_payment',
      currency: hold.currency,
      gatewayEui: input.gatewayEui,
      voucherId: input.voucherId,
      feeScheduleId: schedule.id,
      ...(input.metadata === undefined ? {} : { metadata: input.metadata }),
      postings: settlementPostings({
        amountMinor: input.amountMinor,
        holdAccountId: hold.holdAccountId,
        holdRemainingMinor: remaining_minor,
        customerAccountId: hold.walletAccountId,
        merchantAccountId: input.merchantAccountId,
        ownerAccountId: input.ownerAccountId,
        platformAccountId: platform.id,
        fee: computeFee(input.amountMinor, schedule),
      }),
    }
    // Planned against a platform account yet to be created (at zero), so a refusal creates no account.
    const balancesMinor = planTransfer(view, transfer, true, platform)
    return decided(() => {
      this.ensureSystemAccounts(view, hold.currency)
      this.writeTransfer(view, transfer, requestSha256, balancesMinor, metadataJson)
      const settled = view.settle(hold.voucherId, splitAgainstHold(input.amountMinor, remaining_minor))
      return { status: 'applied', hold: settled, transferId: input.transferId }
    })
  }

  private releaseHoldNow(voucherId: string): Settled {
    const hold = this.requireHold(voucherId)
    const transferId = holdTransferId('release', voucherId)
    const transferExists = this.statements.selectTransferContent.get(transferId) !== undefined
    if (hold.status === 'released') return { status: 'exists', hold, transferId: transferExists ? transferId : null }
    assert(!transferExists, 'a hold is released by one transfer, written with its release')
    const now_ms = this.now_ms()
    if (now_ms < hold.uploadDeadlineAtMs) {
      throw new LedgerError('HOLD_NOT_DUE', `voucher ${voucherId} may still upload records until ${hold.uploadDeadlineAtMs}`)
    }
    const remaining_minor = holdRemainingMinor(hold)
    if (remaining_minor > 0) {
      const view = new BatchView(this.reader)
      const transfer: TransferInput = {
        id: transferId,
        kind: 'voucher_release',
        currency: hold.currency,
        voucherId,
        postings: holdReleasePostings({ holdAccountId: hold.holdAccountId, walletAccountId: hold.walletAccountId, remainingMinor: remaining_minor }),
      }
      this.writeTransfer(view, transfer, contentSha256({ operation: 'release_hold', voucherId }), planTransfer(view, transfer, true))
      this.writeChanges(view)
    }
    this.statements.updateHoldRelease.run(hold.releasedMinor + remaining_minor, now_ms, voucherId)
    return { status: 'applied', hold: this.readHold(voucherId)!, transferId: remaining_minor > 0 ? transferId : null }
  }

  /** True if this exact request was applied before; a different request under the same id is a conflict. */
  /**
   * What the transfers of a call's requests hold already, read at once: the content hash of each id stored, and
   * undefined for each id that is not. An id leaves the map once the call decides its request (see isRepeat).
   */
  private storedContents(inputs: readonly SettleFromHoldInput[]): Map<string, string | undefined> {
    const ids = inputs.map(input => input?.transferId).filter(isTransferId)
    const contents = new Map<string, string | undefined>(ids.map(id => [id, undefined]))
    for (const row of this.statements.selectTransferContents.all(JSON.stringify(ids))) contents.set(row.id, row.content_sha256)
    return contents
  }

  /**
   * Whether the transfer exists with this very content (a repeat); a conflict if with another. `stored`: what a call
   * read at its start; an id decided since is read again, as the call may have written it (or rolled it back).
   */
  private isRepeat(transferId: string, requestSha256: string, stored?: Map<string, string | undefined>): boolean {
    const storedSha256 = stored?.has(transferId) === true ? stored.get(transferId) : this.statements.selectTransferContent.get(transferId)
    stored?.delete(transferId)
    if (storedSha256 === undefined) return false
    if (storedSha256 === requestSha256) return true
    throw new LedgerError('TRANSFER_CONFLICT', `transfer ${transferId} exists with different content`)
  }

  /** Writes a planned transfer and its postings, and moves the view's balances; the balances are written by writeChanges. */
  /** `metadataJson`: canonicalJson of the transfer's metadata when the caller has it already. */
  private writeTransfer(
    view: BatchView, input: TransferInput, requestSha256: string, balancesMinor: ReadonlyMap<string, number>,
    metadataJson?: string | null,
  ): void {
    assertBalanced(input.postings)
    const amount_minor = transferAmountMinor(input.postings)
    const metadata = metadataJson !== undefined ? metadataJson : input.metadata === undefined ? null : canonicalJson(input.metadata)
    const s = this.statements
    const transfer_seq = s.insertTransfer.run(input.id, input.kind, input.currency, amount_minor, input.gatewayEui ?? null,
      input.voucherId ?? null, input.feeScheduleId ?? null, metadata, requestSha256, this.now_ms()).lastInsertRowid
    input.postings.forEach((posting, index) => {
      s.insertPosting.run(transfer_seq, index, posting.accountId, posting.amountMinor, posting.role)
    })
    view.applyBalances(balancesMinor)
  }

  /** Writes each balance and hold the call changed, once, guarded by the value it was read with. */
  private writeChanges(view: BatchView): void {
    const s = this.statements
    for (const { accountId, storedMinor, balanceMinor } of view.balanceChanges()) {
      assert(s.updateBalance.run(balanceMinor, accountId, storedMinor).changes === 1,
        `account ${accountId} still holds the ${storedMinor} the call read when its balance is written`)
    }
    for (const { stored, hold } of view.holdChanges()) {
      const changes = s.updateHoldSettlement.run(hold.settledMinor, hold.excessMinor, hold.voucherId,
        stored.settledMinor, stored.excessMinor).changes
      assert(changes === 1, `hold ${hold.voucherId} still has the totals the call read when they are written`)
    }
  }

  // --- accounts, fee schedules, holds ---

  private ensureSystemAccounts(view: BatchView, currency: string): SystemAccounts {
    return {
      external: this.ensureSystemAccount(view, externalAccountId(currency), 'external', currency),
      platform: this.ensureSystemAccount(view, platformAccountId(currency), 'platform', currency),
    }
  }

  private ensureSystemAccount(view: BatchView, id: string, kind: 'external' | 'platform', currency: string): Account {
    const existing = view.account(id)
    if (existing !== undefined) {
      assert(existing.kind === kind && existing.currency === currency, `account ${id} is the ${currency} ${kind} account`)
      return existing
    }
    this.statements.insertAccount.run(id, null, kind, currency, null, this.now_ms())
    return this.created(view, id)
  }

  private ensureHoldAccount(view: BatchView, wallet: Account): Account {
    const id = holdAccountId(wallet.id)
    const existing = view.account(id)
    if (existing !== undefined) {
      assert(existing.kind === 'hold' && existing.walletAccountId === wallet.id, `account ${id} is the hold of ${wallet.id}`)
      return existing
    }
    this.statements.insertAccount.run(id, wallet.userId, 'hold', wallet.currency, wallet.id, this.now_ms())
    return this.created(view, id)
  }

  private created(view: BatchView, id: string): Account {
    const account = this.readAccount(id)
    assert(account !== undefined, `account ${id} was just inserted`)
    view.created(account)
    return account
  }

  private requireHold(voucherId: string): VoucherHold {
    if (!isIdentifier(voucherId)) throw new LedgerError('INVALID_HOLD', 'a voucher id is an identifier')
    const hold = this.readHold(voucherId)
    if (hold === undefined) throw new LedgerError('HOLD_NOT_FOUND', `no hold for voucher ${voucherId}`)
    return hold
  }

  private readAccount(id: string): Account | undefined {
    if (typeof id !== 'string') return undefined
    const row = this.statements.selectAccount.get(id)
    return row === undefined ? undefined : accountFromRow(row)
  }

  private readFeeSchedule(id: string): FeeSchedule | undefined {
    if (typeof id !== 'string') return undefined
    const row = this.statements.selectFeeSchedule.get(id)
    return row === undefined ? undefined : feeScheduleFromRow(row)
  }

  private readHold(voucherId: string): VoucherHold | undefined {
    if (typeof voucherId !== 'string') return undefined
    const row = this.statements.selectHold.get(voucherId)
    return row === undefined ? undefined : holdFromRow(row)
  }

  // --- transactions and the clock ---

  /**
   * Runs the call's synchronous work once no transaction of the connection's SqlEngine is open (options.gate), so the
   * ledger's transaction neither joins one nor reads its uncommitted rows.
   */
  private gated<T>(work: () => T): Promise<T> {
    return this.engine.exclusive(work)
  }

  private writing<T>(work: () => T): T {
    return this.inImmediateTransaction(work) as T
  }

  private reading<T>(work: () => T): T {
    return this.inTransaction(work) as T
  }

  private now_ms(): number {
    const now_ms = this.clock.now_ms()
    assert(Number.isSafeInteger(now_ms) && now_ms >= 0, 'the clock reads whole milliseconds since 1970')
    return now_ms
  }
}

function holdOutcome(transferId: string | null, work: () => Settled): HoldOutcome {
  try {
    return work()
  } catch (error) {
    if (isLedgerError(error)) return { status: statusOf(error), error, transferId }
    throw error
  }
}

/**
 * Runs the writes of a request that has been decided. A refusal from here on would leave part of the request written
 * (there is no savepoint to roll back), so it is a broken invariant and aborts the whole call instead.
 */
/**
 * The balances a transfer leaves its accounts, decided against the view; throws why it must not apply.
 * `provisional` stands for an account the request will create just before it writes (a currency's platform account).
 */
function big(value: bigint | string | undefined): bigint {
  assert(typeof value === 'bigint', 'audit sums are read as BigInt')
  return value
}

function accountFromRow(row: AccountRow): Account {
  return {
    id: row.id,
    userId: row.user_id,
    kind: row.kind,
    currency: row.currency,
    walletAccountId: row.wallet_account_id,
    balanceMinor: row.balance_minor,
    createdAtMs: row.created_at_ms,
  }
}

function transferFromRows(row: TransferRow, postings: readonly PostingRow[]): Transfer {
  return {
    id: row.id,
    kind: row.kind,
    currency: row.currency,
    amountMinor: row.amount_minor,
    gatewayEui: row.gateway_eui,
    voucherId: row.voucher_id,
    feeScheduleId: row.fee_schedule_id,
    metadata: row.metadata === null ? null : (JSON.parse(row.metadata) as Metadata),
    contentSha256: row.content_sha256,
    createdAtMs: row.created_at_ms,
    postings: postings.map((posting) => ({
      transferId: posting.transfer_id,
      postingIndex: posting.posting_index,
      accountId: posting.account_id,
      amountMinor: posting.amount_minor,
      role: posting.role,
    })),
  }
}

function feeScheduleFromRow(row: FeeScheduleRow): FeeSchedule {
  return {
    id: row.id,
    gatewayType: row.gateway_type,
    currency: row.currency,
    version: row.version,
    basisPoints: row.basis_points,
    fixedMinor: row.fixed_minor,
    ownerShareBasisPoints: row.owner_share_basis_points,
    effectiveFromMs: row.effective_from_ms,
  }
}

function holdFromRow(row: HoldRow): VoucherHold {
  return {
    voucherId: row.voucher_id,
    walletAccountId: row.wallet_account_id,
    holdAccountId: row.hold_account_id,
    currency: row.currency,
    limitMinor: row.limit_minor,
    settledMinor: row.settled_minor,
    releasedMinor: row.released_minor,
    excessMinor: row.excess_minor,
    expiresAtMs: row.expires_at_ms,
    uploadDeadlineAtMs: row.upload_deadline_at_ms,
    status: row.status,
    createdAtMs: row.created_at_ms,
    revokedAtMs: row.revoked_at_ms,
    releasedAtMs: row.released_at_ms,
  }
}
