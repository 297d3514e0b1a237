// Forgotten passwords: a single-use token, valid one hour and stored only as its hash, goes to the
// account's email through the notifier; using it sets the new password and ends every session.

import { sha256, toHex } from '../../protocol/bytes'
import type { Clock, RandomBytes } from '../../protocol/clock'
import { HttpError } from '../http/errors'
import { passwordWeakness } from './passwords'
import { passwordResetMessage } from '../notify/message'
import type { Notifier } from '../notify/notifier'
import type { LoginThrottle } from './login-throttle'
import type { PasswordHasher } from './passwords'
import { normalizeEmail, type UserStore } from './store'

export const PASSWORD_RESET_LIFETIME_MS = 60 * 60 * 1000
/** Unused tokens one account may have at once; more requests send nothing (and still answer 202). */
export const PASSWORD_RESETS_LIVE_MAX = 3
const RESET_TOKEN_BYTES = 32

export interface PasswordResetDependencies {
  readonly users: UserStore
  readonly clock: Clock
  readonly random: RandomBytes
  readonly notifier: Notifier
  readonly passwords: PasswordHasher
  readonly throttle: LoginThrottle
}

/** Sends a reset token if an account has this email; says nothing either way. */
export async function startPasswordReset(dependencies: PasswordResetDependencies, email: string): Promise<void> {
  const { users, clock, random, notifier } = dependencies
  const user = await users.credentialsByEmail(normalizeEmail(email))
  if (user === undefined) return
  const token = Buffer.from(random(RESET_TOKEN_BYTES)).toString('base64url')
  const now_ms = clock.now_ms()
  if (!await users.addPasswordReset(resetTokenHash(token), user.id, now_ms, now_ms + PASSWORD_RESET_LIFETIME_MS, PASSWORD_RESETS_LIVE_MAX)) return
  await notifier.send(passwordResetMessage(user, token, PASSWORD_RESET_LIFETIME_MS / 60_000))
}

/**
 * Sets the password of the token's account; the token, and any other outstanding for it, is used up. A wrong
 * token counts as a failure of the caller's address, which the LoginThrottle slows down like a wrong password.
 */
export async function finishPasswordReset(
  dependencies: PasswordResetDependencies, clientAddress: string, token: string, password: string,
): Promise<void> {
  const { users, clock, passwords, throttle } = dependencies
  // Checked first, so a weak password does not burn the token.
  const weakness = passwordWeakness(password)
  if (weakness !== undefined) throw new HttpError(400, 'WEAK_PASSWORD', weakness)
  const userId = await throttle.attempt(clientAddress, [], async () => {
    const passwordHash = await passwords.hash(password)
    return users.resetPassword(resetTokenHash(token), passwordHash, clock.now_ms())
  })
  if (userId === undefined) throw new HttpError(400, 'INVALID_RESET_TOKEN', 'the reset token is unknown, expired or already used')
}

function resetTokenHash(token: string): string {
  return toHex(sha256(Buffer.from(token, 'utf8')))
}
