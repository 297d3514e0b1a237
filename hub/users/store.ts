// The users, user_roles, refresh_tokens and password_resets tables on SqlEngine (SQLite or PostgreSQL); rows come out
// as typed objects, and the password hash only in the one shape that login needs.

import { toHex } from '../../protocol/bytes'
import type { RandomBytes } from '../../protocol/clock'
import { assert } from '../../protocol/errors'
import type { SqlDialect, SqlEngine, SqlQuery, SqlRow } from '../store/sql'
import { HttpError } from '../http/errors'
import { rolesFromList, type Role } from '../http/roles'

export interface User {
  id: string
  email: string | null
  /** When the user proved the email with a code sent to it (hub/users/email-verification.ts). */
  emailVerifiedAtMs: number | null
  /** E.164. Proved by a code when phoneVerifiedAtMs is set; else a number kept from before codes were asked. */
  phone: string | null
  phoneVerifiedAtMs: number | null
  /** A number the user asked for and has not proved yet (hub/users/phone-verification.ts). */
  phonePending: string | null
  fullName: string
  /** At least one, in the order of ROLES. */
  roles: readonly Role[]
  suspendedAtMs: number | null
  suspendedReason: string | null
  createdAtMs: number
}

/** A user as login sees it: with the password hash. Never leaves the hub. */
export interface UserCredentials extends User {
  passwordHash: string
  /**
   * A person imported from the legacy system with a password in each of its two backends: the other one, which logs
   * in too until the first login or password change (hub/legacy). Null for everyone else.
   */
  legacyPasswordHash: string | null
}

/** A new account has no phone: a number enters users only once proved (UserStore.insertWithProvedPhone). */
export interface NewUser {
  id: string
  email: string | null
  /** Null for a sign-up: the email is proved later, with a code. */
  emailVerifiedAtMs: number | null
  fullName: string
  /** At least one. */
  roles: readonly Role[]
  passwordHash: string
  createdAtMs: number
}

/** Where a page of the operators' list of users starts: after the user created at createdAtMs with this id. */
export interface UserCursor {
  readonly createdAtMs: number
  readonly id: string
}

/** What the operators' list of users is filtered by; every filter is optional. */
export interface UserSearch {
  /** Part of the name, the email or the phone number. */
  readonly text?: string
  readonly role?: Role
  readonly status?: 'active' | 'suspended'
  /** Newest first: the page holds users created before this one. */
  readonly before?: UserCursor
  readonly limit: number
}

export interface UserPage {
  readonly users: User[]
  /** Where the next page starts, or null when this one is the last. */
  readonly next: UserCursor | null
}

/** What consuming a refresh token found: a live token (now dead), a token used before, or nothing. */
export type RefreshTokenUse =
  | { status: 'consumed'; userId: string }
  | { status: 'reused'; userId: string }
  | { status: 'unknown' }

interface UserRow extends SqlRow {
  id: string
  email: string | null
  email_verified_at_ms: number | null
  phone: string | null
  phone_verified_at_ms: number | null
  phone_pending: string | null
  full_name: string
  password_hash: string
  legacy_password_hash: string | null
  roles: string | null
  suspended_at_ms: number | null
  suspended_reason: string | null
  created_at_ms: number
}

/**
 * A user's roles as one comma-separated list (rolesFromList reads it), from user_roles rows `WHERE user_id = …`: the
 * one place the engines' SQL differs here (SQLite's group_concat, PostgreSQL's string_agg).
 */
export function userRolesListSql(dialect: SqlDialect): string {
  return dialect === 'postgres'
    ? `(SELECT string_agg(role, ',') FROM user_roles WHERE user_roles.user_id = users.id)`
    : '(SELECT group_concat(role) FROM user_roles WHERE user_roles.user_id = users.id)'
}

// Every read of a user carries its roles and the number it is waiting to prove, if any (at most one claim per user).
function userSelectSql(dialect: SqlDialect): string {
  return `SELECT users.id, users.email, users.email_verified_at_ms, users.phone, users.phone_verified_at_ms, users.full_name,
  users.password_hash, users.suspended_at_ms, users.suspended_reason, users.created_at_ms,
  (SELECT phone FROM phone_claims WHERE phone_claims.user_id = users.id) AS phone_pending,
  ${userRolesListSql(dialect)} AS roles,
  (SELECT legacy_password_hash FROM user_profiles WHERE user_profiles.user_id = users.id) AS legacy_password_hash
  FROM users`
}

/** LIKE's wildcards and its escape character, escaped, so that what an operator types matches as typed. */
const LIKE_SPECIAL = /[\\%_]/g
/** Text that reads as a phone number: its digits are matched against the stored E.164 numbers. */
const PHONE_LIKE = /^[0-9+()\s.-]*[0-9][0-9+()\s.-]*$/

export interface UserStoreHooks {
  /**
   * A user's access changed (sessions ended, role changed): open event streams check it again. Told once the change
   * is committed, never for a change a rollback took back (UserStore.accessChanged).
   */
  accessChanged?(userId: string): void
}

// Typed casts where a parameter is only compared with NULL: PostgreSQL must know each parameter's type. LIKE is
// SQLite's case-blind for ASCII only and PostgreSQL's not at all: both sides go through lower(), on either engine.
const SEARCH_WHERE = `
  WHERE (CAST(? AS TEXT) IS NULL OR EXISTS (SELECT 1 FROM user_roles WHERE user_roles.user_id = users.id AND user_roles.role = ?))
    AND (CAST(? AS TEXT) IS NULL OR (CASE WHEN suspended_at_ms IS NULL THEN 'active' ELSE 'suspended' END) = ?)
    AND (CAST(? AS TEXT) IS NULL OR lower(full_name) LIKE lower(CAST(? AS TEXT)) ESCAPE '\\'
      OR email LIKE lower(CAST(? AS TEXT)) ESCAPE '\\'
      OR phone LIKE ? ESCAPE '\\' OR phone LIKE ?)
    AND (CAST(? AS BIGINT) IS NULL OR created_at_ms < ? OR (created_at_ms = ? AND id < ?))
  ORDER BY created_at_ms DESC, id DESC
  LIMIT ?`

const INSERT_USER_SQL = `INSERT INTO users (id, email, email_verified_at_ms, phone, phone_verified_at_ms, full_name, password_hash, created_at_ms)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`
const INSERT_ROLE_SQL = 'INSERT INTO user_roles (user_id, role, granted_at_ms) VALUES (?, ?, ?) ON CONFLICT DO NOTHING'
const REVOKE_REFRESH_TOKENS_SQL = 'UPDATE refresh_tokens SET revoked_at_ms = ? WHERE user_id = ? AND revoked_at_ms IS NULL'
const NEXT_SESSION_GENERATION_SQL = 'UPDATE users SET session_generation = session_generation + 1 WHERE id = ?'

/**
 * The users, user_roles, refresh_tokens and password_resets tables on either engine. A method that writes more than
 * one statement has an `…In(sql, …)` form for a caller's own SqlEngine.write; a read, or a write of one statement,
 * takes the caller's `sql` as its last parameter. The `…In` forms that change a user's access return what they changed
 * and tell nobody: the caller tells accessChanged once its write has committed.
 */
export class UserStore {
  private readonly userSelect: string

  constructor(private readonly engine: SqlEngine, private readonly hooks: UserStoreHooks = {}) {
    this.userSelect = userSelectSql(engine.dialect)
  }

  /** `email` as stored: trimmed and lower case (see normalizeEmail). */
  async credentialsByEmail(email: string, sql: SqlQuery = this.engine): Promise<UserCredentials | undefined> {
    const row = await sql.get<UserRow>(`${this.userSelect} WHERE email = ?`, [email])
    return row === undefined ? undefined : credentialsFromRow(row)
  }

  /** How many users hold the role, suspended or not. */
  async countWithRole(role: Role, sql: SqlQuery = this.engine): Promise<number> {
    return (await sql.get<{ count: number }>('SELECT count(*) AS count FROM user_roles WHERE role = ?', [role]))!.count
  }

  /** How many operators are not suspended: the hub keeps at least one (hub/users/administration.ts). */
  async activeOperatorCount(sql: SqlQuery = this.engine): Promise<number> {
    return (await sql.get<{ count: number }>(
      `SELECT count(*) AS count FROM user_roles JOIN users ON users.id = user_roles.user_id
       WHERE user_roles.role = 'operator' AND users.suspended_at_ms IS NULL`))!.count
  }

  /** Throws 409 EMAIL_TAKEN or PHONE_TAKEN when another account has the email (nothing is stored then). */
  async insert(user: NewUser): Promise<void> {
    const taken = await this.engine.write(sql => this.insertIn(sql, user))
    if (taken !== undefined) throw taken
  }

  /** As insert, inside the caller's write: the 409 it is refused with (nothing stored), or undefined once stored. */
  insertIn(sql: SqlQuery, user: NewUser): Promise<HttpError | undefined> {
    return this.insertWith(sql, user, null, null)
  }

  /** A phone sign-up's account, created once its number is proved; as insertIn. */
  insertWithProvedPhoneIn(sql: SqlQuery, user: NewUser, phone: string, provedAt_ms: number): Promise<HttpError | undefined> {
    return this.insertWith(sql, user, phone, provedAt_ms)
  }

  private async insertWith(sql: SqlQuery, user: NewUser, phone: string | null, phoneProvedAt_ms: number | null): Promise<HttpError | undefined> {
    assert(user.roles.length > 0, 'a user holds at least one role')
    // The unique constraints decide a race between hubs: the row that lost inserts nothing, and its statement no
    // error (an error would end a PostgreSQL transaction the caller may go on with).
    const inserted = await sql.run(INSERT_USER_SQL,
      [user.id, user.email, user.emailVerifiedAtMs, phone, phoneProvedAt_ms, user.fullName, user.passwordHash, user.createdAtMs])
    if (inserted.changes !== 1) return this.whyNotInserted(sql, user, phone)
    for (const role of user.roles) await sql.run(INSERT_ROLE_SQL, [user.id, role, user.createdAtMs])
    return undefined
  }

  private async whyNotInserted(sql: SqlQuery, user: NewUser, phone: string | null): Promise<HttpError> {
    if (user.email !== null && await sql.get('SELECT id FROM users WHERE email = ?', [user.email]) !== undefined) {
      return new HttpError(409, 'EMAIL_TAKEN', 'a user with this email exists')
    }
    if (phone !== null && await sql.get('SELECT id FROM users WHERE phone = ?', [phone]) !== undefined) {
      return new HttpError(409, 'PHONE_TAKEN', 'a user with this phone exists')
    }
    throw new Error(`user ${user.id} exists already`)
  }

  /** Gives the user the role; false when they held it already. */
  async addRole(id: string, role: Role, now_ms: number): Promise<boolean> {
    const added = await this.addRoleIn(this.engine, id, role, now_ms)
    // Open event streams see what the user may now see.
    if (added) this.accessChanged(id)
    return added
  }

  /** As addRole, inside the caller's write: tell accessChanged(id) once it has committed, when this returned true. */
  async addRoleIn(sql: SqlQuery, id: string, role: Role, now_ms: number): Promise<boolean> {
    return (await sql.run(INSERT_ROLE_SQL, [id, role, now_ms])).changes === 1
  }

  /** Takes the role away; false when they did not hold it. Throws when it is their last (a trigger keeps one). */
  async removeRole(id: string, role: Role): Promise<boolean> {
    const removed = await this.removeRoleIn(this.engine, id, role)
    if (removed) this.accessChanged(id)
    return removed
  }

  /** As removeRole, inside the caller's write: tell accessChanged(id) once it has committed, when this returned true. */
  async removeRoleIn(sql: SqlQuery, id: string, role: Role): Promise<boolean> {
    return (await sql.run('DELETE FROM user_roles WHERE user_id = ? AND role = ?', [id, role])).changes === 1
  }

  /** Suspends an active user and ends every session they have; false, and nothing changed, when already suspended. */
  async suspend(id: string, reason: string, now_ms: number): Promise<boolean> {
    const suspended = await this.engine.write(sql => this.suspendIn(sql, id, reason, now_ms))
    if (suspended) this.accessChanged(id)
    return suspended
  }

  /** As suspend, inside the caller's write: tell accessChanged(id) once it has committed, when this returned true. */
  async suspendIn(sql: SqlQuery, id: string, reason: string, now_ms: number): Promise<boolean> {
    // Once: the UPDATE that finds the user active is the check.
    const suspended = await sql.run(
      'UPDATE users SET suspended_at_ms = ?, suspended_reason = ? WHERE id = ? AND suspended_at_ms IS NULL', [now_ms, reason, id])
    if (suspended.changes !== 1) return false
    await this.endSessionsIn(sql, id, now_ms)
    return true
  }

  /** False when the user was not suspended. */
  async reactivate(id: string, sql: SqlQuery = this.engine): Promise<boolean> {
    return (await sql.run(
      'UPDATE users SET suspended_at_ms = NULL, suspended_reason = NULL WHERE id = ? AND suspended_at_ms IS NOT NULL', [id])).changes === 1
  }

  /**
   * Inside the caller's write: the user's email is proved; false when it was proved already (or they have none), which
   * the UPDATE decides, whichever hub asks. A code sent for it is forgotten.
   */
  async setEmailVerifiedIn(sql: SqlQuery, id: string, provedAt_ms: number): Promise<boolean> {
    await sql.run('DELETE FROM email_codes WHERE user_id = ?', [id])
    return (await sql.run('UPDATE users SET email_verified_at_ms = ? WHERE id = ? AND email IS NOT NULL AND email_verified_at_ms IS NULL',
      [provedAt_ms, id])).changes === 1
  }

  /** A page of users, newest first, matching every filter given. */
  async search(search: UserSearch): Promise<UserPage> {
    const text = search.text?.trim()
    const pattern = text === undefined || text === '' ? null : `%${text.replace(LIKE_SPECIAL, (special) => `\\${special}`)}%`
    // Digits only, so LIKE has no wildcard in them to escape.
    const digits = pattern !== null && PHONE_LIKE.test(text!) ? `%${text!.replace(/[^0-9]/g, '')}%` : null
    const role = search.role ?? null
    const status = search.status ?? null
    const beforeCreatedAt_ms = search.before?.createdAtMs ?? null
    // One more than asked for: whether it comes says whether there is a next page.
    const rows = await this.engine.all<UserRow>(`${this.userSelect}${SEARCH_WHERE}`, [
      role, role, status, status, pattern, pattern, pattern, pattern, digits,
      beforeCreatedAt_ms, beforeCreatedAt_ms, beforeCreatedAt_ms, search.before?.id ?? null, search.limit + 1,
    ])
    const users = rows.slice(0, search.limit).map((row) => publicUser(credentialsFromRow(row)))
    const last = users[users.length - 1]
    return { users, next: rows.length > search.limit && last !== undefined ? { createdAtMs: last.createdAtMs, id: last.id } : null }
  }

  addRefreshToken(tokenSha256Hex: string, userId: string, createdAt_ms: number, expiresAt_ms: number): Promise<void> {
    return this.engine.write(async (sql) => {
      // The user's expired tokens go on the way, so the table does not grow with every login.
      await sql.run('DELETE FROM refresh_tokens WHERE user_id = ? AND expires_at_ms < ?', [userId, createdAt_ms])
      await sql.run('INSERT INTO refresh_tokens (token_sha256, user_id, created_at_ms, expires_at_ms) VALUES (?, ?, ?, ?)',
        [tokenSha256Hex, userId, createdAt_ms, expiresAt_ms])
    })
  }

  async byId(id: string, sql: SqlQuery = this.engine): Promise<User | undefined> {
    const credentials = await this.credentialsById(id, sql)
    return credentials === undefined ? undefined : publicUser(credentials)
  }

  async credentialsById(id: string, sql: SqlQuery = this.engine): Promise<UserCredentials | undefined> {
    const row = await sql.get<UserRow>(`${this.userSelect} WHERE id = ?`, [id])
    return row === undefined ? undefined : credentialsFromRow(row)
  }

  /** The account whose number this is (E.164, see phoneNumberOf), proved or kept from before codes were asked. */
  async credentialsByPhone(phone: string, sql: SqlQuery = this.engine): Promise<UserCredentials | undefined> {
    const row = await sql.get<UserRow>(`${this.userSelect} WHERE phone = ?`, [phone])
    return row === undefined ? undefined : credentialsFromRow(row)
  }

  /** The account that proved this number: the only one money sent to the number may reach. */
  async byProvedPhone(phone: string, sql: SqlQuery = this.engine): Promise<User | undefined> {
    const user = await this.credentialsByPhone(phone, sql)
    return user === undefined || user.phoneVerifiedAtMs === null ? undefined : publicUser(user)
  }

  /** How many users hold each role: a user who holds two counts under both. */
  async countsByRole(): Promise<Record<Role, number>> {
    const counts: Record<Role, number> = { operator: 0, owner: 0, customer: 0 }
    const rows = await this.engine.all<{ role: Role; count: number }>('SELECT role, count(*) AS count FROM user_roles GROUP BY role')
    for (const row of rows) counts[row.role] = row.count
    return counts
  }

  async updateFullName(id: string, fullName: string, sql: SqlQuery = this.engine): Promise<void> {
    await sql.run('UPDATE users SET full_name = ? WHERE id = ?', [fullName, id])
  }

  /** The number is the user's, proved now; whatever number they had before is let go. */
  async setProvedPhone(id: string, phone: string, provedAt_ms: number, sql: SqlQuery = this.engine): Promise<void> {
    await sql.run('UPDATE users SET phone = ?, phone_verified_at_ms = ? WHERE id = ?', [phone, provedAt_ms, id])
  }

  /**
   * Takes a number the user never proved away from them, for the account that just proved it. Only an account that
   * can still log in by email loses it (the users table wants an email or a phone): false, and nothing changed, else.
   */
  async releaseUnprovedPhone(id: string, sql: SqlQuery = this.engine): Promise<boolean> {
    return (await sql.run('UPDATE users SET phone = NULL WHERE id = ? AND phone_verified_at_ms IS NULL AND email IS NOT NULL', [id]))
      .changes === 1
  }

  /** The user's one password hash from now on (a rehash at login): a second legacy one is forgotten. */
  updatePasswordHash(id: string, passwordHash: string): Promise<void> {
    return this.engine.write(sql => this.updatePasswordHashIn(sql, id, passwordHash))
  }

  private async updatePasswordHashIn(sql: SqlQuery, id: string, passwordHash: string): Promise<void> {
    await sql.run('UPDATE users SET password_hash = ? WHERE id = ?', [passwordHash, id])
    await sql.run('UPDATE user_profiles SET legacy_password_hash = NULL WHERE user_id = ? AND legacy_password_hash IS NOT NULL', [id])
  }

  /** A new password hash, and every session that the old password opened ended, at once. */
  async changePassword(id: string, passwordHash: string, now_ms: number): Promise<void> {
    await this.engine.write(sql => this.changePasswordIn(sql, id, passwordHash, now_ms))
    this.accessChanged(id)
  }

  /** As changePassword, inside a write of this store's, which tells accessChanged(id) once it has committed. */
  private async changePasswordIn(sql: SqlQuery, id: string, passwordHash: string, now_ms: number): Promise<void> {
    await this.updatePasswordHashIn(sql, id, passwordHash)
    await this.endSessionsIn(sql, id, now_ms)
  }

  /** Ends every session of the user: refresh tokens revoked, access tokens of earlier generations refused. */
  async endSessions(id: string, now_ms: number): Promise<void> {
    await this.engine.write(sql => this.endSessionsIn(sql, id, now_ms))
    this.accessChanged(id)
  }

  private async endSessionsIn(sql: SqlQuery, id: string, now_ms: number): Promise<void> {
    await sql.run(REVOKE_REFRESH_TOKENS_SQL, [now_ms, id])
    await sql.run(NEXT_SESSION_GENERATION_SQL, [id])
  }

  /** Tells the hook that the user's access changed: call it once the write that changed it has committed. */
  accessChanged(id: string): void {
    this.hooks.accessChanged?.(id)
  }

  /** Kills the refresh token whose hash this is, if it is live; tells a reuse of a dead one apart. */
  async consumeRefreshToken(tokenSha256Hex: string, now_ms: number): Promise<RefreshTokenUse> {
    // Single use, whichever hub sees it: the UPDATE that kills the token is the check, so two uses cannot both win.
    const consumed = await this.engine.get<{ user_id: string }>(
      `UPDATE refresh_tokens SET revoked_at_ms = ?
       WHERE token_sha256 = ? AND revoked_at_ms IS NULL AND expires_at_ms > ? RETURNING user_id`, [now_ms, tokenSha256Hex, now_ms])
    if (consumed !== undefined) return { status: 'consumed', userId: consumed.user_id }
    const row = await this.engine.get<{ user_id: string; revoked_at_ms: number | null }>(
      'SELECT user_id, revoked_at_ms FROM refresh_tokens WHERE token_sha256 = ?', [tokenSha256Hex])
    if (row !== undefined && row.revoked_at_ms !== null) return { status: 'reused', userId: row.user_id }
    return { status: 'unknown' }
  }

  /** Kills one of the user's refresh tokens (logout); another user's token is left alone. */
  async revokeRefreshToken(tokenSha256Hex: string, userId: string, now_ms: number): Promise<boolean> {
    return (await this.engine.run('UPDATE refresh_tokens SET revoked_at_ms = ? WHERE token_sha256 = ? AND user_id = ? AND revoked_at_ms IS NULL',
      [now_ms, tokenSha256Hex, userId])).changes === 1
  }

  /** False, and nothing stored, when the user already has `liveMax` unused, unexpired reset tokens. */
  addPasswordReset(tokenSha256Hex: string, userId: string, createdAt_ms: number, expiresAt_ms: number, live_max: number): Promise<boolean> {
    return this.engine.write(async (sql) => {
      // Locks the user's row (on PostgreSQL; SQLite's write holds the database), so two hubs counting the live tokens
      // at once take turns and cannot both add the last one allowed.
      await sql.run('UPDATE users SET session_generation = session_generation WHERE id = ?', [userId])
      await sql.run('DELETE FROM password_resets WHERE expires_at_ms < ?', [createdAt_ms])
      const live = await sql.get<{ count: number }>(
        'SELECT count(*) AS count FROM password_resets WHERE user_id = ? AND used_at_ms IS NULL AND expires_at_ms > ?', [userId, createdAt_ms])
      if (live!.count >= live_max) return false
      await sql.run('INSERT INTO password_resets (token_sha256, user_id, created_at_ms, expires_at_ms) VALUES (?, ?, ?, ?)',
        [tokenSha256Hex, userId, createdAt_ms, expiresAt_ms])
      return true
    })
  }

  /**
   * Uses up a live reset token (and every other outstanding for the account), stores the new password hash
   * and ends every session, all at once. The account's id, or undefined for any other token (nothing changes).
   */
  async resetPassword(tokenSha256Hex: string, passwordHash: string, now_ms: number): Promise<string | undefined> {
    const userId = await this.engine.write(async (sql) => {
      // Once, whichever hub sees it: the UPDATE that uses the token up is the check.
      const used = await sql.get<{ user_id: string }>(
        `UPDATE password_resets SET used_at_ms = ?
         WHERE token_sha256 = ? AND used_at_ms IS NULL AND expires_at_ms > ? RETURNING user_id`, [now_ms, tokenSha256Hex, now_ms])
      if (used === undefined) return undefined
      await sql.run('UPDATE password_resets SET used_at_ms = ? WHERE user_id = ? AND used_at_ms IS NULL', [now_ms, used.user_id])
      await this.changePasswordIn(sql, used.user_id, passwordHash, now_ms)
      return used.user_id
    })
    if (userId !== undefined) this.accessChanged(userId)
    return userId
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

/**
 * Whether the user proved an email or a phone with a code sent to it. An account that proved neither may sign in,
 * read and prove one, but not move money or commit to anything (ACCOUNT_UNVERIFIED, hub/http/auth.ts).
 */
export function isVerified(user: Pick<User, 'emailVerifiedAtMs' | 'phoneVerifiedAtMs'>): boolean {
  return user.emailVerifiedAtMs !== null || user.phoneVerifiedAtMs !== null
}

/** The user without credentials: the only shape that goes on the wire. */
export function publicUser(user: User): User {
  return {
    id: user.id,
    email: user.email,
    emailVerifiedAtMs: user.emailVerifiedAtMs,
    phone: user.phone,
    phoneVerifiedAtMs: user.phoneVerifiedAtMs,
    phonePending: user.phonePending,
    fullName: user.fullName,
    roles: user.roles,
    suspendedAtMs: user.suspendedAtMs,
    suspendedReason: user.suspendedReason,
    createdAtMs: user.createdAtMs,
  }
}

function credentialsFromRow(row: UserRow): UserCredentials {
  return {
    id: row.id,
    email: row.email,
    emailVerifiedAtMs: row.email_verified_at_ms,
    phone: row.phone,
    phoneVerifiedAtMs: row.phone_verified_at_ms,
    phonePending: row.phone_pending,
    fullName: row.full_name,
    roles: rolesFromList(row.roles),
    suspendedAtMs: row.suspended_at_ms,
    suspendedReason: row.suspended_reason,
    createdAtMs: row.created_at_ms,
    passwordHash: row.password_hash,
    legacyPasswordHash: row.legacy_password_hash,
  }
}
