// Bound customer devices (phones and cards, each with its Ed25519 key) and the vouchers the hub
// issued them. The money behind a voucher is its hold in the ledger (voucher_holds).

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
