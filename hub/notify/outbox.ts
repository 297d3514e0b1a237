// The notification_outbox table on either engine (SqlEngine): enqueue, pick what is due, claim it, and record how
// each attempt went. A sensitive body is erased once its message is sent or given up on.

import type { SqlEngine, SqlQuery, SqlRow, SqlValue } from '../store/sql'
import { BODY_LENGTH_MAX, SUBJECT_LENGTH_MAX, type Channel, type MessageKind, type OutgoingMessage } from './message'

export const ERASED_BODY = '(erased: this message held a one-time secret)'
const ERROR_LENGTH_MAX = 500

export type OutboxStatus = 'pending' | 'sent' | 'failed'

export interface OutboxMessage extends OutgoingMessage {
  readonly id: string
  readonly status: OutboxStatus
  readonly attempts: number
  readonly nextAttemptAtMs: number
  readonly lastError: string | null
  readonly providerId: string | null
  readonly createdAtMs: number
  readonly doneAtMs: number | null
}

interface OutboxRow extends SqlRow {
  id: string
  channel: Channel
  recipient: string
  kind: MessageKind
  subject: string
  body: string
  sensitive: 0 | 1
  user_id: string | null
  status: OutboxStatus
  attempts: number
  next_attempt_at_ms: number
  last_error: string | null
  provider_id: string | null
  created_at_ms: number
  done_at_ms: number | null
}

// The columns a new message is written with, its id first; shared by enqueue and enqueueIn.
const INSERT_SQL = `INSERT INTO notification_outbox
    (id, channel, recipient, kind, subject, body, sensitive, user_id, status, next_attempt_at_ms, created_at_ms)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?)`

export class Outbox {
  constructor(private readonly engine: SqlEngine) {}

  /** Writes a message, due now, on its own. */
  enqueue(id: string, message: OutgoingMessage, now_ms: number): Promise<void> {
    return this.enqueueIn(this.engine, id, message, now_ms)
  }

  /** As enqueue, inside `sql`: the transaction (SqlEngine.write) of what the message tells. */
  async enqueueIn(sql: SqlQuery, id: string, message: OutgoingMessage, now_ms: number): Promise<void> {
    await sql.run(INSERT_SQL, insertParams(id, message, now_ms))
  }

  async byId(id: string): Promise<OutboxMessage | undefined> {
    const row = await this.engine.get<OutboxRow>('SELECT * FROM notification_outbox WHERE id = ?', [id])
    return row === undefined ? undefined : fromRow(row)
  }

  /** Up to `limit` pending messages whose next attempt is due, the longest waiting first. */
  async due(now_ms: number, limit: number): Promise<OutboxMessage[]> {
    return (await this.engine.all<OutboxRow>(
      `SELECT * FROM notification_outbox WHERE status = 'pending' AND next_attempt_at_ms <= ?
       ORDER BY next_attempt_at_ms, id LIMIT ?`, [now_ms, limit])).map(fromRow)
  }

  /**
   * Takes a due message for its attempt number `attempts + 1`, if it is still as due() read it: pending, due and
   * tried `attempts` times. Until `claimedUntil_ms` it is not due to anyone else, so of several hubs delivering
   * from one outbox one sends it; false when another took it first. The attempt's outcome is recorded with that
   * number (markSent, markRetry, markFailed); a hub that died in between leaves the message due again at claimedUntil_ms.
   */
  async claim(id: string, attempts: number, now_ms: number, claimedUntil_ms: number): Promise<boolean> {
    const { changes } = await this.engine.run(
      `UPDATE notification_outbox SET attempts = ?, next_attempt_at_ms = ?
       WHERE id = ? AND status = 'pending' AND attempts = ? AND next_attempt_at_ms <= ?`,
      [attempts + 1, claimedUntil_ms, id, attempts, now_ms])
    return changes === 1
  }

  /** `attempts`: the number claim() gave the attempt; an outcome recorded by another hub since is left alone. */
  async markSent(id: string, attempts: number, providerId: string | null, now_ms: number): Promise<void> {
    await this.engine.run(
      `UPDATE notification_outbox SET status = 'sent', provider_id = ?, done_at_ms = ?, last_error = NULL,
         body = CASE sensitive WHEN 1 THEN '${ERASED_BODY}' ELSE body END
       WHERE id = ? AND status = 'pending' AND attempts = ?`, [providerId, now_ms, id, attempts])
  }

  async markRetry(id: string, attempts: number, nextAttemptAt_ms: number, error: string): Promise<void> {
    await this.engine.run(
      `UPDATE notification_outbox SET next_attempt_at_ms = ?, last_error = ?
       WHERE id = ? AND status = 'pending' AND attempts = ?`, [nextAttemptAt_ms, error.slice(0, ERROR_LENGTH_MAX), id, attempts])
  }

  async markFailed(id: string, attempts: number, now_ms: number, error: string): Promise<void> {
    await this.engine.run(
      `UPDATE notification_outbox SET status = 'failed', done_at_ms = ?, last_error = ?,
         body = CASE sensitive WHEN 1 THEN '${ERASED_BODY}' ELSE body END
       WHERE id = ? AND status = 'pending' AND attempts = ?`, [now_ms, error.slice(0, ERROR_LENGTH_MAX), id, attempts])
  }

  async counts(): Promise<Record<OutboxStatus, number>> {
    const counts: Record<OutboxStatus, number> = { pending: 0, sent: 0, failed: 0 }
    const rows = await this.engine.all<{ status: OutboxStatus; count: number }>(
      'SELECT status, count(*) AS count FROM notification_outbox GROUP BY status')
    for (const row of rows) counts[row.status] = row.count
    return counts
  }
}

/** The values of INSERT_SQL; a message over the outbox's bounds is refused before anything is written. */
function insertParams(id: string, message: OutgoingMessage, now_ms: number): SqlValue[] {
  if (message.subject.length > SUBJECT_LENGTH_MAX || message.body.length > BODY_LENGTH_MAX) {
    throw new RangeError(`a ${message.kind} message is over ${SUBJECT_LENGTH_MAX}/${BODY_LENGTH_MAX} characters`)
  }
  return [id, message.channel, message.recipient, message.kind, message.subject, message.body,
    message.sensitive ? 1 : 0, message.userId, now_ms, now_ms]
}

function fromRow(row: OutboxRow): OutboxMessage {
  return {
    id: row.id,
    channel: row.channel,
    recipient: row.recipient,
    kind: row.kind,
    subject: row.subject,
    body: row.body,
    sensitive: row.sensitive === 1,
    userId: row.user_id,
    status: row.status,
    attempts: row.attempts,
    nextAttemptAtMs: row.next_attempt_at_ms,
    lastError: row.last_error,
    providerId: row.provider_id,
    createdAtMs: row.created_at_ms,
    doneAtMs: row.done_at_ms,
  }
}
