// Users on the wire: the one reply shape of a user (never the password hash, nor the lockout state), the operators'
// view of one, and of a session, and of a code sent, shared by the web and the mobile API.

import { highestRole, ROLES } from '../http/roles'
import type { EmailCodeSent } from './email-verification'
import type { CodeSent } from './phone-verification'
import type { Session } from './sessions'
import type { User } from './store'
import type { AdminUserReply, UserReply } from './wire'

const USER_REPLY_PROPERTIES = {
  id: { type: 'string' },
  email: { type: ['string', 'null'] },
  emailVerified: {
    type: 'boolean', description: 'the email was proved with a code sent to it (verify-email-finish), or an operator vouched for it',
  },
  phone: { type: ['string', 'null'], description: 'E.164' },
  phoneVerified: {
    type: 'boolean',
    description: 'the phone was proved with a code sent to it; only a proved phone receives money sent to a number',
  },
  phonePending: { type: ['string', 'null'], description: 'a number given and not yet proved with its code (E.164)' },
  fullName: { type: 'string' },
  roles: {
    type: 'array', minItems: 1, maxItems: ROLES.length, uniqueItems: true, items: { type: 'string', enum: [...ROLES] },
    description: 'every role the user holds, in this order: operator, owner, customer',
  },
  role: { type: 'string', enum: [...ROLES], description: 'the first of `roles`, for clients that know one role only' },
  createdAt: { type: 'string', format: 'date-time' },
} as const

const USER_REPLY_REQUIRED = [
  'id', 'email', 'emailVerified', 'phone', 'phoneVerified', 'phonePending', 'fullName', 'roles', 'role', 'createdAt',
] as const

export const USER_REPLY_SCHEMA = {
  type: 'object',
  description: 'An account with neither a proved email nor a proved phone may sign in, read and prove one, but not ' +
    'move money or commit to anything (403 ACCOUNT_UNVERIFIED).',
  required: [...USER_REPLY_REQUIRED],
  additionalProperties: false,
  properties: USER_REPLY_PROPERTIES,
} as const

export function userReply(user: User): UserReply {
  return {
    id: user.id,
    email: user.email,
    emailVerified: user.emailVerifiedAtMs !== null,
    phone: user.phone,
    phoneVerified: user.phoneVerifiedAtMs !== null,
    phonePending: user.phonePending,
    fullName: user.fullName,
    roles: [...user.roles],
    role: highestRole(user.roles),
    createdAt: new Date(user.createdAtMs).toISOString(),
  }
}

/** A user as operators see one (GET /admin/users and the acts on a user): with the suspension. */
export const ADMIN_USER_REPLY_SCHEMA = {
  type: 'object',
  required: [...USER_REPLY_REQUIRED, 'suspendedAtMs', 'suspendedReason'],
  additionalProperties: false,
  properties: {
    ...USER_REPLY_PROPERTIES,
    suspendedAtMs: { type: ['integer', 'null'], description: 'Unix ms; null while the account is active' },
    suspendedReason: { type: ['string', 'null'] },
  },
} as const

export function adminUserReply(user: User): AdminUserReply {
  return { ...userReply(user), suspendedAtMs: user.suspendedAtMs, suspendedReason: user.suspendedReason }
}

export const SESSION_REPLY_SCHEMA = {
  type: 'object',
  required: ['token', 'refreshToken', 'user'],
  additionalProperties: false,
  properties: {
    token: { type: 'string', description: 'access token (JWT, HS256) for the Authorization: Bearer header, valid 24 h' },
    refreshToken: { type: 'string', description: 'opaque, valid 7 days, single use: POST /users/refresh trades it for a new pair' },
    user: USER_REPLY_SCHEMA,
  },
} as const

export interface SessionReply {
  token: string
  refreshToken: string
  user: UserReply
}

export function sessionReply(session: Session): SessionReply {
  return { token: session.token, refreshToken: session.refreshToken, user: userReply(session.user) }
}

/** POST /users/login and /users/refresh: the refresh token is in the body, or in the cookie for the web dashboard. */
export const LOGIN_REPLY_SCHEMA = {
  ...SESSION_REPLY_SCHEMA,
  description: 'refreshToken is absent when it went into the payall_refresh cookie (refreshIn: cookie, or a refresh by cookie)',
  required: ['token', 'user'],
} as const

export type LoginReply = Omit<SessionReply, 'refreshToken'> & { refreshToken?: string }

/** The reply of a session whose refresh token went into the cookie. */
export function cookieSessionReply(session: Session): LoginReply {
  return { token: session.token, user: userReply(session.user) }
}

export const CODE_SENT_REPLY_SCHEMA = {
  type: 'object',
  required: ['phone', 'expiresAt'],
  additionalProperties: false,
  properties: {
    phone: { type: 'string', description: 'the number the code went to, E.164' },
    expiresAt: { type: 'string', format: 'date-time', description: 'the code works until then' },
  },
} as const

export interface CodeSentReply {
  phone: string
  expiresAt: string
}

export function codeSentReply(sent: CodeSent): CodeSentReply {
  return { phone: sent.phone, expiresAt: new Date(sent.codeExpiresAtMs).toISOString() }
}

export const EMAIL_CODE_SENT_REPLY_SCHEMA = {
  type: 'object',
  required: ['email', 'expiresAt'],
  additionalProperties: false,
  properties: {
    email: { type: 'string', description: 'the address the code went to' },
    expiresAt: { type: 'string', format: 'date-time', description: 'the code works until then' },
  },
} as const

export interface EmailCodeSentReply {
  email: string
  expiresAt: string
}

export function emailCodeSentReply(sent: EmailCodeSent): EmailCodeSentReply {
  return { email: sent.email, expiresAt: new Date(sent.codeExpiresAtMs).toISOString() }
}
