// The hub's schema as an ordered list of migrations, tracked with PRAGMA user_version.
// To change the schema, append a migration with the next version; never edit one that has shipped.

import { ANCHOR_RANGES_SQL, ANCHOR_SQL, QUEUE_TRANSFERS_FOR_ANCHORING } from '../anchor/tables'
import { AUDIT_SQL } from '../audit/tables'
import { LIVE_EVENT_IDS_SQL } from '../events/tables'
import { GATEWAY_PRESENCE_SQL, GATEWAYS_REUSE_EUI_SQL, GATEWAYS_SQL } from '../gateways/tables'
import {
  DOUBLE_SPEND_FLAGS_SQL, FINAL_REFUSALS_SQL, INGEST_SQL, NUMBERED_CHAINS_SQL, ONLINE_REFUSALS_SQL, ONLINE_VOIDS_SQL,
} from '../ingest/tables'
import { KYC_SQL } from '../kyc/tables'
import { LEGACY_IMPORT_SQL } from '../legacy/tables'
import { LORA_CATCH_UP_SQL, LORA_REPORTS_CHAIN_SQL, LORA_REVOCATIONS_QUEUED_SQL, LORA_SQL } from '../lora/tables'
import { MOBILE_SQL } from '../mobile/tables'
import { MQTT_PASSWORD_NONCES_SQL } from '../mqtt/tables'
import { NOTIFY_SQL } from '../notify/tables'
import { ORDERS_SQL } from '../orders/tables'
import { REFUNDS_SQL } from '../refunds/tables'
import {
  PHONE_VERIFICATION_SQL, USER_ROLES_AND_EMAIL_PROOFS_SQL, USERS_SESSIONS_SQL, USERS_SQL, USERS_SUSPENSION_SQL,
} from '../users/tables'
import { VOUCHER_CAPS_AND_REVOCATION_DELTAS_SQL, VOUCHERS_SQL } from '../vouchers/tables'

export interface Migration {
  /** 1, 2, 3, …: the user_version the database has once this migration is applied. */
  readonly version: number
  readonly name: string
  readonly sql: string
  /**
   * The migration drops and recreates tables others refer to: it runs with foreign keys off, and the foreign keys
   * of these tables (the rebuilt ones and those referring to them) are checked before it commits. Only theirs: a
   * row elsewhere that breaks one already is not this migration's to refuse.
   */
  readonly rebuildsTables?: readonly string[]
}

// The transfers' columns after their key, their indexes and the guards of transfers and postings: written once,
// in the ledger's first migration and again by the one that rebuilds both tables (the SQL of each is unchanged).
const TRANSFER_COLUMNS = `  kind TEXT NOT NULL CHECK (kind IN ('cash_in', 'cash_out', 'voucher_hold', 'voucher_release', 'offline_payment',
    'online_payment', 'p2p', 'refund', 'reversal', 'double_spend_excess')),
  currency TEXT NOT NULL CHECK (length(currency) = 3),
  amount_minor INTEGER NOT NULL CHECK (amount_minor > 0),
  gateway_eui TEXT,
  voucher_id TEXT,
  fee_schedule_id TEXT REFERENCES fee_schedules (id),
  metadata TEXT,
  content_sha256 TEXT NOT NULL CHECK (length(content_sha256) = 64),
  created_at_ms INTEGER NOT NULL`
const TRANSFER_INDEXES = `CREATE INDEX transfers_by_gateway ON transfers (gateway_eui, created_at_ms) WHERE gateway_eui IS NOT NULL;
CREATE INDEX transfers_by_voucher ON transfers (voucher_id) WHERE voucher_id IS NOT NULL;`
const TRANSFER_AND_POSTING_GUARDS = `CREATE TRIGGER transfers_refuse_update BEFORE UPDATE ON transfers
BEGIN SELECT RAISE(ABORT, 'LEDGER_IMMUTABLE: transfers cannot be updated'); END;
CREATE TRIGGER transfers_refuse_delete BEFORE DELETE ON transfers
BEGIN SELECT RAISE(ABORT, 'LEDGER_IMMUTABLE: transfers cannot be deleted'); END;
CREATE TRIGGER postings_refuse_update BEFORE UPDATE ON postings
BEGIN SELECT RAISE(ABORT, 'LEDGER_IMMUTABLE: postings cannot be updated'); END;
CREATE TRIGGER postings_refuse_delete BEFORE DELETE ON postings
BEGIN SELECT RAISE(ABORT, 'LEDGER_IMMUTABLE: postings cannot be deleted'); END;`

// Ledger: accounts with their running balance, immutable transfers and postings, fee schedules
// (a new version is a new row) and the hold state of each voucher. Times are Unix milliseconds.
const LEDGER = `
CREATE TABLE accounts (
  id TEXT PRIMARY KEY CHECK (length(id) BETWEEN 1 AND 160),
  user_id TEXT,
  kind TEXT NOT NULL CHECK (kind IN ('wallet', 'hold', 'external', 'platform')),
  currency TEXT NOT NULL CHECK (length(currency) = 3),
  wallet_account_id TEXT REFERENCES accounts (id),
  balance_minor INTEGER NOT NULL DEFAULT 0,
  created_at_ms INTEGER NOT NULL,
  CHECK ((kind = 'hold') = (wallet_account_id IS NOT NULL)),
  CHECK (kind IN ('wallet', 'external') OR balance_minor >= 0)
) STRICT;
CREATE UNIQUE INDEX accounts_one_hold_per_wallet ON accounts (wallet_account_id) WHERE kind = 'hold';
CREATE UNIQUE INDEX accounts_one_system_account_per_currency ON accounts (kind, currency)
  WHERE kind IN ('external', 'platform');
CREATE INDEX accounts_by_user ON accounts (user_id) WHERE user_id IS NOT NULL;

CREATE TABLE fee_schedules (
  id TEXT PRIMARY KEY,
  gateway_type TEXT NOT NULL,
  currency TEXT NOT NULL CHECK (length(currency) = 3),
  version INTEGER NOT NULL CHECK (version >= 1),
  basis_points INTEGER NOT NULL CHECK (basis_points BETWEEN 0 AND 10000),
  fixed_minor INTEGER NOT NULL CHECK (fixed_minor >= 0),
  owner_share_basis_points INTEGER NOT NULL CHECK (owner_share_basis_points BETWEEN 0 AND 10000),
  effective_from_ms INTEGER NOT NULL,
  created_at_ms INTEGER NOT NULL,
  UNIQUE (gateway_type, currency, version)
) STRICT;

CREATE TABLE transfers (
  id TEXT PRIMARY KEY CHECK (length(id) = 64),
${TRANSFER_COLUMNS}
) STRICT;
${TRANSFER_INDEXES}

CREATE TABLE postings (
  transfer_id TEXT NOT NULL REFERENCES transfers (id),
  posting_index INTEGER NOT NULL CHECK (posting_index >= 0),
  account_id TEXT NOT NULL REFERENCES accounts (id),
  amount_minor INTEGER NOT NULL CHECK (amount_minor <> 0),
  role TEXT NOT NULL CHECK (role IN ('payer', 'payee', 'hold', 'excess', 'merchant', 'owner_share', 'platform_share')),
  PRIMARY KEY (transfer_id, posting_index)
) STRICT;
CREATE INDEX postings_by_account ON postings (account_id, role);

CREATE TABLE voucher_holds (
  voucher_id TEXT PRIMARY KEY,
  wallet_account_id TEXT NOT NULL REFERENCES accounts (id),
  hold_account_id TEXT NOT NULL REFERENCES accounts (id),
  currency TEXT NOT NULL CHECK (length(currency) = 3),
  limit_minor INTEGER NOT NULL CHECK (limit_minor > 0),
  settled_minor INTEGER NOT NULL DEFAULT 0 CHECK (settled_minor >= 0),
  released_minor INTEGER NOT NULL DEFAULT 0 CHECK (released_minor >= 0),
  excess_minor INTEGER NOT NULL DEFAULT 0 CHECK (excess_minor >= 0),
  expires_at_ms INTEGER NOT NULL,
  upload_deadline_at_ms INTEGER NOT NULL CHECK (upload_deadline_at_ms >= expires_at_ms),
  status TEXT NOT NULL CHECK (status IN ('active', 'revoked', 'released')),
  created_at_ms INTEGER NOT NULL,
  revoked_at_ms INTEGER,
  released_at_ms INTEGER,
  CHECK (settled_minor + released_minor <= limit_minor),
  CHECK ((status = 'released') = (released_at_ms IS NOT NULL))
) STRICT;
CREATE INDEX voucher_holds_by_hold_account ON voucher_holds (hold_account_id);

-- Money rows are history: a mistake is corrected by a new transfer, never by editing one.
${TRANSFER_AND_POSTING_GUARDS}
CREATE TRIGGER fee_schedules_refuse_update BEFORE UPDATE ON fee_schedules
BEGIN SELECT RAISE(ABORT, 'LEDGER_IMMUTABLE: a fee schedule changes by a new version, not by an update'); END;
CREATE TRIGGER fee_schedules_refuse_delete BEFORE DELETE ON fee_schedules
BEGIN SELECT RAISE(ABORT, 'LEDGER_IMMUTABLE: fee schedules cannot be deleted'); END;
CREATE TRIGGER accounts_refuse_delete BEFORE DELETE ON accounts
BEGIN SELECT RAISE(ABORT, 'LEDGER_IMMUTABLE: accounts cannot be deleted'); END;
CREATE TRIGGER accounts_refuse_identity_update
BEFORE UPDATE OF id, user_id, kind, currency, wallet_account_id, created_at_ms ON accounts
BEGIN SELECT RAISE(ABORT, 'LEDGER_IMMUTABLE: only the balance of an account changes'); END;
CREATE TRIGGER voucher_holds_refuse_delete BEFORE DELETE ON voucher_holds
BEGIN SELECT RAISE(ABORT, 'LEDGER_IMMUTABLE: voucher holds cannot be deleted'); END;
CREATE TRIGGER voucher_holds_refuse_terms_update
BEFORE UPDATE OF voucher_id, wallet_account_id, hold_account_id, currency, limit_minor, expires_at_ms,
  upload_deadline_at_ms, created_at_ms ON voucher_holds
BEGIN SELECT RAISE(ABORT, 'LEDGER_IMMUTABLE: the terms of a voucher hold cannot change'); END;
`

// Postings name their transfer by its integer key instead of repeating its 64-character id: the postings'
// primary key then grows at its end as transfers are written, instead of taking one random page per payment.
// Transfers get that key as an explicit INTEGER PRIMARY KEY (their rowid so far, kept), their id a unique index.
const POSTINGS_BY_TRANSFER_KEY = `
DROP TRIGGER transfers_refuse_update;
DROP TRIGGER transfers_refuse_delete;
DROP TRIGGER postings_refuse_update;
DROP TRIGGER postings_refuse_delete;

CREATE TABLE transfers_keyed (
  seq INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE CHECK (length(id) = 64),
${TRANSFER_COLUMNS}
) STRICT;
INSERT INTO transfers_keyed (seq, id, kind, currency, amount_minor, gateway_eui, voucher_id, fee_schedule_id, metadata,
    content_sha256, created_at_ms)
  SELECT rowid, id, kind, currency, amount_minor, gateway_eui, voucher_id, fee_schedule_id, metadata, content_sha256, created_at_ms
  FROM transfers ORDER BY rowid;

CREATE TABLE postings_keyed (
  transfer_seq INTEGER NOT NULL REFERENCES transfers (seq),
  posting_index INTEGER NOT NULL CHECK (posting_index >= 0),
  account_id TEXT NOT NULL REFERENCES accounts (id),
  amount_minor INTEGER NOT NULL CHECK (amount_minor <> 0),
  role TEXT NOT NULL CHECK (role IN ('payer', 'payee', 'hold', 'excess', 'merchant', 'owner_share', 'platform_share')),
  PRIMARY KEY (transfer_seq, posting_index)
) STRICT, WITHOUT ROWID;
INSERT INTO postings_keyed (transfer_seq, posting_index, account_id, amount_minor, role)
  SELECT t.seq, p.posting_index, p.account_id, p.amount_minor, p.role
  FROM postings p JOIN transfers_keyed t ON t.id = p.transfer_id;

DROP TABLE postings;
DROP TABLE transfers;
ALTER TABLE transfers_keyed RENAME TO transfers;
ALTER TABLE postings_keyed RENAME TO postings;
${TRANSFER_INDEXES}
CREATE INDEX postings_by_account ON postings (account_id, role);

${TRANSFER_AND_POSTING_GUARDS}
${QUEUE_TRANSFERS_FOR_ANCHORING}
`

export const MIGRATIONS: readonly Migration[] = [
  { version: 1, name: 'ledger', sql: LEDGER },
  { version: 2, name: 'users', sql: USERS_SQL },
  { version: 3, name: 'gateways', sql: GATEWAYS_SQL },
  { version: 4, name: 'devices and vouchers', sql: VOUCHERS_SQL },
  { version: 5, name: 'ingest', sql: INGEST_SQL },
  { version: 6, name: 'anchoring', sql: ANCHOR_SQL },
  { version: 7, name: 'rest api', sql: [USERS_SESSIONS_SQL, NOTIFY_SQL, KYC_SQL, ORDERS_SQL, MOBILE_SQL].join('\n') },
  { version: 8, name: 'lora reports', sql: LORA_SQL },
  { version: 9, name: 'refunds', sql: REFUNDS_SQL },
  { version: 10, name: 'lora revocations queued per gateway', sql: LORA_REVOCATIONS_QUEUED_SQL },
  { version: 11, name: 'voucher caps, revocation deltas, LoRa catch-up progress', sql: [VOUCHER_CAPS_AND_REVOCATION_DELTAS_SQL, LORA_CATCH_UP_SQL].join('\n') },
  { version: 12, name: 'phone numbers proved by a code', sql: PHONE_VERIFICATION_SQL },
  { version: 13, name: 'user suspension; login failures leave the users table', sql: USERS_SUSPENSION_SQL },
  { version: 14, name: 'mqtt password nonces', sql: MQTT_PASSWORD_NONCES_SQL },
  { version: 15, name: 'double-spend flags an operator resolves', sql: DOUBLE_SPEND_FLAGS_SQL },
  { version: 16, name: 'roles that add up, email proofs, the audit log', sql: [USER_ROLES_AND_EMAIL_PROOFS_SQL, AUDIT_SQL].join('\n') },
  { version: 17, name: 'live event ids; gateway presence', sql: [LIVE_EVENT_IDS_SQL, GATEWAY_PRESENCE_SQL].join('\n') },
  { version: 18, name: 'final refusals by transfer id', sql: FINAL_REFUSALS_SQL },
  { version: 19, name: 'postings keyed by their transfer\'s integer key', sql: POSTINGS_BY_TRANSFER_KEY,
    rebuildsTables: ['transfers', 'postings', 'refunds'] },
  { version: 20, name: 'record chains numbered per EUI; a retired EUI reused',
    sql: [GATEWAYS_REUSE_EUI_SQL, NUMBERED_CHAINS_SQL, LORA_REPORTS_CHAIN_SQL].join('\n'),
    rebuildsTables: ['gateways', 'gateway_presence', 'gateway_records', 'gateway_chains', 'chain_gaps', 'chain_forks'] },
  { version: 21, name: 'anchor batches cover ranges of transfer keys', sql: ANCHOR_RANGES_SQL },
  { version: 22, name: 'the legacy import: profiles, legacy rows, devices without a key', sql: LEGACY_IMPORT_SQL,
    rebuildsTables: ['devices'] },
  { version: 23, name: 'online refusals bind online copies only', sql: ONLINE_REFUSALS_SQL },
  { version: 24, name: 'online requests voided by their gateway', sql: ONLINE_VOIDS_SQL },
  // Versions are numbered in the order they land: the next one is the last one here plus one.
]

/** The schema version this build writes; a database beyond it is refused. */
export const SCHEMA_VERSION: number = MIGRATIONS[MIGRATIONS.length - 1]!.version
