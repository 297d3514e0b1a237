// A signed-in user proves their email, as verify-phone-init/-finish prove a phone: POST /users/verify-email-init sends
// a code to the account's email (sign-up sent the first one), POST /users/verify-email-finish proves it with the code.

import type { FastifyPluginAsync } from 'fastify'
import type { RouteOptions } from '../http/route-services'
import { requireRole } from '../http/auth'
import { errorReplies } from '../http/errors'
import { ROLES } from '../http/roles'
import { BEARER_SECURITY, callerOf } from '../money/wire'
import { EMAIL_CODE_SENDS, EmailVerification } from './email-verification'
import { PROOF_CODE_LIFETIME_MS, PROOF_CODE_WRONG_MAX } from './one-time-code'
import { absentBodyAsEmpty } from './optional-body'
import {
  EMAIL_CODE_SENT_REPLY_SCHEMA, emailCodeSentReply, USER_REPLY_SCHEMA, userReply, type EmailCodeSentReply,
} from './replies'
import type { UserReply } from './wire'
import { AUTH_BODY_LIMIT_BYTES, PROOF_CODE_SCHEMA } from './schemas'

const LIMITS_TEXT = `A code works ${PROOF_CODE_LIFETIME_MS / 60_000} minutes, and ${PROOF_CODE_WRONG_MAX} wrong tries end it; ` +
  `at most ${EMAIL_CODE_SENDS.perAccountMax} codes go to one account per ${EMAIL_CODE_SENDS.windowMs / 60_000} minutes.`

const initSchema = {
  summary: 'Send a new code to the caller’s email, to prove it is theirs; the code sent before stops working',
  description: 'Until the email (or a phone) is proved, the account may not move money or commit to anything ' +
    `(403 ACCOUNT_UNVERIFIED). ${LIMITS_TEXT}`,
  tags: ['users'],
  security: BEARER_SECURITY,
  body: { type: 'object', additionalProperties: false, properties: {} },
  response: { 202: EMAIL_CODE_SENT_REPLY_SCHEMA, ...errorReplies(400, 401, 403, 409, 413, 429) },
} as const

const finishSchema = {
  summary: 'Prove the caller’s email with the code sent to it: emailVerified becomes true',
  description: LIMITS_TEXT,
  tags: ['users'],
  security: BEARER_SECURITY,
  body: { type: 'object', required: ['code'], additionalProperties: false, properties: { code: PROOF_CODE_SCHEMA } },
  response: { 200: USER_REPLY_SCHEMA, ...errorReplies(400, 401, 403, 409, 413, 429) },
} as const

export const emailRoutes: FastifyPluginAsync<RouteOptions> = async (app, { context, services }) => {
  const emails = new EmailVerification({ ...context, users: services.users, notifier: app.notifier })
  const signedIn = [app.authenticate, requireRole(...ROLES)]

  app.post<{ Reply: EmailCodeSentReply }>('/users/verify-email-init', {
    schema: initSchema, bodyLimit: AUTH_BODY_LIMIT_BYTES, preValidation: [...signedIn, absentBodyAsEmpty],
  }, async (request, reply) => reply.code(202).send(emailCodeSentReply(await emails.send(callerOf(request).userId))))

  app.post<{ Body: { code: string }; Reply: UserReply }>('/users/verify-email-finish', {
    schema: finishSchema, bodyLimit: AUTH_BODY_LIMIT_BYTES, preValidation: signedIn,
  }, async (request) => userReply(await emails.finish(callerOf(request).userId, request.body.code)))
}
