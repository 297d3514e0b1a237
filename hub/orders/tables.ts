// Gateway orders (listed in hub/store/migrations.ts): what a user ordered from the catalog, at the
// price of the day, and the operator's decision. Validating an order assigns its gateways to the buyer.

export const ORDERS_SQL = `
CREATE TABLE orders (
  id TEXT PRIMARY KEY CHECK (length(id) BETWEEN 1 AND 64),
  user_id TEXT NOT NULL REFERENCES users (id),
  status TEXT NOT NULL CHECK (status IN ('pending', 'validated', 'rejected')),
  currency TEXT NOT NULL CHECK (length(currency) = 3),
  total_minor INTEGER NOT NULL CHECK (total_minor >= 0),
  shipping_address TEXT NOT NULL CHECK (length(shipping_address) BETWEEN 1 AND 500),
  decision_reason TEXT CHECK (decision_reason IS NULL OR length(decision_reason) <= 500),
  decided_by_user_id TEXT REFERENCES users (id),
  created_at_ms INTEGER NOT NULL,
  decided_at_ms INTEGER,
  CHECK ((status = 'pending') = (decided_at_ms IS NULL))
) STRICT;
CREATE INDEX orders_by_user ON orders (user_id, created_at_ms);
CREATE INDEX orders_by_status ON orders (status, created_at_ms);

CREATE TABLE order_items (
  order_id TEXT NOT NULL REFERENCES orders (id),
  item_index INTEGER NOT NULL CHECK (item_index >= 0),
  gateway_id TEXT NOT NULL CHECK (length(gateway_id) BETWEEN 1 AND 64),
  quantity INTEGER NOT NULL CHECK (quantity >= 1),
  unit_price_minor INTEGER NOT NULL CHECK (unit_price_minor >= 0),
  PRIMARY KEY (order_id, item_index)
) STRICT;
`
