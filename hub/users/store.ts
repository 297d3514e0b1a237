// The users, user_roles, refresh_tokens and password_resets tables behind prepared statements; rows come out as
// typed objects, and the password hash only in the one shape that login needs.

import { toHex } from '../../protocol/bytes'
import type { RandomBytes } from '../../protocol/clock'
import { assert } from '../../protocol/errors'
import type { SqliteDatabase } from '../store/database'
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

interface UserRow {
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

// Every read of a user carries its roles and the number it is waiting to prove, if any (at most one claim per user).
const USER_SELECT = `SELECT users.*,
  (SELECT phone FROM phone_claims WHERE phone_claims.user_id = users.id) AS phone_pending,
  (SELECT group_concat(role) FROM user_roles WHERE user_roles.user_id = users.id) AS roles,
  (SELECT legacy_password_hash FROM user_profiles WHERE user_profiles.user_id = users.id) AS legacy_password_hash
  FROM users`

/** LIKE's wildcards and its escape character, escaped, so that what an operator types matches as typed. */
const LIKE_SPECIAL = /[\\%_]/g
/** Text that reads as a phone number: its digits are matched against the stored E.164 numbers. */
const PHONE_LIKE = /^[0-9+()\s.-]*[0-9][0-9+()\s.-]*$/

export interface UserStoreHooks {
  /**
   * A user's access changed (sessions ended, role changed): open event streams check it again. Told once the change
   * is committed: at once outside a transaction, else when the transaction is over, and never when it rolled back.
   */
  accessChanged?(userId: string): void
}

// Access changes made inside a transaction wait in a TEMP table until it is over: a rollback takes them back with
// the rest of it, so only committed changes are told. Each store instance keeps its own rows.
const ACCESS_CHANGES_SQL = `CREATE TEMP TABLE IF NOT EXISTS user_access_changes (
  store INTEGER NOT NULL, user_id TEXT NOT NULL, PRIMARY KEY (store, user_id)) WITHOUT ROWID`
let storeCount = 0

export class UserStore {
  private readonly byEmail
  private readonly insertUser
  private readonly insertRefreshToken
  private readonly statements

  private readonly storeNumber = ++storeCount

  constructor(private readonly db: SqliteDatabase, private readonly hooks: UserStoreHooks = {}) {
    db.exec(ACCESS_CHANGES_SQL)
    this.byEmail = db.prepare<[string], UserRow>(`${USER_SELECT} WHERE email = ?`)
    this.insertUser = db.prepare<[string, string | null, number | null, string | null, number | null, string, string, number]>(
      `INSERT INTO users (id, email, email_verified_at_ms, phone, phone_verified_at_ms, full_name, password_hash, created_at_ms)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`)
    this.insertRefreshToken = db.prepare<[string, string, number, number]>(
      'INSERT INTO refresh_tokens (token_sha256, user_id, created_at_ms, expires_at_ms) VALUES (?, ?, ?, ?)')
    this.statements = {
      noteAccessChange: db.prepare<[number, string]>('INSERT OR IGNORE INTO temp.user_access_changes (store, user_id) VALUES (?, ?)'),
      takeAccessChanges: db.prepare<[number], { user_id: string }>('DELETE FROM temp.user_access_changes WHERE store = ? RETURNING user_id'),
      byId: db.prepare<[string], UserRow>(`${USER_SELECT} WHERE id = ?`),
      byPhone: db.prepare<[string], UserRow>(`${USER_SELECT} WHERE phone = ?`),
      search: db.prepare<SearchParameters, UserRow>(`${USER_SELECT}
        WHERE (:role IS NULL OR EXISTS (SELECT 1 FROM user_roles WHERE user_roles.user_id = users.id AND user_roles.role = :role))
          AND (:status IS NULL OR (:status = 'active') = (suspended_at_ms IS NULL))
          AND (:pattern IS NULL OR full_name LIKE :pattern ESCAPE '\\' OR email LIKE :pattern ESCAPE '\\'
            OR phone LIKE :pattern ESCAPE '\\' OR phone LIKE :digitsPattern)
          AND (:beforeCreatedAtMs IS NULL OR created_at_ms < :beforeCreatedAtMs OR (created_at_ms = :beforeCreatedAtMs AND id < :beforeId))
        ORDER BY created_at_ms DESC, id DESC
        LIMIT :rowsMax`),
      countOfRole: db.prepare<[Role], { count: number }>('SELECT count(*) AS count FROM user_roles WHERE role = ?'),
      countsByRole: db.prepare<[], { role: Role; count: number }>('SELECT role, count(*) AS count FROM user_roles GROUP BY role'),
      activeOperators: db.prepare<[], { count: number }>(
        `SELECT count(*) AS count FROM user_roles JOIN users ON users.id = user_roles.user_id
         WHERE user_roles.role = 'operator' AND users.suspended_at_ms IS NULL`),
      insertRole: db.prepare<[string, Role, number]>('INSERT OR IGNORE INTO user_roles (user_id, role, granted_at_ms) VALUES (?, ?, ?)'),
      deleteRole: db.prepare<[string, Role]>('DELETE FROM user_roles WHERE user_id = ? AND role = ?'),
      suspend: db.prepare<[number, string, string]>(
        'UPDATE users SET suspended_at_ms = ?, suspended_reason = ? WHERE id = ? AND suspended_at_ms IS NULL'),
      reactivate: db.prepare<[string]>(
        'UPDATE users SET suspended_at_ms = NULL, suspended_reason = NULL WHERE id = ? AND suspended_at_ms IS NOT NULL'),
      setEmailVerified: db.prepare<[number, string]>(
        'UPDATE users SET email_verified_at_ms = ? WHERE id = ? AND email IS NOT NULL AND email_verified_at_ms IS NULL'),
      deleteEmailCode: db.prepare<[string]>('DELETE FROM email_codes WHERE user_id = ?'),
      updateFullName: db.prepare<[string, string]>('UPDATE users SET full_name = ? WHERE id = ?'),
      setProvedPhone: db.prepare<[string, number, string]>('UPDATE users SET phone = ?, phone_verified_at_ms = ? WHERE id = ?'),
      releaseUnprovedPhone: db.prepare<[string]>(
        'UPDATE users SET phone = NULL WHERE id = ? AND phone_verified_at_ms IS NULL AND email IS NOT NULL'),
      updatePassword: db.prepare<[string, string]>('UPDATE users SET password_hash = ? WHERE id = ?'),
      forgetLegacyPassword: db.prepare<[string]>(
        'UPDATE user_profiles SET legacy_password_hash = NULL WHERE user_id = ? AND legacy_password_hash IS NOT NULL'),
      nextSessionGeneration: db.prepare<[string]>(
        'UPDATE users SET session_generation = session_generation + 1 WHERE id = ?'),
      // Single use: the UPDATE that kills the token is the check, so two concurrent uses cannot both win.
      consumeRefreshToken: db.prepare<[number, string, number], { user_id: string }>(
        `UPDATE refresh_tokens SET revoked_at_ms = ?
         WHERE token_sha256 = ? AND revoked_at_ms IS NULL AND expires_at_ms > ? RETURNING user_id`),
      refreshTokenOwner: db.prepare<[string], { user_id: string; revoked_at_ms: number | null }>(
        'SELECT user_id, revoked_at_ms FROM refresh_tokens WHERE token_sha256 = ?'),
      revokeRefreshToken: db.prepare<[number, string, string]>(
        'UPDATE refresh_tokens SET revoked_at_ms = ? WHERE token_sha256 = ? AND user_id = ? AND revoked_at_ms IS NULL'),
      revokeRefreshTokens: db.prepare<[number, string]>(
        'UPDATE refresh_tokens SET revoked_at_ms = ? WHERE user_id = ? AND revoked_at_ms IS NULL'),
      deleteExpiredRefreshTokens: db.prepare<[string, number]>(
        'DELETE FROM refresh_tokens WHERE user_id = ? AND expires_at_ms < ?'),
      insertPasswordReset: db.prepare<[string, string, number, number]>(
        'INSERT INTO password_resets (token_sha256, user_id, created_at_ms, expires_at_ms) VALUES (?, ?, ?, ?)'),
      livePasswordResets: db.prepare<[string, number], { count: number }>(
        `SELECT count(*) AS count FROM password_resets WHERE user_id = ? AND used_at_ms IS NULL AND expires_at_ms > ?`),
      deleteExpiredPasswordResets: db.prepare<[number]>('DELETE FROM password_resets WHERE expires_at_ms < ?'),
      consumePasswordReset: db.prepare<[number, string, number], { user_id: string }>(
        `UPDATE password_resets SET used_at_ms = ?
         WHERE token_sha256 = ? AND used_at_ms IS NULL AND expires_at_ms > ? RETURNING user_id`),
      retirePasswordResets: db.prepare<[number, string]>(
        'UPDATE password_resets SET used_at_ms = ? WHERE user_id = ? AND used_at_ms IS NULL'),
    }
  }

  /** `email` as stored: trimmed and lower case (see normalizeEmail). */
  credentialsByEmail(email: string): UserCredentials | undefined {
    const row = this.byEmail.get(email)
    return row === undefined ? undefined : credentialsFromRow(row)
  }

  /** How many users hold the role, suspended or not. */
  countWithRole(role: Role): number {
    return this.statements.countOfRole.get(role)!.count
  }

  /** How many operators are not suspended: the hub keeps at least one (hub/users/administration.ts). */
  activeOperatorCount(): number {
    return this.statements.activeOperators.get()!.count
  }

  /** Throws the unique-constraint error of a taken email. */
  insert(user: NewUser): void {
    this.insertWith(user, null, null)
  }

  /** A phone sign-up's account, created once its number is proved. Throws the unique-constraint error of a taken email. */
  insertWithProvedPhone(user: NewUser, phone: string, provedAt_ms: number): void {
    this.insertWith(user, phone, provedAt_ms)
  }

  private insertWith(user: NewUser, phone: string | null, phoneProvedAt_ms: number | null): void {
    assert(user.roles.length > 0, 'a user holds at least one role')
    this.db.transaction(() => {
      this.insertUser.run(user.id, user.email, user.emailVerifiedAtMs, phone, phoneProvedAt_ms, user.fullName, user.passwordHash, user.createdAtMs)
      for (const role of user.roles) this.statements.insertRole.run(user.id, role, user.createdAtMs)
    })()
  }

  /** Gives the user the role; false when they held it already. */
  addRole(id: string, role: Role, now_ms: number): boolean {
    const added = this.statements.insertRole.run(id, role, now_ms).changes === 1
    // Open event streams see what the user may now see.
    if (added) this.accessChanged(id)
    return added
  }

  /** Takes the role away; false when they did not hold it. Throws when it is their last (a trigger keeps one). */
  removeRole(id: string, role: Role): boolean {
    const removed = this.statements.deleteRole.run(id, role).changes === 1
    if (removed) this.accessChanged(id)
    return removed
  }

  /** Suspends an active user and ends every session they have; false, and nothing changed, when already suspended. */
  suspend(id: string, reason: string, now_ms: number): boolean {
    return this.db.transaction(() => {
      if (this.statements.suspend.run(now_ms, reason, id).changes !== 1) return false
      this.endSessions(id, now_ms)
      return true
    })()
  }

  /** False when the user was not suspended. */
  reactivate(id: string): boolean {
    return this.statements.reactivate.run(id).changes === 1
  }

  /** The user's email is proved; false when it was proved already (or they have none). A code sent for it is forgotten. */
  setEmailVerified(id: string, provedAt_ms: number): boolean {
    return this.db.transaction(() => {
      this.statements.deleteEmailCode.run(id)
      return this.statements.setEmailVerified.run(provedAt_ms, id).changes === 1
    })()
  }

  /** A page of users, newest first, matching every filter given. */
  search(search: UserSearch): UserPage {
    const text = search.text?.trim()
    const pattern = text === undefined || text === '' ? null : `%${text.replace(LIKE_SPECIAL, (special) => `\\${special}`)}%`
    const digits = pattern !== null && PHONE_LIKE.test(text!) ? text!.replace(/[^0-9]/g, '') : null
    const rows = this.statements.search.all({
      role: search.role ?? null,
      status: search.status ?? null,
      pattern,
      // Digits only, so LIKE has no wildcard in them to escape.
      digitsPattern: digits === null ? null : `%${digits}%`,
      beforeCreatedAtMs: search.before?.createdAtMs ?? null,
      beforeId: search.before?.id ?? null,
      // One more than asked for: whether it comes says whether there is a next page.
      rowsMax: search.limit + 1,
    })
    const users = rows.slice(0, search.limit).map((row) => publicUser(credentialsFromRow(row)))
    const last = users[users.length - 1]
    return { users, next: rows.length > search.limit && last !== undefined ? { createdAtMs: last.createdAtMs, id: last.id } : null }
  }

  addRefreshToken(tokenSha256Hex: string, userId: string, createdAt_ms: number, expiresAt_ms: number): void {
    // The user's expired tokens go on the way, so the table does not grow with every login.
    this.statements.deleteExpiredRefreshTokens.run(userId, createdAt_ms)
    this.insertRefreshToken.run(tokenSha256Hex, userId, createdAt_ms, expiresAt_ms)
  }

  byId(id: string): User | undefined {
    const row = this.statements.byId.get(id)
    return row === undefined ? undefined : publicUser(credentialsFromRow(row))
  }

  credentialsById(id: string): UserCredentials | undefined {
    const row = this.statements.byId.get(id)
    return row === undefined ? undefined : credentialsFromRow(row)
  }

  /** The account whose number this is (E.164, see phoneNumberOf), proved or kept from before codes were asked. */
  credentialsByPhone(phone: string): UserCredentials | undefined {
    const row = this.statements.byPhone.get(phone)
    return row === undefined ? undefined : credentialsFromRow(row)
  }

  /** The account that proved this number: the only one money sent to the number may reach. */
  byProvedPhone(phone: string): User | undefined {
    const row = this.statements.byPhone.get(phone)
    return row === undefined || row.phone_verified_at_ms === null ? undefined : publicUser(credentialsFromRow(row))
  }

  /** How many users hold each role: a user who holds two counts under both. */
  countsByRole(): Record<Role, number> {
    const counts: Record<Role, number> = { operator: 0, owner: 0, customer: 0 }
    for (const row of this.statements.countsByRole.all()) counts[row.role] = row.count
    return counts
  }

  updateFullName(id: string, fullName: string): void {
    this.statements.updateFullName.run(fullName, id)
  }

  /** The number is the user's, proved now; whatever number they had before is let go. */
  setProvedPhone(id: string, phone: string, provedAt_ms: number): void {
    this.statements.setProvedPhone.run(phone, provedAt_ms, id)
  }

  /**
   * Takes a number the user never proved away from them, for the account that just proved it. Only an account that
   * can still log in by email loses it (the users table wants an email or a phone): false, and nothing changed, else.
   */
  releaseUnprovedPhone(id: string): boolean {
    return this.statements.releaseUnprovedPhone.run(id).changes === 1
  }

  /** Stores a new hash (a rehash at login; changePassword when sessions must end too). */
  /** The user's one password hash from now on: a second legacy one (UserCredentials.legacyPasswordHash) is forgotten. */
  updatePasswordHash(id: string, passwordHash: string): void {
    this.db.transaction(() => {
      this.statements.updatePassword.run(passwordHash, id)
      this.statements.forgetLegacyPassword.run(id)
    })()
  }

  /** A new password hash, and every session that the old password opened ended, at once. */
  changePassword(id: string, passwordHash: string, now_ms: number): void {
    this.db.transaction(() => {
      this.updatePasswordHash(id, passwordHash)
      this.endSessions(id, now_ms)
    })()
  }

  /** Ends every session of the user: refresh tokens revoked, access tokens of earlier generations refused. */
  endSessions(id: string, now_ms: number): void {
    this.db.transaction(() => {
      this.statements.revokeRefreshTokens.run(now_ms, id)
      this.statements.nextSessionGeneration.run(id)
    })()
    this.accessChanged(id)
  }

  /** Tells the hook of a change of the user's access once it is committed (see UserStoreHooks). */
  private accessChanged(id: string): void {
    if (this.hooks.accessChanged === undefined) return
    this.statements.noteAccessChange.run(this.storeNumber, id)
    // A transaction runs synchronously to its end, so by the next microtask it has committed or rolled back.
    if (this.db.inTransaction) queueMicrotask(() => this.tellAccessChanges())
    else this.tellAccessChanges()
  }

  private tellAccessChanges(): void {
    // Still inside a transaction (one opened by hand across an await): the next change made outside one tells these.
    if (this.db.inTransaction) return
    for (const { user_id } of this.statements.takeAccessChanges.all(this.storeNumber)) this.hooks.accessChanged?.(user_id)
  }

  /** Kills the refresh token whose hash this is, if it is live; tells a reuse of a dead one apart. */
  consumeRefreshToken(tokenSha256Hex: string, now_ms: number): RefreshTokenUse {
    const consumed = this.statements.consumeRefreshToken.get(now_ms, tokenSha256Hex, now_ms)
    if (consumed !== undefined) return { status: 'consumed', userId: consumed.user_id }
    const row = this.statements.refreshTokenOwner.get(tokenSha256Hex)
    if (row !== undefined && row.revoked_at_ms !== null) return { status: 'reused', userId: row.user_id }
    return { status: 'unknown' }
  }

  /** Kills one of the user's refresh tokens (logout); another user's token is left alone. */
  revokeRefreshToken(tokenSha256Hex: string, userId: string, now_ms: number): boolean {
    return this.statements.revokeRefreshToken.run(now_ms, tokenSha256Hex, userId).changes === 1
  }

  /** False, and nothing stored, when the user already has `liveMax` unused, unexpired reset tokens. */
  addPasswordReset(tokenSha256Hex: string, userId: string, createdAt_ms: number, expiresAt_ms: number, live_max: number): boolean {
    return this.db.transaction(() => {
      this.statements.deleteExpiredPasswordResets.run(createdAt_ms)
      if (this.statements.livePasswordResets.get(userId, createdAt_ms)!.count >= live_max) return false
      this.statements.insertPasswordReset.run(tokenSha256Hex, userId, createdAt_ms, expiresAt_ms)
      return true
    })()
  }

  /**
   * Uses up a live reset token (and every other outstanding for the account), stores the new password hash
   * and ends every session, all at once. The account's id, or undefined for any other token (nothing changes).
   */
  resetPassword(tokenSha256Hex: string, passwordHash: string, now_ms: number): string | undefined {
    return this.db.transaction(() => {
      const userId = this.statements.consumePasswordReset.get(now_ms, tokenSha256Hex, now_ms)?.user_id
      if (userId === undefined) return undefined
      this.statements.retirePasswordResets.run(now_ms, userId)
      this.changePassword(userId, passwordHash, now_ms)
      return userId
    })()
  }
}

/** 409 EMAIL_TAKEN or PHONE_TAKEN for a unique-constraint failure on users; undefined for any other error. */
export function userUniquenessError(error: unknown): HttpError | undefined {
  if (!(error instanceof Error) || (error as { code?: unknown }).code !== 'SQLITE_CONSTRAINT_UNIQUE') return undefined
  if (error.message.includes('users.email')) return new HttpError(409, 'EMAIL_TAKEN', 'a user with this email exists')
  if (error.message.includes('users.phone')) return new HttpError(409, 'PHONE_TAKEN', 'a user with this phone exists')
  return undefined
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

interface SearchParameters {
  role: Role | null
  status: 'active' | 'suspended' | null
  pattern: string | null
  digitsPattern: string | null
  beforeCreatedAtMs: number | null
  beforeId: string | null
  rowsMax: number
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
