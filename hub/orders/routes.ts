// Orders of gateways over REST at the seed's paths: POST/GET /orders, GET /orders/{id}, and the operator's
// GET-or-POST /orders/{id}/validate and /reject. The buyer hears of each step through the notifier.

import type { FastifyInstance, FastifyPluginAsync, FastifyRequest } from 'fastify'
import { toHex } from '../../protocol/bytes'
import { formatAmount } from '../../protocol/money'
import type { HubContext } from '../context'
import type { HubServices, RouteOptions } from '../http/route-services'
import { requireRole, requireVerifiedAccount } from '../http/auth'
import { errorReplies, HttpError } from '../http/errors'
import { printableLine } from '../http/text'
import { BEARER_SECURITY, callerOf, IDENTIFIER_SCHEMA } from '../money/wire'
import { orderDecidedMessage, orderPlacedMessage } from '../notify/message'
import { absentBodyAsEmpty } from '../users/optional-body'
import { ROLES } from '../http/roles'
import { rejectOrder, validateOrder } from './decide'
import { priceOrder, type OrderItemInput } from './pricing'
import type { UserStore } from '../users/store'
import { ORDER_ITEMS_MAX, ORDER_PAGE_SIZE_MAX, ORDER_STATUSES, type Order, type OrderStatus, type OrderStore } from './store'

const ORDER_ID_BYTES = 12
const ADDRESS_LENGTH_MAX = 500
const REASON_LENGTH_MAX = 500
const PAGE_MAX = 100_000
const PAGE_SIZE_DEFAULT = 20
const ORDER_BODY_LIMIT_BYTES = 16 * 1024

interface OrderReply {
  id: string
  userId: string
  status: OrderStatus
  items: Array<{ gatewayId: string; quantity: number; unitPriceMinor: number; unitPrice: string }>
  currency: string
  totalMinor: number
  total: string
  shippingAddress: string
  decisionReason: string | null
  createdAt: string
  decidedAt: string | null
}

const ORDER_REPLY_SCHEMA = {
  type: 'object',
  required: ['id', 'userId', 'status', 'items', 'currency', 'totalMinor', 'total', 'shippingAddress', 'decisionReason', 'createdAt', 'decidedAt'],
  additionalProperties: false,
  properties: {
    id: { type: 'string' },
    userId: { type: 'string' },
    status: { type: 'string', enum: [...ORDER_STATUSES] },
    items: {
      type: 'array',
      items: {
        type: 'object',
        required: ['gatewayId', 'quantity', 'unitPriceMinor', 'unitPrice'],
        additionalProperties: false,
        properties: {
          gatewayId: { type: 'string' },
          quantity: { type: 'integer' },
          unitPriceMinor: { type: 'integer' },
          unitPrice: { type: 'string' },
        },
      },
    },
    currency: { type: 'string' },
    totalMinor: { type: 'integer' },
    total: { type: 'string' },
    shippingAddress: { type: 'string' },
    decisionReason: { type: ['string', 'null'] },
    createdAt: { type: 'string', format: 'date-time' },
    decidedAt: { type: ['string', 'null'], format: 'date-time' },
  },
} as const

const ID_PARAMS = { type: 'object', required: ['id'], additionalProperties: false, properties: { id: IDENTIFIER_SCHEMA } } as const

interface CreateOrderBody {
  items: OrderItemInput[]
  shippingAddress: string
}

const createSchema = {
  summary: 'Order gateways from the catalog; the order waits for an operator',
  tags: ['orders'],
  security: BEARER_SECURITY,
  body: {
    type: 'object',
    required: ['items', 'shippingAddress'],
    additionalProperties: false,
    properties: {
      items: {
        type: 'array',
        minItems: 1,
        maxItems: ORDER_ITEMS_MAX,
        items: {
          type: 'object',
          required: ['gatewayId', 'quantity'],
          additionalProperties: false,
          properties: {
            gatewayId: { type: 'string', minLength: 1, maxLength: 64 },
            quantity: { type: 'integer', minimum: 1, maximum: 1, description: 'each catalog entry is one device: 1' },
          },
        },
      },
      shippingAddress: printableLine(ADDRESS_LENGTH_MAX),
    },
  },
  response: { 201: ORDER_REPLY_SCHEMA, ...errorReplies(400, 401, 403, 409, 413) },
} as const

interface ListQuery {
  page: number
  pageSize: number
  status?: OrderStatus
  userId?: string
}

const listSchema = {
  summary: 'Orders, newest first: the caller’s own, or anyone’s to an operator',
  tags: ['orders'],
  security: BEARER_SECURITY,
  querystring: {
    type: 'object',
    additionalProperties: false,
    properties: {
      page: { type: 'integer', minimum: 1, maximum: PAGE_MAX, default: 1 },
      pageSize: { type: 'integer', minimum: 1, maximum: ORDER_PAGE_SIZE_MAX, default: PAGE_SIZE_DEFAULT },
      status: { type: 'string', enum: [...ORDER_STATUSES] },
      userId: { ...IDENTIFIER_SCHEMA, description: 'operators: one buyer’s orders' },
    },
  },
  response: {
    200: {
      type: 'object',
      required: ['items', 'page', 'pageSize', 'total'],
      additionalProperties: false,
      properties: {
        items: { type: 'array', items: ORDER_REPLY_SCHEMA },
        page: { type: 'integer' },
        pageSize: { type: 'integer' },
        total: { type: 'integer' },
      },
    },
    ...errorReplies(400, 401, 403),
  },
} as const

const getSchema = {
  summary: 'One order (its buyer, or an operator)',
  tags: ['orders'],
  security: BEARER_SECURITY,
  params: ID_PARAMS,
  response: { 200: ORDER_REPLY_SCHEMA, ...errorReplies(400, 401, 403, 404) },
} as const

const REASON_SCHEMA = printableLine(REASON_LENGTH_MAX)

function decisionSchema(decision: 'validate' | 'reject', method: 'GET' | 'POST') {
  const reason = { type: 'object', additionalProperties: false, properties: { reason: REASON_SCHEMA } } as const
  return {
    summary: decision === 'validate'
      ? 'Validate a pending order: its gateways are assigned to the buyer, who becomes their owner (operator)'
      : 'Reject a pending order, with a reason (operator)',
    tags: ['orders'],
    security: BEARER_SECURITY,
    params: ID_PARAMS,
    ...(method === 'POST' ? { body: reason } : { querystring: reason }),
    response: { 200: ORDER_REPLY_SCHEMA, ...errorReplies(400, 401, 403, 404, 409, 413) },
  }
}

export const orderRoutes: FastifyPluginAsync<RouteOptions> = async (app, { context, services }) => {
  placeRoute(app, context, services)
  readingRoutes(app, services)
  decisionRoutes(app, context, services)
}

/** A customer or an owner orders gateways; the order is priced from the catalog. */
function placeRoute(app: FastifyInstance, context: HubContext, { orders, gateways, users }: HubServices): void {
  app.post<{ Body: CreateOrderBody; Reply: OrderReply }>('/orders', {
    schema: createSchema, bodyLimit: ORDER_BODY_LIMIT_BYTES, preValidation: [app.authenticate, requireRole('customer', 'owner'), requireVerifiedAccount],
  }, async (request, reply) => {
    // The body's items are bounded (ORDER_BODY_LIMIT_BYTES): each gateway read once, before pricing.
    const catalog = new Map(await Promise.all(request.body.items.map(async item => [item.gatewayId, await gateways.byId(item.gatewayId)] as const)))
    const priced = priceOrder(request.body.items, (id) => catalog.get(id))
    const order = {
      id: `ord_${toHex(context.random(ORDER_ID_BYTES))}`,
      userId: callerOf(request).userId,
      currency: priced.currency,
      totalMinor: priced.totalMinor,
      shippingAddress: request.body.shippingAddress.trim(),
      createdAtMs: context.clock.now_ms(),
      items: priced.lines,
    }
    await orders.insert(order)
    const stored = (await orders.byId(order.id))!
    await notifyBuyer(app, users, stored)
    return reply.code(201).send(orderReply(stored))
  })
}

/** Orders listed and read: a buyer their own, an operator anyone's. */
function readingRoutes(app: FastifyInstance, { orders }: HubServices): void {
  const signedIn = [app.authenticate, requireRole(...ROLES)]

  app.get<{ Querystring: ListQuery }>('/orders', { schema: listSchema, preValidation: signedIn }, async (request) => {
    const caller = callerOf(request)
    const { page, pageSize, status, userId } = request.query
    if (caller.role !== 'operator' && userId !== undefined && userId !== caller.userId) {
      throw new HttpError(403, 'FORBIDDEN', 'only an operator lists another user’s orders')
    }
    const buyer = caller.role === 'operator' ? userId : caller.userId
    const { orders: found, total } = await orders.page({
      ...(buyer === undefined ? {} : { userId: buyer }), ...(status === undefined ? {} : { status }),
    }, (page - 1) * pageSize, pageSize)
    return { items: found.map(orderReply), page, pageSize, total }
  })

  app.get<{ Params: { id: string }; Reply: OrderReply }>('/orders/:id', { schema: getSchema, preValidation: signedIn },
    async (request) => orderReply(await visibleOrder(orders, request, request.params.id)))
}

/** An operator validates or rejects an order (GET or POST, as the seed has it); its buyer is told. */
function decisionRoutes(app: FastifyInstance, context: HubContext, { orders, gateways, users, audit, events }: HubServices): void {
  for (const method of ['GET', 'POST'] as const) {
    app.route<{ Params: { id: string }; Reply: OrderReply }>({
      method, url: '/orders/:id/validate', schema: decisionSchema('validate', method),
      bodyLimit: ORDER_BODY_LIMIT_BYTES, preValidation: [app.authenticate, requireRole('operator'), ...bodyOf(method)],
      handler: async (request) => {
        const order = await validateOrder(context, { orders, gateways, users, audit, events }, request.params.id, callerOf(request).userId)
        await notifyBuyer(app, users, order, { status: 'validated', reason: null })
        return orderReply(order)
      },
    })
    app.route<{ Params: { id: string }; Body: { reason?: string }; Querystring: { reason?: string }; Reply: OrderReply }>({
      method, url: '/orders/:id/reject', schema: decisionSchema('reject', method),
      bodyLimit: ORDER_BODY_LIMIT_BYTES, preValidation: [app.authenticate, requireRole('operator'), ...bodyOf(method)],
      handler: async (request) => {
        const reason = (method === 'POST' ? request.body.reason : request.query.reason) ?? null
        const order = await rejectOrder(context, { orders, users, audit, events }, request.params.id, callerOf(request).userId, reason)
        await notifyBuyer(app, users, order, { status: 'rejected', reason })
        return orderReply(order)
      },
    })
  }
}

async function notifyBuyer(
  app: FastifyInstance, users: UserStore, order: Order, decision?: { status: 'validated' | 'rejected'; reason: string | null },
): Promise<void> {
  const buyer = (await users.byId(order.userId))!
  const summary = { id: order.id, itemCount: order.items.length, totalMinor: order.totalMinor, currency: order.currency }
  await app.notifier.send(decision === undefined
    ? orderPlacedMessage(buyer, summary)
    : orderDecidedMessage(buyer, summary, decision.status, decision.reason))
}

/** The order, when the caller may see it: its buyer, or an operator. */
async function visibleOrder(orders: OrderStore, request: FastifyRequest, orderId: string): Promise<Order> {
  const caller = callerOf(request)
  const order = await orders.byId(orderId)
  if (order === undefined) throw new HttpError(404, 'NOT_FOUND', `no order ${orderId}`)
  if (caller.role !== 'operator' && order.userId !== caller.userId) {
    throw new HttpError(403, 'FORBIDDEN', `order ${orderId} is not yours`)
  }
  return order
}

/** A POST's reason is optional, and so is its whole body. */
function bodyOf(method: 'GET' | 'POST') {
  return method === 'POST' ? [absentBodyAsEmpty] : []
}

function orderReply(order: Order): OrderReply {
  return {
    id: order.id,
    userId: order.userId,
    status: order.status,
    items: order.items.map((item) => ({ ...item, unitPrice: formatAmount(item.unitPriceMinor, order.currency) })),
    currency: order.currency,
    totalMinor: order.totalMinor,
    total: formatAmount(order.totalMinor, order.currency),
    shippingAddress: order.shippingAddress,
    decisionReason: order.decisionReason,
    createdAt: new Date(order.createdAtMs).toISOString(),
    decidedAt: order.decidedAtMs === null ? null : new Date(order.decidedAtMs).toISOString(),
  }
}
