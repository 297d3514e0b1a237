// Sessions over REST at the seed's paths: POST /users/login (by email or phone) and /users/refresh, each with the
// refresh token in the JSON body (API clients) or in the web dashboard's cookie (hub/users/web-session.ts), and
// POST /users/refresh/logout for the web. Passwords, the profile and the dashboard have plugins of their own
// (password-routes.ts, profile-routes.ts, hub/dashboard/routes.ts).

import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify'
import type { RouteOptions } from '../http/route-services'
import { requireRole, type AccessClaims } from '../http/auth'
import { errorReplies, HttpError } from '../http/errors'
import { ROLES } from '../http/roles'
import { BEARER_SECURITY, callerOf } from '../money/wire'
import { checkPasswordLogin, checkPhoneLogin } from './login'
import { absentBodyAsEmpty } from './optional-body'
import { phoneNumberOf, PHONE_TEXT_SCHEMA } from './phone'
import { cookieSessionReply, LOGIN_REPLY_SCHEMA, sessionReply, type LoginReply } from './replies'
import { AUTH_BODY_LIMIT_BYTES, EMAIL_LENGTH_MAX, OPAQUE_TOKEN_SCHEMA, PASSWORD_SCHEMA } from './schemas'
import { refreshSession, refreshTokenHash, startSession, type Session, type SessionDependencies } from './sessions'
import type { User } from './store'
import {
  clearRefreshCookie, csrfHeaderMissing, isWebClient, REFRESH_COOKIE, refreshCookieOf, requireWebClient, setRefreshCookie,
  WEB_CLIENT_HEADER_SCHEMA,
} from './web-session'

interface LoginBody {
  email?: string
  phone?: string
  password: string
  refreshIn: 'body' | 'cookie'
}

const COOKIE_TEXT = `the HttpOnly, SameSite=Strict cookie ${REFRESH_COOKIE}, sent back only to /users/refresh`

const loginSchema = {
  summary: 'Log in with email or phone, and password',
  description: 'Give exactly one of email and phone (a phone in any form the hub reads, e.g. 77 123 45 67). ' +
    `refreshIn: "cookie" (the web dashboard) puts the refresh token in ${COOKIE_TEXT}, not in the reply.`,
  tags: ['users'],
  body: {
    type: 'object',
    required: ['password'],
    additionalProperties: false,
    properties: {
      email: { type: 'string', minLength: 1, maxLength: EMAIL_LENGTH_MAX },
      phone: PHONE_TEXT_SCHEMA,
      password: PASSWORD_SCHEMA,
      refreshIn: { type: 'string', enum: ['body', 'cookie'], default: 'body' },
    },
  },
  response: { 200: LOGIN_REPLY_SCHEMA, ...errorReplies(400, 401, 413, 423, 429) },
} as const

const refreshSchema = {
  summary: 'Trade a refresh token for a new token pair; the old refresh token dies',
  description: 'From the JSON body ({ refreshToken }: the reply has the new one), or, with no refreshToken in the body, ' +
    `from ${COOKIE_TEXT}, with the header X-PayAll-Client: web (403 CSRF_HEADER_MISSING without it): the reply has ` +
    'no refreshToken, a fresh cookie carries it; a dead cookie token is refused 401 and the cookie cleared; no cookie at ' +
    'all is 204, no session (the page asks on every load, and a visitor who never signed in is not an error). ' +
    'A refresh token used a second time is taken for a stolen one: every session of its user ends.',
  tags: ['users'],
  headers: WEB_CLIENT_HEADER_SCHEMA,
  body: {
    type: 'object',
    additionalProperties: false,
    properties: { refreshToken: OPAQUE_TOKEN_SCHEMA },
  },
  response: {
    200: LOGIN_REPLY_SCHEMA,
    204: { type: 'null', description: 'the web client has no session cookie: nobody is signed in' },
    ...errorReplies(400, 401, 403, 413, 423, 429),
  },
} as const

const webLogoutSchema = {
  summary: 'Log the web dashboard out: the access token and the cookie’s refresh token are refused from now on',
  description: `Needs the header X-PayAll-Client: web (403 CSRF_HEADER_MISSING without it); clears ${REFRESH_COOKIE}.`,
  tags: ['users'],
  security: BEARER_SECURITY,
  headers: WEB_CLIENT_HEADER_SCHEMA,
  body: { type: 'object', additionalProperties: false, properties: {} },
  response: { 204: { type: 'null' }, ...errorReplies(400, 401, 403, 413) },
} as const

export const usersRoutes: FastifyPluginAsync<RouteOptions> = async (app, { context, services }) => {
  const { users } = services
  const sessions: SessionDependencies = { app, users, clock: context.clock, random: context.random, log: context.log }
  const small = { bodyLimit: AUTH_BODY_LIMIT_BYTES }
  const logins = { users, passwords: context.passwords, throttle: app.loginThrottle }

  app.post<{ Body: LoginBody; Reply: LoginReply }>('/users/login', { schema: loginSchema, ...small }, async (request, reply) => {
    const { email, phone, password } = request.body
    let user: User
    if (email !== undefined && phone === undefined) {
      user = await checkPasswordLogin(logins, request.ip, email, password)
    } else if (phone !== undefined && email === undefined) {
      user = await checkPhoneLogin(logins, request.ip, phoneNumberOf(phone, context.config.phoneRegion), password)
    } else {
      throw new HttpError(400, 'BAD_REQUEST', 'give your email or your phone number, one of them, with your password')
    }
    return sessionIn(request.body.refreshIn, await startSession(sessions, user), reply)
  })

  app.post<{ Body: { refreshToken?: string }; Reply: LoginReply }>('/users/refresh', {
    schema: refreshSchema, ...small, preValidation: absentBodyAsEmpty,
  }, async (request, reply) => {
    const { refreshToken } = request.body
    if (refreshToken !== undefined) return sessionReply(await refreshSession(sessions, refreshToken))
    return refreshByCookie(sessions, request, reply)
  })

  webLogoutRoute(app, { context, services })
}

/** The reply of a new session: the refresh token in the body, or in the cookie. */
function sessionIn(where: 'body' | 'cookie', session: Session, reply: FastifyReply): LoginReply {
  if (where === 'body') return sessionReply(session)
  setRefreshCookie(reply, session.refreshToken)
  return cookieSessionReply(session)
}

async function refreshByCookie(sessions: SessionDependencies, request: FastifyRequest, reply: FastifyReply): Promise<LoginReply | undefined> {
  const cookieToken = refreshCookieOf(request)
  const web = isWebClient(request)
  if (cookieToken === undefined) {
    if (web) {
      // The page's question on load, "is anyone signed in here?": no is an answer, not a failure.
      void reply.code(204).send()
      return undefined
    }
    throw new HttpError(400, 'BAD_REQUEST', 'give the refresh token in the body ({ refreshToken }), ' +
      `or send the ${REFRESH_COOKIE} cookie with the header X-PayAll-Client: web`)
  }
  if (!web) throw csrfHeaderMissing()
  let session: Session
  try {
    session = await refreshSession(sessions, cookieToken)
  } catch (error) {
    // The token in the cookie will never work again: the browser may as well forget it.
    clearRefreshCookie(reply)
    throw error
  }
  return sessionIn('cookie', session, reply)
}

function webLogoutRoute(app: FastifyInstance, { context, services }: RouteOptions): void {
  app.post('/users/refresh/logout', {
    schema: webLogoutSchema, bodyLimit: AUTH_BODY_LIMIT_BYTES,
    preValidation: [app.authenticate, requireRole(...ROLES), requireWebClient, absentBodyAsEmpty],
  }, async (request, reply) => {
    await app.revokeAccessToken(request.user as AccessClaims)
    const cookieToken = refreshCookieOf(request)
    if (cookieToken !== undefined) {
      await services.users.revokeRefreshToken(refreshTokenHash(cookieToken), callerOf(request).userId, context.clock.now_ms())
    }
    clearRefreshCookie(reply)
    return reply.code(204).send()
  })
}
