// POST /users/sign-up: anyone may register as a customer; the password is hashed with the hub's
// hasher and never leaves it. Owners and operators are made by an operator, not here.

import type { FastifyPluginAsync } from 'fastify'
import type { HubContext } from '../context'
import { errorReplies, HttpError } from '../http/errors'
import { USER_REPLY_SCHEMA, userReply, type UserReply } from '../users/routes'
import { UserStore, newUserId, normalizeEmail, publicUser, type NewUser } from '../users/store'
import { MONEY_BODY_LIMIT_BYTES, moneyRouteError } from './wire'

export const PASSWORD_LENGTH_MIN = 10
const PASSWORD_LENGTH_MAX = 1024
const EMAIL_LENGTH_MAX = 254
const FULL_NAME_LENGTH_MAX = 200

interface SignUpBody {
  fullName: string
  email: string
  password: string
  phone?: string
}

const signUpSchema = {
  summary: 'Register as a customer',
  tags: ['users'],
  body: {
    type: 'object',
    required: ['fullName', 'email', 'password'],
    additionalProperties: false,
    properties: {
      fullName: { type: 'string', minLength: 1, maxLength: FULL_NAME_LENGTH_MAX },
      email: { type: 'string', format: 'email', maxLength: EMAIL_LENGTH_MAX },
      password: {
        type: 'string', maxLength: PASSWORD_LENGTH_MAX,
        description: `at least ${PASSWORD_LENGTH_MIN} characters, with a letter and a digit`,
      },
      phone: { type: 'string', pattern: '^\\+?[0-9]{3,31}$', description: 'digits, optionally after a +' },
    },
  },
  response: { 201: USER_REPLY_SCHEMA, ...errorReplies(400, 409, 413) },
} as const

/** Why a password is too weak to accept, or undefined when it is strong enough. */
export function passwordWeakness(password: string): string | undefined {
  if ([...password].length < PASSWORD_LENGTH_MIN) return `a password has at least ${PASSWORD_LENGTH_MIN} characters`
  if (!/\p{L}/u.test(password)) return 'a password has at least one letter'
  if (!/\p{Nd}/u.test(password)) return 'a password has at least one digit'
  return undefined
}

export const signUpRoutes: FastifyPluginAsync<{ context: HubContext }> = async (app, { context }) => {
  const users = new UserStore(context.db)

  app.post<{ Body: SignUpBody; Reply: UserReply }>('/users/sign-up',
    { schema: signUpSchema, bodyLimit: MONEY_BODY_LIMIT_BYTES }, async (request, reply) => {
      const weakness = passwordWeakness(request.body.password)
      if (weakness !== undefined) throw moneyRouteError(400, 'WEAK_PASSWORD', weakness)
      const email = normalizeEmail(request.body.email)
      // Checked before hashing so a taken email costs no scrypt; the unique index still decides a race.
      if (users.credentialsByEmail(email) !== undefined) throw emailTaken()

      const user: NewUser = {
        id: newUserId(context.random),
        email,
        phone: request.body.phone ?? null,
        fullName: request.body.fullName,
        role: 'customer',
        passwordHash: await context.passwords.hash(request.body.password),
        createdAtMs: context.clock.nowMs(),
      }
      try {
        users.insert(user)
      } catch (error) {
        throw uniquenessError(error) ?? error
      }
      return reply.code(201).send(userReply(publicUser(user)))
    })
}

function emailTaken(): HttpError {
  return moneyRouteError(409, 'EMAIL_TAKEN', 'a user with this email exists')
}

function uniquenessError(error: unknown): HttpError | undefined {
  if (!(error instanceof Error) || (error as { code?: unknown }).code !== 'SQLITE_CONSTRAINT_UNIQUE') return undefined
  if (error.message.includes('users.email')) return emailTaken()
  if (error.message.includes('users.phone')) return moneyRouteError(409, 'PHONE_TAKEN', 'a user with this phone exists')
  return undefined
}
