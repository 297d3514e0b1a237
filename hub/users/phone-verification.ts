// Proving a phone number with a one-time code sent to it by SMS, before it can log in, be reached or receive money:
// a signed-in user's change of number, or a phone sign-up, whose account exists only once its number is proved.
// A number proved by one account cannot be claimed by another; until then several may claim it, and whoever proves
// it first gets it: the code goes to the number, so only its holder can.

import type { FastifyBaseLogger } from 'fastify'
import { toHex } from '../../protocol/bytes'
import type { Clock, RandomBytes } from '../../protocol/clock'
import { HttpError } from '../http/errors'
import { phoneCodeMessage } from '../notify/message'
import type { OutgoingMessage } from '../notify/message'
import type { Notifier } from '../notify/notifier'
import type { SqlEngine, SqlQuery } from '../store/sql'
import {
  judgeProofCode, newDigitCode, PROOF_CODE_DIGITS, PROOF_CODE_LIFETIME_MS, PROOF_CODE_WRONG_MAX, proofCodeHash, proofCodeMatches,
  proofCodeRefusal, tooManyCodesSent,
} from './one-time-code'
import { isE164 } from './phone'
import { PhoneClaims, type PhoneClaim, type PhoneSignUp } from './phone-claims'
import type { User, UserStore } from './store'

/** A phone sign-up not proved within this time is forgotten. */
export const PHONE_SIGN_UP_LIFETIME_MS = 60 * 60 * 1000

/**
 * Codes sent in a sliding window: per number, so nobody can flood a phone with SMS, and per claimant (a user, or a
 * sign-up), so nobody can run up the hub's SMS bill through one account. Past either bound the request is refused
 * with 429 and nothing is stored or sent. The per-number bound also means that someone who spends it delays the
 * number's owner by up to one window: the price of not letting anyone flood a phone.
 */
export const PHONE_CODE_SENDS = { perNumberMax: 5, perClaimantMax: 5, windowMs: 60 * 60 * 1000 } as const

const CLAIM_ID_BYTES = 12

export interface PhoneVerificationDependencies {
  readonly engine: SqlEngine
  readonly users: UserStore
  readonly clock: Clock
  readonly random: RandomBytes
  readonly notifier: Notifier
  readonly log: FastifyBaseLogger
}

/** A code on its way to a number. */
export interface CodeSent {
  readonly claimId: string
  readonly phone: string
  readonly codeExpiresAtMs: number
}

/** A code a write stored, and its SMS, queued once that write has committed (PhoneVerification.deliver). */
export interface CodeSending {
  readonly sent: CodeSent
  readonly message: OutgoingMessage
}

/** Bound to the claim, so one code's hash says nothing about another claim's. */
function phoneCodeHash(claimId: string, code: string): string {
  return proofCodeHash('phone-code', claimId, code)
}

/** A line for the log, written once the write that decided it has committed. */
interface LogNote {
  readonly level: 'info' | 'warn'
  readonly fields: Record<string, unknown>
  readonly message: string
}

type FinishOutcome =
  | { readonly kind: 'proved'; readonly userId: string; readonly notes: readonly LogNote[] }
  | { readonly kind: 'refused'; readonly error: HttpError; readonly notes: readonly LogNote[] }

/**
 * Each act is one SqlEngine.write; the `…In` forms run inside a caller's write (a sign-up's, an account update's) and
 * hand back the SMS to deliver once it has committed. Nothing leaves the hub from inside a write.
 */
export class PhoneVerification {
  private readonly claims: PhoneClaims

  constructor(private readonly dependencies: PhoneVerificationDependencies) {
    this.claims = new PhoneClaims(dependencies.engine)
  }

  /**
   * Sends a code to `phone` for the user to prove it; the user's earlier claim, if any, ends. Undefined, and nothing
   * sent, when the number is already theirs and proved (any other number they were proving is dropped).
   */
  async claimForUser(userId: string, phone: string): Promise<CodeSent | undefined> {
    const sending = await this.dependencies.engine.write(sql => this.claimForUserIn(sql, userId, phone))
    return sending === undefined ? undefined : this.deliver(sending)
  }

  /** As claimForUser, inside the caller's write: deliver what it returns once that write has committed. */
  async claimForUserIn(sql: SqlQuery, userId: string, phone: string): Promise<CodeSending | undefined> {
    const user = await this.dependencies.users.byId(userId, sql)
    if (user === undefined) throw new HttpError(401, 'UNAUTHORIZED', 'the token’s user no longer exists')
    if (user.phone === phone && user.phoneVerifiedAtMs !== null) {
      await this.claims.withdrawOfUser(userId, sql)
      return undefined
    }
    await this.refuseIfTaken(sql, phone, userId)
    const id = this.newClaimId()
    return this.sendCode(sql, `user:${userId}`, phone, id, userId, async (codeSha256, codeExpiresAt_ms, now_ms) => {
      await this.claims.insert(sql, { id, phone, userId, signUp: null, codeSha256, codeExpiresAtMs: codeExpiresAt_ms, createdAtMs: now_ms, expiresAtMs: null })
    })
  }

  /** Sends a code to `phone` for a sign-up; its account is created when the code comes back (finishSignUp). */
  async claimForSignUp(signUp: PhoneSignUp, phone: string): Promise<CodeSent> {
    const { engine, clock } = this.dependencies
    return this.deliver(await engine.write(async (sql) => {
      await this.refuseIfTaken(sql, phone, undefined)
      await this.claims.deleteExpired(sql, clock.now_ms())
      const id = this.newClaimId()
      return this.sendCode(sql, `sign-up:${id}`, phone, id, null, async (codeSha256, codeExpiresAt_ms, now_ms) => {
        await this.claims.insert(sql, {
          id, phone, userId: null, signUp, codeSha256, codeExpiresAtMs: codeExpiresAt_ms, createdAtMs: now_ms, expiresAtMs: now_ms + PHONE_SIGN_UP_LIFETIME_MS,
        })
      })
    }))
  }

  /**
   * A new code for the number the user is proving, or for a number they kept from before codes were asked (unless
   * the start-up step could not write it in E.164: then they give their number again).
   */
  async resendForUser(userId: string): Promise<CodeSent> {
    const { engine, users } = this.dependencies
    return this.deliver(await engine.write(async (sql) => {
      const claim = await this.claims.ofUser(userId, sql)
      if (claim !== undefined) return this.newCode(sql, `user:${userId}`, claim)
      const user = await users.byId(userId, sql)
      const kept = user !== undefined && user.phoneVerifiedAtMs === null ? user.phone : null
      if (kept !== null && isE164(kept)) return (await this.claimForUserIn(sql, userId, kept))!
      throw noPendingPhone()
    }))
  }

  async resendForSignUp(claimId: string): Promise<CodeSent> {
    return this.deliver(await this.dependencies.engine.write(async sql => this.newCode(sql, `sign-up:${claimId}`, await this.liveSignUp(sql, claimId))))
  }

  /** Queues the SMS of a code that a committed write stored; the code as the reply tells of it. */
  async deliver(sending: CodeSending): Promise<CodeSent> {
    await this.dependencies.notifier.send(sending.message)
    return sending.sent
  }

  /** Proves the number the user is proving with its code: it becomes theirs, and every other claim on it ends. */
  finishForUser(userId: string, code: string): Promise<User> {
    return this.finish(async (sql) => {
      const claim = await this.claims.ofUser(userId, sql)
      if (claim === undefined) throw noPendingPhone()
      return claim
    }, code)
  }

  /** Proves a sign-up's number with its code: the account is created, with the number proved. */
  finishSignUp(claimId: string, code: string): Promise<User> {
    return this.finish(sql => this.liveSignUp(sql, claimId), code)
  }

  private async finish(claimOf: (sql: SqlQuery) => Promise<PhoneClaim>, code: string): Promise<User> {
    const { engine, users, clock, log } = this.dependencies
    // Decided and recorded in one transaction, so a wrong code is counted even though the answer is an error.
    const outcome = await engine.write(async (sql): Promise<FinishOutcome> => {
      const claim = await claimOf(sql)
      const now_ms = clock.now_ms()
      const verdict = judgeProofCode(claim, proofCodeMatches(claim.codeSha256, phoneCodeHash(claim.id, code)), now_ms)
      if (verdict.kind === 'prove') return this.prove(sql, claim, now_ms)
      const wrongCodes = verdict.kind === 'wrong' ? await this.claims.recordWrongCode(sql, claim.id) : claim.wrongCodes
      return { kind: 'refused', error: proofCodeRefusal(verdict, wrongCodes), notes: [] }
    })
    for (const note of outcome.notes) log[note.level](note.fields, note.message)
    if (outcome.kind === 'refused') throw outcome.error
    return (await users.byId(outcome.userId))!
  }

  private async prove(sql: SqlQuery, claim: PhoneClaim, now_ms: number): Promise<FinishOutcome> {
    const { users } = this.dependencies
    const claimantId = claim.userId ?? claim.signUp!.userId
    // A code proves once, whichever hub it reaches: the claim is ended by the DELETE that finds it as it was read
    // (same code, not yet exhausted). A request that lost the race finds it gone, as after any proof.
    if (!await this.claims.use(sql, claim.id, claim.codeSha256, PROOF_CODE_WRONG_MAX)) {
      return { kind: 'refused', error: claim.signUp === null ? noPendingPhone() : signUpGone(claim.id), notes: [] }
    }
    const notes: LogNote[] = []
    const holder = await users.credentialsByPhone(claim.phone, sql)
    if (holder !== undefined && holder.id !== claimantId) {
      // A number proved by its holder stays theirs; one held from before codes were asked goes to whoever proves it.
      if (holder.phoneVerifiedAtMs !== null || !await users.releaseUnprovedPhone(holder.id, sql)) {
        if (holder.phoneVerifiedAtMs === null) {
          notes.push({ level: 'warn', fields: { userId: holder.id, claimantId, phone: claim.phone },
            message: 'a number was proved, but the account holding it unproved has no email to log in with instead: an operator decides' })
        }
        return { kind: 'refused', error: phoneTaken(), notes }
      }
      notes.push({ level: 'warn', fields: { userId: holder.id, claimantId, phone: claim.phone },
        message: 'an account lost a number it never proved to the account that proved it' })
    }
    if (claim.signUp === null) {
      await users.setProvedPhone(claimantId, claim.phone, now_ms, sql)
    } else {
      const { signUp } = claim
      const taken = await users.insertWithProvedPhoneIn(sql, {
        id: signUp.userId, email: signUp.email, emailVerifiedAtMs: null, fullName: signUp.fullName, roles: ['customer'],
        passwordHash: signUp.passwordHash, createdAtMs: now_ms,
      }, claim.phone, now_ms)
      if (taken !== undefined) return { kind: 'refused', error: taken, notes }
    }
    const ended = await this.claims.deleteOfPhone(sql, claim.phone)
    if (ended > 0) notes.push({ level: 'info', fields: { phone: claim.phone, claimantId, ended }, message: 'a number was proved: the other claims on it ended' })
    return { kind: 'proved', userId: claimantId, notes }
  }

  /** 409 PHONE_TAKEN when another account has proved the number, or holds it unproved with no other way to log in. */
  private async refuseIfTaken(sql: SqlQuery, phone: string, claimantId: string | undefined): Promise<void> {
    const holder = await this.dependencies.users.credentialsByPhone(phone, sql)
    if (holder === undefined || holder.id === claimantId) return
    if (holder.phoneVerifiedAtMs !== null || holder.email === null) throw phoneTaken()
  }

  private async liveSignUp(sql: SqlQuery, claimId: string): Promise<PhoneClaim> {
    const claim = await this.claims.byId(claimId, sql)
    if (claim === undefined || claim.signUp === null || claim.expiresAtMs! <= this.dependencies.clock.now_ms()) throw signUpGone(claimId)
    return claim
  }

  private newCode(sql: SqlQuery, claimant: string, claim: PhoneClaim): Promise<CodeSending> {
    return this.sendCode(sql, claimant, claim.phone, claim.id, claim.userId, async (codeSha256, codeExpiresAt_ms) => {
      await this.claims.replaceCode(sql, claim.id, codeSha256, codeExpiresAt_ms)
    })
  }

  /** Within the send limits (else 429, nothing stored): a fresh code, stored hashed by `store`, and its SMS to deliver. */
  private async sendCode(
    sql: SqlQuery, claimant: string, phone: string, claimId: string, userId: string | null,
    store: (codeSha256: string, codeExpiresAt_ms: number, now_ms: number) => Promise<void>,
  ): Promise<CodeSending> {
    const { clock, random } = this.dependencies
    const now_ms = clock.now_ms()
    const windowStart_ms = now_ms - PHONE_CODE_SENDS.windowMs
    const toPhone = await this.claims.sendsToPhone(sql, phone, windowStart_ms)
    if (toPhone.count >= PHONE_CODE_SENDS.perNumberMax) throw tooManyCodesSent(`to ${phone}`, toPhone.firstMs! + PHONE_CODE_SENDS.windowMs)
    const byClaimant = await this.claims.sendsByClaimant(sql, claimant, windowStart_ms)
    if (byClaimant.count >= PHONE_CODE_SENDS.perClaimantMax) throw tooManyCodesSent('for you', byClaimant.firstMs! + PHONE_CODE_SENDS.windowMs)
    const code = newDigitCode(random, PROOF_CODE_DIGITS)
    const codeExpiresAt_ms = now_ms + PROOF_CODE_LIFETIME_MS
    await store(phoneCodeHash(claimId, code), codeExpiresAt_ms, now_ms)
    await this.claims.recordSend(sql, phone, claimant, now_ms, windowStart_ms)
    return {
      sent: { claimId, phone, codeExpiresAtMs: codeExpiresAt_ms },
      message: phoneCodeMessage(phone, userId, code, PROOF_CODE_LIFETIME_MS / 60_000),
    }
  }

  private newClaimId(): string {
    return `phc_${toHex(this.dependencies.random(CLAIM_ID_BYTES))}`
  }
}

function signUpGone(claimId: string): HttpError {
  return new HttpError(404, 'NOT_FOUND', `no sign-up waits for a code under ${claimId}: it was proved, or expired; register again`)
}

function phoneTaken(): HttpError {
  return new HttpError(409, 'PHONE_TAKEN', 'another account has this number')
}

function noPendingPhone(): HttpError {
  return new HttpError(409, 'NO_PENDING_PHONE', 'you have no number waiting to be proved: give one first (update-account or verify-phone-init)')
}
