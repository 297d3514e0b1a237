// Access tokens: HS256 JWTs from @fastify/jwt, checked against the injected clock, the revoked_tokens
// table and the user's row (session generation, suspension, current roles, whether the account is verified). Adds
// app.authenticate, app.checkAccess, app.issueAccessToken and app.revokeAccessToken; registers @fastify/cookie for the
// web's refresh cookie (hub/users/web-session.ts).

import fastifyCookie from '@fastify/cookie'
import fastifyJwt from '@fastify/jwt'
import type { FastifyInstance, FastifyRequest, preValidationAsyncHookHandler } from 'fastify'
import { toHex } from '../../protocol/bytes'
import type { HubContext } from '../context'
import type { SqlRow } from '../store/sql'
import { userRolesListSql } from '../users/store'
import { highestRole, rolesFromList, type Role } from './roles'
import { HttpError } from './errors'
import { sharedPlugin } from './shared-plugin'

export const TOKEN_ISSUER = 'payall-hub'
export const TOKEN_AUDIENCE = 'payall'
export const ACCESS_TOKEN_LIFETIME_MS = 24 * 60 * 60 * 1000
const JTI_BYTES = 16
/** A token lacking any of these is refused, whoever signed it: the verifier only checks the claims a token has. */
export const REQUIRED_CLAIMS = ['exp', 'iat', 'aud', 'iss', 'sub', 'jti'] as const

/** Whose token the hub issues: the user id. The roles in it are read from the database. */
export interface AccessTokenSubject {
  sub: string
}

export interface AccessClaims extends AccessTokenSubject {
  /** The first role held when the token was issued, for clients to read; authenticate replaces it with the current one. */
  role: Role
  /** Every role held when the token was issued (tokens from before roles added up have none); authenticate replaces them. */
  roles?: Role[]
  jti: string
  /** The user's session generation when the token was issued; a password change or reset moves it on. */
  gen?: number
  iss: string
  aud: string
  /** Seconds since the epoch, as JWT has them. */
  iat: number
  exp: number
}

/** request.user once authenticate has admitted the token: its claims, with what the user's row says now. */
export interface AuthenticatedUser extends AccessClaims {
  roles: Role[]
  /** The user proved an email or a phone (see isVerified in hub/users/store.ts). */
  accountVerified: boolean
}

export interface AccessToken {
  token: string
  jti: string
  expiresAtMs: number
}

declare module '@fastify/jwt' {
  interface FastifyJWT {
    payload: AccessTokenSubject & { role: Role; roles?: Role[]; jti: string; gen?: number }
    user: AuthenticatedUser
  }
}

declare module 'fastify' {
  interface FastifyInstance {
    /**
     * preValidation (or onRequest) hook, so an anonymous request is refused before its body is looked at: admits
     * a valid, unrevoked access token of an active user and sets request.user, with the user's current roles.
     */
    authenticate: preValidationAsyncHookHandler
    /**
     * What authenticate checks once the token's signature and claims are verified, for a token already
     * admitted (an open event stream asks again): the claims with the user's current role, or 401 when the
     * token has expired or been revoked, the session has ended, or the user is suspended or gone.
     */
    checkAccess(claims: AccessClaims): Promise<AuthenticatedUser>
    /** Throws 401 ACCOUNT_SUSPENDED for a suspended user: no new session. */
    issueAccessToken(subject: AccessTokenSubject): Promise<AccessToken>
    /** Refuses the token from now until it would have expired anyway (logout). */
    revokeAccessToken(claims: AccessClaims): Promise<void>
  }
}

interface UserState extends SqlRow {
  session_generation: number
  roles: string | null
  suspended_at_ms: number | null
  verified: 0 | 1
}

type AuthOptions = {
  readonly context: HubContext
  /** Told when a user's access ends before its tokens expire (a token revoked), so open event streams end at once. */
  readonly accessChanged: (userId: string) => void
}

export const authPlugin = sharedPlugin<AuthOptions>('payall-auth', async (app, { context, accessChanged }) => {
  const { clock, engine } = context
  await app.register(fastifyCookie)
  await app.register(fastifyJwt, {
    secret: Buffer.from(context.jwtSecret),
    // @fastify/jwt reads a number here as seconds.
    sign: { algorithm: 'HS256', iss: TOKEN_ISSUER, aud: TOKEN_AUDIENCE, expiresIn: ACCESS_TOKEN_LIFETIME_MS / 1000 },
    verify: { algorithms: ['HS256'], allowedIss: TOKEN_ISSUER, allowedAud: TOKEN_AUDIENCE, requiredClaims: [...REQUIRED_CLAIMS] },
  })

  // Read on every request: what the token says about the user holds only while the row still says it.
  const USER_STATE_SQL = `SELECT session_generation, suspended_at_ms, ${userRolesListSql(engine.dialect)} AS roles,
       CASE WHEN email_verified_at_ms IS NOT NULL OR phone_verified_at_ms IS NOT NULL THEN 1 ELSE 0 END AS verified
     FROM users WHERE id = ?`

  app.decorate('issueAccessToken', async (subject: AccessTokenSubject): Promise<AccessToken> => {
    const now_ms = clock.now_ms()
    const jti = toHex(context.random(JTI_BYTES))
    const state = await engine.get<UserState>(USER_STATE_SQL, [subject.sub])
    if (state !== undefined && state.suspended_at_ms !== null) throw suspended()
    const gen = state?.session_generation ?? 0
    const roles = rolesFromList(state?.roles ?? null)
    if (roles.length === 0) throw new Error(`user ${subject.sub} holds no role: no token for them`)
    const token = app.jwt.sign({ sub: subject.sub, role: highestRole(roles), roles, jti, gen }, { clockTimestamp: now_ms })
    const claims = app.jwt.decode<AccessClaims>(token)
    if (claims === null) throw new Error('a token the hub just signed does not decode')
    return { token, jti, expiresAtMs: claims.exp * 1000 }
  })

  app.decorate('revokeAccessToken', async (claims: AccessClaims): Promise<void> => {
    const now_ms = clock.now_ms()
    await engine.write(async (sql) => {
      // Past its expiry a token fails verification anyway, so its row has done its work.
      await sql.run('DELETE FROM revoked_tokens WHERE expires_at_ms < ?', [now_ms])
      await sql.run('INSERT INTO revoked_tokens (jti, expires_at_ms, revoked_at_ms) VALUES (?, ?, ?) ON CONFLICT (jti) DO NOTHING',
        [claims.jti, claims.exp * 1000, now_ms])
    })
    accessChanged(claims.sub)
  })

  app.decorate('checkAccess', async (claims: AccessClaims): Promise<AuthenticatedUser> => {
    if (typeof claims.sub !== 'string' || typeof claims.jti !== 'string') {
      throw new HttpError(401, 'UNAUTHORIZED', 'the access token lacks its subject or id')
    }
    // As the verifier has it: a token is good up to and including its expiry.
    if (clock.now_ms() > claims.exp * 1000) throw new HttpError(401, 'UNAUTHORIZED', 'the access token has expired')
    if (await engine.get('SELECT jti FROM revoked_tokens WHERE jti = ?', [claims.jti]) !== undefined) {
      throw new HttpError(401, 'UNAUTHORIZED', 'the access token has been revoked')
    }
    const state = await engine.get<UserState>(USER_STATE_SQL, [claims.sub])
    // Before the generation, which a suspension moves on too: the holder learns why their token stopped working.
    if (state !== undefined && state.suspended_at_ms !== null) throw suspended()
    // Tokens from before the generation existed carry none: generation 0.
    if (state === undefined || (claims.gen ?? 0) !== state.session_generation) {
      throw new HttpError(401, 'UNAUTHORIZED', 'the session has ended (password changed or reset, suspended, or user gone); log in again')
    }
    // A demoted operator loses operator routes now, not when the token expires; a promoted user gains at once.
    const roles = rolesFromList(state.roles)
    if (roles.length === 0) throw new HttpError(403, 'FORBIDDEN', 'this account holds no role; ask the hub operator')
    return { ...claims, role: highestRole(roles), roles, accountVerified: state.verified === 1 }
  })

  app.decorate('authenticate', async (request: FastifyRequest): Promise<void> => {
    let claims: AccessClaims
    try {
      claims = await request.jwtVerify<AccessClaims>({ clockTimestamp: clock.now_ms() })
    } catch (error) {
      throw new HttpError(401, 'UNAUTHORIZED', (error as Error).message)
    }
    request.user = await app.checkAccess(claims)
  })

  requireDeclaredSecurity(app)
})

/**
 * Checked as each route registers, so a route that gets either wrong stops the hub from starting: a route that
 * takes a token declares bearer security in its OpenAPI schema (and no other route does), and checks the token
 * before the body is validated (an anonymous caller learns nothing from the validation errors).
 */
function requireDeclaredSecurity(app: FastifyInstance): void {
  app.addHook('onRoute', (route) => {
    const where = `${[route.method].flat().join(',')} ${route.url}`
    if ([route.preHandler].flat().includes(app.authenticate)) {
      throw new Error(`${where}: app.authenticate belongs in onRequest or preValidation, before the body is validated`)
    }
    const authenticates = [route.onRequest, route.preValidation].flat().includes(app.authenticate)
    const declaresSecurity = (route.schema as { security?: unknown } | undefined)?.security !== undefined
    if (authenticates !== declaresSecurity) {
      throw new Error(`${where}: a route declares security in its schema exactly when it runs app.authenticate`)
    }
  })
}

function suspended(): HttpError {
  return new HttpError(401, 'ACCOUNT_SUSPENDED', 'this account is suspended; ask the hub operator')
}

/** Hook to run after app.authenticate (in the same list): admits only users holding any of `roles`. */
export function requireRole(...roles: Role[]): preValidationAsyncHookHandler {
  return async (request: FastifyRequest): Promise<void> => {
    const user = authenticatedUser(request)
    if (!user.roles.some((held) => roles.includes(held))) {
      throw new HttpError(403, 'FORBIDDEN', `this route is for ${roles.join(' or ')}; your roles are ${user.roles.join(', ')}`)
    }
  }
}

const ACCOUNT_UNVERIFIED_MESSAGE = 'prove your email (POST /users/verify-email-init, then verify-email-finish) ' +
  'or your phone (verify-phone-init, then verify-phone-finish) before you move money or commit to anything'

/**
 * Hook to run after app.authenticate, on the routes that move money or commit the caller (payments, vouchers, orders):
 * 403 ACCOUNT_UNVERIFIED for an account that proved neither an email nor a phone.
 */
export async function requireVerifiedAccount(request: FastifyRequest): Promise<void> {
  if (!authenticatedUser(request).accountVerified) throw new HttpError(403, 'ACCOUNT_UNVERIFIED', ACCOUNT_UNVERIFIED_MESSAGE)
}

function authenticatedUser(request: FastifyRequest): AuthenticatedUser {
  // request.user is null until authenticate has run, whatever its static type says.
  const user = request.user as AuthenticatedUser | null
  if (user === null) throw new HttpError(401, 'UNAUTHORIZED', 'this route needs an access token')
  return user
}
