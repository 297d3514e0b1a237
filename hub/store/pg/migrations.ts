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

// Devices, vouchers and the revocation list (SQLite's migrations 4, 11 and 22), KYC documents and the mobile API's
// tables (SQLite's 7) as SQLite has them after all its migrations. The foreign keys to users are left to the
// migration that brings the users table here. revocation_state's one row is there from the start: issuing a voucher
// locks it (vouchers.ts), and a revocation moves its serial from the value it read (revocation-store.ts).
const DEVICES_VOUCHERS_KYC_MOBILE = `
CREATE TABLE devices (
  id TEXT PRIMARY KEY CHECK (length(id) BETWEEN 1 AND 64),
  user_id TEXT NOT NULL,
  imei TEXT NOT NULL CHECK (length(imei) BETWEEN 1 AND 64),
  public_key BYTEA CHECK (public_key IS NULL OR length(public_key) = 32),
  model TEXT,
  brand TEXT,
  status TEXT NOT NULL CHECK (status IN ('bound', 'unbound')),
  bound_at_ms BIGINT NOT NULL,
  unbound_at_ms BIGINT
);
CREATE UNIQUE INDEX devices_one_bound_per_imei ON devices (imei) WHERE status = 'bound';
CREATE UNIQUE INDEX devices_one_bound_per_key ON devices (public_key) WHERE status = 'bound' AND public_key IS NOT NULL;
CREATE INDEX devices_by_user ON devices (user_id);

CREATE TABLE vouchers (
  voucher_id TEXT PRIMARY KEY CHECK (length(voucher_id) = 32),
  device_id TEXT NOT NULL REFERENCES devices (id),
  user_id TEXT NOT NULL,
  wallet_account_id TEXT NOT NULL REFERENCES accounts (id),
  device_public_key BYTEA NOT NULL CHECK (length(device_public_key) = 32),
  currency TEXT NOT NULL CHECK (length(currency) = 3),
  limit_minor BIGINT NOT NULL CHECK (limit_minor > 0),
  issued_at_ms BIGINT NOT NULL,
  expires_at_ms BIGINT NOT NULL CHECK (expires_at_ms > issued_at_ms),
  upload_deadline_at_ms BIGINT NOT NULL CHECK (upload_deadline_at_ms >= expires_at_ms),
  voucher BYTEA NOT NULL,
  revoked_at_ms BIGINT,
  revoked_reason TEXT,
  listed_serial BIGINT CHECK (listed_serial IS NULL OR listed_serial >= 1),
  unlisted_serial BIGINT CHECK (unlisted_serial IS NULL OR (listed_serial IS NOT NULL AND unlisted_serial > listed_serial))
);
CREATE INDEX vouchers_by_device ON vouchers (device_id);
CREATE INDEX vouchers_open_by_deadline ON vouchers (upload_deadline_at_ms);
CREATE INDEX vouchers_by_user_expiry ON vouchers (user_id, expires_at_ms);
CREATE INDEX vouchers_by_user_issued ON vouchers (user_id, issued_at_ms);
CREATE INDEX vouchers_by_user_revoked ON vouchers (user_id, revoked_at_ms) WHERE revoked_at_ms IS NOT NULL;
CREATE INDEX vouchers_by_expiry ON vouchers (expires_at_ms);
CREATE INDEX vouchers_listed ON vouchers (voucher_id) WHERE listed_serial IS NOT NULL AND unlisted_serial IS NULL;
CREATE INDEX vouchers_listed_by_expiry ON vouchers (expires_at_ms) WHERE listed_serial IS NOT NULL AND unlisted_serial IS NULL;

CREATE TABLE revocation_state (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  serial BIGINT NOT NULL CHECK (serial >= 0)
);
INSERT INTO revocation_state (id, serial) VALUES (1, 0);

CREATE TABLE revocation_deltas (
  serial BIGINT PRIMARY KEY CHECK (serial >= 1),
  delta BYTEA NOT NULL,
  issued_at_ms BIGINT NOT NULL
);

CREATE TABLE kyc_documents (
  id TEXT PRIMARY KEY CHECK (length(id) BETWEEN 1 AND 64),
  user_id TEXT NOT NULL,
  kind TEXT NOT NULL CHECK (length(kind) BETWEEN 1 AND 40),
  media_type TEXT NOT NULL CHECK (media_type IN ('application/pdf', 'image/png', 'image/jpeg')),
  size_bytes BIGINT NOT NULL CHECK (size_bytes > 0),
  content_sha256 TEXT NOT NULL CHECK (length(content_sha256) = 64),
  nonce BYTEA NOT NULL CHECK (length(nonce) = 24),
  ciphertext BYTEA NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'rejected')),
  review_reason TEXT CHECK (review_reason IS NULL OR length(review_reason) <= 500),
  reviewed_by_user_id TEXT,
  uploaded_at_ms BIGINT NOT NULL,
  reviewed_at_ms BIGINT,
  CHECK ((status = 'pending') = (reviewed_at_ms IS NULL))
);
CREATE INDEX kyc_documents_by_user ON kyc_documents (user_id, uploaded_at_ms);
CREATE INDEX kyc_documents_by_status ON kyc_documents (status);

CREATE TABLE mobile_payments (
  id TEXT PRIMARY KEY CHECK (length(id) BETWEEN 1 AND 64),
  payer_user_id TEXT NOT NULL,
  payee_user_id TEXT NOT NULL,
  payer_account_id TEXT NOT NULL,
  payee_account_id TEXT NOT NULL,
  currency TEXT NOT NULL CHECK (length(currency) = 3),
  amount_minor BIGINT NOT NULL CHECK (amount_minor > 0),
  code_sha256 TEXT NOT NULL CHECK (length(code_sha256) = 64),
  wrong_codes BIGINT NOT NULL DEFAULT 0 CHECK (wrong_codes >= 0),
  status TEXT NOT NULL CHECK (status IN ('awaiting_confirmation', 'settled', 'cancelled')),
  transfer_id TEXT CHECK (transfer_id IS NULL OR length(transfer_id) = 64),
  created_at_ms BIGINT NOT NULL,
  expires_at_ms BIGINT NOT NULL CHECK (expires_at_ms > created_at_ms),
  closed_at_ms BIGINT,
  CHECK ((status = 'settled') = (transfer_id IS NOT NULL)),
  CHECK ((status = 'awaiting_confirmation') = (closed_at_ms IS NULL))
);
CREATE INDEX mobile_payments_by_payer ON mobile_payments (payer_user_id, created_at_ms);

CREATE TABLE account_links (
  account_no TEXT PRIMARY KEY CHECK (length(account_no) BETWEEN 1 AND 64),
  user_id TEXT NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('wallet', 'bank')),
  linked_at_ms BIGINT NOT NULL
);
CREATE INDEX account_links_by_user ON account_links (user_id);
`

export const PG_MIGRATIONS: readonly Migration[] = [
  { version: 1, name: 'ledger (SQLite migrations 1 and 19, without the anchoring queue)', sql: LEDGER },
  { version: 2, name: 'devices, vouchers and revocations; kyc documents; mobile payments and account links', sql: DEVICES_VOUCHERS_KYC_MOBILE },
  // Versions are numbered in the order they land: the next one is the last one here plus one.
]
