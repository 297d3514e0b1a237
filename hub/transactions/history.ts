// Read model of transactions: a user's, as the net movement of each ledger transfer on their wallets and
// voucher holds plus their mobile payments still waiting or called off; and a gateway's, as the transfers it took.

import type { SqlEngine } from '../store/sql'

import type { TransactionStatus } from './wire'

export { TRANSACTION_STATUSES, type TransactionStatus } from './wire'

export const HISTORY_PAGE_SIZE_MAX = 100

export interface UserHistoryQuery {
  readonly userId: string
  /** Inclusive. */
  readonly fromMs: number
  /** Exclusive. */
  readonly toMs: number
  readonly status: TransactionStatus | undefined
  readonly offset: number
  readonly limit: number
  /** A mobile payment past its expiry shows as expired. */
  readonly nowMs: number
}

export interface UserTransaction {
  readonly id: string
  readonly kind: string
  readonly status: TransactionStatus
  readonly direction: 'in' | 'out'
  /** What the transfer did to the user's money, without its sign. */
  readonly amountMinor: number
  readonly currency: string
  readonly gatewayEui: string | null
  readonly reference: string | null
  readonly createdAtMs: number
}

export interface GatewayTransaction {
  readonly id: string
  readonly kind: string
  readonly currency: string
  readonly amountMinor: number
  readonly voucherId: string | null
  readonly createdAtMs: number
}

// Types, not interfaces: a row is a Record<string, unknown> to SqlQuery.
type GatewayRow = {
  id: string
  kind: string
  currency: string
  amount_minor: number
  voucher_id: string | null
  created_at_ms: number
}

type UserRow = {
  id: string
  kind: string
  status: TransactionStatus
  currency: string
  net_minor: number
  gateway_eui: string | null
  /** The transfer's metadata, JSON, whose `reference` the reply shows; read here rather than by a JSON function of one engine. */
  metadata: string | null
  created_at_ms: number
}

// Holds are included so an offline payment, paid from the voucher's hold, shows; placing and releasing a
// hold move money between a user's own accounts and net to zero, so they do not. Grouped by the transfer's key,
// so its other columns follow from it on PostgreSQL too. Parameters: userId, userId, nowMs, fromMs, toMs, status, status.
// It reads the ledger's tables and the mobile payments' as they are, read only.
const USER_HISTORY = `
SELECT * FROM (
  SELECT t.id AS id, t.kind AS kind, 'completed' AS status, t.currency AS currency,
         CAST(sum(p.amount_minor) AS BIGINT) AS net_minor, t.gateway_eui AS gateway_eui, t.metadata AS metadata,
         t.created_at_ms AS created_at_ms
  FROM accounts a
  JOIN postings p ON p.account_id = a.id
  JOIN transfers t ON t.seq = p.transfer_seq
  WHERE a.user_id = ? AND a.kind IN ('wallet', 'hold')
  GROUP BY t.seq
  HAVING sum(p.amount_minor) <> 0
  UNION ALL
  SELECT id, 'p2p', CASE WHEN status = 'awaiting_confirmation' AND expires_at_ms <= ? THEN 'expired' ELSE status END,
         currency, -amount_minor, NULL, NULL, created_at_ms
  FROM mobile_payments
  WHERE payer_user_id = ? AND status <> 'settled'
) history
WHERE created_at_ms >= ? AND created_at_ms < ? AND (CAST(? AS TEXT) IS NULL OR status = ?)`

const GATEWAY_WINDOW = 'gateway_eui = ? AND created_at_ms >= ? AND created_at_ms < ?'

const SQL = {
  userPage: `${USER_HISTORY} ORDER BY created_at_ms DESC, id DESC LIMIT ? OFFSET ?`,
  userCount: `SELECT count(*) AS count FROM (${USER_HISTORY}) page`,
  gatewayPage: `SELECT id, kind, currency, amount_minor, voucher_id, created_at_ms FROM transfers
    WHERE ${GATEWAY_WINDOW} ORDER BY created_at_ms DESC, id DESC LIMIT ? OFFSET ?`,
  gatewayChronological: `SELECT id, kind, currency, amount_minor, voucher_id, created_at_ms FROM transfers
    WHERE ${GATEWAY_WINDOW} AND (created_at_ms > ? OR (created_at_ms = ? AND id > ?))
    ORDER BY created_at_ms, id LIMIT ?`,
  gatewayCount: `SELECT count(*) AS count FROM transfers WHERE ${GATEWAY_WINDOW}`,
} as const

/** The transactions of users and gateways, on either engine (hub/store/sql.ts); reads only. */
export class TransactionHistory {
  constructor(private readonly engine: SqlEngine) {}

  /** A page and the count of the whole selection, in one snapshot. */
  ofUser(query: UserHistoryQuery): Promise<{ transactions: UserTransaction[]; total: number }> {
    const status = query.status ?? null
    const parameters = [query.userId, query.nowMs, query.userId, query.fromMs, query.toMs, status, status]
    return this.engine.read(async (sql) => {
      const rows = await sql.all<UserRow>(SQL.userPage, [...parameters, query.limit, query.offset])
      const count = await sql.get<{ count: number }>(SQL.userCount, parameters)
      return { transactions: rows.map(userTransaction), total: count!.count }
    })
  }

  /** `eui` canonical; newest first; a page and the count of the window, in one snapshot. */
  ofGateway(eui: string, from_ms: number, to_ms: number, offset: number, limit: number): Promise<{ transactions: GatewayTransaction[]; total: number }> {
    return this.engine.read(async (sql) => {
      const rows = await sql.all<GatewayRow>(SQL.gatewayPage, [eui, from_ms, to_ms, limit, offset])
      const count = await sql.get<{ count: number }>(SQL.gatewayCount, [eui, from_ms, to_ms])
      return { transactions: rows.map(gatewayTransaction), total: count!.count }
    })
  }

  /** How many transfers the gateway took in [from_ms, to_ms). */
  async countOfGateway(eui: string, from_ms: number, to_ms: number): Promise<number> {
    return (await this.engine.get<{ count: number }>(SQL.gatewayCount, [eui, from_ms, to_ms]))!.count
  }

  /**
   * Oldest first, at most `limit`, those after `after` (the last one of the page before; null: from the start).
   * Keyed on (time, id) rather than an offset, so a page costs the same however deep it is.
   */
  async ofGatewayChronological(
    eui: string, from_ms: number, to_ms: number, after: GatewayTransaction | null, limit: number,
  ): Promise<GatewayTransaction[]> {
    const after_ms = after?.createdAtMs ?? -1
    const rows = await this.engine.all<GatewayRow>(SQL.gatewayChronological,
      [eui, from_ms, to_ms, after_ms, after_ms, after?.id ?? '', limit])
    return rows.map(gatewayTransaction)
  }
}

function userTransaction(row: UserRow): UserTransaction {
  return {
    id: row.id,
    kind: row.kind,
    status: row.status,
    direction: row.net_minor < 0 ? 'out' : 'in',
    amountMinor: Math.abs(row.net_minor),
    currency: row.currency,
    gatewayEui: row.gateway_eui,
    reference: referenceOf(row.metadata),
    createdAtMs: row.created_at_ms,
  }
}

/** The transfer's `reference`, when its metadata holds one as text. */
function referenceOf(metadata: string | null): string | null {
  const parsed: unknown = metadata === null ? null : JSON.parse(metadata)
  if (typeof parsed !== 'object' || parsed === null) return null
  const { reference } = parsed as { reference?: unknown }
  return typeof reference === 'string' ? reference : null
}

function gatewayTransaction(row: GatewayRow): GatewayTransaction {
  return {
    id: row.id, kind: row.kind, currency: row.currency, amountMinor: row.amount_minor, voucherId: row.voucher_id, createdAtMs: row.created_at_ms,
  }
}
