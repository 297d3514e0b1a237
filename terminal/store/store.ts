// The terminal's durable state in one SQLite file: its identity, the pinned hub key (and TLS
// certificates), the MQTT settings, the signed RiskConfig, the revoked vouchers, the record chain,
// what it has seen of each voucher, open payment requests and the sync bookkeeping. Appending a
// record is one transaction that commits durably before the caller may say "approved".

import type { Transaction } from 'better-sqlite3'
import { existsSync, mkdirSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { equalBytes, sha256 } from '../../protocol/bytes'
import { appendRecord, type ChainPosition } from '../../protocol/chain'
import { assert } from '../../protocol/errors'
import { AckOutcome, type AckBody } from '../../protocol/messages/ack'
import type { Authorization } from '../../protocol/messages/authorization'
import { transferIdOf } from '../../protocol/messages/authorization'
import { riskConfigCodec, type RiskConfig } from '../../protocol/messages/risk-config'
import { PaymentMode, transferRecordCodec } from '../../protocol/messages/transfer-record'
import type { Voucher } from '../../protocol/messages/voucher'
import type { GatewayTopics } from '../../protocol/topics'
import type { Reason } from '../../protocol/reasons'
import type { KeyPair } from '../../protocol/signature/ed25519'
import { nodeEd25519 } from '../../protocol/signature/node'
import { TerminalError } from '../errors'
import type { Exposure, VoucherSeen } from '../risk'
import { blob, bytes, openDatabase, type SqliteDatabase } from './database'
import { createKeyFile, readKeyFile } from './key-file'
import { PaymentNumbers } from './payment-numbers'
import { ProofStore } from './proof-store'
import { RevocationStore } from './revocation-store'
import { UpdateKeyStore } from './update-key-store'

export const DATABASE_FILE = 'terminal.sqlite'
const KEY_FILE = 'gateway-key'
/** Requests sent to phones and not answered; the oldest is forgotten past this bound. */
const OPEN_REQUESTS_MAX = 8

export type ModeName = 'offline' | 'online'
type RecordStatus = 'pending' | 'acked' | 'rejected'
type AckOutcomeName = 'settled' | 'duplicate' | 'rejected' | 'flagged'
export type LinkState = 'online' | 'offline'

export interface Identity {
  readonly eui: string
  readonly publicKey: Uint8Array
  readonly createdAtMs: number
}

export interface HubPin {
  readonly url: string
  readonly gatewayId: string
  readonly publicKey: Uint8Array
  readonly provisionedAtMs: number
  /** The hub's TLS certificate (PEM), when it served HTTPS at provisioning: every later call to it must meet exactly this one. */
  readonly certificate?: string
}

export interface MqttSettings {
  readonly url: string
  readonly topics: GatewayTopics
  /** The certificate (PEM) the broker must present, when it is the hub's own over TLS; absent: plain MQTT, or the system's CAs. */
  readonly certificate?: string
  /**
   * The password of an external broker whose logins the hub keeps; absent: the hub's own broker, logged in to with a
   * fresh Ed25519-signed password per connection.
   */
  readonly password?: string
}

export interface StoredRecord {
  readonly gatewaySeq: number
  readonly previousHash: Uint8Array
  readonly recordHash: Uint8Array
  /** The encoded TransferRecord, exactly as uploaded. */
  readonly record: Uint8Array
  readonly transferId: Uint8Array
  readonly voucherId: Uint8Array
  readonly voucherSeq: number
  readonly amountMinor: number
  readonly currency: string
  readonly mode: ModeName
  readonly timeMs: number
  readonly status: RecordStatus
  readonly ackOutcome: AckOutcomeName | null
  readonly ackReason: Reason | null
  readonly ackedAtMs: number | null
  /** Acked with its anchoring proof kept, or rejected: the only records pruning may delete (see proof-store.ts). */
  readonly prunable: boolean
}

export interface OpenRequest {
  readonly nonce: Uint8Array
  readonly amountMinor: number
  readonly currency: string
  readonly timeMs: number
}

export interface SyncState {
  readonly link: LinkState
  readonly linkChangedAtMs: number | null
  readonly lastSyncAtMs: number | null
  readonly lastAckAtMs: number | null
  readonly lastError: string | null
}

export interface AckApplied {
  /** Records that left `pending` with this ack. */
  readonly updated: number
  readonly settled: number
  readonly duplicate: number
  readonly rejected: number
  readonly flagged: number
  /** Entries naming records this gateway does not hold pending (answered before, or unknown). */
  readonly ignored: number
  /** The ack answers a batch of another chain (its head is not this chain's record): nothing was applied. */
  readonly otherChain: boolean
}

export interface DayTotal {
  readonly mode: ModeName
  readonly currency: string
  readonly count: number
  readonly totalMinor: number
}

export interface AppendPayment {
  readonly authorization: Authorization
  readonly voucher: Voucher
  readonly mode: PaymentMode
  readonly nowMs: number
}

interface RecordRow {
  gateway_seq: number
  previous_hash: Buffer
  record_hash: Buffer
  record: Buffer
  transfer_id: Buffer
  voucher_id: Buffer
  voucher_seq: number
  amount_minor: number
  currency: string
  mode: ModeName
  time_ms: number
  status: RecordStatus
  ack_outcome: AckOutcomeName | null
  ack_reason: number | null
  acked_at_ms: number | null
  proved: number
}

const RECORD_COLUMNS = `records.*,
  EXISTS (SELECT 1 FROM anchor_proofs p WHERE p.transfer_id = records.transfer_id) AS proved`

const OUTCOME_NAMES: Record<AckOutcome, AckOutcomeName> = {
  [AckOutcome.Settled]: 'settled',
  [AckOutcome.Duplicate]: 'duplicate',
  [AckOutcome.Rejected]: 'rejected',
  [AckOutcome.Flagged]: 'flagged',
}


function toStoredRecord(row: RecordRow): StoredRecord {
  return {
    gatewaySeq: row.gateway_seq,
    previousHash: bytes(row.previous_hash),
    recordHash: bytes(row.record_hash),
    record: bytes(row.record),
    transferId: bytes(row.transfer_id),
    voucherId: bytes(row.voucher_id),
    voucherSeq: row.voucher_seq,
    amountMinor: row.amount_minor,
    currency: row.currency,
    mode: row.mode,
    timeMs: row.time_ms,
    status: row.status,
    ackOutcome: row.ack_outcome,
    ackReason: row.ack_reason as Reason | null,
    ackedAtMs: row.acked_at_ms,
    prunable: row.status === 'rejected' || (row.status === 'acked' && row.proved === 1),
  }
}

/** The paths of a data directory's database and key file. */
export function dataFiles(dataDir: string): { database: string; keyFile: string } {
  const dir = resolve(dataDir)
  return { database: join(dir, DATABASE_FILE), keyFile: join(dir, KEY_FILE) }
}

// Long because it is one flat table of the store's prepared statements: each entry is a name and
// its SQL, and splitting it would only scatter the table across functions.
function prepareStatements(db: SqliteDatabase) {
  return {
    identity: db.prepare<[], { eui: string; public_key: Buffer; created_at_ms: number }>(
      'SELECT eui, public_key, created_at_ms FROM identity WHERE id = 1'),
    hub: db.prepare<[], { url: string; gateway_id: string; public_key: Buffer; provisioned_at_ms: number; certificate: string | null }>(
      'SELECT url, gateway_id, public_key, provisioned_at_ms, certificate FROM hub WHERE id = 1'),
    setHub: db.prepare<[string, string, Buffer, number, string | null]>(
      `INSERT INTO hub (id, url, gateway_id, public_key, provisioned_at_ms, certificate) VALUES (1, ?, ?, ?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET url = excluded.url, gateway_id = excluded.gateway_id,
         public_key = excluded.public_key, provisioned_at_ms = excluded.provisioned_at_ms, certificate = excluded.certificate`),
    mqtt: db.prepare<[], { url: string; topics_json: string; certificate: string | null; password: string | null }>('SELECT url, topics_json, certificate, password FROM mqtt_settings WHERE id = 1'),
    setMqtt: db.prepare<[string, string, string | null, string | null]>(
      `INSERT INTO mqtt_settings (id, url, topics_json, certificate, password) VALUES (1, ?, ?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET url = excluded.url, topics_json = excluded.topics_json, certificate = excluded.certificate,
         password = excluded.password`),
    riskConfig: db.prepare<[], { config: Buffer }>('SELECT config FROM risk_config WHERE id = 1'),
    // The serial guard is repeated in SQL: whatever the caller judged, an older config never wins.
    setRiskConfig: db.prepare<[number, Buffer, number, number]>(
      `INSERT INTO risk_config (id, serial, config, received_at_ms) VALUES (1, ?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET serial = excluded.serial, config = excluded.config,
         received_at_ms = excluded.received_at_ms WHERE risk_config.serial < ?`),
    chainHead: db.prepare<[], { gateway_seq: number; head_hash: Buffer }>(
      'SELECT gateway_seq, head_hash FROM chain_head WHERE id = 1'),
    setChainHead: db.prepare<[number, Buffer]>('UPDATE chain_head SET gateway_seq = ?, head_hash = ? WHERE id = 1'),
    insertRecord: db.prepare<[number, Buffer, Buffer, Buffer, Buffer, Buffer, number, number, string, ModeName, number]>(
      `INSERT INTO records (gateway_seq, previous_hash, record_hash, record, transfer_id, voucher_id, voucher_seq,
         amount_minor, currency, mode, time_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
    record: db.prepare<[number], RecordRow>(`SELECT ${RECORD_COLUMNS} FROM records WHERE gateway_seq = ?`),
    recordsFrom: db.prepare<[number, number], RecordRow>(
      `SELECT ${RECORD_COLUMNS} FROM records WHERE gateway_seq >= ? ORDER BY gateway_seq LIMIT ?`),
    pendingFrom: db.prepare<[number, number], RecordRow>(
      `SELECT ${RECORD_COLUMNS} FROM records WHERE status = 'pending' AND gateway_seq > ? ORDER BY gateway_seq LIMIT ?`),
    firstPending: db.prepare<[], { gateway_seq: number }>(
      `SELECT gateway_seq FROM records WHERE status = 'pending' ORDER BY gateway_seq LIMIT 1`),
    pendingTotals: db.prepare<[], { mode: ModeName; currency: string; count: number; total: number }>(
      `SELECT mode, currency, COUNT(*) AS count, SUM(amount_minor) AS total FROM records
       WHERE status = 'pending' GROUP BY mode, currency`),
    exposure: db.prepare<[string], { count: number; total: number | null; oldest: number | null }>(
      `SELECT COUNT(*) AS count, SUM(amount_minor) AS total, MIN(time_ms) AS oldest FROM records
       WHERE status = 'pending' AND mode = 'offline' AND currency = ?`),
    recordHashAt: db.prepare<[number], { record_hash: Uint8Array }>('SELECT record_hash FROM records WHERE gateway_seq = ?'),
    settleRecord: db.prepare<[RecordStatus, AckOutcomeName, number, number, number]>(
      `UPDATE records SET status = ?, ack_outcome = ?, ack_reason = ?, acked_at_ms = ?
       WHERE gateway_seq = ? AND status = 'pending'`),
    voucherSeen: db.prepare<[Buffer], { highest_seq: number; cumulative_minor: number; consecutive_offline: number }>(
      'SELECT highest_seq, cumulative_minor, consecutive_offline FROM voucher_state WHERE voucher_id = ?'),
    setVoucherSeen: db.prepare<[Buffer, number, number, number, number, number]>(
      `INSERT INTO voucher_state (voucher_id, highest_seq, cumulative_minor, consecutive_offline, expires_at_ms, updated_at_ms)
       VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (voucher_id) DO UPDATE SET highest_seq = excluded.highest_seq,
         cumulative_minor = excluded.cumulative_minor, consecutive_offline = excluded.consecutive_offline,
         updated_at_ms = excluded.updated_at_ms`),
    openRequest: db.prepare<[Buffer, number, string, number]>(
      'INSERT INTO open_requests (nonce, amount_minor, currency, time_ms) VALUES (?, ?, ?, ?)'),
    openRequestOf: db.prepare<[Buffer], { nonce: Buffer; amount_minor: number; currency: string; time_ms: number }>(
      'SELECT nonce, amount_minor, currency, time_ms FROM open_requests WHERE nonce = ?'),
    forgetOldRequests: db.prepare<[Buffer, Buffer, number]>(
      // The request just opened stays whatever its time: a clock that repeats a millisecond must not forget it.
      `DELETE FROM open_requests WHERE nonce <> ? AND nonce NOT IN
         (SELECT nonce FROM open_requests WHERE nonce <> ? ORDER BY time_ms DESC, nonce LIMIT ?)`),
    closeRequest: db.prepare<[Buffer]>('DELETE FROM open_requests WHERE nonce = ?'),
    dayTotals: db.prepare<[number, number], { mode: ModeName; currency: string; count: number; total: number }>(
      `SELECT mode, currency, COUNT(*) AS count, SUM(amount_minor) AS total FROM records
       WHERE time_ms >= ? AND time_ms < ? AND status <> 'rejected' GROUP BY mode, currency ORDER BY currency, mode`),
    syncState: db.prepare<[], { link: LinkState; link_changed_at_ms: number | null; last_sync_at_ms: number | null;
      last_ack_at_ms: number | null; last_error: string | null }>(
      'SELECT link, link_changed_at_ms, last_sync_at_ms, last_ack_at_ms, last_error FROM sync_state WHERE id = 1'),
    setLink: db.prepare<[LinkState, number]>('UPDATE sync_state SET link = ?, link_changed_at_ms = ? WHERE id = 1'),
    noteSync: db.prepare<[number, string | null]>('UPDATE sync_state SET last_sync_at_ms = ?, last_error = ? WHERE id = 1'),
    noteAck: db.prepare<[number]>('UPDATE sync_state SET last_ack_at_ms = ? WHERE id = 1'),
  }
}

export class TerminalStore {
  private readonly statements: ReturnType<typeof prepareStatements>
  /** Anchoring proofs of acked records, and pruning. */
  readonly proofs: ProofStore
  /** The revoked vouchers, by the hub's list serial. */
  readonly revocations: RevocationStore
  /** Payments by number or transfer id, held or pruned: what refunds look up. */
  readonly payments: PaymentNumbers
  /** The key update bundles must be signed with, as the hub published it. */
  readonly updateKey: UpdateKeyStore
  private readonly appendTransaction: Transaction<(input: AppendPayment) => StoredRecord>
  private readonly ackTransaction: Transaction<(ack: AckBody, now_ms: number) => AckApplied>
  private cachedIdentity: Identity | undefined

  /** Creates the data directory, the key file (0600) and the database of a new gateway. */
  static init(dataDir: string, eui: string, seed: Uint8Array, now_ms: number): TerminalStore {
    const files = dataFiles(dataDir)
    mkdirSync(resolve(dataDir), { recursive: true, mode: 0o700 })
    if (existsSync(files.keyFile) || existsSync(files.database)) {
      throw new TerminalError('ALREADY_INITIALIZED', `${resolve(dataDir)} already holds a gateway`)
    }
    const keys = nodeEd25519.keyPairFromSeed(seed)
    createKeyFile(files.keyFile, seed)
    const db = openDatabase(files.database)
    db.prepare('INSERT INTO identity (id, eui, public_key, created_at_ms) VALUES (1, ?, ?, ?)')
      .run(eui, blob(keys.publicKey), now_ms)
    return new TerminalStore(db, keys)
  }

  /** Opens an initialized data directory; the key file must match the identity in the database. */
  static open(dataDir: string): TerminalStore {
    const files = dataFiles(dataDir)
    if (!existsSync(files.database) || !existsSync(files.keyFile)) {
      throw new TerminalError('NOT_INITIALIZED', `${resolve(dataDir)} holds no gateway: run "payall-terminal init" first`)
    }
    const keys = nodeEd25519.keyPairFromSeed(readKeyFile(files.keyFile))
    const db = openDatabase(files.database)
    const store = new TerminalStore(db, keys)
    if (!equalBytes(store.identity().publicKey, keys.publicKey)) {
      db.close()
      throw new TerminalError('KEY_MISMATCH', `${files.keyFile} is not the key of the gateway in ${files.database}`)
    }
    return store
  }

  private constructor(readonly db: SqliteDatabase, readonly keys: KeyPair) {
    this.proofs = new ProofStore(db)
    this.revocations = new RevocationStore(db)
    this.payments = new PaymentNumbers(db)
    this.updateKey = new UpdateKeyStore(db)
    this.statements = prepareStatements(db)

    this.appendTransaction = db.transaction((input: AppendPayment) => this.appendInTransaction(input))
    this.ackTransaction = db.transaction((ack: AckBody, now_ms: number) => this.applyAckInTransaction(ack, now_ms))
  }

  close(): void {
    this.db.close()
  }

  identity(): Identity {
    if (this.cachedIdentity === undefined) {
      const row = this.statements.identity.get()
      if (row === undefined) throw new TerminalError('NOT_INITIALIZED', 'the database holds no identity')
      this.cachedIdentity = { eui: row.eui, publicKey: bytes(row.public_key), createdAtMs: row.created_at_ms }
    }
    return this.cachedIdentity
  }

  hubPin(): HubPin | undefined {
    const row = this.statements.hub.get()
    return row === undefined ? undefined : {
      url: row.url, gatewayId: row.gateway_id, publicKey: bytes(row.public_key), provisionedAtMs: row.provisioned_at_ms,
      ...(row.certificate === null ? {} : { certificate: row.certificate }),
    }
  }

  /** The pinned hub key, or NOT_PROVISIONED. */
  requireHubPin(): HubPin {
    const pin = this.hubPin()
    if (pin === undefined) throw new TerminalError('NOT_PROVISIONED', 'this gateway is not provisioned: run "payall-terminal provision"')
    return pin
  }

  mqttSettings(): MqttSettings | undefined {
    const row = this.statements.mqtt.get()
    return row === undefined ? undefined : {
      url: row.url, topics: JSON.parse(row.topics_json) as GatewayTopics, ...(row.certificate === null ? {} : { certificate: row.certificate }),
      ...(row.password === null ? {} : { password: row.password }),
    }
  }

  /**
   * Stores what provisioning returned, in one transaction: the hub key pin, the MQTT settings, the
   * certificates to pin (each replacing the one before, none if the reply had none) and the first
   * RiskConfig (already judged against that key by the caller). A different hub key than the one
   * pinned is refused: moving a gateway to another hub is a new init.
   */
  saveProvisioning(hub: HubPin, mqtt: MqttSettings, riskConfig: RiskConfig, now_ms: number): void {
    this.db.transaction(() => {
      const pinned = this.hubPin()
      if (pinned !== undefined && !equalBytes(pinned.publicKey, hub.publicKey)) {
        throw new TerminalError('HUB_KEY_CHANGED', 'the hub answered with another key than the one pinned; refusing to re-pin')
      }
      this.statements.setHub.run(hub.url, hub.gatewayId, blob(hub.publicKey), hub.provisionedAtMs, hub.certificate ?? null)
      this.statements.setMqtt.run(mqtt.url, JSON.stringify(mqtt.topics), mqtt.certificate ?? null, mqtt.password ?? null)
      this.saveRiskConfig(riskConfig, now_ms)
    }).immediate()
  }

  riskConfig(): RiskConfig | undefined {
    const row = this.statements.riskConfig.get()
    return row === undefined ? undefined : riskConfigCodec.decode(bytes(row.config))
  }

  /** Stores a config the caller verified; true if it replaced the one held (a higher serial). */
  saveRiskConfig(config: RiskConfig, now_ms: number): boolean {
    const result = this.statements.setRiskConfig.run(config.serial, blob(riskConfigCodec.encode(config)), now_ms, config.serial)
    return result.changes === 1
  }

  isRevoked(voucherId: Uint8Array): boolean {
    return this.revocations.isRevoked(voucherId)
  }

  chainHead(): ChainPosition {
    const row = this.statements.chainHead.get()
    assert(row !== undefined, 'the chain head row exists from the first migration')
    return { gatewaySeq: row.gateway_seq, hash: bytes(row.head_hash) }
  }

  voucherSeen(voucherId: Uint8Array): VoucherSeen | undefined {
    const row = this.statements.voucherSeen.get(blob(voucherId))
    return row === undefined ? undefined : {
      highestSeq: row.highest_seq, cumulativeMinor: row.cumulative_minor, consecutiveOffline: row.consecutive_offline,
    }
  }

  exposure(currency: string): Exposure {
    const row = this.statements.exposure.get(currency)!
    return { unsyncedCount: row.count, unsyncedTotalMinor: row.total ?? 0, oldestUnsyncedTimeMs: row.oldest }
  }

  /** Every unacked record by mode and currency (offline and online), for the status screen. */
  pendingTotals(): DayTotal[] {
    return this.statements.pendingTotals.all().map(row => ({ mode: row.mode, currency: row.currency, count: row.count, totalMinor: row.total }))
  }

  /** Remembers a request sent to a phone; only an answer to an open request can be recorded. */
  openRequest(request: OpenRequest): void {
    this.db.transaction(() => {
      this.statements.openRequest.run(blob(request.nonce), request.amountMinor, request.currency, request.timeMs)
      this.statements.forgetOldRequests.run(blob(request.nonce), blob(request.nonce), OPEN_REQUESTS_MAX - 1)
    }).immediate()
  }

  isRequestOpen(nonce: Uint8Array): boolean {
    return this.statements.openRequestOf.get(blob(nonce)) !== undefined
  }

  /** A declined or cancelled request: its nonce can no longer be recorded. */
  closeRequest(nonce: Uint8Array): void {
    this.statements.closeRequest.run(blob(nonce))
  }

  /**
   * Appends the approved payment to the chain, in one durable transaction: the record continues the
   * chain head (checked here and by a trigger), the request's nonce is consumed, and the voucher's
   * seen state advances. When this returns, the payment survives a power loss; when it throws,
   * nothing of it was written.
   */
  appendPayment(input: AppendPayment): StoredRecord {
    return this.appendTransaction.immediate(input)
  }

  private appendInTransaction(input: AppendPayment): StoredRecord {
    const { authorization, voucher, mode, nowMs } = input
    const head = this.chainHead()
    const { record, position } = appendRecord(head, authorization, mode)
    const encoded = transferRecordCodec.encode(record)
    const hash = sha256(encoded)
    assert(equalBytes(hash, position.hash), 'the stored record hashes to the new chain head')
    assert(record.gatewaySeq === head.gatewaySeq + 1, 'the chain stays gapless')

    const request = this.statements.openRequestOf.get(blob(authorization.nonce))
    if (request === undefined) {
      throw new TerminalError('NONCE_NOT_OPEN', 'the authorization answers no open request (already recorded, cancelled or forgotten)')
    }
    assert(request.amount_minor === authorization.amountMinor && request.currency === authorization.currency,
      'the recorded amount is the amount requested')
    this.statements.closeRequest.run(request.nonce)

    // The money path's invariants, checked by risk.ts before and kept on here.
    const seen = this.voucherSeen(authorization.voucherId)
    assert(equalBytes(authorization.voucherId, voucher.voucherId), 'the authorization is under the voucher presented')
    assert(authorization.cumulativeMinor <= voucher.limitMinor, 'cumulative stays within the voucher limit')
    assert(seen === undefined || authorization.seq > seen.highestSeq, 'the voucher seq only grows')
    assert(authorization.cumulativeMinor - authorization.amountMinor >= (seen?.cumulativeMinor ?? 0),
      'the payment adds to what was spent before')

    this.statements.insertRecord.run(
      record.gatewaySeq, blob(record.previousHash), blob(hash), blob(encoded), blob(transferIdOf(authorization)),
      blob(authorization.voucherId), authorization.seq, authorization.amountMinor, authorization.currency,
      mode === PaymentMode.Online ? 'online' : 'offline', authorization.timeMs,
    )
    this.statements.setChainHead.run(record.gatewaySeq, blob(hash))
    const consecutiveOffline = mode === PaymentMode.Offline ? (seen?.consecutiveOffline ?? 0) + 1 : 0
    this.statements.setVoucherSeen.run(
      blob(authorization.voucherId), authorization.seq, authorization.cumulativeMinor, consecutiveOffline, voucher.expiresAtMs, nowMs,
    )
    const stored = this.statements.record.get(record.gatewaySeq)
    assert(stored !== undefined, 'the record just inserted is readable')
    return toStoredRecord(stored)
  }

  record(gatewaySeq: number): StoredRecord | undefined {
    const row = this.statements.record.get(gatewaySeq)
    return row === undefined ? undefined : toStoredRecord(row)
  }

  /** Up to `count_max` records from `fromSeq` on, in chain order (export, audits). */
  recordsFrom(fromSeq: number, count_max: number): StoredRecord[] {
    return this.statements.recordsFrom.all(fromSeq, count_max).map(toStoredRecord)
  }

  /** The lowest unacked sequence number: where an upload resumes, after a restart too. */
  firstPendingSeq(): number | undefined {
    return this.statements.firstPending.get()?.gateway_seq
  }

  /**
   * Unacked records after `afterSeq` that follow one another without a gap, at most `count_max`:
   * one batch's worth. A batch is a chain segment, so it stops before a record already acked.
   */
  pendingRun(afterSeq: number, count_max: number): StoredRecord[] {
    const rows = this.statements.pendingFrom.all(afterSeq, count_max)
    const run: StoredRecord[] = []
    for (const row of rows) {
      if (run.length > 0 && row.gateway_seq !== run[run.length - 1]!.gatewaySeq + 1) break
      run.push(toStoredRecord(row))
    }
    return run
  }

  /** Applies a verified ack of this gateway: each pending record it names leaves `pending`, once. */
  applyAck(ack: AckBody, now_ms: number): AckApplied {
    return this.ackTransaction.immediate(ack, now_ms)
  }

  private applyAckInTransaction(ack: AckBody, now_ms: number): AckApplied {
    assert(ack.gatewayEui === this.identity().eui, 'only this gateway\'s acks are applied')
    const counts = { updated: 0, settled: 0, duplicate: 0, rejected: 0, flagged: 0, ignored: 0, otherChain: false }
    // An ack answers a batch of this chain only if this chain's record at its head has the head's hash: a
    // re-imaged gateway's chain reuses the numbers of the one before, whose acks a broker may still hold.
    const head = this.statements.recordHashAt.get(ack.headSeq)
    if (head === undefined || !equalBytes(head.record_hash, ack.headHash)) {
      return { ...counts, ignored: ack.entries.length, otherChain: true }
    }
    for (const entry of ack.entries) {
      const outcome = OUTCOME_NAMES[entry.outcome]
      const status: RecordStatus = entry.outcome === AckOutcome.Rejected ? 'rejected' : 'acked'
      const changed = this.statements.settleRecord.run(status, outcome, entry.reason, now_ms, entry.gatewaySeq).changes
      if (changed === 0) {
        counts.ignored++
        continue
      }
      counts.updated++
      counts[outcome]++
    }
    if (counts.updated > 0) this.statements.noteAck.run(now_ms)
    return counts
  }

  /** Approved payments between two instants (the hub's rejections left out), by mode and currency. */
  dayTotals(from_ms: number, to_ms: number): DayTotal[] {
    return this.statements.dayTotals.all(from_ms, to_ms)
      .map(row => ({ mode: row.mode, currency: row.currency, count: row.count, totalMinor: row.total }))
  }

  syncState(): SyncState {
    const row = this.statements.syncState.get()!
    return {
      link: row.link, linkChangedAtMs: row.link_changed_at_ms, lastSyncAtMs: row.last_sync_at_ms,
      lastAckAtMs: row.last_ack_at_ms, lastError: row.last_error,
    }
  }

  setLink(link: LinkState, now_ms: number): void {
    this.statements.setLink.run(link, now_ms)
  }

  /** A sync round ended, with the error that ended it if any. */
  noteSync(now_ms: number, error: string | null): void {
    this.statements.noteSync.run(now_ms, error)
  }
}
