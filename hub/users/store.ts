// The users and refresh_tokens tables behind prepared statements; rows come out as typed objects,
// and the password hash only in the one shape that login needs.

import { toHex } from '../../protocol/bytes'
import type { RandomBytes } from '../context'
import type { SqliteDatabase } from '../store/database'
import type { Role } from './roles'

export interface User {
  id: string
  email: string | null
  phone: string | null
  fullName: string
  role: Role
  createdAtMs: number
}

/** A user as login sees it: with the hash and the lockout state. Never leaves the hub. */
export interface UserCredentials extends User {
  passwordHash: string
  failedLogins: number
  lockedUntilMs: number | null
}

export interface NewUser {
  id: string
  email: string | null
  phone: string | null
  fullName: string
  role: Role
  passwordHash: string
  createdAtMs: number
}

interface UserRow {
  id: string
  email: string | null
  phone: string | null
  full_name: string
  password_hash: string
  role: Role
  failed_logins: number
  locked_until_ms: number | null
  created_at_ms: number
}

export class UserStore {
  private readonly byEmail
  private readonly countOfRole
  private readonly insertUser
  private readonly updateFailures
  private readonly updateSuccess
  private readonly insertRefreshToken

  constructor(db: SqliteDatabase) {
    this.byEmail = db.prepare<[string], UserRow>('SELECT * FROM users WHERE email = ?')
    this.countOfRole = db.prepare<[Role], { count: number }>('SELECT count(*) AS count FROM users WHERE role = ?')
    this.insertUser = db.prepare<[string, string | null, string | null, string, string, Role, number]>(
      `INSERT INTO users (id, email, phone, full_name, password_hash, role, created_at_ms)
       VALUES (?, ?, ?, ?, ?, ?, ?)`)
    // Counted in SQL, so concurrent failed logins cannot overwrite each other's count.
    this.updateFailures = db.prepare<{ id: string; failuresMax: number; lockedUntilMs: number }>(
      `UPDATE users SET
         failed_logins = CASE WHEN failed_logins + 1 >= :failuresMax THEN 0 ELSE failed_logins + 1 END,
         locked_until_ms = CASE WHEN failed_logins + 1 >= :failuresMax THEN :lockedUntilMs ELSE locked_until_ms END
       WHERE id = :id`)
    this.updateSuccess = db.prepare<[string, string]>(
      'UPDATE users SET failed_logins = 0, locked_until_ms = NULL, password_hash = ? WHERE id = ?')
    this.insertRefreshToken = db.prepare<[string, string, number, number]>(
      'INSERT INTO refresh_tokens (token_sha256, user_id, created_at_ms, expires_at_ms) VALUES (?, ?, ?, ?)')
  }

  /** `email` as stored: trimmed and lower case (see normalizeEmail). */
  credentialsByEmail(email: string): UserCredentials | undefined {
    const row = this.byEmail.get(email)
    return row === undefined ? undefined : credentialsFromRow(row)
  }

  countWithRole(role: Role): number {
    return this.countOfRole.get(role)!.count
  }

  insert(user: NewUser): void {
    this.insertUser.run(user.id, user.email, user.phone, user.fullName, user.passwordHash, user.role, user.createdAtMs)
  }

  /** Counts a failed login; the `failuresMax`th in a row locks the account until `lockedUntilMs`. */
  recordFailedLogin(id: string, failuresMax: number, lockedUntilMs: number): void {
    this.updateFailures.run({ id, failuresMax, lockedUntilMs })
  }

  /** Clears the failure count and lock, and stores the (possibly rehashed) password hash. */
  recordSuccessfulLogin(id: string, passwordHash: string): void {
    this.updateSuccess.run(passwordHash, id)
  }

  addRefreshToken(tokenSha256Hex: string, userId: string, createdAtMs: number, expiresAtMs: number): void {
    this.insertRefreshToken.run(tokenSha256Hex, userId, createdAtMs, expiresAtMs)
  }
}

/** A random (version 4) UUID from the injected randomness. */
export function newUserId(random: RandomBytes): string {
  const bytes = Uint8Array.from(random(16))
  bytes[6] = (bytes[6]! & 0x0f) | 0x40
  bytes[8] = (bytes[8]! & 0x3f) | 0x80
  const hex = toHex(bytes)
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`
}

export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase()
}

/** The user without credentials: the only shape that goes on the wire. */
export function publicUser(user: User): User {
  return {
    id: user.id,
    email: user.email,
    phone: user.phone,
    fullName: user.fullName,
    role: user.role,
    createdAtMs: user.createdAtMs,
  }
}

function credentialsFromRow(row: UserRow): UserCredentials {
  return {
    id: row.id,
    email: row.email,
    phone: row.phone,
    fullName: row.full_name,
    role: row.role,
    createdAtMs: row.created_at_ms,
    passwordHash: row.password_hash,
    failedLogins: row.failed_logins,
    lockedUntilMs: row.locked_until_ms,
  }
}
