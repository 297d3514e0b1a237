// The legacy tables the import reads (../shared/LEGACY.md), each row turned into a typed record by its columns'
// names; a row whose key or typed value cannot be read is refused with its reason. Rows of other tables are counted
// and skipped: the web backend's transactions and accounts are history the balances already sum up.

import { ImportError } from './errors'
import type { DumpRow } from './model'
import { booleanOf, keyOf, textOf, timestampOf, type Reading } from './values'

export type LegacySystem = 'web' | 'mobile'

export interface WebUser {
  readonly id: string
  readonly fullName: string | null
  readonly email: string | null
  readonly emailVerified: boolean
  readonly phoneVerified: boolean
  readonly password: string | null
  readonly phone: string | null
  readonly createdAt_ms: number | null
  readonly updatedAt_ms: number | null
}

export interface MobileUser {
  readonly id: string
  readonly deviceId: string | null
  readonly webUserId: string | null
  readonly name: string | null
  readonly surname: string | null
  readonly imei: string | null
  readonly sex: string | null
  readonly dateOfBirth: string | null
  readonly profession: string | null
  readonly address: string | null
  readonly email: string | null
  readonly phone: string | null
  readonly password: string | null
  readonly metadata: string | null
  readonly createdAt_ms: number | null
  readonly updatedAt_ms: number | null
}

export interface WebGateway {
  readonly id: string
  readonly name: string | null
  readonly type: string | null
  readonly eui: string | null
  readonly price: string | null
  readonly createdAt_ms: number | null
}

export interface WebOrder {
  readonly id: string
  readonly userId: string | null
  readonly status: string | null
  readonly totalAmount: string | null
  readonly shippingAddress: string | null
  readonly createdAt_ms: number | null
  readonly updatedAt_ms: number | null
}

/** A row of a table joining two others: an order and a gateway (gateway_orders), a user and a gateway (user_devices). */
interface Pair {
  readonly left: string
  readonly right: string
}

export interface MobileDevice {
  readonly id: string
  readonly imei: string | null
  readonly model: string | null
  readonly brand: string | null
  readonly active: boolean
  readonly createdAt_ms: number | null
}

export interface MobileAccount {
  readonly id: string
  readonly userId: string | null
  readonly accountNo: string | null
  readonly balance: string | null
  readonly bankAccountId: string | null
  readonly createdAt_ms: number | null
}

/** Everything the import reads, by legacy table. */
export interface LegacyRecords {
  readonly webUsers: WebUser[]
  readonly webGateways: WebGateway[]
  readonly webOrders: WebOrder[]
  readonly gatewayOrders: Pair[]
  readonly userGateways: Pair[]
  readonly mobileUsers: MobileUser[]
  readonly mobileDevices: MobileDevice[]
  readonly mobileAccounts: MobileAccount[]
}

/** A row the reading refused: its table, its key as far as it could be read, and why. */
export interface RowRefusal {
  readonly system: LegacySystem
  readonly table: string
  readonly key: string
  readonly reason: string
  readonly detail: string
}

/** A column's value by its (lower-case) name, or null when the table has no such column or the value is NULL. */
type Cells = (name: string) => string | null

interface TableSpec {
  /** Columns a dump of this table must have, each with the other names it is known under. */
  readonly required: readonly (readonly string[])[]
  /** The key column(s) named in a refusal. */
  readonly key: (cells: Cells) => string
  readonly add: (records: LegacyRecords, cells: Cells) => void
}

const integerKey = (cells: Cells, column: string): string => {
  const reading = keyOf(cells(column))
  if (!reading.ok) throw new BadValue(column, reading.problem)
  return reading.value ?? missing(column)
}
const optionalKey = (cells: Cells, column: string): string | null => {
  const reading = keyOf(cells(column))
  if (!reading.ok) throw new BadValue(column, reading.problem)
  return reading.value
}
const flag = (cells: Cells, column: string): boolean => valueOf(column, booleanOf(cells(column)))
const time = (cells: Cells, column: string): number | null => timestampOf(cells(column))
const text = (cells: Cells, column: string): string | null => textOf(cells(column))
/** Text kept exactly (a password hash, an amount), only NULL and the empty string read as null. */
const raw = (cells: Cells, column: string): string | null => {
  const value = cells(column)
  return value === null || value === '' ? null : value
}

function valueOf<T>(column: string, reading: Reading<T>): T {
  if (!reading.ok) throw new BadValue(column, reading.problem)
  return reading.value
}

function missing(column: string): never {
  throw new BadValue(column, 'is NULL')
}

class BadValue extends Error {
  constructor(readonly column: string, readonly problem: string) {
    super(`${column} ${problem}`)
  }
}

const pairOf = (leftColumn: string, rightColumns: readonly string[]) => (cells: Cells): Pair => {
  const rightColumn = rightColumns.find(column => cells(column) !== null) ?? rightColumns[0]!
  return { left: integerKey(cells, leftColumn), right: integerKey(cells, rightColumn) }
}

const SPECS: Readonly<Record<LegacySystem, Readonly<Record<string, TableSpec>>>> = {
  web: {
    users: {
      required: [['id'], ['email'], ['password']],
      key: cells => cells('id') ?? '?',
      add: (records, cells) => records.webUsers.push({
        id: integerKey(cells, 'id'), fullName: text(cells, 'full_name'), email: text(cells, 'email'),
        emailVerified: flag(cells, 'email_verified'), phoneVerified: flag(cells, 'phone_verified'), password: raw(cells, 'password'),
        phone: text(cells, 'phone'), createdAt_ms: time(cells, 'created_at'), updatedAt_ms: time(cells, 'updated_at'),
      }),
    },
    gateways: {
      required: [['id'], ['name'], ['type'], ['eui']],
      key: cells => cells('id') ?? '?',
      add: (records, cells) => records.webGateways.push({
        id: integerKey(cells, 'id'), name: text(cells, 'name'), type: text(cells, 'type'), eui: text(cells, 'eui'),
        price: raw(cells, 'price'), createdAt_ms: time(cells, 'created_at'),
      }),
    },
    orders: {
      required: [['id'], ['user_id'], ['status']],
      key: cells => cells('id') ?? '?',
      add: (records, cells) => records.webOrders.push({
        id: integerKey(cells, 'id'), userId: optionalKey(cells, 'user_id'), status: text(cells, 'status'),
        totalAmount: raw(cells, 'total_amount'), shippingAddress: text(cells, 'shipping_address'),
        createdAt_ms: time(cells, 'created_at'), updatedAt_ms: time(cells, 'updated_at'),
      }),
    },
    gateway_orders: {
      required: [['order_id'], ['gateway_id']],
      key: cells => `${cells('order_id') ?? '?'}/${cells('gateway_id') ?? '?'}`,
      add: (records, cells) => records.gatewayOrders.push(pairOf('order_id', ['gateway_id'])(cells)),
    },
    user_devices: {
      required: [['user_id'], ['gateway_id', 'device_id']],
      key: cells => `${cells('user_id') ?? '?'}/${cells('gateway_id') ?? cells('device_id') ?? '?'}`,
      add: (records, cells) => records.userGateways.push(pairOf('user_id', ['gateway_id', 'device_id'])(cells)),
    },
  },
  mobile: {
    users: {
      required: [['id'], ['name'], ['phone'], ['password']],
      key: cells => cells('id') ?? '?',
      add: (records, cells) => records.mobileUsers.push({
        id: integerKey(cells, 'id'), deviceId: optionalKey(cells, 'id_device'), webUserId: optionalKey(cells, 'id_user_ext'),
        name: text(cells, 'name'), surname: text(cells, 'surename') ?? text(cells, 'surname'), imei: text(cells, 'imei'),
        sex: text(cells, 'sexe'), dateOfBirth: text(cells, 'dob'), profession: text(cells, 'profession'),
        address: text(cells, 'address'), email: text(cells, 'email'), phone: text(cells, 'phone'), password: raw(cells, 'password'),
        metadata: raw(cells, 'meta_data'), createdAt_ms: time(cells, 'created_at'), updatedAt_ms: time(cells, 'updated_at'),
      }),
    },
    device: {
      required: [['id'], ['imei']],
      key: cells => cells('id') ?? '?',
      add: (records, cells) => records.mobileDevices.push({
        id: integerKey(cells, 'id'), imei: text(cells, 'imei'), model: text(cells, 'model'), brand: text(cells, 'brand'),
        active: cells('status') === null ? true : flag(cells, 'status'), createdAt_ms: time(cells, 'created_at'),
      }),
    },
    account: {
      required: [['id'], ['id_user'], ['balance']],
      key: cells => cells('id') ?? '?',
      add: (records, cells) => records.mobileAccounts.push({
        id: integerKey(cells, 'id'), userId: optionalKey(cells, 'id_user'), accountNo: text(cells, 'accountno'),
        balance: raw(cells, 'balance'), bankAccountId: text(cells, 'id_compte_ext'), createdAt_ms: time(cells, 'created_at'),
      }),
    },
  },
}

export function emptyRecords(): LegacyRecords {
  return { webUsers: [], webGateways: [], webOrders: [], gatewayOrders: [], userGateways: [], mobileUsers: [], mobileDevices: [], mobileAccounts: [] }
}

/**
 * Reads the rows of one system into `records`, row by row. A table without a column the import needs is an
 * ImportError (the dump is not the legacy layout, and nothing is imported); a row with a bad value is a refusal.
 */
export class RecordReader {
  readonly refusals: RowRefusal[] = []
  private readonly indexes = new WeakMap<readonly string[], ReadonlyMap<string, number>>()

  constructor(private readonly records: LegacyRecords) {}

  add(system: LegacySystem, row: DumpRow): boolean {
    const table = row.table.toLowerCase()
    const spec = SPECS[system][table]
    if (spec === undefined) return false
    const index = this.indexOf(system, table, row.columns, spec)
    const cells: Cells = name => {
      const at = index.get(name)
      return at === undefined ? null : row.values[at] ?? null
    }
    try {
      spec.add(this.records, cells)
    } catch (error) {
      if (!(error instanceof BadValue)) throw error
      this.refusals.push({ system, table, key: spec.key(cells), reason: 'BAD_VALUE', detail: error.message })
    }
    return true
  }

  private indexOf(system: LegacySystem, table: string, columns: readonly string[], spec: TableSpec): ReadonlyMap<string, number> {
    const known = this.indexes.get(columns)
    if (known !== undefined) return known
    const index = new Map(columns.map((name, at) => [name.toLowerCase(), at]))
    for (const names of spec.required) {
      if (!names.some(name => index.has(name))) {
        throw new ImportError('NOT_LEGACY_LAYOUT', `the ${system} table ${table} has no column ${names.join(' or ')} (it has ${columns.join(', ')})`)
      }
    }
    this.indexes.set(columns, index)
    return index
  }
}
