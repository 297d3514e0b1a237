// The operator's decision on a pending order. Validating it assigns every ordered gateway to the buyer
// through assignGateway, making a customer buyer an owner; rejecting it only records why. Either way, once
// it holds, the decision is announced to the live events.

import type { HubContext } from '../context'
import type { LiveEvents } from '../events/live-events'
import { assignGateway } from '../gateways/assign'
import type { GatewayStore } from '../gateways/store'
import { HttpError } from '../http/errors'
import type { UserStore } from '../users/store'
import type { Order, OrderStore } from './store'

export interface DecisionStores {
  readonly orders: OrderStore
  readonly gateways: GatewayStore
  readonly users: UserStore
  readonly events: Pick<LiveEvents, 'publish'>
}

export async function validateOrder(context: HubContext, stores: DecisionStores, orderId: string, operatorUserId: string): Promise<Order> {
  const { orders, gateways, users } = stores
  const order = pendingOrder(orders, orderId)
  const buyer = users.byId(order.userId)
  if (buyer === undefined) throw new Error(`order ${order.id} names no user`)
  if (buyer.role === 'operator') throw new HttpError(409, 'CONFLICT', 'an operator cannot own gateways; reject this order')
  // Every gateway is checked before anything changes, so a validation that cannot complete changes nothing.
  for (const item of order.items) {
    const gateway = gateways.byId(item.gatewayId)
    const takenByBuyer = gateway?.status === 'assigned' && gateway.ownerUserId === buyer.id
    if (gateway === undefined || !(gateway.status === 'available' || takenByBuyer)) {
      throw new HttpError(409, 'GATEWAY_UNAVAILABLE', `gateway ${item.gatewayId} can no longer go to this buyer; reject the order`)
    }
  }

  const decided = orders.decide(order.id, { status: 'validated', reason: null, deciderUserId: operatorUserId, decidedAtMs: context.clock.now_ms() })
  if (!decided) throw notPending(orderId)
  const promoted = buyer.role === 'customer' && users.changeRole(buyer.id, 'customer', 'owner')
  try {
    for (const item of order.items) await assignGateway(context, gateways, item.gatewayId, { ownerUserId: buyer.id })
  } catch (error) {
    // A gateway changed hands while we worked: the order goes back to pending, the buyer back to customer.
    orders.reopen(order.id)
    if (promoted) users.changeRole(buyer.id, 'owner', 'customer')
    throw error
  }
  stores.events.publish({ type: 'order.decided', data: { orderId: order.id, status: 'validated', buyerId: buyer.id } })
  return orders.byId(order.id)!
}

export function rejectOrder(
  context: HubContext, stores: Pick<DecisionStores, 'orders' | 'events'>, orderId: string, operatorUserId: string, reason: string | null,
): Order {
  const { orders } = stores
  const order = pendingOrder(orders, orderId)
  const decided = orders.decide(order.id, { status: 'rejected', reason, deciderUserId: operatorUserId, decidedAtMs: context.clock.now_ms() })
  if (!decided) throw notPending(orderId)
  stores.events.publish({ type: 'order.decided', data: { orderId: order.id, status: 'rejected', buyerId: order.userId } })
  return orders.byId(order.id)!
}

function pendingOrder(orders: OrderStore, orderId: string): Order {
  const order = orders.byId(orderId)
  if (order === undefined) throw new HttpError(404, 'NOT_FOUND', `no order ${orderId}`)
  if (order.status !== 'pending') throw notPending(orderId, order.status)
  return order
}

function notPending(orderId: string, status?: string): HttpError {
  return new HttpError(409, 'ORDER_NOT_PENDING', `order ${orderId} is ${status ?? 'decided'} already; only a pending order is decided`)
}
