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

// Phone numbers proved by a one-time code (hub/users/phone-verification.ts). users.phone holds a number only once
// its owner proved it, in E.164; a row whose number has no phone_verified_at_ms kept it from before this migration
// (hub/users/stored-phones.ts rewrites those in E.164 at start). A number wanted but not yet proved is a claim:
// a signed-in user's change of number (one per user), or a phone sign-up whose account the proof creates. Claims
// are not unique per number: whoever proves the number first gets it, and the other claims on it end. Codes are
// kept as SHA-256 hashes only; phone_code_sends counts the codes sent, per number and per claimant, for the limits.
export const PHONE_VERIFICATION_SQL = `
ALTER TABLE users ADD COLUMN phone_verified_at_ms INTEGER CHECK (phone_verified_at_ms IS NULL OR phone IS NOT NULL);
CREATE TRIGGER users_new_phones_are_e164 BEFORE UPDATE OF phone ON users
WHEN NEW.phone IS NOT NULL AND NEW.phone IS NOT OLD.phone
  AND NOT (NEW.phone GLOB '+[1-9]*' AND NOT substr(NEW.phone, 2) GLOB '*[^0-9]*' AND length(NEW.phone) BETWEEN 4 AND 16)
BEGIN SELECT RAISE(ABORT, 'users.phone takes E.164 numbers only'); END;
CREATE TRIGGER users_inserted_phones_are_e164 BEFORE INSERT ON users
WHEN NEW.phone IS NOT NULL
  AND NOT (NEW.phone GLOB '+[1-9]*' AND NOT substr(NEW.phone, 2) GLOB '*[^0-9]*' AND length(NEW.phone) BETWEEN 4 AND 16)
BEGIN SELECT RAISE(ABORT, 'users.phone takes E.164 numbers only'); END;

CREATE TABLE phone_claims (
  id TEXT PRIMARY KEY CHECK (length(id) BETWEEN 1 AND 64),
  phone TEXT NOT NULL CHECK (phone GLOB '+[1-9]*' AND length(phone) BETWEEN 4 AND 16),
  -- The signed-in user who wants the number; NULL for a sign-up, whose account does not exist yet.
  user_id TEXT REFERENCES users (id),
  sign_up_user_id TEXT CHECK (sign_up_user_id IS NULL OR length(sign_up_user_id) BETWEEN 1 AND 64),
  sign_up_full_name TEXT CHECK (sign_up_full_name IS NULL OR length(sign_up_full_name) <= 200),
  sign_up_email TEXT CHECK (sign_up_email IS NULL OR (length(sign_up_email) BETWEEN 3 AND 254 AND sign_up_email = lower(sign_up_email))),
  sign_up_password_hash TEXT CHECK (sign_up_password_hash IS NULL OR length(sign_up_password_hash) BETWEEN 1 AND 255),
  code_sha256 TEXT NOT NULL CHECK (length(code_sha256) = 64),
  code_expires_at_ms INTEGER NOT NULL,
  wrong_codes INTEGER NOT NULL DEFAULT 0 CHECK (wrong_codes >= 0),
  created_at_ms INTEGER NOT NULL,
  -- Sign-ups only: an account nobody proved in time is forgotten. A user's claim lasts until replaced or proved.
  expires_at_ms INTEGER,
  CHECK ((user_id IS NULL) = (sign_up_user_id IS NOT NULL)),
  CHECK ((sign_up_user_id IS NULL) = (sign_up_full_name IS NULL)),
  CHECK ((sign_up_user_id IS NULL) = (sign_up_password_hash IS NULL)),
  CHECK ((sign_up_user_id IS NULL) = (expires_at_ms IS NULL)),
  CHECK (sign_up_user_id IS NOT NULL OR sign_up_email IS NULL)
) STRICT;
CREATE UNIQUE INDEX phone_claims_one_per_user ON phone_claims (user_id) WHERE user_id IS NOT NULL;
CREATE INDEX phone_claims_by_phone ON phone_claims (phone);
CREATE INDEX phone_claims_by_expiry ON phone_claims (expires_at_ms) WHERE expires_at_ms IS NOT NULL;

CREATE TABLE phone_code_sends (
  phone TEXT NOT NULL,
  -- 'user:<id>' or 'sign-up:<claim id>'.
  claimant TEXT NOT NULL CHECK (length(claimant) BETWEEN 1 AND 100),
  sent_at_ms INTEGER NOT NULL
) STRICT;
CREATE INDEX phone_code_sends_by_phone ON phone_code_sends (phone, sent_at_ms);
CREATE INDEX phone_code_sends_by_claimant ON phone_code_sends (claimant, sent_at_ms);
CREATE INDEX phone_code_sends_by_time ON phone_code_sends (sent_at_ms);
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

// Roles add up: a user holds a set of them, one row each (hub/http/roles.ts), and users.role goes. Every user keeps
// at least one: a trigger refuses to delete the last. Users carry over with the role they had; an owner, who was a
// customer until an order of theirs was validated, also holds 'customer' again, so they keep the customer routes.
// An email is proved by a code sent to it (hub/users/email-verification.ts): email_verified_at_ms. Accounts from
// before keep none: they prove their email (or phone) before they move money, like every new one. email_codes holds
// the one live code of a user, as a SHA-256 hash, and counts the codes sent in a fixed window for the send limit.
// An operator's suspension now says why (suspended_reason).
export const USER_ROLES_AND_EMAIL_PROOFS_SQL = `
CREATE TABLE user_roles (
  user_id TEXT NOT NULL REFERENCES users (id),
  role TEXT NOT NULL CHECK (role IN ('operator', 'owner', 'customer')),
  granted_at_ms INTEGER NOT NULL,
  PRIMARY KEY (user_id, role)
) STRICT, WITHOUT ROWID;
CREATE INDEX user_roles_by_role ON user_roles (role, user_id);
CREATE TRIGGER user_roles_keep_one BEFORE DELETE ON user_roles
WHEN NOT EXISTS (SELECT 1 FROM user_roles WHERE user_id = OLD.user_id AND role <> OLD.role)
BEGIN SELECT RAISE(ABORT, 'a user keeps at least one role'); END;
INSERT INTO user_roles (user_id, role, granted_at_ms) SELECT id, role, created_at_ms FROM users;
INSERT INTO user_roles (user_id, role, granted_at_ms) SELECT id, 'customer', created_at_ms FROM users WHERE role = 'owner';
DROP INDEX users_by_role;
ALTER TABLE users DROP COLUMN role;

ALTER TABLE users ADD COLUMN email_verified_at_ms INTEGER CHECK (email_verified_at_ms IS NULL OR email IS NOT NULL);
ALTER TABLE users ADD COLUMN suspended_reason TEXT
  CHECK (suspended_reason IS NULL OR (suspended_at_ms IS NOT NULL AND length(suspended_reason) <= 500));
-- The operators' list of users pages newest first.
CREATE INDEX users_by_creation ON users (created_at_ms, id);

CREATE TABLE email_codes (
  user_id TEXT PRIMARY KEY REFERENCES users (id),
  code_sha256 TEXT NOT NULL CHECK (length(code_sha256) = 64),
  code_expires_at_ms INTEGER NOT NULL,
  wrong_codes INTEGER NOT NULL DEFAULT 0 CHECK (wrong_codes >= 0),
  sends INTEGER NOT NULL CHECK (sends >= 1),
  sends_window_start_ms INTEGER NOT NULL
) STRICT;
`
