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

/**
 * Refusals signed into online answers move out of final_refusals into their own table: a later online copy of the
 * payment gets the same answer, but the record a gateway made offline when that answer never reached it is decided on
 * its own (found by the fault simulation, seeds soak1.25, soak1.80, soak1.86: the merchant was never paid). An online
 * refusal is the one no record of the id was rejected for; a refusal signed into an ack stays where it was.
 */
export const ONLINE_REFUSALS_SQL = `
CREATE TABLE online_refusals (
  transfer_id TEXT PRIMARY KEY CHECK (length(transfer_id) = 64),
  reason INTEGER NOT NULL,
  eui TEXT NOT NULL,
  refused_at_ms INTEGER NOT NULL
) STRICT;
INSERT INTO online_refusals (transfer_id, reason, eui, refused_at_ms)
SELECT transfer_id, reason, eui, refused_at_ms FROM final_refusals
WHERE transfer_id NOT IN (SELECT transfer_id FROM gateway_records WHERE outcome = 'rejected');
DELETE FROM final_refusals WHERE transfer_id IN (SELECT transfer_id FROM online_refusals);
`

/**
 * Online requests their gateway voided (protocol online-void.ts), one per transfer id: the approval given back by
 * `reversal_transfer_id` (null when the hub had approved nothing), and every later online copy refused.
 */
export const ONLINE_VOIDS_SQL = `
CREATE TABLE online_voids (
  transfer_id TEXT PRIMARY KEY CHECK (length(transfer_id) = 64),
  eui TEXT NOT NULL CHECK (length(eui) = 16),
  reversed_minor INTEGER NOT NULL CHECK (reversed_minor >= 0),
  reversal_transfer_id TEXT CHECK (length(reversal_transfer_id) = 64),
  voided_at_ms INTEGER NOT NULL,
  CHECK ((reversal_transfer_id IS NULL) = (reversed_minor = 0))
) STRICT;
`

/**
 * Chains numbered per EUI: a gateway's chain is the one its key signs, from seq 1. Provisioning it again with a new
 * key (a re-imaged or replaced device), or a new gateway taking a retired gateway's EUI, opens the EUI's next chain;
 * the chains before it close (closed at once when the hub holds them whole up to their highest seq, else `closing`
 * until an operator writes their gaps off). Every row so far is of chain 1. gateway_records, settlement's hottest
 * insert, stays a rowid table (its rows of some 400 bytes split pages often in a tree ordered by another key) unique by
 * (eui, chain, gateway_seq), and loses its index by transfer id: the rare reads by id go through the voucher index.
 */
export const NUMBERED_CHAINS_SQL = `
CREATE TABLE gateway_records_chained (
  id INTEGER PRIMARY KEY,
  eui TEXT NOT NULL CHECK (length(eui) = 16),
  chain INTEGER NOT NULL CHECK (chain >= 1),
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
  UNIQUE (eui, chain, gateway_seq)
) STRICT;
INSERT INTO gateway_records_chained (id, eui, chain, gateway_seq, record_hash, transfer_id, voucher_id, voucher_seq,
    cumulative_minor, amount_minor, currency, mode, time_ms, record, outcome, reason, received_at_ms)
  SELECT rowid, eui, 1, gateway_seq, record_hash, transfer_id, voucher_id, voucher_seq, cumulative_minor, amount_minor, currency,
    mode, time_ms, record, outcome, reason, received_at_ms
  FROM gateway_records ORDER BY rowid;
DROP TABLE gateway_records;
ALTER TABLE gateway_records_chained RENAME TO gateway_records;
CREATE INDEX gateway_records_by_voucher ON gateway_records (voucher_id, voucher_seq);

CREATE TABLE gateway_chains_numbered (
  eui TEXT NOT NULL CHECK (length(eui) = 16),
  chain INTEGER NOT NULL CHECK (chain >= 1),
  -- The gateway and key that sign the chain; NULL only for a chain whose gateway row was gone before chains had numbers.
  gateway_id TEXT REFERENCES gateways (id),
  public_key BLOB CHECK (public_key IS NULL OR length(public_key) = 32),
  state TEXT NOT NULL CHECK (state IN ('open', 'closing', 'closed')),
  contiguous_seq INTEGER NOT NULL,
  contiguous_hash BLOB NOT NULL CHECK (length(contiguous_hash) = 32),
  highest_seq INTEGER NOT NULL,
  head BLOB,
  opened_at_ms INTEGER NOT NULL,
  -- When the hub last took a batch of the chain; NULL before the first.
  updated_at_ms INTEGER,
  closing_at_ms INTEGER,
  closed_at_ms INTEGER,
  -- The sequence numbers an operator wrote off to close the chain: the records missing below its highest seq.
  written_off_from_seq INTEGER,
  written_off_to_seq INTEGER,
  written_off_by_user_id TEXT REFERENCES users (id),
  written_off_note TEXT,
  PRIMARY KEY (eui, chain),
  CHECK ((state = 'open') = (closing_at_ms IS NULL)),
  CHECK ((state = 'closed') = (closed_at_ms IS NOT NULL)),
  CHECK ((written_off_from_seq IS NULL) = (written_off_to_seq IS NULL)
    AND (written_off_from_seq IS NULL) = (written_off_by_user_id IS NULL)
    AND (written_off_from_seq IS NULL) = (written_off_note IS NULL)),
  CHECK (written_off_from_seq IS NULL OR (state = 'closed' AND written_off_to_seq >= written_off_from_seq))
) STRICT, WITHOUT ROWID;
INSERT INTO gateway_chains_numbered (eui, chain, gateway_id, public_key, state, contiguous_seq, contiguous_hash, highest_seq, head,
    opened_at_ms, updated_at_ms, closing_at_ms, closed_at_ms)
  SELECT c.eui, 1, g.id, g.public_key,
    CASE WHEN g.status IS NOT 'retired' THEN 'open' WHEN c.contiguous_seq >= c.highest_seq THEN 'closed' ELSE 'closing' END,
    c.contiguous_seq, c.contiguous_hash, c.highest_seq, c.head, coalesce(g.provisioned_at_ms, g.created_at_ms, c.updated_at_ms),
    c.updated_at_ms,
    CASE WHEN g.status = 'retired' THEN coalesce(g.retired_at_ms, c.updated_at_ms) END,
    CASE WHEN g.status = 'retired' AND c.contiguous_seq >= c.highest_seq THEN coalesce(g.retired_at_ms, c.updated_at_ms) END
  FROM gateway_chains c LEFT JOIN gateways g ON g.eui = c.eui;
INSERT INTO gateway_chains_numbered (eui, chain, gateway_id, public_key, state, contiguous_seq, contiguous_hash, highest_seq,
    opened_at_ms, closing_at_ms, closed_at_ms)
  SELECT eui, 1, id, public_key, CASE WHEN status = 'retired' THEN 'closed' ELSE 'open' END, 0, zeroblob(32), 0,
    coalesce(provisioned_at_ms, created_at_ms),
    CASE WHEN status = 'retired' THEN coalesce(retired_at_ms, created_at_ms) END,
    CASE WHEN status = 'retired' THEN coalesce(retired_at_ms, created_at_ms) END
  FROM gateways WHERE public_key IS NOT NULL AND eui NOT IN (SELECT eui FROM gateway_chains);
DROP TABLE gateway_chains;
ALTER TABLE gateway_chains_numbered RENAME TO gateway_chains;

CREATE TABLE chain_gaps_numbered (
  eui TEXT NOT NULL,
  chain INTEGER NOT NULL CHECK (chain >= 1),
  from_seq INTEGER NOT NULL,
  to_seq INTEGER NOT NULL CHECK (to_seq >= from_seq),
  detected_at_ms INTEGER NOT NULL,
  resolved_at_ms INTEGER,
  -- Resolved by an operator writing the missing records off, not by their arrival.
  written_off INTEGER NOT NULL DEFAULT 0 CHECK (written_off IN (0, 1) AND (written_off = 0 OR resolved_at_ms IS NOT NULL)),
  PRIMARY KEY (eui, chain, from_seq)
) STRICT;
INSERT INTO chain_gaps_numbered (eui, chain, from_seq, to_seq, detected_at_ms, resolved_at_ms)
  SELECT eui, 1, from_seq, to_seq, detected_at_ms, resolved_at_ms FROM chain_gaps;
DROP TABLE chain_gaps;
ALTER TABLE chain_gaps_numbered RENAME TO chain_gaps;

CREATE TABLE chain_forks_numbered (
  eui TEXT NOT NULL,
  chain INTEGER NOT NULL CHECK (chain >= 1),
  gateway_seq INTEGER NOT NULL,
  known_hash BLOB NOT NULL,
  other_record BLOB NOT NULL,
  detected_at_ms INTEGER NOT NULL,
  PRIMARY KEY (eui, chain, gateway_seq, other_record)
) STRICT;
INSERT INTO chain_forks_numbered (eui, chain, gateway_seq, known_hash, other_record, detected_at_ms)
  SELECT eui, 1, gateway_seq, known_hash, other_record, detected_at_ms FROM chain_forks;
DROP TABLE chain_forks;
ALTER TABLE chain_forks_numbered RENAME TO chain_forks;
`
