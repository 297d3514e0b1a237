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
/** A gateway's old chains still closing, listed in its status (each a new key: a handful in a gateway's life). */
const CLOSING_CHAINS_LISTED_MAX = 10

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
  /** The number of the record chain its key signs (per EUI: one more for each new key); meaningful once provisioned. */
  readonly chain: number
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
  readonly chain: number
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

/** What provisioning did to the gateway's chains. */
export interface ProvisionedChains {
  /** The chain the gateway's key signs from now on. */
  readonly chain: number
  /** True when the key is new: `chain` was opened, and the EUI's chains before it closed (or began closing). */
  readonly opened: boolean
}

/** An old chain closed by an operator: the missing records written off. */
export interface ChainWriteOff {
  readonly gatewayId: string
  readonly chain: number
  readonly byUserId: string
  readonly note: string
  readonly atMs: number
}

export type ChainWriteOffOutcome =
  | { readonly outcome: 'closed'; readonly fromSeq: number; readonly toSeq: number }
  | { readonly outcome: 'unknown' }
  | { readonly outcome: 'not_closing'; readonly state: 'open' | 'closed' }

interface ChainGap {
  readonly fromSeq: number
  readonly toSeq: number
  readonly detectedAtMs: number
}

/** An old chain of a gateway whose missing records have not arrived nor been written off. */
interface ClosingChain {
  readonly number: number
  readonly contiguousSeq: number
  readonly highestSeq: number
  readonly closingAtMs: number
  readonly openGaps: readonly ChainGap[]
  readonly openGapCount: number
}

export interface GatewayPage {
  readonly gateways: Gateway[]
  /** All the gateways of the selection, not only this page's. */
  readonly total: number
}

export interface ChainStatus {
  /** The number of the gateway's current chain; null before it is provisioned. */
  readonly number: number | null
  /** Null when the hub has received nothing of the current chain yet. */
  readonly chain: { readonly contiguousSeq: number; readonly highestSeq: number; readonly updatedAtMs: number } | null
  /** The first OPEN_GAPS_LISTED_MAX, lowest first. */
  readonly openGaps: readonly ChainGap[]
  readonly openGapCount: number
  readonly forkCount: number
  /** The gateway's older chains still closing, the first CLOSING_CHAINS_LISTED_MAX, oldest first. */
  readonly closingChains: readonly ClosingChain[]
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
  chain: number
  online: 0 | 1
  last_seen_at_ms: number | null
}

type IngestRow = Pick<GatewayRow, 'id' | 'eui' | 'type' | 'status' | 'public_key' | 'chain' | 'owner_user_id' | 'merchant_account_id'>

/**
 * Presence is kept per EUI: once a gateway is retired, what is heard on its EUI is of the gateway that holds it now,
 * never the retired one's (which is offline, last seen at the latest when it was retired).
 */
const RETIRED_NOT_PRESENT = {
  online: "CASE WHEN status = 'retired' THEN 0 ELSE coalesce(online, 0) END",
  lastSeen: "CASE WHEN status = 'retired' AND last_seen_at_ms > retired_at_ms THEN NULL ELSE last_seen_at_ms END",
}

// Never the token hash: it leaves the table only through provisioningToken().
const GATEWAY_COLUMNS = `id, eui, name, type, price_minor, price_currency, status, owner_user_id, merchant_account_id,
  public_key, risk_config, risk_config_serial, created_at_ms, provisioned_at_ms, retired_at_ms, chain,
  ${RETIRED_NOT_PRESENT.online} AS online, ${RETIRED_NOT_PRESENT.lastSeen} AS last_seen_at_ms`
/** A gateway with its presence, which a gateway never connected yet lacks. */
const GATEWAYS = 'gateways LEFT JOIN gateway_presence USING (eui)'
/**
 * The gateway an EUI names: the one not retired (at most one: gateways_live_eui), else the last one retired. An EUI
 * outlives its gateways: a retired gateway's may be given to a new one.
 */
const BY_EUI = `WHERE eui = ? ORDER BY status = 'retired', created_at_ms DESC, gateways.rowid DESC LIMIT 1`

export class GatewayStore {
  private readonly statements

  constructor(private readonly db: SqliteDatabase) {
    this.statements = {
      ...chainStatements(db),
      insert: db.prepare<NewGateway>(
        `INSERT INTO gateways (id, eui, name, type, price_minor, price_currency, status, created_at_ms)
         VALUES (:id, :eui, :name, :type, :priceMinor, :priceCurrency, 'available', :createdAtMs)
         ON CONFLICT (eui) WHERE status <> 'retired' DO NOTHING`),
      byId: db.prepare<[string], GatewayRow>(`SELECT ${GATEWAY_COLUMNS} FROM ${GATEWAYS} WHERE id = ?`),
      byEui: db.prepare<[string], GatewayRow>(`SELECT ${GATEWAY_COLUMNS} FROM ${GATEWAYS} ${BY_EUI}`),
      ownerOf: db.prepare<[string], { owner_user_id: string | null }>('SELECT owner_user_id FROM gateways WHERE id = ?'),
      ingestView: db.prepare<[string], IngestRow>(
        `SELECT id, eui, type, status, public_key, chain, owner_user_id, merchant_account_id FROM gateways ${BY_EUI}`),
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
      provision: db.prepare<Omit<Provisioning, 'publicKey' | 'riskConfig'> & { publicKey: Buffer; riskConfig: Buffer; chain: number }>(
        `UPDATE gateways SET public_key = :publicKey, chain = :chain, status = 'provisioned', provisioned_at_ms = :provisionedAtMs,
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
      // Records of the chains the gateway's keys signed, or any transfer naming its EUI since it was added (an online
      // payment leaves no record row until synced; one before it was added is an earlier gateway's of the same EUI).
      processedPayments: db.prepare<{ id: string; eui: string; createdAtMs: number }, { found: number }>(
        `SELECT EXISTS (SELECT 1 FROM gateway_chains c JOIN gateway_records r ON r.eui = c.eui AND r.chain = c.chain
                        WHERE c.gateway_id = :id)
             OR EXISTS (SELECT 1 FROM transfers WHERE gateway_eui = :eui AND created_at_ms >= :createdAtMs) AS found`),
      // The users tables belong to hub/users; an assignment only needs to know the owner's roles.
      userRoles: db.prepare<[string], { roles: string | null }>(
        'SELECT (SELECT group_concat(role) FROM user_roles WHERE user_roles.user_id = users.id) AS roles FROM users WHERE id = ?'),
      retiredEuis: db.prepare<[string, number], { eui: string }>(
        `SELECT DISTINCT eui FROM gateways r WHERE status = 'retired' AND eui > ?
           AND NOT EXISTS (SELECT 1 FROM gateways g WHERE g.eui = r.eui AND g.status = 'provisioned')
         ORDER BY eui LIMIT ?`),
      provisionedKeys: db.prepare<[string, number], { id: string; eui: string; public_key: Buffer }>(
        `SELECT id, eui, public_key FROM gateways WHERE status = 'provisioned' AND public_key IS NOT NULL AND id > ? ORDER BY id LIMIT ?`),
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
      chain: row.chain,
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

  /**
   * Stores the key and config and consumes the token, all at once; undefined, and nothing written, if the token is no
   * longer the one checked. A new key opens the EUI's next chain and closes the chains before it (closeChains).
   */
  provision(provisioning: Provisioning): ProvisionedChains | undefined {
    return this.transaction(() => {
      const gateway = this.byId(provisioning.id)
      if (gateway === undefined) return undefined
      const sameKey = gateway.publicKey !== null && Buffer.from(gateway.publicKey).equals(provisioning.publicKey)
      const chain = sameKey ? gateway.chain : this.statements.nextChain.get({ eui: gateway.eui })!.chain
      const publicKey = Buffer.from(provisioning.publicKey)
      const stored = this.statements.provision.run({ ...provisioning, publicKey, riskConfig: Buffer.from(provisioning.riskConfig), chain })
      if (stored.changes !== 1) return undefined
      if (sameKey) return { chain, opened: false }
      this.statements.closeChains.run({ eui: gateway.eui, throughChain: chain - 1, nowMs: provisioning.provisionedAtMs })
      this.statements.openChain.run({ eui: gateway.eui, chain, gatewayId: gateway.id, publicKey, nowMs: provisioning.provisionedAtMs })
      return { chain, opened: true }
    })
  }

  /** Compare-and-set on the serial, so two concurrent changes cannot both be built on the same predecessor. */
  setRiskConfig(id: string, riskConfig: Uint8Array, serial: number, previousSerial: number): boolean {
    return this.statements.setRiskConfig.run(Buffer.from(riskConfig), serial, id, previousSerial).changes === 1
  }

  /**
   * Keeps the row, key and config for audit; the gateway can no longer connect nor provision, and the chains of its EUI
   * close: at once where the hub holds them whole, else once their missing records are written off.
   */
  retire(id: string, retiredAt_ms: number): boolean {
    return this.transaction(() => {
      const gateway = this.byId(id)
      if (gateway === undefined || this.statements.retire.run(retiredAt_ms, id).changes !== 1) return false
      this.statements.closeChains.run({ eui: gateway.eui, throughChain: gateway.chain, nowMs: retiredAt_ms })
      return true
    })
  }

  /**
   * Closes an old chain of the gateway that is closing (records missing below its highest seq): every missing record,
   * from just after the contiguous part to just before the highest, is written off, and its open gaps with them.
   */
  writeOffChain(writeOff: ChainWriteOff): ChainWriteOffOutcome {
    return this.transaction((): ChainWriteOffOutcome => {
      const chain = this.statements.chainOfGateway.get(writeOff.gatewayId, writeOff.chain)
      if (chain === undefined) return { outcome: 'unknown' }
      if (chain.state !== 'closing') return { outcome: 'not_closing', state: chain.state }
      // Closing means the record after the contiguous part is missing while a higher one is held.
      const fromSeq = chain.contiguous_seq + 1
      const toSeq = chain.highest_seq - 1
      this.statements.writeOffChain.run({
        eui: chain.eui, chain: writeOff.chain, fromSeq, toSeq, byUserId: writeOff.byUserId, note: writeOff.note, atMs: writeOff.atMs,
      })
      this.statements.writeOffGaps.run(writeOff.atMs, chain.eui, writeOff.chain)
      return { outcome: 'closed', fromSeq, toSeq }
    })
  }

  delete(id: string): boolean {
    return this.statements.delete.run(id).changes === 1
  }

  hasProcessedPayments(gateway: Pick<Gateway, 'id' | 'eui' | 'createdAtMs'>): boolean {
    return this.statements.processedPayments.get({ id: gateway.id, eui: gateway.eui, createdAtMs: gateway.createdAtMs })!.found === 1
  }

  /** The gateway's current chain, and its older chains still closing. */
  chainStatus(gateway: Pick<Gateway, 'id' | 'eui' | 'chain' | 'publicKey'>): ChainStatus {
    const s = this.statements
    const { eui } = gateway
    const chain = s.chain.get(eui, gateway.chain)
    const gapsOf = (number: number) => s.openGaps.all(eui, number, OPEN_GAPS_LISTED_MAX)
      .map((gap) => ({ fromSeq: gap.from_seq, toSeq: gap.to_seq, detectedAtMs: gap.detected_at_ms }))
    return {
      number: gateway.publicKey === null ? null : gateway.chain,
      chain: chain === undefined || chain.updated_at_ms === null
        ? null
        : { contiguousSeq: chain.contiguous_seq, highestSeq: chain.highest_seq, updatedAtMs: chain.updated_at_ms },
      openGaps: gapsOf(gateway.chain),
      openGapCount: s.openGapCount.get(eui, gateway.chain)!.count,
      forkCount: s.forkCount.get(eui, gateway.chain)!.count,
      closingChains: s.closingChains.all(gateway.id, CLOSING_CHAINS_LISTED_MAX).map((closing) => ({
        number: closing.chain,
        contiguousSeq: closing.contiguous_seq,
        highestSeq: closing.highest_seq,
        closingAtMs: closing.closing_at_ms,
        openGaps: gapsOf(closing.chain),
        openGapCount: s.openGapCount.get(eui, closing.chain)!.count,
      })),
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

  /** Up to `limit` provisioned gateways after `afterId` (start with ''), by id: each EUI with its public key. */
  provisionedKeysAfter(afterId: string, limit: number): Array<{ id: string; eui: string; publicKey: Uint8Array }> {
    checkPage(0, limit)
    return this.statements.provisionedKeys.all(afterId, limit)
      .map(row => ({ id: row.id, eui: row.eui, publicKey: new Uint8Array(row.public_key) }))
  }

  /** Up to `limit` EUIs after `afterEui` (start with '') that a retired gateway held and no provisioned one holds now. */
  retiredEuisAfter(afterEui: string, limit: number): string[] {
    checkPage(0, limit)
    return this.statements.retiredEuis.all(afterEui, limit).map((row) => row.eui)
  }

  /** Runs `work` in one SQLite transaction: all of its writes or none. */
  transaction<Result>(work: () => Result): Result {
    return this.db.transaction(work)()
  }
}

/** The statements over a gateway's record chains (ingest tables): their status, and their opening and closing. */
function chainStatements(db: SqliteDatabase) {
  return {
    chain: db.prepare<[string, number], { contiguous_seq: number; highest_seq: number; updated_at_ms: number | null }>(
      'SELECT contiguous_seq, highest_seq, updated_at_ms FROM gateway_chains WHERE eui = ? AND chain = ?'),
    openGaps: db.prepare<[string, number, number], { from_seq: number; to_seq: number; detected_at_ms: number }>(
      `SELECT from_seq, to_seq, detected_at_ms FROM chain_gaps WHERE eui = ? AND chain = ? AND resolved_at_ms IS NULL
       ORDER BY from_seq LIMIT ?`),
    openGapCount: db.prepare<[string, number], { count: number }>(
      'SELECT count(*) AS count FROM chain_gaps WHERE eui = ? AND chain = ? AND resolved_at_ms IS NULL'),
    forkCount: db.prepare<[string, number], { count: number }>('SELECT count(*) AS count FROM chain_forks WHERE eui = ? AND chain = ?'),
    closingChains: db.prepare<[string, number], { chain: number; contiguous_seq: number; highest_seq: number; closing_at_ms: number }>(
      `SELECT chain, contiguous_seq, highest_seq, closing_at_ms FROM gateway_chains WHERE gateway_id = ? AND state = 'closing'
       ORDER BY chain LIMIT ?`),
    // The next chain of an EUI: after every chain opened there, and after the chain of any gateway that held a key
    // there before chains were opened at provisioning.
    nextChain: db.prepare<{ eui: string }, { chain: number }>(
      `SELECT max(coalesce((SELECT max(chain) FROM gateway_chains WHERE eui = :eui), 0),
                  coalesce((SELECT max(chain) FROM gateways WHERE eui = :eui AND public_key IS NOT NULL), 0)) + 1 AS chain`),
    openChain: db.prepare<{ eui: string; chain: number; gatewayId: string; publicKey: Buffer; nowMs: number }>(
      `INSERT INTO gateway_chains (eui, chain, gateway_id, public_key, state, contiguous_seq, contiguous_hash, highest_seq, opened_at_ms)
       VALUES (:eui, :chain, :gatewayId, :publicKey, 'open', 0, zeroblob(32), 0, :nowMs)`),
    // Held whole up to its highest seq: closed at once. Missing records: closing, until they arrive or are written off.
    closeChains: db.prepare<{ eui: string; throughChain: number; nowMs: number }>(
      `UPDATE gateway_chains SET state = CASE WHEN contiguous_seq >= highest_seq THEN 'closed' ELSE 'closing' END,
         closing_at_ms = :nowMs, closed_at_ms = CASE WHEN contiguous_seq >= highest_seq THEN :nowMs END
       WHERE eui = :eui AND chain <= :throughChain AND state = 'open'`),
    chainOfGateway: db.prepare<[string, number], { eui: string; state: 'open' | 'closing' | 'closed'; contiguous_seq: number; highest_seq: number }>(
      'SELECT eui, state, contiguous_seq, highest_seq FROM gateway_chains WHERE gateway_id = ? AND chain = ?'),
    writeOffChain: db.prepare<{ eui: string; chain: number; fromSeq: number; toSeq: number; byUserId: string; note: string; atMs: number }>(
      `UPDATE gateway_chains SET state = 'closed', closed_at_ms = :atMs, written_off_from_seq = :fromSeq, written_off_to_seq = :toSeq,
         written_off_by_user_id = :byUserId, written_off_note = :note
       WHERE eui = :eui AND chain = :chain AND state = 'closing'`),
    writeOffGaps: db.prepare<[number, string, number]>(
      `UPDATE chain_gaps SET resolved_at_ms = ?, written_off = 1 WHERE eui = ? AND chain = ? AND resolved_at_ms IS NULL`),
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
    chain: row.chain,
    online: row.online === 1,
    lastSeenAtMs: row.last_seen_at_ms,
  }
}
