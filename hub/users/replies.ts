// Users on the wire: the one reply shape of a user (never the password hash, nor the lockout state)
// and of a session, and of a phone code sent, shared by the web and the mobile API.

import { ROLES } from '../http/roles'
import type { CodeSent } from './phone-verification'
import type { Session } from './sessions'
import type { User } from './store'

export const USER_REPLY_SCHEMA = {
  type: 'object',
  required: ['id', 'email', 'phone', 'phoneVerified', 'phonePending', 'fullName', 'role', 'createdAt'],
  additionalProperties: false,
  properties: {
    id: { type: 'string' },
    email: { type: ['string', 'null'] },
    phone: { type: ['string', 'null'], description: 'E.164' },
    phoneVerified: {
      type: 'boolean',
      description: 'the phone was proved with a code sent to it; only a proved phone receives money sent to a number',
    },
    phonePending: { type: ['string', 'null'], description: 'a number given and not yet proved with its code (E.164)' },
    fullName: { type: 'string' },
    role: { type: 'string', enum: [...ROLES] },
    createdAt: { type: 'string', format: 'date-time' },
  },
} as const

export interface UserReply {
  id: string
  email: string | null
  phone: string | null
  phoneVerified: boolean
  phonePending: string | null
  fullName: string
  role: User['role']
  createdAt: string
}

export function userReply(user: User): UserReply {
  return {
    id: user.id,
    email: user.email,
    phone: user.phone,
    phoneVerified: user.phoneVerifiedAtMs !== null,
    phonePending: user.phonePending,
    fullName: user.fullName,
    role: user.role,
    createdAt: new Date(user.createdAtMs).toISOString(),
  }
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
