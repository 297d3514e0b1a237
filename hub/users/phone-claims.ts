// The phone_claims and phone_code_sends tables on SqlEngine: numbers wanted and not yet proved, the
// hash of the code that proves each, and the log of codes sent that the send limits count.

import type { SqlEngine, SqlQuery, SqlRow } from '../store/sql'

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

interface ClaimRow extends SqlRow {
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

/**
 * Every method takes the `sql` of the caller's SqlEngine.write (hub/users/phone-verification.ts decides and records a
 * claim in one transaction), or runs alone on the engine.
 */
export class PhoneClaims {
  constructor(private readonly engine: SqlEngine) {}

  async byId(id: string, sql: SqlQuery = this.engine): Promise<PhoneClaim | undefined> {
    const row = await sql.get<ClaimRow>('SELECT * FROM phone_claims WHERE id = ?', [id])
    return row === undefined ? undefined : claimFromRow(row)
  }

  async ofUser(userId: string, sql: SqlQuery = this.engine): Promise<PhoneClaim | undefined> {
    const row = await sql.get<ClaimRow>('SELECT * FROM phone_claims WHERE user_id = ?', [userId])
    return row === undefined ? undefined : claimFromRow(row)
  }

  /** A user's claim replaces the one they had (one per user: a unique index keeps it so, whichever hub writes). */
  async insert(sql: SqlQuery, claim: Omit<PhoneClaim, 'wrongCodes'>): Promise<void> {
    if (claim.userId !== null) await this.withdrawOfUser(claim.userId, sql)
    await sql.run(
      `INSERT INTO phone_claims (id, phone, user_id, sign_up_user_id, sign_up_full_name, sign_up_email, sign_up_password_hash,
         code_sha256, code_expires_at_ms, created_at_ms, expires_at_ms)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, [
        claim.id, claim.phone, claim.userId,
        claim.signUp?.userId ?? null, claim.signUp?.fullName ?? null, claim.signUp?.email ?? null, claim.signUp?.passwordHash ?? null,
        claim.codeSha256, claim.codeExpiresAtMs, claim.createdAtMs, claim.expiresAtMs,
      ])
  }

  /** A fresh code: the earlier one stops working and the wrong codes start again from zero. */
  async replaceCode(sql: SqlQuery, id: string, codeSha256: string, codeExpiresAt_ms: number): Promise<void> {
    await sql.run('UPDATE phone_claims SET code_sha256 = ?, code_expires_at_ms = ?, wrong_codes = 0 WHERE id = ?',
      [codeSha256, codeExpiresAt_ms, id])
  }

  /** Counts a wrong code; the count so far. Call it in the transaction that read the claim. */
  async recordWrongCode(sql: SqlQuery, id: string): Promise<number> {
    // Counted by the UPDATE itself, so wrong codes tried at once on two hubs both count.
    const row = await sql.get<{ wrong_codes: number }>('UPDATE phone_claims SET wrong_codes = wrong_codes + 1 WHERE id = ? RETURNING wrong_codes', [id])
    return row!.wrong_codes
  }

  async withdrawOfUser(userId: string, sql: SqlQuery = this.engine): Promise<void> {
    await sql.run('DELETE FROM phone_claims WHERE user_id = ?', [userId])
  }

  /**
   * Ends the claim as the code `codeSha256` proves it: false, and nothing changed, when it has ended or changed since it
   * was read (proved through another hub, a new code sent, `wrongCodes_max` wrong codes tried).
   */
  async use(sql: SqlQuery, id: string, codeSha256: string, wrongCodes_max: number): Promise<boolean> {
    return (await sql.run('DELETE FROM phone_claims WHERE id = ? AND code_sha256 = ? AND wrong_codes < ?', [id, codeSha256, wrongCodes_max]))
      .changes === 1
  }

  /** Ends every claim on the number (once someone has proved it, the others cannot): how many there were. */
  async deleteOfPhone(sql: SqlQuery, phone: string): Promise<number> {
    return (await sql.run('DELETE FROM phone_claims WHERE phone = ?', [phone])).changes
  }

  /** Forgets the sign-ups nobody proved in time. */
  async deleteExpired(sql: SqlQuery, now_ms: number): Promise<void> {
    await sql.run('DELETE FROM phone_claims WHERE expires_at_ms <= ?', [now_ms])
  }

  /** Records a code sent; sends at or before `windowStartMs` are dropped, so the log holds one window of sends. */
  async recordSend(sql: SqlQuery, phone: string, claimant: string, now_ms: number, windowStart_ms: number): Promise<void> {
    await sql.run('DELETE FROM phone_code_sends WHERE sent_at_ms <= ?', [windowStart_ms])
    await sql.run('INSERT INTO phone_code_sends (phone, claimant, sent_at_ms) VALUES (?, ?, ?)', [phone, claimant, now_ms])
  }

  /** Codes sent to the number after `windowStartMs`, and when the first of them went. */
  async sendsToPhone(sql: SqlQuery, phone: string, windowStart_ms: number): Promise<{ count: number; firstMs: number | null }> {
    const row = await sql.get<{ count: number; first_ms: number | null }>(
      'SELECT count(*) AS count, min(sent_at_ms) AS first_ms FROM phone_code_sends WHERE phone = ? AND sent_at_ms > ?', [phone, windowStart_ms])
    return { count: row!.count, firstMs: row!.first_ms }
  }

  async sendsByClaimant(sql: SqlQuery, claimant: string, windowStart_ms: number): Promise<{ count: number; firstMs: number | null }> {
    const row = await sql.get<{ count: number; first_ms: number | null }>(
      'SELECT count(*) AS count, min(sent_at_ms) AS first_ms FROM phone_code_sends WHERE claimant = ? AND sent_at_ms > ?', [claimant, windowStart_ms])
    return { count: row!.count, firstMs: row!.first_ms }
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
