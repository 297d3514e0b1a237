// Access tokens: HS256 JWTs from @fastify/jwt, checked against the injected clock, the revoked_tokens
// table and the user's session generation. Adds app.authenticate, app.issueAccessToken and app.revokeAccessToken.

import fastifyJwt from '@fastify/jwt'
import type { FastifyRequest, preHandlerAsyncHookHandler } from 'fastify'
import { toHex } from '../../protocol/bytes'
import type { HubContext } from '../context'
import { isRole, type Role } from '../users/roles'
import { HttpError } from './errors'
import { sharedPlugin } from './plugin'

export const TOKEN_ISSUER = 'payall-hub'
export const TOKEN_AUDIENCE = 'payall'
export const ACCESS_TOKEN_LIFETIME_MS = 24 * 60 * 60 * 1000
const JTI_BYTES = 16

/** What the hub puts in an access token besides iss, aud, iat and exp. */
export interface AccessTokenSubject {
  /** The user id. */
  sub: string
  role: Role
}

export interface AccessClaims extends AccessTokenSubject {
  jti: string
  /** The user's session generation when the token was issued; a password change or reset moves it on. */
  gen?: number
  iss: string
  aud: string
  /** Seconds since the epoch, as JWT has them. */
  iat: number
  exp: number
}

export interface AccessToken {
  token: string
  jti: string
  expiresAtMs: number
}

declare module '@fastify/jwt' {
  interface FastifyJWT {
    payload: AccessTokenSubject & { jti: string; gen?: number }
    user: AccessClaims
  }
}

declare module 'fastify' {
  interface FastifyInstance {
    /** preHandler: admits a request with a valid, unrevoked access token and sets request.user. */
    authenticate: preHandlerAsyncHookHandler
    issueAccessToken(subject: AccessTokenSubject): AccessToken
    /** Refuses the token from now until it would have expired anyway (logout). */
    revokeAccessToken(claims: AccessClaims): void
  }
}

export const authPlugin = sharedPlugin<{ context: HubContext }>('payall-auth', async (app, { context }) => {
  const { clock, db } = context
  await app.register(fastifyJwt, {
    secret: Buffer.from(context.jwtSecret),
    // @fastify/jwt reads a number here as seconds.
    sign: { algorithm: 'HS256', iss: TOKEN_ISSUER, aud: TOKEN_AUDIENCE, expiresIn: ACCESS_TOKEN_LIFETIME_MS / 1000 },
    verify: { algorithms: ['HS256'], allowedIss: TOKEN_ISSUER, allowedAud: TOKEN_AUDIENCE },
  })

  const isRevoked = db.prepare<[string], { jti: string }>('SELECT jti FROM revoked_tokens WHERE jti = ?')
  const insertRevoked = db.prepare<[string, number, number]>(
    'INSERT OR IGNORE INTO revoked_tokens (jti, expires_at_ms, revoked_at_ms) VALUES (?, ?, ?)')
  // Past its expiry a token fails verification anyway, so its row has done its work.
  const deleteExpired = db.prepare<[number]>('DELETE FROM revoked_tokens WHERE expires_at_ms < ?')
  const sessionGeneration = db.prepare<[string], { session_generation: number }>(
    'SELECT session_generation FROM users WHERE id = ?')

  app.decorate('issueAccessToken', (subject: AccessTokenSubject): AccessToken => {
    const nowMs = clock.nowMs()
    const jti = toHex(context.random(JTI_BYTES))
    const gen = sessionGeneration.get(subject.sub)?.session_generation ?? 0
    const token = app.jwt.sign({ sub: subject.sub, role: subject.role, jti, gen }, { clockTimestamp: nowMs })
    const claims = app.jwt.decode<AccessClaims>(token)
    if (claims === null) throw new Error('a token the hub just signed does not decode')
    return { token, jti, expiresAtMs: claims.exp * 1000 }
  })

  app.decorate('revokeAccessToken', (claims: AccessClaims): void => {
    const nowMs = clock.nowMs()
    db.transaction(() => {
      deleteExpired.run(nowMs)
      insertRevoked.run(claims.jti, claims.exp * 1000, nowMs)
    })()
  })

  app.decorate('authenticate', async (request: FastifyRequest): Promise<void> => {
    let claims: AccessClaims
    try {
      claims = await request.jwtVerify<AccessClaims>({ clockTimestamp: clock.nowMs() })
    } catch (error) {
      throw new HttpError(401, 'UNAUTHORIZED', (error as Error).message)
    }
    if (typeof claims.sub !== 'string' || typeof claims.jti !== 'string' || !isRole(claims.role)) {
      throw new HttpError(401, 'UNAUTHORIZED', 'the access token lacks its subject, id or role')
    }
    if (isRevoked.get(claims.jti) !== undefined) {
      throw new HttpError(401, 'UNAUTHORIZED', 'the access token has been revoked')
    }
    // Tokens from before the generation existed carry none: generation 0.
    const current = sessionGeneration.get(claims.sub)?.session_generation
    if (current === undefined || (claims.gen ?? 0) !== current) {
      throw new HttpError(401, 'UNAUTHORIZED', 'the session has ended (password changed or reset, or user gone); log in again')
    }
  })
})

/** preHandler, after app.authenticate: admits only users with one of `roles`. */
export function requireRole(...roles: Role[]): preHandlerAsyncHookHandler {
  return async (request: FastifyRequest): Promise<void> => {
    // request.user is null until authenticate has run, whatever its static type says.
    const user = request.user as AccessClaims | null
    if (user === null) throw new HttpError(401, 'UNAUTHORIZED', 'this route needs an access token')
    if (!roles.includes(user.role)) {
      throw new HttpError(403, 'FORBIDDEN', `this route is for ${roles.join(' or ')}; the token is for ${user.role}`)
    }
  }
}
