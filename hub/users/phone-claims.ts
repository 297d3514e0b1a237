// The phone_claims and phone_code_sends tables behind prepared statements: numbers wanted and not yet proved, the
// hash of the code that proves each, and the log of codes sent that the send limits count.

import type { SqliteDatabase } from '../store/database'

/** A phone sign-up waiting for its code: the account its proof creates. */
export interface PhoneSignUp {
  readonly userId: string
  readonly fullName: string
  readonly email: string | null
  readonly passwordHash: string
}

export interface PhoneClaim {
  readonly id: string
  /** E.164. */
  readonly phone: string
  /** The signed-in user who wants the number; null for a sign-up. */
  readonly userId: string | null
  readonly signUp: PhoneSignUp | null
  readonly codeSha256: string
  readonly codeExpiresAtMs: number
  readonly wrongCodes: number
  readonly createdAtMs: number
  /** Sign-ups only. */
  readonly expiresAtMs: number | null
}

interface ClaimRow {
  id: string
  phone: string
  user_id: string | null
  sign_up_user_id: string | null
  sign_up_full_name: string | null
  sign_up_email: string | null
  sign_up_password_hash: string | null
  code_sha256: string
  code_expires_at_ms: number
  wrong_codes: number
  created_at_ms: number
  expires_at_ms: number | null
}

export class PhoneClaims {
  private readonly statements

  constructor(db: SqliteDatabase) {
    this.statements = {
      byId: db.prepare<[string], ClaimRow>('SELECT * FROM phone_claims WHERE id = ?'),
      byUser: db.prepare<[string], ClaimRow>('SELECT * FROM phone_claims WHERE user_id = ?'),
      deleteOfUser: db.prepare<[string]>('DELETE FROM phone_claims WHERE user_id = ?'),
      insert: db.prepare(
        `INSERT INTO phone_claims (id, phone, user_id, sign_up_user_id, sign_up_full_name, sign_up_email, sign_up_password_hash,
           code_sha256, code_expires_at_ms, created_at_ms, expires_at_ms)
         VALUES (@id, @phone, @userId, @signUpUserId, @signUpFullName, @signUpEmail, @signUpPasswordHash,
           @codeSha256, @codeExpiresAtMs, @createdAtMs, @expiresAtMs)`),
      newCode: db.prepare<[string, number, string]>(
        'UPDATE phone_claims SET code_sha256 = ?, code_expires_at_ms = ?, wrong_codes = 0 WHERE id = ?'),
      wrongCode: db.prepare<[string], { wrong_codes: number }>(
        'UPDATE phone_claims SET wrong_codes = wrong_codes + 1 WHERE id = ? RETURNING wrong_codes'),
      delete: db.prepare<[string]>('DELETE FROM phone_claims WHERE id = ?'),
      deleteOfPhone: db.prepare<[string]>('DELETE FROM phone_claims WHERE phone = ?'),
      deleteExpired: db.prepare<[number]>('DELETE FROM phone_claims WHERE expires_at_ms <= ?'),
      insertSend: db.prepare<[string, string, number]>('INSERT INTO phone_code_sends (phone, claimant, sent_at_ms) VALUES (?, ?, ?)'),
      deleteSendsBefore: db.prepare<[number]>('DELETE FROM phone_code_sends WHERE sent_at_ms <= ?'),
      sendsToPhone: db.prepare<[string, number], { count: number; first_ms: number | null }>(
        'SELECT count(*) AS count, min(sent_at_ms) AS first_ms FROM phone_code_sends WHERE phone = ? AND sent_at_ms > ?'),
      sendsByClaimant: db.prepare<[string, number], { count: number; first_ms: number | null }>(
        'SELECT count(*) AS count, min(sent_at_ms) AS first_ms FROM phone_code_sends WHERE claimant = ? AND sent_at_ms > ?'),
    }
  }

  byId(id: string): PhoneClaim | undefined {
    const row = this.statements.byId.get(id)
    return row === undefined ? undefined : claimFromRow(row)
  }

  ofUser(userId: string): PhoneClaim | undefined {
    const row = this.statements.byUser.get(userId)
    return row === undefined ? undefined : claimFromRow(row)
  }

  /** A user's claim replaces the one they had. */
  insert(claim: Omit<PhoneClaim, 'wrongCodes'>): void {
    if (claim.userId !== null) this.withdrawOfUser(claim.userId)
    this.statements.insert.run({
      id: claim.id, phone: claim.phone, userId: claim.userId,
      signUpUserId: claim.signUp?.userId ?? null, signUpFullName: claim.signUp?.fullName ?? null,
      signUpEmail: claim.signUp?.email ?? null, signUpPasswordHash: claim.signUp?.passwordHash ?? null,
      codeSha256: claim.codeSha256, codeExpiresAtMs: claim.codeExpiresAtMs, createdAtMs: claim.createdAtMs, expiresAtMs: claim.expiresAtMs,
    })
  }

  /** A fresh code: the earlier one stops working and the wrong codes start again from zero. */
  replaceCode(id: string, codeSha256: string, codeExpiresAt_ms: number): void {
    this.statements.newCode.run(codeSha256, codeExpiresAt_ms, id)
  }

  /** Counts a wrong code; the count so far. Call it in the transaction that read the claim. */
  recordWrongCode(id: string): number {
    return this.statements.wrongCode.get(id)!.wrong_codes
  }

  withdrawOfUser(userId: string): void {
    this.statements.deleteOfUser.run(userId)
  }

  delete(id: string): void {
    this.statements.delete.run(id)
  }

  /** Ends every claim on the number (once someone has proved it, the others cannot): how many there were. */
  deleteOfPhone(phone: string): number {
    return this.statements.deleteOfPhone.run(phone).changes
  }

  /** Forgets the sign-ups nobody proved in time. */
  deleteExpired(now_ms: number): void {
    this.statements.deleteExpired.run(now_ms)
  }

  /** Records a code sent; sends at or before `windowStartMs` are dropped, so the log holds one window of sends. */
  recordSend(phone: string, claimant: string, now_ms: number, windowStart_ms: number): void {
    this.statements.deleteSendsBefore.run(windowStart_ms)
    this.statements.insertSend.run(phone, claimant, now_ms)
  }

  /** Codes sent to the number after `windowStartMs`, and when the first of them went. */
  sendsToPhone(phone: string, windowStart_ms: number): { count: number; firstMs: number | null } {
    const row = this.statements.sendsToPhone.get(phone, windowStart_ms)!
    return { count: row.count, firstMs: row.first_ms }
  }

  sendsByClaimant(claimant: string, windowStart_ms: number): { count: number; firstMs: number | null } {
    const row = this.statements.sendsByClaimant.get(claimant, windowStart_ms)!
    return { count: row.count, firstMs: row.first_ms }
  }
}

function claimFromRow(row: ClaimRow): PhoneClaim {
  return {
    id: row.id,
    phone: row.phone,
    userId: row.user_id,
    signUp: row.sign_up_user_id === null
      ? null
      : { userId: row.sign_up_user_id, fullName: row.sign_up_full_name!, email: row.sign_up_email, passwordHash: row.sign_up_password_hash! },
    codeSha256: row.code_sha256,
    codeExpiresAtMs: row.code_expires_at_ms,
    wrongCodes: row.wrong_codes,
    createdAtMs: row.created_at_ms,
    expiresAtMs: row.expires_at_ms,
  }
}
