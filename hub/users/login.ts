// Checking a password login: one answer for every failure (so a caller cannot learn which emails
// exist), a lockout after repeated failures, and legacy or weaker hashes upgraded on success.

import { sha256, toHex } from '../../protocol/bytes'
import type { Clock, RandomBytes } from '../context'
import { HttpError } from '../http/errors'
import type { PasswordHasher } from './passwords'
import { normalizeEmail, publicUser, type User, type UserStore } from './store'

export const LOGIN_FAILURES_MAX = 5
export const LOCKOUT_MS = 15 * 60 * 1000
export const REFRESH_TOKEN_LIFETIME_MS = 7 * 24 * 60 * 60 * 1000
const REFRESH_TOKEN_BYTES = 32

export const BAD_CREDENTIALS_MESSAGE = 'wrong email or password'

export interface LoginDependencies {
  readonly users: UserStore
  readonly passwords: PasswordHasher
  readonly clock: Clock
}

/**
 * The user whose email and password these are, or HttpError 401 with the same message whether the
 * email is unknown, the password wrong or the account locked; each path spends one hash's time.
 */
export async function checkPasswordLogin(dependencies: LoginDependencies, email: string, password: string): Promise<User> {
  const { users, passwords, clock } = dependencies
  const user = users.credentialsByEmail(normalizeEmail(email))
  if (user === undefined) {
    await passwords.verifyNothing(password)
    throw new HttpError(401, 'UNAUTHORIZED', BAD_CREDENTIALS_MESSAGE)
  }
  if (user.lockedUntilMs !== null && clock.nowMs() < user.lockedUntilMs) {
    await passwords.verifyNothing(password)
    throw new HttpError(401, 'UNAUTHORIZED', BAD_CREDENTIALS_MESSAGE)
  }
  if (!(await passwords.verify(password, user.passwordHash))) {
    users.recordFailedLogin(user.id, LOGIN_FAILURES_MAX, clock.nowMs() + LOCKOUT_MS)
    throw new HttpError(401, 'UNAUTHORIZED', BAD_CREDENTIALS_MESSAGE)
  }
  const passwordHash = passwords.needsRehash(user.passwordHash) ? await passwords.hash(password) : user.passwordHash
  users.recordSuccessfulLogin(user.id, passwordHash)
  return publicUser(user)
}

/** A new opaque refresh token for `userId`; only its SHA-256 is stored. */
export function issueRefreshToken(users: UserStore, clock: Clock, random: RandomBytes, userId: string): string {
  const token = Buffer.from(random(REFRESH_TOKEN_BYTES)).toString('base64url')
  const nowMs = clock.nowMs()
  users.addRefreshToken(toHex(sha256(Buffer.from(token))), userId, nowMs, nowMs + REFRESH_TOKEN_LIFETIME_MS)
  return token
}
