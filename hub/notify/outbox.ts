// The notification_outbox table behind prepared statements: enqueue, pick what is due, and record how
// each attempt went. A sensitive body is erased once its message is sent or given up on.

import type { SqliteDatabase } from '../store/database'
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

interface OutboxRow {
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

export class Outbox {
  private readonly statements

  constructor(db: SqliteDatabase) {
    this.statements = {
      insert: db.prepare(
        `INSERT INTO notification_outbox
           (id, channel, recipient, kind, subject, body, sensitive, user_id, status, next_attempt_at_ms, created_at_ms)
         VALUES (@id, @channel, @recipient, @kind, @subject, @body, @sensitive, @userId, 'pending', @nowMs, @nowMs)`),
      byId: db.prepare<[string], OutboxRow>('SELECT * FROM notification_outbox WHERE id = ?'),
      due: db.prepare<[number, number], OutboxRow>(
        `SELECT * FROM notification_outbox WHERE status = 'pending' AND next_attempt_at_ms <= ?
         ORDER BY next_attempt_at_ms, id LIMIT ?`),
      sent: db.prepare<[number, string | null, number, string]>(
        `UPDATE notification_outbox SET status = 'sent', attempts = ?, provider_id = ?, done_at_ms = ?, last_error = NULL,
           body = CASE sensitive WHEN 1 THEN '${ERASED_BODY}' ELSE body END
         WHERE id = ? AND status = 'pending'`),
      retry: db.prepare<[number, number, string, string]>(
        `UPDATE notification_outbox SET attempts = ?, next_attempt_at_ms = ?, last_error = ?
         WHERE id = ? AND status = 'pending'`),
      failed: db.prepare<[number, number, string, string]>(
        `UPDATE notification_outbox SET status = 'failed', attempts = ?, done_at_ms = ?, last_error = ?,
           body = CASE sensitive WHEN 1 THEN '${ERASED_BODY}' ELSE body END
         WHERE id = ? AND status = 'pending'`),
      counts: db.prepare<[], { status: OutboxStatus; count: number }>(
        'SELECT status, count(*) AS count FROM notification_outbox GROUP BY status'),
    }
  }

  enqueue(id: string, message: OutgoingMessage, now_ms: number): void {
    if (message.subject.length > SUBJECT_LENGTH_MAX || message.body.length > BODY_LENGTH_MAX) {
      throw new RangeError(`a ${message.kind} message is over ${SUBJECT_LENGTH_MAX}/${BODY_LENGTH_MAX} characters`)
    }
    this.statements.insert.run({
      id, channel: message.channel, recipient: message.recipient, kind: message.kind, subject: message.subject,
      body: message.body, sensitive: message.sensitive ? 1 : 0, userId: message.userId, nowMs: now_ms,
    })
  }

  byId(id: string): OutboxMessage | undefined {
    const row = this.statements.byId.get(id)
    return row === undefined ? undefined : fromRow(row)
  }

  /** Up to `limit` pending messages whose next attempt is due, the longest waiting first. */
  due(now_ms: number, limit: number): OutboxMessage[] {
    return this.statements.due.all(now_ms, limit).map(fromRow)
  }

  markSent(id: string, attempts: number, providerId: string | null, now_ms: number): void {
    this.statements.sent.run(attempts, providerId, now_ms, id)
  }

  markRetry(id: string, attempts: number, nextAttemptAt_ms: number, error: string): void {
    this.statements.retry.run(attempts, nextAttemptAt_ms, error.slice(0, ERROR_LENGTH_MAX), id)
  }

  markFailed(id: string, attempts: number, now_ms: number, error: string): void {
    this.statements.failed.run(attempts, now_ms, error.slice(0, ERROR_LENGTH_MAX), id)
  }

  counts(): Record<OutboxStatus, number> {
    const counts: Record<OutboxStatus, number> = { pending: 0, sent: 0, failed: 0 }
    for (const row of this.statements.counts.all()) counts[row.status] = row.count
    return counts
  }
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
