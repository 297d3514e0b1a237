// What the embedded broker keeps in the hub's database: the nonces of the gateway passwords it has
// accepted, each until it leaves the time window, and the latest clock reading it has seen, so a
// password is accepted once even across hub restarts.

export const MQTT_PASSWORD_NONCES_SQL = `
CREATE TABLE mqtt_password_nonces (
  eui TEXT NOT NULL CHECK (length(eui) = 16),
  nonce BLOB NOT NULL CHECK (length(nonce) = 16),
  -- The signed time plus the window: until then the password could be presented again.
  expires_at_ms INTEGER NOT NULL,
  PRIMARY KEY (eui, nonce)
) STRICT, WITHOUT ROWID;
CREATE INDEX mqtt_password_nonces_by_expiry ON mqtt_password_nonces (expires_at_ms);

-- Nonces are forgotten once this reading puts them out of the window; kept so that a clock set
-- back after a restart does not reopen them.
CREATE TABLE mqtt_password_clock (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  highest_now_ms INTEGER NOT NULL
) STRICT;
`
