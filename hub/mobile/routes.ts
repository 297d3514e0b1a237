// The mobile API's account routes at the legacy paths: POST /api/auth/register, /login (by phone), /logout
// and /binding. Same users table and sessions as the web API; a phone or an email identifies a user.

import type { FastifyPluginAsync } from 'fastify'
import type { HubContext } from '../context'
import { requireRole, type AccessClaims } from '../http/auth'
import { errorReplies, HttpError } from '../http/errors'
import { passwordWeakness } from '../money/sign-up'
import { BEARER_SECURITY, callerOf } from '../money/wire'
import { checkPhoneLogin } from '../users/login'
import { FULL_NAME_LENGTH_MAX, PHONE_SCHEMA, phoneOf } from '../users/profile'
import { SESSION_REPLY_SCHEMA, USER_REPLY_SCHEMA, userReply, type UserReply } from '../users/replies'
import { absentBodyAsEmpty } from '../users/optional-body'
import { ROLES } from '../users/roles'
import { AUTH_BODY_LIMIT_BYTES, EMAIL_LENGTH_MAX, OPAQUE_TOKEN_SCHEMA, PASSWORD_SCHEMA } from '../users/routes'
import { refreshTokenHash, startSession, type SessionReply } from '../users/sessions'
import { UserStore, newUserId, normalizeEmail, publicUser, userUniquenessError, type NewUser } from '../users/store'
import { ACCOUNT_LINK_REPLY_SCHEMA, AccountLinks, accountLinkReply } from './accounts'

const NAME_LENGTH_MAX = 99
const ACCOUNT_NO_LENGTH_MAX = 64

interface RegisterBody {
  name: string
  surname: string
  phone: string
  email?: string
  password: string
}

const NAME = { type: 'string', minLength: 1, maxLength: NAME_LENGTH_MAX, pattern: '\\S' } as const

const registerSchema = {
  summary: 'Register a mobile customer (phone and password; email optional)',
  tags: ['mobile'],
  body: {
    type: 'object',
    required: ['name', 'surname', 'phone', 'password'],
    additionalProperties: false,
    properties: {
      name: NAME,
      surname: NAME,
      phone: PHONE_SCHEMA,
      email: { type: 'string', format: 'email', maxLength: EMAIL_LENGTH_MAX },
      password: { ...PASSWORD_SCHEMA, description: 'at least 10 characters, with a letter and a digit' },
    },
  },
  response: { 201: USER_REPLY_SCHEMA, ...errorReplies(400, 409, 413, 429) },
} as const

const loginSchema = {
  summary: 'Log in with phone and password',
  tags: ['mobile'],
  body: {
    type: 'object',
    required: ['phone', 'password'],
    additionalProperties: false,
    properties: { phone: PHONE_SCHEMA, password: PASSWORD_SCHEMA },
  },
  response: { 200: SESSION_REPLY_SCHEMA, ...errorReplies(400, 401, 413, 423, 429) },
} as const

const logoutSchema = {
  summary: 'Log out: the access token is refused from now on, and the refresh token too if given',
  tags: ['mobile'],
  security: BEARER_SECURITY,
  body: {
    type: 'object',
    additionalProperties: false,
    properties: { refreshToken: OPAQUE_TOKEN_SCHEMA },
  },
  response: { 204: { type: 'null' }, ...errorReplies(400, 401, 413) },
} as const

const bindingSchema = {
  summary: 'Link a bank account number, or one of the caller’s wallets, to the caller',
  description: 'An account number names a hub wallet when one has that id (it must be the caller’s), else a bank account.',
  tags: ['mobile'],
  security: BEARER_SECURITY,
  body: {
    type: 'object',
    required: ['accountNo'],
    additionalProperties: false,
    properties: {
      accountNo: {
        type: 'string', minLength: 1, maxLength: ACCOUNT_NO_LENGTH_MAX, pattern: '^[A-Za-z0-9][A-Za-z0-9_. -]*$',
        description: 'letters, digits, spaces, dots, dashes: an IBAN, a bank account number, or a wallet id',
      },
    },
  },
  response: { 200: ACCOUNT_LINK_REPLY_SCHEMA, 201: ACCOUNT_LINK_REPLY_SCHEMA, ...errorReplies(400, 401, 403, 409, 413) },
} as const

export const mobileAuthRoutes: FastifyPluginAsync<{ context: HubContext }> = async (app, { context }) => {
  const users = new UserStore(context.db)
  const links = new AccountLinks(context.db)
  const sessions = { app, users, clock: context.clock, random: context.random, log: context.log }
  const small = { bodyLimit: AUTH_BODY_LIMIT_BYTES }

  app.post<{ Body: RegisterBody; Reply: UserReply }>('/api/auth/register', { schema: registerSchema, ...small },
    async (request, reply) => {
      const { name, surname, email, password } = request.body
      const weakness = passwordWeakness(password)
      if (weakness !== undefined) throw new HttpError(400, 'WEAK_PASSWORD', weakness)
      const fullName = `${name.trim()} ${surname.trim()}`
      if (fullName.length > FULL_NAME_LENGTH_MAX) throw new HttpError(400, 'BAD_REQUEST', 'name and surname are too long together')
      const user: NewUser = {
        id: newUserId(context.random),
        email: email === undefined ? null : normalizeEmail(email),
        phone: phoneOf(request.body.phone),
        fullName,
        role: 'customer',
        passwordHash: await context.passwords.hash(password),
        createdAtMs: context.clock.nowMs(),
      }
      try {
        users.insert(user)
      } catch (error) {
        throw userUniquenessError(error) ?? error
      }
      return reply.code(201).send(userReply(publicUser(user)))
    })

  app.post<{ Body: { phone: string; password: string }; Reply: SessionReply }>('/api/auth/login', { schema: loginSchema, ...small },
    async (request) => {
      const user = await checkPhoneLogin({ users, passwords: context.passwords, throttle: app.loginThrottle },
        request.ip, request.body.phone, request.body.password)
      return startSession(sessions, user)
    })

  app.post<{ Body: { refreshToken?: string } }>('/api/auth/logout', {
    schema: logoutSchema, ...small, preValidation: [app.authenticate, requireRole(...ROLES), absentBodyAsEmpty],
  }, async (request, reply) => {
    app.revokeAccessToken(request.user as AccessClaims)
    const refreshToken = request.body.refreshToken
    if (refreshToken !== undefined) users.revokeRefreshToken(refreshTokenHash(refreshToken), callerOf(request).userId, context.clock.nowMs())
    return reply.code(204).send()
  })

  app.post<{ Body: { accountNo: string } }>('/api/auth/binding', {
    schema: bindingSchema, ...small, preValidation: [app.authenticate, requireRole('customer')],
  }, async (request, reply) => {
    const { userId } = callerOf(request)
    const accountNo = request.body.accountNo.trim()
    const account = await context.ledger.account(accountNo)
    if (account !== undefined && (account.kind !== 'wallet' || account.userId !== userId)) {
      throw new HttpError(403, 'FORBIDDEN', `account ${accountNo} is not one of your wallets`)
    }
    const outcome = links.link(userId, accountNo, account === undefined ? 'bank' : 'wallet', context.clock.nowMs())
    if (outcome === 'taken') throw new HttpError(409, 'ACCOUNT_LINKED', `account ${accountNo} is linked to another user`)
    if (outcome === 'full') throw new HttpError(409, 'CONFLICT', 'you have linked as many accounts as a user may')
    return reply.code(outcome === 'linked' ? 201 : 200).send(accountLinkReply(links.byAccountNo(accountNo)!))
  })
}
