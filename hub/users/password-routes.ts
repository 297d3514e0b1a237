// Passwords over REST at the seed's paths: the forgotten-password pair (reset-password-init/-finish)
// and PATCH /users/update-password for a signed-in user. A new password ends every session of the account.

import type { FastifyPluginAsync } from 'fastify'
import type { RouteOptions } from '../http/route-services'
import { requireRole } from '../http/auth'
import { errorReplies, HttpError } from '../http/errors'
import { passwordWeakness } from './passwords'
import { BEARER_SECURITY, callerOf } from '../money/wire'
import { identifierKeysOf } from './login'
import { finishPasswordReset, startPasswordReset } from './password-reset'
import { ROLES } from '../http/roles'
import { AUTH_BODY_LIMIT_BYTES, EMAIL_LENGTH_MAX, OPAQUE_TOKEN_SCHEMA, PASSWORD_SCHEMA } from './schemas'

export const RESET_ACCEPTED_MESSAGE = 'if an account has this email, a reset token is on its way'

const resetInitSchema = {
  summary: 'Send a password reset token to the account with this email, if there is one',
  description: 'Always 202, so the reply says nothing about which emails have accounts. The token is valid 1 h, once.',
  tags: ['users'],
  body: {
    type: 'object',
    required: ['email'],
    additionalProperties: false,
    properties: { email: { type: 'string', minLength: 1, maxLength: EMAIL_LENGTH_MAX } },
  },
  response: {
    202: { type: 'object', required: ['message'], additionalProperties: false, properties: { message: { type: 'string' } } },
    ...errorReplies(400, 413, 429),
  },
} as const

const resetFinishSchema = {
  summary: 'Set a new password with a reset token; every session of the account ends',
  tags: ['users'],
  body: {
    type: 'object',
    required: ['token', 'password'],
    additionalProperties: false,
    properties: { token: OPAQUE_TOKEN_SCHEMA, password: PASSWORD_SCHEMA },
  },
  response: { 204: { type: 'null' }, ...errorReplies(400, 413, 429) },
} as const

const updatePasswordSchema = {
  summary: 'Change the caller’s password; every session ends, this one included',
  tags: ['users'],
  security: BEARER_SECURITY,
  body: {
    type: 'object',
    required: ['currentPassword', 'newPassword'],
    additionalProperties: false,
    properties: { currentPassword: PASSWORD_SCHEMA, newPassword: PASSWORD_SCHEMA },
  },
  response: { 204: { type: 'null' }, ...errorReplies(400, 401, 403, 413, 423, 429) },
} as const

export const passwordRoutes: FastifyPluginAsync<RouteOptions> = async (app, { context, services }) => {
  const { users } = services
  const resets = {
    users, clock: context.clock, random: context.random, notifier: app.notifier, passwords: context.passwords,
    throttle: app.loginThrottle,
  }
  const small = { bodyLimit: AUTH_BODY_LIMIT_BYTES }

  app.post<{ Body: { email: string } }>('/users/reset-password-init', { schema: resetInitSchema, ...small },
    async (request, reply) => {
      await startPasswordReset(resets, request.body.email)
      return reply.code(202).send({ message: RESET_ACCEPTED_MESSAGE })
    })

  app.post<{ Body: { token: string; password: string } }>('/users/reset-password-finish', { schema: resetFinishSchema, ...small },
    async (request, reply) => {
      await finishPasswordReset(resets, request.ip, request.body.token, request.body.password)
      return reply.code(204).send()
    })

  app.patch<{ Body: { currentPassword: string; newPassword: string } }>('/users/update-password', {
    schema: updatePasswordSchema, ...small, preValidation: [app.authenticate, requireRole(...ROLES)],
  }, async (request, reply) => {
    const { userId } = callerOf(request)
    const user = await users.credentialsById(userId)
    if (user === undefined) throw new HttpError(401, 'UNAUTHORIZED', 'the token’s user no longer exists')
    // A stolen access token must not be enough to take the account over: wrong guesses count as failed logins,
    // of this address and of the account's email and phone.
    const verified = await app.loginThrottle.attempt(request.ip, identifierKeysOf(user),
      async () => ((await context.passwords.verify(request.body.currentPassword, user.passwordHash)) ? user : undefined))
    if (verified === undefined) throw new HttpError(403, 'WRONG_PASSWORD', 'the current password is wrong')
    const weakness = passwordWeakness(request.body.newPassword)
    if (weakness !== undefined) throw new HttpError(400, 'WEAK_PASSWORD', weakness)
    await users.changePassword(userId, await context.passwords.hash(request.body.newPassword), context.clock.now_ms())
    return reply.code(204).send()
  })
}
