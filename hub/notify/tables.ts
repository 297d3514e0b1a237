// The notification outbox (listed in hub/store/migrations.ts): a message is written in the same
// request that causes it, then delivered, retried with backoff, and kept, sent or failed, for audit.

export const NOTIFY_SQL = `
CREATE TABLE notification_outbox (
  id TEXT PRIMARY KEY CHECK (length(id) BETWEEN 1 AND 64),
  channel TEXT NOT NULL CHECK (channel IN ('email', 'sms')),
  recipient TEXT NOT NULL CHECK (length(recipient) BETWEEN 3 AND 254),
  kind TEXT NOT NULL CHECK (length(kind) BETWEEN 1 AND 40),
  subject TEXT NOT NULL CHECK (length(subject) <= 200),
  body TEXT NOT NULL CHECK (length(body) <= 4000),
  -- A one-time secret (reset token, payment code) is in the body: erased once the message is done with.
  sensitive INTEGER NOT NULL CHECK (sensitive IN (0, 1)),
  user_id TEXT REFERENCES users (id),
  status TEXT NOT NULL CHECK (status IN ('pending', 'sent', 'failed')),
  attempts INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
  next_attempt_at_ms INTEGER NOT NULL,
  last_error TEXT CHECK (last_error IS NULL OR length(last_error) <= 500),
  provider_id TEXT,
  created_at_ms INTEGER NOT NULL,
  done_at_ms INTEGER,
  CHECK ((status = 'pending') = (done_at_ms IS NULL))
) STRICT;
CREATE INDEX notification_outbox_due ON notification_outbox (next_attempt_at_ms) WHERE status = 'pending';
CREATE INDEX notification_outbox_by_status ON notification_outbox (status);
`
