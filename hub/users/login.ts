// Checking a password login, by email or phone (the web takes either, the mobile API a phone): one answer for every
// wrong credential, and the same answers, after the same work, for known and unknown accounts (so a caller cannot
// learn which exist); failures slowed by the LoginThrottle; legacy or weaker hashes upgraded, and a legacy person's
// second password forgotten at the first login.

import { sha256, toHex } from '../../protocol/bytes'
import type { Clock, RandomBytes } from '../../protocol/clock'
import { HttpError } from '../http/errors'
import { identifierKey, type LoginThrottle } from './login-throttle'
import type { PasswordHasher } from './passwords'
import { normalizeEmail, publicUser, type User, type UserCredentials, type UserStore } from './store'

export const REFRESH_TOKEN_LIFETIME_MS = 7 * 24 * 60 * 60 * 1000
const REFRESH_TOKEN_BYTES = 32

export const BAD_CREDENTIALS_MESSAGE = 'wrong email or password'
export const BAD_PHONE_CREDENTIALS_MESSAGE = 'wrong phone or password'

export interface LoginDependencies {
  readonly users: UserStore
  readonly passwords: PasswordHasher
  readonly throttle: LoginThrottle
}

/**
 * The user whose email and password these are, or HttpError 401 with the same message whether the email is
 * unknown or the password wrong, after one hash either way; 429 or 423 (and no hash) while the throttle holds
 * the caller's address or the email back.
 */
export async function checkPasswordLogin(
  dependencies: LoginDependencies, clientAddress: string, email: string, password: string,
): Promise<User> {
  const normalized = normalizeEmail(email)
  const lookUp = () => dependencies.users.credentialsByEmail(normalized)
  return checkPassword(dependencies, clientAddress, identifierKey('email', normalized), lookUp, password, BAD_CREDENTIALS_MESSAGE)
}

/** As checkPasswordLogin, for the mobile API's phone logins; `phone` in E.164 (phoneNumberOf). */
export async function checkPhoneLogin(
  dependencies: LoginDependencies, clientAddress: string, phone: string, password: string,
): Promise<User> {
  const lookUp = () => dependencies.users.credentialsByPhone(phone)
  return checkPassword(dependencies, clientAddress, identifierKey('phone', phone), lookUp, password, BAD_PHONE_CREDENTIALS_MESSAGE)
}

/** The keys the throttle counts a user's failures under: each identifier they can log in with. */
export function identifierKeysOf(user: User): string[] {
  return [
    ...(user.email === null ? [] : [identifierKey('email', user.email)]),
    ...(user.phone === null ? [] : [identifierKey('phone', user.phone)]),
  ]
}

async function checkPassword(
  dependencies: LoginDependencies, clientAddress: string, identifier: string, lookUp: () => Promise<UserCredentials | undefined>,
  password: string, failureMessage: string,
): Promise<User> {
  const { users, passwords, throttle } = dependencies
  const user = await throttle.attempt(clientAddress, [identifier], async () => {
    const found = await lookUp()
    if (found === undefined) {
      await passwords.verifyNothing(password)
      return undefined
    }
    if (await passwords.verify(password, found.passwordHash)) return found
    // A person imported with a password in each legacy backend logs in with either, until the first login.
    if (found.legacyPasswordHash !== null && await passwords.verify(password, found.legacyPasswordHash)) return found
    return undefined
  })
  if (user === undefined) throw new HttpError(401, 'UNAUTHORIZED', failureMessage)
  if (passwords.needsRehash(user.passwordHash) || user.legacyPasswordHash !== null) {
    await users.updatePasswordHash(user.id, await passwords.hash(password))
  }
  return publicUser(user)
}

/** A new opaque refresh token for `userId`; only its SHA-256 is stored. */
export async function issueRefreshToken(users: UserStore, clock: Clock, random: RandomBytes, userId: string): Promise<string> {
  const token = Buffer.from(random(REFRESH_TOKEN_BYTES)).toString('base64url')
  const now_ms = clock.now_ms()
  await users.addRefreshToken(toHex(sha256(Buffer.from(token))), userId, now_ms, now_ms + REFRESH_TOKEN_LIFETIME_MS)
  return token
}
