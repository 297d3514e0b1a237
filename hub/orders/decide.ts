// The operator's decision on a pending order. Validating it assigns every ordered gateway to the buyer
// through assignGateway, and the buyer gains the owner role (keeping the roles they had); rejecting it only records why.
// Each change of the order's status is written to the audit log in its transaction. Once a decision holds, it is
// announced to the live events.

import { formatMoney } from '../../protocol/money'
import { userNameOf, type AuditLog } from '../audit/store'
import type { HubContext } from '../context'
import type { LiveEvents } from '../events/live-events'
import { assignGateway } from '../gateways/assign'
import type { GatewayStore } from '../gateways/store'
import { HttpError } from '../http/errors'
import type { User, UserStore } from '../users/store'
import type { Order, OrderStore } from './store'

export interface DecisionStores {
  readonly orders: OrderStore
  readonly gateways: GatewayStore
  readonly users: UserStore
  readonly audit: AuditLog
  readonly events: Pick<LiveEvents, 'publish'>
}

export async function validateOrder(context: HubContext, stores: DecisionStores, orderId: string, operatorUserId: string): Promise<Order> {
  const { orders, gateways, users, audit } = stores
  const order = await pendingOrder(orders, orderId)
  const buyer = await buyerOf(users, order)
  // Every gateway is checked before anything changes, so a validation that cannot complete changes nothing.
  for (const item of order.items) {
    const gateway = await gateways.byId(item.gatewayId)
    const takenByBuyer = gateway?.status === 'assigned' && gateway.ownerUserId === buyer.id
    if (gateway === undefined || !(gateway.status === 'available' || takenByBuyer)) {
      throw new HttpError(409, 'GATEWAY_UNAVAILABLE', `gateway ${item.gatewayId} can no longer go to this buyer; reject the order`)
    }
  }

  const now_ms = context.clock.now_ms()
  const logged = { atMs: now_ms, actorId: operatorUserId, targetId: order.id, targetName: orderName(order, buyer) }
  // The order's conditional UPDATE decides between two operators, or two hubs: one validation goes through.
  const decision = await context.engine.write(async (sql) => {
    if (!await orders.decideIn(sql, order.id, { status: 'validated', reason: null, deciderUserId: operatorUserId, decidedAtMs: now_ms })) return undefined
    await audit.recordIn(sql, { ...logged, action: 'order.validate', detail: `${order.items.length} gateway(s), ${formatMoney(order.totalMinor, order.currency)}` })
    return { promoted: await users.addRoleIn(sql, buyer.id, 'owner', now_ms) }
  })
  if (decision === undefined) throw notPending(orderId)
  if (decision.promoted) users.accessChanged(buyer.id)
  try {
    for (const item of order.items) await assignGateway(context, gateways, item.gatewayId, { ownerUserId: buyer.id })
  } catch (error) {
    // A gateway changed hands while we worked: the order goes back to pending, the buyer loses the owner role it gave.
    const reopened_ms = context.clock.now_ms()
    await context.engine.write(async (sql) => {
      await orders.reopenIn(sql, order.id)
      if (decision.promoted) await users.removeRoleIn(sql, buyer.id, 'owner')
      await audit.recordIn(sql, { ...logged, atMs: reopened_ms, action: 'order.reopen', detail: `not every gateway could go to the buyer: ${(error as Error).message}` })
    })
    if (decision.promoted) users.accessChanged(buyer.id)
    throw error
  }
  stores.events.publish({ type: 'order.decided', data: { orderId: order.id, status: 'validated', buyerId: buyer.id } })
  return (await orders.byId(order.id))!
}

export async function rejectOrder(
  context: HubContext, stores: Omit<DecisionStores, 'gateways'>, orderId: string, operatorUserId: string, reason: string | null,
): Promise<Order> {
  const { orders, users, audit } = stores
  const order = await pendingOrder(orders, orderId)
  const now_ms = context.clock.now_ms()
  const targetName = orderName(order, await buyerOf(users, order))
  const decided = await context.engine.write(async (sql) => {
    if (!await orders.decideIn(sql, order.id, { status: 'rejected', reason, deciderUserId: operatorUserId, decidedAtMs: now_ms })) return false
    await audit.recordIn(sql, { atMs: now_ms, actorId: operatorUserId, action: 'order.reject', targetId: order.id, targetName, detail: reason })
    return true
  })
  if (!decided) throw notPending(orderId)
  stores.events.publish({ type: 'order.decided', data: { orderId: order.id, status: 'rejected', buyerId: order.userId } })
  return (await orders.byId(order.id))!
}

async function buyerOf(users: UserStore, order: Order): Promise<User> {
  const buyer = await users.byId(order.userId)
  if (buyer === undefined) throw new Error(`order ${order.id} names no user`)
  return buyer
}

/** How the audit log names an order. */
function orderName(order: Order, buyer: User): string {
  return `order ${order.id} of ${userNameOf(buyer)}`
}

async function pendingOrder(orders: OrderStore, orderId: string): Promise<Order> {
  const order = await orders.byId(orderId)
  if (order === undefined) throw new HttpError(404, 'NOT_FOUND', `no order ${orderId}`)
  if (order.status !== 'pending') throw notPending(orderId, order.status)
  return order
}

function notPending(orderId: string, status?: string): HttpError {
  return new HttpError(409, 'ORDER_NOT_PENDING', `order ${orderId} is ${status ?? 'decided'} already; only a pending order is decided`)
}
