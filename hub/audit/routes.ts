// GET /admin/audit: what operators did (suspensions, operator grants, order and KYC decisions, provisioning tokens,
// risk changes), newest first, a page at a time (operator).

import type { FastifyPluginAsync } from 'fastify'
import type { RouteOptions } from '../http/route-services'
import { requireRole } from '../http/auth'
import { errorReplies } from '../http/errors'
import { BEARER_SECURITY } from '../money/wire'
import type { AuditPageReply } from './wire'

const AUDIT_PAGE_MAX = 200
const AUDIT_PAGE_DEFAULT = 50

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
      description: 'user.suspend, user.reactivate, user.verify_email, operator.grant, operator.revoke, order.validate, order.reopen (a validation ' +
        'undone when a gateway changed hands meanwhile), order.reject, kyc.approve, kyc.reject, gateway.provisioning_token, ' +
        'gateway.risk_change',
    },
    targetId: { type: 'string', description: 'a user, order, KYC document or gateway id' },
    targetName: { type: 'string', description: 'the user’s name, or what names the order, document or gateway' },
    detail: { type: ['string', 'null'], description: 'a reason, or what changed' },
  },
} as const

const auditSchema = {
  summary: 'The audit log of operators’ acts, newest first (operator)',
  description: 'next is the `before` of the following page, null on the last one.',
  tags: ['admin'],
  security: BEARER_SECURITY,
  querystring: {
    type: 'object',
    additionalProperties: false,
    properties: {
      limit: { type: 'integer', minimum: 1, maximum: AUDIT_PAGE_MAX, default: AUDIT_PAGE_DEFAULT },
      before: { type: 'string', pattern: '^[1-9][0-9]{0,14}$', description: 'the `next` of the page before' },
    },
  },
  response: {
    200: {
      type: 'object',
      required: ['entries', 'next'],
      additionalProperties: false,
      properties: {
        entries: { type: 'array', maxItems: AUDIT_PAGE_MAX, items: ENTRY_SCHEMA },
        next: { type: ['string', 'null'] },
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
    const page = services.audit.page(limit, before === undefined ? null : Number(before))
    return { entries: page.entries, next: page.next === null ? null : String(page.next) }
  })
}
