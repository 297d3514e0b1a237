// The email_codes table behind prepared statements: the one live code of a user proving their email, as a hash, its
// wrong tries, and the codes sent in the current window for the send limit. A row lives until the email is proved
// (UserStore.setEmailVerified forgets it).

import type { SqliteDatabase } from '../store/database'

export interface EmailCode {
  readonly userId: string
  readonly codeSha256: string
  readonly codeExpiresAtMs: number
  readonly wrongCodes: number
  /** Codes sent since sendsWindowStartMs. */
  readonly sends: number
  readonly sendsWindowStartMs: number
}

interface EmailCodeRow {
  user_id: string
  code_sha256: string
  code_expires_at_ms: number
  wrong_codes: number
  sends: number
  sends_window_start_ms: number
}

export class EmailCodeStore {
  private readonly statements

  constructor(db: SqliteDatabase) {
    this.statements = {
      ofUser: db.prepare<[string], EmailCodeRow>('SELECT * FROM email_codes WHERE user_id = ?'),
      upsert: db.prepare(
        `INSERT INTO email_codes (user_id, code_sha256, code_expires_at_ms, wrong_codes, sends, sends_window_start_ms)
         VALUES (@userId, @codeSha256, @codeExpiresAtMs, 0, @sends, @sendsWindowStartMs)
         ON CONFLICT (user_id) DO UPDATE SET code_sha256 = excluded.code_sha256, code_expires_at_ms = excluded.code_expires_at_ms,
           wrong_codes = 0, sends = excluded.sends, sends_window_start_ms = excluded.sends_window_start_ms`),
      wrongCode: db.prepare<[string], { wrong_codes: number }>(
        'UPDATE email_codes SET wrong_codes = wrong_codes + 1 WHERE user_id = ? RETURNING wrong_codes'),
    }
  }

  ofUser(userId: string): EmailCode | undefined {
    const row = this.statements.ofUser.get(userId)
    return row === undefined ? undefined : {
      userId: row.user_id,
      codeSha256: row.code_sha256,
      codeExpiresAtMs: row.code_expires_at_ms,
      wrongCodes: row.wrong_codes,
      sends: row.sends,
      sendsWindowStartMs: row.sends_window_start_ms,
    }
  }

  /** A fresh code: the one before stops working and the wrong tries start again from zero. */
  put(code: Omit<EmailCode, 'wrongCodes'>): void {
    this.statements.upsert.run(code)
  }

  /** Counts a wrong code; the count so far. Call it in the transaction that read the code. */
  recordWrongCode(userId: string): number {
    return this.statements.wrongCode.get(userId)!.wrong_codes
  }
}
