// The email_codes table on SqlEngine: the one live code of a user proving their email, as a hash, its
// wrong tries, and the codes sent in the current window for the send limit. A row lives until the email is proved
// (UserStore.setEmailVerifiedIn forgets it).

import type { SqlEngine, SqlQuery, SqlRow } from '../store/sql'

export interface EmailCode {
  readonly userId: string
  readonly codeSha256: string
  readonly codeExpiresAtMs: number
  readonly wrongCodes: number
  /** Codes sent since sendsWindowStartMs. */
  readonly sends: number
  readonly sendsWindowStartMs: number
}

interface EmailCodeRow extends SqlRow {
  user_id: string
  code_sha256: string
  code_expires_at_ms: number
  wrong_codes: number
  sends: number
  sends_window_start_ms: number
}

export class EmailCodeStore {
  constructor(private readonly engine: SqlEngine) {}

  async ofUser(userId: string, sql: SqlQuery = this.engine): Promise<EmailCode | undefined> {
    const row = await sql.get<EmailCodeRow>('SELECT * FROM email_codes WHERE user_id = ?', [userId])
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
  async put(sql: SqlQuery, code: Omit<EmailCode, 'wrongCodes'>): Promise<void> {
    await sql.run(
      `INSERT INTO email_codes (user_id, code_sha256, code_expires_at_ms, wrong_codes, sends, sends_window_start_ms)
       VALUES (?, ?, ?, 0, ?, ?)
       ON CONFLICT (user_id) DO UPDATE SET code_sha256 = excluded.code_sha256, code_expires_at_ms = excluded.code_expires_at_ms,
         wrong_codes = 0, sends = excluded.sends, sends_window_start_ms = excluded.sends_window_start_ms`,
      [code.userId, code.codeSha256, code.codeExpiresAtMs, code.sends, code.sendsWindowStartMs])
  }

  /** Counts a wrong code; the count so far. Call it in the transaction that read the code. */
  async recordWrongCode(sql: SqlQuery, userId: string): Promise<number> {
    // Counted by the UPDATE itself, so wrong codes tried at once on two hubs both count.
    const row = await sql.get<{ wrong_codes: number }>('UPDATE email_codes SET wrong_codes = wrong_codes + 1 WHERE user_id = ? RETURNING wrong_codes', [userId])
    return row!.wrong_codes
  }
}
