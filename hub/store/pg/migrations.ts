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

// Anchoring, notifications and live event ids, as SQLite has them after its migrations 6, 7, 17 and 21. Batches cover
// ranges of the transfers' keys from the first transfer on: PostgreSQL never had SQLite's queue of transfers, so
// anchor_queue and anchor_leaves stay empty (the anchoring store reads them on both engines). Not here: the outbox's
// foreign key to users (users is not in this schema yet).
const ANCHORING_NOTIFY_EVENTS = `
CREATE FUNCTION anchor_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'ANCHOR_IMMUTABLE: %', TG_ARGV[0] USING ERRCODE = 'restrict_violation';
END
$$;

CREATE TABLE anchor_queue (
  seq BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
  transfer_id TEXT NOT NULL CHECK (length(transfer_id) = 64),
  queued_at_ms BIGINT NOT NULL
);

-- status: sealed (signed by the hub, not on chain yet), sent (a transaction is out: tx_hash and tx_nonce say
-- which), anchored (the contract holds the root, with enough confirmations), conflict (the contract holds
-- another root under this id: an operator must look).
CREATE TABLE anchor_batches (
  id BIGINT PRIMARY KEY CHECK (id >= 1),
  root BYTEA NOT NULL CHECK (length(root) = 32),
  leaf_count BIGINT NOT NULL CHECK (leaf_count >= 1),
  sealed_at_ms BIGINT NOT NULL,
  hub_signature BYTEA NOT NULL CHECK (length(hub_signature) = 64),
  status TEXT NOT NULL CHECK (status IN ('sealed', 'sent', 'anchored', 'conflict')),
  chain_id BIGINT,
  contract_address TEXT CHECK (contract_address IS NULL OR length(contract_address) = 42),
  sender_address TEXT CHECK (sender_address IS NULL OR length(sender_address) = 42),
  tx_hash TEXT CHECK (tx_hash IS NULL OR length(tx_hash) = 66),
  tx_nonce BIGINT CHECK (tx_nonce IS NULL OR tx_nonce >= 0),
  sent_at_ms BIGINT,
  send_count BIGINT NOT NULL DEFAULT 0 CHECK (send_count >= 0),
  block_number BIGINT,
  anchored_at_ms BIGINT,
  last_error TEXT,
  first_seq BIGINT,
  last_seq BIGINT,
  CHECK (status = 'sealed' OR (chain_id IS NOT NULL AND contract_address IS NOT NULL)),
  CHECK (status <> 'sent' OR (tx_hash IS NOT NULL AND tx_nonce IS NOT NULL AND sender_address IS NOT NULL)),
  CHECK ((status = 'anchored') = (block_number IS NOT NULL AND anchored_at_ms IS NOT NULL))
);
CREATE INDEX anchor_batches_unanchored ON anchor_batches (id) WHERE status <> 'anchored';
-- Two hubs sealing the same range at once: the second insert fails here (or on the id), and its seal is redone.
CREATE UNIQUE INDEX anchor_batches_by_range ON anchor_batches (first_seq) WHERE first_seq IS NOT NULL;

CREATE TABLE anchor_leaves (
  transfer_id TEXT PRIMARY KEY CHECK (length(transfer_id) = 64),
  batch_id BIGINT NOT NULL REFERENCES anchor_batches (id),
  leaf_index BIGINT NOT NULL CHECK (leaf_index >= 0),
  UNIQUE (batch_id, leaf_index)
);

CREATE TABLE anchor_ranges_origin (
  only_row BIGINT PRIMARY KEY CHECK (only_row = 1),
  from_seq BIGINT NOT NULL CHECK (from_seq >= 1)
);
INSERT INTO anchor_ranges_origin (only_row, from_seq) VALUES (1, 1);

-- A range starts where the last one ended, or at the origin; found through anchor_batches_by_range.
CREATE FUNCTION anchor_batches_ranges_follow() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF (NEW.first_seq IS NULL) <> (NEW.last_seq IS NULL)
     OR NEW.last_seq < NEW.first_seq
     OR NEW.first_seq <> coalesce((SELECT last_seq FROM anchor_batches WHERE first_seq IS NOT NULL ORDER BY first_seq DESC LIMIT 1) + 1,
       (SELECT from_seq FROM anchor_ranges_origin)) THEN
    RAISE EXCEPTION 'ANCHOR_RANGE: a batch covers the keys right after the last batch''s' USING ERRCODE = 'check_violation';
  END IF;
  RETURN NEW;
END
$$;
CREATE TRIGGER anchor_batches_ranges_follow BEFORE INSERT ON anchor_batches
  FOR EACH ROW EXECUTE FUNCTION anchor_batches_ranges_follow();

-- A sealed batch is history like the transfers in it: only its chain state moves on.
CREATE TRIGGER anchor_batches_refuse_delete BEFORE DELETE ON anchor_batches
  FOR EACH ROW EXECUTE FUNCTION anchor_refuse_change('sealed batches cannot be deleted');
CREATE TRIGGER anchor_batches_refuse_truncate BEFORE TRUNCATE ON anchor_batches
  FOR EACH STATEMENT EXECUTE FUNCTION anchor_refuse_change('sealed batches cannot be truncated');
CREATE TRIGGER anchor_batches_refuse_content_update
  BEFORE UPDATE OF id, root, leaf_count, sealed_at_ms, hub_signature, first_seq, last_seq ON anchor_batches
  FOR EACH ROW EXECUTE FUNCTION anchor_refuse_change('a sealed batch keeps its root, count, signature and range');
CREATE TRIGGER anchor_leaves_refuse_change BEFORE UPDATE OR DELETE ON anchor_leaves
  FOR EACH ROW EXECUTE FUNCTION anchor_refuse_change('leaves cannot be updated or deleted');
CREATE TRIGGER anchor_leaves_refuse_truncate BEFORE TRUNCATE ON anchor_leaves
  FOR EACH STATEMENT EXECUTE FUNCTION anchor_refuse_change('leaves cannot be truncated');
CREATE TRIGGER anchor_ranges_origin_refuse_update BEFORE UPDATE ON anchor_ranges_origin
  FOR EACH ROW EXECUTE FUNCTION anchor_refuse_change('the ranges start where they started');

CREATE TABLE notification_outbox (
  id TEXT PRIMARY KEY CHECK (length(id) BETWEEN 1 AND 64),
  channel TEXT NOT NULL CHECK (channel IN ('email', 'sms')),
  recipient TEXT NOT NULL CHECK (length(recipient) BETWEEN 3 AND 254),
  kind TEXT NOT NULL CHECK (length(kind) BETWEEN 1 AND 40),
  subject TEXT NOT NULL CHECK (length(subject) <= 200),
  body TEXT NOT NULL CHECK (length(body) <= 4000),
  -- A one-time secret (reset token, payment code) is in the body: erased once the message is done with.
  sensitive INTEGER NOT NULL CHECK (sensitive IN (0, 1)),
  user_id TEXT,
  status TEXT NOT NULL CHECK (status IN ('pending', 'sent', 'failed')),
  attempts BIGINT NOT NULL DEFAULT 0 CHECK (attempts >= 0),
  next_attempt_at_ms BIGINT NOT NULL,
  last_error TEXT CHECK (last_error IS NULL OR length(last_error) <= 500),
  provider_id TEXT,
  created_at_ms BIGINT NOT NULL,
  done_at_ms BIGINT,
  CHECK ((status = 'pending') = (done_at_ms IS NULL))
);
CREATE INDEX notification_outbox_due ON notification_outbox (next_attempt_at_ms) WHERE status = 'pending';
CREATE INDEX notification_outbox_by_status ON notification_outbox (status);

CREATE TABLE live_event_ids (
  id BIGINT PRIMARY KEY CHECK (id = 1),
  -- Every id below this one may have been handed out; a hub reserves its ids from here on, a block at a time.
  next_id BIGINT NOT NULL CHECK (next_id >= 1)
);
INSERT INTO live_event_ids (id, next_id) VALUES (1, 1);
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

// Gateways and LoRa: the gateways table as SQLite has it after its migrations 3, 17 and 20 (an EUI reused once its
// gateway is retired; presence per EUI), the LoRa reports and devices (8, 10, 11, 20), and the broker's password
// nonces (14). SQLite's implicit rowid of gateways is a column here: BY_EUI (hub/gateways/store.ts) breaks ties by it.
// Left to the lead's cross-domain migration: gateways.owner_user_id REFERENCES users (id).
const GATEWAYS = `
CREATE TABLE gateways (
  rowid BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,
  id TEXT PRIMARY KEY CHECK (length(id) BETWEEN 1 AND 64),
  eui TEXT NOT NULL CHECK (length(eui) = 16),
  name TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 120),
  type TEXT NOT NULL CHECK (length(type) BETWEEN 1 AND 40),
  price_minor BIGINT NOT NULL DEFAULT 0 CHECK (price_minor >= 0),
  price_currency TEXT NOT NULL DEFAULT 'XOF' CHECK (length(price_currency) = 3),
  status TEXT NOT NULL CHECK (status IN ('available', 'assigned', 'provisioned', 'retired')),
  owner_user_id TEXT,
  merchant_account_id TEXT REFERENCES accounts (id),
  public_key BYTEA CHECK (public_key IS NULL OR length(public_key) = 32),
  provisioning_token_sha256 TEXT CHECK (provisioning_token_sha256 IS NULL OR length(provisioning_token_sha256) = 64),
  provisioning_token_expires_at_ms BIGINT,
  risk_config BYTEA,
  risk_config_serial BIGINT NOT NULL DEFAULT 0,
  created_at_ms BIGINT NOT NULL,
  provisioned_at_ms BIGINT,
  retired_at_ms BIGINT,
  chain BIGINT NOT NULL DEFAULT 1 CHECK (chain >= 1),
  CHECK (status <> 'provisioned' OR (public_key IS NOT NULL AND merchant_account_id IS NOT NULL AND owner_user_id IS NOT NULL))
);
CREATE INDEX gateways_by_owner ON gateways (owner_user_id) WHERE owner_user_id IS NOT NULL;
CREATE INDEX gateways_by_eui ON gateways (eui, created_at_ms);
CREATE UNIQUE INDEX gateways_live_eui ON gateways (eui) WHERE status <> 'retired';

CREATE TABLE gateway_presence (
  eui TEXT PRIMARY KEY CHECK (length(eui) = 16),
  online INTEGER NOT NULL CHECK (online IN (0, 1)),
  last_seen_at_ms BIGINT NOT NULL,
  connected_at_ms BIGINT
);

CREATE TABLE lora_devices (
  eui TEXT PRIMARY KEY CHECK (length(eui) = 16),
  dev_eui TEXT NOT NULL,
  device_id TEXT NOT NULL,
  last_f_cnt BIGINT NOT NULL CHECK (last_f_cnt >= 0),
  last_frame_time_s BIGINT NOT NULL,
  last_report_at_ms BIGINT NOT NULL,
  revocation_serial_queued BIGINT NOT NULL DEFAULT 0 CHECK (revocation_serial_queued >= 0),
  catch_up_serial BIGINT CHECK (catch_up_serial IS NULL OR catch_up_serial >= 1),
  catch_up_after_id TEXT CHECK ((catch_up_serial IS NULL) = (catch_up_after_id IS NULL)),
  catch_up_message BYTEA CHECK (catch_up_message IS NULL OR catch_up_serial IS NOT NULL),
  catch_up_fragment BIGINT NOT NULL DEFAULT 0 CHECK (catch_up_fragment >= 0),
  lora_chunk_next BIGINT NOT NULL DEFAULT 0 CHECK (lora_chunk_next >= 0)
);

CREATE TABLE lora_reports (
  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  eui TEXT NOT NULL CHECK (length(eui) = 16),
  f_cnt BIGINT NOT NULL CHECK (f_cnt >= 0),
  gateway_seq BIGINT NOT NULL CHECK (gateway_seq >= 0),
  unsynced_count BIGINT NOT NULL CHECK (unsynced_count >= 0),
  unsynced_amount_minor BIGINT NOT NULL CHECK (unsynced_amount_minor >= 0),
  currency TEXT NOT NULL CHECK (length(currency) = 3),
  head_prefix BYTEA NOT NULL CHECK (length(head_prefix) = 16),
  frame_time_s BIGINT NOT NULL,
  rssi DOUBLE PRECISION,
  snr DOUBLE PRECISION,
  received_at_ms BIGINT NOT NULL,
  check_state TEXT NOT NULL CHECK (check_state IN ('pending', 'consistent', 'mismatch')),
  mismatch TEXT CHECK ((check_state = 'mismatch') = (mismatch IS NOT NULL)),
  mismatch_detail TEXT,
  checked_at_ms BIGINT,
  chain BIGINT NOT NULL DEFAULT 1 CHECK (chain >= 1)
);
CREATE INDEX lora_reports_by_gateway ON lora_reports (eui, id);
CREATE INDEX lora_reports_pending ON lora_reports (eui, chain, gateway_seq) WHERE check_state = 'pending';

CREATE TABLE mqtt_password_nonces (
  eui TEXT NOT NULL CHECK (length(eui) = 16),
  nonce BYTEA NOT NULL CHECK (length(nonce) = 16),
  expires_at_ms BIGINT NOT NULL,
  PRIMARY KEY (eui, nonce)
);
CREATE INDEX mqtt_password_nonces_by_expiry ON mqtt_password_nonces (expires_at_ms);

CREATE TABLE mqtt_password_clock (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  highest_now_ms BIGINT NOT NULL
);
`

// The foreign keys between domains that SQLite has and the migrations above left out, each domain's tables having
// come in its own migration: every user a row names is a user (SQLite's migrations 3, 4, 7, 9, 11 and 21 say so).
const CROSS_DOMAIN_KEYS = `
ALTER TABLE orders ADD FOREIGN KEY (user_id) REFERENCES users (id);
ALTER TABLE orders ADD FOREIGN KEY (decided_by_user_id) REFERENCES users (id);
ALTER TABLE notification_outbox ADD FOREIGN KEY (user_id) REFERENCES users (id);
ALTER TABLE devices ADD FOREIGN KEY (user_id) REFERENCES users (id);
ALTER TABLE vouchers ADD FOREIGN KEY (user_id) REFERENCES users (id);
ALTER TABLE kyc_documents ADD FOREIGN KEY (user_id) REFERENCES users (id);
ALTER TABLE kyc_documents ADD FOREIGN KEY (reviewed_by_user_id) REFERENCES users (id);
ALTER TABLE mobile_payments ADD FOREIGN KEY (payer_user_id) REFERENCES users (id);
ALTER TABLE mobile_payments ADD FOREIGN KEY (payee_user_id) REFERENCES users (id);
ALTER TABLE account_links ADD FOREIGN KEY (user_id) REFERENCES users (id);
ALTER TABLE gateways ADD FOREIGN KEY (owner_user_id) REFERENCES users (id);
`

// The ingest (hub/ingest/tables.ts) as SQLite has it after its migrations 5, 15, 18, 20, 23 and 24, without the
// revocation_lists table (dropped by SQLite's migration 11). Several hubs write these tables at once: the keys decide
// (a record's (eui, chain, gateway_seq) taken once, a double spend's pair flagged once, one refusal and one void per
// transfer id), and the chain's row is moved by a conditional UPDATE from the position its writer read (store.ts).
// Their foreign keys to the gateways and users of migrations 5 and 6 are as SQLite has them.
const INGEST = `
CREATE TABLE gateway_records (
  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  eui TEXT NOT NULL CHECK (length(eui) = 16),
  chain BIGINT NOT NULL CHECK (chain >= 1),
  gateway_seq BIGINT NOT NULL CHECK (gateway_seq >= 1),
  record_hash BYTEA NOT NULL CHECK (length(record_hash) = 32),
  transfer_id TEXT NOT NULL CHECK (length(transfer_id) = 64),
  voucher_id TEXT NOT NULL CHECK (length(voucher_id) = 32),
  voucher_seq BIGINT NOT NULL,
  cumulative_minor BIGINT NOT NULL,
  amount_minor BIGINT NOT NULL,
  currency TEXT NOT NULL,
  mode INTEGER NOT NULL,
  time_ms BIGINT NOT NULL,
  record BYTEA NOT NULL,
  outcome TEXT NOT NULL CHECK (outcome IN ('settled', 'flagged', 'rejected')),
  reason INTEGER NOT NULL,
  received_at_ms BIGINT NOT NULL,
  UNIQUE (eui, chain, gateway_seq)
);
CREATE INDEX gateway_records_by_voucher ON gateway_records (voucher_id, voucher_seq);

CREATE TABLE gateway_chains (
  eui TEXT NOT NULL CHECK (length(eui) = 16),
  chain BIGINT NOT NULL CHECK (chain >= 1),
  -- The gateway and key that sign the chain; NULL only for a chain whose gateway row was gone before chains had numbers.
  gateway_id TEXT REFERENCES gateways (id),
  public_key BYTEA CHECK (public_key IS NULL OR length(public_key) = 32),
  state TEXT NOT NULL CHECK (state IN ('open', 'closing', 'closed')),
  contiguous_seq BIGINT NOT NULL,
  contiguous_hash BYTEA NOT NULL CHECK (length(contiguous_hash) = 32),
  highest_seq BIGINT NOT NULL,
  head BYTEA,
  opened_at_ms BIGINT NOT NULL,
  updated_at_ms BIGINT,
  closing_at_ms BIGINT,
  closed_at_ms BIGINT,
  written_off_from_seq BIGINT,
  written_off_to_seq BIGINT,
  written_off_by_user_id TEXT REFERENCES users (id),
  written_off_note TEXT,
  PRIMARY KEY (eui, chain),
  CHECK ((state = 'open') = (closing_at_ms IS NULL)),
  CHECK ((state = 'closed') = (closed_at_ms IS NOT NULL)),
  CHECK ((written_off_from_seq IS NULL) = (written_off_to_seq IS NULL)
    AND (written_off_from_seq IS NULL) = (written_off_by_user_id IS NULL)
    AND (written_off_from_seq IS NULL) = (written_off_note IS NULL)),
  CHECK (written_off_from_seq IS NULL OR (state = 'closed' AND written_off_to_seq >= written_off_from_seq))
);

CREATE TABLE chain_gaps (
  eui TEXT NOT NULL,
  chain BIGINT NOT NULL CHECK (chain >= 1),
  from_seq BIGINT NOT NULL,
  to_seq BIGINT NOT NULL CHECK (to_seq >= from_seq),
  detected_at_ms BIGINT NOT NULL,
  resolved_at_ms BIGINT,
  written_off INTEGER NOT NULL DEFAULT 0 CHECK (written_off IN (0, 1) AND (written_off = 0 OR resolved_at_ms IS NOT NULL)),
  PRIMARY KEY (eui, chain, from_seq)
);

CREATE TABLE chain_forks (
  eui TEXT NOT NULL,
  chain BIGINT NOT NULL CHECK (chain >= 1),
  gateway_seq BIGINT NOT NULL,
  known_hash BYTEA NOT NULL,
  other_record BYTEA NOT NULL,
  detected_at_ms BIGINT NOT NULL,
  PRIMARY KEY (eui, chain, gateway_seq, other_record)
);

CREATE TABLE double_spends (
  id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
  voucher_id TEXT NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('same_seq', 'cumulative')),
  first_transfer_id TEXT NOT NULL,
  second_transfer_id TEXT NOT NULL,
  first_authorization BYTEA NOT NULL,
  second_authorization BYTEA NOT NULL,
  detected_at_ms BIGINT NOT NULL,
  resolved_at_ms BIGINT,
  resolved_by_user_id TEXT REFERENCES users (id),
  resolution_note TEXT,
  UNIQUE (first_transfer_id, second_transfer_id),
  CHECK ((resolved_at_ms IS NULL) = (resolved_by_user_id IS NULL) AND (resolved_at_ms IS NULL) = (resolution_note IS NULL))
);
CREATE INDEX double_spends_by_voucher ON double_spends (voucher_id);
CREATE INDEX double_spends_open ON double_spends (id) WHERE resolved_at_ms IS NULL;

-- "authorization" is quoted: a reserved word in PostgreSQL (SQLite takes the quoted name as the same column).
CREATE TABLE online_payments (
  transfer_id TEXT PRIMARY KEY CHECK (length(transfer_id) = 64),
  eui TEXT NOT NULL,
  voucher_id TEXT NOT NULL,
  voucher_seq BIGINT NOT NULL,
  cumulative_minor BIGINT NOT NULL,
  amount_minor BIGINT NOT NULL,
  "authorization" BYTEA NOT NULL,
  approved_at_ms BIGINT NOT NULL
);
CREATE INDEX online_payments_by_voucher ON online_payments (voucher_id, voucher_seq);

CREATE TABLE rejected_batches (
  id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
  eui TEXT,
  reason TEXT NOT NULL,
  payload BYTEA NOT NULL,
  received_at_ms BIGINT NOT NULL
);

CREATE TABLE final_refusals (
  transfer_id TEXT PRIMARY KEY CHECK (length(transfer_id) = 64),
  reason INTEGER NOT NULL,
  eui TEXT NOT NULL,
  refused_at_ms BIGINT NOT NULL
);

CREATE TABLE online_refusals (
  transfer_id TEXT PRIMARY KEY CHECK (length(transfer_id) = 64),
  reason INTEGER NOT NULL,
  eui TEXT NOT NULL,
  refused_at_ms BIGINT NOT NULL
);

CREATE TABLE online_voids (
  transfer_id TEXT PRIMARY KEY CHECK (length(transfer_id) = 64),
  eui TEXT NOT NULL CHECK (length(eui) = 16),
  reversed_minor BIGINT NOT NULL CHECK (reversed_minor >= 0),
  reversal_transfer_id TEXT CHECK (length(reversal_transfer_id) = 64),
  voided_at_ms BIGINT NOT NULL,
  CHECK ((reversal_transfer_id IS NULL) = (reversed_minor = 0))
);
`

export const PG_MIGRATIONS: readonly Migration[] = [
  { version: 1, name: 'ledger (SQLite migrations 1 and 19, without the anchoring queue)', sql: LEDGER },
  { version: 2, name: 'gateway orders and refunds', sql: ORDERS_AND_REFUNDS },
  { version: 3, name: 'anchoring, notifications, live event ids', sql: ANCHORING_NOTIFY_EVENTS },
  { version: 4, name: 'devices, vouchers and revocations; kyc documents; mobile payments and account links', sql: DEVICES_VOUCHERS_KYC_MOBILE },
  { version: 5, name: 'users, their sign-in and the audit log (SQLite migrations 2, 7, 12, 13, 16, 22)', sql: USERS },
  { version: 6, name: 'gateways and LoRa (SQLite migrations 3, 8, 10, 11, 14, 17 and 20, without the ingest tables)', sql: GATEWAYS },
  { version: 7, name: 'foreign keys between domains (users)', sql: CROSS_DOMAIN_KEYS },
  { version: 8, name: 'ingest: records, chains, gaps, forks, double spends, online approvals, refusals and voids', sql: INGEST },
  // Versions are numbered in the order they land: the next one is the last one here plus one.
]
