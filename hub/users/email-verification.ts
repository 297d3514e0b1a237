// Proving an email with a one-time code sent to it through the notify outbox, as phone numbers are proved: the code
// goes at sign-up (and again on request), and coming back it sets emailVerified. The codes follow the rules of
// hub/users/one-time-code.ts (6 digits, 10 minutes, 5 wrong tries); sends are bounded per account.

import type { Clock, RandomBytes } from '../../protocol/clock'
import { HttpError } from '../http/errors'
import { emailCodeMessage } from '../notify/message'
import type { OutgoingMessage } from '../notify/message'
import type { Notifier } from '../notify/notifier'
import type { SqlEngine, SqlQuery } from '../store/sql'
import { EmailCodeStore } from './email-code-store'
import {
  judgeProofCode, newDigitCode, PROOF_CODE_DIGITS, PROOF_CODE_LIFETIME_MS, proofCodeHash, proofCodeMatches, proofCodeRefusal,
  tooManyCodesSent,
} from './one-time-code'
import type { User, UserStore } from './store'

/**
 * Codes sent to one account's email in a fixed window; past it the request is refused with 429 and nothing is sent.
 * An email belongs to one account at most, so this also bounds the mail one address gets.
 */
export const EMAIL_CODE_SENDS = { perAccountMax: 5, windowMs: 60 * 60 * 1000 } as const

export interface EmailVerificationDependencies {
  readonly engine: SqlEngine
  readonly users: UserStore
  readonly clock: Clock
  readonly random: RandomBytes
  readonly notifier: Notifier
}

export interface EmailCodeSent {
  readonly email: string
  readonly codeExpiresAtMs: number
}

/** A code a write stored, and its mail, queued once that write has committed (EmailVerification.deliver). */
export interface EmailCodeSending {
  readonly sent: EmailCodeSent
  readonly message: OutgoingMessage
}

type FinishOutcome = { readonly kind: 'proved' } | { readonly kind: 'refused'; readonly error: HttpError }

export class EmailVerification {
  private readonly codes: EmailCodeStore

  constructor(private readonly dependencies: EmailVerificationDependencies) {
    this.codes = new EmailCodeStore(dependencies.engine)
  }

  /** Sends a new code to the user's email (the one before stops working). 409 when there is nothing left to prove. */
  async send(userId: string): Promise<EmailCodeSent> {
    return this.deliver(await this.dependencies.engine.write(sql => this.sendIn(sql, userId)))
  }

  /** As send, inside the caller's write (a sign-up's): deliver what it returns once that write has committed. */
  async sendIn(sql: SqlQuery, userId: string): Promise<EmailCodeSending> {
    const { clock, random } = this.dependencies
    const user = await this.unproved(sql, userId)
    const now_ms = clock.now_ms()
    const earlier = await this.codes.ofUser(userId, sql)
    const windowOpen = earlier !== undefined && now_ms < earlier.sendsWindowStartMs + EMAIL_CODE_SENDS.windowMs
    const sends = windowOpen ? earlier.sends : 0
    if (windowOpen && sends >= EMAIL_CODE_SENDS.perAccountMax) {
      throw tooManyCodesSent('to your email', earlier.sendsWindowStartMs + EMAIL_CODE_SENDS.windowMs)
    }
    const code = newDigitCode(random, PROOF_CODE_DIGITS)
    const codeExpiresAt_ms = now_ms + PROOF_CODE_LIFETIME_MS
    await this.codes.put(sql, {
      userId, codeSha256: emailCodeHash(userId, code), codeExpiresAtMs: codeExpiresAt_ms,
      sends: sends + 1, sendsWindowStartMs: windowOpen ? earlier.sendsWindowStartMs : now_ms,
    })
    return {
      sent: { email: user.email, codeExpiresAtMs: codeExpiresAt_ms },
      message: emailCodeMessage(user, code, PROOF_CODE_LIFETIME_MS / 60_000),
    }
  }

  /** Queues the mail of a code that a committed write stored; the code as the reply tells of it. */
  async deliver(sending: EmailCodeSending): Promise<EmailCodeSent> {
    await this.dependencies.notifier.send(sending.message)
    return sending.sent
  }

  /** Proves the user's email with the code sent to it; a wrong code is counted, though the answer is an error. */
  async finish(userId: string, code: string): Promise<User> {
    const { engine, users, clock } = this.dependencies
    const outcome = await engine.write(async (sql): Promise<FinishOutcome> => {
      await this.unproved(sql, userId)
      const sent = await this.codes.ofUser(userId, sql)
      if (sent === undefined) {
        // Another request (on PostgreSQL, another hub) may have used the code and proved the email since the read
        // above: each statement sees what has committed, so the user read again tells, as the one that lost the race.
        await this.unproved(sql, userId)
        throw new HttpError(409, 'NO_PENDING_CODE', 'no code was sent to your email: ask for one (verify-email-init)')
      }
      const now_ms = clock.now_ms()
      const verdict = judgeProofCode(sent, proofCodeMatches(sent.codeSha256, emailCodeHash(userId, code)), now_ms)
      if (verdict.kind !== 'prove') {
        const wrongCodes = verdict.kind === 'wrong' ? await this.codes.recordWrongCode(sql, userId) : sent.wrongCodes
        return { kind: 'refused', error: proofCodeRefusal(verdict, wrongCodes) }
      }
      // A code proves once, whichever hub it reaches: the UPDATE that finds the email unproved is the check.
      if (!await users.setEmailVerifiedIn(sql, userId, now_ms)) {
        return { kind: 'refused', error: new HttpError(409, 'EMAIL_ALREADY_VERIFIED', 'this email is proved already') }
      }
      return { kind: 'proved' }
    })
    if (outcome.kind === 'refused') throw outcome.error
    return (await users.byId(userId))!
  }

  /** The user, when they have an email still to prove. */
  private async unproved(sql: SqlQuery, userId: string): Promise<User & { email: string }> {
    const user = await this.dependencies.users.byId(userId, sql)
    if (user === undefined) throw new HttpError(401, 'UNAUTHORIZED', 'the token’s user no longer exists')
    if (user.email === null) throw new HttpError(409, 'NO_EMAIL', 'this account has no email to prove; it proves its phone instead')
    if (user.emailVerifiedAtMs !== null) throw new HttpError(409, 'EMAIL_ALREADY_VERIFIED', 'this email is proved already')
    return { ...user, email: user.email }
  }
}

/** Bound to the user, so one code's hash says nothing about another account's. */
function emailCodeHash(userId: string, code: string): string {
  return proofCodeHash('email-code', userId, code)
}
