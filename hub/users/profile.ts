// PATCH /users/update-account: the caller changes their own name or phone; nothing else about an account
// (email, role) changes here.

import type { FastifyPluginAsync } from 'fastify'
import type { HubContext } from '../context'
import { requireRole } from '../http/auth'
import { errorReplies, HttpError } from '../http/errors'
import { BEARER_SECURITY, callerOf } from '../money/wire'
import { USER_REPLY_SCHEMA, userReply, type UserReply } from './replies'
import { ROLES } from './roles'
import { AUTH_BODY_LIMIT_BYTES } from './routes'
import { normalizePhone, PHONE_PATTERN, UserStore } from './store'

export const FULL_NAME_LENGTH_MAX = 200
const PHONE_TEXT_LENGTH_MAX = 40

export const PHONE_SCHEMA = {
  type: 'string', minLength: 3, maxLength: PHONE_TEXT_LENGTH_MAX, pattern: '^\\+?[0-9 ().-]+$',
  description: 'digits, optionally after a +; spaces, dots, dashes and brackets are ignored',
} as const

interface UpdateAccountBody {
  fullName?: string
  phone?: string
}

const updateAccountSchema = {
  summary: 'Change the caller’s name or phone',
  tags: ['users'],
  security: BEARER_SECURITY,
  body: {
    type: 'object',
    minProperties: 1,
    additionalProperties: false,
    properties: {
      fullName: { type: 'string', minLength: 1, maxLength: FULL_NAME_LENGTH_MAX, pattern: '\\S' },
      phone: PHONE_SCHEMA,
    },
  },
  response: { 200: USER_REPLY_SCHEMA, ...errorReplies(400, 401, 409, 413) },
} as const

/** The phone as stored, or 400 when what is left after normalizing is not a phone number. */
export function phoneOf(text: string): string {
  const phone = normalizePhone(text)
  if (!PHONE_PATTERN.test(phone)) throw new HttpError(400, 'BAD_REQUEST', `not a phone number: ${JSON.stringify(text)}`)
  return phone
}

export const profileRoutes: FastifyPluginAsync<{ context: HubContext }> = async (app, { context }) => {
  const users = new UserStore(context.db)

  app.patch<{ Body: UpdateAccountBody; Reply: UserReply }>('/users/update-account', {
    schema: updateAccountSchema, bodyLimit: AUTH_BODY_LIMIT_BYTES, preValidation: [app.authenticate, requireRole(...ROLES)],
  }, async (request) => {
    const { userId } = callerOf(request)
    const { fullName, phone } = request.body
    const updated = users.updateProfile(userId, {
      ...(fullName === undefined ? {} : { fullName: fullName.trim() }),
      ...(phone === undefined ? {} : { phone: phoneOf(phone) }),
    })
    if (updated === undefined) throw new HttpError(401, 'UNAUTHORIZED', 'the token’s user no longer exists')
    return userReply(updated)
  })
}
