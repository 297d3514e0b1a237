// The operator's bulk routes: gateways provisioned and customers enrolled up to BULK_ITEMS_MAX at a time, each chunk
// one transaction, all or nothing, idempotent on a key the client chooses, and written to the audit log.

import type { FastifyPluginAsync, FastifyReply } from 'fastify'
import { toBase64, toHex } from '../../protocol/bytes'
import { AMOUNT_MAX_MINOR } from '../../protocol/money'
import { requireRole } from '../http/auth'
import { errorReplies } from '../http/errors'
import type { RouteOptions } from '../http/route-services'
import { printableLine } from '../http/text'
import { FULL_NAME_SCHEMA } from '../users/schemas'
import { enrollCustomersInBulk, type BulkCustomersRequest } from './customers'
import { provisionGatewaysInBulk, type BulkGatewaysRequest } from './gateways'
import { BULK_ITEMS_MAX, BulkRefusal } from './refusal'

const BEARER = [{ bearerAuth: [] }]
const EMAIL_LENGTH_MAX = 254

const IDEMPOTENCY_KEY = {
  type: 'string', minLength: 1, maxLength: 100, pattern: '^[A-Za-z0-9][A-Za-z0-9_.:-]*$',
  description: 'chosen by the client, one per chunk: the same key with the same items answers with what the first call made, '
    + 'and creates nothing; with other items, 409 IDEMPOTENCY_CONFLICT',
} as const

const AMOUNT_TEXT = { type: 'string', minLength: 1, maxLength: 32, description: 'decimal in major units, e.g. "5000" XOF or "49.90" EUR' } as const

const REFUSED_REPLY = {
  description: 'one or more items refused: nothing was written; fix those items and send the chunk again under the same key',
  type: 'object',
  required: ['error', 'items'],
  additionalProperties: false,
  properties: {
    error: {
      type: 'object', required: ['code', 'message'], additionalProperties: false,
      properties: { code: { type: 'string', enum: ['BULK_ITEMS_REFUSED'] }, message: { type: 'string' } },
    },
    items: {
      type: 'array',
      maxItems: BULK_ITEMS_MAX,
      items: {
        type: 'object', required: ['index', 'code', 'message'], additionalProperties: false,
        properties: {
          index: { type: 'integer', description: 'the item\'s place in `items`, from 0' },
          code: { type: 'string', description: 'what the one-by-one route would answer: EMAIL_TAKEN, BAD_EUI, DEVICE_ALREADY_BOUND, …' },
          message: { type: 'string' },
        },
      },
    },
  },
} as const

const BULK_GATEWAYS_REPLY = {
  type: 'object',
  required: ['idempotencyKey', 'replayed', 'ownerUserId', 'gateways'],
  additionalProperties: false,
  properties: {
    idempotencyKey: { type: 'string' },
    replayed: { type: 'boolean' },
    ownerUserId: { type: 'string' },
    gateways: {
      type: 'array',
      items: {
        type: 'object',
        required: ['index', 'gatewayId', 'eui', 'status', 'token', 'expiresAt'],
        additionalProperties: false,
        properties: {
          index: { type: 'integer' },
          gatewayId: { type: 'string' },
          eui: { type: 'string' },
          status: { type: 'string' },
          token: { type: ['string', 'null'], description: '"pt_" then base64url, shown once; null for a gateway provisioned already' },
          expiresAt: { type: ['string', 'null'], format: 'date-time' },
        },
      },
    },
  },
} as const

const BULK_CUSTOMERS_REPLY = {
  type: 'object',
  required: ['idempotencyKey', 'replayed', 'currency', 'hubPublicKey', 'customers'],
  additionalProperties: false,
  properties: {
    idempotencyKey: { type: 'string' },
    replayed: { type: 'boolean' },
    currency: { type: 'string' },
    hubPublicKey: { type: 'string', description: 'base64: the key that signed the vouchers' },
    customers: {
      type: 'array',
      items: {
        type: 'object',
        required: ['index', 'userId', 'email', 'walletAccountId', 'deviceId', 'voucherId', 'voucher', 'expiresAt'],
        additionalProperties: false,
        properties: {
          index: { type: 'integer' },
          userId: { type: 'string' },
          email: { type: 'string' },
          walletAccountId: { type: 'string' },
          deviceId: { type: 'string' },
          voucherId: { type: 'string' },
          voucher: { type: 'string', description: 'the signed voucher, base64, for the phone' },
          expiresAt: { type: 'string', format: 'date-time' },
        },
      },
    },
  },
} as const

const gatewaysSchema = {
  summary: `Provision up to ${BULK_ITEMS_MAX} gateways for one owner in one transaction (operator)`,
  description: 'Each gateway is added to the catalog, assigned to the owner (who gains the owner role, as a validated order '
    + 'gives it; payments settle into the owner\'s wallet in the price currency) and given a one-time provisioning token, '
    + 'which the gateway presents to POST /provision. All or nothing: a refused item (422) writes nothing. A retry under the '
    + 'same key creates nothing and issues fresh tokens (each replaces the one before) for the gateways not yet provisioned.',
  tags: ['gateways'],
  security: BEARER,
  body: {
    type: 'object',
    required: ['idempotencyKey', 'ownerUserId', 'items'],
    additionalProperties: false,
    properties: {
      idempotencyKey: IDEMPOTENCY_KEY,
      ownerUserId: { type: 'string', minLength: 1, maxLength: 64 },
      items: {
        type: 'array', minItems: 1, maxItems: BULK_ITEMS_MAX,
        items: {
          type: 'object',
          required: ['name', 'type', 'eui'],
          additionalProperties: false,
          properties: {
            name: printableLine(120),
            type: { type: 'string', minLength: 1, maxLength: 40, pattern: '^[A-Za-z0-9][A-Za-z0-9._-]*$' },
            eui: { type: 'string', minLength: 1, maxLength: 23, description: 'EUI-64: 16 hex digits, - or : between bytes allowed' },
            price: AMOUNT_TEXT,
            priceMinor: { type: 'integer', minimum: 0, maximum: AMOUNT_MAX_MINOR },
            currency: { type: 'string', pattern: '^[A-Z]{3}$', description: 'ISO 4217 of the price; XOF if absent' },
          },
        },
      },
    },
  },
  response: {
    200: { ...BULK_GATEWAYS_REPLY, description: 'replayed: made by an earlier call under this key' },
    201: { ...BULK_GATEWAYS_REPLY, description: 'made now' },
    422: REFUSED_REPLY,
    ...errorReplies(400, 401, 403, 409, 413),
  },
} as const

const customersSchema = {
  summary: `Enroll up to ${BULK_ITEMS_MAX} customers in one transaction (operator)`,
  description: 'For each person the operator vouches for: an account (email proved, no password: the customer sets one '
    + 'with a password reset), a wallet in `currency` cashed in with `cashIn` from the external account, the phone\'s '
    + 'Ed25519 key bound under its IMEI, and a voucher of `voucherAmount` with its hold, under the same caps as '
    + 'POST /api/auth/device/voucher. All or nothing: a refused item (422) writes nothing. A retry under the same key '
    + 'creates nothing and answers with the vouchers issued the first time. The public sign-up keeps its per-address limit.',
  tags: ['users'],
  security: BEARER,
  body: {
    type: 'object',
    required: ['idempotencyKey', 'currency', 'items'],
    additionalProperties: false,
    properties: {
      idempotencyKey: IDEMPOTENCY_KEY,
      currency: { type: 'string', pattern: '^[A-Z]{3}$' },
      items: {
        type: 'array', minItems: 1, maxItems: BULK_ITEMS_MAX,
        items: {
          type: 'object',
          required: ['fullName', 'email', 'cashIn', 'voucherAmount', 'device'],
          additionalProperties: false,
          properties: {
            fullName: FULL_NAME_SCHEMA,
            email: { type: 'string', format: 'email', maxLength: EMAIL_LENGTH_MAX },
            cashIn: AMOUNT_TEXT,
            voucherAmount: AMOUNT_TEXT,
            device: {
              type: 'object',
              required: ['imei', 'publicKey'],
              additionalProperties: false,
              properties: {
                imei: { type: 'string', minLength: 1, maxLength: 64, pattern: '^[0-9A-Za-z-]+$' },
                publicKey: { type: 'string', minLength: 1, maxLength: 128, description: 'Ed25519 public key, base64' },
                model: printableLine(80),
              },
            },
          },
        },
      },
    },
  },
  response: {
    200: { ...BULK_CUSTOMERS_REPLY, description: 'replayed: made by an earlier call under this key' },
    201: { ...BULK_CUSTOMERS_REPLY, description: 'made now' },
    422: REFUSED_REPLY,
    ...errorReplies(400, 401, 403, 409, 413, 503),
  },
} as const

/** 422 with every refused item, when the chunk was refused; anything else goes to the error handler. */
function refusedReply(reply: FastifyReply, error: unknown): FastifyReply {
  if (!(error instanceof BulkRefusal)) throw error
  return reply.code(422).send({ error: { code: error.code, message: error.message }, items: error.items })
}

export const bulkRoutes: FastifyPluginAsync<RouteOptions> = async (app, { context, services }) => {
  const operatorOnly = [app.authenticate, requireRole('operator')]

  app.post<{ Body: BulkGatewaysRequest }>('/admin/bulk/gateways', {
    schema: gatewaysSchema, preValidation: operatorOnly,
  }, async (request, reply) => {
    try {
      const { replayed, gateways } = await provisionGatewaysInBulk(context, services, request.user.sub, request.body)
      return reply.code(replayed ? 200 : 201).send({
        idempotencyKey: request.body.idempotencyKey, replayed, ownerUserId: request.body.ownerUserId,
        gateways: gateways.map(gateway => ({
          index: gateway.index, gatewayId: gateway.gatewayId, eui: gateway.eui, status: gateway.status, token: gateway.token,
          expiresAt: gateway.expiresAtMs === null ? null : new Date(gateway.expiresAtMs).toISOString(),
        })),
      })
    } catch (error) {
      return refusedReply(reply, error)
    }
  })

  app.post<{ Body: BulkCustomersRequest }>('/admin/bulk/customers', {
    schema: customersSchema, preValidation: operatorOnly,
  }, async (request, reply) => {
    try {
      const { replayed, customers } = await enrollCustomersInBulk(context, services, request.user.sub, request.body)
      return reply.code(replayed ? 200 : 201).send({
        idempotencyKey: request.body.idempotencyKey, replayed, currency: request.body.currency,
        hubPublicKey: toBase64(context.hubKeys.publicKey),
        customers: customers.map(customer => ({
          index: customer.index, userId: customer.userId, email: customer.email, walletAccountId: customer.walletAccountId,
          deviceId: customer.deviceId, voucherId: toHex(customer.voucher.voucherId), voucher: toBase64(customer.encodedVoucher),
          expiresAt: new Date(customer.voucher.expiresAtMs).toISOString(),
        })),
      })
    } catch (error) {
      return refusedReply(reply, error)
    }
  })
}
