// The mobile API's account routes at the legacy paths: POST /api/auth/register (with /register/confirm and
// /register/resend: the account exists once its number is proved by the code sent to it), /login (by phone), /logout
// and /binding. Same users table and sessions as the web API; a phone or an email identifies a user.

import type { FastifyPluginAsync } from 'fastify'
import type { RouteOptions } from '../http/route-services'
import { requireRole, type AccessClaims } from '../http/auth'
import { errorReplies, HttpError } from '../http/errors'
import { passwordWeakness } from '../users/passwords'
import { BEARER_SECURITY, callerOf } from '../money/wire'
import { printableLine } from '../http/text'
import { checkPhoneLogin } from '../users/login'
import { phoneNumberOf, PHONE_TEXT_SCHEMA } from '../users/phone'
import { PHONE_SIGN_UP_LIFETIME_MS, PhoneVerification, type CodeSent } from '../users/phone-verification'
import {
  CODE_SENT_REPLY_SCHEMA, SESSION_REPLY_SCHEMA, USER_REPLY_SCHEMA, codeSentReply, sessionReply, userReply, type CodeSentReply,
  type SessionReply,
} from '../users/replies'
import type { UserReply } from '../users/wire'
import { absentBodyAsEmpty } from '../users/optional-body'
import { ROLES } from '../http/roles'
import {
  AUTH_BODY_LIMIT_BYTES, EMAIL_LENGTH_MAX, FULL_NAME_LENGTH_MAX, OPAQUE_TOKEN_SCHEMA, PASSWORD_SCHEMA, PROOF_CODE_SCHEMA,
} from '../users/schemas'
import { refreshTokenHash, startSession } from '../users/sessions'
import { newUserId, normalizeEmail } from '../users/store'
import { ACCOUNT_LINK_REPLY_SCHEMA, accountLinkReply } from './accounts'

const NAME_LENGTH_MAX = 99
const ACCOUNT_NO_LENGTH_MAX = 64
const REGISTRATION_ID_SCHEMA = { type: 'string', minLength: 1, maxLength: 64 } as const

interface RegisterBody {
  name: string
  surname: string
  phone: string
  email?: string
  password: string
}

interface RegistrationReply extends CodeSentReply {
  registrationId: string
}

const NAME = printableLine(NAME_LENGTH_MAX)

const REGISTRATION_REPLY_SCHEMA = {
  ...CODE_SENT_REPLY_SCHEMA,
  required: ['registrationId', ...CODE_SENT_REPLY_SCHEMA.required],
  properties: {
    registrationId: { type: 'string', description: 'for /register/confirm and /register/resend' },
    ...CODE_SENT_REPLY_SCHEMA.properties,
  },
} as const

const registerSchema = {
  summary: 'Register a mobile customer (phone and password; email optional): a code goes to the phone by SMS',
  description: 'The account is created by /api/auth/register/confirm with that code, within ' +
    `${PHONE_SIGN_UP_LIFETIME_MS / 60_000} minutes; until then nobody can log in with the number or be paid at it.`,
  tags: ['mobile'],
  body: {
    type: 'object',
    required: ['name', 'surname', 'phone', 'password'],
    additionalProperties: false,
    properties: {
      name: NAME,
      surname: NAME,
      phone: PHONE_TEXT_SCHEMA,
      email: { type: 'string', format: 'email', maxLength: EMAIL_LENGTH_MAX },
      password: { ...PASSWORD_SCHEMA, description: 'at least 10 characters, with a letter and a digit' },
    },
  },
  response: { 202: REGISTRATION_REPLY_SCHEMA, ...errorReplies(400, 409, 413, 429) },
} as const

const confirmSchema = {
  summary: 'Confirm a registration with the code sent to its phone: the customer account is created, its phone proved',
  description: 'Whoever proves a number first gets it: a number proved meanwhile by another account answers 409 PHONE_TAKEN.',
  tags: ['mobile'],
  body: {
    type: 'object',
    required: ['registrationId', 'code'],
    additionalProperties: false,
    properties: { registrationId: REGISTRATION_ID_SCHEMA, code: PROOF_CODE_SCHEMA },
  },
  response: { 201: USER_REPLY_SCHEMA, ...errorReplies(400, 404, 409, 413, 429) },
} as const

const resendSchema = {
  summary: 'Send a registration’s phone a new code; the one before stops working',
  tags: ['mobile'],
  body: { type: 'object', required: ['registrationId'], additionalProperties: false, properties: { registrationId: REGISTRATION_ID_SCHEMA } },
  response: { 202: REGISTRATION_REPLY_SCHEMA, ...errorReplies(400, 404, 413, 429) },
} as const

const loginSchema = {
  summary: 'Log in with phone and password',
  tags: ['mobile'],
  body: {
    type: 'object',
    required: ['phone', 'password'],
    additionalProperties: false,
    properties: { phone: PHONE_TEXT_SCHEMA, password: PASSWORD_SCHEMA },
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

export const mobileAuthRoutes: FastifyPluginAsync<RouteOptions> = async (app, { context, services }) => {
  const { users, links } = services
  const phones = new PhoneVerification({ ...context, users, notifier: app.notifier })
  const sessions = { app, users, clock: context.clock, random: context.random, log: context.log }
  const small = { bodyLimit: AUTH_BODY_LIMIT_BYTES }

  app.post<{ Body: RegisterBody; Reply: RegistrationReply }>('/api/auth/register', { schema: registerSchema, ...small },
    async (request, reply) => {
      const { name, surname, password } = request.body
      const weakness = passwordWeakness(password)
      if (weakness !== undefined) throw new HttpError(400, 'WEAK_PASSWORD', weakness)
      const fullName = `${name.trim()} ${surname.trim()}`
      if (fullName.length > FULL_NAME_LENGTH_MAX) throw new HttpError(400, 'BAD_REQUEST', 'name and surname are too long together')
      const phone = phoneNumberOf(request.body.phone, context.config.phoneRegion)
      const email = request.body.email === undefined ? null : normalizeEmail(request.body.email)
      // Asked again when the code comes back: whoever takes the email first keeps it.
      if (email !== null && await users.credentialsByEmail(email) !== undefined) throw new HttpError(409, 'EMAIL_TAKEN', 'a user with this email exists')
      const signUp = { userId: newUserId(context.random), fullName, email, passwordHash: await context.passwords.hash(password) }
      return reply.code(202).send(registrationReply(await phones.claimForSignUp(signUp, phone)))
    })

  app.post<{ Body: { registrationId: string; code: string }; Reply: UserReply }>('/api/auth/register/confirm', {
    schema: confirmSchema, ...small,
  }, async (request, reply) => {
    const user = await phones.finishSignUp(request.body.registrationId, request.body.code)
    return reply.code(201).send(userReply(user))
  })

  app.post<{ Body: { registrationId: string }; Reply: RegistrationReply }>('/api/auth/register/resend', {
    schema: resendSchema, ...small,
  }, async (request, reply) => reply.code(202).send(registrationReply(await phones.resendForSignUp(request.body.registrationId))))

  app.post<{ Body: { phone: string; password: string }; Reply: SessionReply }>('/api/auth/login', { schema: loginSchema, ...small },
    async (request) => {
      const user = await checkPhoneLogin({ users, passwords: context.passwords, throttle: app.loginThrottle },
        request.ip, phoneNumberOf(request.body.phone, context.config.phoneRegion), request.body.password)
      return sessionReply(await startSession(sessions, user))
    })

  app.post<{ Body: { refreshToken?: string } }>('/api/auth/logout', {
    schema: logoutSchema, ...small, preValidation: [app.authenticate, requireRole(...ROLES), absentBodyAsEmpty],
  }, async (request, reply) => {
    await app.revokeAccessToken(request.user as AccessClaims)
    const refreshToken = request.body.refreshToken
    if (refreshToken !== undefined) await users.revokeRefreshToken(refreshTokenHash(refreshToken), callerOf(request).userId, context.clock.now_ms())
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
    const outcome = await links.link(userId, accountNo, account === undefined ? 'bank' : 'wallet', context.clock.now_ms())
    if (outcome === 'taken') throw new HttpError(409, 'ACCOUNT_LINKED', `account ${accountNo} is linked to another user`)
    if (outcome === 'full') throw new HttpError(409, 'CONFLICT', 'you have linked as many accounts as a user may')
    return reply.code(outcome === 'linked' ? 201 : 200).send(accountLinkReply((await links.byAccountNo(accountNo))!))
  })
}

function registrationReply(sent: CodeSent): RegistrationReply {
  return { registrationId: sent.claimId, ...codeSentReply(sent) }
}
