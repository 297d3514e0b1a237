// REST routes of users, at the seed's paths: POST /users/login for now; registration, profiles
// and refresh come with the issue that builds the rest of the hub's REST.

import type { FastifyPluginAsync } from 'fastify'
import type { HubContext } from '../context'
import { errorReplies } from '../http/errors'
import { checkPasswordLogin, issueRefreshToken } from './login'
import { ROLES } from './roles'
import { UserStore, type User } from './store'

const EMAIL_LENGTH_MAX = 254
const PASSWORD_LENGTH_MAX = 1024

/** A user on the wire: never the password hash, nor the lockout state. */
export const USER_REPLY_SCHEMA = {
  type: 'object',
  required: ['id', 'email', 'phone', 'fullName', 'role', 'createdAt'],
  additionalProperties: false,
  properties: {
    id: { type: 'string' },
    email: { type: ['string', 'null'] },
    phone: { type: ['string', 'null'] },
    fullName: { type: 'string' },
    role: { type: 'string', enum: [...ROLES] },
    createdAt: { type: 'string', format: 'date-time' },
  },
} as const

export interface UserReply {
  id: string
  email: string | null
  phone: string | null
  fullName: string
  role: User['role']
  createdAt: string
}

export function userReply(user: User): UserReply {
  return {
    id: user.id,
    email: user.email,
    phone: user.phone,
    fullName: user.fullName,
    role: user.role,
    createdAt: new Date(user.createdAtMs).toISOString(),
  }
}

interface LoginBody {
  email: string
  password: string
}

interface LoginReply {
  token: string
  refreshToken: string
  user: UserReply
}

const loginSchema = {
  summary: 'Log in with email and password',
  tags: ['users'],
  body: {
    type: 'object',
    required: ['email', 'password'],
    additionalProperties: false,
    properties: {
      email: { type: 'string', minLength: 1, maxLength: EMAIL_LENGTH_MAX },
      password: { type: 'string', minLength: 1, maxLength: PASSWORD_LENGTH_MAX },
    },
  },
  response: {
    200: {
      type: 'object',
      required: ['token', 'refreshToken', 'user'],
      additionalProperties: false,
      properties: {
        token: { type: 'string', description: 'access token (JWT, HS256) for the Authorization: Bearer header, valid 24 h' },
        refreshToken: { type: 'string', description: 'opaque, valid 7 days' },
        user: USER_REPLY_SCHEMA,
      },
    },
    ...errorReplies(400, 401),
  },
} as const

export const usersRoutes: FastifyPluginAsync<{ context: HubContext }> = async (app, { context }) => {
  const users = new UserStore(context.db)

  app.post<{ Body: LoginBody; Reply: LoginReply }>('/users/login', { schema: loginSchema }, async (request) => {
    const user = await checkPasswordLogin({ users, passwords: context.passwords, clock: context.clock },
      request.body.email, request.body.password)
    const { token } = app.issueAccessToken({ sub: user.id, role: user.role })
    const refreshToken = issueRefreshToken(users, context.clock, context.random, user.id)
    return { token, refreshToken, user: userReply(user) }
  })
}
