// The orders and order_items tables on either engine (hub/store/sql.ts); an order comes out with its lines.

import type { SqlEngine, SqlQuery } from '../store/sql'
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

// Types, not interfaces: a row is a Record<string, unknown> to SqlQuery.
type OrderRow = {
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

type ItemRow = {
  order_id: string
  gateway_id: string
  quantity: number
  unit_price_minor: number
}

// A filter left out is a NULL parameter; the casts give PostgreSQL the parameters' types, which `? IS NULL` alone does not.
const FILTER = '(CAST(? AS TEXT) IS NULL OR user_id = ?) AND (CAST(? AS TEXT) IS NULL OR status = ?)'
const PAGE = `SELECT id FROM orders WHERE ${FILTER} ORDER BY created_at_ms DESC, id LIMIT ? OFFSET ?`

const SQL = {
  insert: `INSERT INTO orders (id, user_id, status, currency, total_minor, shipping_address, created_at_ms)
    VALUES (?, ?, 'pending', ?, ?, ?, ?)`,
  insertItem: 'INSERT INTO order_items (order_id, item_index, gateway_id, quantity, unit_price_minor) VALUES (?, ?, ?, ?, ?)',
  byId: 'SELECT * FROM orders WHERE id = ?',
  items: 'SELECT order_id, gateway_id, quantity, unit_price_minor FROM order_items WHERE order_id = ? ORDER BY item_index',
  page: `SELECT * FROM orders WHERE ${FILTER} ORDER BY created_at_ms DESC, id LIMIT ? OFFSET ?`,
  // The lines of the page's orders in one statement, rather than one per order.
  pageItems: `SELECT i.order_id, i.gateway_id, i.quantity, i.unit_price_minor
    FROM order_items i JOIN (${PAGE}) o ON o.id = i.order_id ORDER BY i.order_id, i.item_index`,
  count: `SELECT count(*) AS count FROM orders WHERE ${FILTER}`,
  // Compare-and-set: of two operators (or two hubs) deciding one order, the database lets one UPDATE through.
  decide: `UPDATE orders SET status = ?, decision_reason = ?, decided_by_user_id = ?, decided_at_ms = ?
    WHERE id = ? AND status = 'pending'`,
  reopen: `UPDATE orders SET status = 'pending', decision_reason = NULL, decided_by_user_id = NULL, decided_at_ms = NULL
    WHERE id = ? AND status = 'validated'`,
} as const

function filterParameters(filter: OrderFilter): (string | null)[] {
  const userId = filter.userId ?? null
  const status = filter.status ?? null
  return [userId, userId, status, status]
}

export class OrderStore {
  constructor(private readonly engine: SqlEngine) {}

  /** The order and its lines, in one transaction. */
  insert(order: NewOrder): Promise<void> {
    return this.engine.write(sql => this.insertIn(sql, order))
  }

  /** As `insert`, inside the caller's transaction `sql`. */
  async insertIn(sql: SqlQuery, order: NewOrder): Promise<void> {
    await sql.run(SQL.insert, [order.id, order.userId, order.currency, order.totalMinor, order.shippingAddress, order.createdAtMs])
    for (const [index, item] of order.items.entries()) {
      await sql.run(SQL.insertItem, [order.id, index, item.gatewayId, item.quantity, item.unitPriceMinor])
    }
  }

  /** Lines are written with their order and never change, so the two reads need no snapshot. */
  async byId(id: string): Promise<Order | undefined> {
    const row = await this.engine.get<OrderRow>(SQL.byId, [id])
    if (row === undefined) return undefined
    return orderOf(row, await this.engine.all<ItemRow>(SQL.items, [id]))
  }

  /** Newest first; `total` counts the whole selection, in the same snapshot as the page. */
  page(filter: OrderFilter, offset: number, limit: number): Promise<{ orders: Order[]; total: number }> {
    const selection = filterParameters(filter)
    return this.engine.read(async (sql) => {
      const rows = await sql.all<OrderRow>(SQL.page, [...selection, limit, offset])
      const items = await sql.all<ItemRow>(SQL.pageItems, [...selection, limit, offset])
      const count = await sql.get<{ count: number }>(SQL.count, selection)
      const itemsOf = new Map<string, ItemRow[]>()
      for (const item of items) {
        const lines = itemsOf.get(item.order_id)
        if (lines === undefined) itemsOf.set(item.order_id, [item])
        else lines.push(item)
      }
      return { orders: rows.map(row => orderOf(row, itemsOf.get(row.id) ?? [])), total: count!.count }
    })
  }

  async count(filter: OrderFilter): Promise<number> {
    return (await this.engine.get<{ count: number }>(SQL.count, filterParameters(filter)))!.count
  }

  /** Compare-and-set from pending, inside the caller's transaction: false when another decision came first. */
  async decideIn(sql: SqlQuery, id: string, decision: Decision): Promise<boolean> {
    const { changes } = await sql.run(SQL.decide,
      [decision.status, decision.reason, decision.deciderUserId, decision.decidedAtMs, id])
    return changes === 1
  }

  /** Undoes a validation whose gateways could not all be assigned, inside the caller's transaction. */
  async reopenIn(sql: SqlQuery, id: string): Promise<void> {
    await sql.run(SQL.reopen, [id])
  }
}

function orderOf(row: OrderRow, items: readonly ItemRow[]): Order {
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
    items: items.map(item => ({ gatewayId: item.gateway_id, quantity: item.quantity, unitPriceMinor: item.unit_price_minor })),
  }
}
