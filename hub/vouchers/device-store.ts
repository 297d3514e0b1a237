// Customer devices bound to users: a phone (or card) and the Ed25519 public key it signs
// payments with. A key or an IMEI is bound to at most one user at a time. A device imported from the legacy
// system has no key until its app binds one under the same IMEI: until then it pays online only.

import { lockKey } from '../store/key-lock'
import type { SqlEngine, SqlQuery, SqlRow } from '../store/sql'

export interface Device {
  id: string
  userId: string
  imei: string
  /** Null for a device imported from the legacy system whose app has not bound a key yet. */
  publicKey: Uint8Array | null
  model: string | null
  brand: string | null
  status: 'bound' | 'unbound'
  boundAtMs: number
  unboundAtMs: number | null
}

interface DeviceRow extends SqlRow {
  id: string
  user_id: string
  imei: string
  public_key: Buffer | null
  model: string | null
  brand: string | null
  status: 'bound' | 'unbound'
  bound_at_ms: number
  unbound_at_ms: number | null
}

/** Most devices one user may have bound at once; binding one more is refused until one is unbound. */
export const DEVICES_PER_USER_MAX = 20

/** What binding did: bound, or refused because the IMEI or key is bound already, or the user has the most devices. */
export type BindOutcome = 'bound' | 'taken' | 'full'

/** A device with its key: what binding is given. */
export type KeyedDevice = Omit<Device, 'status' | 'unboundAtMs' | 'publicKey'> & { readonly publicKey: Uint8Array }

const INSERT_SQL = `INSERT INTO devices (id, user_id, imei, public_key, model, brand, status, bound_at_ms)
  VALUES (?, ?, ?, ?, ?, ?, 'bound', ?)`
const BOUND_BY_IMEI_SQL = `SELECT * FROM devices WHERE imei = ? AND status = 'bound'`
const BOUND_BY_KEY_SQL = `SELECT * FROM devices WHERE public_key = ? AND status = 'bound'`

export class DeviceStore {
  constructor(private readonly engine: SqlEngine) {}

  /**
   * Binds the device unless its IMEI or key is bound already or its user has `devicesMax` bound. A device of the
   * same user bound under this IMEI without a key (imported from the legacy system) takes the key instead, keeping
   * its id. The checks and the write are one transaction, the user's binds one at a time (key-lock.ts), so
   * concurrent binds (from any hub) cannot both pass the cap; the unique indexes on a bound IMEI and a bound key decide
   * between two hubs binding the same device (the loser's write runs again and answers 'taken').
   */
  bind(device: KeyedDevice, devices_max: number): Promise<BindOutcome> {
    return this.engine.write(async (sql): Promise<BindOutcome> => {
      await lockKey(sql, this.engine.dialect, 'devicesOfUser', device.userId)
      if (await boundBy(sql, BOUND_BY_KEY_SQL, Buffer.from(device.publicKey)) !== undefined) return 'taken'
      const sameImei = await boundBy(sql, BOUND_BY_IMEI_SQL, device.imei)
      if (sameImei !== undefined) {
        if (sameImei.userId !== device.userId || sameImei.publicKey !== null) return 'taken'
        const keyed = await sql.run(
          `UPDATE devices SET public_key = ?, model = coalesce(?, model), brand = coalesce(?, brand)
           WHERE id = ? AND status = 'bound' AND public_key IS NULL`,
          [Buffer.from(device.publicKey), device.model, device.brand, sameImei.id])
        // Another bind gave it a key first.
        return keyed.changes === 1 ? 'bound' : 'taken'
      }
      const bound = await sql.get<{ count: number }>(`SELECT count(*) AS count FROM devices WHERE user_id = ? AND status = 'bound'`,
        [device.userId])
      if (bound!.count >= devices_max) return 'full'
      await insertDevice(sql, device)
      return 'bound'
    })
  }

  /**
   * Binds a new customer's device inside the caller's write (a bulk enrollment's, hub/bulk/customers.ts): false, and
   * nothing written, when its IMEI or key is bound already. Its user is new, so no cap applies; a race with another
   * hub binding the same device is decided by the unique indexes (the caller's write runs again and answers false).
   */
  async bindNewIn(sql: SqlQuery, device: KeyedDevice): Promise<boolean> {
    const key = Buffer.from(device.publicKey)
    const taken = await sql.get(`SELECT id FROM devices WHERE status = 'bound' AND (imei = ? OR public_key = ?) LIMIT 1`, [device.imei, key])
    if (taken !== undefined) return false
    await insertDevice(sql, device)
    return true
  }

  insert(device: Omit<Device, 'status' | 'unboundAtMs'>): Promise<void> {
    return insertDevice(this.engine, device)
  }

  boundByImei(imei: string): Promise<Device | undefined> {
    return boundBy(this.engine, BOUND_BY_IMEI_SQL, imei)
  }

  boundByPublicKey(publicKey: Uint8Array): Promise<Device | undefined> {
    return boundBy(this.engine, BOUND_BY_KEY_SQL, Buffer.from(publicKey))
  }

  async boundToUser(userId: string): Promise<Device[]> {
    const rows = await this.engine.all<DeviceRow>(
      `SELECT * FROM devices WHERE user_id = ? AND status = 'bound' ORDER BY bound_at_ms, id LIMIT ?`, [userId, DEVICES_PER_USER_MAX])
    return rows.map(toDevice)
  }

  /** Compare-and-set from bound: false when it was unbound already (by another request or hub). */
  async unbind(id: string, now_ms: number): Promise<boolean> {
    const unbound = await this.engine.run(`UPDATE devices SET status = 'unbound', unbound_at_ms = ? WHERE id = ? AND status = 'bound'`, [now_ms, id])
    return unbound.changes === 1
  }
}

async function insertDevice(sql: SqlQuery, device: Omit<Device, 'status' | 'unboundAtMs'>): Promise<void> {
  await sql.run(INSERT_SQL, [device.id, device.userId, device.imei, device.publicKey === null ? null : Buffer.from(device.publicKey),
    device.model, device.brand, device.boundAtMs])
}

async function boundBy(sql: SqlQuery, text: string, value: string | Buffer): Promise<Device | undefined> {
  const row = await sql.get<DeviceRow>(text, [value])
  return row === undefined ? undefined : toDevice(row)
}

function toDevice(row: DeviceRow): Device {
  return {
    id: row.id,
    userId: row.user_id,
    imei: row.imei,
    publicKey: row.public_key === null ? null : new Uint8Array(row.public_key),
    model: row.model,
    brand: row.brand,
    status: row.status,
    boundAtMs: row.bound_at_ms,
    unboundAtMs: row.unbound_at_ms,
  }
}
