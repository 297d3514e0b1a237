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
