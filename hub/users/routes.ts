// Sessions over REST at the seed's paths: POST /users/login and /users/refresh. Passwords, the profile
// and the dashboard have plugins of their own (password-routes.ts, profile-routes.ts, hub/dashboard/routes.ts).

import type { FastifyPluginAsync } from 'fastify'
import type { RouteOptions } from '../http/route-services'
import { errorReplies } from '../http/errors'
import { checkPasswordLogin } from './login'
import { SESSION_REPLY_SCHEMA, sessionReply, type SessionReply } from './replies'
import { AUTH_BODY_LIMIT_BYTES, EMAIL_LENGTH_MAX, OPAQUE_TOKEN_SCHEMA, PASSWORD_SCHEMA } from './schemas'
import { refreshSession, startSession } from './sessions'


interface LoginBody {
  email: string
  password: string
}

const loginSchema = {
  summary: 'Log in with email and password',
  tags: ['users'],
  body: {
    type: 'object',
    required: ['email', 'password'],
    additionalProperties: false,
    properties: { email: { type: 'string', minLength: 1, maxLength: EMAIL_LENGTH_MAX }, password: PASSWORD_SCHEMA },
  },
  response: { 200: SESSION_REPLY_SCHEMA, ...errorReplies(400, 401, 413, 423, 429) },
} as const

const refreshSchema = {
  summary: 'Trade a refresh token for a new token pair; the old refresh token dies',
  description: 'A refresh token used a second time is taken for a stolen one: every session of its user ends.',
  tags: ['users'],
  body: {
    type: 'object',
    required: ['refreshToken'],
    additionalProperties: false,
    properties: { refreshToken: OPAQUE_TOKEN_SCHEMA },
  },
  response: { 200: SESSION_REPLY_SCHEMA, ...errorReplies(400, 401, 413, 423, 429) },
} as const

export const usersRoutes: FastifyPluginAsync<RouteOptions> = async (app, { context, services }) => {
  const { users } = services
  const sessions = { app, users, clock: context.clock, random: context.random, log: context.log }
  const small = { bodyLimit: AUTH_BODY_LIMIT_BYTES }

  app.post<{ Body: LoginBody; Reply: SessionReply }>('/users/login', { schema: loginSchema, ...small }, async (request) => {
    const user = await checkPasswordLogin({ users, passwords: context.passwords, throttle: app.loginThrottle },
      request.ip, request.body.email, request.body.password)
    return sessionReply(startSession(sessions, user))
  })

  app.post<{ Body: { refreshToken: string }; Reply: SessionReply }>('/users/refresh', { schema: refreshSchema, ...small },
    async (request) => sessionReply(refreshSession(sessions, request.body.refreshToken)))
}
