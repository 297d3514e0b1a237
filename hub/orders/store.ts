// The orders and order_items tables behind prepared statements; an order comes out with its lines.

import type { SqliteDatabase } from '../store/database'
import type { PricedLine } from './pricing'

export const ORDER_STATUSES = ['pending', 'validated', 'rejected'] as const
export type OrderStatus = (typeof ORDER_STATUSES)[number]

/** Most items in one order. */
export const ORDER_ITEMS_MAX = 50
export const ORDER_PAGE_SIZE_MAX = 100

export interface Order {
  readonly id: string
  readonly userId: string
  readonly status: OrderStatus
  readonly currency: string
  readonly totalMinor: number
  readonly shippingAddress: string
  readonly decisionReason: string | null
  readonly decidedByUserId: string | null
  readonly createdAtMs: number
  readonly decidedAtMs: number | null
  readonly items: readonly PricedLine[]
}

export type NewOrder = Omit<Order, 'status' | 'decisionReason' | 'decidedByUserId' | 'decidedAtMs'>

export interface OrderFilter {
  readonly userId?: string
  readonly status?: OrderStatus
}

export interface Decision {
  readonly status: 'validated' | 'rejected'
  readonly reason: string | null
  readonly deciderUserId: string
  readonly decidedAtMs: number
}

interface OrderRow {
  id: string
  user_id: string
  status: OrderStatus
  currency: string
  total_minor: number
  shipping_address: string
  decision_reason: string | null
  decided_by_user_id: string | null
  created_at_ms: number
  decided_at_ms: number | null
}

interface ItemRow {
  gateway_id: string
  quantity: number
  unit_price_minor: number
}

export class OrderStore {
  private readonly statements

  constructor(private readonly db: SqliteDatabase) {
    const filter = '(:userId IS NULL OR user_id = :userId) AND (:status IS NULL OR status = :status)'
    this.statements = {
      insert: db.prepare(
        `INSERT INTO orders (id, user_id, status, currency, total_minor, shipping_address, created_at_ms)
         VALUES (@id, @userId, 'pending', @currency, @totalMinor, @shippingAddress, @createdAtMs)`),
      insertItem: db.prepare<[string, number, string, number, number]>(
        'INSERT INTO order_items (order_id, item_index, gateway_id, quantity, unit_price_minor) VALUES (?, ?, ?, ?, ?)'),
      byId: db.prepare<[string], OrderRow>('SELECT * FROM orders WHERE id = ?'),
      items: db.prepare<[string], ItemRow>(
        'SELECT gateway_id, quantity, unit_price_minor FROM order_items WHERE order_id = ? ORDER BY item_index'),
      page: db.prepare<{ userId: string | null; status: OrderStatus | null; limit: number; offset: number }, OrderRow>(
        `SELECT * FROM orders WHERE ${filter} ORDER BY created_at_ms DESC, id LIMIT :limit OFFSET :offset`),
      count: db.prepare<{ userId: string | null; status: OrderStatus | null }, { count: number }>(
        `SELECT count(*) AS count FROM orders WHERE ${filter}`),
      decide: db.prepare<[string, string | null, string, number, string]>(
        `UPDATE orders SET status = ?, decision_reason = ?, decided_by_user_id = ?, decided_at_ms = ?
         WHERE id = ? AND status = 'pending'`),
      reopen: db.prepare<[string]>(
        `UPDATE orders SET status = 'pending', decision_reason = NULL, decided_by_user_id = NULL, decided_at_ms = NULL
         WHERE id = ? AND status = 'validated'`),
    }
  }

  insert(order: NewOrder): void {
    this.db.transaction(() => {
      this.statements.insert.run({
        id: order.id, userId: order.userId, currency: order.currency, totalMinor: order.totalMinor,
        shippingAddress: order.shippingAddress, createdAtMs: order.createdAtMs,
      })
      order.items.forEach((item, index) => {
        this.statements.insertItem.run(order.id, index, item.gatewayId, item.quantity, item.unitPriceMinor)
      })
    })()
  }

  byId(id: string): Order | undefined {
    const row = this.statements.byId.get(id)
    return row === undefined ? undefined : this.withItems(row)
  }

  /** Newest first; `total` counts the whole selection. */
  page(filter: OrderFilter, offset: number, limit: number): { orders: Order[]; total: number } {
    const selection = { userId: filter.userId ?? null, status: filter.status ?? null }
    return {
      orders: this.statements.page.all({ ...selection, limit, offset }).map((row) => this.withItems(row)),
      total: this.statements.count.get(selection)!.count,
    }
  }

  count(filter: OrderFilter): number {
    return this.statements.count.get({ userId: filter.userId ?? null, status: filter.status ?? null })!.count
  }

  /** Compare-and-set from pending: false when another decision came first. */
  decide(id: string, decision: Decision): boolean {
    return this.statements.decide.run(decision.status, decision.reason, decision.deciderUserId, decision.decidedAtMs, id).changes === 1
  }

  /** Undoes a validation whose gateways could not all be assigned. */
  reopen(id: string): void {
    this.statements.reopen.run(id)
  }

  private withItems(row: OrderRow): Order {
    return {
      id: row.id,
      userId: row.user_id,
      status: row.status,
      currency: row.currency,
      totalMinor: row.total_minor,
      shippingAddress: row.shipping_address,
      decisionReason: row.decision_reason,
      decidedByUserId: row.decided_by_user_id,
      createdAtMs: row.created_at_ms,
      decidedAtMs: row.decided_at_ms,
      items: this.statements.items.all(row.id)
        .map((item) => ({ gatewayId: item.gateway_id, quantity: item.quantity, unitPriceMinor: item.unit_price_minor })),
    }
  }
}
