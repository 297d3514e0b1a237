// What the import from the legacy system keeps (listed in hub/store/migrations.ts): the profile fields the
// legacy users had and PayAll's users lack, which legacy row became which PayAll row (so a second import of the
// same files changes nothing), and devices without a key (the legacy app had none: such a device pays online
// only, and gets vouchers once the app binds its Ed25519 key under the same IMEI).

export const LEGACY_IMPORT_SQL = `
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
  -- A person with a password in each legacy backend: the one users.password_hash does not hold. Either logs in
  -- until the first login or password change, which forgets this one.
  legacy_password_hash TEXT CHECK (legacy_password_hash IS NULL OR length(legacy_password_hash) BETWEEN 1 AND 255)
) STRICT;

CREATE TABLE legacy_rows (
  system TEXT NOT NULL CHECK (system IN ('web', 'mobile')),
  legacy_table TEXT NOT NULL CHECK (length(legacy_table) BETWEEN 1 AND 64),
  legacy_key TEXT NOT NULL CHECK (length(legacy_key) BETWEEN 1 AND 64),
  payall_id TEXT NOT NULL CHECK (length(payall_id) BETWEEN 1 AND 128),
  imported_at_ms INTEGER NOT NULL,
  PRIMARY KEY (system, legacy_table, legacy_key)
) STRICT, WITHOUT ROWID;

CREATE TABLE devices_keyless (
  id TEXT PRIMARY KEY CHECK (length(id) BETWEEN 1 AND 64),
  user_id TEXT NOT NULL REFERENCES users (id),
  imei TEXT NOT NULL CHECK (length(imei) BETWEEN 1 AND 64),
  public_key BLOB CHECK (public_key IS NULL OR length(public_key) = 32),
  model TEXT,
  brand TEXT,
  status TEXT NOT NULL CHECK (status IN ('bound', 'unbound')),
  bound_at_ms INTEGER NOT NULL,
  unbound_at_ms INTEGER
) STRICT;
INSERT INTO devices_keyless (id, user_id, imei, public_key, model, brand, status, bound_at_ms, unbound_at_ms)
  SELECT id, user_id, imei, public_key, model, brand, status, bound_at_ms, unbound_at_ms FROM devices ORDER BY rowid;
DROP TABLE devices;
ALTER TABLE devices_keyless RENAME TO devices;
CREATE UNIQUE INDEX devices_one_bound_per_imei ON devices (imei) WHERE status = 'bound';
CREATE UNIQUE INDEX devices_one_bound_per_key ON devices (public_key) WHERE status = 'bound' AND public_key IS NOT NULL;
CREATE INDEX devices_by_user ON devices (user_id);
`
