// Anchoring's tables: the queue of settled transfers not yet in a batch (filled by a trigger, in the same
// transaction that settles them), the sealed batches with their chain state, and each transfer's leaf.

/** The trigger that queues every transfer for anchoring as it is written; made again by a migration that rebuilds transfers. */
export const QUEUE_TRANSFERS_FOR_ANCHORING = `CREATE TRIGGER transfers_queue_for_anchoring AFTER INSERT ON transfers
BEGIN INSERT INTO anchor_queue (transfer_id, queued_at_ms) VALUES (NEW.id, NEW.created_at_ms); END;`

export const ANCHOR_SQL = `
CREATE TABLE anchor_queue (
  seq INTEGER PRIMARY KEY,
  transfer_id TEXT NOT NULL CHECK (length(transfer_id) = 64),
  queued_at_ms INTEGER NOT NULL
) STRICT;

-- Every transfer enters the queue as it is written: the database, not the hub's code, makes sure none is
-- ever left out of anchoring. Transfers are never updated or deleted, so insertion is the only event.
${QUEUE_TRANSFERS_FOR_ANCHORING}

INSERT INTO anchor_queue (transfer_id, queued_at_ms) SELECT id, created_at_ms FROM transfers ORDER BY created_at_ms, rowid;

-- status: sealed (signed by the hub, not on chain yet), sent (a transaction is out: tx_hash and tx_nonce say
-- which), anchored (the contract holds the root, with enough confirmations), conflict (the contract holds
-- another root under this id, e.g. a database restored against a used contract: an operator must look).
CREATE TABLE anchor_batches (
  id INTEGER PRIMARY KEY CHECK (id >= 1),
  root BLOB NOT NULL CHECK (length(root) = 32),
  leaf_count INTEGER NOT NULL CHECK (leaf_count >= 1),
  sealed_at_ms INTEGER NOT NULL,
  hub_signature BLOB NOT NULL CHECK (length(hub_signature) = 64),
  status TEXT NOT NULL CHECK (status IN ('sealed', 'sent', 'anchored', 'conflict')),
  chain_id INTEGER,
  contract_address TEXT CHECK (contract_address IS NULL OR length(contract_address) = 42),
  sender_address TEXT CHECK (sender_address IS NULL OR length(sender_address) = 42),
  tx_hash TEXT CHECK (tx_hash IS NULL OR length(tx_hash) = 66),
  tx_nonce INTEGER CHECK (tx_nonce IS NULL OR tx_nonce >= 0),
  sent_at_ms INTEGER,
  send_count INTEGER NOT NULL DEFAULT 0 CHECK (send_count >= 0),
  block_number INTEGER,
  anchored_at_ms INTEGER,
  last_error TEXT,
  CHECK (status = 'sealed' OR (chain_id IS NOT NULL AND contract_address IS NOT NULL)),
  CHECK (status <> 'sent' OR (tx_hash IS NOT NULL AND tx_nonce IS NOT NULL AND sender_address IS NOT NULL)),
  CHECK ((status = 'anchored') = (block_number IS NOT NULL AND anchored_at_ms IS NOT NULL))
) STRICT;
CREATE INDEX anchor_batches_unanchored ON anchor_batches (id) WHERE status <> 'anchored';

-- Each transfer is a leaf of exactly one batch; leaf_index is its index in the values the tree was built from.
CREATE TABLE anchor_leaves (
  transfer_id TEXT PRIMARY KEY CHECK (length(transfer_id) = 64),
  batch_id INTEGER NOT NULL REFERENCES anchor_batches (id),
  leaf_index INTEGER NOT NULL CHECK (leaf_index >= 0),
  UNIQUE (batch_id, leaf_index)
) STRICT, WITHOUT ROWID;

-- A sealed batch is history like the transfers in it: only its chain state moves on.
CREATE TRIGGER anchor_batches_refuse_delete BEFORE DELETE ON anchor_batches
BEGIN SELECT RAISE(ABORT, 'ANCHOR_IMMUTABLE: sealed batches cannot be deleted'); END;
CREATE TRIGGER anchor_batches_refuse_content_update
BEFORE UPDATE OF id, root, leaf_count, sealed_at_ms, hub_signature ON anchor_batches
BEGIN SELECT RAISE(ABORT, 'ANCHOR_IMMUTABLE: a sealed batch keeps its root, count and signature'); END;
CREATE TRIGGER anchor_leaves_refuse_update BEFORE UPDATE ON anchor_leaves
BEGIN SELECT RAISE(ABORT, 'ANCHOR_IMMUTABLE: leaves cannot be updated'); END;
CREATE TRIGGER anchor_leaves_refuse_delete BEFORE DELETE ON anchor_leaves
BEGIN SELECT RAISE(ABORT, 'ANCHOR_IMMUTABLE: leaves cannot be deleted'); END;
`

// Batches cover ranges of the transfers' integer keys: a transfer is written with nothing more, and the
// ranges, following one another from the first key written from now on, leave none out. What the queue
// holds is sealed from it first, with a leaf row each, as before.
export const ANCHOR_RANGES_SQL = `
DROP TRIGGER transfers_queue_for_anchoring;
CREATE TABLE anchor_ranges_origin (
  only_row INTEGER PRIMARY KEY CHECK (only_row = 1),
  from_seq INTEGER NOT NULL CHECK (from_seq >= 1)
) STRICT;
INSERT INTO anchor_ranges_origin (only_row, from_seq) SELECT 1, coalesce(max(seq), 0) + 1 FROM transfers;

ALTER TABLE anchor_batches ADD COLUMN first_seq INTEGER;
ALTER TABLE anchor_batches ADD COLUMN last_seq INTEGER;
CREATE UNIQUE INDEX anchor_batches_by_range ON anchor_batches (first_seq) WHERE first_seq IS NOT NULL;

-- A range starts where the last one ended, or at the origin; a batch of the old queue has none. The last range is
-- found through anchor_batches_by_range, not by a scan of every batch.
CREATE TRIGGER anchor_batches_ranges_follow BEFORE INSERT ON anchor_batches
BEGIN SELECT RAISE(ABORT, 'ANCHOR_RANGE: a batch covers the keys right after the last batch''s')
  WHERE (NEW.first_seq IS NULL) <> (NEW.last_seq IS NULL)
     OR NEW.last_seq < NEW.first_seq
     OR NEW.first_seq <> coalesce((SELECT last_seq FROM anchor_batches WHERE first_seq IS NOT NULL ORDER BY first_seq DESC LIMIT 1) + 1,
       (SELECT from_seq FROM anchor_ranges_origin));
END;
DROP TRIGGER anchor_batches_refuse_content_update;
CREATE TRIGGER anchor_batches_refuse_content_update
BEFORE UPDATE OF id, root, leaf_count, sealed_at_ms, hub_signature, first_seq, last_seq ON anchor_batches
BEGIN SELECT RAISE(ABORT, 'ANCHOR_IMMUTABLE: a sealed batch keeps its root, count, signature and range'); END;
CREATE TRIGGER anchor_ranges_origin_refuse_update BEFORE UPDATE ON anchor_ranges_origin
BEGIN SELECT RAISE(ABORT, 'ANCHOR_IMMUTABLE: the ranges start where they started'); END;
`
