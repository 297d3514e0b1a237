// Sessions: an access token and a single-use refresh token, handed out at login and traded in at
// refresh. A refresh token presented after it was used is taken for a stolen one: every session ends.

import type { FastifyBaseLogger, FastifyInstance } from 'fastify'
import { sha256, toHex } from '../../protocol/bytes'
import type { Clock, RandomBytes } from '../../protocol/clock'
import { HttpError } from '../http/errors'
import { issueRefreshToken } from './login'
import type { User, UserStore } from './store'

/** A session just started: the tokens, and whose they are (the routes reply with sessionReply). */
export interface Session {
  token: string
  refreshToken: string
  user: User
}

export interface SessionDependencies {
  readonly app: FastifyInstance
  readonly users: UserStore
  readonly clock: Clock
  readonly random: RandomBytes
  readonly log: FastifyBaseLogger
}

const REFRESH_REFUSED_MESSAGE = 'the refresh token is unknown, expired or already used; log in again'

export async function startSession(dependencies: SessionDependencies, user: User): Promise<Session> {
  const { token } = await dependencies.app.issueAccessToken({ sub: user.id })
  const refreshToken = await issueRefreshToken(dependencies.users, dependencies.clock, dependencies.random, user.id)
  return { token, refreshToken, user }
}

/** A new token pair for a live refresh token, which dies; the roles are read afresh (an order may have made an owner). */
export async function refreshSession(dependencies: SessionDependencies, refreshToken: string): Promise<Session> {
  const { users, clock, log } = dependencies
  const use = await users.consumeRefreshToken(refreshTokenHash(refreshToken), clock.now_ms())
  if (use.status === 'reused') {
    await users.endSessions(use.userId, clock.now_ms())
    log.warn({ userId: use.userId }, 'a used refresh token came back: every session of the user is ended')
  }
  const user = use.status === 'consumed' ? await users.byId(use.userId) : undefined
  if (user === undefined) throw new HttpError(401, 'UNAUTHORIZED', REFRESH_REFUSED_MESSAGE)
  return startSession(dependencies, user)
}

export function refreshTokenHash(refreshToken: string): string {
  return toHex(sha256(Buffer.from(refreshToken, 'utf8')))
}
