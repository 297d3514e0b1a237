// Checking a password login, by email (web) or phone (mobile): one answer for every failure (so a caller
// cannot learn which accounts exist), a lockout after repeated failures, legacy or weaker hashes upgraded.

import { sha256, toHex } from '../../protocol/bytes'
import type { Clock, RandomBytes } from '../context'
import { HttpError } from '../http/errors'
import type { PasswordHasher } from './passwords'
import { normalizeEmail, publicUser, type User, type UserCredentials, type UserStore } from './store'

export const LOGIN_FAILURES_MAX = 5
export const LOCKOUT_MS = 15 * 60 * 1000
export const REFRESH_TOKEN_LIFETIME_MS = 7 * 24 * 60 * 60 * 1000
const REFRESH_TOKEN_BYTES = 32

export const BAD_CREDENTIALS_MESSAGE = 'wrong email or password'
export const BAD_PHONE_CREDENTIALS_MESSAGE = 'wrong phone or password'

export interface LoginDependencies {
  readonly users: UserStore
  readonly passwords: PasswordHasher
  readonly clock: Clock
}

/**
 * The user whose email and password these are, or HttpError 401 with the same message whether the
 * email is unknown or the password wrong, 423 while the account is locked; each path spends one hash's time.
 */
export async function checkPasswordLogin(dependencies: LoginDependencies, email: string, password: string): Promise<User> {
  const user = dependencies.users.credentialsByEmail(normalizeEmail(email))
  return checkPassword(dependencies, user, password, BAD_CREDENTIALS_MESSAGE)
}

/** As checkPasswordLogin, for the mobile API's phone logins; `phone` in E.164 (phoneNumberOf). */
export async function checkPhoneLogin(dependencies: LoginDependencies, phone: string, password: string): Promise<User> {
  const user = dependencies.users.credentialsByPhone(phone)
  return checkPassword(dependencies, user, password, BAD_PHONE_CREDENTIALS_MESSAGE)
}

async function checkPassword(
  dependencies: LoginDependencies, user: UserCredentials | undefined, password: string, failureMessage: string,
): Promise<User> {
  const { users, passwords, clock } = dependencies
  if (user === undefined) {
    await passwords.verifyNothing(password)
    throw new HttpError(401, 'UNAUTHORIZED', failureMessage)
  }
  if (user.lockedUntilMs !== null && clock.nowMs() < user.lockedUntilMs) {
    // 423, as the legacy API answered: the password is not even checked, so a lock confirms no guess.
    await passwords.verifyNothing(password)
    throw new HttpError(423, 'LOCKED', `too many failed logins: locked until ${new Date(user.lockedUntilMs).toISOString()}`)
  }
  if (!(await passwords.verify(password, user.passwordHash))) {
    users.recordFailedLogin(user.id, LOGIN_FAILURES_MAX, clock.nowMs() + LOCKOUT_MS)
    throw new HttpError(401, 'UNAUTHORIZED', failureMessage)
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
