// SQLite reads and writes of the LoRa path: each gateway's device as the network server names
// it, how far its revocations got, its reports (bounded history) and their checks, and the IP
// side's records to check against.

import { PaymentMode } from '../../protocol/messages/transfer-record'
import type { CommitmentFrame } from '../../protocol/messages/commitment-frame'
import type { NumberedChain } from '../ingest/store'
import type { SqliteDatabase } from '../store/database'
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

interface ReportRow {
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

const DEVICE_COLUMNS = `eui, dev_eui, device_id, last_f_cnt, last_frame_time_s, revocation_serial_queued, catch_up_serial,
  catch_up_after_id, catch_up_message, catch_up_fragment, lora_chunk_next`

interface DeviceRow {
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

export class LoraStore {
  private readonly statements

  constructor(private readonly db: SqliteDatabase) {
    this.statements = {
      device: db.prepare<[string], DeviceRow>(`SELECT ${DEVICE_COLUMNS} FROM lora_devices WHERE eui = ?`),
      devicesAfter: db.prepare<[string, number], DeviceRow>(`SELECT ${DEVICE_COLUMNS} FROM lora_devices WHERE eui > ? ORDER BY eui LIMIT ?`),
      // A delta queued moves on whichever chain it continues: the serial complete, or the catch-up's.
      deltaQueued: db.prepare<{ eui: string; serial: number; follows: number }>(
        `UPDATE lora_devices SET
           revocation_serial_queued = CASE WHEN revocation_serial_queued = @follows THEN @serial ELSE revocation_serial_queued END,
           catch_up_serial = CASE WHEN catch_up_serial = @follows THEN @serial ELSE catch_up_serial END
         WHERE eui = @eui`),
      startCatchUp: db.prepare<[number, string]>(
        `UPDATE lora_devices SET catch_up_serial = ?, catch_up_after_id = '' WHERE eui = ? AND catch_up_serial IS NULL`),
      nextChunk: db.prepare<[Buffer, string, string]>(
        `UPDATE lora_devices SET catch_up_message = ?, catch_up_fragment = 0, catch_up_after_id = ?,
           lora_chunk_next = lora_chunk_next + 1 WHERE eui = ? AND catch_up_serial IS NOT NULL`),
      fragmentsSent: db.prepare<[number, string]>(
        'UPDATE lora_devices SET catch_up_fragment = ? WHERE eui = ? AND catch_up_message IS NOT NULL'),
      chunkSent: db.prepare<[string]>(
        'UPDATE lora_devices SET catch_up_message = NULL, catch_up_fragment = 0 WHERE eui = ?'),
      finishCatchUp: db.prepare<[string]>(
        `UPDATE lora_devices SET revocation_serial_queued = MAX(revocation_serial_queued, catch_up_serial),
           catch_up_serial = NULL, catch_up_after_id = NULL, catch_up_message = NULL, catch_up_fragment = 0
         WHERE eui = ? AND catch_up_serial IS NOT NULL`),
      upsertDevice: db.prepare(
        `INSERT INTO lora_devices (eui, dev_eui, device_id, last_f_cnt, last_frame_time_s, last_report_at_ms)
         VALUES (@eui, @devEui, @deviceId, @fCnt, @timeS, @nowMs)
         ON CONFLICT (eui) DO UPDATE SET dev_eui = excluded.dev_eui, device_id = excluded.device_id,
           last_f_cnt = excluded.last_f_cnt, last_frame_time_s = excluded.last_frame_time_s,
           last_report_at_ms = excluded.last_report_at_ms`),
      insertReport: db.prepare(
        `INSERT INTO lora_reports (eui, chain, f_cnt, gateway_seq, unsynced_count, unsynced_amount_minor, currency, head_prefix,
           frame_time_s, rssi, snr, received_at_ms, check_state, mismatch, mismatch_detail, checked_at_ms)
         VALUES (@eui, @chain, @fCnt, @gatewaySeq, @unsyncedCount, @unsyncedAmountMinor, @currency, @headPrefix, @timeS, @rssi, @snr,
           @nowMs, @state, @mismatch, @detail, @checkedAtMs)`),
      pruneReports: db.prepare<[string, string, number]>(
        `DELETE FROM lora_reports WHERE eui = ? AND check_state <> 'mismatch' AND id <= (
           SELECT id FROM lora_reports WHERE eui = ? AND check_state <> 'mismatch' ORDER BY id DESC LIMIT 1 OFFSET ?)`),
      pruneMismatches: db.prepare<[string, string, number]>(
        `DELETE FROM lora_reports WHERE eui = ? AND check_state = 'mismatch' AND id <= (
           SELECT id FROM lora_reports WHERE eui = ? AND check_state = 'mismatch' ORDER BY id DESC LIMIT 1 OFFSET ?)`),
      reports: db.prepare<[string, number], ReportRow>('SELECT * FROM lora_reports WHERE eui = ? ORDER BY id DESC LIMIT ?'),
      mismatches: db.prepare<[string], { count: number }>(
        `SELECT COUNT(*) AS count FROM lora_reports WHERE eui = ? AND check_state = 'mismatch'`),
      pending: db.prepare<[string, number, number, number], ReportRow>(
        `SELECT * FROM lora_reports WHERE eui = ? AND chain = ? AND check_state = 'pending' AND gateway_seq <= ? ORDER BY id LIMIT ?`),
      setCheck: db.prepare(
        `UPDATE lora_reports SET check_state = @state, mismatch = @mismatch, mismatch_detail = @detail, checked_at_ms = @nowMs
         WHERE id = @id AND check_state = 'pending'`),
      contiguous: db.prepare<[string, number], { contiguous_seq: number }>(
        'SELECT contiguous_seq FROM gateway_chains WHERE eui = ? AND chain = ?'),
      hashAt: db.prepare<[string, number, number], { record_hash: Buffer }>(
        'SELECT record_hash FROM gateway_records WHERE eui = ? AND chain = ? AND gateway_seq = ?'),
      offlineAmounts: db.prepare<[string, number, number, string, number, number], { amount_minor: number }>(
        `SELECT amount_minor FROM gateway_records WHERE eui = ? AND chain = ? AND gateway_seq <= ? AND currency = ? AND mode = ?
         ORDER BY gateway_seq DESC LIMIT ?`),
    }
  }

  device(eui: string): StoredDevice | undefined {
    const row = this.statements.device.get(eui)
    return row === undefined ? undefined : deviceOf(row)
  }

  /** Devices in EUI order after `afterEui` (start with ''): the gateways a downlink goes to. */
  devicesAfter(afterEui: string, limit: number): StoredDevice[] {
    return this.statements.devicesAfter.all(afterEui, limit).map(deviceOf)
  }

  /** Records that what delta `serial` (following `follows`) added was queued for the gateway. */
  markDeltaQueued(eui: string, serial: number, follows: number): void {
    this.statements.deltaQueued.run({ eui, serial, follows })
  }

  /** Starts a whole-list catch-up at `serial` from the first voucher id, unless one is under way. */
  startCatchUp(eui: string, serial: number): void {
    this.statements.startCatchUp.run(serial, eui)
  }

  /** The catch-up's next chunk, its ids up to `lastIdHex`, signed: its fragments go from the first. */
  setCatchUpChunk(eui: string, message: Uint8Array, lastIdHex: string): void {
    this.statements.nextChunk.run(Buffer.from(message), lastIdHex, eui)
  }

  /** The chunk's fragments before `fragment` were queued. */
  markCatchUpFragments(eui: string, fragment: number): void {
    this.statements.fragmentsSent.run(fragment, eui)
  }

  /** Every fragment of the chunk was queued. */
  markCatchUpChunkSent(eui: string): void {
    this.statements.chunkSent.run(eui)
  }

  /** The walk reached the end of the list: every voucher listed at its serial was queued. */
  finishCatchUp(eui: string): void {
    this.statements.finishCatchUp.run(eui)
  }

  /** Stores a report and the device's new frame counter in one transaction, and trims the history. */
  addReport(uplink: LoraUplink, chain: number, frame: CommitmentFrame, check: FrameCheck, now_ms: number): number {
    const s = this.statements
    return this.db.transaction(() => {
      s.upsertDevice.run({ eui: uplink.eui, devEui: uplink.devEui, deviceId: uplink.deviceId, fCnt: uplink.fCnt, timeS: frame.timeS, nowMs: now_ms })
      const { lastInsertRowid } = s.insertReport.run({
        eui: uplink.eui, chain, fCnt: uplink.fCnt, gatewaySeq: frame.gatewaySeq, unsyncedCount: frame.unsyncedCount,
        unsyncedAmountMinor: frame.unsyncedAmountMinor, currency: frame.currency, headPrefix: Buffer.from(frame.headPrefix),
        timeS: frame.timeS, rssi: uplink.rssi ?? null, snr: uplink.snr ?? null, nowMs: now_ms, ...checkColumns(check),
        checkedAtMs: check.state === 'pending' ? null : now_ms,
      })
      s.pruneReports.run(uplink.eui, uplink.eui, LORA_REPORTS_KEPT_MAX)
      s.pruneMismatches.run(uplink.eui, uplink.eui, LORA_MISMATCHES_KEPT_MAX)
      return Number(lastInsertRowid)
    })()
  }

  /** The newest reports first. */
  reports(eui: string, limit: number): LoraReport[] {
    return this.statements.reports.all(eui, limit).map(reportOf)
  }

  mismatchCount(eui: string): number {
    return this.statements.mismatches.get(eui)!.count
  }

  /** Reports still waiting for records, for sequences the hub now holds contiguously. */
  pendingReports(of: NumberedChain): LoraReport[] {
    const contiguous = this.statements.contiguous.get(of.eui, of.chain)?.contiguous_seq ?? 0
    return this.statements.pending.all(of.eui, of.chain, contiguous, PENDING_CHECKED_MAX).map(reportOf)
  }

  setCheck(id: number, check: FrameCheck, now_ms: number): void {
    this.statements.setCheck.run({ id, nowMs: now_ms, ...checkColumns(check) })
  }

  /** What the IP side holds of a gateway's chain, as checkFrame needs it. */
  chainAtHub(of: NumberedChain, frame: CommitmentFrame): ChainAtHub {
    const s = this.statements
    const { eui, chain } = of
    const hash = s.hashAt.get(eui, chain, frame.gatewaySeq)?.record_hash
    return {
      contiguousSeq: s.contiguous.get(eui, chain)?.contiguous_seq ?? 0,
      hashAtSeq: hash === undefined ? undefined : new Uint8Array(hash),
      offlineAmountsNewestFirst: s.offlineAmounts
        .all(eui, chain, frame.gatewaySeq, frame.currency, PaymentMode.Offline, frame.unsyncedCount + 1)
        .map(row => row.amount_minor),
    }
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
