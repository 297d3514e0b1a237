// The PostgreSQL schema as an ordered list of migrations of its own, tracked in payall_schema_version.
// The idea is hub/store/migrations.ts's (append the next version, never edit one that has shipped), but the numbers
// are PostgreSQL's: version 1 here is the ledger as SQLite has it after its migrations 1 and 19 (postings keyed by
// their transfer's integer key), without the anchoring queue, which stays on SQLite with the rest of the hub for now.

import type { Migration } from '../migrations'

// Money rows are history: a mistake is corrected by a new transfer, never by editing one. One function raises for
// every guard, its message the trigger's argument, so the error names the table as SQLite's triggers do.
const LEDGER = `
CREATE FUNCTION ledger_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'LEDGER_IMMUTABLE: %', TG_ARGV[0] USING ERRCODE = 'restrict_violation';
END
$$;

CREATE TABLE accounts (
  id TEXT PRIMARY KEY CHECK (length(id) BETWEEN 1 AND 160),
  user_id TEXT,
  kind TEXT NOT NULL CHECK (kind IN ('wallet', 'hold', 'external', 'platform')),
  currency TEXT NOT NULL CHECK (length(currency) = 3),
  wallet_account_id TEXT REFERENCES accounts (id),
  balance_minor BIGINT NOT NULL DEFAULT 0,
  created_at_ms BIGINT NOT NULL,
  CHECK ((kind = 'hold') = (wallet_account_id IS NOT NULL)),
  CHECK (kind IN ('wallet', 'external') OR balance_minor >= 0)
);
CREATE UNIQUE INDEX accounts_one_hold_per_wallet ON accounts (wallet_account_id) WHERE kind = 'hold';
CREATE UNIQUE INDEX accounts_one_system_account_per_currency ON accounts (kind, currency)
  WHERE kind IN ('external', 'platform');
CREATE INDEX accounts_by_user ON accounts (user_id) WHERE user_id IS NOT NULL;

CREATE TABLE fee_schedules (
  id TEXT PRIMARY KEY,
  gateway_type TEXT NOT NULL,
  currency TEXT NOT NULL CHECK (length(currency) = 3),
  version BIGINT NOT NULL CHECK (version >= 1),
  basis_points INTEGER NOT NULL CHECK (basis_points BETWEEN 0 AND 10000),
  fixed_minor BIGINT NOT NULL CHECK (fixed_minor >= 0),
  owner_share_basis_points INTEGER NOT NULL CHECK (owner_share_basis_points BETWEEN 0 AND 10000),
  effective_from_ms BIGINT NOT NULL,
  created_at_ms BIGINT NOT NULL,
  UNIQUE (gateway_type, currency, version)
);

CREATE TABLE transfers (
  seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  id TEXT NOT NULL UNIQUE CHECK (length(id) = 64),
  kind TEXT NOT NULL CHECK (kind IN ('cash_in', 'cash_out', 'voucher_hold', 'voucher_release', 'offline_payment',
    'online_payment', 'p2p', 'refund', 'reversal', 'double_spend_excess')),
  currency TEXT NOT NULL CHECK (length(currency) = 3),
  amount_minor BIGINT NOT NULL CHECK (amount_minor > 0),
  gateway_eui TEXT,
  voucher_id TEXT,
  fee_schedule_id TEXT REFERENCES fee_schedules (id),
  metadata TEXT,
  content_sha256 TEXT NOT NULL CHECK (length(content_sha256) = 64),
  created_at_ms BIGINT NOT NULL
);
CREATE INDEX transfers_by_gateway ON transfers (gateway_eui, created_at_ms) WHERE gateway_eui IS NOT NULL;
CREATE INDEX transfers_by_voucher ON transfers (voucher_id) WHERE voucher_id IS NOT NULL;

CREATE TABLE postings (
  transfer_seq BIGINT NOT NULL REFERENCES transfers (seq),
  posting_index INTEGER NOT NULL CHECK (posting_index >= 0),
  account_id TEXT NOT NULL REFERENCES accounts (id),
  amount_minor BIGINT NOT NULL CHECK (amount_minor <> 0),
  role TEXT NOT NULL CHECK (role IN ('payer', 'payee', 'hold', 'excess', 'merchant', 'owner_share', 'platform_share')),
  PRIMARY KEY (transfer_seq, posting_index)
);
CREATE INDEX postings_by_account ON postings (account_id, role);

CREATE TABLE voucher_holds (
  voucher_id TEXT PRIMARY KEY,
  wallet_account_id TEXT NOT NULL REFERENCES accounts (id),
  hold_account_id TEXT NOT NULL REFERENCES accounts (id),
  currency TEXT NOT NULL CHECK (length(currency) = 3),
  limit_minor BIGINT NOT NULL CHECK (limit_minor > 0),
  settled_minor BIGINT NOT NULL DEFAULT 0 CHECK (settled_minor >= 0),
  released_minor BIGINT NOT NULL DEFAULT 0 CHECK (released_minor >= 0),
  excess_minor BIGINT NOT NULL DEFAULT 0 CHECK (excess_minor >= 0),
  expires_at_ms BIGINT NOT NULL,
  upload_deadline_at_ms BIGINT NOT NULL CHECK (upload_deadline_at_ms >= expires_at_ms),
  status TEXT NOT NULL CHECK (status IN ('active', 'revoked', 'released')),
  created_at_ms BIGINT NOT NULL,
  revoked_at_ms BIGINT,
  released_at_ms BIGINT,
  CHECK (settled_minor + released_minor <= limit_minor),
  CHECK ((status = 'released') = (released_at_ms IS NOT NULL))
);
CREATE INDEX voucher_holds_by_hold_account ON voucher_holds (hold_account_id);

CREATE TRIGGER transfers_refuse_change BEFORE UPDATE OR DELETE ON transfers
  FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change('transfers cannot be updated or deleted');
CREATE TRIGGER transfers_refuse_truncate BEFORE TRUNCATE ON transfers
  FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change('transfers cannot be truncated');
CREATE TRIGGER postings_refuse_change BEFORE UPDATE OR DELETE ON postings
  FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change('postings cannot be updated or deleted');
CREATE TRIGGER postings_refuse_truncate BEFORE TRUNCATE ON postings
  FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change('postings cannot be truncated');
CREATE TRIGGER fee_schedules_refuse_change BEFORE UPDATE OR DELETE ON fee_schedules
  FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change('a fee schedule changes by a new version, not by an update');
CREATE TRIGGER accounts_refuse_delete BEFORE DELETE ON accounts
  FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change('accounts cannot be deleted');
CREATE TRIGGER accounts_refuse_identity_update
  BEFORE UPDATE OF id, user_id, kind, currency, wallet_account_id, created_at_ms ON accounts
  FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change('only the balance of an account changes');
CREATE TRIGGER voucher_holds_refuse_delete BEFORE DELETE ON voucher_holds
  FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change('voucher holds cannot be deleted');
CREATE TRIGGER voucher_holds_refuse_terms_update
  BEFORE UPDATE OF voucher_id, wallet_account_id, hold_account_id, currency, limit_minor, expires_at_ms,
    upload_deadline_at_ms, created_at_ms ON voucher_holds
  FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change('the terms of a voucher hold cannot change');
CREATE TRIGGER ledger_tables_refuse_truncate BEFORE TRUNCATE ON accounts
  FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change('accounts cannot be truncated');
`

// Gateway orders and refunds as SQLite has them after its migrations 7, 9 and 19 (hub/orders/tables.ts,
// hub/refunds/tables.ts). The users the orders name are another domain's table: their foreign keys come with it.
const ORDERS_AND_REFUNDS = `
CREATE TABLE orders (
  id TEXT PRIMARY KEY CHECK (length(id) BETWEEN 1 AND 64),
  user_id TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('pending', 'validated', 'rejected')),
  currency TEXT NOT NULL CHECK (length(currency) = 3),
  total_minor BIGINT NOT NULL CHECK (total_minor >= 0),
  shipping_address TEXT NOT NULL CHECK (length(shipping_address) BETWEEN 1 AND 500),
  decision_reason TEXT CHECK (decision_reason IS NULL OR length(decision_reason) <= 500),
  decided_by_user_id TEXT,
  created_at_ms BIGINT NOT NULL,
  decided_at_ms BIGINT,
  CHECK ((status = 'pending') = (decided_at_ms IS NULL))
);
CREATE INDEX orders_by_user ON orders (user_id, created_at_ms);
CREATE INDEX orders_by_status ON orders (status, created_at_ms);

CREATE TABLE order_items (
  order_id TEXT NOT NULL REFERENCES orders (id),
  item_index INTEGER NOT NULL CHECK (item_index >= 0),
  gateway_id TEXT NOT NULL CHECK (length(gateway_id) BETWEEN 1 AND 64),
  quantity INTEGER NOT NULL CHECK (quantity >= 1),
  unit_price_minor BIGINT NOT NULL CHECK (unit_price_minor >= 0),
  PRIMARY KEY (order_id, item_index)
);

CREATE TABLE refunds (
  refund_id TEXT PRIMARY KEY CHECK (length(refund_id) = 32),
  transfer_id TEXT NOT NULL CHECK (length(transfer_id) = 64),
  ledger_transfer_id TEXT NOT NULL UNIQUE REFERENCES transfers (id),
  gateway_eui TEXT NOT NULL CHECK (length(gateway_eui) = 16),
  amount_minor BIGINT NOT NULL CHECK (amount_minor > 0),
  currency TEXT NOT NULL CHECK (length(currency) = 3),
  requested_at_ms BIGINT NOT NULL,
  created_at_ms BIGINT NOT NULL
);
CREATE INDEX refunds_by_transfer ON refunds (transfer_id);

CREATE FUNCTION refunds_refuse_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'refunds are immutable' USING ERRCODE = 'restrict_violation';
END
$$;
CREATE TRIGGER refunds_are_immutable BEFORE UPDATE ON refunds
  FOR EACH ROW EXECUTE FUNCTION refunds_refuse_update();
`

// The users and their sign-in (hub/users/tables.ts, hub/audit/tables.ts) as SQLite has them after its migrations 2, 7,
// 12, 13, 16 and 22 (user_profiles, which the users' reads join). SQLite refuses a phone that is no E.164 number on
// insert and when it changes (older rows kept theirs until the start-up rewrote them); a PostgreSQL database has no
// rows from before, so a CHECK says it. A user keeps a role: the trigger locks the user's row first, so two hubs
// taking a user's two roles at once cannot both see the other one left.
const USERS = `
CREATE TABLE users (
  id TEXT PRIMARY KEY CHECK (length(id) BETWEEN 1 AND 64),
  email TEXT UNIQUE CHECK (email IS NULL OR (length(email) BETWEEN 3 AND 254 AND email = lower(email))),
  phone TEXT UNIQUE CHECK (phone IS NULL OR length(phone) BETWEEN 3 AND 32),
  full_name TEXT NOT NULL DEFAULT '' CHECK (length(full_name) <= 200),
  password_hash TEXT NOT NULL CHECK (length(password_hash) BETWEEN 1 AND 255),
  created_at_ms BIGINT NOT NULL,
  session_generation BIGINT NOT NULL DEFAULT 0 CHECK (session_generation >= 0),
  phone_verified_at_ms BIGINT CHECK (phone_verified_at_ms IS NULL OR phone IS NOT NULL),
  suspended_at_ms BIGINT,
  email_verified_at_ms BIGINT CHECK (email_verified_at_ms IS NULL OR email IS NOT NULL),
  suspended_reason TEXT CHECK (suspended_reason IS NULL OR (suspended_at_ms IS NOT NULL AND length(suspended_reason) <= 500)),
  CHECK (email IS NOT NULL OR phone IS NOT NULL),
  CONSTRAINT users_phone_e164 CHECK (phone IS NULL OR phone ~ '^\\+[1-9][0-9]{2,14}$')
);
CREATE INDEX users_by_creation ON users (created_at_ms, id);

CREATE TABLE user_roles (
  user_id TEXT NOT NULL REFERENCES users (id),
  role TEXT NOT NULL CHECK (role IN ('operator', 'owner', 'customer')),
  granted_at_ms BIGINT NOT NULL,
  PRIMARY KEY (user_id, role)
);
CREATE INDEX user_roles_by_role ON user_roles (role, user_id);
CREATE FUNCTION user_roles_keep_one() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM 1 FROM users WHERE id = OLD.user_id FOR UPDATE;
  IF NOT EXISTS (SELECT 1 FROM user_roles WHERE user_id = OLD.user_id AND role <> OLD.role) THEN
    RAISE EXCEPTION 'a user keeps at least one role' USING ERRCODE = 'restrict_violation';
  END IF;
  RETURN OLD;
END
$$;
CREATE TRIGGER user_roles_keep_one BEFORE DELETE ON user_roles FOR EACH ROW EXECUTE FUNCTION user_roles_keep_one();

CREATE TABLE user_profiles (
  user_id TEXT PRIMARY KEY REFERENCES users (id),
  surname TEXT CHECK (surname IS NULL OR length(surname) <= 255),
  sex TEXT CHECK (sex IS NULL OR length(sex) <= 10),
  date_of_birth TEXT CHECK (date_of_birth IS NULL OR length(date_of_birth) <= 20),
  profession TEXT CHECK (profession IS NULL OR length(profession) <= 255),
  address TEXT CHECK (address IS NULL OR length(address) <= 2000),
  metadata TEXT CHECK (metadata IS NULL OR length(metadata) <= 65536),
  web_user_id TEXT UNIQUE CHECK (web_user_id IS NULL OR length(web_user_id) BETWEEN 1 AND 20),
  mobile_user_id TEXT UNIQUE CHECK (mobile_user_id IS NULL OR length(mobile_user_id) BETWEEN 1 AND 20),
  mobile_device_id TEXT CHECK (mobile_device_id IS NULL OR length(mobile_device_id) BETWEEN 1 AND 20),
  legacy_password_hash TEXT CHECK (legacy_password_hash IS NULL OR length(legacy_password_hash) BETWEEN 1 AND 255)
);

CREATE TABLE refresh_tokens (
  token_sha256 TEXT PRIMARY KEY CHECK (length(token_sha256) = 64),
  user_id TEXT NOT NULL REFERENCES users (id),
  created_at_ms BIGINT NOT NULL,
  expires_at_ms BIGINT NOT NULL CHECK (expires_at_ms > created_at_ms),
  revoked_at_ms BIGINT
);
CREATE INDEX refresh_tokens_by_user ON refresh_tokens (user_id);
CREATE INDEX refresh_tokens_by_expiry ON refresh_tokens (expires_at_ms);

CREATE TABLE revoked_tokens (
  jti TEXT PRIMARY KEY CHECK (length(jti) BETWEEN 1 AND 64),
  expires_at_ms BIGINT NOT NULL,
  revoked_at_ms BIGINT NOT NULL
);
CREATE INDEX revoked_tokens_by_expiry ON revoked_tokens (expires_at_ms);

CREATE TABLE password_resets (
  token_sha256 TEXT PRIMARY KEY CHECK (length(token_sha256) = 64),
  user_id TEXT NOT NULL REFERENCES users (id),
  created_at_ms BIGINT NOT NULL,
  expires_at_ms BIGINT NOT NULL CHECK (expires_at_ms > created_at_ms),
  used_at_ms BIGINT
);
CREATE INDEX password_resets_by_user ON password_resets (user_id, expires_at_ms);

CREATE TABLE phone_claims (
  id TEXT PRIMARY KEY CHECK (length(id) BETWEEN 1 AND 64),
  phone TEXT NOT NULL CHECK (phone ~ '^\\+[1-9]' AND length(phone) BETWEEN 4 AND 16),
  user_id TEXT REFERENCES users (id),
  sign_up_user_id TEXT CHECK (sign_up_user_id IS NULL OR length(sign_up_user_id) BETWEEN 1 AND 64),
  sign_up_full_name TEXT CHECK (sign_up_full_name IS NULL OR length(sign_up_full_name) <= 200),
  sign_up_email TEXT CHECK (sign_up_email IS NULL OR (length(sign_up_email) BETWEEN 3 AND 254 AND sign_up_email = lower(sign_up_email))),
  sign_up_password_hash TEXT CHECK (sign_up_password_hash IS NULL OR length(sign_up_password_hash) BETWEEN 1 AND 255),
  code_sha256 TEXT NOT NULL CHECK (length(code_sha256) = 64),
  code_expires_at_ms BIGINT NOT NULL,
  wrong_codes BIGINT NOT NULL DEFAULT 0 CHECK (wrong_codes >= 0),
  created_at_ms BIGINT NOT NULL,
  expires_at_ms BIGINT,
  CHECK ((user_id IS NULL) = (sign_up_user_id IS NOT NULL)),
  CHECK ((sign_up_user_id IS NULL) = (sign_up_full_name IS NULL)),
  CHECK ((sign_up_user_id IS NULL) = (sign_up_password_hash IS NULL)),
  CHECK ((sign_up_user_id IS NULL) = (expires_at_ms IS NULL)),
  CHECK (sign_up_user_id IS NOT NULL OR sign_up_email IS NULL)
);
CREATE UNIQUE INDEX phone_claims_one_per_user ON phone_claims (user_id) WHERE user_id IS NOT NULL;
CREATE INDEX phone_claims_by_phone ON phone_claims (phone);
CREATE INDEX phone_claims_by_expiry ON phone_claims (expires_at_ms) WHERE expires_at_ms IS NOT NULL;

CREATE TABLE phone_code_sends (
  phone TEXT NOT NULL,
  claimant TEXT NOT NULL CHECK (length(claimant) BETWEEN 1 AND 100),
  sent_at_ms BIGINT NOT NULL
);
CREATE INDEX phone_code_sends_by_phone ON phone_code_sends (phone, sent_at_ms);
CREATE INDEX phone_code_sends_by_claimant ON phone_code_sends (claimant, sent_at_ms);
CREATE INDEX phone_code_sends_by_time ON phone_code_sends (sent_at_ms);

CREATE TABLE email_codes (
  user_id TEXT PRIMARY KEY REFERENCES users (id),
  code_sha256 TEXT NOT NULL CHECK (length(code_sha256) = 64),
  code_expires_at_ms BIGINT NOT NULL,
  wrong_codes BIGINT NOT NULL DEFAULT 0 CHECK (wrong_codes >= 0),
  sends BIGINT NOT NULL CHECK (sends >= 1),
  sends_window_start_ms BIGINT NOT NULL
);

CREATE TABLE audit_log (
  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  at_ms BIGINT NOT NULL,
  actor_id TEXT NOT NULL REFERENCES users (id),
  actor_name TEXT NOT NULL CHECK (length(actor_name) <= 300),
  action TEXT NOT NULL CHECK (length(action) BETWEEN 1 AND 40),
  target_id TEXT NOT NULL CHECK (length(target_id) BETWEEN 1 AND 160),
  target_name TEXT NOT NULL CHECK (length(target_name) <= 300),
  detail TEXT CHECK (detail IS NULL OR length(detail) <= 1000)
);
CREATE FUNCTION audit_log_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'AUDIT_IMMUTABLE: %', TG_ARGV[0] USING ERRCODE = 'restrict_violation';
END
$$;
CREATE TRIGGER audit_log_refuse_update BEFORE UPDATE ON audit_log
  FOR EACH ROW EXECUTE FUNCTION audit_log_refuse_change('audit entries cannot be updated');
CREATE TRIGGER audit_log_refuse_delete BEFORE DELETE ON audit_log
  FOR EACH ROW EXECUTE FUNCTION audit_log_refuse_change('audit entries cannot be deleted');
CREATE TRIGGER audit_log_refuse_truncate BEFORE TRUNCATE ON audit_log
  FOR EACH STATEMENT EXECUTE FUNCTION audit_log_refuse_change('audit entries cannot be truncated');
`

export const PG_MIGRATIONS: readonly Migration[] = [
  { version: 1, name: 'ledger (SQLite migrations 1 and 19, without the anchoring queue)', sql: LEDGER },
  { version: 2, name: 'gateway orders and refunds', sql: ORDERS_AND_REFUNDS },
  { version: 3, name: 'users, their sign-in and the audit log (SQLite migrations 2, 7, 12, 13, 16, 22)', sql: USERS },
  // Versions are numbered in the order they land: the next one is the last one here plus one.
]
