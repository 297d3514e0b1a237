// The import's own statements: which legacy row became which PayAll row (legacy_rows), the users it creates with
// their legacy hash and unproved phone, their profiles, and the decision of an imported order.

import type { SqliteDatabase } from '../store/database'
import type { LegacySystem } from './records'

export interface ImportedUser {
  readonly id: string
  readonly email: string | null
  readonly emailVerifiedAtMs: number | null
  readonly phone: string | null
  readonly phoneVerifiedAtMs: number | null
  readonly fullName: string
  readonly passwordHash: string
  readonly createdAtMs: number
}

export interface Profile {
  readonly userId: string
  readonly surname: string | null
  readonly sex: string | null
  readonly dateOfBirth: string | null
  readonly profession: string | null
  readonly address: string | null
  readonly metadata: string | null
  readonly webUserId: string | null
  readonly mobileUserId: string | null
  readonly mobileDeviceId: string | null
  readonly legacyPasswordHash: string | null
}



export class LegacyImportStore {
  private readonly statements

  constructor(db: SqliteDatabase) {
    this.statements = {
      mapped: db.prepare<[LegacySystem, string, string], { payall_id: string }>(
        'SELECT payall_id FROM legacy_rows WHERE system = ? AND legacy_table = ? AND legacy_key = ?'),
      map: db.prepare<[LegacySystem, string, string, string, number]>(
        'INSERT INTO legacy_rows (system, legacy_table, legacy_key, payall_id, imported_at_ms) VALUES (?, ?, ?, ?, ?)'),
      insertUser: db.prepare<ImportedUser>(
        `INSERT INTO users (id, email, email_verified_at_ms, phone, phone_verified_at_ms, full_name, password_hash, created_at_ms)
         VALUES (@id, @email, @emailVerifiedAtMs, @phone, @phoneVerifiedAtMs, @fullName, @passwordHash, @createdAtMs)`),
      insertRole: db.prepare<[string, string, number]>('INSERT OR IGNORE INTO user_roles (user_id, role, granted_at_ms) VALUES (?, ?, ?)'),
      emailTaken: db.prepare<[string], { id: string }>('SELECT id FROM users WHERE email = ?'),
      phoneTaken: db.prepare<[string], { id: string }>('SELECT id FROM users WHERE phone = ?'),
      insertProfile: db.prepare<Profile>(
        `INSERT INTO user_profiles (user_id, surname, sex, date_of_birth, profession, address, metadata, web_user_id, mobile_user_id,
           mobile_device_id, legacy_password_hash)
         VALUES (@userId, @surname, @sex, @dateOfBirth, @profession, @address, @metadata, @webUserId, @mobileUserId, @mobileDeviceId,
           @legacyPasswordHash)`),
      legacyIds: db.prepare<[string], { web_user_id: string | null; mobile_user_id: string | null }>(
        'SELECT web_user_id, mobile_user_id FROM user_profiles WHERE user_id = ?'),
      decideOrder: db.prepare<[string, number, string, string]>(
        `UPDATE orders SET status = ?, decided_at_ms = ?, decision_reason = ? WHERE id = ? AND status = 'pending'`),
    }
  }

  /** The PayAll id the legacy row became at an earlier import, if it did. */
  mapped(system: LegacySystem, table: string, key: string): string | undefined {
    return this.statements.mapped.get(system, table, key)?.payall_id
  }

  map(system: LegacySystem, table: string, key: string, payallId: string, now_ms: number): void {
    this.statements.map.run(system, table, key, payallId, now_ms)
  }

  /** The id of the user holding this email, if one does. */
  emailHolder(email: string): string | undefined {
    return this.statements.emailTaken.get(email)?.id
  }

  /** The id of the user holding this number, if one does. */
  phoneHolder(phone: string): string | undefined {
    return this.statements.phoneTaken.get(phone)?.id
  }

  insertUser(user: ImportedUser, roles: readonly string[]): void {
    this.statements.insertUser.run(user)
    for (const role of roles) this.statements.insertRole.run(user.id, role, user.createdAtMs)
  }

  addRole(userId: string, role: string, now_ms: number): void {
    this.statements.insertRole.run(userId, role, now_ms)
  }

  insertProfile(profile: Profile): void {
    this.statements.insertProfile.run(profile)
  }

  /** The legacy ids of an imported user; undefined for a user the import did not make. */
  legacyIdsOf(userId: string): { webUserId: string | null; mobileUserId: string | null } | undefined {
    const row = this.statements.legacyIds.get(userId)
    return row === undefined ? undefined : { webUserId: row.web_user_id, mobileUserId: row.mobile_user_id }
  }

  /** Gives an imported (pending) order the legacy system's decision. */
  decideOrder(orderId: string, status: 'validated' | 'rejected', decidedAt_ms: number, reason: string): void {
    this.statements.decideOrder.run(status, decidedAt_ms, reason, orderId)
  }
}
