// The accounts behind a mobile user: their ledger wallets (balance and what vouchers hold) and the bank or
// wallet account numbers they linked with POST /api/auth/binding. Also what GET /api/auth/device/user lists.

import { allCurrencies, formatAmount } from '../../protocol/money'
import { walletAccountId } from '../accounts'
import { holdAccountId } from '../ledger/ids'
import type { Account } from '../ledger/model'
import type { LedgerStore } from '../ledger/store'
import { lockKey } from '../store/key-lock'
import type { SqlEngine, SqlQuery } from '../store/sql'

/** Account numbers one user may link. */
const LINKS_PER_USER_MAX = 10

export type LinkKind = 'wallet' | 'bank'

export interface AccountLink {
  readonly accountNo: string
  readonly kind: LinkKind
  readonly linkedAtMs: number
}

export type LinkOutcome = 'linked' | 'exists' | 'taken' | 'full'

export class AccountLinks {
  constructor(private readonly engine: SqlEngine) {}

  /**
   * An account number belongs to one user: 'taken' when it is someone else's. The primary key decides between two
   * hubs linking one number at once (the loser's write runs again and reads the winner's row); the user's links pass
   * the cap one at a time (key-lock.ts).
   */
  link(userId: string, accountNo: string, kind: LinkKind, now_ms: number): Promise<LinkOutcome> {
    return this.engine.write(sql => this.linkIn(sql, userId, accountNo, kind, now_ms))
  }

  /** As link, in the caller's transaction (the legacy import's). */
  async linkIn(sql: SqlQuery, userId: string, accountNo: string, kind: LinkKind, now_ms: number): Promise<LinkOutcome> {
    await lockKey(sql, this.engine.dialect, 'linksOfUser', userId)
    const existing = await sql.get<{ user_id: string }>('SELECT user_id FROM account_links WHERE account_no = ?', [accountNo])
    if (existing !== undefined) return existing.user_id === userId ? 'exists' : 'taken'
    const count = await sql.get<{ count: number }>('SELECT count(*) AS count FROM account_links WHERE user_id = ?', [userId])
    if (count!.count >= LINKS_PER_USER_MAX) return 'full'
    await sql.run('INSERT INTO account_links (account_no, user_id, kind, linked_at_ms) VALUES (?, ?, ?, ?)', [accountNo, userId, kind, now_ms])
    return 'linked'
  }

  async byAccountNo(accountNo: string): Promise<(AccountLink & { userId: string }) | undefined> {
    const row = await this.engine.get<{ user_id: string; kind: LinkKind; linked_at_ms: number }>(
      'SELECT user_id, kind, linked_at_ms FROM account_links WHERE account_no = ?', [accountNo])
    return row === undefined ? undefined : { accountNo, userId: row.user_id, kind: row.kind, linkedAtMs: row.linked_at_ms }
  }

  async ofUser(userId: string): Promise<AccountLink[]> {
    const rows = await this.engine.all<{ account_no: string; kind: LinkKind; linked_at_ms: number }>(
      'SELECT account_no, kind, linked_at_ms FROM account_links WHERE user_id = ? ORDER BY linked_at_ms, account_no LIMIT ?',
      [userId, LINKS_PER_USER_MAX])
    return rows.map((row) => ({ accountNo: row.account_no, kind: row.kind, linkedAtMs: row.linked_at_ms }))
  }
}

export interface WalletReply {
  id: string
  currency: string
  balanceMinor: number
  balance: string
  /** Set aside for the wallet's vouchers, not in balanceMinor. */
  holdMinor: number
  hold: string
}

export const WALLET_REPLY_SCHEMA = {
  type: 'object',
  required: ['id', 'currency', 'balanceMinor', 'balance', 'holdMinor', 'hold'],
  additionalProperties: false,
  properties: {
    id: { type: 'string' },
    currency: { type: 'string' },
    balanceMinor: { type: 'integer' },
    balance: { type: 'string' },
    holdMinor: { type: 'integer', minimum: 0 },
    hold: { type: 'string' },
  },
} as const

export const ACCOUNT_LINK_REPLY_SCHEMA = {
  type: 'object',
  required: ['accountNo', 'kind', 'linkedAt'],
  additionalProperties: false,
  properties: {
    accountNo: { type: 'string' },
    kind: { type: 'string', enum: ['wallet', 'bank'] },
    linkedAt: { type: 'string', format: 'date-time' },
  },
} as const

/** For GET /api/auth/device/user: `{ wallets, linkedAccounts }` beside its devices. */
export const MOBILE_ACCOUNTS_SCHEMA = {
  wallets: { type: 'array', items: WALLET_REPLY_SCHEMA },
  linkedAccounts: { type: 'array', maxItems: LINKS_PER_USER_MAX, items: ACCOUNT_LINK_REPLY_SCHEMA },
} as const

/** The user's wallets: one per currency at most (hub/accounts.ts), so the currencies bound the search. */
export async function walletsOf(ledger: LedgerStore, userId: string): Promise<Account[]> {
  const wallets: Account[] = []
  for (const { code } of allCurrencies()) {
    const wallet = await ledger.account(walletAccountId(userId, code))
    if (wallet !== undefined && wallet.kind === 'wallet' && wallet.userId === userId) wallets.push(wallet)
  }
  return wallets
}

export async function walletReply(ledger: LedgerStore, wallet: Account): Promise<WalletReply> {
  // Read, not ledger.holdAccount(): that one creates the hold account, and reading a balance writes nothing.
  const hold_minor = (await ledger.account(holdAccountId(wallet.id)))?.balanceMinor ?? 0
  return {
    id: wallet.id,
    currency: wallet.currency,
    balanceMinor: wallet.balanceMinor,
    balance: formatAmount(wallet.balanceMinor, wallet.currency),
    holdMinor: hold_minor,
    hold: formatAmount(hold_minor, wallet.currency),
  }
}

export function accountLinkReply(link: AccountLink): { accountNo: string; kind: LinkKind; linkedAt: string } {
  return { accountNo: link.accountNo, kind: link.kind, linkedAt: new Date(link.linkedAtMs).toISOString() }
}

/** Everything GET /api/auth/device/user shows of the caller's money, per MOBILE_ACCOUNTS_SCHEMA. */
export async function mobileAccountsOf(ledger: LedgerStore, links: AccountLinks, userId: string) {
  const wallets = await Promise.all((await walletsOf(ledger, userId)).map((wallet) => walletReply(ledger, wallet)))
  return { wallets, linkedAccounts: (await links.ofUser(userId)).map(accountLinkReply) }
}
