// The mobile API's own tables (listed in hub/store/migrations.ts): payments waiting for the code sent
// to the payer, and the bank or wallet account numbers users link. Money itself lives in the ledger.

export const MOBILE_SQL = `
CREATE TABLE mobile_payments (
  id TEXT PRIMARY KEY CHECK (length(id) BETWEEN 1 AND 64),
  payer_user_id TEXT NOT NULL REFERENCES users (id),
  payee_user_id TEXT NOT NULL REFERENCES users (id),
  payer_account_id TEXT NOT NULL,
  payee_account_id TEXT NOT NULL,
  currency TEXT NOT NULL CHECK (length(currency) = 3),
  amount_minor INTEGER NOT NULL CHECK (amount_minor > 0),
  code_sha256 TEXT NOT NULL CHECK (length(code_sha256) = 64),
  wrong_codes INTEGER NOT NULL DEFAULT 0 CHECK (wrong_codes >= 0),
  status TEXT NOT NULL CHECK (status IN ('awaiting_confirmation', 'settled', 'cancelled')),
  transfer_id TEXT CHECK (transfer_id IS NULL OR length(transfer_id) = 64),
  created_at_ms INTEGER NOT NULL,
  expires_at_ms INTEGER NOT NULL CHECK (expires_at_ms > created_at_ms),
  closed_at_ms INTEGER,
  CHECK ((status = 'settled') = (transfer_id IS NOT NULL)),
  CHECK ((status = 'awaiting_confirmation') = (closed_at_ms IS NULL))
) STRICT;
CREATE INDEX mobile_payments_by_payer ON mobile_payments (payer_user_id, created_at_ms);

CREATE TABLE account_links (
  account_no TEXT PRIMARY KEY CHECK (length(account_no) BETWEEN 1 AND 64),
  user_id TEXT NOT NULL REFERENCES users (id),
  kind TEXT NOT NULL CHECK (kind IN ('wallet', 'bank')),
  linked_at_ms INTEGER NOT NULL
) STRICT;
CREATE INDEX account_links_by_user ON account_links (user_id);
`
