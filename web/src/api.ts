// The hub's REST API from the browser. The access token lives in this module's memory only; the refresh
// token is an HttpOnly cookie the page never sees, traded at POST /users/refresh for a new access token.

import type { Role } from '../../hub/http/roles'
import type { UserReply } from '../../hub/users/wire'

/** Sent with every cookie-borne request: a cross-site form cannot set it, so the hub knows the page sent it. */
const CLIENT_HEADER = { 'x-payall-client': 'web' }

export type { Role }
/** A user as the hub replies with one. */
export type User = UserReply

/** A refusal from the hub (its error code), or NETWORK when the hub could not be reached. */
export class ApiError extends Error {
  constructor(readonly status: number, readonly code: string, message: string) {
    super(message)
    this.name = 'ApiError'
  }
}

let accessToken: string | null = null
let currentUser: User | null = null
const sessionListeners = new Set<(user: User | null) => void>()

export function signedInUser(): User | null {
  return currentUser
}

export function onSessionChange(listener: (user: User | null) => void): () => void {
  sessionListeners.add(listener)
  return () => void sessionListeners.delete(listener)
}

function setSession(token: string | null, user: User | null): void {
  accessToken = token
  currentUser = user
  for (const listener of sessionListeners) listener(user)
}

/** The current access token for a streaming request (events.ts); null when signed out. */
export function bearer(): string | null {
  return accessToken
}

async function errorOf(response: Response): Promise<ApiError> {
  try {
    const body = (await response.json()) as { error?: { code?: string; message?: string } }
    return new ApiError(response.status, body.error?.code ?? 'UNKNOWN', body.error?.message ?? response.statusText)
  } catch {
    return new ApiError(response.status, 'UNKNOWN', response.statusText)
  }
}

async function send(method: string, path: string, body: unknown, headers: Record<string, string>): Promise<Response> {
  const init: RequestInit = { method, headers: { ...headers }, credentials: 'same-origin' }
  if (body instanceof FormData) init.body = body
  else if (body !== undefined) {
    init.body = JSON.stringify(body)
    ;(init.headers as Record<string, string>)['content-type'] = 'application/json'
  }
  try {
    return await fetch(path, init)
  } catch {
    throw new ApiError(0, 'NETWORK', 'the hub could not be reached')
  }
}

let refreshing: Promise<boolean> | null = null

/** Trades the refresh cookie for a new access token; false (and signed out) when there is no valid one. */
export function refreshSession(): Promise<boolean> {
  // Concurrent 401s share one refresh: the refresh token is single use.
  refreshing ??= (async () => {
    try {
      const response = await send('POST', '/users/refresh', undefined, CLIENT_HEADER)
      // 204: no session cookie, nobody signed in here; an error: the cookie's session is over.
      if (!response.ok || response.status === 204) {
        setSession(null, null)
        return false
      }
      const session = (await response.json()) as { token: string; user: User }
      setSession(session.token, session.user)
      return true
    } finally {
      refreshing = null
    }
  })()
  return refreshing
}

/** Calls the API with the access token; a 401 is retried once after a refresh. */
async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const response = await authorized(method, path, body)
  if (!response.ok) throw await errorOf(response)
  if (response.status === 204) return undefined as T
  return (await response.json()) as T
}

/** As api(), for a reply that is a file (a CSV export, a KYC document): its bytes and type. */
export async function apiBlob(path: string): Promise<Blob> {
  const response = await authorized('GET', path, undefined)
  if (!response.ok) throw await errorOf(response)
  return response.blob()
}

async function authorized(method: string, path: string, body: unknown): Promise<Response> {
  const headers = (): Record<string, string> => (accessToken === null ? {} : { authorization: `Bearer ${accessToken}` })
  let response = await send(method, path, body, headers())
  if (response.status === 401 && accessToken !== null && (await refreshSession())) {
    response = await send(method, path, body, headers())
  }
  return response
}

export const http = {
  get: <T>(path: string) => api<T>('GET', path),
  post: <T>(path: string, body?: unknown) => api<T>('POST', path, body),
  put: <T>(path: string, body?: unknown) => api<T>('PUT', path, body),
  patch: <T>(path: string, body?: unknown) => api<T>('PATCH', path, body),
  delete: <T>(path: string) => api<T>('DELETE', path),
}

/** An email when it has an @, else a phone number in any form the hub normalises. */
export async function signIn(identifier: string, password: string): Promise<User> {
  const trimmed = identifier.trim()
  const who = trimmed.includes('@') ? { email: trimmed } : { phone: trimmed }
  const response = await send('POST', '/users/login', { ...who, password, refreshIn: 'cookie' }, CLIENT_HEADER)
  if (!response.ok) throw await errorOf(response)
  const session = (await response.json()) as { token: string; user: User }
  setSession(session.token, session.user)
  return session.user
}

/** The hub has ended every session of the user (a password change): forget this one without asking it to. */
export function forgetSession(): void {
  setSession(null, null)
}

export async function signOut(): Promise<void> {
  try {
    if (accessToken !== null) {
      await send('POST', '/users/refresh/logout', undefined, { ...CLIENT_HEADER, authorization: `Bearer ${accessToken}` })
    }
  } finally {
    setSession(null, null)
  }
}

