// GET /flags and POST /flags/{id}/resolve: the double spends the hub found, for operators, with both
// customer-signed authorizations as proof, and their resolution.

import type { FastifyPluginAsync } from 'fastify'
import { nodeEd25519 } from '../../protocol/signature/node'
import type { RouteOptions } from '../http/route-services'
import { requireRole } from '../http/auth'
import { cursorPaging, ID_CURSOR } from '../http/cursor-paging'
import { errorReplies } from '../http/errors'
import { printableLine } from '../http/text'
import { BEARER_SECURITY, callerOf } from '../money/wire'
import { FLAG_STATUSES, type FlagStatus } from './flag-wire'
import { DoubleSpendFlags, FLAGS_PAGE_MAX } from './flags'
import type { FlagView } from './flag-wire'
import { FLAG_REPLY_SCHEMA } from './replies'

const paging = cursorPaging(ID_CURSOR, { page_max: FLAGS_PAGE_MAX, pageDefault: 50 })
const NOTE_LENGTH_MAX = 1_000
const RESOLVE_BODY_LIMIT_BYTES = 8 * 1024

interface FlagsQuery {
  status?: FlagStatus
  limit: number
  before?: string
}

const listSchema = {
  summary: 'Double spends the hub found, newest first, each with both signed authorizations (operator)',
  description: `Each authorization is decoded and its signature checked again under the payer’s device key. ${paging.description}`,
  tags: ['flags'],
  security: BEARER_SECURITY,
  querystring: {
    type: 'object',
    additionalProperties: false,
    properties: {
      status: { type: 'string', enum: [...FLAG_STATUSES], description: 'both when absent' },
      ...paging.querystring,
    },
  },
  response: {
    200: {
      type: 'object',
      required: ['flags', 'next'],
      additionalProperties: false,
      properties: {
        flags: { type: 'array', maxItems: FLAGS_PAGE_MAX, items: FLAG_REPLY_SCHEMA },
        next: paging.nextSchema,
      },
    },
    ...errorReplies(400, 401, 403),
  },
} as const

const resolveSchema = {
  summary: 'Resolve a double-spend flag, with a note (operator)',
  description: 'Records who resolved it, when and why. The first resolution stands: resolving it again is 409 FLAG_RESOLVED '
    + 'and changes nothing. Money is not moved by resolving: corrections are transfers of their own.',
  tags: ['flags'],
  security: BEARER_SECURITY,
  params: {
    type: 'object', required: ['id'], additionalProperties: false,
    properties: { id: { type: 'integer', minimum: 1, maximum: Number.MAX_SAFE_INTEGER } },
  },
  body: {
    type: 'object', required: ['note'], additionalProperties: false,
    properties: { note: printableLine(NOTE_LENGTH_MAX) },
  },
  response: { 200: FLAG_REPLY_SCHEMA, ...errorReplies(400, 401, 403, 404, 409, 413) },
} as const

export const flagRoutes: FastifyPluginAsync<RouteOptions> = async (app, { context, services }) => {
  const operatorOnly = [app.authenticate, requireRole('operator')]
  const flags = new DoubleSpendFlags({
    store: services.flags,
    engine: context.engine,
    audit: services.audit,
    ledger: context.ledger,
    gatewayIdOf: async eui => (await services.gateways.byEui(eui))?.id ?? null,
    userNameOf: async userId => (await services.users.byId(userId))?.fullName ?? null,
    ed25519: nodeEd25519,
    clock: context.clock,
  })

  app.get<{ Querystring: FlagsQuery; Reply: { flags: FlagView[]; next: string | null } }>('/flags',
    { schema: listSchema, preValidation: operatorOnly }, async request => {
      const { status, limit, before } = request.query
      const page = await flags.page(status, paging.cursorOf(before), limit)
      return { flags: page.flags, next: paging.nextOf(page.next) }
    })

  app.post<{ Params: { id: number }; Body: { note: string }; Reply: FlagView }>('/flags/:id/resolve', {
    schema: resolveSchema, bodyLimit: RESOLVE_BODY_LIMIT_BYTES, preValidation: operatorOnly,
  }, async request => flags.resolve(request.params.id, callerOf(request).userId, request.body.note.trim()))
}
