// Read model of transactions: a user's, as the net movement of each ledger transfer on their wallets and
// voucher holds plus their mobile payments still waiting or called off; and a gateway's, as the transfers it took.

import type { SqliteDatabase } from '../store/database'

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

interface GatewayRow {
  id: string
  kind: string
  currency: string
  amount_minor: number
  voucher_id: string | null
  created_at_ms: number
}

interface UserRow {
  id: string
  kind: string
  status: TransactionStatus
  currency: string
  net_minor: number
  gateway_eui: string | null
  reference: unknown
  created_at_ms: number
}

// Holds are included so an offline payment, paid from the voucher's hold, shows; placing and releasing a
// hold move money between a user's own accounts and net to zero, so they do not.
const USER_HISTORY = `
WITH history AS (
  SELECT t.id AS id, t.kind AS kind, 'completed' AS status, t.currency AS currency, sum(p.amount_minor) AS net_minor,
         t.gateway_eui AS gateway_eui, json_extract(t.metadata, '$.reference') AS reference, t.created_at_ms AS created_at_ms
  FROM accounts a
  JOIN postings p ON p.account_id = a.id
  JOIN transfers t ON t.seq = p.transfer_seq
  WHERE a.user_id = :userId AND a.kind IN ('wallet', 'hold')
  GROUP BY t.id
  HAVING sum(p.amount_minor) <> 0
  UNION ALL
  SELECT id, 'p2p', CASE WHEN status = 'awaiting_confirmation' AND expires_at_ms <= :nowMs THEN 'expired' ELSE status END,
         currency, -amount_minor, NULL, NULL, created_at_ms
  FROM mobile_payments
  WHERE payer_user_id = :userId AND status <> 'settled'
)
SELECT * FROM history
WHERE created_at_ms >= :fromMs AND created_at_ms < :toMs AND (:status IS NULL OR status = :status)`

export class TransactionHistory {
  private readonly statements

  constructor(db: SqliteDatabase) {
    type UserParameters = { userId: string; nowMs: number; fromMs: number; toMs: number; status: string | null }
    type GatewayParameters = { eui: string; fromMs: number; toMs: number }
    this.statements = {
      userPage: db.prepare<UserParameters & { limit: number; offset: number }, UserRow>(
        `${USER_HISTORY} ORDER BY created_at_ms DESC, id DESC LIMIT :limit OFFSET :offset`),
      userCount: db.prepare<UserParameters, { count: number }>(`SELECT count(*) AS count FROM (${USER_HISTORY})`),
      gatewayPage: db.prepare<GatewayParameters & { limit: number; offset: number }, GatewayRow>(
        `SELECT id, kind, currency, amount_minor, voucher_id, created_at_ms FROM transfers
         WHERE gateway_eui = :eui AND created_at_ms >= :fromMs AND created_at_ms < :toMs
         ORDER BY created_at_ms DESC, id DESC LIMIT :limit OFFSET :offset`),
      gatewayChronological: db.prepare<GatewayParameters & { afterMs: number; afterId: string; limit: number }, GatewayRow>(
        `SELECT id, kind, currency, amount_minor, voucher_id, created_at_ms FROM transfers
         WHERE gateway_eui = :eui AND created_at_ms >= :fromMs AND created_at_ms < :toMs
           AND (created_at_ms > :afterMs OR (created_at_ms = :afterMs AND id > :afterId))
         ORDER BY created_at_ms, id LIMIT :limit`),
      gatewayCount: db.prepare<GatewayParameters, { count: number }>(
        `SELECT count(*) AS count FROM transfers WHERE gateway_eui = :eui AND created_at_ms >= :fromMs AND created_at_ms < :toMs`),
    }
  }

  ofUser(query: UserHistoryQuery): { transactions: UserTransaction[]; total: number } {
    const parameters = { userId: query.userId, nowMs: query.nowMs, fromMs: query.fromMs, toMs: query.toMs, status: query.status ?? null }
    const rows = this.statements.userPage.all({ ...parameters, limit: query.limit, offset: query.offset })
    return {
      transactions: rows.map((row) => ({
        id: row.id,
        kind: row.kind,
        status: row.status,
        direction: row.net_minor < 0 ? 'out' : 'in',
        amountMinor: Math.abs(row.net_minor),
        currency: row.currency,
        gatewayEui: row.gateway_eui,
        reference: typeof row.reference === 'string' ? row.reference : null,
        createdAtMs: row.created_at_ms,
      })),
      total: this.statements.userCount.get(parameters)!.count,
    }
  }

  /** `eui` canonical; newest first. */
  ofGateway(eui: string, from_ms: number, to_ms: number, offset: number, limit: number): { transactions: GatewayTransaction[]; total: number } {
    return {
      transactions: this.statements.gatewayPage.all({ eui, fromMs: from_ms, toMs: to_ms, limit, offset }).map(gatewayTransaction),
      total: this.countOfGateway(eui, from_ms, to_ms),
    }
  }

  /** How many transfers the gateway took in [from_ms, to_ms). */
  countOfGateway(eui: string, from_ms: number, to_ms: number): number {
    return this.statements.gatewayCount.get({ eui, fromMs: from_ms, toMs: to_ms })!.count
  }

  /**
   * Oldest first, at most `limit`, those after `after` (the last one of the page before; null: from the start).
   * Keyed on (time, id) rather than an offset, so a page costs the same however deep it is.
   */
  ofGatewayChronological(
    eui: string, from_ms: number, to_ms: number, after: GatewayTransaction | null, limit: number,
  ): GatewayTransaction[] {
    return this.statements.gatewayChronological.all({
      eui, fromMs: from_ms, toMs: to_ms, afterMs: after?.createdAtMs ?? -1, afterId: after?.id ?? '', limit,
    }).map(gatewayTransaction)
  }
}

function gatewayTransaction(row: GatewayRow): GatewayTransaction {
  return {
    id: row.id, kind: row.kind, currency: row.currency, amountMinor: row.amount_minor, voucherId: row.voucher_id, createdAtMs: row.created_at_ms,
  }
}
