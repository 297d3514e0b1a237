// The other domains' tables that the gateway and LoRa stores read and write (the ingest's record chains, their gaps
// and forks, and the records), for the PostgreSQL half of their tests: translated from
// SQLite's schema, made only where missing, until those domains have PostgreSQL migrations of their own. On SQLite
// the hub's migrations have them already.

import type { SqlEngine } from '../../../hub/store/sql'

const OTHER_DOMAINS_TABLES_PG = [
  `CREATE TABLE IF NOT EXISTS gateway_records (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    eui TEXT NOT NULL CHECK (length(eui) = 16),
    chain BIGINT NOT NULL CHECK (chain >= 1),
    gateway_seq BIGINT NOT NULL CHECK (gateway_seq >= 1),
    record_hash BYTEA NOT NULL CHECK (length(record_hash) = 32),
    transfer_id TEXT NOT NULL CHECK (length(transfer_id) = 64),
    voucher_id TEXT NOT NULL CHECK (length(voucher_id) = 32),
    voucher_seq BIGINT NOT NULL,
    cumulative_minor BIGINT NOT NULL,
    amount_minor BIGINT NOT NULL,
    currency TEXT NOT NULL,
    mode BIGINT NOT NULL,
    time_ms BIGINT NOT NULL,
    record BYTEA NOT NULL,
    outcome TEXT NOT NULL CHECK (outcome IN ('settled', 'flagged', 'rejected')),
    reason BIGINT NOT NULL,
    received_at_ms BIGINT NOT NULL,
    UNIQUE (eui, chain, gateway_seq)
  )`,
  `CREATE TABLE IF NOT EXISTS gateway_chains (
    eui TEXT NOT NULL CHECK (length(eui) = 16),
    chain BIGINT NOT NULL CHECK (chain >= 1),
    gateway_id TEXT REFERENCES gateways (id),
    public_key BYTEA CHECK (public_key IS NULL OR length(public_key) = 32),
    state TEXT NOT NULL CHECK (state IN ('open', 'closing', 'closed')),
    contiguous_seq BIGINT NOT NULL,
    contiguous_hash BYTEA NOT NULL CHECK (length(contiguous_hash) = 32),
    highest_seq BIGINT NOT NULL,
    head BYTEA,
    opened_at_ms BIGINT NOT NULL,
    updated_at_ms BIGINT,
    closing_at_ms BIGINT,
    closed_at_ms BIGINT,
    written_off_from_seq BIGINT,
    written_off_to_seq BIGINT,
    written_off_by_user_id TEXT,
    written_off_note TEXT,
    PRIMARY KEY (eui, chain),
    CHECK ((state = 'open') = (closing_at_ms IS NULL)),
    CHECK ((state = 'closed') = (closed_at_ms IS NOT NULL))
  )`,
  `CREATE TABLE IF NOT EXISTS chain_gaps (
    eui TEXT NOT NULL,
    chain BIGINT NOT NULL CHECK (chain >= 1),
    from_seq BIGINT NOT NULL,
    to_seq BIGINT NOT NULL CHECK (to_seq >= from_seq),
    detected_at_ms BIGINT NOT NULL,
    resolved_at_ms BIGINT,
    written_off INTEGER NOT NULL DEFAULT 0 CHECK (written_off IN (0, 1)),
    PRIMARY KEY (eui, chain, from_seq)
  )`,
  `CREATE TABLE IF NOT EXISTS chain_forks (
    eui TEXT NOT NULL,
    chain BIGINT NOT NULL CHECK (chain >= 1),
    gateway_seq BIGINT NOT NULL,
    known_hash BYTEA NOT NULL,
    other_record BYTEA NOT NULL,
    detected_at_ms BIGINT NOT NULL,
    PRIMARY KEY (eui, chain, gateway_seq, other_record)
  )`,
]

/** Makes those tables on a PostgreSQL engine where missing; nothing on SQLite, whose migrations made them. */
export async function withOtherDomainsTables(engine: SqlEngine): Promise<void> {
  if (engine.dialect !== 'postgres') return
  for (const statement of OTHER_DOMAINS_TABLES_PG) await engine.run(statement)
}
