// LedgerStore on PostgreSQL through the `pg` driver: the semantics and errors of SqliteLedgerStore (sqlite-store.ts),
// decided by the same pure modules (transfer, balances, fees, settle, batch-view), for several hubs on one database.
//
// A call is one READ COMMITTED transaction in three steps. It locks the rows it may change (the vouchers' holds, then
// the accounts, each in id order, SELECT … FOR UPDATE) and reads them, the fee schedules and the content hashes of its
// transfer ids once the locks are held, so it sees what any hub that held them before has committed. It decides every
// request against that view (BatchView over the rows read), and writes what it decided at its end, a few statements
// for the whole batch. Exactly once by transfer id: two hubs settling one record lock the same hold and the second
// finds the first's transfer; where two calls share no row (one id reused for another voucher, an account both
// create), the unique keys refuse the second's insert, and the call is run again from the start (a bounded retry, as
// on a deadlock or a serialization failure), where it answers 'exists' or 'conflict'. No in-process lock decides.

import type { Pool, PoolClient, QueryResultRow } from 'pg'
import type { Clock } from '../../protocol/clock'
import { assert } from '../../protocol/errors'
import { PG_ATTEMPTS_DEFAULT, inPgTransaction, pgRows, pgWriting, safeInteger } from '../store/pg/transaction'
import { pgQueryOn, type SqlQuery } from '../store/sql'
import { isCurrencyCode } from '../../protocol/money'
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

export interface PgLedgerStoreOptions {
  /** The clock that stamps created_at and decides whether an upload deadline has passed. */
  readonly clock: Clock
  /** How many times a call runs when another hub's transaction makes it fail (a race on a key, a deadlock). */
  readonly attemptsMax?: number
}

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
  seq: number
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
  posting_index: number | null
  account_id: string | null
  posting_amount_minor: number | null
  role: PostingRole | null
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
const HOLD_COLUMNS = `voucher_id, wallet_account_id, hold_account_id, currency, limit_minor, settled_minor, released_minor,
  excess_minor, expires_at_ms, upload_deadline_at_ms, status, created_at_ms, revoked_at_ms, released_at_ms`

/** The owner-share postings of payments at a gateway in [$fromMs, $toMs): what an owner's revenue sums. */
const OWNER_SHARES = `FROM postings p
       JOIN transfers t ON t.seq = p.transfer_seq
       JOIN accounts a ON a.id = p.account_id
       WHERE p.role = 'owner_share' AND t.kind IN ('offline_payment', 'online_payment') AND t.gateway_eui IS NOT NULL
         AND t.created_at_ms >= $1 AND t.created_at_ms < $2`

// The audit's reads, every figure as text (read as BigInt: exact whatever it adds up to); LIMIT $1 where rows are listed.
const AUDIT_SQL = {
  currencies: `SELECT a.currency, COUNT(*)::text AS account_count, SUM(a.balance_minor)::text AS balance_sum_minor,
           (SELECT COALESCE(SUM(p.amount_minor), 0) FROM postings p JOIN accounts b ON b.id = p.account_id
            WHERE b.currency = a.currency)::text AS posting_sum_minor
         FROM accounts a GROUP BY a.currency ORDER BY a.currency`,
  accountsOffPostings: `SELECT a.id AS account_id, a.balance_minor::text, COALESCE(s.posting_sum_minor, 0)::text AS posting_sum_minor
         FROM accounts a
         LEFT JOIN (SELECT account_id, SUM(amount_minor) AS posting_sum_minor FROM postings GROUP BY account_id) s
           ON s.account_id = a.id
         WHERE a.balance_minor <> COALESCE(s.posting_sum_minor, 0)
         ORDER BY a.id LIMIT $1`,
  accountsBelowDebt: `SELECT a.id AS account_id, a.kind, a.balance_minor::text, COALESCE(d.debt_minor, 0)::text AS debt_minor
         FROM accounts a
         LEFT JOIN (SELECT account_id, SUM(amount_minor) AS debt_minor FROM postings WHERE role = 'excess'
                    GROUP BY account_id) d ON d.account_id = a.id
         WHERE a.kind <> 'external' AND a.balance_minor < COALESCE(d.debt_minor, 0)
         ORDER BY a.id LIMIT $1`,
  transfers: `SELECT transfer_id, amount_minor::text, posting_count::text, posting_sum_minor::text, credit_sum_minor::text,
           foreign_currency_posting_count::text
         FROM (
           SELECT t.id AS transfer_id, t.amount_minor, COUNT(p.transfer_seq) AS posting_count,
             COALESCE(SUM(p.amount_minor), 0) AS posting_sum_minor,
             COALESCE(SUM(CASE WHEN p.amount_minor > 0 THEN p.amount_minor ELSE 0 END), 0) AS credit_sum_minor,
             COALESCE(SUM(CASE WHEN a.currency <> t.currency THEN 1 ELSE 0 END), 0) AS foreign_currency_posting_count
           FROM transfers t
           LEFT JOIN postings p ON p.transfer_seq = t.seq
           LEFT JOIN accounts a ON a.id = p.account_id
           GROUP BY t.id, t.amount_minor) s
         WHERE posting_sum_minor <> 0 OR posting_count < 2 OR credit_sum_minor <> amount_minor
           OR foreign_currency_posting_count > 0
         ORDER BY transfer_id LIMIT $1`,
  holds: `SELECT voucher_id, limit_minor::text, settled_minor::text, released_minor::text, excess_minor::text, status,
           hold_posting_sum_minor::text, excess_posting_sum_minor::text
         FROM (
           SELECT h.voucher_id, h.limit_minor, h.settled_minor, h.released_minor, h.excess_minor, h.status,
             (SELECT COALESCE(SUM(p.amount_minor), 0) FROM transfers t JOIN postings p ON p.transfer_seq = t.seq
              WHERE t.voucher_id = h.voucher_id AND p.account_id = h.hold_account_id) AS hold_posting_sum_minor,
             (SELECT COALESCE(-SUM(p.amount_minor), 0) FROM transfers t JOIN postings p ON p.transfer_seq = t.seq
              WHERE t.voucher_id = h.voucher_id AND t.kind = 'offline_payment' AND p.role = 'excess') AS excess_posting_sum_minor
           FROM voucher_holds h) s
         WHERE settled_minor + released_minor > limit_minor
           OR limit_minor - settled_minor - released_minor <> hold_posting_sum_minor
           OR excess_minor <> excess_posting_sum_minor
           OR (status = 'released' AND limit_minor - settled_minor - released_minor <> 0)
         ORDER BY voucher_id LIMIT $1`,
  holdAccounts: `SELECT account_id, balance_minor::text, open_remainder_minor::text
         FROM (
           SELECT a.id AS account_id, a.balance_minor,
             (SELECT COALESCE(SUM(h.limit_minor - h.settled_minor - h.released_minor), 0) FROM voucher_holds h
              WHERE h.hold_account_id = a.id) AS open_remainder_minor
           FROM accounts a WHERE a.kind = 'hold') s
         WHERE balance_minor <> open_remainder_minor
         ORDER BY account_id LIMIT $1`,
} as const

/** A transfer decided by the call, written when it ends. */
interface PendingTransfer {
  readonly input: TransferInput
  readonly requestSha256: string
  readonly metadataJson: string | null
}

/**
 * One transaction's rows and writes: the rows it locked and read, and what it decided to write. The view's reader
 * answers from the rows read, and refuses an id the call did not read first (that would be a read outside its locks).
 */
class PgCall {
  readonly accounts = new Map<string, Account | null>()
  readonly holds = new Map<string, VoucherHold | null>()
  readonly feeSchedules = new Map<string, FeeSchedule | null>()
  /** The content hash of each transfer id the call may write: null while none is stored or pending. */
  readonly transferContent = new Map<string, string | null>()
  readonly newAccounts: Account[] = []
  readonly newTransfers: PendingTransfer[] = []
  readonly reader: LedgerReader = {
    account: (id) => readFrom(this.accounts, id, 'account'),
    hold: (voucherId) => readFrom(this.holds, voucherId, 'hold'),
    feeSchedule: (id) => readFrom(this.feeSchedules, id, 'fee schedule'),
  }

  constructor(readonly client: PoolClient, readonly now_ms: number) {}

  async query<Row extends QueryResultRow>(text: string, values: readonly unknown[] = []): Promise<Row[]> {
    return pgRows<Row>(this.client, text, values)
  }

  /** Locks and reads the holds of these vouchers, in id order. */
  async lockHolds(voucherIds: Iterable<string>): Promise<void> {
    const ids = unread(this.holds, voucherIds)
    if (ids.length === 0) return
    for (const id of ids) this.holds.set(id, null)
    const rows = await this.query<HoldRow>(
      `SELECT ${HOLD_COLUMNS} FROM voucher_holds WHERE voucher_id = ANY($1::text[]) ORDER BY voucher_id FOR UPDATE`, [ids])
    for (const row of rows) this.holds.set(row.voucher_id, holdFromRow(row))
  }

  /** Locks and reads these accounts, in id order (after any hold: every call takes its locks in that order). */
  async lockAccounts(accountIds: Iterable<string>): Promise<void> {
    const ids = unread(this.accounts, accountIds)
    if (ids.length === 0) return
    for (const id of ids) this.accounts.set(id, null)
    const rows = await this.query<AccountRow>(
      `SELECT ${ACCOUNT_COLUMNS} FROM accounts WHERE id = ANY($1::text[]) ORDER BY id FOR UPDATE`, [ids])
    for (const row of rows) this.accounts.set(row.id, accountFromRow(row))
  }

  async readFeeSchedules(scheduleIds: Iterable<string>): Promise<void> {
    const ids = unread(this.feeSchedules, scheduleIds)
    if (ids.length === 0) return
    for (const id of ids) this.feeSchedules.set(id, null)
    const rows = await this.query<FeeScheduleRow>(
      `SELECT ${FEE_SCHEDULE_COLUMNS} FROM fee_schedules WHERE id = ANY($1::text[])`, [ids])
    for (const row of rows) this.feeSchedules.set(row.id, feeScheduleFromRow(row))
  }

  /** Read once the call's locks are held: a transfer committed by whoever held them before is seen. */
  async readTransferContent(transferIds: Iterable<string>): Promise<void> {
    const ids = unread(this.transferContent, transferIds)
    if (ids.length === 0) return
    for (const id of ids) this.transferContent.set(id, null)
    const rows = await this.query<{ id: string; content_sha256: string }>(
      'SELECT id, content_sha256 FROM transfers WHERE id = ANY($1::text[])', [ids])
    for (const row of rows) this.transferContent.set(row.id, row.content_sha256)
  }

  /** The stored or pending content hash of a transfer id the call read. */
  storedContent(transferId: string): string | undefined {
    assert(this.transferContent.has(transferId), `transfer ${transferId} was read before it is decided`)
    return this.transferContent.get(transferId) ?? undefined
  }

  /** Writes what the call decided: new accounts, transfers and postings, then each changed balance and hold once. */
  async write(view: BatchView): Promise<void> {
    if (this.newAccounts.length > 0) {
      const a = this.newAccounts
      await this.query(
        `INSERT INTO accounts (id, user_id, kind, currency, wallet_account_id, balance_minor, created_at_ms)
         SELECT id, user_id, kind, currency, wallet_account_id, 0, created_at_ms
         FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::bigint[])
           AS v(id, user_id, kind, currency, wallet_account_id, created_at_ms)`,
        [a.map(x => x.id), a.map(x => x.userId), a.map(x => x.kind), a.map(x => x.currency), a.map(x => x.walletAccountId),
          a.map(x => x.createdAtMs)])
    }
    if (this.newTransfers.length > 0) await this.writeTransfers()
    const balances = view.balanceChanges()
    if (balances.length > 0) {
      const rows = await this.query(
        `UPDATE accounts AS a SET balance_minor = v.balance_minor
         FROM unnest($1::text[], $2::bigint[], $3::bigint[]) AS v(id, balance_minor, stored_minor)
         WHERE a.id = v.id AND a.balance_minor = v.stored_minor RETURNING a.id`,
        [balances.map(x => x.accountId), balances.map(x => x.balanceMinor), balances.map(x => x.storedMinor)])
      assert(rows.length === balances.length, 'every account still holds the balance the call read when it is written')
    }
    const holds = view.holdChanges()
    if (holds.length > 0) {
      const rows = await this.query(
        `UPDATE voucher_holds AS h SET settled_minor = v.settled_minor, excess_minor = v.excess_minor
         FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::bigint[], $5::bigint[])
           AS v(voucher_id, settled_minor, excess_minor, stored_settled_minor, stored_excess_minor)
         WHERE h.voucher_id = v.voucher_id AND h.settled_minor = v.stored_settled_minor
           AND h.excess_minor = v.stored_excess_minor RETURNING h.voucher_id`,
        [holds.map(x => x.hold.voucherId), holds.map(x => x.hold.settledMinor), holds.map(x => x.hold.excessMinor),
          holds.map(x => x.stored.settledMinor), holds.map(x => x.stored.excessMinor)])
      assert(rows.length === holds.length, 'every hold still has the totals the call read when they are written')
    }
  }

  private async writeTransfers(): Promise<void> {
    const t = this.newTransfers
    // Keys are given in the order the call decided its transfers, as SQLite's rowids are.
    const rows = await this.query<{ seq: number; id: string }>(
      `INSERT INTO transfers (id, kind, currency, amount_minor, gateway_eui, voucher_id, fee_schedule_id, metadata,
         content_sha256, created_at_ms)
       SELECT id, kind, currency, amount_minor, gateway_eui, voucher_id, fee_schedule_id, metadata, content_sha256, $10
       FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[])
         WITH ORDINALITY AS v(id, kind, currency, amount_minor, gateway_eui, voucher_id, fee_schedule_id, metadata, content_sha256, n)
       ORDER BY n
       RETURNING seq, id`,
      [t.map(x => x.input.id), t.map(x => x.input.kind), t.map(x => x.input.currency),
        t.map(x => transferAmountMinor(x.input.postings)), t.map(x => x.input.gatewayEui ?? null),
        t.map(x => x.input.voucherId ?? null), t.map(x => x.input.feeScheduleId ?? null), t.map(x => x.metadataJson),
        t.map(x => x.requestSha256), this.now_ms])
    const seqById = new Map(rows.map(row => [row.id, row.seq]))
    const seqs: number[] = []
    const indexes: number[] = []
    const accountIds: string[] = []
    const amounts: number[] = []
    const roles: string[] = []
    for (const { input } of t) {
      const seq = seqById.get(input.id)
      assert(seq !== undefined, `transfer ${input.id} was inserted`)
      input.postings.forEach((posting, index) => {
        seqs.push(seq)
        indexes.push(index)
        accountIds.push(posting.accountId)
        amounts.push(posting.amountMinor)
        roles.push(posting.role)
      })
    }
    await this.query(
      `INSERT INTO postings (transfer_seq, posting_index, account_id, amount_minor, role)
       SELECT * FROM unnest($1::bigint[], $2::int[], $3::text[], $4::bigint[], $5::text[])`,
      [seqs, indexes, accountIds, amounts, roles])
  }
}

export class PgLedgerStore implements LedgerStore {
  private readonly clock: Clock
  private readonly attemptLimit: number

  /**
   * Over a pool whose connections see the ledger's schema (migratePg has run on it). The pool's connections must keep
   * PostgreSQL's defaults for isolation (READ COMMITTED) and synchronous_commit (on): a commit is then on disk.
   */
  constructor(private readonly pool: Pool, options: PgLedgerStoreOptions) {
    assert(typeof options.clock?.now_ms === 'function', 'the ledger needs a clock')
    this.clock = options.clock
    this.attemptLimit = options.attemptsMax ?? PG_ATTEMPTS_DEFAULT
    assert(Number.isSafeInteger(this.attemptLimit) && this.attemptLimit >= 1, 'a call is attempted at least once')
  }

  async openWallet(input: OpenWalletInput): Promise<Account> {
    if (typeof input !== 'object' || input === null || !isWalletAccountId(input.id)) {
      throw new LedgerError('INVALID_ACCOUNT', 'a wallet id is an identifier outside the reserved prefixes')
    }
    if (input.userId !== null && !isIdentifier(input.userId)) throw new LedgerError('INVALID_ACCOUNT', 'bad user id')
    if (!isCurrencyCode(input.currency)) throw new LedgerError('INVALID_ACCOUNT', `unknown currency ${input.currency}`)
    return this.writing(async (call) => {
      await call.lockAccounts([input.id])
      const existing = call.accounts.get(input.id)
      if (existing != null) {
        if (existing.kind === 'wallet' && existing.userId === input.userId && existing.currency === input.currency) {
          return existing
        }
        throw new LedgerError('ACCOUNT_CONFLICT', `account ${input.id} exists with other fields`)
      }
      const view = new BatchView(call.reader)
      const account = createAccount(call, view, input.id, input.userId, 'wallet', input.currency, null)
      await call.write(view)
      return account
    })
  }

  async openFundedWallets(inputs: readonly FundedWalletInput[], alsoWrite?: (sql: SqlQuery) => Promise<void>): Promise<void> {
    assertBatch(inputs)
    for (const input of inputs) {
      const wallet = input?.wallet
      if (typeof wallet !== 'object' || wallet === null || !isWalletAccountId(wallet.id)) {
        throw new LedgerError('INVALID_ACCOUNT', 'a wallet id is an identifier outside the reserved prefixes')
      }
      if (wallet.userId !== null && !isIdentifier(wallet.userId)) throw new LedgerError('INVALID_ACCOUNT', 'bad user id')
      if (!isCurrencyCode(wallet.currency)) throw new LedgerError('INVALID_ACCOUNT', `unknown currency ${wallet.currency}`)
      const problem = placeHoldProblem(input.hold)
      if (problem !== undefined) throw problem
    }
    await this.writing(async (call) => {
      // One view for the whole call (a call writes once): wallets, cash-ins, holds, in order; any refusal throws.
      await call.lockHolds(inputs.map(input => input.hold.voucherId))
      await call.lockAccounts(inputs.flatMap(input => [
        input.wallet.id, holdAccountId(input.wallet.id), externalAccountId(input.wallet.currency), platformAccountId(input.wallet.currency),
      ]))
      await call.readTransferContent(inputs.flatMap(input => [input.cashIn?.id, holdTransferId('place', input.hold.voucherId)]
        .filter((id): id is string => typeof id === 'string')))
      const view = new BatchView(call.reader)
      const holds: Array<{ input: PlaceHoldInput; wallet: Account; holdAccount: Account }> = []
      for (const input of inputs) {
        const wallet = openWalletIn(call, view, input.wallet)
        if (input.cashIn?.currency !== wallet.currency || input.cashIn.kind !== 'cash_in') {
          throw new LedgerError('INVALID_TRANSFER', `a funded wallet is cashed in, in its own currency (${wallet.currency})`)
        }
        ensureSystemAccounts(call, view, wallet.currency)
        applyTransfer(call, view, input.cashIn)
        const placed = placeHoldIn(call, view, input.hold)
        if (placed !== undefined) holds.push({ input: input.hold, ...placed })
      }
      await call.write(view)
      if (holds.length > 0) {
        await call.query(
          `INSERT INTO voucher_holds (voucher_id, wallet_account_id, hold_account_id, currency, limit_minor, expires_at_ms,
             upload_deadline_at_ms, status, created_at_ms)
           SELECT voucher_id, wallet_account_id, hold_account_id, currency, limit_minor, expires_at_ms, upload_deadline_at_ms, 'active', $8
           FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[], $6::bigint[], $7::bigint[])
             AS v(voucher_id, wallet_account_id, hold_account_id, currency, limit_minor, expires_at_ms, upload_deadline_at_ms)`,
          [holds.map(h => h.input.voucherId), holds.map(h => h.wallet.id), holds.map(h => h.holdAccount.id), holds.map(h => h.wallet.currency),
            holds.map(h => h.input.limitMinor), holds.map(h => h.input.expiresAtMs), holds.map(h => h.input.uploadDeadlineAtMs), call.now_ms])
      }
      // On the call's own connection, as settleFromHolds: the caller's rows commit with the wallets.
      if (alsoWrite !== undefined) await alsoWrite(pgQueryOn(call.client))
    })
  }

  async systemAccounts(currency: string): Promise<SystemAccounts> {
    if (!isCurrencyCode(currency)) throw new LedgerError('INVALID_ACCOUNT', `unknown currency ${String(currency)}`)
    return this.writing(async (call) => {
      await call.lockAccounts([externalAccountId(currency), platformAccountId(currency)])
      const view = new BatchView(call.reader)
      const accounts = ensureSystemAccounts(call, view, currency)
      await call.write(view)
      return accounts
    })
  }

  async holdAccount(walletAccountId: string): Promise<Account> {
    return this.writing(async (call) => {
      const ids = typeof walletAccountId === 'string' ? [walletAccountId] : []
      if (isWalletAccountId(walletAccountId)) ids.push(holdAccountId(walletAccountId))
      await call.lockAccounts(ids)
      const view = new BatchView(call.reader)
      const wallet = requireWallet(typeof walletAccountId === 'string' ? view.account(walletAccountId) : undefined, walletAccountId)
      const account = ensureHoldAccount(call, view, wallet)
      await call.write(view)
      return account
    })
  }

  async account(id: string): Promise<Account | undefined> {
    if (typeof id !== 'string') return undefined
    const rows = await this.read(call => call.query<AccountRow>(`SELECT ${ACCOUNT_COLUMNS} FROM accounts WHERE id = $1`, [id]))
    return rows[0] === undefined ? undefined : accountFromRow(rows[0])
  }

  async applyTransfers(
    inputs: readonly TransferInput[], alsoWrite?: (outcomes: readonly TransferOutcome[], sql: SqlQuery) => Promise<void>,
  ): Promise<TransferOutcome[]> {
    assertBatch(inputs)
    return this.writing(async (call) => {
      const accountIds = new Set<string>()
      const scheduleIds = new Set<string>()
      const transferIds = new Set<string>()
      for (const input of inputs) {
        if (typeof input !== 'object' || input === null) continue
        if (typeof input.id === 'string') transferIds.add(input.id)
        if (typeof input.feeScheduleId === 'string') scheduleIds.add(input.feeScheduleId)
        if (!Array.isArray(input.postings)) continue
        for (const posting of input.postings as readonly unknown[]) {
          const accountId = (posting as { accountId?: unknown } | null)?.accountId
          if (typeof accountId === 'string') accountIds.add(accountId)
        }
      }
      await call.lockAccounts(accountIds)
      await call.readFeeSchedules(scheduleIds)
      await call.readTransferContent(transferIds)
      const view = new BatchView(call.reader)
      const outcomes = inputs.map((input): TransferOutcome => {
        const transferId = String(input?.id)
        try {
          return { status: applyTransfer(call, view, input), transferId }
        } catch (error) {
          if (isLedgerError(error)) return { status: statusOf(error), transferId, error }
          throw error
        }
      })
      await call.write(view)
      if (alsoWrite !== undefined) await alsoWrite(outcomes, pgQueryOn(call.client))
      return outcomes
    })
  }

  async transfer(id: string): Promise<Transfer | undefined> {
    if (typeof id !== 'string') return undefined
    const rows = await this.read(call => call.query<TransferRow>(
      `SELECT t.seq, t.id, t.kind, t.currency, t.amount_minor, t.gateway_eui, t.voucher_id, t.fee_schedule_id, t.metadata,
         t.content_sha256, t.created_at_ms, p.posting_index, p.account_id, p.amount_minor AS posting_amount_minor, p.role
       FROM transfers t LEFT JOIN postings p ON p.transfer_seq = t.seq WHERE t.id = $1 ORDER BY p.posting_index`, [id]))
    return rows[0] === undefined ? undefined : transferFromRows(rows)
  }

  async addFeeSchedule(schedule: FeeSchedule, alsoWrite?: (sql: SqlQuery) => Promise<void>): Promise<'applied' | 'exists'> {
    const problem = feeScheduleProblem(schedule)
    if (problem !== undefined) throw problem
    return this.writing(async (call) => {
      await call.readFeeSchedules([schedule.id])
      const existing = call.feeSchedules.get(schedule.id)
      if (existing != null) {
        if (sameFeeSchedule(existing, schedule)) return 'exists'
        throw new LedgerError('FEE_SCHEDULE_CONFLICT', `fee schedule ${schedule.id} exists with other terms`)
      }
      const [sameVersion] = await call.query<{ id: string }>(
        'SELECT id FROM fee_schedules WHERE gateway_type = $1 AND currency = $2 AND version = $3',
        [schedule.gatewayType, schedule.currency, schedule.version])
      if (sameVersion !== undefined) {
        throw new LedgerError('FEE_SCHEDULE_CONFLICT',
          `${schedule.gatewayType} ${schedule.currency} version ${schedule.version} is schedule ${sameVersion.id}`)
      }
      await call.query(
        `INSERT INTO fee_schedules (id, gateway_type, currency, version, basis_points, fixed_minor,
           owner_share_basis_points, effective_from_ms, created_at_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
        [schedule.id, schedule.gatewayType, schedule.currency, schedule.version, schedule.basisPoints, schedule.fixedMinor,
          schedule.ownerShareBasisPoints, schedule.effectiveFromMs, call.now_ms])
      if (alsoWrite !== undefined) await alsoWrite(pgQueryOn(call.client))
      return 'applied'
    })
  }

  async feeSchedule(id: string): Promise<FeeSchedule | undefined> {
    if (typeof id !== 'string') return undefined
    const rows = await this.read(call => call.query<FeeScheduleRow>(`SELECT ${FEE_SCHEDULE_COLUMNS} FROM fee_schedules WHERE id = $1`, [id]))
    return rows[0] === undefined ? undefined : feeScheduleFromRow(rows[0])
  }

  async feeSchedules(filter: FeeScheduleFilter): Promise<FeeSchedule[]> {
    const rows = await this.read(call => call.query<FeeScheduleRow>(
      `SELECT ${FEE_SCHEDULE_COLUMNS} FROM fee_schedules
       WHERE ($1::text IS NULL OR gateway_type = $1) AND ($2::text IS NULL OR currency = $2)
       ORDER BY gateway_type, currency, version LIMIT $3`,
      [filter.gatewayType ?? null, filter.currency ?? null, FEE_SCHEDULES_LIST_MAX]))
    return rows.map(feeScheduleFromRow)
  }

  async placeHold(input: PlaceHoldInput): Promise<HoldOutcome> {
    const transferId = isIdentifier(input?.voucherId) ? holdTransferId('place', input.voucherId) : null
    return holdOutcome(transferId, () => this.writing(call => placeHoldNow(call, input)))
  }

  async settleFromHolds(
    inputs: readonly SettleFromHoldInput[], alsoWrite?: (outcomes: readonly HoldOutcome[], sql: SqlQuery) => Promise<void>,
  ): Promise<HoldOutcome[]> {
    assertBatch(inputs)
    return this.writing(async (call) => {
      const voucherIds = new Set<string>()
      const accountIds = new Set<string>()
      const scheduleIds = new Set<string>()
      const transferIds = new Set<string>()
      for (const input of inputs) {
        if (typeof input !== 'object' || input === null) continue
        if (typeof input.voucherId === 'string') voucherIds.add(input.voucherId)
        if (typeof input.merchantAccountId === 'string') accountIds.add(input.merchantAccountId)
        if (typeof input.ownerAccountId === 'string') accountIds.add(input.ownerAccountId)
        if (typeof input.feeScheduleId === 'string') scheduleIds.add(input.feeScheduleId)
        if (typeof input.transferId === 'string') transferIds.add(input.transferId)
      }
      await call.lockHolds(voucherIds)
      for (const hold of call.holds.values()) {
        if (hold === null) continue
        accountIds.add(hold.walletAccountId).add(hold.holdAccountId)
          .add(externalAccountId(hold.currency)).add(platformAccountId(hold.currency))
      }
      await call.lockAccounts(accountIds)
      await call.readFeeSchedules(scheduleIds)
      await call.readTransferContent(transferIds)
      const view = new BatchView(call.reader)
      const outcomes = inputs.map((input) => {
        const transferId = isTransferId(input?.transferId) ? input.transferId : null
        return decidedOutcome(transferId, () => settleFromHold(call, view, input))
      })
      await call.write(view)
      // On the call's own connection: the caller's rows commit with the settlement, under the locks it holds.
      if (alsoWrite !== undefined) await alsoWrite(outcomes, pgQueryOn(call.client))
      return outcomes
    })
  }

  /** A commit is on disk when it returns (synchronous_commit on): nothing is left to wait for. */
  settlementsDurable(): Promise<void> {
    return Promise.resolve()
  }

  async releaseHold(voucherId: string): Promise<HoldOutcome> {
    const transferId = isIdentifier(voucherId) ? holdTransferId('release', voucherId) : null
    return holdOutcome(transferId, () => this.writing(call => releaseHoldNow(call, voucherId)))
  }

  async revokeHold(voucherId: string): Promise<HoldOutcome> {
    return holdOutcome(null, () => this.writing(async (call): Promise<Settled> => {
      const hold = await requireHold(call, voucherId)
      if (hold.status !== 'active') return { status: 'exists', hold, transferId: null }
      const rows = await call.query<HoldRow>(
        `UPDATE voucher_holds SET status = 'revoked', revoked_at_ms = $1 WHERE voucher_id = $2 AND status = 'active'
         RETURNING ${HOLD_COLUMNS}`, [call.now_ms, voucherId])
      assert(rows.length === 1, 'an active hold is revoked once')
      return { status: 'applied', hold: holdFromRow(rows[0]!), transferId: null }
    }))
  }

  async hold(voucherId: string): Promise<VoucherHold | undefined> {
    if (typeof voucherId !== 'string') return undefined
    const rows = await this.read(call => call.query<HoldRow>(`SELECT ${HOLD_COLUMNS} FROM voucher_holds WHERE voucher_id = $1`, [voucherId]))
    return rows[0] === undefined ? undefined : holdFromRow(rows[0])
  }

  async ownerRevenue(selection: OwnerRevenueSelection): Promise<OwnerRevenueRow[]> {
    const rows = await this.read(call => call.query<{
      owner_user_id: string | null; owner_account_id: string; gateway_eui: string; currency: string; period: string
      revenue_minor: string; payment_count: number
    }>(
      `SELECT a.user_id AS owner_user_id, p.account_id AS owner_account_id, t.gateway_eui, t.currency,
         to_char(to_timestamp(floor(t.created_at_ms / 1000)) AT TIME ZONE 'UTC', $3) AS period,
         SUM(p.amount_minor) AS revenue_minor, COUNT(*) AS payment_count
       ${OWNER_SHARES}
         AND ($4::text IS NULL OR a.user_id = $4) AND ($5::text IS NULL OR t.gateway_eui = $5)
       GROUP BY period, p.account_id, a.user_id, t.gateway_eui, t.currency
       ORDER BY period, p.account_id, t.gateway_eui, t.currency
       LIMIT $6`,
      [selection.fromMs, selection.toMs, selection.period === 'day' ? 'YYYY-MM-DD' : 'YYYY-MM',
        selection.ownerUserId, selection.gatewayEui, selection.rowsMax]))
    return rows.map((row) => ({
      ownerUserId: row.owner_user_id,
      ownerAccountId: row.owner_account_id,
      gatewayEui: row.gateway_eui,
      currency: row.currency,
      period: row.period,
      revenueMinor: safeInteger(row.revenue_minor),
      paymentCount: row.payment_count,
    }))
  }

  async ownerRevenueTotals(selection: { ownerUserId: string; fromMs: number; toMs: number }): Promise<OwnerRevenueTotal[]> {
    const rows = await this.read(call => call.query<{ currency: string; revenue_minor: string; payment_count: number }>(
      `SELECT t.currency, SUM(p.amount_minor) AS revenue_minor, COUNT(*) AS payment_count
       ${OWNER_SHARES} AND a.user_id = $3
       GROUP BY t.currency ORDER BY t.currency`, [selection.fromMs, selection.toMs, selection.ownerUserId]))
    return rows.map((row) => ({
      currency: row.currency, revenueMinor: safeInteger(row.revenue_minor), paymentCount: row.payment_count,
    }))
  }

  async audit(): Promise<LedgerAudit> {
    return this.read(async (call): Promise<LedgerAudit> => {
      const rows: Partial<Record<keyof typeof AUDIT_SQL, Record<string, string>[]>> = {}
      for (const [name, sql] of Object.entries(AUDIT_SQL) as Array<[keyof typeof AUDIT_SQL, string]>) {
        rows[name] = await call.query<Record<string, string>>(sql, name === 'currencies' ? [] : [AUDIT_ROWS_PER_CHECK_MAX])
      }
      return auditFromRows(rows as Record<keyof typeof AUDIT_SQL, Record<string, string>[]>)
    }, 'REPEATABLE READ')
  }

  // --- transactions and the clock ---

  /** Runs `work` in a transaction, again from the start (bounded) when another transaction won a race it lost. */
  private writing<T>(work: (call: PgCall) => Promise<T>): Promise<T> {
    return pgWriting(this.pool, client => work(new PgCall(client, this.now_ms())), { attempts: this.attemptLimit })
  }

  /** One snapshot for the whole read when `isolation` is REPEATABLE READ; a read-only transaction either way. */
  private read<T>(work: (call: PgCall) => Promise<T>, isolation: 'READ COMMITTED' | 'REPEATABLE READ' = 'READ COMMITTED'): Promise<T> {
    return inPgTransaction(this.pool, client => work(new PgCall(client, this.now_ms())), isolation, true)
  }

  private now_ms(): number {
    const now_ms = this.clock.now_ms()
    assert(Number.isSafeInteger(now_ms) && now_ms >= 0, 'the clock reads whole milliseconds since 1970')
    return now_ms
  }
}

// --- money operations, inside the call's transaction. A request of a batch is decided against the call's view and
// throws its LedgerError (its refusal) before it adds anything to write, so a refusal leaves nothing behind ---

function applyTransfer(call: PgCall, view: BatchView, input: TransferInput): 'applied' | 'exists' {
  const problem = transferInputProblem(input)
  if (problem !== undefined) throw problem
  if (HOLD_OPERATION_KINDS.includes(input.kind)) {
    throw new LedgerError('INVALID_TRANSFER', `${input.kind} transfers are made by the hold operations`)
  }
  const requestSha256 = transferRequestSha256(input)
  if (isRepeat(call, input.id, requestSha256)) return 'exists'
  const balancesMinor = planTransfer(view, input, false)
  return decided(() => {
    addTransfer(call, view, input, requestSha256, balancesMinor)
    return 'applied'
  })
}

/** A wallet opened in the call's view, or the same one found (as openWallet: other fields are a conflict). */
function openWalletIn(call: PgCall, view: BatchView, input: OpenWalletInput): Account {
  const existing = view.account(input.id)
  if (existing !== undefined) {
    if (existing.kind === 'wallet' && existing.userId === input.userId && existing.currency === input.currency) return existing
    throw new LedgerError('ACCOUNT_CONFLICT', `account ${input.id} exists with other fields`)
  }
  return createAccount(call, view, input.id, input.userId, 'wallet', input.currency, null)
}

/**
 * A hold placed in the call's view (its transfer added; its row for the caller to insert once the view is written),
 * or undefined when it was placed before with the same terms. The holds and accounts were locked, the transfer read.
 */
function placeHoldIn(call: PgCall, view: BatchView, input: PlaceHoldInput): { wallet: Account; holdAccount: Account } | undefined {
  const transferId = holdTransferId('place', input.voucherId)
  const requestSha256 = placeHoldSha256(input)
  if (isRepeat(call, transferId, requestSha256)) return undefined
  assert(call.holds.get(input.voucherId) === null, 'a hold exists only with the transfer that placed it')
  const wallet = requireWallet(view.account(input.walletAccountId), input.walletAccountId)
  const holdAccount = ensureHoldAccount(call, view, wallet)
  const transfer: TransferInput = {
    id: transferId,
    kind: 'voucher_hold',
    currency: wallet.currency,
    voucherId: input.voucherId,
    postings: holdPlacementPostings({ walletAccountId: wallet.id, holdAccountId: holdAccount.id, limitMinor: input.limitMinor }),
  }
  addTransfer(call, view, transfer, requestSha256, planTransfer(view, transfer, true))
  return { wallet, holdAccount }
}

function placeHoldSha256(input: PlaceHoldInput): string {
  return contentSha256({
    operation: 'place_hold',
    voucherId: input.voucherId,
    walletAccountId: input.walletAccountId,
    limitMinor: input.limitMinor,
    expiresAtMs: input.expiresAtMs,
    uploadDeadlineAtMs: input.uploadDeadlineAtMs,
  })
}

async function placeHoldNow(call: PgCall, input: PlaceHoldInput): Promise<Settled> {
  const problem = placeHoldProblem(input)
  if (problem !== undefined) throw problem
  const transferId = holdTransferId('place', input.voucherId)
  const requestSha256 = placeHoldSha256(input)
  await call.lockHolds([input.voucherId])
  await call.lockAccounts([input.walletAccountId, holdAccountId(input.walletAccountId)])
  await call.readTransferContent([transferId])
  if (isRepeat(call, transferId, requestSha256)) {
    const hold = call.holds.get(input.voucherId)
    assert(hold != null, 'a placed hold is stored with the transfer that placed it')
    return { status: 'exists', hold, transferId }
  }
  assert(call.holds.get(input.voucherId) === null, 'a hold exists only with the transfer that placed it')
  const view = new BatchView(call.reader)
  const wallet = requireWallet(view.account(input.walletAccountId), input.walletAccountId)
  const holdAccount = ensureHoldAccount(call, view, wallet)
  const transfer: TransferInput = {
    id: transferId,
    kind: 'voucher_hold',
    currency: wallet.currency,
    voucherId: input.voucherId,
    postings: holdPlacementPostings({ walletAccountId: wallet.id, holdAccountId: holdAccount.id, limitMinor: input.limitMinor }),
  }
  addTransfer(call, view, transfer, requestSha256, planTransfer(view, transfer, true))
  await call.write(view)
  const rows = await call.query<HoldRow>(
    `INSERT INTO voucher_holds (voucher_id, wallet_account_id, hold_account_id, currency, limit_minor, expires_at_ms,
       upload_deadline_at_ms, status, created_at_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, 'active', $8)
     RETURNING ${HOLD_COLUMNS}`,
    [input.voucherId, wallet.id, holdAccount.id, wallet.currency, input.limitMinor, input.expiresAtMs,
      input.uploadDeadlineAtMs, call.now_ms])
  return { status: 'applied', hold: holdFromRow(rows[0]!), transferId }
}

function settleFromHold(call: PgCall, view: BatchView, input: SettleFromHoldInput): Settled {
  const problem = settleFromHoldProblem(input)
  if (problem !== undefined) throw problem
  const metadataJson = input.metadata === undefined ? null : canonicalJson(input.metadata)
  if (metadataJson !== null && metadataJson.length > METADATA_LENGTH_MAX_CHARS) {
    throw new LedgerError('INVALID_TRANSFER', `metadata exceeds ${METADATA_LENGTH_MAX_CHARS} characters`)
  }
  const requestSha256 = settleFromHoldSha256(input, metadataJson ?? 'null')
  const hold = view.hold(input.voucherId)
  if (isRepeat(call, input.transferId, requestSha256)) {
    assert(hold !== undefined, 'a settled voucher has its hold')
    return { status: 'exists', hold, transferId: input.transferId }
  }
  if (hold === undefined) throw new LedgerError('HOLD_NOT_FOUND', `no hold for voucher ${input.voucherId}`)
  const schedule = view.feeSchedule(input.feeScheduleId)
  if (schedule === undefined) throw new LedgerError('UNKNOWN_FEE_SCHEDULE', `no fee schedule ${input.feeScheduleId}`)
  if (schedule.currency !== hold.currency) {
    throw new LedgerError('CURRENCY_MISMATCH', `fee schedule ${schedule.id} is for ${schedule.currency}, the voucher ${hold.currency}`)
  }
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
  const balancesMinor = planTransfer(view, transfer, true, platform)
  return decided(() => {
    ensureSystemAccounts(call, view, hold.currency)
    addTransfer(call, view, transfer, requestSha256, balancesMinor, metadataJson)
    const settled = view.settle(hold.voucherId, splitAgainstHold(input.amountMinor, remaining_minor))
    return { status: 'applied', hold: settled, transferId: input.transferId }
  })
}

async function releaseHoldNow(call: PgCall, voucherId: string): Promise<Settled> {
  const hold = await requireHold(call, voucherId)
  const transferId = holdTransferId('release', voucherId)
  await call.lockAccounts([hold.walletAccountId, hold.holdAccountId])
  await call.readTransferContent([transferId])
  const transferExists = call.storedContent(transferId) !== undefined
  if (hold.status === 'released') return { status: 'exists', hold, transferId: transferExists ? transferId : null }
  assert(!transferExists, 'a hold is released by one transfer, written with its release')
  if (call.now_ms < hold.uploadDeadlineAtMs) {
    throw new LedgerError('HOLD_NOT_DUE', `voucher ${voucherId} may still upload records until ${hold.uploadDeadlineAtMs}`)
  }
  const remaining_minor = holdRemainingMinor(hold)
  if (remaining_minor > 0) {
    const view = new BatchView(call.reader)
    const transfer: TransferInput = {
      id: transferId,
      kind: 'voucher_release',
      currency: hold.currency,
      voucherId,
      postings: holdReleasePostings({ holdAccountId: hold.holdAccountId, walletAccountId: hold.walletAccountId, remainingMinor: remaining_minor }),
    }
    addTransfer(call, view, transfer, contentSha256({ operation: 'release_hold', voucherId }), planTransfer(view, transfer, true))
    await call.write(view)
  }
  const rows = await call.query<HoldRow>(
    `UPDATE voucher_holds SET released_minor = $1, status = 'released', released_at_ms = $2 WHERE voucher_id = $3
     RETURNING ${HOLD_COLUMNS}`, [hold.releasedMinor + remaining_minor, call.now_ms, voucherId])
  return { status: 'applied', hold: holdFromRow(rows[0]!), transferId: remaining_minor > 0 ? transferId : null }
}

/** True if this exact request was applied before (or earlier in the call); another request under the same id is a conflict. */
function isRepeat(call: PgCall, transferId: string, requestSha256: string): boolean {
  const storedSha256 = call.storedContent(transferId)
  if (storedSha256 === undefined) return false
  if (storedSha256 === requestSha256) return true
  throw new LedgerError('TRANSFER_CONFLICT', `transfer ${transferId} exists with different content`)
}

/** Adds a planned transfer to the call's writes and moves the view's balances. */
function addTransfer(
  call: PgCall, view: BatchView, input: TransferInput, requestSha256: string, balancesMinor: ReadonlyMap<string, number>,
  metadataJson?: string | null,
): void {
  assertBalanced(input.postings)
  assert(call.storedContent(input.id) === undefined, `transfer ${input.id} is written once`)
  const metadata = metadataJson !== undefined ? metadataJson : input.metadata === undefined ? null : canonicalJson(input.metadata)
  call.newTransfers.push({ input, requestSha256, metadataJson: metadata })
  call.transferContent.set(input.id, requestSha256)
  view.applyBalances(balancesMinor)
}

// --- accounts and holds ---

function ensureSystemAccounts(call: PgCall, view: BatchView, currency: string): SystemAccounts {
  return {
    external: ensureSystemAccount(call, view, externalAccountId(currency), 'external', currency),
    platform: ensureSystemAccount(call, view, platformAccountId(currency), 'platform', currency),
  }
}

function ensureSystemAccount(call: PgCall, view: BatchView, id: string, kind: 'external' | 'platform', currency: string): Account {
  const existing = view.account(id)
  if (existing !== undefined) {
    assert(existing.kind === kind && existing.currency === currency, `account ${id} is the ${currency} ${kind} account`)
    return existing
  }
  return createAccount(call, view, id, null, kind, currency, null)
}

function ensureHoldAccount(call: PgCall, view: BatchView, wallet: Account): Account {
  const id = holdAccountId(wallet.id)
  const existing = view.account(id)
  if (existing !== undefined) {
    assert(existing.kind === 'hold' && existing.walletAccountId === wallet.id, `account ${id} is the hold of ${wallet.id}`)
    return existing
  }
  return createAccount(call, view, id, wallet.userId, 'hold', wallet.currency, wallet.id)
}

/** An account the call will insert (at zero) when it writes, known to its view from now on. */
function createAccount(
  call: PgCall, view: BatchView, id: string, userId: string | null, kind: AccountKind, currency: string, walletAccountId: string | null,
): Account {
  const account: Account = { id, userId, kind, currency, walletAccountId, balanceMinor: 0, createdAtMs: call.now_ms }
  call.newAccounts.push(account)
  view.created(account)
  return account
}

async function requireHold(call: PgCall, voucherId: string): Promise<VoucherHold> {
  if (!isIdentifier(voucherId)) throw new LedgerError('INVALID_HOLD', 'a voucher id is an identifier')
  await call.lockHolds([voucherId])
  const hold = call.holds.get(voucherId)
  if (hold == null) throw new LedgerError('HOLD_NOT_FOUND', `no hold for voucher ${voucherId}`)
  return hold
}

// --- pure helpers, as in sqlite-store.ts ---

function readFrom<T>(rows: ReadonlyMap<string, T | null>, id: string, what: string): T | undefined {
  assert(rows.has(id), `the call read ${what} ${id} (under its lock) before deciding on it`)
  return rows.get(id) ?? undefined
}

function unread(rows: ReadonlyMap<string, unknown>, ids: Iterable<string>): string[] {
  return [...new Set(ids)].filter(id => !rows.has(id)).sort()
}

function decidedOutcome(transferId: string | null, work: () => Settled): HoldOutcome {
  try {
    return work()
  } catch (error) {
    if (isLedgerError(error)) return { status: statusOf(error), error, transferId }
    throw error
  }
}

async function holdOutcome(transferId: string | null, work: () => Promise<Settled>): Promise<HoldOutcome> {
  try {
    return await work()
  } catch (error) {
    if (isLedgerError(error)) return { status: statusOf(error), error, transferId }
    throw error
  }
}

function auditFromRows(rows: Readonly<Record<keyof typeof AUDIT_SQL, readonly Record<string, string>[]>>): LedgerAudit {
  return {
    currencies: rows.currencies.map((row) => ({
      currency: String(row.currency),
      accountCount: Number(row.account_count),
      balanceSumMinor: big(row.balance_sum_minor),
      postingSumMinor: big(row.posting_sum_minor),
    })),
    accountsOffPostings: rows.accountsOffPostings.map((row) => ({
      accountId: String(row.account_id), balanceMinor: big(row.balance_minor), postingSumMinor: big(row.posting_sum_minor),
    })),
    accountsBelowDebt: rows.accountsBelowDebt.map((row) => ({
      accountId: String(row.account_id),
      kind: String(row.kind) as AccountKind,
      balanceMinor: big(row.balance_minor),
      debtMinor: big(row.debt_minor),
    })),
    transfersMisrecorded: rows.transfers.map((row) => ({
      transferId: String(row.transfer_id),
      amountMinor: big(row.amount_minor),
      postingCount: Number(row.posting_count),
      postingSumMinor: big(row.posting_sum_minor),
      creditSumMinor: big(row.credit_sum_minor),
      foreignCurrencyPostingCount: Number(row.foreign_currency_posting_count),
    })),
    holdsMisrecorded: rows.holds.map((row) => ({
      voucherId: String(row.voucher_id),
      limitMinor: big(row.limit_minor),
      settledMinor: big(row.settled_minor),
      releasedMinor: big(row.released_minor),
      excessMinor: big(row.excess_minor),
      status: String(row.status) as HoldStatus,
      holdPostingSumMinor: big(row.hold_posting_sum_minor),
      excessPostingSumMinor: big(row.excess_posting_sum_minor),
    })),
    holdAccountsOffRemainders: rows.holdAccounts.map((row) => ({
      accountId: String(row.account_id),
      balanceMinor: big(row.balance_minor),
      openRemainderMinor: big(row.open_remainder_minor),
    })),
  }
}

function big(value: string | undefined): bigint {
  assert(typeof value === 'string' && /^-?[0-9]+$/.test(value), 'audit figures are read as integer text')
  return BigInt(value)
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

function transferFromRows(rows: readonly TransferRow[]): Transfer {
  const row = rows[0]!
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
    postings: rows.filter(posting => posting.posting_index !== null).map((posting) => ({
      transferId: posting.id,
      postingIndex: posting.posting_index!,
      accountId: posting.account_id!,
      amountMinor: posting.posting_amount_minor!,
      role: posting.role!,
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
