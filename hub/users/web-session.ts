// The web dashboard's session: its refresh token lives in an HttpOnly, SameSite=Strict cookie that the browser sends
// only to /users/refresh (and /users/refresh/logout), never to page scripts. A request that relies on the cookie must
// also carry the header X-PayAll-Client: web, which a cross-site form or link cannot send (the CSRF guard).

import type { FastifyReply, FastifyRequest } from 'fastify'
import { HttpError } from '../http/errors'
import { REFRESH_TOKEN_LIFETIME_MS } from './login'

export const REFRESH_COOKIE = 'payall_refresh'
const REFRESH_COOKIE_PATH = '/users/refresh'
const WEB_CLIENT_HEADER = 'x-payall-client'
const WEB_CLIENT = 'web'

const COOKIE_ATTRIBUTES = { path: REFRESH_COOKIE_PATH, httpOnly: true, sameSite: 'strict', secure: 'auto' } as const

/** The refresh token the cookie holds, if the browser sent one. */
export function refreshCookieOf(request: FastifyRequest): string | undefined {
  const token = request.cookies[REFRESH_COOKIE]
  return token === undefined || token === '' ? undefined : token
}

/** Sets the cookie for 7 days, like the refresh token it holds; Secure when the request came over https. */
export function setRefreshCookie(reply: FastifyReply, refreshToken: string): void {
  reply.setCookie(REFRESH_COOKIE, refreshToken, { ...COOKIE_ATTRIBUTES, maxAge: REFRESH_TOKEN_LIFETIME_MS / 1000 })
}

export function clearRefreshCookie(reply: FastifyReply): void {
  reply.clearCookie(REFRESH_COOKIE, COOKIE_ATTRIBUTES)
}

export function isWebClient(request: FastifyRequest): boolean {
  return request.headers[WEB_CLIENT_HEADER] === WEB_CLIENT
}

/** preValidation hook of the routes that act on the refresh cookie: 403 CSRF_HEADER_MISSING without the header. */
export async function requireWebClient(request: FastifyRequest): Promise<void> {
  if (!isWebClient(request)) throw csrfHeaderMissing()
}

export function csrfHeaderMissing(): HttpError {
  return new HttpError(403, 'CSRF_HEADER_MISSING', `a request that relies on the ${REFRESH_COOKIE} cookie carries the header X-PayAll-Client: web`)
}

/** For the OpenAPI document of the routes that read the header. */
export const WEB_CLIENT_HEADER_SCHEMA = {
  type: 'object',
  properties: {
    [WEB_CLIENT_HEADER]: { type: 'string', description: `"${WEB_CLIENT}" from the web dashboard, with the ${REFRESH_COOKIE} cookie` },
  },
} as const
