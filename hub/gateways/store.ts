// The gateways table (tables.ts) behind prepared statements, plus the read-only views of the
// ingest tables a gateway's status needs and of its presence. Rows come out as typed objects; nothing here decides.

import { toHex } from '../../protocol/bytes'
import type { RandomBytes } from '../../protocol/clock'
import type { SqliteDatabase } from '../store/database'
import { rolesFromList, type Role } from '../http/roles'
import type { GatewayStatus } from './wire'

/** A page of gateways is at most this long. */
export const GATEWAY_PAGE_SIZE_MAX = 100
/** Open chain gaps listed in a status; the count covers them all. */
const OPEN_GAPS_LISTED_MAX = 50

export interface Gateway {
  readonly id: string
  /** Canonical: 16 uppercase hex digits. */
  readonly eui: string
  readonly name: string
  readonly type: string
  readonly priceMinor: number
  readonly priceCurrency: string
  readonly status: GatewayStatus
  readonly ownerUserId: string | null
  readonly merchantAccountId: string | null
  readonly publicKey: Uint8Array | null
  /** The signed, encoded RiskConfig last issued, or null before the first. */
  readonly riskConfig: Uint8Array | null
  /** The serial of `riskConfig`; 0 before the first. */
  readonly riskConfigSerial: number
  readonly createdAtMs: number
  readonly provisionedAtMs: number | null
  readonly retiredAtMs: number | null
  /** Whether its MQTT connection is open, as the hub last learned it (presence.ts). */
  readonly online: boolean
  /** When the hub saw its connection open or close; null before it first connected. */
  readonly lastSeenAtMs: number | null
}

export interface NewGateway {
  readonly id: string
  readonly eui: string
  readonly name: string
  readonly type: string
  readonly priceMinor: number
  readonly priceCurrency: string
  readonly createdAtMs: number
}

export interface GatewayDetails {
  readonly name: string
  readonly type: string
  readonly priceMinor: number
  readonly priceCurrency: string
}

/** What the MQTT broker and the record ingest need of a gateway, read with one indexed SELECT. */
export interface GatewayIngestView {
  readonly id: string
  readonly eui: string
  readonly type: string
  readonly status: GatewayStatus
  readonly publicKey: Uint8Array | null
  readonly ownerUserId: string | null
  readonly merchantAccountId: string | null
}

export interface ProvisioningTokenHash {
  readonly sha256Hex: string
  readonly expiresAtMs: number
}

export interface Provisioning {
  readonly id: string
  /** The hash the token had when it was checked: if another request consumed it since, nothing is written. */
  readonly tokenSha256Hex: string
  readonly publicKey: Uint8Array
  readonly riskConfig: Uint8Array
  readonly riskConfigSerial: number
  readonly provisionedAtMs: number
}

export interface GatewayPage {
  readonly gateways: Gateway[]
  /** All the gateways of the selection, not only this page's. */
  readonly total: number
}

export interface ChainStatus {
  /** Null when the hub has received nothing from the gateway yet. */
  readonly chain: { readonly contiguousSeq: number; readonly highestSeq: number; readonly updatedAtMs: number } | null
  /** The first OPEN_GAPS_LISTED_MAX, lowest first. */
  readonly openGaps: ReadonlyArray<{ readonly fromSeq: number; readonly toSeq: number; readonly detectedAtMs: number }>
  readonly openGapCount: number
  readonly forkCount: number
}

export interface StoredConfig {
  readonly id: string
  readonly eui: string
  readonly riskConfig: Uint8Array
}

interface GatewayRow {
  id: string
  eui: string
  name: string
  type: string
  price_minor: number
  price_currency: string
  status: GatewayStatus
  owner_user_id: string | null
  merchant_account_id: string | null
  public_key: Buffer | null
  provisioning_token_sha256: string | null
  provisioning_token_expires_at_ms: number | null
  risk_config: Buffer | null
  risk_config_serial: number
  created_at_ms: number
  provisioned_at_ms: number | null
  retired_at_ms: number | null
  online: 0 | 1
  last_seen_at_ms: number | null
}

type IngestRow = Pick<GatewayRow, 'id' | 'eui' | 'type' | 'status' | 'public_key' | 'owner_user_id' | 'merchant_account_id'>

// Never the token hash: it leaves the table only through provisioningToken().
const GATEWAY_COLUMNS = `id, eui, name, type, price_minor, price_currency, status, owner_user_id, merchant_account_id,
  public_key, risk_config, risk_config_serial, created_at_ms, provisioned_at_ms, retired_at_ms,
  coalesce(online, 0) AS online, last_seen_at_ms`
/** A gateway with its presence, which a gateway never connected yet lacks. */
const GATEWAYS = 'gateways LEFT JOIN gateway_presence USING (eui)'

export class GatewayStore {
  private readonly statements

  constructor(private readonly db: SqliteDatabase) {
    this.statements = {
      insert: db.prepare<NewGateway>(
        `INSERT INTO gateways (id, eui, name, type, price_minor, price_currency, status, created_at_ms)
         VALUES (:id, :eui, :name, :type, :priceMinor, :priceCurrency, 'available', :createdAtMs)
         ON CONFLICT (eui) DO NOTHING`),
      byId: db.prepare<[string], GatewayRow>(`SELECT ${GATEWAY_COLUMNS} FROM ${GATEWAYS} WHERE id = ?`),
      byEui: db.prepare<[string], GatewayRow>(`SELECT ${GATEWAY_COLUMNS} FROM ${GATEWAYS} WHERE eui = ?`),
      ownerOf: db.prepare<[string], { owner_user_id: string | null }>('SELECT owner_user_id FROM gateways WHERE id = ?'),
      ingestView: db.prepare<[string], IngestRow>(
        'SELECT id, eui, type, status, public_key, owner_user_id, merchant_account_id FROM gateways WHERE eui = ?'),
      catalogPage: db.prepare<[number, number], GatewayRow>(
        `SELECT ${GATEWAY_COLUMNS} FROM ${GATEWAYS} WHERE status <> 'retired' ORDER BY created_at_ms, id LIMIT ? OFFSET ?`),
      catalogCount: db.prepare<[], { count: number }>(
        `SELECT count(*) AS count FROM gateways WHERE status <> 'retired'`),
      ownerPage: db.prepare<[string, number, number], GatewayRow>(
        `SELECT ${GATEWAY_COLUMNS} FROM ${GATEWAYS} WHERE owner_user_id = ? ORDER BY created_at_ms, id LIMIT ? OFFSET ?`),
      ownerCount: db.prepare<[string], { count: number }>(
        'SELECT count(*) AS count FROM gateways WHERE owner_user_id = ?'),
      updateDetails: db.prepare<GatewayDetails & { id: string }>(
        `UPDATE gateways SET name = :name, type = :type, price_minor = :priceMinor, price_currency = :priceCurrency
         WHERE id = :id AND status <> 'retired'`),
      assign: db.prepare<[string, string, string]>(
        `UPDATE gateways SET owner_user_id = ?, merchant_account_id = ?, status = 'assigned'
         WHERE id = ? AND status IN ('available', 'assigned')`),
      setToken: db.prepare<[string, number, string]>(
        `UPDATE gateways SET provisioning_token_sha256 = ?, provisioning_token_expires_at_ms = ?
         WHERE id = ? AND status IN ('assigned', 'provisioned')`),
      token: db.prepare<[string], Pick<GatewayRow, 'provisioning_token_sha256' | 'provisioning_token_expires_at_ms'>>(
        'SELECT provisioning_token_sha256, provisioning_token_expires_at_ms FROM gateways WHERE id = ?'),
      provision: db.prepare<Omit<Provisioning, 'publicKey' | 'riskConfig'> & { publicKey: Buffer; riskConfig: Buffer }>(
        `UPDATE gateways SET public_key = :publicKey, status = 'provisioned', provisioned_at_ms = :provisionedAtMs,
           risk_config = :riskConfig, risk_config_serial = :riskConfigSerial,
           provisioning_token_sha256 = NULL, provisioning_token_expires_at_ms = NULL
         WHERE id = :id AND provisioning_token_sha256 = :tokenSha256Hex AND status IN ('assigned', 'provisioned')`),
      setRiskConfig: db.prepare<[Buffer, number, string, number]>(
        `UPDATE gateways SET risk_config = ?, risk_config_serial = ?
         WHERE id = ? AND risk_config_serial = ? AND status <> 'retired'`),
      retire: db.prepare<[number, string]>(
        `UPDATE gateways SET status = 'retired', retired_at_ms = ?,
           provisioning_token_sha256 = NULL, provisioning_token_expires_at_ms = NULL
         WHERE id = ? AND status <> 'retired'`),
      delete: db.prepare<[string]>('DELETE FROM gateways WHERE id = ?'),
      // Records the gateway uploaded, or any transfer naming it (an online payment leaves no record row until synced).
      processedPayments: db.prepare<[string, string], { found: number }>(
        `SELECT EXISTS (SELECT 1 FROM gateway_records WHERE eui = ?)
             OR EXISTS (SELECT 1 FROM transfers WHERE gateway_eui = ?) AS found`),
      chain: db.prepare<[string], { contiguous_seq: number; highest_seq: number; updated_at_ms: number }>(
        'SELECT contiguous_seq, highest_seq, updated_at_ms FROM gateway_chains WHERE eui = ?'),
      openGaps: db.prepare<[string, number], { from_seq: number; to_seq: number; detected_at_ms: number }>(
        `SELECT from_seq, to_seq, detected_at_ms FROM chain_gaps WHERE eui = ? AND resolved_at_ms IS NULL
         ORDER BY from_seq LIMIT ?`),
      openGapCount: db.prepare<[string], { count: number }>(
        'SELECT count(*) AS count FROM chain_gaps WHERE eui = ? AND resolved_at_ms IS NULL'),
      forkCount: db.prepare<[string], { count: number }>('SELECT count(*) AS count FROM chain_forks WHERE eui = ?'),
      // The users tables belong to hub/users; an assignment only needs to know the owner's roles.
      userRoles: db.prepare<[string], { roles: string | null }>(
        'SELECT (SELECT group_concat(role) FROM user_roles WHERE user_roles.user_id = users.id) AS roles FROM users WHERE id = ?'),
      provisionedConfigs: db.prepare<[string, number], { id: string; eui: string; risk_config: Buffer }>(
        `SELECT id, eui, risk_config FROM gateways
         WHERE status = 'provisioned' AND risk_config IS NOT NULL AND id > ? ORDER BY id LIMIT ?`),
    }
  }

  /** Adds an available gateway; false, and nothing written, when its EUI is taken. */
  insert(gateway: NewGateway): boolean {
    return this.statements.insert.run(gateway).changes === 1
  }

  byId(id: string): Gateway | undefined {
    const row = this.statements.byId.get(id)
    return row === undefined ? undefined : gatewayFromRow(row)
  }

  /** The gateway's owner (null when it has none, undefined when there is no such gateway): one column, for every live event. */
  ownerOf(id: string): string | null | undefined {
    return this.statements.ownerOf.get(id)?.owner_user_id
  }

  /** `eui` in canonical form. */
  byEui(eui: string): Gateway | undefined {
    const row = this.statements.byEui.get(eui)
    return row === undefined ? undefined : gatewayFromRow(row)
  }

  /** `eui` in canonical form. Runs once per MQTT connection and per record batch: one indexed SELECT, nothing else. */
  ingestView(eui: string): GatewayIngestView | undefined {
    const row = this.statements.ingestView.get(eui)
    if (row === undefined) return undefined
    return {
      id: row.id,
      eui: row.eui,
      type: row.type,
      status: row.status,
      publicKey: row.public_key === null ? null : new Uint8Array(row.public_key),
      ownerUserId: row.owner_user_id,
      merchantAccountId: row.merchant_account_id,
    }
  }

  /** The catalog: every gateway but the retired ones, oldest first. */
  catalogPage(offset: number, limit: number): GatewayPage {
    checkPage(offset, limit)
    return {
      gateways: this.statements.catalogPage.all(limit, offset).map(gatewayFromRow),
      total: this.statements.catalogCount.get()!.count,
    }
  }

  /** The gateways of one owner, retired ones included, oldest first. */
  ownerPage(ownerUserId: string, offset: number, limit: number): GatewayPage {
    checkPage(offset, limit)
    return {
      gateways: this.statements.ownerPage.all(ownerUserId, limit, offset).map(gatewayFromRow),
      total: this.statements.ownerCount.get(ownerUserId)!.count,
    }
  }

  /** False when the gateway is unknown or retired. */
  updateDetails(id: string, details: GatewayDetails): boolean {
    return this.statements.updateDetails.run({ id, ...details }).changes === 1
  }

  /** False unless the gateway is available or assigned (not yet provisioned). */
  assign(id: string, ownerUserId: string, merchantAccountId: string): boolean {
    return this.statements.assign.run(ownerUserId, merchantAccountId, id).changes === 1
  }

  /** Replaces any earlier token; false unless the gateway is assigned or provisioned. */
  setProvisioningToken(id: string, token: ProvisioningTokenHash): boolean {
    return this.statements.setToken.run(token.sha256Hex, token.expiresAtMs, id).changes === 1
  }

  provisioningToken(id: string): ProvisioningTokenHash | undefined {
    const row = this.statements.token.get(id)
    if (row === undefined || row.provisioning_token_sha256 === null || row.provisioning_token_expires_at_ms === null) {
      return undefined
    }
    return { sha256Hex: row.provisioning_token_sha256, expiresAtMs: row.provisioning_token_expires_at_ms }
  }

  /** Stores the key and config and consumes the token, all at once; false if the token is no longer the one checked. */
  provision(provisioning: Provisioning): boolean {
    return this.statements.provision.run({
      ...provisioning,
      publicKey: Buffer.from(provisioning.publicKey),
      riskConfig: Buffer.from(provisioning.riskConfig),
    }).changes === 1
  }

  /** Compare-and-set on the serial, so two concurrent changes cannot both be built on the same predecessor. */
  setRiskConfig(id: string, riskConfig: Uint8Array, serial: number, previousSerial: number): boolean {
    return this.statements.setRiskConfig.run(Buffer.from(riskConfig), serial, id, previousSerial).changes === 1
  }

  /** Keeps the row, key and config for audit; the gateway can no longer connect nor provision. */
  retire(id: string, retiredAt_ms: number): boolean {
    return this.statements.retire.run(retiredAt_ms, id).changes === 1
  }

  delete(id: string): boolean {
    return this.statements.delete.run(id).changes === 1
  }

  hasProcessedPayments(eui: string): boolean {
    return this.statements.processedPayments.get(eui, eui)!.found === 1
  }

  chainStatus(eui: string): ChainStatus {
    const chain = this.statements.chain.get(eui)
    return {
      chain: chain === undefined
        ? null
        : { contiguousSeq: chain.contiguous_seq, highestSeq: chain.highest_seq, updatedAtMs: chain.updated_at_ms },
      openGaps: this.statements.openGaps.all(eui, OPEN_GAPS_LISTED_MAX)
        .map((gap) => ({ fromSeq: gap.from_seq, toSeq: gap.to_seq, detectedAtMs: gap.detected_at_ms })),
      openGapCount: this.statements.openGapCount.get(eui)!.count,
      forkCount: this.statements.forkCount.get(eui)!.count,
    }
  }

  userRoles(userId: string): Role[] | undefined {
    const row = this.statements.userRoles.get(userId)
    return row === undefined ? undefined : rolesFromList(row.roles)
  }

  /** Up to `limit` configs of provisioned gateways with ids after `afterId` (start with ''), in id order. */
  provisionedConfigsAfter(afterId: string, limit: number): StoredConfig[] {
    checkPage(0, limit)
    return this.statements.provisionedConfigs.all(afterId, limit)
      .map((row) => ({ id: row.id, eui: row.eui, riskConfig: new Uint8Array(row.risk_config) }))
  }

  /** Runs `work` in one SQLite transaction: all of its writes or none. */
  transaction<Result>(work: () => Result): Result {
    return this.db.transaction(work)()
  }
}

/** A random (version 4) UUID. */
export function newGatewayId(random: RandomBytes): string {
  const bytes = Uint8Array.from(random(16))
  bytes[6] = (bytes[6]! & 0x0f) | 0x40
  bytes[8] = (bytes[8]! & 0x3f) | 0x80
  const hex = toHex(bytes)
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`
}

function checkPage(offset: number, limit: number): void {
  if (!Number.isSafeInteger(offset) || offset < 0 || !Number.isSafeInteger(limit) || limit < 1 || limit > GATEWAY_PAGE_SIZE_MAX) {
    throw new RangeError(`a page is an offset ≥ 0 and 1..${GATEWAY_PAGE_SIZE_MAX} rows, got ${offset} and ${limit}`)
  }
}

function gatewayFromRow(row: GatewayRow): Gateway {
  return {
    id: row.id,
    eui: row.eui,
    name: row.name,
    type: row.type,
    priceMinor: row.price_minor,
    priceCurrency: row.price_currency,
    status: row.status,
    ownerUserId: row.owner_user_id,
    merchantAccountId: row.merchant_account_id,
    publicKey: row.public_key === null ? null : new Uint8Array(row.public_key),
    riskConfig: row.risk_config === null ? null : new Uint8Array(row.risk_config),
    riskConfigSerial: row.risk_config_serial,
    createdAtMs: row.created_at_ms,
    provisionedAtMs: row.provisioned_at_ms,
    retiredAtMs: row.retired_at_ms,
    online: row.online === 1,
    lastSeenAtMs: row.last_seen_at_ms,
  }
}
