// POST /users/sign-up: anyone may register as a customer; the password is hashed with the hub's
// hasher and never leaves it. Owners and operators are made by an operator, not here. A code goes to the email at once
// (hub/users/email-verification.ts): until the email or a phone is proved, the account moves no money. A phone number
// given here is the account's once proved with the code sent to it (hub/users/phone-verification.ts).

import type { FastifyPluginAsync } from 'fastify'
import type { RouteOptions } from '../http/route-services'
import { errorReplies, HttpError } from '../http/errors'
import { phoneNumberOf, PHONE_TEXT_SCHEMA } from '../users/phone'
import { EmailVerification } from '../users/email-verification'
import { PhoneVerification } from '../users/phone-verification'
import { USER_REPLY_SCHEMA, userReply } from '../users/replies'
import type { UserReply } from '../users/wire'
import { PASSWORD_LENGTH_MIN, passwordWeakness } from '../users/passwords'
import { FULL_NAME_SCHEMA } from '../users/schemas'
import { newUserId, normalizeEmail, type NewUser } from '../users/store'
import { MONEY_BODY_LIMIT_BYTES, moneyRouteError } from './wire'

const PASSWORD_LENGTH_MAX = 1024
const EMAIL_LENGTH_MAX = 254

interface SignUpBody {
  fullName: string
  email: string
  password: string
  phone?: string
}

const signUpSchema = {
  summary: 'Register as a customer: a code goes to the email, and verify-email-finish proves it',
  description: 'Until the email (or a phone) is proved, the account may sign in and read but not move money or commit ' +
    'to anything (403 ACCOUNT_UNVERIFIED).',
  tags: ['users'],
  body: {
    type: 'object',
    required: ['fullName', 'email', 'password'],
    additionalProperties: false,
    properties: {
      fullName: FULL_NAME_SCHEMA,
      email: { type: 'string', format: 'email', maxLength: EMAIL_LENGTH_MAX },
      password: {
        type: 'string', maxLength: PASSWORD_LENGTH_MAX,
        description: `at least ${PASSWORD_LENGTH_MIN} characters, with a letter and a digit`,
      },
      phone: { ...PHONE_TEXT_SCHEMA, description: `${PHONE_TEXT_SCHEMA.description}; it gets a code, and is the account's once proved` },
    },
  },
  response: { 201: USER_REPLY_SCHEMA, ...errorReplies(400, 409, 413, 429) },
} as const

export const signUpRoutes: FastifyPluginAsync<RouteOptions> = async (app, { context, services }) => {
  const { users } = services
  const phones = new PhoneVerification({ ...context, users, notifier: app.notifier })
  const emails = new EmailVerification({ ...context, users, notifier: app.notifier })

  app.post<{ Body: SignUpBody; Reply: UserReply }>('/users/sign-up',
    { schema: signUpSchema, bodyLimit: MONEY_BODY_LIMIT_BYTES }, async (request, reply) => {
      const weakness = passwordWeakness(request.body.password)
      if (weakness !== undefined) throw moneyRouteError(400, 'WEAK_PASSWORD', weakness)
      const email = normalizeEmail(request.body.email)
      const phone = request.body.phone === undefined ? undefined : phoneNumberOf(request.body.phone, context.config.phoneRegion)
      // Checked before hashing so a taken email costs no scrypt; the unique index still decides a race.
      if (await users.credentialsByEmail(email) !== undefined) throw emailTaken()

      const user: NewUser = {
        id: newUserId(context.random),
        email,
        fullName: request.body.fullName.trim(),
        emailVerifiedAtMs: null,
        roles: ['customer'],
        passwordHash: await context.passwords.hash(request.body.password),
        createdAtMs: context.clock.now_ms(),
      }
      // One transaction: a number refused (taken, too many codes) creates no account either. The codes go once it commits.
      const { emailCode, phoneCode } = await context.engine.write(async (sql) => {
        const taken = await users.insertIn(sql, user)
        if (taken !== undefined) throw taken
        return {
          emailCode: await emails.sendIn(sql, user.id),
          phoneCode: phone === undefined ? undefined : await phones.claimForUserIn(sql, user.id, phone),
        }
      })
      await emails.deliver(emailCode)
      if (phoneCode !== undefined) await phones.deliver(phoneCode)
      return reply.code(201).send(userReply((await users.byId(user.id))!))
    })
}

function emailTaken(): HttpError {
  return moneyRouteError(409, 'EMAIL_TAKEN', 'a user with this email exists')
}
