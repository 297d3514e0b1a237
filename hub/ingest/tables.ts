// What the hub received from gateways: every record (settled, flagged or rejected, kept for
// audit), each gateway's chain as far as it is contiguous, the gaps and forks found in it,
// double spends with both customer-signed authorizations as proof, payments approved online,
// and the revocation lists issued.

import { FINAL_REFUSALS } from './decide'

export const INGEST_SQL = `
CREATE TABLE gateway_records (
  eui TEXT NOT NULL CHECK (length(eui) = 16),
  gateway_seq INTEGER NOT NULL CHECK (gateway_seq >= 1),
  record_hash BLOB NOT NULL CHECK (length(record_hash) = 32),
  transfer_id TEXT NOT NULL CHECK (length(transfer_id) = 64),
  voucher_id TEXT NOT NULL CHECK (length(voucher_id) = 32),
  voucher_seq INTEGER NOT NULL,
  cumulative_minor INTEGER NOT NULL,
  amount_minor INTEGER NOT NULL,
  currency TEXT NOT NULL,
  mode INTEGER NOT NULL,
  time_ms INTEGER NOT NULL,
  record BLOB NOT NULL,
  outcome TEXT NOT NULL CHECK (outcome IN ('settled', 'flagged', 'rejected')),
  reason INTEGER NOT NULL,
  received_at_ms INTEGER NOT NULL,
  PRIMARY KEY (eui, gateway_seq)
) STRICT;
CREATE INDEX gateway_records_by_voucher ON gateway_records (voucher_id, voucher_seq);
CREATE INDEX gateway_records_by_transfer ON gateway_records (transfer_id);

CREATE TABLE gateway_chains (
  eui TEXT PRIMARY KEY CHECK (length(eui) = 16),
  contiguous_seq INTEGER NOT NULL,
  contiguous_hash BLOB NOT NULL CHECK (length(contiguous_hash) = 32),
  highest_seq INTEGER NOT NULL,
  head BLOB,
  updated_at_ms INTEGER NOT NULL
) STRICT;

CREATE TABLE chain_gaps (
  eui TEXT NOT NULL,
  from_seq INTEGER NOT NULL,
  to_seq INTEGER NOT NULL CHECK (to_seq >= from_seq),
  detected_at_ms INTEGER NOT NULL,
  resolved_at_ms INTEGER,
  PRIMARY KEY (eui, from_seq)
) STRICT;

CREATE TABLE chain_forks (
  eui TEXT NOT NULL,
  gateway_seq INTEGER NOT NULL,
  known_hash BLOB NOT NULL,
  other_record BLOB NOT NULL,
  detected_at_ms INTEGER NOT NULL,
  PRIMARY KEY (eui, gateway_seq, other_record)
) STRICT;

CREATE TABLE double_spends (
  voucher_id TEXT NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('same_seq', 'cumulative')),
  first_transfer_id TEXT NOT NULL,
  second_transfer_id TEXT NOT NULL,
  first_authorization BLOB NOT NULL,
  second_authorization BLOB NOT NULL,
  detected_at_ms INTEGER NOT NULL,
  PRIMARY KEY (first_transfer_id, second_transfer_id)
) STRICT;
CREATE INDEX double_spends_by_voucher ON double_spends (voucher_id);

CREATE TABLE online_payments (
  transfer_id TEXT PRIMARY KEY CHECK (length(transfer_id) = 64),
  eui TEXT NOT NULL,
  voucher_id TEXT NOT NULL,
  voucher_seq INTEGER NOT NULL,
  cumulative_minor INTEGER NOT NULL,
  amount_minor INTEGER NOT NULL,
  authorization BLOB NOT NULL,
  approved_at_ms INTEGER NOT NULL
) STRICT;
CREATE INDEX online_payments_by_voucher ON online_payments (voucher_id, voucher_seq);

CREATE TABLE revocation_lists (
  serial INTEGER PRIMARY KEY,
  list BLOB NOT NULL,
  issued_at_ms INTEGER NOT NULL
) STRICT;

CREATE TABLE rejected_batches (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  eui TEXT,
  reason TEXT NOT NULL,
  payload BLOB NOT NULL,
  received_at_ms INTEGER NOT NULL
) STRICT;
`

/**
 * Double spends become flags an operator resolves: each gets an id (the order they were found in,
 * which pages newest first) and, once resolved, who resolved it, when and why. SQLite cannot add a
 * primary key to a table, so the table is rebuilt with every row, in the order they were found.
 */
export const DOUBLE_SPEND_FLAGS_SQL = `
CREATE TABLE double_spend_flags (
  id INTEGER PRIMARY KEY,
  voucher_id TEXT NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('same_seq', 'cumulative')),
  first_transfer_id TEXT NOT NULL,
  second_transfer_id TEXT NOT NULL,
  first_authorization BLOB NOT NULL,
  second_authorization BLOB NOT NULL,
  detected_at_ms INTEGER NOT NULL,
  resolved_at_ms INTEGER,
  resolved_by_user_id TEXT REFERENCES users (id),
  resolution_note TEXT,
  UNIQUE (first_transfer_id, second_transfer_id),
  CHECK ((resolved_at_ms IS NULL) = (resolved_by_user_id IS NULL) AND (resolved_at_ms IS NULL) = (resolution_note IS NULL))
) STRICT;
INSERT INTO double_spend_flags (voucher_id, kind, first_transfer_id, second_transfer_id, first_authorization,
  second_authorization, detected_at_ms)
SELECT voucher_id, kind, first_transfer_id, second_transfer_id, first_authorization, second_authorization, detected_at_ms
FROM double_spends ORDER BY detected_at_ms, rowid;
DROP TABLE double_spends;
ALTER TABLE double_spend_flags RENAME TO double_spends;
CREATE INDEX double_spends_by_voucher ON double_spends (voucher_id);
CREATE INDEX double_spends_open ON double_spends (id) WHERE resolved_at_ms IS NULL;
`

/**
 * The final refusals the hub signed (decide.ts FINAL_REFUSALS), one per transfer id: a later copy of
 * the id gets the same answer. Filled from the records refused so before, unless the id settled since.
 */
export const FINAL_REFUSALS_SQL = `
CREATE TABLE final_refusals (
  transfer_id TEXT PRIMARY KEY CHECK (length(transfer_id) = 64),
  reason INTEGER NOT NULL,
  eui TEXT NOT NULL,
  refused_at_ms INTEGER NOT NULL
) STRICT;
INSERT OR IGNORE INTO final_refusals (transfer_id, reason, eui, refused_at_ms)
SELECT transfer_id, reason, eui, received_at_ms FROM gateway_records
WHERE outcome = 'rejected' AND reason IN (${FINAL_REFUSALS.join(', ')})
  AND transfer_id NOT IN (SELECT transfer_id FROM gateway_records WHERE outcome IN ('settled', 'flagged'))
  AND transfer_id NOT IN (SELECT transfer_id FROM online_payments)
ORDER BY received_at_ms, eui, gateway_seq;
`
