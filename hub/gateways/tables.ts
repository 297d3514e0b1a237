// The gateways table: the catalog entry a customer orders, the owner it belongs to, the merchant
// account it pays into, and, once provisioned, its Ed25519 key and signed risk config.

export const GATEWAYS_SQL = `
CREATE TABLE gateways (
  id TEXT PRIMARY KEY CHECK (length(id) BETWEEN 1 AND 64),
  eui TEXT NOT NULL UNIQUE CHECK (length(eui) = 16),
  name TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 120),
  type TEXT NOT NULL CHECK (length(type) BETWEEN 1 AND 40),
  price_minor INTEGER NOT NULL DEFAULT 0 CHECK (price_minor >= 0),
  price_currency TEXT NOT NULL DEFAULT 'XOF' CHECK (length(price_currency) = 3),
  status TEXT NOT NULL CHECK (status IN ('available', 'assigned', 'provisioned', 'retired')),
  owner_user_id TEXT REFERENCES users (id),
  merchant_account_id TEXT REFERENCES accounts (id),
  public_key BLOB CHECK (public_key IS NULL OR length(public_key) = 32),
  provisioning_token_sha256 TEXT CHECK (provisioning_token_sha256 IS NULL OR length(provisioning_token_sha256) = 64),
  provisioning_token_expires_at_ms INTEGER,
  risk_config BLOB,
  risk_config_serial INTEGER NOT NULL DEFAULT 0,
  created_at_ms INTEGER NOT NULL,
  provisioned_at_ms INTEGER,
  retired_at_ms INTEGER,
  CHECK (status <> 'provisioned' OR (public_key IS NOT NULL AND merchant_account_id IS NOT NULL AND owner_user_id IS NOT NULL))
) STRICT;
CREATE INDEX gateways_by_owner ON gateways (owner_user_id) WHERE owner_user_id IS NOT NULL;
`

// Whether each gateway's MQTT connection is open, as the hub last learned it: from the embedded broker's
// connects and disconnects, or, through an external broker, from the gateway's signed presence messages
// (protocol/messages/gateway-presence.ts) and the last will that says it went.
export const GATEWAY_PRESENCE_SQL = `
CREATE TABLE gateway_presence (
  eui TEXT PRIMARY KEY REFERENCES gateways (eui),
  online INTEGER NOT NULL CHECK (online IN (0, 1)),
  -- The hub's time when it learned of the last change.
  last_seen_at_ms INTEGER NOT NULL,
  -- The gateway's own time of the connection its last presence message spoke for; NULL when the embedded broker
  -- reported the change. A message for an older connection is a replay or arrived late: it changes nothing.
  connected_at_ms INTEGER
) STRICT;
`

/**
 * An EUI outlives the gateway that first held it: a retired gateway keeps its row for audit, and a new gateway may take
 * its EUI (unique among the gateways not retired). `chain` numbers the record chain the gateway's key signs (ingest
 * tables, per EUI): set at provisioning, a new number for each new key. Presence stays per EUI, as the broker sees it.
 */
export const GATEWAYS_REUSE_EUI_SQL = `
CREATE TABLE gateway_presence_by_eui (
  eui TEXT PRIMARY KEY CHECK (length(eui) = 16),
  online INTEGER NOT NULL CHECK (online IN (0, 1)),
  last_seen_at_ms INTEGER NOT NULL,
  connected_at_ms INTEGER
) STRICT;
INSERT INTO gateway_presence_by_eui (eui, online, last_seen_at_ms, connected_at_ms)
  SELECT eui, online, last_seen_at_ms, connected_at_ms FROM gateway_presence;
DROP TABLE gateway_presence;

CREATE TABLE gateways_reusing_eui (
  id TEXT PRIMARY KEY CHECK (length(id) BETWEEN 1 AND 64),
  eui TEXT NOT NULL CHECK (length(eui) = 16),
  name TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 120),
  type TEXT NOT NULL CHECK (length(type) BETWEEN 1 AND 40),
  price_minor INTEGER NOT NULL DEFAULT 0 CHECK (price_minor >= 0),
  price_currency TEXT NOT NULL DEFAULT 'XOF' CHECK (length(price_currency) = 3),
  status TEXT NOT NULL CHECK (status IN ('available', 'assigned', 'provisioned', 'retired')),
  owner_user_id TEXT REFERENCES users (id),
  merchant_account_id TEXT REFERENCES accounts (id),
  public_key BLOB CHECK (public_key IS NULL OR length(public_key) = 32),
  provisioning_token_sha256 TEXT CHECK (provisioning_token_sha256 IS NULL OR length(provisioning_token_sha256) = 64),
  provisioning_token_expires_at_ms INTEGER,
  risk_config BLOB,
  risk_config_serial INTEGER NOT NULL DEFAULT 0,
  created_at_ms INTEGER NOT NULL,
  provisioned_at_ms INTEGER,
  retired_at_ms INTEGER,
  chain INTEGER NOT NULL DEFAULT 1 CHECK (chain >= 1),
  CHECK (status <> 'provisioned' OR (public_key IS NOT NULL AND merchant_account_id IS NOT NULL AND owner_user_id IS NOT NULL))
) STRICT;
INSERT INTO gateways_reusing_eui (id, eui, name, type, price_minor, price_currency, status, owner_user_id, merchant_account_id,
    public_key, provisioning_token_sha256, provisioning_token_expires_at_ms, risk_config, risk_config_serial, created_at_ms,
    provisioned_at_ms, retired_at_ms)
  SELECT id, eui, name, type, price_minor, price_currency, status, owner_user_id, merchant_account_id, public_key,
    provisioning_token_sha256, provisioning_token_expires_at_ms, risk_config, risk_config_serial, created_at_ms,
    provisioned_at_ms, retired_at_ms
  FROM gateways ORDER BY rowid;
DROP TABLE gateways;
ALTER TABLE gateways_reusing_eui RENAME TO gateways;
ALTER TABLE gateway_presence_by_eui RENAME TO gateway_presence;
CREATE INDEX gateways_by_owner ON gateways (owner_user_id) WHERE owner_user_id IS NOT NULL;
CREATE INDEX gateways_by_eui ON gateways (eui, created_at_ms);
CREATE UNIQUE INDEX gateways_live_eui ON gateways (eui) WHERE status <> 'retired';
`
