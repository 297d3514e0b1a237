// Refunds of settled gateway payments: one row per refund id, the idempotency key the gateway
// chose. The money itself moves in the ledger, under a transfer id derived from the refund id.

export const REFUNDS_SQL = `
CREATE TABLE refunds (
  refund_id TEXT PRIMARY KEY CHECK (length(refund_id) = 32),
  transfer_id TEXT NOT NULL CHECK (length(transfer_id) = 64),
  ledger_transfer_id TEXT NOT NULL UNIQUE REFERENCES transfers (id),
  gateway_eui TEXT NOT NULL CHECK (length(gateway_eui) = 16),
  amount_minor INTEGER NOT NULL CHECK (amount_minor > 0),
  currency TEXT NOT NULL CHECK (length(currency) = 3),
  requested_at_ms INTEGER NOT NULL,
  created_at_ms INTEGER NOT NULL
) STRICT;
CREATE INDEX refunds_by_transfer ON refunds (transfer_id);
CREATE TRIGGER refunds_are_immutable BEFORE UPDATE ON refunds
BEGIN
  SELECT RAISE(ABORT, 'refunds are immutable');
END;
`
