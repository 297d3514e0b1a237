// Enrolling customers in bulk (an agent network's onboarding day, a migration from another wallet): for each of up to
// BULK_ITEMS_MAX people the operator vouches for, an account with the email proved, a wallet cashed in, the phone's
// key bound and a voucher issued with its hold, as the one-by-one path (sign-up, create-account, cash-in, binding,
// voucher) makes them, in one transaction. No password is set: the customer chooses one with a password reset.
// The per-address sign-up limit stays on the public path; this one is the operator's, and audited.
//
// A retry of the same request (same idempotency key, same items) creates nothing: every id in a chunk derives from
// the key (ids.ts), so the second call finds the accounts and answers with the vouchers it issued the first time.

import { equalBytes, fromBase64, toHex } from '../../protocol/bytes'
import { isProtocolError } from '../../protocol/errors'
import { currencyByCode, formatMoney, parseAmount } from '../../protocol/money'
import { voucherCodec, type Voucher } from '../../protocol/messages/voucher'
import { requireAcceptablePublicKey } from '../../protocol/signature/public-key'
import { walletAccountId } from '../accounts'
import type { HubContext } from '../context'
import type { HubServices } from '../http/route-services'
import { HttpError } from '../http/errors'
import { cashTransferId, externalAccountId } from '../ledger/ids'
import { LedgerError } from '../ledger/errors'
import { cashInPostings } from '../ledger/settle'
import type { FundedWalletInput } from '../ledger/store'
import { normalizeEmail } from '../users/store'
import type { SqlQuery } from '../store/sql'
import type { NewVoucher } from '../vouchers/vouchers'
import { bulkDeviceId, bulkUserId, bulkVoucherId } from './ids'
import { ItemRefusals } from './refusal'

/** What an account made here holds instead of a password hash: nothing logs in with it until a reset sets one. */
const NO_PASSWORD_HASH = '!bulk:no-password'

interface BulkCustomerItem {
  readonly fullName: string
  readonly email: string
  /** Decimal in major units, cashed in to the new wallet. */
  readonly cashIn: string
  /** Decimal in major units: the voucher's limit, held from the cash-in. */
  readonly voucherAmount: string
  readonly device: { readonly imei: string; readonly publicKey: string; readonly model?: string }
}

export interface BulkCustomersRequest {
  readonly idempotencyKey: string
  readonly currency: string
  readonly items: readonly BulkCustomerItem[]
}

interface BulkCustomer {
  readonly index: number
  readonly userId: string
  readonly email: string
  readonly walletAccountId: string
  readonly deviceId: string
  readonly voucher: Voucher
  readonly encodedVoucher: Uint8Array
}

export interface BulkCustomersOutcome {
  readonly replayed: boolean
  readonly customers: readonly BulkCustomer[]
}

/** An item as checked: its amounts in minor units, its key decoded, its email normalized. */
interface CheckedItem {
  readonly index: number
  readonly email: string
  readonly fullName: string
  readonly cashIn_minor: number
  readonly voucher_minor: number
  readonly imei: string
  readonly publicKey: Uint8Array
  readonly model: string | null
}

/** The stores an enrollment reads and writes besides the ledger, each on the hub's SqlEngine. */
type EnrollmentServices = Pick<HubServices, 'users' | 'devices' | 'vouchers' | 'audit'>

/** Carries out the request, or replays it; a refused item refuses the whole chunk (BulkRefusal) and nothing is written. */
export async function enrollCustomersInBulk(
  context: Pick<HubContext, 'clock' | 'ledger'>, services: EnrollmentServices, actorId: string, request: BulkCustomersRequest,
): Promise<BulkCustomersOutcome> {
  const { idempotencyKey } = request
  const currency = currencyByCode(request.currency).code
  const replayed = await replay(services, request, currency)
  if (replayed !== undefined) return replayed

  const checked = await checkItems(services, request, currency)
  const now_ms = context.clock.now_ms()
  const made = checked.map((item): MadeCustomer => {
    const userId = bulkUserId(idempotencyKey, item.index)
    const deviceId = bulkDeviceId(idempotencyKey, item.index)
    const issued = services.vouchers.signNew({ id: deviceId, userId, publicKey: item.publicKey }, bulkVoucherId(idempotencyKey, item.index),
      item.voucher_minor, currency)
    return {
      index: item.index, userId, email: item.email, walletAccountId: issued.walletAccountId, deviceId, voucher: issued.voucher,
      encodedVoucher: issued.encoded, issued, fullName: item.fullName, imei: item.imei, model: item.model,
    }
  })
  const funded = made.map((customer, index): FundedWalletInput => ({
    wallet: { id: customer.walletAccountId, userId: customer.userId, currency },
    cashIn: {
      id: cashTransferId('cash_in', customer.walletAccountId, `bulk:${idempotencyKey}`),
      kind: 'cash_in',
      currency,
      postings: cashInPostings({ externalAccountId: externalAccountId(currency), walletAccountId: customer.walletAccountId, amountMinor: checked[index]!.cashIn_minor }),
      metadata: { reference: `bulk enrollment ${idempotencyKey}` },
    },
    hold: {
      voucherId: customer.issued.voucherIdHex, walletAccountId: customer.walletAccountId, limitMinor: customer.voucher.limitMinor,
      expiresAtMs: customer.voucher.expiresAtMs, uploadDeadlineAtMs: customer.issued.uploadDeadlineAtMs,
    },
  }))

  await context.ledger.openFundedWallets(funded,
    sql => writeEnrollment(sql, services, { actorId, idempotencyKey, currency, now_ms, made, checked }))
  return {
    replayed: false,
    customers: made.map(({ index, userId, email, walletAccountId: wallet, deviceId, voucher, encodedVoucher }) => (
      { index, userId, email, walletAccountId: wallet, deviceId, voucher, encodedVoucher })),
  }
}

/** A chunk's customers as signed, with the rows they will be stored with. */
type MadeCustomer = BulkCustomer & { readonly issued: NewVoucher; readonly fullName: string; readonly imei: string; readonly model: string | null }

/**
 * The chunk's users, devices and vouchers and its audit entry, written through `sql`, the ledger's transaction that
 * opens their wallets (openFundedWallets' alsoWrite): they commit with the money or not at all. A refused item is
 * noted and the rest still checked, so the refusal names every item at fault; it throws then, rolling everything back.
 * On PostgreSQL it may run again (the ledger's call retried): it does nothing but its statements.
 */
async function writeEnrollment(sql: SqlQuery, services: EnrollmentServices, chunk: {
  readonly actorId: string; readonly idempotencyKey: string; readonly currency: string; readonly now_ms: number
  readonly made: readonly MadeCustomer[]; readonly checked: readonly CheckedItem[]
}): Promise<void> {
  const { actorId, idempotencyKey, currency, now_ms, made, checked } = chunk
  const refusals = new ItemRefusals()
  for (const customer of made) {
    await refusals.checkAsync(customer.index, async () => {
      const taken = await services.users.insertIn(sql, {
        id: customer.userId, email: customer.email, emailVerifiedAtMs: now_ms, fullName: customer.fullName, roles: ['customer'],
        passwordHash: NO_PASSWORD_HASH, createdAtMs: now_ms,
      })
      if (taken !== undefined) throw taken
      const bound = await services.devices.bindNewIn(sql, {
        id: customer.deviceId, userId: customer.userId, imei: customer.imei, publicKey: customer.voucher.devicePublicKey,
        model: customer.model, brand: null, boundAtMs: now_ms,
      })
      if (!bound) throw new HttpError(409, 'DEVICE_ALREADY_BOUND', `a device with IMEI ${customer.imei} or this key is bound already`)
    })
  }
  refusals.throwIfAny(made.length)
  await services.vouchers.storeNewIn(sql, made.map(customer => customer.issued))
  // Summed exactly: each amount is a safe integer, a thousand of them need not be.
  const cashed_minor = checked.reduce((sum, item) => sum + BigInt(item.cashIn_minor), 0n)
  const cashed = cashed_minor <= BigInt(Number.MAX_SAFE_INTEGER) ? formatMoney(Number(cashed_minor), currency) : `${cashed_minor} minor units of ${currency}`
  await services.audit.recordIn(sql, {
    atMs: now_ms, actorId, action: 'bulk.customers', targetId: made[0]!.userId, targetName: made[0]!.email,
    detail: `${made.length} customers enrolled (accounts, wallets cashed in with ${cashed} in all, `
      + `devices bound, vouchers issued); idempotency key ${idempotencyKey}; emails ${made[0]!.email} … ${made[made.length - 1]!.email}`,
  })
}

/** Every item checked as the one-by-one routes check it, before anything is signed or written; throws BulkRefusal naming each refused item. */
async function checkItems(services: EnrollmentServices, request: BulkCustomersRequest, currency: string): Promise<CheckedItem[]> {
  const takenEmails = new Set<string>()
  for (const item of request.items) {
    const email = normalizeEmail(item.email)
    if (await services.users.credentialsByEmail(email) !== undefined) takenEmails.add(email)
  }
  const refusals = new ItemRefusals()
  const emails = new Map<string, number>()
  const imeis = new Map<string, number>()
  const keys = new Map<string, number>()
  const checked: CheckedItem[] = []
  const revocable = await services.vouchers.revocableCount()
  const firstOf = (seen: Map<string, number>, value: string, index: number): number | undefined => {
    const first = seen.get(value)
    if (first === undefined) seen.set(value, index)
    return first
  }
  for (const [index, item] of request.items.entries()) {
    const ok = refusals.check(index, (): CheckedItem => {
      const email = normalizeEmail(item.email)
      const sameEmail = firstOf(emails, email, index)
      if (sameEmail !== undefined) throw new HttpError(409, 'EMAIL_TAKEN', `item ${sameEmail} has this email too`)
      if (takenEmails.has(email)) throw new HttpError(409, 'EMAIL_TAKEN', 'a user with this email exists')
      const cashIn_minor = parseAmount(item.cashIn, currency, { allowZero: false })
      const voucher_minor = parseAmount(item.voucherAmount, currency, { allowZero: false })
      if (voucher_minor > cashIn_minor) {
        throw new LedgerError('INSUFFICIENT_FUNDS', `the voucher (${item.voucherAmount}) is more than the cash-in (${item.cashIn}) can hold`)
      }
      const refusal = services.vouchers.judgeNew(voucher_minor, revocable + checked.length)
      if (refusal !== undefined) throw refusal
      const publicKey = fromBase64(item.device.publicKey)
      requireAcceptablePublicKey(publicKey, 'device.publicKey')
      const sameImei = firstOf(imeis, item.device.imei, index)
      const sameKey = firstOf(keys, toHex(publicKey), index)
      if (sameImei !== undefined || sameKey !== undefined) {
        throw new HttpError(409, 'DEVICE_ALREADY_BOUND', `item ${sameImei ?? sameKey} has this device's ${sameImei !== undefined ? 'IMEI' : 'key'} too`)
      }
      return {
        index, email, fullName: item.fullName, cashIn_minor, voucher_minor, imei: item.device.imei, publicKey, model: item.device.model ?? null,
      }
    })
    if (ok === undefined) continue
    if (await services.devices.boundByImei(ok.imei) !== undefined || await services.devices.boundByPublicKey(ok.publicKey) !== undefined) {
      refusals.refuse(index, 'DEVICE_ALREADY_BOUND', `a device with IMEI ${ok.imei} or this key is bound already`)
    } else {
      checked.push(ok)
    }
  }
  refusals.throwIfAny(request.items.length)
  return checked
}

/**
 * The request carried out before under this key, as it was answered then; undefined when the key is new. The same
 * key with other items is refused (IDEMPOTENCY_CONFLICT).
 */
async function replay(services: EnrollmentServices, request: BulkCustomersRequest, currency: string): Promise<BulkCustomersOutcome | undefined> {
  const { idempotencyKey, items } = request
  if (await services.users.byId(bulkUserId(idempotencyKey, 0)) === undefined) return undefined
  const conflict = (why: string): HttpError => new HttpError(409, 'IDEMPOTENCY_CONFLICT',
    `idempotency key ${JSON.stringify(idempotencyKey)} was used for another bulk enrollment: ${why}`)
  if (await services.users.byId(bulkUserId(idempotencyKey, items.length)) !== undefined) throw conflict('it had more items')
  const customers: BulkCustomer[] = []
  for (const [index, item] of items.entries()) {
    const userId = bulkUserId(idempotencyKey, index)
    const user = await services.users.byId(userId)
    const voucherIdHex = toHex(bulkVoucherId(idempotencyKey, index))
    const encoded = await services.vouchers.encoded(voucherIdHex)
    if (user === undefined || encoded === undefined) throw conflict(`it had ${index} items`)
    const voucher = voucherCodec.decode(encoded)
    const sameKey = unlessRefused(() => equalBytes(fromBase64(item.device.publicKey), voucher.devicePublicKey))
    const sameAmount = unlessRefused(() => voucher.currency === currency
      && voucher.limitMinor === parseAmount(item.voucherAmount, currency, { allowZero: false }))
    if (user.email !== normalizeEmail(item.email) || sameKey !== true || sameAmount !== true) {
      throw conflict(`item ${index} was ${user.email ?? userId} with another device or voucher`)
    }
    customers.push({
      index, userId, email: user.email, walletAccountId: walletAccountId(userId, currency), deviceId: bulkDeviceId(idempotencyKey, index),
      voucher, encodedVoucher: encoded,
    })
  }
  return { replayed: true, customers }
}

/** What `check` says, or undefined when the item's text cannot be read (bad base64, a bad amount): it matches nothing then. */
function unlessRefused(check: () => boolean): boolean | undefined {
  try {
    return check()
  } catch (error) {
    if (isProtocolError(error)) return undefined
    throw error
  }
}
