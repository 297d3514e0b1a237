// A signed-in user proves a phone number, in the seed's style of the reset-password pair: POST /users/verify-phone-init
// sends a code to the number (given here or by update-account), POST /users/verify-phone-finish proves it with the code.

import type { FastifyPluginAsync } from 'fastify'
import type { RouteOptions } from '../http/route-services'
import { requireRole } from '../http/auth'
import { errorReplies, HttpError } from '../http/errors'
import { BEARER_SECURITY, callerOf } from '../money/wire'
import { absentBodyAsEmpty } from './optional-body'
import { phoneNumberOf, PHONE_TEXT_SCHEMA } from './phone'
import { PROOF_CODE_LIFETIME_MS, PROOF_CODE_WRONG_MAX } from './one-time-code'
import { PHONE_CODE_SENDS, PhoneVerification } from './phone-verification'
import {
  CODE_SENT_REPLY_SCHEMA, codeSentReply, USER_REPLY_SCHEMA, userReply, type CodeSentReply,
} from './replies'
import type { UserReply } from './wire'
import { ROLES } from '../http/roles'
import { AUTH_BODY_LIMIT_BYTES, PROOF_CODE_SCHEMA } from './schemas'

const LIMITS_TEXT = `A code works ${PROOF_CODE_LIFETIME_MS / 60_000} minutes, and ${PROOF_CODE_WRONG_MAX} wrong tries end it; ` +
  `at most ${PHONE_CODE_SENDS.perNumberMax} codes go to one number, and ${PHONE_CODE_SENDS.perClaimantMax} for one account, ` +
  `per ${PHONE_CODE_SENDS.windowMs / 60_000} minutes.`

const initSchema = {
  summary: 'Send a code to a phone number to prove it is the caller’s: the number given, else the one waiting to be proved',
  description: `Until proved, a number receives no money sent to it and logs nobody in. ${LIMITS_TEXT}`,
  tags: ['users'],
  security: BEARER_SECURITY,
  body: { type: 'object', additionalProperties: false, properties: { phone: PHONE_TEXT_SCHEMA } },
  response: { 202: CODE_SENT_REPLY_SCHEMA, ...errorReplies(400, 401, 409, 413, 429) },
} as const

const finishSchema = {
  summary: 'Prove the number waiting to be proved with the code sent to it: it becomes the caller’s phone',
  description: `A number someone else proved first is theirs (409 PHONE_TAKEN). ${LIMITS_TEXT}`,
  tags: ['users'],
  security: BEARER_SECURITY,
  body: { type: 'object', required: ['code'], additionalProperties: false, properties: { code: PROOF_CODE_SCHEMA } },
  response: { 200: USER_REPLY_SCHEMA, ...errorReplies(400, 401, 409, 413, 429) },
} as const

export const phoneRoutes: FastifyPluginAsync<RouteOptions> = async (app, { context, services }) => {
  const { users } = services
  const phones = new PhoneVerification({ ...context, users, notifier: app.notifier })
  const signedIn = [app.authenticate, requireRole(...ROLES)]

  app.post<{ Body: { phone?: string }; Reply: CodeSentReply }>('/users/verify-phone-init', {
    schema: initSchema, bodyLimit: AUTH_BODY_LIMIT_BYTES, preValidation: [...signedIn, absentBodyAsEmpty],
  }, async (request, reply) => {
    const { userId } = callerOf(request)
    const typed = request.body.phone
    const sent = typed === undefined
      ? await phones.resendForUser(userId)
      : await phones.claimForUser(userId, phoneNumberOf(typed, context.config.phoneRegion))
    if (sent === undefined) throw new HttpError(409, 'CONFLICT', 'this number is already your phone, and proved')
    return reply.code(202).send(codeSentReply(sent))
  })

  app.post<{ Body: { code: string }; Reply: UserReply }>('/users/verify-phone-finish', {
    schema: finishSchema, bodyLimit: AUTH_BODY_LIMIT_BYTES, preValidation: signedIn,
  }, async (request) => userReply(await phones.finishForUser(callerOf(request).userId, request.body.code)))
}
