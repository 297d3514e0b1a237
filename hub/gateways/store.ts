// The gateways table (tables.ts) on either SQL engine, plus the read-only views of the
// ingest tables a gateway's status needs and of its presence. Rows come out as typed objects; nothing here decides.

import { toHex } from '../../protocol/bytes'
import type { RandomBytes } from '../../protocol/clock'
import type { SqlEngine, SqlQuery } from '../store/sql'
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

type GatewayRow = {
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

/** The statements of the store: constant texts, `?` placeholders, run alike on SQLite and PostgreSQL. */
const SQL = {
  insert: `INSERT INTO gateways (id, eui, name, type, price_minor, price_currency, status, created_at_ms)
    VALUES (?, ?, ?, ?, ?, ?, 'available', ?)
    ON CONFLICT (eui) WHERE status <> 'retired' DO NOTHING`,
  byId: `SELECT ${GATEWAY_COLUMNS} FROM ${GATEWAYS} WHERE id = ?`,
  byEui: `SELECT ${GATEWAY_COLUMNS} FROM ${GATEWAYS} ${BY_EUI}`,
  ownerOf: 'SELECT owner_user_id FROM gateways WHERE id = ?',
  ingestView: `SELECT id, eui, type, status, public_key, chain, owner_user_id, merchant_account_id FROM gateways ${BY_EUI}`,
  catalogPage: `SELECT ${GATEWAY_COLUMNS} FROM ${GATEWAYS} WHERE status <> 'retired' ORDER BY created_at_ms, id LIMIT ? OFFSET ?`,
  catalogCount: `SELECT count(*) AS count FROM gateways WHERE status <> 'retired'`,
  ownerPage: `SELECT ${GATEWAY_COLUMNS} FROM ${GATEWAYS} WHERE owner_user_id = ? ORDER BY created_at_ms, id LIMIT ? OFFSET ?`,
  ownerCount: 'SELECT count(*) AS count FROM gateways WHERE owner_user_id = ?',
  updateDetails: `UPDATE gateways SET name = ?, type = ?, price_minor = ?, price_currency = ? WHERE id = ? AND status <> 'retired'`,
  assign: `UPDATE gateways SET owner_user_id = ?, merchant_account_id = ?, status = 'assigned'
    WHERE id = ? AND status IN ('available', 'assigned')`,
  setToken: `UPDATE gateways SET provisioning_token_sha256 = ?, provisioning_token_expires_at_ms = ?
    WHERE id = ? AND status IN ('assigned', 'provisioned')`,
  token: 'SELECT provisioning_token_sha256, provisioning_token_expires_at_ms FROM gateways WHERE id = ?',
  // The token is spent by this UPDATE's condition: of hubs racing with one token, one changes the row.
  provision: `UPDATE gateways SET public_key = ?, chain = ?, status = 'provisioned', provisioned_at_ms = ?,
      risk_config = ?, risk_config_serial = ?, provisioning_token_sha256 = NULL, provisioning_token_expires_at_ms = NULL
    WHERE id = ? AND provisioning_token_sha256 = ? AND status IN ('assigned', 'provisioned')`,
  setRiskConfig: `UPDATE gateways SET risk_config = ?, risk_config_serial = ? WHERE id = ? AND risk_config_serial = ? AND status <> 'retired'`,
  retire: `UPDATE gateways SET status = 'retired', retired_at_ms = ?,
      provisioning_token_sha256 = NULL, provisioning_token_expires_at_ms = NULL
    WHERE id = ? AND status <> 'retired'`,
  delete: 'DELETE FROM gateways WHERE id = ?',
  // Records of the chains the gateway's keys signed, or any transfer naming its EUI since it was added (an online
  // payment leaves no record row until synced; one before it was added is an earlier gateway's of the same EUI).
  processedPayments: `SELECT CASE WHEN EXISTS (SELECT 1 FROM gateway_chains c JOIN gateway_records r ON r.eui = c.eui AND r.chain = c.chain
                                       WHERE c.gateway_id = ?)
      OR EXISTS (SELECT 1 FROM transfers WHERE gateway_eui = ? AND created_at_ms >= ?) THEN 1 ELSE 0 END AS found`,
  // The users tables belong to hub/users; an assignment only needs to know the owner's roles (a row per role, one
  // with a null role for a user without any).
  userRoles: `SELECT user_roles.role AS role FROM users LEFT JOIN user_roles ON user_roles.user_id = users.id
    WHERE users.id = ?`,
  retiredEuis: `SELECT DISTINCT eui FROM gateways r WHERE status = 'retired' AND eui > ?
      AND NOT EXISTS (SELECT 1 FROM gateways g WHERE g.eui = r.eui AND g.status = 'provisioned')
    ORDER BY eui LIMIT ?`,
  provisionedKeys: `SELECT id, eui, public_key FROM gateways WHERE status = 'provisioned' AND public_key IS NOT NULL AND id > ?
    ORDER BY id LIMIT ?`,
  provisionedConfigs: `SELECT id, eui, risk_config FROM gateways WHERE status = 'provisioned' AND risk_config IS NOT NULL AND id > ?
    ORDER BY id LIMIT ?`,
  ...chainStatements(),
} as const

/**
 * Every method reads or writes through `sql` when given one (a transaction the caller opened with SqlEngine.write),
 * else through the engine; those that write more than one statement open a transaction of their own then.
 */
export class GatewayStore {
  constructor(private readonly engine: SqlEngine) {}

  /** Adds an available gateway; false, and nothing written, when its EUI is taken. */
  async insert(gateway: NewGateway, sql: SqlQuery = this.engine): Promise<boolean> {
    const { id, eui, name, type, priceMinor, priceCurrency, createdAtMs } = gateway
    return (await sql.run(SQL.insert, [id, eui, name, type, priceMinor, priceCurrency, createdAtMs])).changes === 1
  }

  async byId(id: string, sql: SqlQuery = this.engine): Promise<Gateway | undefined> {
    const row = await sql.get<GatewayRow>(SQL.byId, [id])
    return row === undefined ? undefined : gatewayFromRow(row)
  }

  /** The gateway's owner (null when it has none, undefined when there is no such gateway): one column, for every live event. */
  async ownerOf(id: string): Promise<string | null | undefined> {
    return (await this.engine.get<{ owner_user_id: string | null }>(SQL.ownerOf, [id]))?.owner_user_id
  }

  /** `eui` in canonical form. */
  async byEui(eui: string, sql: SqlQuery = this.engine): Promise<Gateway | undefined> {
    const row = await sql.get<GatewayRow>(SQL.byEui, [eui])
    return row === undefined ? undefined : gatewayFromRow(row)
  }

  /** `eui` in canonical form. Runs once per MQTT connection and per record batch: one indexed SELECT, nothing else. */
  async ingestView(eui: string): Promise<GatewayIngestView | undefined> {
    const row = await this.engine.get<IngestRow>(SQL.ingestView, [eui])
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
  async catalogPage(offset: number, limit: number): Promise<GatewayPage> {
    checkPage(offset, limit)
    return this.engine.read(async sql => ({
      gateways: (await sql.all<GatewayRow>(SQL.catalogPage, [limit, offset])).map(gatewayFromRow),
      total: (await sql.get<{ count: number }>(SQL.catalogCount))!.count,
    }))
  }

  /** The gateways of one owner, retired ones included, oldest first. */
  async ownerPage(ownerUserId: string, offset: number, limit: number): Promise<GatewayPage> {
    checkPage(offset, limit)
    return this.engine.read(async sql => ({
      gateways: (await sql.all<GatewayRow>(SQL.ownerPage, [ownerUserId, limit, offset])).map(gatewayFromRow),
      total: (await sql.get<{ count: number }>(SQL.ownerCount, [ownerUserId]))!.count,
    }))
  }

  /** False when the gateway is unknown or retired. */
  async updateDetails(id: string, details: GatewayDetails, sql: SqlQuery = this.engine): Promise<boolean> {
    const { name, type, priceMinor, priceCurrency } = details
    return (await sql.run(SQL.updateDetails, [name, type, priceMinor, priceCurrency, id])).changes === 1
  }

  /** False unless the gateway is available or assigned (not yet provisioned). */
  async assign(id: string, ownerUserId: string, merchantAccountId: string, sql: SqlQuery = this.engine): Promise<boolean> {
    return (await sql.run(SQL.assign, [ownerUserId, merchantAccountId, id])).changes === 1
  }

  /** Replaces any earlier token; false unless the gateway is assigned or provisioned. */
  async setProvisioningToken(id: string, token: ProvisioningTokenHash, sql: SqlQuery = this.engine): Promise<boolean> {
    return (await sql.run(SQL.setToken, [token.sha256Hex, token.expiresAtMs, id])).changes === 1
  }

  async provisioningToken(id: string): Promise<ProvisioningTokenHash | undefined> {
    const row = await this.engine.get<Pick<GatewayRow, 'provisioning_token_sha256' | 'provisioning_token_expires_at_ms'>>(SQL.token, [id])
    if (row === undefined || row.provisioning_token_sha256 === null || row.provisioning_token_expires_at_ms === null) {
      return undefined
    }
    return { sha256Hex: row.provisioning_token_sha256, expiresAtMs: row.provisioning_token_expires_at_ms }
  }

  /**
   * Stores the key and config and consumes the token, all at once; undefined, and nothing written, if the token is no
   * longer the one checked. A new key opens the EUI's next chain and closes the chains before it (closeChains).
   */
  provision(provisioning: Provisioning): Promise<ProvisionedChains | undefined> {
    return this.engine.write(async (sql) => {
      const gateway = await this.byId(provisioning.id, sql)
      if (gateway === undefined) return undefined
      const sameKey = gateway.publicKey !== null && Buffer.from(gateway.publicKey).equals(provisioning.publicKey)
      const chain = sameKey ? gateway.chain : (await sql.get<{ chain: number }>(SQL.nextChain, [gateway.eui, gateway.eui]))!.chain
      const publicKey = Buffer.from(provisioning.publicKey)
      const stored = await sql.run(SQL.provision, [
        publicKey, chain, provisioning.provisionedAtMs, Buffer.from(provisioning.riskConfig), provisioning.riskConfigSerial,
        provisioning.id, provisioning.tokenSha256Hex,
      ])
      if (stored.changes !== 1) return undefined
      if (sameKey) return { chain, opened: false }
      await closeChains(sql, gateway.eui, chain - 1, provisioning.provisionedAtMs)
      // Two hubs opening one chain number: the primary key (eui, chain) fails one, whose write runs again.
      await sql.run(SQL.openChain, [gateway.eui, chain, gateway.id, publicKey, Buffer.alloc(32), provisioning.provisionedAtMs])
      return { chain, opened: true }
    })
  }

  /** Compare-and-set on the serial, so two concurrent changes (on any hub) cannot both be built on the same predecessor. */
  async setRiskConfig(id: string, riskConfig: Uint8Array, serial: number, previousSerial: number, sql: SqlQuery = this.engine): Promise<boolean> {
    return (await sql.run(SQL.setRiskConfig, [Buffer.from(riskConfig), serial, id, previousSerial])).changes === 1
  }

  /**
   * Keeps the row, key and config for audit; the gateway can no longer connect nor provision, and the chains of its EUI
   * close: at once where the hub holds them whole, else once their missing records are written off. `sql`: the
   * transaction it is part of.
   */
  async retire(sql: SqlQuery, id: string, retiredAt_ms: number): Promise<boolean> {
    const gateway = await this.byId(id, sql)
    if (gateway === undefined || (await sql.run(SQL.retire, [retiredAt_ms, id])).changes !== 1) return false
    await closeChains(sql, gateway.eui, gateway.chain, retiredAt_ms)
    return true
  }

  /**
   * Closes an old chain of the gateway that is closing (records missing below its highest seq): every missing record,
   * from just after the contiguous part to just before the highest, is written off, and its open gaps with them.
   * `sql`: the transaction it is part of.
   */
  async writeOffChain(sql: SqlQuery, writeOff: ChainWriteOff): Promise<ChainWriteOffOutcome> {
    const chain = await sql.get<{ eui: string; state: 'open' | 'closing' | 'closed'; contiguous_seq: number; highest_seq: number }>(
      SQL.chainOfGateway, [writeOff.gatewayId, writeOff.chain])
    if (chain === undefined) return { outcome: 'unknown' }
    if (chain.state !== 'closing') return { outcome: 'not_closing', state: chain.state }
    // Closing means the record after the contiguous part is missing while a higher one is held.
    const fromSeq = chain.contiguous_seq + 1
    const toSeq = chain.highest_seq - 1
    const closed = await sql.run(SQL.writeOffChain, [
      writeOff.atMs, fromSeq, toSeq, writeOff.byUserId, writeOff.note, chain.eui, writeOff.chain, chain.contiguous_seq, chain.highest_seq,
    ])
    // Another hub's write-off, or records arriving, changed the chain since it was read: the operator looks again.
    if (closed.changes !== 1) return { outcome: 'not_closing', state: 'closed' }
    await sql.run(SQL.writeOffGaps, [writeOff.atMs, chain.eui, writeOff.chain])
    return { outcome: 'closed', fromSeq, toSeq }
  }

  async delete(id: string, sql: SqlQuery = this.engine): Promise<boolean> {
    return (await sql.run(SQL.delete, [id])).changes === 1
  }

  async hasProcessedPayments(gateway: Pick<Gateway, 'id' | 'eui' | 'createdAtMs'>, sql: SqlQuery = this.engine): Promise<boolean> {
    return (await sql.get<{ found: number }>(SQL.processedPayments, [gateway.id, gateway.eui, gateway.createdAtMs]))!.found === 1
  }

  /** The gateway's current chain, and its older chains still closing, as one snapshot. */
  chainStatus(gateway: Pick<Gateway, 'id' | 'eui' | 'chain' | 'publicKey'>): Promise<ChainStatus> {
    const { eui } = gateway
    return this.engine.read(async (sql) => {
      const chain = await sql.get<{ contiguous_seq: number; highest_seq: number; updated_at_ms: number | null }>(SQL.chain, [eui, gateway.chain])
      const gapsOf = async (number: number) =>
        (await sql.all<{ from_seq: number; to_seq: number; detected_at_ms: number }>(SQL.openGaps, [eui, number, OPEN_GAPS_LISTED_MAX]))
          .map((gap) => ({ fromSeq: gap.from_seq, toSeq: gap.to_seq, detectedAtMs: gap.detected_at_ms }))
      const gapCountOf = async (number: number) => (await sql.get<{ count: number }>(SQL.openGapCount, [eui, number]))!.count
      const closing = await sql.all<{ chain: number; contiguous_seq: number; highest_seq: number; closing_at_ms: number }>(
        SQL.closingChains, [gateway.id, CLOSING_CHAINS_LISTED_MAX])
      const closingChains: ClosingChain[] = []
      for (const old of closing) {
        closingChains.push({
          number: old.chain,
          contiguousSeq: old.contiguous_seq,
          highestSeq: old.highest_seq,
          closingAtMs: old.closing_at_ms,
          openGaps: await gapsOf(old.chain),
          openGapCount: await gapCountOf(old.chain),
        })
      }
      return {
        number: gateway.publicKey === null ? null : gateway.chain,
        chain: chain === undefined || chain.updated_at_ms === null
          ? null
          : { contiguousSeq: chain.contiguous_seq, highestSeq: chain.highest_seq, updatedAtMs: chain.updated_at_ms },
        openGaps: await gapsOf(gateway.chain),
        openGapCount: await gapCountOf(gateway.chain),
        forkCount: (await sql.get<{ count: number }>(SQL.forkCount, [eui, gateway.chain]))!.count,
        closingChains,
      }
    })
  }

  /** The user's roles; undefined when there is no such user. */
  async userRoles(userId: string, sql: SqlQuery = this.engine): Promise<Role[] | undefined> {
    const rows = await sql.all<{ role: string | null }>(SQL.userRoles, [userId])
    if (rows.length === 0) return undefined
    return rolesFromList(rows.flatMap(row => (row.role === null ? [] : [row.role])).join(','))
  }

  /** Up to `limit` configs of provisioned gateways with ids after `afterId` (start with ''), in id order. */
  async provisionedConfigsAfter(afterId: string, limit: number): Promise<StoredConfig[]> {
    checkPage(0, limit)
    return (await this.engine.all<{ id: string; eui: string; risk_config: Buffer }>(SQL.provisionedConfigs, [afterId, limit]))
      .map((row) => ({ id: row.id, eui: row.eui, riskConfig: new Uint8Array(row.risk_config) }))
  }

  /** Up to `limit` provisioned gateways after `afterId` (start with ''), by id: each EUI with its public key. */
  async provisionedKeysAfter(afterId: string, limit: number): Promise<Array<{ id: string; eui: string; publicKey: Uint8Array }>> {
    checkPage(0, limit)
    return (await this.engine.all<{ id: string; eui: string; public_key: Buffer }>(SQL.provisionedKeys, [afterId, limit]))
      .map(row => ({ id: row.id, eui: row.eui, publicKey: new Uint8Array(row.public_key) }))
  }

  /** Up to `limit` EUIs after `afterEui` (start with '') that a retired gateway held and no provisioned one holds now. */
  async retiredEuisAfter(afterEui: string, limit: number): Promise<string[]> {
    checkPage(0, limit)
    return (await this.engine.all<{ eui: string }>(SQL.retiredEuis, [afterEui, limit])).map((row) => row.eui)
  }
}

/**
 * The statements over a gateway's record chains (the ingest's tables, read and written here as the ingest has them):
 * their status, and their opening and closing.
 */
function chainStatements() {
  return {
    chain: 'SELECT contiguous_seq, highest_seq, updated_at_ms FROM gateway_chains WHERE eui = ? AND chain = ?',
    openGaps: `SELECT from_seq, to_seq, detected_at_ms FROM chain_gaps WHERE eui = ? AND chain = ? AND resolved_at_ms IS NULL
      ORDER BY from_seq LIMIT ?`,
    openGapCount: 'SELECT count(*) AS count FROM chain_gaps WHERE eui = ? AND chain = ? AND resolved_at_ms IS NULL',
    forkCount: 'SELECT count(*) AS count FROM chain_forks WHERE eui = ? AND chain = ?',
    closingChains: `SELECT chain, contiguous_seq, highest_seq, closing_at_ms FROM gateway_chains WHERE gateway_id = ? AND state = 'closing'
      ORDER BY chain LIMIT ?`,
    // The next chain of an EUI: after every chain opened there, and after the chain of any gateway that held a key
    // there before chains were opened at provisioning.
    nextChain: `SELECT coalesce(max(chain), 0) + 1 AS chain FROM (
        SELECT chain FROM gateway_chains WHERE eui = ?
        UNION ALL SELECT chain FROM gateways WHERE eui = ? AND public_key IS NOT NULL) AS taken`,
    openChain: `INSERT INTO gateway_chains (eui, chain, gateway_id, public_key, state, contiguous_seq, contiguous_hash, highest_seq, opened_at_ms)
      VALUES (?, ?, ?, ?, 'open', 0, ?, 0, ?)`,
    // Held whole up to its highest seq: closed at once. Missing records: closing, until they arrive or are written off.
    closeChains: `UPDATE gateway_chains SET state = CASE WHEN contiguous_seq >= highest_seq THEN 'closed' ELSE 'closing' END,
        closing_at_ms = ?, closed_at_ms = CASE WHEN contiguous_seq >= highest_seq THEN CAST(? AS BIGINT) END
      WHERE eui = ? AND chain <= ? AND state = 'open'`,
    chainOfGateway: 'SELECT eui, state, contiguous_seq, highest_seq FROM gateway_chains WHERE gateway_id = ? AND chain = ?',
    // Only the chain as it was read: neither closed by another write-off nor grown by records since.
    writeOffChain: `UPDATE gateway_chains SET state = 'closed', closed_at_ms = ?, written_off_from_seq = ?, written_off_to_seq = ?,
        written_off_by_user_id = ?, written_off_note = ?
      WHERE eui = ? AND chain = ? AND state = 'closing' AND contiguous_seq = ? AND highest_seq = ?`,
    writeOffGaps: 'UPDATE chain_gaps SET resolved_at_ms = ?, written_off = 1 WHERE eui = ? AND chain = ? AND resolved_at_ms IS NULL',
  } as const
}

/** Closes the EUI's open chains up to `throughChain` (SQL.closeChains). */
async function closeChains(sql: SqlQuery, eui: string, throughChain: number, now_ms: number): Promise<void> {
  await sql.run(SQL.closeChains, [now_ms, now_ms, eui, throughChain])
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
