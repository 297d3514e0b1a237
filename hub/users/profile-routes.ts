// PATCH /users/update-account: the caller changes their own name, or asks for a new phone number, which becomes
// theirs only once they prove it with the code sent to it (hub/users/phone-verification.ts); nothing else about an
// account (email, role) changes here.

import type { FastifyPluginAsync } from 'fastify'
import type { RouteOptions } from '../http/route-services'
import { requireRole } from '../http/auth'
import { errorReplies, HttpError } from '../http/errors'
import { BEARER_SECURITY, callerOf } from '../money/wire'
import { phoneNumberOf, PHONE_TEXT_SCHEMA } from './phone'
import { PhoneVerification } from './phone-verification'
import { USER_REPLY_SCHEMA, userReply } from './replies'
import type { UserReply } from './wire'
import { ROLES } from '../http/roles'
import { AUTH_BODY_LIMIT_BYTES, FULL_NAME_SCHEMA } from './schemas'

interface UpdateAccountBody {
  fullName?: string
  phone?: string
}

const updateAccountSchema = {
  summary: 'Change the caller’s name, or give a new phone number: a code goes to it, and verify-phone-finish proves it',
  description: 'The new number shows as phonePending, and the number the caller had stays theirs, until the code comes back.',
  tags: ['users'],
  security: BEARER_SECURITY,
  body: {
    type: 'object',
    minProperties: 1,
    additionalProperties: false,
    properties: { fullName: FULL_NAME_SCHEMA, phone: PHONE_TEXT_SCHEMA },
  },
  response: { 200: USER_REPLY_SCHEMA, ...errorReplies(400, 401, 409, 413, 429) },
} as const

export const profileRoutes: FastifyPluginAsync<RouteOptions> = async (app, { context, services }) => {
  const { users } = services
  const phones = new PhoneVerification({ ...context, users, notifier: app.notifier })

  app.patch<{ Body: UpdateAccountBody; Reply: UserReply }>('/users/update-account', {
    schema: updateAccountSchema, bodyLimit: AUTH_BODY_LIMIT_BYTES, preValidation: [app.authenticate, requireRole(...ROLES)],
  }, async (request) => {
    const { userId } = callerOf(request)
    const { fullName } = request.body
    const phone = request.body.phone === undefined ? undefined : phoneNumberOf(request.body.phone, context.config.phoneRegion)
    // One transaction: a number refused (taken, too many codes) leaves the name as it was too.
    const sending = await context.engine.write(async (sql) => {
      const claimed = phone === undefined ? undefined : await phones.claimForUserIn(sql, userId, phone)
      if (fullName !== undefined) await users.updateFullName(userId, fullName.trim(), sql)
      return claimed
    })
    if (sending !== undefined) await phones.deliver(sending)
    const updated = await users.byId(userId)
    if (updated === undefined) throw new HttpError(401, 'UNAUTHORIZED', 'the token’s user no longer exists')
    return userReply(updated)
  })
}
