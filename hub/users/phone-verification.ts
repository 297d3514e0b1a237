// Proving a phone number with a one-time code sent to it by SMS, before it can log in, be reached or receive money:
// a signed-in user's change of number, or a phone sign-up, whose account exists only once its number is proved.
// A number proved by one account cannot be claimed by another; until then several may claim it, and whoever proves
// it first gets it: the code goes to the number, so only its holder can.

import type { FastifyBaseLogger } from 'fastify'
import { toHex } from '../../protocol/bytes'
import type { Clock, RandomBytes } from '../../protocol/clock'
import { HttpError } from '../http/errors'
import { phoneCodeMessage } from '../notify/message'
import type { Notifier } from '../notify/notifier'
import type { SqliteDatabase } from '../store/database'
import {
  judgeProofCode, newDigitCode, PROOF_CODE_DIGITS, PROOF_CODE_LIFETIME_MS, proofCodeHash, proofCodeMatches, proofCodeRefusal,
  tooManyCodesSent,
} from './one-time-code'
import { isE164 } from './phone'
import { PhoneClaims, type PhoneClaim, type PhoneSignUp } from './phone-claims'
import { userUniquenessError, type User, type UserStore } from './store'

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
  readonly db: SqliteDatabase
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

/** Bound to the claim, so one code's hash says nothing about another claim's. */
function phoneCodeHash(claimId: string, code: string): string {
  return proofCodeHash('phone-code', claimId, code)
}

type FinishOutcome =
  | { readonly kind: 'proved'; readonly userId: string }
  | { readonly kind: 'refused'; readonly error: HttpError }

export class PhoneVerification {
  private readonly claims: PhoneClaims

  constructor(private readonly dependencies: PhoneVerificationDependencies) {
    this.claims = new PhoneClaims(dependencies.db)
  }

  /**
   * Sends a code to `phone` for the user to prove it; the user's earlier claim, if any, ends. Undefined, and nothing
   * sent, when the number is already theirs and proved (any other number they were proving is dropped).
   */
  claimForUser(userId: string, phone: string): CodeSent | undefined {
    const { db, users } = this.dependencies
    return db.transaction(() => {
      const user = users.byId(userId)
      if (user === undefined) throw new HttpError(401, 'UNAUTHORIZED', 'the token’s user no longer exists')
      if (user.phone === phone && user.phoneVerifiedAtMs !== null) {
        this.claims.withdrawOfUser(userId)
        return undefined
      }
      this.refuseIfTaken(phone, userId)
      const id = this.newClaimId()
      return this.sendCode(`user:${userId}`, phone, id, userId, (codeSha256, codeExpiresAt_ms, now_ms) => {
        this.claims.insert({ id, phone, userId, signUp: null, codeSha256, codeExpiresAtMs: codeExpiresAt_ms, createdAtMs: now_ms, expiresAtMs: null })
      })
    }).immediate()
  }

  /** Sends a code to `phone` for a sign-up; its account is created when the code comes back (finishSignUp). */
  claimForSignUp(signUp: PhoneSignUp, phone: string): CodeSent {
    const { db, clock } = this.dependencies
    return db.transaction(() => {
      this.refuseIfTaken(phone, undefined)
      this.claims.deleteExpired(clock.now_ms())
      const id = this.newClaimId()
      return this.sendCode(`sign-up:${id}`, phone, id, null, (codeSha256, codeExpiresAt_ms, now_ms) => {
        this.claims.insert({
          id, phone, userId: null, signUp, codeSha256, codeExpiresAtMs: codeExpiresAt_ms, createdAtMs: now_ms, expiresAtMs: now_ms + PHONE_SIGN_UP_LIFETIME_MS,
        })
      })
    }).immediate()
  }

  /**
   * A new code for the number the user is proving, or for a number they kept from before codes were asked (unless
   * the start-up step could not write it in E.164: then they give their number again).
   */
  resendForUser(userId: string): CodeSent {
    const { db, users } = this.dependencies
    return db.transaction(() => {
      const claim = this.claims.ofUser(userId)
      if (claim !== undefined) return this.newCode(`user:${userId}`, claim)
      const user = users.byId(userId)
      const kept = user !== undefined && user.phoneVerifiedAtMs === null ? user.phone : null
      if (kept !== null && isE164(kept)) return this.claimForUser(userId, kept)!
      throw noPendingPhone()
    }).immediate()
  }

  resendForSignUp(claimId: string): CodeSent {
    const { db } = this.dependencies
    return db.transaction(() => this.newCode(`sign-up:${claimId}`, this.liveSignUp(claimId))).immediate()
  }

  /** Proves the number the user is proving with its code: it becomes theirs, and every other claim on it ends. */
  finishForUser(userId: string, code: string): User {
    return this.finish(() => {
      const claim = this.claims.ofUser(userId)
      if (claim === undefined) throw noPendingPhone()
      return claim
    }, code)
  }

  /** Proves a sign-up's number with its code: the account is created, with the number proved. */
  finishSignUp(claimId: string, code: string): User {
    return this.finish(() => this.liveSignUp(claimId), code)
  }

  private finish(claimOf: () => PhoneClaim, code: string): User {
    const { db, users, clock } = this.dependencies
    // Decided and recorded in one transaction, so a wrong code is counted even though the answer is an error.
    const outcome = db.transaction((): FinishOutcome => {
      const claim = claimOf()
      const now_ms = clock.now_ms()
      const verdict = judgeProofCode(claim, proofCodeMatches(claim.codeSha256, phoneCodeHash(claim.id, code)), now_ms)
      if (verdict.kind === 'prove') return this.prove(claim, now_ms)
      const wrongCodes = verdict.kind === 'wrong' ? this.claims.recordWrongCode(claim.id) : claim.wrongCodes
      return { kind: 'refused', error: proofCodeRefusal(verdict, wrongCodes) }
    }).immediate()
    if (outcome.kind === 'refused') throw outcome.error
    return users.byId(outcome.userId)!
  }

  private prove(claim: PhoneClaim, now_ms: number): FinishOutcome {
    const { users, log } = this.dependencies
    const claimantId = claim.userId ?? claim.signUp!.userId
    const holder = users.credentialsByPhone(claim.phone)
    if (holder !== undefined && holder.id !== claimantId) {
      // A number proved by its holder stays theirs; one held from before codes were asked goes to whoever proves it.
      if (holder.phoneVerifiedAtMs !== null || !users.releaseUnprovedPhone(holder.id)) {
        this.claims.delete(claim.id)
        if (holder.phoneVerifiedAtMs === null) {
          log.warn({ userId: holder.id, claimantId, phone: claim.phone },
            'a number was proved, but the account holding it unproved has no email to log in with instead: an operator decides')
        }
        return { kind: 'refused', error: phoneTaken() }
      }
      log.warn({ userId: holder.id, claimantId, phone: claim.phone }, 'an account lost a number it never proved to the account that proved it')
    }
    if (claim.signUp === null) {
      users.setProvedPhone(claimantId, claim.phone, now_ms)
    } else {
      const { signUp } = claim
      try {
        users.insertWithProvedPhone({
          id: signUp.userId, email: signUp.email, emailVerifiedAtMs: null, fullName: signUp.fullName, roles: ['customer'],
          passwordHash: signUp.passwordHash, createdAtMs: now_ms,
        }, claim.phone, now_ms)
      } catch (error) {
        const taken = userUniquenessError(error)
        if (taken === undefined) throw error
        this.claims.delete(claim.id)
        return { kind: 'refused', error: taken }
      }
    }
    const ended = this.claims.deleteOfPhone(claim.phone) - 1
    if (ended > 0) log.info({ phone: claim.phone, claimantId, ended }, 'a number was proved: the other claims on it ended')
    return { kind: 'proved', userId: claimantId }
  }

  /** 409 PHONE_TAKEN when another account has proved the number, or holds it unproved with no other way to log in. */
  private refuseIfTaken(phone: string, claimantId: string | undefined): void {
    const holder = this.dependencies.users.credentialsByPhone(phone)
    if (holder === undefined || holder.id === claimantId) return
    if (holder.phoneVerifiedAtMs !== null || holder.email === null) throw phoneTaken()
  }

  private liveSignUp(claimId: string): PhoneClaim {
    const claim = this.claims.byId(claimId)
    if (claim === undefined || claim.signUp === null || claim.expiresAtMs! <= this.dependencies.clock.now_ms()) {
      throw new HttpError(404, 'NOT_FOUND', `no sign-up waits for a code under ${claimId}: it was proved, or expired; register again`)
    }
    return claim
  }

  private newCode(claimant: string, claim: PhoneClaim): CodeSent {
    return this.sendCode(claimant, claim.phone, claim.id, claim.userId, (codeSha256, codeExpiresAt_ms) => {
      this.claims.replaceCode(claim.id, codeSha256, codeExpiresAt_ms)
    })
  }

  /** Within the send limits (else 429, nothing stored): a fresh code, stored hashed by `store`, and its SMS queued. */
  private sendCode(
    claimant: string, phone: string, claimId: string, userId: string | null,
    store: (codeSha256: string, codeExpiresAt_ms: number, now_ms: number) => void,
  ): CodeSent {
    const { clock, random, notifier } = this.dependencies
    const now_ms = clock.now_ms()
    const windowStart_ms = now_ms - PHONE_CODE_SENDS.windowMs
    const toPhone = this.claims.sendsToPhone(phone, windowStart_ms)
    if (toPhone.count >= PHONE_CODE_SENDS.perNumberMax) throw tooManyCodesSent(`to ${phone}`, toPhone.firstMs! + PHONE_CODE_SENDS.windowMs)
    const byClaimant = this.claims.sendsByClaimant(claimant, windowStart_ms)
    if (byClaimant.count >= PHONE_CODE_SENDS.perClaimantMax) throw tooManyCodesSent('for you', byClaimant.firstMs! + PHONE_CODE_SENDS.windowMs)
    const code = newDigitCode(random, PROOF_CODE_DIGITS)
    const codeExpiresAt_ms = now_ms + PROOF_CODE_LIFETIME_MS
    store(phoneCodeHash(claimId, code), codeExpiresAt_ms, now_ms)
    this.claims.recordSend(phone, claimant, now_ms, windowStart_ms)
    notifier.sendInSqliteTransaction(phoneCodeMessage(phone, userId, code, PROOF_CODE_LIFETIME_MS / 60_000))
    return { claimId, phone, codeExpiresAtMs: codeExpiresAt_ms }
  }

  private newClaimId(): string {
    return `phc_${toHex(this.dependencies.random(CLAIM_ID_BYTES))}`
  }
}

function phoneTaken(): HttpError {
  return new HttpError(409, 'PHONE_TAKEN', 'another account has this number')
}

function noPendingPhone(): HttpError {
  return new HttpError(409, 'NO_PENDING_PHONE', 'you have no number waiting to be proved: give one first (update-account or verify-phone-init)')
}
