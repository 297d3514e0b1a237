// The audit log (listed in hub/store/migrations.ts): what operators did to users and to the hub, one row per act,
// written in the transaction of the act. Rows are history: never updated, never deleted. The names are the actor's and
// the target's when the act happened. Operator acts are rare, so the log is kept whole; it is read a page at a time.

export const AUDIT_SQL = `
CREATE TABLE audit_log (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  at_ms INTEGER NOT NULL,
  actor_id TEXT NOT NULL REFERENCES users (id),
  actor_name TEXT NOT NULL CHECK (length(actor_name) <= 300),
  action TEXT NOT NULL CHECK (length(action) BETWEEN 1 AND 40),
  target_id TEXT NOT NULL CHECK (length(target_id) BETWEEN 1 AND 160),
  target_name TEXT NOT NULL CHECK (length(target_name) <= 300),
  detail TEXT CHECK (detail IS NULL OR length(detail) <= 1000)
) STRICT;
CREATE TRIGGER audit_log_refuse_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'AUDIT_IMMUTABLE: audit entries cannot be updated'); END;
CREATE TRIGGER audit_log_refuse_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'AUDIT_IMMUTABLE: audit entries cannot be deleted'); END;
`
