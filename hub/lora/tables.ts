// What the hub heard from gateways over LoRa: each CommitmentFrame with its radio metadata and
// the result of checking it against the records that came over IP, and per gateway the device
// as the network server names it (for downlinks) and the last frame counter taken.

export const LORA_SQL = `
CREATE TABLE lora_devices (
  eui TEXT PRIMARY KEY CHECK (length(eui) = 16),
  -- The network server's names for the device: ChirpStack's DevEUI as spelled in its topics,
  -- The Things Stack's device id. Downlinks are addressed with them.
  dev_eui TEXT NOT NULL,
  device_id TEXT NOT NULL,
  last_f_cnt INTEGER NOT NULL CHECK (last_f_cnt >= 0),
  last_frame_time_s INTEGER NOT NULL,
  last_report_at_ms INTEGER NOT NULL
) STRICT;

CREATE TABLE lora_reports (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  eui TEXT NOT NULL CHECK (length(eui) = 16),
  f_cnt INTEGER NOT NULL CHECK (f_cnt >= 0),
  gateway_seq INTEGER NOT NULL CHECK (gateway_seq >= 0),
  unsynced_count INTEGER NOT NULL CHECK (unsynced_count >= 0),
  unsynced_amount_minor INTEGER NOT NULL CHECK (unsynced_amount_minor >= 0),
  currency TEXT NOT NULL CHECK (length(currency) = 3),
  head_prefix BLOB NOT NULL CHECK (length(head_prefix) = 16),
  frame_time_s INTEGER NOT NULL,
  rssi REAL,
  snr REAL,
  received_at_ms INTEGER NOT NULL,
  -- pending until the records up to gateway_seq have arrived over IP.
  check_state TEXT NOT NULL CHECK (check_state IN ('pending', 'consistent', 'mismatch')),
  mismatch TEXT CHECK ((check_state = 'mismatch') = (mismatch IS NOT NULL)),
  mismatch_detail TEXT,
  checked_at_ms INTEGER
) STRICT;
CREATE INDEX lora_reports_by_gateway ON lora_reports (eui, id);
CREATE INDEX lora_reports_pending ON lora_reports (eui, gateway_seq) WHERE check_state = 'pending';
`

/**
 * The serial of the latest revocation list whose downlinks were queued at the network server for
 * each gateway (acknowledged by its broker). A gateway behind it gets the latest list whole at its
 * next report: lists issued while the network server could not be reached, or whose downlinks a
 * hub stop cut short, are not lost.
 */
export const LORA_REVOCATIONS_QUEUED_SQL = `
ALTER TABLE lora_devices ADD COLUMN revocation_serial_queued INTEGER NOT NULL DEFAULT 0 CHECK (revocation_serial_queued >= 0);
`

/**
 * How far each gateway got in a catch-up of the whole revocation list over LoRa. The list is walked
 * in voucher id order, one signed chunk of ids at a time (catch_up_message, the chunk being sent,
 * catch_up_fragment its next fragment), a bounded number of downlinks per report, the next chunk
 * starting after catch_up_after_id; catch_up_serial is the serial whose every listed voucher will
 * have been queued once the walk ends (the one it started at, moved on by the deltas queued for
 * the gateway meanwhile). lora_chunk_next numbers the chunks a gateway is sent, so a chunk is never
 * mistaken for a replay of an earlier one.
 */
export const LORA_CATCH_UP_SQL = `
ALTER TABLE lora_devices ADD COLUMN catch_up_serial INTEGER CHECK (catch_up_serial IS NULL OR catch_up_serial >= 1);
ALTER TABLE lora_devices ADD COLUMN catch_up_after_id TEXT CHECK ((catch_up_serial IS NULL) = (catch_up_after_id IS NULL));
ALTER TABLE lora_devices ADD COLUMN catch_up_message BLOB CHECK (catch_up_message IS NULL OR catch_up_serial IS NOT NULL);
ALTER TABLE lora_devices ADD COLUMN catch_up_fragment INTEGER NOT NULL DEFAULT 0 CHECK (catch_up_fragment >= 0);
ALTER TABLE lora_devices ADD COLUMN lora_chunk_next INTEGER NOT NULL DEFAULT 0 CHECK (lora_chunk_next >= 0);
`

/** A report speaks of the chain its gateway signed when it was heard (chains are numbered per EUI, ingest tables). */
export const LORA_REPORTS_CHAIN_SQL = `
ALTER TABLE lora_reports ADD COLUMN chain INTEGER NOT NULL DEFAULT 1 CHECK (chain >= 1);
DROP INDEX lora_reports_pending;
CREATE INDEX lora_reports_pending ON lora_reports (eui, chain, gateway_seq) WHERE check_state = 'pending';
`
