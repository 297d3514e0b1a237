// The import of the legacy system's data into a hub's store: the dumps read row by row into typed records, the
// two systems' users joined into people, then users, gateways, ownerships, orders, devices and account balances
// written in one transaction, a refused row reported with its table, key and reason while the rest goes on. The
// ledger must verify at the end or nothing is kept; a dry run rolls the same transaction back. Every row written
// is noted in legacy_rows, so importing the same files again finds each row done and changes nothing.

import { toHex } from '../../protocol/bytes'
import type { Clock, RandomBytes } from '../../protocol/clock'
import { ProtocolError } from '../../protocol/errors'
import { parseEui } from '../../protocol/eui'
import { currencyByCode, formatAmount, type Currency } from '../../protocol/money'
import { walletAccountId } from '../accounts'
import { GatewayStore, newGatewayId } from '../gateways/store'
import { HttpError } from '../http/errors'
import { asPrintableLine } from '../http/text'
import { cashTransferId } from '../ledger/ids'
import { cashInPostings } from '../ledger/settle'
import { SqliteLedgerStore } from '../ledger/sqlite-store'
import { verifyLedger } from '../ledger/verify'
import { AccountLinks } from '../mobile/accounts'
import { ORDER_ITEMS_MAX, OrderStore } from '../orders/store'
import type { SqliteDatabase } from '../store/database'
import { SqliteEngine } from '../store/sql'
import { newUserId } from '../users/store'
import { phoneNumberOf, type PhoneRegion } from '../users/phone'
import { DeviceStore } from '../vouchers/device-store'
import { ImportError } from './errors'
import { LegacyImportStore } from './import-store'
import type { DumpRow } from './model'
import { fullNameOf, joinPeople, normalizedEmail, passwordSource, personKey, type JoinedBy, type Person, type PhoneReader } from './people'
import {
  emptyRecords, RecordReader, type LegacyRecords, type LegacySystem, type MobileAccount, type MobileDevice, type RowRefusal, type WebGateway,
  type WebOrder,
} from './records'
import { boundedTextOf, minorUnitsOf } from './values'

export interface ImportSource {
  readonly system: LegacySystem
  /** What the report calls it: the file's name. */
  readonly name: string
  readonly rows: AsyncIterable<DumpRow>
  /** How many of the source's bytes were read so far, of how many: for a progress bar. */
  readonly bytes?: () => { readonly read: number; readonly total: number }
}

export interface ImportOptions {
  readonly currency: string
  readonly phoneRegion: PhoneRegion
  readonly dryRun: boolean
  readonly clock: Clock
  readonly random: RandomBytes
  readonly onProgress?: (progress: ImportProgress) => void
}

export type ImportProgress =
  | { readonly phase: 'reading'; readonly source: string; readonly rows: number; readonly bytesRead?: number; readonly bytesTotal?: number }
  | { readonly phase: 'writing'; readonly step: Entity; readonly done: number; readonly total: number }

export const ENTITIES = ['users', 'gateways', 'ownerships', 'orders', 'devices', 'accounts'] as const
type Entity = (typeof ENTITIES)[number]

interface EntityCounts {
  imported: number
  unchanged: number
  refused: number
}

/** Something the import chose or left out on a row it imported: a dropped phone, which password a person kept. */
interface ImportNote {
  readonly system: LegacySystem
  readonly table: string
  readonly key: string
  readonly note: string
  readonly detail: string
}

export interface ImportReport {
  readonly dryRun: boolean
  readonly currency: string
  /** Rows read, by `system.table`. */
  readonly rowsRead: Readonly<Record<string, number>>
  /** Rows of tables the import does not read, by `system.table`. */
  readonly rowsSkipped: Readonly<Record<string, number>>
  readonly entities: Readonly<Record<Entity, EntityCounts>>
  /** How the people who had records in both systems were joined. */
  readonly joins: Readonly<Record<JoinedBy, number>> & { readonly webOnly: number; readonly mobileOnly: number }
  /** Each person imported now: their legacy ids, how the two were joined, and their PayAll user id. */
  readonly people: readonly { readonly web: string | null; readonly mobile: string | null; readonly joinedBy: JoinedBy | null; readonly userId: string }[]
  readonly refusals: readonly RowRefusal[]
  readonly notes: readonly ImportNote[]
  /** The legacy balances: read (every readable one), and opened as transfers by this import. */
  readonly balances: {
    readonly currency: string
    readonly readMinor: number
    readonly openedMinor: number
    readonly opened: string
    readonly openedAccounts: number
  }
  /** Whether the ledger verified after the import (it must, or nothing is kept). */
  readonly ledgerVerified: boolean
  /** Whether the import wrote anything (or, in a dry run, would have). */
  readonly changed: boolean
}

const IMEI = /^[0-9A-Za-z-]{1,64}$/
const EMAIL = /^[^\s@]+@[^\s@]+$/
const EMAIL_LENGTH_MAX = 254
const FULL_NAME_LENGTH_MAX = 200
const GATEWAY_NAME_LENGTH_MAX = 120
const GATEWAY_TYPE_LENGTH_MAX = 40
const SHIPPING_ADDRESS_LENGTH_MAX = 500
const PASSWORD_HASH_LENGTH_MAX = 255
/** Stored for a legacy user who had no usable password hash: matches no password, so they set one by reset. */
const NO_PASSWORD_HASH = '!legacy:no-password'
const PROGRESS_EVERY_ROWS = 5000
const ORDER_STATUS: Readonly<Record<string, 'pending' | 'validated' | 'rejected'>> = {
  pending: 'pending', new: 'pending', created: 'pending', waiting: 'pending', awaiting_payment: 'pending',
  validated: 'validated', approved: 'validated', accepted: 'validated', confirmed: 'validated', paid: 'validated',
  processing: 'validated', shipped: 'validated', delivered: 'validated', completed: 'validated', done: 'validated',
  rejected: 'rejected', refused: 'rejected', declined: 'rejected', cancelled: 'rejected', canceled: 'rejected', failed: 'rejected',
}

/** Reads every source, then writes what it read in one transaction (rolled back in a dry run). */
export async function importLegacy(db: SqliteDatabase, sources: readonly ImportSource[], options: ImportOptions): Promise<ImportReport> {
  let currency: Currency
  try {
    currency = currencyByCode(options.currency)
  } catch (error) {
    if (!(error instanceof ProtocolError)) throw error
    throw new ImportError('BAD_ARGUMENTS', `--currency: ${options.currency} is not an ISO 4217 currency PayAll knows`)
  }
  const records = emptyRecords()
  const reader = new RecordReader(records)
  const rowsRead: Record<string, number> = {}
  const rowsSkipped: Record<string, number> = {}
  for (const source of sources) {
    let rows = 0
    for await (const row of source.rows) {
      const counts = reader.add(source.system, row) ? rowsRead : rowsSkipped
      const name = `${source.system}.${row.table.toLowerCase()}`
      counts[name] = (counts[name] ?? 0) + 1
      if (++rows % PROGRESS_EVERY_ROWS === 0) options.onProgress?.(readingProgress(source, rows))
    }
    options.onProgress?.(readingProgress(source, rows))
  }
  const run = new ImportRun(db, records, currency, options)
  for (const refusal of reader.refusals) run.refuse(entityOf(refusal.table), refusal)
  db.exec('BEGIN IMMEDIATE')
  try {
    await run.write()
    const verification = await verifyLedger(run.ledger)
    if (!verification.ok) {
      throw new ImportError('LEDGER_UNBALANCED', `the ledger does not verify after the import: ${verification.violations.length} violations`)
    }
    db.exec(options.dryRun ? 'ROLLBACK' : 'COMMIT')
  } catch (error) {
    if (db.inTransaction) db.exec('ROLLBACK')
    throw error
  }
  return run.report(rowsRead, rowsSkipped)
}

function readingProgress(source: ImportSource, rows: number): ImportProgress {
  const bytes = source.bytes?.()
  return { phase: 'reading', source: source.name, rows, ...(bytes === undefined ? {} : { bytesRead: bytes.read, bytesTotal: bytes.total }) }
}

/** One import's writing: the stores it writes through, what it has decided so far, and its counts. */
class ImportRun {
  readonly ledger: SqliteLedgerStore
  private readonly store: LegacyImportStore
  private readonly gateways: GatewayStore
  private readonly orders: OrderStore
  private readonly devices: DeviceStore
  private readonly links: AccountLinks
  /** The import's own transaction, for the stores written on SqlEngine: their statements join it. */
  private readonly engine: SqliteEngine
  private readonly now_ms: number
  private readonly counts = Object.fromEntries(ENTITIES.map(entity => [entity, { imported: 0, unchanged: 0, refused: 0 }])) as Record<Entity, EntityCounts>
  private readonly notes: ImportNote[] = []
  private readonly refusals: RowRefusal[] = []
  private readonly mobileUsersByDevice = new Map<string, string>()
  private readonly mobileUsersByImei = new Map<string, string>()
  private readonly deviceImeis = new Set<string>()
  private readonly joins = { id_user_ext: 0, email: 0, phone: 0, webOnly: 0, mobileOnly: 0 }
  private readonly people: ImportReport['people'][number][] = []
  /** The currency's external account, where opening balances come from: made (or found) once per import. */
  private externalAccountId: string | undefined
  private readonly balances = { readMinor: 0, openedMinor: 0, openedAccounts: 0 }
  private readonly readPhone: PhoneReader

  constructor(
    db: SqliteDatabase, private readonly records: LegacyRecords, private readonly currency: Currency,
    private readonly options: ImportOptions,
  ) {
    this.ledger = new SqliteLedgerStore(db, { clock: options.clock })
    this.store = new LegacyImportStore(db)
    // The import's own transaction is open on `db` (importLegacy): these write in it, through an engine of their own,
    // whose gate is free, so its statements run at once, inside the import's BEGIN.
    this.engine = new SqliteEngine(db)
    this.gateways = new GatewayStore(this.engine)
    this.orders = new OrderStore(this.engine)
    this.devices = new DeviceStore(this.engine)
    this.links = new AccountLinks(this.engine)
    this.now_ms = options.clock.now_ms()
    for (const user of records.mobileUsers) {
      if (user.deviceId !== null && !this.mobileUsersByDevice.has(user.deviceId)) this.mobileUsersByDevice.set(user.deviceId, user.id)
      if (user.imei !== null && !this.mobileUsersByImei.has(user.imei)) this.mobileUsersByImei.set(user.imei, user.id)
    }
    for (const device of records.mobileDevices) if (device.imei !== null) this.deviceImeis.add(device.imei)
    this.readPhone = text => {
      try {
        return { phone: phoneNumberOf(text, options.phoneRegion) }
      } catch (error) {
        if (!(error instanceof HttpError)) throw error
        return { problem: error.message }
      }
    }
  }

  async write(): Promise<void> {
    const joined = joinPeople(this.records.webUsers, this.records.mobileUsers, this.readPhone)
    for (const refusal of joined.refusals) this.refuse('users', refusal)
    await this.each('users', joined.people, person => this.writePerson(person))
    await this.each('gateways', unique(this.records.webGateways, 'web', 'gateways', this), gateway => this.writeGateway(gateway))
    await this.each('ownerships', this.records.userGateways, pair => this.writeOwnership(pair.left, pair.right))
    const itemsOf = groupBy(this.records.gatewayOrders, pair => pair.left, pair => pair.right)
    await this.each('orders', unique(this.records.webOrders, 'web', 'orders', this), order => this.writeOrder(order, itemsOf.get(order.id) ?? []))
    await this.each('devices', unique(this.records.mobileDevices, 'mobile', 'device', this), device => this.writeDevice(device))
    await this.each('devices', this.records.mobileUsers.filter(user => user.imei !== null), user => this.writeImeiOnlyDevice(user.id, user.imei!))
    await this.each('accounts', unique(this.records.mobileAccounts, 'mobile', 'account', this), account => this.writeAccount(account))
  }

  report(rowsRead: Record<string, number>, rowsSkipped: Record<string, number>): ImportReport {
    const changed = ENTITIES.some(entity => this.counts[entity].imported > 0)
    return {
      dryRun: this.options.dryRun, currency: this.currency.code, rowsRead, rowsSkipped, entities: this.counts, joins: this.joins, people: this.people,
      refusals: this.refusals, notes: this.notes,
      balances: {
        currency: this.currency.code, readMinor: this.balances.readMinor, openedMinor: this.balances.openedMinor,
        opened: formatAmount(this.balances.openedMinor, this.currency.code), openedAccounts: this.balances.openedAccounts,
      },
      ledgerVerified: true, changed,
    }
  }

  /** Counts a refusal of a row of `entity`. */
  refuse(entity: Entity, refusal: RowRefusal): void {
    this.counts[entity].refused++
    this.refusals.push(refusal)
  }

  private note(system: LegacySystem, table: string, key: string, note: string, detail: string): void {
    this.notes.push({ system, table, key, note, detail })
  }

  /** Text people read made one printable line, as the hub keeps such text; a change is noted. Null when nothing is left. */
  private line(text: string | null | undefined, what: string, row: { system: LegacySystem; table: string; key: string }): string | null {
    if (text == null) return null
    const cleaned = asPrintableLine(text)
    if (cleaned !== text) this.note(row.system, row.table, row.key, 'TEXT_CLEANED', `${what}: line breaks, tabs or invisible characters replaced`)
    return cleaned === '' ? null : cleaned
  }

  /** Writes each item in turn, counting its outcome under `entity` and telling the progress every so many. */
  private async each<T>(entity: Entity, items: readonly T[], write: (item: T) => Outcome | Promise<Outcome>): Promise<void> {
    for (const [index, item] of items.entries()) {
      this.count(entity, await write(item))
      if ((index + 1) % PROGRESS_EVERY_ROWS === 0) this.options.onProgress?.({ phase: 'writing', step: entity, done: index + 1, total: items.length })
    }
  }

  private count(entity: Entity, outcome: Outcome): void {
    if (outcome === 'skipped') return
    if (typeof outcome === 'object') this.refuse(entity, outcome)
    else this.counts[entity][outcome]++
  }

  /** The PayAll id a legacy row became, now or at an earlier import (legacy_rows, inside the import's transaction). */
  private payallId(system: LegacySystem, table: string, key: string): string | undefined {
    return this.store.mapped(system, table, key)
  }

  private map(system: LegacySystem, table: string, key: string, payallId: string): void {
    this.store.map(system, table, key, payallId, this.now_ms)
  }

  // ── users ──────────────────────────────────────────────────────────────────────────────────────────────────────

  private writePerson(person: Person): Outcome {
    const { web, mobile } = person
    const done = (web && this.store.mapped('web', 'users', web.id)) ?? (mobile && this.store.mapped('mobile', 'users', mobile.id))
    if (done !== undefined) {
      // A record that joins a person imported before is noted as theirs.
      if (web !== undefined && this.store.mapped('web', 'users', web.id) === undefined) this.map('web', 'users', web.id, done)
      if (mobile !== undefined && this.store.mapped('mobile', 'users', mobile.id) === undefined) this.map('mobile', 'users', mobile.id, done)
      return 'unchanged'
    }
    const { system, key } = personKey(person)
    const refuse = (reason: string, detail: string): RowRefusal => ({ system, table: 'users', key, reason, detail })
    const email = this.emailOf(person)
    const phone = this.phoneOf(person)
    if (email === null && phone === null) return refuse('NO_LOGIN', 'neither a usable email nor a usable phone number: the user could never log in')
    const emailHolder = email === null ? undefined : this.store.emailHolder(email.value)
    if (email !== null && emailHolder !== undefined) return refuse('DUPLICATE_EMAIL', `${email.value} is the email of another user (${this.holderName(emailHolder)})`)
    const phoneHolder = phone === null ? undefined : this.store.phoneHolder(phone.value)
    if (phone !== null && phoneHolder !== undefined) return refuse('DUPLICATE_PHONE', `${phone.value} is the phone of another user (${this.holderName(phoneHolder)})`)
    const fullName = this.line(fullNameOf(person), 'the name', { system, table: 'users', key }) ?? ''
    if ([...fullName].length > FULL_NAME_LENGTH_MAX) return refuse('NAME_TOO_LONG', `the name is longer than the ${FULL_NAME_LENGTH_MAX} characters PayAll keeps`)
    const id = newUserId(this.options.random)
    const { passwordHash, legacyPasswordHash } = this.passwordHashesOf(person)
    const createdAt_ms = Math.min(...[web?.createdAt_ms, mobile?.createdAt_ms].filter((at): at is number => at != null), this.now_ms)
    this.store.insertUser({
      id, email: email?.value ?? null, emailVerifiedAtMs: email?.verified === true ? this.now_ms : null,
      phone: phone?.value ?? null, phoneVerifiedAtMs: phone?.verified === true ? this.now_ms : null,
      fullName, passwordHash, createdAtMs: createdAt_ms,
    }, ['customer'])
    this.store.insertProfile({
      userId: id, ...this.profileFieldsOf(person), webUserId: web?.id ?? null, mobileUserId: mobile?.id ?? null,
      mobileDeviceId: mobile?.deviceId ?? null, legacyPasswordHash,
    })
    if (web !== undefined) this.map('web', 'users', web.id, id)
    if (mobile !== undefined) this.map('mobile', 'users', mobile.id, id)
    this.people.push({ web: web?.id ?? null, mobile: mobile?.id ?? null, joinedBy: person.joinedBy, userId: id })
    if (person.joinedBy !== null) this.joins[person.joinedBy]++
    else if (web !== undefined) this.joins.webOnly++
    else this.joins.mobileOnly++
    return 'imported'
  }

  /** How a refusal names the user holding an email or phone: the legacy row they came from, else their PayAll id. */
  private holderName(userId: string): string {
    const legacy = this.store.legacyIdsOf(userId)
    if (legacy?.webUserId != null) return `the web user ${legacy.webUserId}`
    if (legacy?.mobileUserId != null) return `the mobile user ${legacy.mobileUserId}`
    return `PayAll user ${userId}`
  }

  /** The web record's email, else the mobile one's; a malformed one is dropped with a note. */
  private emailOf(person: Person): { value: string; verified: boolean } | null {
    const { system, key } = personKey(person)
    const webEmail = normalizedEmail(person.web?.email ?? null)
    const mobileEmail = normalizedEmail(person.mobile?.email ?? null)
    if (webEmail !== null && mobileEmail !== null && webEmail !== mobileEmail) {
      this.note(system, 'users', key, 'EMAIL_DIFFERS', `kept the web backend's ${webEmail}; the mobile record had ${mobileEmail}`)
    }
    const email = webEmail ?? mobileEmail
    if (email === null) return null
    if (!EMAIL.test(email) || email.length < 3 || email.length > EMAIL_LENGTH_MAX) {
      this.note(system, 'users', key, 'EMAIL_DROPPED', `${JSON.stringify(email.slice(0, 60))} is not an email address`)
      return null
    }
    return { value: email, verified: webEmail === email && person.web?.emailVerified === true }
  }

  /** The mobile record's number (unique there), else the web one's, in E.164; one that does not read is dropped with a note. */
  private phoneOf(person: Person): { value: string; verified: boolean } | null {
    const { system, key } = personKey(person)
    const candidates = [
      ...(person.mobile?.phone == null ? [] : [{ text: person.mobile.phone, verified: false }]),
      ...(person.web?.phone == null ? [] : [{ text: person.web.phone, verified: person.web.phoneVerified }]),
    ]
    const read = candidates.map(candidate => ({ ...candidate, reading: this.readPhone(candidate.text) }))
    for (const candidate of read) {
      if ('problem' in candidate.reading) this.note(system, 'users', key, 'PHONE_DROPPED', candidate.reading.problem)
    }
    const usable = read.flatMap(candidate => ('phone' in candidate.reading ? [{ value: candidate.reading.phone, verified: candidate.verified }] : []))
    const [first, second] = usable
    if (first === undefined) return null
    if (second !== undefined && second.value !== first.value) {
      this.note(system, 'users', key, 'PHONE_DIFFERS', `kept the mobile backend's ${first.value}; the web record had ${second.value}`)
    }
    return { value: first.value, verified: first.verified || (second?.value === first.value && second.verified) }
  }

  /**
   * The hash of the record changed last, and the other record's when it differs: either password logs in until the
   * person's first login, which keeps only the one they used (hub/users/login.ts).
   */
  private passwordHashesOf(person: Person): { passwordHash: string; legacyPasswordHash: string | null } {
    const { system, key } = personKey(person)
    const source = passwordSource(person)
    const usable = (hash: string | null | undefined): string | null => (hash == null || hash.length > PASSWORD_HASH_LENGTH_MAX ? null : hash)
    const chosen = usable(source === 'web' ? person.web?.password : person.mobile?.password)
    const other = usable(source === 'web' ? person.mobile?.password : person.web?.password)
    if (chosen === null) {
      this.note(system, 'users', key, 'NO_PASSWORD', 'no usable password hash: the user sets a password with a reset')
      return { passwordHash: NO_PASSWORD_HASH, legacyPasswordHash: null }
    }
    if (!/^\$2[aby]\$\d{2}\$/.test(chosen)) this.note(system, 'users', key, 'UNKNOWN_HASH', 'the password hash is not bcrypt: the user sets a password with a reset')
    return { passwordHash: chosen, legacyPasswordHash: other === chosen ? null : other }
  }

  private profileFieldsOf(person: Person) {
    const { system, key } = personKey(person)
    const mobile = person.mobile
    const field = (value: string | null | undefined, what: string, length_max: number): string | null => {
      const reading = boundedTextOf(what === 'meta_data' ? value ?? null : this.line(value, what, { system, table: 'users', key }), what, length_max)
      if (reading.ok) return reading.value
      this.note(system, 'users', key, 'FIELD_DROPPED', reading.problem)
      return null
    }
    return {
      surname: field(mobile?.surname, 'surename', 255), sex: field(mobile?.sex, 'sexe', 10), dateOfBirth: field(mobile?.dateOfBirth, 'dob', 20),
      profession: field(mobile?.profession, 'profession', 255), address: field(mobile?.address, 'address', 2000),
      metadata: field(mobile?.metadata, 'meta_data', 65536),
    }
  }

  // ── gateways, ownerships, orders ───────────────────────────────────────────────────────────────────────────────

  private async writeGateway(gateway: WebGateway): Promise<Outcome> {
    if (this.store.mapped('web', 'gateways', gateway.id) !== undefined) return 'unchanged'
    const refuse = (reason: string, detail: string): RowRefusal => ({ system: 'web', table: 'gateways', key: gateway.id, reason, detail })
    if (gateway.eui === null) return refuse('NO_EUI', 'the gateway has no EUI')
    let eui: string
    try {
      eui = parseEui(gateway.eui)
    } catch (error) {
      if (!(error instanceof ProtocolError)) throw error
      return refuse('BAD_EUI', `${JSON.stringify(gateway.eui.slice(0, 40))} is not 16 hex digits`)
    }
    const row = { system: 'web' as const, table: 'gateways', key: gateway.id }
    const name = this.line(gateway.name, 'name', row)
    const type = this.line(gateway.type, 'type', row)
    if (name === null || [...name].length > GATEWAY_NAME_LENGTH_MAX) return refuse('BAD_NAME', `a gateway's name is 1 to ${GATEWAY_NAME_LENGTH_MAX} characters`)
    if (type === null || [...type].length > GATEWAY_TYPE_LENGTH_MAX) return refuse('BAD_TYPE', `a gateway's type is 1 to ${GATEWAY_TYPE_LENGTH_MAX} characters`)
    const price = minorUnitsOf(gateway.price ?? '0', this.currency)
    if (!price.ok) return refuse('BAD_AMOUNT', `price: ${price.problem}`)
    if (price.value < 0) return refuse('BAD_AMOUNT', `price ${gateway.price} is negative`)
    const holder = await this.gateways.byEui(eui)
    if (holder !== undefined) return refuse('DUPLICATE_EUI', `${eui} is the EUI of another gateway (${holder.name})`)
    const id = newGatewayId(this.options.random)
    await this.gateways.insert({
      id, eui, name, type, priceMinor: price.value, priceCurrency: this.currency.code,
      createdAtMs: gateway.createdAt_ms ?? this.now_ms,
    })
    this.map('web', 'gateways', gateway.id, id)
    return 'imported'
  }

  /** A user_devices row: the user owns the gateway, which is assigned to them, paying into their wallet. */
  private async writeOwnership(legacyUserId: string, legacyGatewayId: string): Promise<Outcome> {
    const key = `${legacyUserId}/${legacyGatewayId}`
    if (this.store.mapped('web', 'user_devices', key) !== undefined) return 'unchanged'
    const refuse = (reason: string, detail: string): RowRefusal => ({ system: 'web', table: 'user_devices', key, reason, detail })
    const userId = this.payallId('web', 'users', legacyUserId)
    if (userId === undefined) return refuse('UNKNOWN_USER', `the web user ${legacyUserId} was not imported`)
    const gatewayId = this.payallId('web', 'gateways', legacyGatewayId)
    if (gatewayId === undefined) return refuse('UNKNOWN_GATEWAY', `the gateway ${legacyGatewayId} was not imported`)
    const gateway = (await this.gateways.byId(gatewayId))!
    if (gateway.ownerUserId !== null && gateway.ownerUserId !== userId) {
      return refuse('GATEWAY_OWNED', `the gateway ${legacyGatewayId} belongs to another user already`)
    }
    if (gateway.ownerUserId === null) {
      this.store.addRole(userId, 'owner', this.now_ms)
      const wallet = await this.ledger.openWallet({ id: walletAccountId(userId, this.currency.code), userId, currency: this.currency.code })
      await this.gateways.assign(gatewayId, userId, wallet.id)
    }
    this.map('web', 'user_devices', key, gatewayId)
    return 'imported'
  }

  private async writeOrder(order: WebOrder, legacyGatewayIds: readonly string[]): Promise<Outcome> {
    if (this.store.mapped('web', 'orders', order.id) !== undefined) return 'unchanged'
    const refuse = (reason: string, detail: string): RowRefusal => ({ system: 'web', table: 'orders', key: order.id, reason, detail })
    const userId = order.userId === null ? undefined : this.payallId('web', 'users', order.userId)
    if (userId === undefined) return refuse('UNKNOWN_USER', `the web user ${order.userId ?? '(none)'} was not imported`)
    const status = ORDER_STATUS[(order.status ?? '').toLowerCase()]
    if (status === undefined) return refuse('UNKNOWN_STATUS', `${JSON.stringify(order.status)} is not an order status PayAll maps`)
    const address = this.line(order.shippingAddress, 'shipping_address', { system: 'web', table: 'orders', key: order.id })
    if (address === null || [...address].length > SHIPPING_ADDRESS_LENGTH_MAX) {
      return refuse('BAD_ADDRESS', `a shipping address is 1 to ${SHIPPING_ADDRESS_LENGTH_MAX} characters`)
    }
    if (legacyGatewayIds.length > ORDER_ITEMS_MAX) return refuse('TOO_MANY_ITEMS', `an order holds at most ${ORDER_ITEMS_MAX} gateways`)
    const items = []
    for (const legacyGatewayId of legacyGatewayIds) {
      const gatewayId = this.payallId('web', 'gateways', legacyGatewayId)
      if (gatewayId === undefined) return refuse('UNKNOWN_GATEWAY', `the order names the gateway ${legacyGatewayId}, which was not imported`)
      items.push({ gatewayId, quantity: 1, unitPriceMinor: (await this.gateways.byId(gatewayId))!.priceMinor })
    }
    const total = order.totalAmount === null ? { ok: true as const, value: items.reduce((sum, item) => sum + item.unitPriceMinor, 0) }
      : minorUnitsOf(order.totalAmount, this.currency)
    if (!total.ok) return refuse('BAD_AMOUNT', `total_amount: ${total.problem}`)
    if (total.value < 0) return refuse('BAD_AMOUNT', `total_amount ${order.totalAmount} is negative`)
    const id = `ord_${toHex(this.options.random(12))}`
    const createdAt_ms = order.createdAt_ms ?? this.now_ms
    await this.orders.insertIn(this.engine, { id, userId, currency: this.currency.code, totalMinor: total.value, shippingAddress: address, createdAtMs: createdAt_ms, items })
    if (status !== 'pending') {
      this.store.decideOrder(id, status, Math.max(order.updatedAt_ms ?? createdAt_ms, createdAt_ms), `${order.status} in the legacy system`)
    }
    this.map('web', 'orders', order.id, id)
    return 'imported'
  }

  // ── devices and accounts ───────────────────────────────────────────────────────────────────────────────────────

  /** A row of the mobile backend's device table, bound to the user whose id_device (else imei) names it. */
  private async writeDevice(device: MobileDevice): Promise<Outcome> {
    if (this.store.mapped('mobile', 'device', device.id) !== undefined) return 'unchanged'
    const refuse = (reason: string, detail: string): RowRefusal => ({ system: 'mobile', table: 'device', key: device.id, reason, detail })
    const owner = this.mobileUsersByDevice.get(device.id) ?? (device.imei === null ? undefined : this.mobileUsersByImei.get(device.imei))
    if (owner === undefined) return refuse('NO_USER', 'no mobile user names this device (id_device or imei)')
    return this.bindDevice({ table: 'device', key: device.id }, owner, device.imei, device, refuse)
  }

  /** A mobile user's imei that no row of the device table holds: a device of theirs all the same. */
  private async writeImeiOnlyDevice(legacyUserId: string, imei: string): Promise<Outcome> {
    if (this.deviceImeis.has(imei)) return 'skipped'
    if (this.store.mapped('mobile', 'users.imei', legacyUserId) !== undefined) return 'unchanged'
    const refuse = (reason: string, detail: string): RowRefusal => ({ system: 'mobile', table: 'users', key: legacyUserId, reason, detail })
    return this.bindDevice({ table: 'users.imei', key: legacyUserId }, legacyUserId, imei, { model: null, brand: null, active: true, createdAt_ms: null }, refuse)
  }

  private async bindDevice(
    row: { table: string; key: string }, legacyUserId: string, imei: string | null,
    device: Pick<MobileDevice, 'model' | 'brand' | 'active' | 'createdAt_ms'>, refuse: (reason: string, detail: string) => RowRefusal,
  ): Promise<Outcome> {
    const userId = this.payallId('mobile', 'users', legacyUserId)
    if (userId === undefined) return refuse('UNKNOWN_USER', `the mobile user ${legacyUserId} was not imported`)
    if (imei === null || !IMEI.test(imei)) return refuse('BAD_IMEI', `${JSON.stringify(imei?.slice(0, 40) ?? null)} is not an IMEI`)
    if (device.active && await this.devices.boundByImei(imei) !== undefined) return refuse('IMEI_BOUND', `a device with IMEI ${imei} is bound already`)
    const id = `dev_${toHex(this.options.random(12))}`
    await this.devices.insert({
      id, userId, imei, publicKey: null, model: this.line(device.model, 'model', { system: 'mobile', ...row }),
      brand: this.line(device.brand, 'brand', { system: 'mobile', ...row }), boundAtMs: device.createdAt_ms ?? this.now_ms,
    })
    if (!device.active) await this.devices.unbind(id, this.now_ms)
    this.map('mobile', row.table, row.key, id)
    return 'imported'
  }

  /** A mobile account's balance, opened in the user's wallet as a cash-in from outside: the same transfer id every time. */
  private async writeAccount(account: MobileAccount): Promise<Outcome> {
    const refuse = (reason: string, detail: string): RowRefusal => ({ system: 'mobile', table: 'account', key: account.id, reason, detail })
    const balance = minorUnitsOf(account.balance ?? '0', this.currency)
    if (!balance.ok) return refuse('BAD_AMOUNT', `balance: ${balance.problem}`)
    if (balance.value < 0) return refuse('NEGATIVE_BALANCE', `balance ${account.balance} is negative: settle it in the legacy system first`)
    this.balances.readMinor += balance.value
    const userId = account.userId === null ? undefined : this.payallId('mobile', 'users', account.userId)
    if (userId === undefined) return refuse('UNKNOWN_USER', `the mobile user ${account.userId ?? '(none)'} was not imported`)
    const wallet = await this.ledger.openWallet({ id: walletAccountId(userId, this.currency.code), userId, currency: this.currency.code })
    const done = this.store.mapped('mobile', 'account', account.id) !== undefined
    if (balance.value > 0) {
      this.externalAccountId ??= (await this.ledger.systemAccounts(this.currency.code)).external.id
      const external = this.externalAccountId
      const [outcome] = await this.ledger.applyTransfers([{
        id: cashTransferId('cash_in', wallet.id, `legacy:mobile:account:${account.id}`),
        kind: 'cash_in', currency: this.currency.code,
        postings: cashInPostings({ externalAccountId: external, walletAccountId: wallet.id, amountMinor: balance.value }),
        metadata: { reference: `legacy account ${account.accountNo ?? account.id}` },
      }])
      if (outcome!.status === 'conflict') return refuse('BALANCE_CHANGED', `the balance differs from the one imported before (${account.balance})`)
      if (outcome!.status === 'refused') return refuse('LEDGER_REFUSED', outcome!.error.message)
      if (outcome!.status === 'applied') {
        this.balances.openedMinor += balance.value
        this.balances.openedAccounts++
      }
    }
    if (done) return 'unchanged'
    await this.linkAccount(userId, account)
    this.map('mobile', 'account', account.id, wallet.id)
    return 'imported'
  }

  private async linkAccount(userId: string, account: MobileAccount): Promise<void> {
    const links = [
      ...(account.accountNo === null ? [] : [{ accountNo: account.accountNo, kind: 'wallet' as const }]),
      ...(account.bankAccountId === null ? [] : [{ accountNo: account.bankAccountId, kind: 'bank' as const }]),
    ]
    for (const link of links) {
      const outcome = link.accountNo.length > 64 ? 'too long' : await this.links.linkIn(this.engine, userId, link.accountNo, link.kind, this.now_ms)
      if (outcome !== 'linked' && outcome !== 'exists') {
        this.note('mobile', 'account', account.id, 'LINK_DROPPED', `${link.kind} account number ${link.accountNo.slice(0, 64)} not linked: ${outcome}`)
      }
    }
  }
}

/** The entity a legacy table's rows count towards. */
function entityOf(table: string): Entity {
  const entities: Readonly<Record<string, Entity>> = {
    users: 'users', gateways: 'gateways', user_devices: 'ownerships', orders: 'orders', gateway_orders: 'orders', device: 'devices', account: 'accounts',
  }
  return entities[table] ?? 'users'
}

/** What writing one row did: a refusal is its reason; 'skipped' is a row another step covers. */
type Outcome = 'imported' | 'unchanged' | 'skipped' | RowRefusal

/** The rows with a key not seen before in their table; a later row with the same key is refused. */
function unique<T extends { readonly id: string }>(rows: readonly T[], system: LegacySystem, table: string, run: ImportRun): T[] {
  const seen = new Set<string>()
  const entity = entityOf(table)
  return rows.filter(row => {
    if (!seen.has(row.id)) return seen.add(row.id)
    run.refuse(entity, { system, table, key: row.id, reason: 'DUPLICATE_KEY', detail: `a second row with id ${row.id}` })
    return false
  })
}

function groupBy<T>(items: readonly T[], keyOf: (item: T) => string, valueOf: (item: T) => string): Map<string, string[]> {
  const groups = new Map<string, string[]>()
  for (const item of items) {
    const group = groups.get(keyOf(item))
    if (group === undefined) groups.set(keyOf(item), [valueOf(item)])
    else group.push(valueOf(item))
  }
  return groups
}
