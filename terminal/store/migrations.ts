// The terminal's schema as an ordered list of migrations, tracked with PRAGMA user_version.
// To change it, append a migration with the next version; never edit one that has shipped.

export interface Migration {
  readonly version: number
  readonly name: string
  readonly sql: string
}

// Singleton tables carry `id INTEGER PRIMARY KEY CHECK (id = 1)`. Times are Unix milliseconds,
// amounts integer minor units, keys, hashes and ids raw bytes.
const INITIAL = `
CREATE TABLE identity (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  eui TEXT NOT NULL CHECK (length(eui) = 16 AND eui = upper(eui)),
  -- The seed is in the key file (mode 0600) next to the database; this is its public half.
  public_key BLOB NOT NULL CHECK (length(public_key) = 32),
  created_at_ms INTEGER NOT NULL
) STRICT;

CREATE TABLE hub (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  url TEXT NOT NULL,
  gateway_id TEXT NOT NULL,
  -- Pinned at provisioning: it must sign every voucher, ack, config and revocation list accepted.
  public_key BLOB NOT NULL CHECK (length(public_key) = 32),
  provisioned_at_ms INTEGER NOT NULL
) STRICT;

CREATE TABLE mqtt_settings (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  url TEXT NOT NULL,
  topics_json TEXT NOT NULL CHECK (json_valid(topics_json))
) STRICT;

CREATE TABLE risk_config (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  serial INTEGER NOT NULL CHECK (serial >= 0),
  config BLOB NOT NULL,
  received_at_ms INTEGER NOT NULL
) STRICT;

CREATE TABLE revocation_list (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  serial INTEGER NOT NULL CHECK (serial >= 0),
  list BLOB NOT NULL,
  received_at_ms INTEGER NOT NULL
) STRICT;

-- The ids of the current list, for lookups during a payment; replaced whole with the list.
CREATE TABLE revoked_vouchers (
  voucher_id BLOB PRIMARY KEY CHECK (length(voucher_id) = 16)
) STRICT, WITHOUT ROWID;

-- Where the chain ends; survives pruning, so the next record always has something to link to.
CREATE TABLE chain_head (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  gateway_seq INTEGER NOT NULL CHECK (gateway_seq >= 0),
  head_hash BLOB NOT NULL CHECK (length(head_hash) = 32)
) STRICT;
INSERT INTO chain_head (id, gateway_seq, head_hash) VALUES (1, 0, zeroblob(32));

CREATE TABLE records (
  gateway_seq INTEGER PRIMARY KEY CHECK (gateway_seq >= 1),
  previous_hash BLOB NOT NULL CHECK (length(previous_hash) = 32),
  record_hash BLOB NOT NULL CHECK (length(record_hash) = 32),
  record BLOB NOT NULL,
  transfer_id BLOB NOT NULL UNIQUE CHECK (length(transfer_id) = 32),
  voucher_id BLOB NOT NULL CHECK (length(voucher_id) = 16),
  voucher_seq INTEGER NOT NULL CHECK (voucher_seq >= 1),
  amount_minor INTEGER NOT NULL CHECK (amount_minor > 0),
  currency TEXT NOT NULL CHECK (length(currency) = 3),
  mode TEXT NOT NULL CHECK (mode IN ('offline', 'online')),
  time_ms INTEGER NOT NULL,
  status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'acked', 'rejected')),
  ack_outcome TEXT CHECK (ack_outcome IN ('settled', 'duplicate', 'rejected', 'flagged')),
  ack_reason INTEGER,
  acked_at_ms INTEGER,
  -- The Merkle inclusion proof of the anchored batch, once the hub serves it (not synced yet).
  anchor_proof BLOB,
  CHECK ((status = 'pending') = (ack_outcome IS NULL)),
  CHECK ((status = 'pending') = (acked_at_ms IS NULL))
) STRICT;
CREATE INDEX records_pending ON records (gateway_seq) WHERE status = 'pending';
CREATE INDEX records_by_time ON records (time_ms);

-- A record continues the chain exactly where it ends: no gap, no fork, whoever writes it.
CREATE TRIGGER records_continue_the_chain BEFORE INSERT ON records
WHEN NEW.gateway_seq <> (SELECT gateway_seq + 1 FROM chain_head WHERE id = 1)
  OR NEW.previous_hash <> (SELECT head_hash FROM chain_head WHERE id = 1)
BEGIN
  SELECT RAISE(ABORT, 'CHAIN_POSITION: a record must continue the chain head');
END;

-- What was recorded is never edited: only the sync columns change, once, from pending.
CREATE TRIGGER records_are_immutable BEFORE UPDATE OF
  gateway_seq, previous_hash, record_hash, record, transfer_id, voucher_id, voucher_seq, amount_minor, currency, mode, time_ms
ON records
BEGIN
  SELECT RAISE(ABORT, 'records are immutable');
END;

-- A record leaves the store only once the hub acked it and its anchoring proof is kept.
CREATE TRIGGER records_leave_only_when_prunable BEFORE DELETE ON records
WHEN OLD.status = 'pending' OR OLD.anchor_proof IS NULL
BEGIN
  SELECT RAISE(ABORT, 'a record is deleted only after its ack and its anchoring proof');
END;

CREATE TABLE voucher_state (
  voucher_id BLOB PRIMARY KEY CHECK (length(voucher_id) = 16),
  highest_seq INTEGER NOT NULL CHECK (highest_seq >= 1),
  cumulative_minor INTEGER NOT NULL CHECK (cumulative_minor > 0),
  consecutive_offline INTEGER NOT NULL CHECK (consecutive_offline >= 0),
  expires_at_ms INTEGER NOT NULL,
  updated_at_ms INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

-- Payment requests sent to a phone and not answered yet; an answer is recorded only against one.
CREATE TABLE open_requests (
  nonce BLOB PRIMARY KEY CHECK (length(nonce) = 16),
  amount_minor INTEGER NOT NULL CHECK (amount_minor > 0),
  currency TEXT NOT NULL CHECK (length(currency) = 3),
  time_ms INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

CREATE TABLE sync_state (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  link TEXT NOT NULL CHECK (link IN ('online', 'offline')),
  link_changed_at_ms INTEGER,
  last_sync_at_ms INTEGER,
  last_ack_at_ms INTEGER,
  last_error TEXT
) STRICT;
INSERT INTO sync_state (id, link) VALUES (1, 'offline');
`

// Anchoring proofs (issue 7): a record's Merkle inclusion proof, checked against its anchored batch root before
// it is stored, lives in its own table; a record leaves only once acked and proved, never as the chain head
// (chain_head keeps the link either way), and takes its proof with it, so storage stays bounded.
const ANCHOR_PROOFS = `
DROP TRIGGER records_leave_only_when_prunable;
ALTER TABLE records DROP COLUMN anchor_proof;
-- When the hub was last asked for this record's proof: requests rotate through what is still missing.
ALTER TABLE records ADD COLUMN proof_asked_at_ms INTEGER;
CREATE INDEX records_acked ON records (gateway_seq) WHERE status = 'acked';

CREATE TABLE anchor_proofs (
  transfer_id BLOB PRIMARY KEY CHECK (length(transfer_id) = 32),
  batch_id INTEGER NOT NULL CHECK (batch_id >= 1),
  root BLOB NOT NULL CHECK (length(root) = 32),
  leaf_count INTEGER NOT NULL CHECK (leaf_count >= 1),
  leaf_index INTEGER NOT NULL CHECK (leaf_index >= 0 AND leaf_index < leaf_count),
  -- The sibling hashes, leaf to root, 32 bytes each (at most 20).
  proof BLOB NOT NULL CHECK (length(proof) % 32 = 0 AND length(proof) <= 640),
  chain_id INTEGER NOT NULL CHECK (chain_id >= 1),
  contract_address BLOB NOT NULL CHECK (length(contract_address) = 20),
  tx_hash BLOB CHECK (tx_hash IS NULL OR length(tx_hash) = 32),
  block_number INTEGER NOT NULL CHECK (block_number >= 0),
  received_at_ms INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

-- A proof is kept only for a record this gateway holds.
CREATE TRIGGER anchor_proofs_of_held_records BEFORE INSERT ON anchor_proofs
WHEN NOT EXISTS (SELECT 1 FROM records WHERE transfer_id = NEW.transfer_id)
BEGIN
  SELECT RAISE(ABORT, 'a proof is stored only for a record this gateway holds');
END;

CREATE TRIGGER anchor_proofs_are_immutable BEFORE UPDATE ON anchor_proofs
BEGIN
  SELECT RAISE(ABORT, 'anchor proofs are immutable');
END;

-- A proof goes only with its record.
CREATE TRIGGER anchor_proofs_leave_with_their_record BEFORE DELETE ON anchor_proofs
WHEN EXISTS (SELECT 1 FROM records WHERE transfer_id = OLD.transfer_id)
BEGIN
  SELECT RAISE(ABORT, 'a proof is deleted only with its record');
END;

CREATE TRIGGER records_leave_only_when_proved BEFORE DELETE ON records
WHEN OLD.status <> 'acked'
  OR NOT EXISTS (SELECT 1 FROM anchor_proofs WHERE transfer_id = OLD.transfer_id)
  OR OLD.gateway_seq >= (SELECT gateway_seq FROM chain_head WHERE id = 1)
BEGIN
  SELECT RAISE(ABORT, 'a record is deleted only after its ack and its anchoring proof, and never as the chain head');
END;

CREATE TRIGGER records_take_their_proof AFTER DELETE ON records
BEGIN
  DELETE FROM anchor_proofs WHERE transfer_id = OLD.transfer_id;
END;

CREATE TABLE prune_state (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  records_pruned INTEGER NOT NULL CHECK (records_pruned >= 0),
  pruned_through_seq INTEGER NOT NULL CHECK (pruned_through_seq >= 0),
  last_pruned_at_ms INTEGER
) STRICT;
INSERT INTO prune_state (id, records_pruned, pruned_through_seq) VALUES (1, 0, 0);
`

// Refunds asked of the hub: the signed request is kept and sent again unchanged until answered.
const REFUNDS = `
CREATE TABLE refunds (
  refund_id BLOB PRIMARY KEY CHECK (length(refund_id) = 16),
  transfer_id BLOB NOT NULL CHECK (length(transfer_id) = 32),
  gateway_seq INTEGER,
  amount_minor INTEGER NOT NULL CHECK (amount_minor > 0),
  currency TEXT NOT NULL CHECK (length(currency) = 3),
  status TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'declined')),
  reason INTEGER,
  requested_at_ms INTEGER NOT NULL,
  answered_at_ms INTEGER,
  request BLOB NOT NULL,
  response BLOB,
  CHECK ((status = 'pending') = (answered_at_ms IS NULL))
) STRICT;
CREATE INDEX refunds_by_transfer ON refunds (transfer_id);
CREATE INDEX refunds_pending ON refunds (requested_at_ms) WHERE status = 'pending';
`

// Revocations by serial (DESIGN "Revocations stay complete"): the revoked vouchers are rows, each with the serial
// of the hub's list that named it, changed by signed deltas instead of replaced whole; the serial the rows are
// complete through is kept apart. What was held stays: the ids, and the serial of the list they came from. A
// whole list arrives in parts, recorded until every part is in; LoRa revocations applied are remembered, so a
// downlink replayed after a restart is refused.
const REVOCATIONS_BY_SERIAL = `
CREATE TABLE revocation_state (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  -- Every voucher the hub's list named at this serial is in revoked_vouchers; deltas apply on top of exactly it.
  serial INTEGER NOT NULL CHECK (serial >= 0),
  updated_at_ms INTEGER
) STRICT;
INSERT INTO revocation_state (id, serial, updated_at_ms)
  SELECT 1, COALESCE((SELECT serial FROM revocation_list WHERE id = 1), 0), (SELECT received_at_ms FROM revocation_list WHERE id = 1);

ALTER TABLE revoked_vouchers ADD COLUMN serial INTEGER NOT NULL DEFAULT 0 CHECK (serial >= 0);
UPDATE revoked_vouchers SET serial = (SELECT serial FROM revocation_state WHERE id = 1);
CREATE INDEX revoked_vouchers_by_serial ON revoked_vouchers (serial);
DROP TABLE revocation_list;

CREATE TABLE revocation_list_parts (
  serial INTEGER NOT NULL CHECK (serial >= 1),
  part INTEGER NOT NULL CHECK (part >= 0 AND part < parts),
  parts INTEGER NOT NULL CHECK (parts >= 1),
  received_at_ms INTEGER NOT NULL,
  PRIMARY KEY (serial, part)
) STRICT, WITHOUT ROWID;

CREATE TABLE lora_revocations_applied (
  kind INTEGER NOT NULL CHECK (kind IN (0, 1)),
  serial INTEGER NOT NULL CHECK (serial >= 0),
  chunk INTEGER NOT NULL CHECK (chunk >= 0),
  applied_at_ms INTEGER NOT NULL,
  PRIMARY KEY (kind, serial, chunk)
) STRICT, WITHOUT ROWID;
CREATE INDEX lora_revocations_applied_by_serial ON lora_revocations_applied (serial);
`

// Storage stays bounded (issue 20): a record the hub rejected leaves like one acked and proved (nothing of it
// settled, so there is no proof to wait for), and every record that leaves keeps its number, transfer id and
// amount in a slim row, so a refund by number still finds its payment; those rows are bounded by count.
const PRUNE_REJECTED = `
DROP TRIGGER records_leave_only_when_proved;
CREATE TRIGGER records_leave_only_when_done BEFORE DELETE ON records
WHEN NOT (OLD.status = 'rejected'
    OR (OLD.status = 'acked' AND EXISTS (SELECT 1 FROM anchor_proofs WHERE transfer_id = OLD.transfer_id)))
  OR OLD.gateway_seq >= (SELECT gateway_seq FROM chain_head WHERE id = 1)
BEGIN
  SELECT RAISE(ABORT, 'a record is deleted only once rejected, or acked and proved, and never as the chain head');
END;

CREATE TABLE payment_numbers (
  gateway_seq INTEGER PRIMARY KEY CHECK (gateway_seq >= 1),
  transfer_id BLOB NOT NULL UNIQUE CHECK (length(transfer_id) = 32),
  amount_minor INTEGER NOT NULL CHECK (amount_minor > 0),
  currency TEXT NOT NULL CHECK (length(currency) = 3)
) STRICT;

CREATE TRIGGER records_leave_their_number AFTER DELETE ON records
BEGIN
  INSERT INTO payment_numbers (gateway_seq, transfer_id, amount_minor, currency)
    VALUES (OLD.gateway_seq, OLD.transfer_id, OLD.amount_minor, OLD.currency);
END;
`

// The update key (issue 20): the hub-signed key that update bundles must be signed with, the highest serial kept.
const UPDATE_KEY = `
CREATE TABLE update_key (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  serial INTEGER NOT NULL CHECK (serial >= 0),
  public_key BLOB NOT NULL CHECK (length(public_key) = 32),
  received_at_ms INTEGER NOT NULL
) STRICT;
`

// TLS (issue 17): the certificates pinned at provisioning when the hub serves TLS. NULL: plain HTTP, or
// plain MQTT (or an external broker's own TLS, judged by the system's CAs). Every later connection must
// present exactly the certificate pinned.
const PINNED_CERTIFICATES = `
ALTER TABLE hub ADD COLUMN certificate TEXT
  CHECK (certificate IS NULL OR certificate LIKE '-----BEGIN CERTIFICATE-----%');
ALTER TABLE mqtt_settings ADD COLUMN certificate TEXT
  CHECK (certificate IS NULL OR certificate LIKE '-----BEGIN CERTIFICATE-----%');
`

// Online requests that got no answer: written before the request leaves, removed once the payment is recorded or
// the hub answered; one left behind (no answer, no record, or power lost before either) is voided to the hub.
const ONLINE_ASKS = `
CREATE TABLE online_asks (
  transfer_id BLOB PRIMARY KEY CHECK (length(transfer_id) = 32),
  amount_minor INTEGER NOT NULL CHECK (amount_minor > 0),
  currency TEXT NOT NULL CHECK (length(currency) = 3),
  asked_at_ms INTEGER NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('asking', 'voiding', 'voided', 'refused')),
  void_request BLOB,
  reason INTEGER,
  reversed_minor INTEGER CHECK (reversed_minor >= 0),
  answered_at_ms INTEGER,
  response BLOB,
  CHECK ((status = 'asking') = (void_request IS NULL)),
  CHECK ((status IN ('voided', 'refused')) = (response IS NOT NULL))
) STRICT;
CREATE INDEX online_asks_open ON online_asks (status) WHERE status IN ('asking', 'voiding');
`

// An external broker whose logins the hub keeps (PAYALL_MQTT_LOGINS=dynsec): the password it gave at provisioning.
// NULL: the hub's own broker, which takes a fresh Ed25519-signed password per connection.
const BROKER_PASSWORD = `
ALTER TABLE mqtt_settings ADD COLUMN password TEXT CHECK (password IS NULL OR length(password) BETWEEN 1 AND 200);
`

export const MIGRATIONS: readonly Migration[] = [
  { version: 1, name: 'initial', sql: INITIAL },
  { version: 2, name: 'anchor proofs', sql: ANCHOR_PROOFS },
  { version: 3, name: 'refunds', sql: REFUNDS },
  { version: 4, name: 'revocations by serial', sql: REVOCATIONS_BY_SERIAL },
  { version: 5, name: 'prune rejected records, keep payment numbers', sql: PRUNE_REJECTED },
  { version: 6, name: 'update key', sql: UPDATE_KEY },
  { version: 7, name: 'pinned certificates', sql: PINNED_CERTIFICATES },
  { version: 8, name: 'online requests voided when unanswered', sql: ONLINE_ASKS },
  { version: 9, name: 'a broker password given at provisioning', sql: BROKER_PASSWORD },
  // Versions are numbered in the order they land: the next one is the last one here plus one.
]

