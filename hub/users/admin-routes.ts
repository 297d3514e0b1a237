// User administration for operators: GET /admin/users lists and searches the accounts, newest first, a page at a
// time; POST /admin/users/{id}/suspend, /reactivate and /verify-email, POST and DELETE /admin/users/{id}/operator act on one
// (hub/users/administration.ts), each act written to the audit log (GET /admin/audit) in its transaction.

import type { FastifyPluginAsync } from 'fastify'
import type { RouteOptions } from '../http/route-services'
import { requireRole } from '../http/auth'
import { cursorPaging, type CursorCodec } from '../http/cursor-paging'
import { errorReplies } from '../http/errors'
import { ROLES, type Role } from '../http/roles'
import { printableLine } from '../http/text'
import { BEARER_SECURITY, callerOf } from '../money/wire'
import { UserAdministration } from './administration'
import { absentBodyAsEmpty } from './optional-body'
import { ADMIN_USER_REPLY_SCHEMA, adminUserReply } from './replies'
import type { AdminUserReply } from './wire'
import type { User, UserCursor } from './store'

export const ADMIN_USERS_PAGE_MAX = 200
const SEARCH_LENGTH_MAX = 100
const SUSPEND_REASON_LENGTH_MAX = 500
const ADMIN_BODY_LIMIT_BYTES = 8 * 1024

/** Where a page of users starts, as opaque text: base64url of "<createdAtMs>:<id>". */
const USER_CURSOR: CursorCodec<UserCursor> = {
  textSchema: { type: 'string', pattern: '^[A-Za-z0-9_-]+$', maxLength: 200 },
  text: cursor => Buffer.from(`${cursor.createdAtMs}:${cursor.id}`, 'utf8').toString('base64url'),
  parse(text) {
    const match = /^(0|[1-9][0-9]{0,15}):(.{1,64})$/su.exec(Buffer.from(text, 'base64url').toString('utf8'))
    const createdAt_ms = match === null ? NaN : Number(match[1])
    return match === null || !Number.isSafeInteger(createdAt_ms) ? undefined : { createdAtMs: createdAt_ms, id: match[2]! }
  },
}
const paging = cursorPaging(USER_CURSOR, { page_max: ADMIN_USERS_PAGE_MAX, pageDefault: 50 })

interface ListQuery {
  q?: string
  role?: Role
  status?: 'active' | 'suspended'
  limit: number
  before?: string
}

const listSchema = {
  summary: 'Users, newest first, a page at a time, searched and filtered (operator)',
  description: `q matches part of the name, the email or the phone number (typed with or without spaces). ${paging.description}`,
  tags: ['admin'],
  security: BEARER_SECURITY,
  querystring: {
    type: 'object',
    additionalProperties: false,
    properties: {
      q: { type: 'string', maxLength: SEARCH_LENGTH_MAX },
      role: { type: 'string', enum: [...ROLES], description: 'users holding this role (among others)' },
      status: { type: 'string', enum: ['active', 'suspended'] },
      ...paging.querystring,
    },
  },
  response: {
    200: {
      type: 'object',
      required: ['users', 'next'],
      additionalProperties: false,
      properties: {
        users: { type: 'array', maxItems: ADMIN_USERS_PAGE_MAX, items: ADMIN_USER_REPLY_SCHEMA },
        next: paging.nextSchema,
      },
    },
    ...errorReplies(400, 401, 403),
  },
} as const

const ID_PARAMS = {
  type: 'object', required: ['id'], additionalProperties: false, properties: { id: { type: 'string', minLength: 1, maxLength: 64 } },
} as const
const NO_BODY = { type: 'object', additionalProperties: false, properties: {} } as const

function actSchema(summary: string, description: string, body: object = NO_BODY) {
  return {
    summary, description, tags: ['admin'], security: BEARER_SECURITY, params: ID_PARAMS, body,
    response: { 200: ADMIN_USER_REPLY_SCHEMA, ...errorReplies(400, 401, 403, 404, 409, 413) },
  }
}

const LOGGED = 'Written to the audit log when it changes something; the same act again changes nothing and replies the user.'

const suspendSchema = actSchema('Suspend a user (operator): their tokens are refused at once, and they cannot log in',
  `Their sessions end. An operator cannot suspend themself (409 SELF_SUSPEND). ${LOGGED}`, {
    type: 'object', required: ['reason'], additionalProperties: false,
    properties: { reason: { ...printableLine(SUSPEND_REASON_LENGTH_MAX), description: 'why; kept with the account and in the audit log' } },
  })
const reactivateSchema = actSchema('Reactivate a suspended user (operator): they may log in again', LOGGED)
const verifyEmailSchema = actSchema('Vouch for a user’s email (operator): emailVerified becomes true, as with a code',
  `For an account whose holder proved the address to the operator another way. 409 NO_EMAIL without one. ${LOGGED}`)
const grantSchema = actSchema('Grant a user the operator role (operator); the roles they hold stay', LOGGED)
const revokeSchema = actSchema('Remove the operator role from a user (operator); one who held no other role is left a customer',
  `The last active operator keeps it (409 LAST_OPERATOR). ${LOGGED}`)

export const adminUserRoutes: FastifyPluginAsync<RouteOptions> = async (app, { context, services }) => {
  const { users } = services
  const administration = new UserAdministration({ engine: context.engine, users, audit: services.audit, clock: context.clock })
  const operatorOnly = [app.authenticate, requireRole('operator')]
  const small = { bodyLimit: ADMIN_BODY_LIMIT_BYTES }

  app.get<{ Querystring: ListQuery }>('/admin/users', { schema: listSchema, preValidation: operatorOnly }, async (request) => {
    const { q, role, status, limit, before } = request.query
    const page = await users.search({
      limit,
      ...(q === undefined ? {} : { text: q }),
      ...(role === undefined ? {} : { role }),
      ...(status === undefined ? {} : { status }),
      ...(before === undefined ? {} : { before: paging.cursorOf(before) }),
    })
    return { users: page.users.map(adminUserReply), next: paging.nextOf(page.next) }
  })

  type Act = (actorId: string, targetId: string) => Promise<User>
  const acts: Array<{ method: 'POST' | 'DELETE'; url: string; schema: object; act: Act }> = [
    { method: 'POST', url: '/admin/users/:id/reactivate', schema: reactivateSchema, act: (actor, target) => administration.reactivate(actor, target) },
    { method: 'POST', url: '/admin/users/:id/verify-email', schema: verifyEmailSchema, act: (actor, target) => administration.verifyEmail(actor, target) },
    { method: 'POST', url: '/admin/users/:id/operator', schema: grantSchema, act: (actor, target) => administration.grantOperator(actor, target) },
    { method: 'DELETE', url: '/admin/users/:id/operator', schema: revokeSchema, act: (actor, target) => administration.revokeOperator(actor, target) },
  ]
  for (const { method, url, schema, act } of acts) {
    app.route<{ Params: { id: string }; Reply: AdminUserReply }>({
      method, url, schema, ...small, preValidation: [...operatorOnly, absentBodyAsEmpty],
      handler: async (request) => adminUserReply(await act(callerOf(request).userId, request.params.id)),
    })
  }

  app.post<{ Params: { id: string }; Body: { reason: string }; Reply: AdminUserReply }>('/admin/users/:id/suspend', {
    schema: suspendSchema, ...small, preValidation: operatorOnly,
  }, async (request) => adminUserReply(await administration.suspend(callerOf(request).userId, request.params.id, request.body.reason.trim())))
}
