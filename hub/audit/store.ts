// The audit_log table on SqlEngine: an operator's act is recorded inside the transaction of the act (the caller's
// SqlEngine.write, or the ledger call's own through its `alsoWrite`), and read back newest first, a bounded page at a time.

import type { SqlEngine, SqlQuery, SqlRow, SqlValue } from '../store/sql'
import type { AuditAction, AuditEntry } from './wire'

export type NewAuditEntry = Omit<AuditEntry, 'id' | 'actorName'>

export interface AuditPage {
  readonly entries: AuditEntry[]
  /** The id the next page starts before, or null when this page is the last. */
  readonly next: number | null
}

/** Names are kept as the log has them: an operator's name or email, cut to this length. */
const NAME_LENGTH_MAX = 300
const DETAIL_LENGTH_MAX = 1000

const ACTOR_NAME_SQL = `SELECT coalesce(nullif(full_name, ''), email, phone, id) AS name FROM users WHERE id = ?`

interface AuditRow extends SqlRow {
  id: number
  at_ms: number
  actor_id: string
  actor_name: string
  action: AuditAction
  target_id: string
  target_name: string
  detail: string | null
}

const INSERT_SQL = `INSERT INTO audit_log (at_ms, actor_id, actor_name, action, target_id, target_name, detail)
  VALUES (?, ?, ?, ?, ?, ?, ?)`

export class AuditLog {
  constructor(private readonly engine: SqlEngine) {}

  /** Records an act, with the actor's name as it is now: `sql` is the transaction that makes the act (SqlEngine.write). */
  async recordIn(sql: SqlQuery, entry: NewAuditEntry): Promise<void> {
    const actor = await sql.get<{ name: string }>(ACTOR_NAME_SQL, [entry.actorId])
    await sql.run(INSERT_SQL, valuesOf(rowOf(entry, actor?.name ?? entry.actorId)))
  }

  /** Up to `limit` entries, newest first, older than the entry `before` when given. */
  async page(limit: number, before: number | null): Promise<AuditPage> {
    const rows = await this.engine.all<AuditRow>(
      'SELECT * FROM audit_log WHERE (CAST(? AS BIGINT) IS NULL OR id < ?) ORDER BY id DESC LIMIT ?', [before, before, limit + 1])
    const entries = rows.slice(0, limit).map(entryFromRow)
    return { entries, next: rows.length > limit ? entries[entries.length - 1]!.id : null }
  }
}

/** How the log names a user: the full name, else the email, else the phone. */
export function userNameOf(user: { readonly fullName: string; readonly email: string | null; readonly phone: string | null; readonly id: string }): string {
  return user.fullName !== '' ? user.fullName : user.email ?? user.phone ?? user.id
}

function rowOf(entry: NewAuditEntry, actorName: string): NewAuditEntry & { readonly actorName: string } {
  return {
    ...entry,
    actorName: actorName.slice(0, NAME_LENGTH_MAX),
    targetName: entry.targetName.slice(0, NAME_LENGTH_MAX),
    detail: entry.detail === null ? null : entry.detail.slice(0, DETAIL_LENGTH_MAX),
  }
}

function valuesOf(row: NewAuditEntry & { readonly actorName: string }): SqlValue[] {
  return [row.atMs, row.actorId, row.actorName, row.action, row.targetId, row.targetName, row.detail]
}

function entryFromRow(row: AuditRow): AuditEntry {
  return {
    id: row.id,
    atMs: row.at_ms,
    actorId: row.actor_id,
    actorName: row.actor_name,
    action: row.action,
    targetId: row.target_id,
    targetName: row.target_name,
    detail: row.detail,
  }
}
