// The LoRa path's reads and writes, on either SQL engine: each gateway's device as the network server names
// it, how far its revocations got, its reports (bounded history) and their checks, and the IP
// side's records to check against.

import { PaymentMode } from '../../protocol/messages/transfer-record'
import type { CommitmentFrame } from '../../protocol/messages/commitment-frame'
import type { NumberedChain } from '../ingest/store'
import type { SqlEngine } from '../store/sql'
import type { ChainAtHub, FrameCheck, LoraMismatch } from './check'
import type { LoraDevice } from './format'
import type { LoraUplink } from './uplink'

/** Reports kept per gateway; older ones go, except mismatches, which are flags. */
export const LORA_REPORTS_KEPT_MAX = 100
/** Mismatches kept per gateway: a misbehaving gateway cannot grow the table without bound. */
const LORA_MISMATCHES_KEPT_MAX = 1000
/** Reports rechecked at once when records arrive. */
const PENDING_CHECKED_MAX = 1000

export interface StoredDevice extends LoraDevice {
  readonly eui: string
  readonly lastFCnt: number
  readonly lastFrameTimeS: number
  /** Every voucher listed at this revocation serial was queued for this gateway at the network server's broker (0: none). */
  readonly revocationSerialQueued: number
  /** A whole-list catch-up under way (tables.ts LORA_CATCH_UP_SQL), or undefined. */
  readonly catchUp: CatchUpProgress | undefined
  /** The number of the next whole-list chunk sent to this gateway. */
  readonly chunkNext: number
}

interface CatchUpProgress {
  readonly serial: number
  /** The last voucher id of the chunks made so far ('' before the first). */
  readonly afterIdHex: string
  /** The signed chunk being sent, and its next fragment; undefined between chunks. */
  readonly message: { readonly bytes: Uint8Array; readonly fragment: number } | undefined
}

export interface LoraReport {
  readonly id: number
  readonly eui: string
  readonly fCnt: number
  readonly frame: CommitmentFrame
  readonly rssi: number | null
  readonly snr: number | null
  readonly receivedAtMs: number
  readonly check: FrameCheck
  readonly checkedAtMs: number | null
}

type ReportRow = {
  id: number
  eui: string
  f_cnt: number
  gateway_seq: number
  unsynced_count: number
  unsynced_amount_minor: number
  currency: string
  head_prefix: Buffer
  frame_time_s: number
  rssi: number | null
  snr: number | null
  received_at_ms: number
  check_state: FrameCheck['state']
  mismatch: LoraMismatch | null
  mismatch_detail: string | null
  checked_at_ms: number | null
}

const REPORT_COLUMNS = `id, eui, f_cnt, gateway_seq, unsynced_count, unsynced_amount_minor, currency, head_prefix, frame_time_s, rssi, snr,
  received_at_ms, check_state, mismatch, mismatch_detail, checked_at_ms`

const DEVICE_COLUMNS = `eui, dev_eui, device_id, last_f_cnt, last_frame_time_s, revocation_serial_queued, catch_up_serial,
  catch_up_after_id, catch_up_message, catch_up_fragment, lora_chunk_next`

type DeviceRow = {
  eui: string
  dev_eui: string
  device_id: string
  last_f_cnt: number
  last_frame_time_s: number
  revocation_serial_queued: number
  catch_up_serial: number | null
  catch_up_after_id: string | null
  catch_up_message: Buffer | null
  catch_up_fragment: number
  lora_chunk_next: number
}

const SQL = {
  device: `SELECT ${DEVICE_COLUMNS} FROM lora_devices WHERE eui = ?`,
  devicesAfter: `SELECT ${DEVICE_COLUMNS} FROM lora_devices WHERE eui > ? ORDER BY eui LIMIT ?`,
  // A delta queued moves on whichever chain it continues: the serial complete, or the catch-up's.
  deltaQueued: `UPDATE lora_devices SET
      revocation_serial_queued = CASE WHEN revocation_serial_queued = ? THEN ? ELSE revocation_serial_queued END,
      catch_up_serial = CASE WHEN catch_up_serial = ? THEN ? ELSE catch_up_serial END
    WHERE eui = ?`,
  startCatchUp: `UPDATE lora_devices SET catch_up_serial = ?, catch_up_after_id = '' WHERE eui = ? AND catch_up_serial IS NULL`,
  nextChunk: `UPDATE lora_devices SET catch_up_message = ?, catch_up_fragment = 0, catch_up_after_id = ?,
      lora_chunk_next = lora_chunk_next + 1 WHERE eui = ? AND catch_up_serial IS NOT NULL`,
  fragmentsSent: 'UPDATE lora_devices SET catch_up_fragment = ? WHERE eui = ? AND catch_up_message IS NOT NULL',
  chunkSent: 'UPDATE lora_devices SET catch_up_message = NULL, catch_up_fragment = 0 WHERE eui = ?',
  finishCatchUp: `UPDATE lora_devices SET
      revocation_serial_queued = CASE WHEN catch_up_serial > revocation_serial_queued THEN catch_up_serial ELSE revocation_serial_queued END,
      catch_up_serial = NULL, catch_up_after_id = NULL, catch_up_message = NULL, catch_up_fragment = 0
    WHERE eui = ? AND catch_up_serial IS NOT NULL`,
  // The frame counter is taken here, once: of two hubs given copies of one uplink, one stores it (the other's
  // condition fails). A counter not beyond the last is taken only with a later frame time (a new LoRaWAN session).
  upsertDevice: `INSERT INTO lora_devices (eui, dev_eui, device_id, last_f_cnt, last_frame_time_s, last_report_at_ms)
    VALUES (?, ?, ?, ?, ?, ?)
    ON CONFLICT (eui) DO UPDATE SET dev_eui = excluded.dev_eui, device_id = excluded.device_id,
      last_f_cnt = excluded.last_f_cnt, last_frame_time_s = excluded.last_frame_time_s,
      last_report_at_ms = excluded.last_report_at_ms
    WHERE excluded.last_f_cnt > lora_devices.last_f_cnt OR excluded.last_frame_time_s > lora_devices.last_frame_time_s`,
  insertReport: `INSERT INTO lora_reports (eui, chain, f_cnt, gateway_seq, unsynced_count, unsynced_amount_minor, currency, head_prefix,
      frame_time_s, rssi, snr, received_at_ms, check_state, mismatch, mismatch_detail, checked_at_ms)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
  pruneReports: `DELETE FROM lora_reports WHERE eui = ? AND check_state <> 'mismatch' AND id <= (
      SELECT id FROM lora_reports WHERE eui = ? AND check_state <> 'mismatch' ORDER BY id DESC LIMIT 1 OFFSET ?)`,
  pruneMismatches: `DELETE FROM lora_reports WHERE eui = ? AND check_state = 'mismatch' AND id <= (
      SELECT id FROM lora_reports WHERE eui = ? AND check_state = 'mismatch' ORDER BY id DESC LIMIT 1 OFFSET ?)`,
  reports: `SELECT ${REPORT_COLUMNS} FROM lora_reports WHERE eui = ? ORDER BY id DESC LIMIT ?`,
  mismatches: `SELECT COUNT(*) AS count FROM lora_reports WHERE eui = ? AND check_state = 'mismatch'`,
  pending: `SELECT ${REPORT_COLUMNS} FROM lora_reports WHERE eui = ? AND chain = ? AND check_state = 'pending' AND gateway_seq <= ?
    ORDER BY id LIMIT ?`,
  setCheck: `UPDATE lora_reports SET check_state = ?, mismatch = ?, mismatch_detail = ?, checked_at_ms = ?
    WHERE id = ? AND check_state = 'pending'`,
  // The ingest's tables, read as the ingest has them.
  contiguous: 'SELECT contiguous_seq FROM gateway_chains WHERE eui = ? AND chain = ?',
  hashAt: 'SELECT record_hash FROM gateway_records WHERE eui = ? AND chain = ? AND gateway_seq = ?',
  offlineAmounts: `SELECT amount_minor FROM gateway_records WHERE eui = ? AND chain = ? AND gateway_seq <= ? AND currency = ? AND mode = ?
    ORDER BY gateway_seq DESC LIMIT ?`,
} as const

export class LoraStore {
  constructor(private readonly engine: SqlEngine) {}

  async device(eui: string): Promise<StoredDevice | undefined> {
    const row = await this.engine.get<DeviceRow>(SQL.device, [eui])
    return row === undefined ? undefined : deviceOf(row)
  }

  /** Devices in EUI order after `afterEui` (start with ''): the gateways a downlink goes to. */
  async devicesAfter(afterEui: string, limit: number): Promise<StoredDevice[]> {
    return (await this.engine.all<DeviceRow>(SQL.devicesAfter, [afterEui, limit])).map(deviceOf)
  }

  /** Records that what delta `serial` (following `follows`) added was queued for the gateway. */
  async markDeltaQueued(eui: string, serial: number, follows: number): Promise<void> {
    await this.engine.run(SQL.deltaQueued, [follows, serial, follows, serial, eui])
  }

  /** Starts a whole-list catch-up at `serial` from the first voucher id, unless one is under way. */
  async startCatchUp(eui: string, serial: number): Promise<void> {
    await this.engine.run(SQL.startCatchUp, [serial, eui])
  }

  /** The catch-up's next chunk, its ids up to `lastIdHex`, signed: its fragments go from the first. */
  async setCatchUpChunk(eui: string, message: Uint8Array, lastIdHex: string): Promise<void> {
    await this.engine.run(SQL.nextChunk, [Buffer.from(message), lastIdHex, eui])
  }

  /** The chunk's fragments before `fragment` were queued. */
  async markCatchUpFragments(eui: string, fragment: number): Promise<void> {
    await this.engine.run(SQL.fragmentsSent, [fragment, eui])
  }

  /** Every fragment of the chunk was queued. */
  async markCatchUpChunkSent(eui: string): Promise<void> {
    await this.engine.run(SQL.chunkSent, [eui])
  }

  /** The walk reached the end of the list: every voucher listed at its serial was queued. */
  async finishCatchUp(eui: string): Promise<void> {
    await this.engine.run(SQL.finishCatchUp, [eui])
  }

  /**
   * Stores a report and the device's new frame counter in one transaction, and trims the history; returns the report's
   * id, or undefined, with nothing written, when the counter was taken already (by a copy of the uplink, or a later one).
   */
  addReport(uplink: LoraUplink, chain: number, frame: CommitmentFrame, check: FrameCheck, now_ms: number): Promise<number | undefined> {
    const { state, mismatch, detail } = checkColumns(check)
    return this.engine.write(async (sql) => {
      const taken = await sql.run(SQL.upsertDevice, [uplink.eui, uplink.devEui, uplink.deviceId, uplink.fCnt, frame.timeS, now_ms])
      if (taken.changes !== 1) return undefined
      const inserted = await sql.get<{ id: number }>(SQL.insertReport, [
        uplink.eui, chain, uplink.fCnt, frame.gatewaySeq, frame.unsyncedCount, frame.unsyncedAmountMinor, frame.currency,
        Buffer.from(frame.headPrefix), frame.timeS, uplink.rssi ?? null, uplink.snr ?? null, now_ms, state, mismatch, detail,
        check.state === 'pending' ? null : now_ms,
      ])
      await sql.run(SQL.pruneReports, [uplink.eui, uplink.eui, LORA_REPORTS_KEPT_MAX])
      await sql.run(SQL.pruneMismatches, [uplink.eui, uplink.eui, LORA_MISMATCHES_KEPT_MAX])
      return inserted!.id
    })
  }

  /** The newest reports first. */
  async reports(eui: string, limit: number): Promise<LoraReport[]> {
    return (await this.engine.all<ReportRow>(SQL.reports, [eui, limit])).map(reportOf)
  }

  async mismatchCount(eui: string): Promise<number> {
    return (await this.engine.get<{ count: number }>(SQL.mismatches, [eui]))!.count
  }

  /** Reports still waiting for records, for sequences the hub now holds contiguously. */
  async pendingReports(of: NumberedChain): Promise<LoraReport[]> {
    const contiguous = (await this.engine.get<{ contiguous_seq: number }>(SQL.contiguous, [of.eui, of.chain]))?.contiguous_seq ?? 0
    return (await this.engine.all<ReportRow>(SQL.pending, [of.eui, of.chain, contiguous, PENDING_CHECKED_MAX])).map(reportOf)
  }

  /** False when the report was checked already (by another hub, given the same records). */
  async setCheck(id: number, check: FrameCheck, now_ms: number): Promise<boolean> {
    const { state, mismatch, detail } = checkColumns(check)
    return (await this.engine.run(SQL.setCheck, [state, mismatch, detail, now_ms, id])).changes === 1
  }

  /** What the IP side holds of a gateway's chain, as checkFrame needs it, read as one snapshot. */
  chainAtHub(of: NumberedChain, frame: CommitmentFrame): Promise<ChainAtHub> {
    const { eui, chain } = of
    return this.engine.read(async (sql) => {
      const hash = (await sql.get<{ record_hash: Buffer }>(SQL.hashAt, [eui, chain, frame.gatewaySeq]))?.record_hash
      const contiguous = await sql.get<{ contiguous_seq: number }>(SQL.contiguous, [eui, chain])
      const amounts = await sql.all<{ amount_minor: number }>(SQL.offlineAmounts,
        [eui, chain, frame.gatewaySeq, frame.currency, PaymentMode.Offline, frame.unsyncedCount + 1])
      return {
        contiguousSeq: contiguous?.contiguous_seq ?? 0,
        hashAtSeq: hash === undefined ? undefined : new Uint8Array(hash),
        offlineAmountsNewestFirst: amounts.map(row => row.amount_minor),
      }
    })
  }
}

function checkColumns(check: FrameCheck): { state: FrameCheck['state']; mismatch: LoraMismatch | null; detail: string | null } {
  return check.state === 'mismatch'
    ? { state: check.state, mismatch: check.mismatch, detail: check.detail }
    : { state: check.state, mismatch: null, detail: null }
}

function deviceOf(row: DeviceRow): StoredDevice {
  return {
    eui: row.eui, devEui: row.dev_eui, deviceId: row.device_id, lastFCnt: row.last_f_cnt, lastFrameTimeS: row.last_frame_time_s,
    revocationSerialQueued: row.revocation_serial_queued,
    catchUp: row.catch_up_serial === null ? undefined : {
      serial: row.catch_up_serial,
      afterIdHex: row.catch_up_after_id ?? '',
      message: row.catch_up_message === null ? undefined : { bytes: new Uint8Array(row.catch_up_message), fragment: row.catch_up_fragment },
    },
    chunkNext: row.lora_chunk_next,
  }
}

function reportOf(row: ReportRow): LoraReport {
  const check: FrameCheck = row.check_state === 'mismatch'
    ? { state: 'mismatch', mismatch: row.mismatch!, detail: row.mismatch_detail ?? '' }
    : { state: row.check_state }
  return {
    id: row.id,
    eui: row.eui,
    fCnt: row.f_cnt,
    frame: {
      gatewaySeq: row.gateway_seq, unsyncedCount: row.unsynced_count, unsyncedAmountMinor: row.unsynced_amount_minor,
      currency: row.currency, headPrefix: new Uint8Array(row.head_prefix), timeS: row.frame_time_s,
    },
    rssi: row.rssi,
    snr: row.snr,
    receivedAtMs: row.received_at_ms,
    check,
    checkedAtMs: row.checked_at_ms,
  }
}
