// Bound customer devices (phones and cards, each with its Ed25519 key) and the vouchers the hub
// issued them. The money behind a voucher is its hold in the ledger (voucher_holds).

import { REVOCATION_LISTED_AFTER_EXPIRY_MS } from './policy'

export const VOUCHERS_SQL = `
CREATE TABLE devices (
  id TEXT PRIMARY KEY CHECK (length(id) BETWEEN 1 AND 64),
  user_id TEXT NOT NULL REFERENCES users (id),
  imei TEXT NOT NULL CHECK (length(imei) BETWEEN 1 AND 64),
  public_key BLOB NOT NULL CHECK (length(public_key) = 32),
  model TEXT,
  brand TEXT,
  status TEXT NOT NULL CHECK (status IN ('bound', 'unbound')),
  bound_at_ms INTEGER NOT NULL,
  unbound_at_ms INTEGER
) STRICT;
CREATE UNIQUE INDEX devices_one_bound_per_imei ON devices (imei) WHERE status = 'bound';
CREATE UNIQUE INDEX devices_one_bound_per_key ON devices (public_key) WHERE status = 'bound';
CREATE INDEX devices_by_user ON devices (user_id);

CREATE TABLE vouchers (
  voucher_id TEXT PRIMARY KEY CHECK (length(voucher_id) = 32),
  device_id TEXT NOT NULL REFERENCES devices (id),
  user_id TEXT NOT NULL REFERENCES users (id),
  wallet_account_id TEXT NOT NULL REFERENCES accounts (id),
  device_public_key BLOB NOT NULL CHECK (length(device_public_key) = 32),
  currency TEXT NOT NULL CHECK (length(currency) = 3),
  limit_minor INTEGER NOT NULL CHECK (limit_minor > 0),
  issued_at_ms INTEGER NOT NULL,
  expires_at_ms INTEGER NOT NULL CHECK (expires_at_ms > issued_at_ms),
  upload_deadline_at_ms INTEGER NOT NULL CHECK (upload_deadline_at_ms >= expires_at_ms),
  voucher BLOB NOT NULL,
  revoked_at_ms INTEGER,
  revoked_reason TEXT
) STRICT;
CREATE INDEX vouchers_by_device ON vouchers (device_id);
CREATE INDEX vouchers_open_by_deadline ON vouchers (upload_deadline_at_ms);
`

/**
 * The counts behind the issuance caps (policy.ts), per customer in a window and over the whole hub;
 * and the revocation list kept as rows with deltas by serial instead of a 65 KB list per change.
 * A voucher is listed from the serial that revoked it (listed_serial) until the serial that took it
 * off once expired past the grace (unlisted_serial); the list at the current serial is every voucher
 * listed and not unlisted. revocation_deltas keeps the signed deltas recent catch-ups need.
 *
 * The full lists stored until now go. What the last of them named stays listed (and every revoked
 * voucher it may have left out past 4,096), under a new serial that has no delta: a gateway holding
 * that list finds no delta following it and catches up with the whole list.
 */
export const VOUCHER_CAPS_AND_REVOCATION_DELTAS_SQL = `
CREATE INDEX vouchers_by_user_expiry ON vouchers (user_id, expires_at_ms);
CREATE INDEX vouchers_by_user_issued ON vouchers (user_id, issued_at_ms);
CREATE INDEX vouchers_by_user_revoked ON vouchers (user_id, revoked_at_ms) WHERE revoked_at_ms IS NOT NULL;
CREATE INDEX vouchers_by_expiry ON vouchers (expires_at_ms);

ALTER TABLE vouchers ADD COLUMN listed_serial INTEGER CHECK (listed_serial IS NULL OR listed_serial >= 1);
ALTER TABLE vouchers ADD COLUMN unlisted_serial INTEGER
  CHECK (unlisted_serial IS NULL OR (listed_serial IS NOT NULL AND unlisted_serial > listed_serial));
CREATE INDEX vouchers_listed ON vouchers (voucher_id) WHERE listed_serial IS NOT NULL AND unlisted_serial IS NULL;
CREATE INDEX vouchers_listed_by_expiry ON vouchers (expires_at_ms) WHERE listed_serial IS NOT NULL AND unlisted_serial IS NULL;

CREATE TABLE revocation_state (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  serial INTEGER NOT NULL CHECK (serial >= 0)
) STRICT;

CREATE TABLE revocation_deltas (
  serial INTEGER PRIMARY KEY CHECK (serial >= 1),
  delta BLOB NOT NULL,
  issued_at_ms INTEGER NOT NULL
) STRICT;

INSERT INTO revocation_state (id, serial) SELECT 1, COALESCE(MAX(serial) + 1, 0) FROM revocation_lists;
UPDATE vouchers SET listed_serial = (SELECT serial FROM revocation_state WHERE id = 1)
WHERE revoked_at_ms IS NOT NULL
  AND expires_at_ms > (SELECT MAX(issued_at_ms) FROM revocation_lists) - ${REVOCATION_LISTED_AFTER_EXPIRY_MS};
DROP TABLE revocation_lists;
`
