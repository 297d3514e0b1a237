// Customer devices bound to users: a phone (or card) and the Ed25519 public key it signs
// payments with. A key or an IMEI is bound to at most one user at a time. A device imported from the legacy
// system has no key until its app binds one under the same IMEI: until then it pays online only.

import type { SqliteDatabase } from '../store/database'

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

interface DeviceRow {
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

export class DeviceStore {
  private readonly statements

  constructor(private readonly db: SqliteDatabase) {
    this.statements = {
      insert: db.prepare(
        `INSERT INTO devices (id, user_id, imei, public_key, model, brand, status, bound_at_ms)
         VALUES (@id, @userId, @imei, @publicKey, @model, @brand, 'bound', @boundAtMs)`),
      boundByImei: db.prepare<[string], DeviceRow>(`SELECT * FROM devices WHERE imei = ? AND status = 'bound'`),
      boundByKey: db.prepare<[Buffer], DeviceRow>(`SELECT * FROM devices WHERE public_key = ? AND status = 'bound'`),
      countByUser: db.prepare<[string], { count: number }>(`SELECT count(*) AS count FROM devices WHERE user_id = ? AND status = 'bound'`),
      byUser: db.prepare<[string, number], DeviceRow>(
        `SELECT * FROM devices WHERE user_id = ? AND status = 'bound' ORDER BY bound_at_ms LIMIT ?`),
      unbind: db.prepare<[number, string]>(`UPDATE devices SET status = 'unbound', unbound_at_ms = ? WHERE id = ? AND status = 'bound'`),
      setKey: db.prepare<[Buffer, string | null, string | null, string]>(
        `UPDATE devices SET public_key = ?, model = coalesce(?, model), brand = coalesce(?, brand)
         WHERE id = ? AND status = 'bound' AND public_key IS NULL`),
    }
  }

  /**
   * Binds the device unless its IMEI or key is bound already or its user has `devicesMax` bound. A device of the
   * same user bound under this IMEI without a key (imported from the legacy system) takes the key instead, keeping
   * its id. The checks and the write are one immediate transaction, so concurrent binds (from any process on the
   * file) cannot both pass.
   */
  bind(device: KeyedDevice, devices_max: number): BindOutcome {
    return this.db.transaction((): BindOutcome => {
      if (this.boundByPublicKey(device.publicKey) !== undefined) return 'taken'
      const sameImei = this.boundByImei(device.imei)
      if (sameImei !== undefined) {
        if (sameImei.userId !== device.userId || sameImei.publicKey !== null) return 'taken'
        this.statements.setKey.run(Buffer.from(device.publicKey), device.model, device.brand, sameImei.id)
        return 'bound'
      }
      if (this.statements.countByUser.get(device.userId)!.count >= devices_max) return 'full'
      this.insert(device)
      return 'bound'
    }).immediate()
  }

  insert(device: Omit<Device, 'status' | 'unboundAtMs'>): void {
    this.statements.insert.run({ ...device, publicKey: device.publicKey === null ? null : Buffer.from(device.publicKey) })
  }

  boundByImei(imei: string): Device | undefined {
    const row = this.statements.boundByImei.get(imei)
    return row === undefined ? undefined : toDevice(row)
  }

  boundByPublicKey(publicKey: Uint8Array): Device | undefined {
    const row = this.statements.boundByKey.get(Buffer.from(publicKey))
    return row === undefined ? undefined : toDevice(row)
  }

  boundToUser(userId: string): Device[] {
    return this.statements.byUser.all(userId, DEVICES_PER_USER_MAX).map(toDevice)
  }

  unbind(id: string, now_ms: number): boolean {
    return this.statements.unbind.run(now_ms, id).changes === 1
  }
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
