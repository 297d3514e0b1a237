// GET /admin/audit: what operators did (suspensions, operator grants, order and KYC decisions, gateway changes and
// tokens, risk changes, resolved double-spend flags, fee schedules, cash in and out), newest first, a page at a time (operator).

import type { FastifyPluginAsync } from 'fastify'
import type { RouteOptions } from '../http/route-services'
import { requireRole } from '../http/auth'
import { cursorPaging, ID_CURSOR } from '../http/cursor-paging'
import { errorReplies } from '../http/errors'
import { BEARER_SECURITY } from '../money/wire'
import { AUDIT_ACTIONS, type AuditPageReply } from './wire'

const AUDIT_PAGE_MAX = 200
const paging = cursorPaging(ID_CURSOR, { page_max: AUDIT_PAGE_MAX, pageDefault: 50 })

const ENTRY_SCHEMA = {
  type: 'object',
  required: ['id', 'atMs', 'actorId', 'actorName', 'action', 'targetId', 'targetName', 'detail'],
  additionalProperties: false,
  properties: {
    id: { type: 'integer', description: 'grows with every entry' },
    atMs: { type: 'integer', description: 'Unix ms' },
    actorId: { type: 'string', description: 'the operator who acted' },
    actorName: { type: 'string', description: 'their name when they acted' },
    action: {
      type: 'string',
      enum: AUDIT_ACTIONS,
      description: 'what the operator did; order.reopen is a validation undone when a gateway changed hands meanwhile',
    },
    targetId: { type: 'string', description: 'a user, order, KYC document, gateway, double-spend flag, fee schedule or wallet id' },
    targetName: { type: 'string', description: 'the user’s name, or what names the order, document, gateway, flag, fee schedule or wallet' },
    detail: { type: ['string', 'null'], description: 'a reason, or what changed' },
  },
} as const

const auditSchema = {
  summary: 'The audit log of operators’ acts, newest first (operator)',
  description: paging.description,
  tags: ['admin'],
  security: BEARER_SECURITY,
  querystring: {
    type: 'object',
    additionalProperties: false,
    properties: paging.querystring,
  },
  response: {
    200: {
      type: 'object',
      required: ['entries', 'next'],
      additionalProperties: false,
      properties: {
        entries: { type: 'array', maxItems: AUDIT_PAGE_MAX, items: ENTRY_SCHEMA },
        next: paging.nextSchema,
      },
    },
    ...errorReplies(400, 401, 403),
  },
} as const

export const auditRoutes: FastifyPluginAsync<RouteOptions> = async (app, { services }) => {
  app.get<{ Querystring: { limit: number; before?: string }; Reply: AuditPageReply }>('/admin/audit', {
    schema: auditSchema, preValidation: [app.authenticate, requireRole('operator')],
  }, async (request) => {
    const { limit, before } = request.query
    const page = await services.audit.page(limit, paging.cursorOf(before) ?? null)
    return { entries: page.entries, next: paging.nextOf(page.next) }
  })
}
