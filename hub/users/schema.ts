// The tables of users and their sessions (listed in hub/store/migrations.ts).
// Times are Unix milliseconds, like the ledger's.

// A user logs in with an email or a phone (the legacy system had both); the operator account has
// an email. Refresh tokens are stored as SHA-256 hashes only, so a leaked database grants no
// session. Revoked access tokens are kept by jti until they would have expired anyway.
export const USERS_SQL = `
CREATE TABLE users (
  id TEXT PRIMARY KEY CHECK (length(id) BETWEEN 1 AND 64),
  email TEXT UNIQUE CHECK (email IS NULL OR (length(email) BETWEEN 3 AND 254 AND email = lower(email))),
  phone TEXT UNIQUE CHECK (phone IS NULL OR length(phone) BETWEEN 3 AND 32),
  full_name TEXT NOT NULL DEFAULT '' CHECK (length(full_name) <= 200),
  password_hash TEXT NOT NULL CHECK (length(password_hash) BETWEEN 1 AND 255),
  role TEXT NOT NULL CHECK (role IN ('operator', 'owner', 'customer')),
  failed_logins INTEGER NOT NULL DEFAULT 0 CHECK (failed_logins >= 0),
  locked_until_ms INTEGER,
  created_at_ms INTEGER NOT NULL,
  CHECK (email IS NOT NULL OR phone IS NOT NULL)
) STRICT;
CREATE INDEX users_by_role ON users (role);

CREATE TABLE refresh_tokens (
  token_sha256 TEXT PRIMARY KEY CHECK (length(token_sha256) = 64),
  user_id TEXT NOT NULL REFERENCES users (id),
  created_at_ms INTEGER NOT NULL,
  expires_at_ms INTEGER NOT NULL CHECK (expires_at_ms > created_at_ms),
  revoked_at_ms INTEGER
) STRICT;
CREATE INDEX refresh_tokens_by_user ON refresh_tokens (user_id);

CREATE TABLE revoked_tokens (
  jti TEXT PRIMARY KEY CHECK (length(jti) BETWEEN 1 AND 64),
  expires_at_ms INTEGER NOT NULL,
  revoked_at_ms INTEGER NOT NULL
) STRICT;
CREATE INDEX revoked_tokens_by_expiry ON revoked_tokens (expires_at_ms);
`

// Added with the rest of the REST API. session_generation ends every session at once: access tokens
// carry the generation they were issued under, and a password change or reset moves it on.
// Password reset tokens, like refresh tokens, are kept only as SHA-256 hashes.
export const USERS_SESSIONS_SQL = `
ALTER TABLE users ADD COLUMN session_generation INTEGER NOT NULL DEFAULT 0 CHECK (session_generation >= 0);

CREATE TABLE password_resets (
  token_sha256 TEXT PRIMARY KEY CHECK (length(token_sha256) = 64),
  user_id TEXT NOT NULL REFERENCES users (id),
  created_at_ms INTEGER NOT NULL,
  expires_at_ms INTEGER NOT NULL CHECK (expires_at_ms > created_at_ms),
  used_at_ms INTEGER
) STRICT;
CREATE INDEX password_resets_by_user ON password_resets (user_id, expires_at_ms);
CREATE INDEX refresh_tokens_by_expiry ON refresh_tokens (expires_at_ms);
`

// An operator suspends an account by stamping suspended_at_ms (NULL: active). A suspended user gets no new
// token, and authenticate refuses the ones they hold from the next request on. Failed logins are no longer
// counted per account row (which only known accounts have, so a lock told them apart): the LoginThrottle
// (hub/users/login-throttle.ts) counts them by address and by identifier hash.
export const USERS_SUSPENSION_SQL = `
ALTER TABLE users ADD COLUMN suspended_at_ms INTEGER;
ALTER TABLE users DROP COLUMN failed_logins;
ALTER TABLE users DROP COLUMN locked_until_ms;
`
