// Issuing offline allowances (DESIGN step 1): a hub-signed Voucher for a bound device, backed by
// a hold of its limit on the customer's wallet, within the caps of policy.ts; and giving back what
// is left of each hold once its voucher's upload deadline has passed.

import type { FastifyBaseLogger } from 'fastify'
import { sha256, toHex } from '../../protocol/bytes'
import { assert } from '../../protocol/errors'
import { voucherCodec, type Voucher } from '../../protocol/messages/voucher'
import type { Ed25519, KeyPair } from '../../protocol/signature/ed25519'
import { walletAccountId } from '../accounts'
import type { Clock, RandomBytes } from '../../protocol/clock'
import { HttpError } from '../http/errors'
import type { LedgerStore } from '../ledger/store'
import type { SqliteDatabase } from '../store/database'
import type { Device } from './device-store'
import { DEFAULT_VOUCHER_POLICY, judgeIssuance, type IssuanceCounts, type VoucherPolicy } from './policy'

/** Holds released per sweep: bounded so one sweep is one short transaction burst. */
const RELEASES_PER_SWEEP_MAX = 500
/** A customer's vouchers listed at once, newest first; older ones are not listed. */
export const VOUCHERS_LISTED_MAX = 100

export const VOUCHER_STATUSES = ['open', 'revoked', 'expired', 'used'] as const
/** open: gateways take it; revoked; expired; used: the hub has settled its whole limit. Checked in the order revoked, used, expired. */
export type VoucherStatus = (typeof VOUCHER_STATUSES)[number]

/** A voucher as its customer sees it, with what the hub has settled against it so far. */
export interface VoucherView {
  readonly id: string
  readonly deviceId: string
  readonly imei: string
  readonly currency: string
  readonly limitMinor: number
  /** Settled by the hub against the voucher, from its hold or beyond it; offline spends not yet synced are not in it. */
  readonly spentMinor: number
  readonly status: VoucherStatus
  readonly issuedAtMs: number
  readonly expiresAtMs: number
  readonly revokedAtMs: number | null
}

interface VoucherViewRow {
  voucher_id: string
  device_id: string
  imei: string
  currency: string
  limit_minor: number
  issued_at_ms: number
  expires_at_ms: number
  revoked_at_ms: number | null
}

/** The status a voucher shows, from what the hub knows at `now_ms`. */
function voucherStatus(voucher: Omit<VoucherView, 'status'>, now_ms: number): VoucherStatus {
  if (voucher.revokedAtMs !== null) return 'revoked'
  if (voucher.spentMinor >= voucher.limitMinor) return 'used'
  return voucher.expiresAtMs <= now_ms ? 'expired' : 'open'
}

export interface IssuedVoucher {
  voucher: Voucher
  encoded: Uint8Array
  voucherIdHex: string
  walletAccountId: string
  uploadDeadlineAtMs: number
}

/** A voucher signed for a bulk enrollment, with the rows it will be stored with. */
export interface NewVoucher extends IssuedVoucher {
  readonly deviceId: string
  readonly userId: string
}

export class VoucherService {
  private readonly statements

  constructor(
    private readonly db: SqliteDatabase,
    private readonly ledger: LedgerStore,
    private readonly hubKeys: KeyPair,
    private readonly ed25519: Ed25519,
    private readonly clock: Clock,
    private readonly random: RandomBytes,
    private readonly log: FastifyBaseLogger,
    private readonly policy: VoucherPolicy = DEFAULT_VOUCHER_POLICY,
  ) {
    const countOf = (sql: string) => db.prepare<[string, number], { count: number }>(`SELECT count(*) AS count FROM vouchers WHERE ${sql}`)
    this.statements = {
      insert: db.prepare(
        `INSERT INTO vouchers (voucher_id, device_id, user_id, wallet_account_id, device_public_key, currency,
           limit_minor, issued_at_ms, expires_at_ms, upload_deadline_at_ms, voucher)
         VALUES (@voucherId, @deviceId, @userId, @walletAccountId, @devicePublicKey, @currency, @limitMinor,
           @issuedAtMs, @expiresAtMs, @uploadDeadlineAtMs, @voucher)`),
      remove: db.prepare<[string]>('DELETE FROM vouchers WHERE voucher_id = ?'),
      encoded: db.prepare<[string], { voucher: Buffer }>('SELECT voucher FROM vouchers WHERE voucher_id = ?'),
      openForDevice: db.prepare<[string, number], { voucher_id: string }>(
        `SELECT voucher_id FROM vouchers WHERE device_id = ? AND revoked_at_ms IS NULL AND expires_at_ms > ?`),
      openCountOfDevice: countOf('device_id = ? AND revoked_at_ms IS NULL AND expires_at_ms > ?'),
      openCountOfCustomer: countOf('user_id = ? AND revoked_at_ms IS NULL AND expires_at_ms > ?'),
      issuedCountSince: countOf('user_id = ? AND issued_at_ms > ?'),
      revokedCountSince: countOf('user_id = ? AND revoked_at_ms > ?'),
      // A voucher past its expiry + grace still counts until the expiry sweep has taken it off the list.
      revocableCount: db.prepare<[number, number], { count: number }>(
        `SELECT (SELECT count(*) FROM vouchers WHERE expires_at_ms > ?)
              + (SELECT count(*) FROM vouchers WHERE listed_serial IS NOT NULL AND unlisted_serial IS NULL AND expires_at_ms <= ?)
           AS count`),
      // The devices table is this folder's too (device-store.ts): a voucher names the IMEI its phone had.
      ofCustomer: db.prepare<[string, number], VoucherViewRow>(
        `SELECT v.voucher_id, v.device_id, d.imei, v.currency, v.limit_minor, v.issued_at_ms, v.expires_at_ms, v.revoked_at_ms
         FROM vouchers v JOIN devices d ON d.id = v.device_id
         WHERE v.user_id = ? ORDER BY v.issued_at_ms DESC, v.voucher_id DESC LIMIT ?`),
      oneOfCustomer: db.prepare<[string, string], VoucherViewRow>(
        `SELECT v.voucher_id, v.device_id, d.imei, v.currency, v.limit_minor, v.issued_at_ms, v.expires_at_ms, v.revoked_at_ms
         FROM vouchers v JOIN devices d ON d.id = v.device_id WHERE v.voucher_id = ? AND v.user_id = ?`),
      due: db.prepare<[number, number], { voucher_id: string }>(
        `SELECT v.voucher_id FROM vouchers v JOIN voucher_holds h ON h.voucher_id = v.voucher_id
         WHERE v.upload_deadline_at_ms < ? AND h.status <> 'released' ORDER BY v.upload_deadline_at_ms LIMIT ?`),
    }
  }

  /**
   * Signs a voucher for `device` after placing its hold. The voucher row is written first, in the
   * transaction that counts it against the caps (so requests at once cannot pass them together):
   * a crash between the two leaves a voucher nobody received and no hold, never a hold nobody can
   * release. A refusal (policy.ts) is a typed HttpError and changes nothing.
   */
  async issue(device: Device, limit_minor: number, currency: string): Promise<IssuedVoucher> {
    if (device.status !== 'bound') throw new HttpError(409, 'DEVICE_NOT_BOUND', 'the device is not bound')
    const devicePublicKey = device.publicKey
    if (devicePublicKey === null) {
      throw new HttpError(409, 'DEVICE_HAS_NO_KEY',
        'this device came from the legacy system without a key: bind its Ed25519 key (POST /api/auth/device/binding) before asking for a voucher')
    }
    const wallet = walletAccountId(device.userId, currency)
    if ((await this.ledger.account(wallet)) === undefined) {
      throw new HttpError(409, 'NO_WALLET', `the customer has no ${currency} wallet`)
    }
    const issuedAt_ms = this.clock.now_ms()
    const expiresAt_ms = issuedAt_ms + this.policy.validity_ms
    const uploadDeadlineAt_ms = expiresAt_ms + this.policy.uploadGrace_ms
    const voucherId = this.random(16)
    const voucherIdHex = toHex(voucherId)
    const voucher = voucherCodec.sign({
      voucherId,
      accountRef: sha256(new TextEncoder().encode(wallet)).slice(0, 16),
      devicePublicKey,
      currency,
      limitMinor: limit_minor,
      issuedAtMs: issuedAt_ms,
      expiresAtMs: expiresAt_ms,
    }, this.hubKeys.secretKey, this.ed25519)
    const encoded = voucherCodec.encode(voucher)
    this.db.transaction(() => {
      const refusal = judgeIssuance(limit_minor, this.counts(device, issuedAt_ms), this.policy)
      if (refusal?.code === 'ISSUANCE_SUSPENDED') {
        this.log.warn({ revocableMax: this.policy.revocableMax, userId: device.userId },
          'voucher refused: the vouchers the revocation list may have to hold are at their bound')
      }
      if (refusal !== undefined) throw refusal
      this.statements.insert.run({
        voucherId: voucherIdHex, deviceId: device.id, userId: device.userId, walletAccountId: wallet,
        devicePublicKey: Buffer.from(devicePublicKey), currency, limitMinor: limit_minor, issuedAtMs: issuedAt_ms, expiresAtMs: expiresAt_ms,
        uploadDeadlineAtMs: uploadDeadlineAt_ms, voucher: Buffer.from(encoded),
      })
    }).immediate()
    const outcome = await this.ledger.placeHold({
      voucherId: voucherIdHex, walletAccountId: wallet, limitMinor: limit_minor, expiresAtMs: expiresAt_ms, uploadDeadlineAtMs: uploadDeadlineAt_ms,
    })
    if (outcome.status === 'refused' || outcome.status === 'conflict') {
      this.statements.remove.run(voucherIdHex)
      throw outcome.error
    }
    return { voucher, encoded, voucherIdHex, walletAccountId: wallet, uploadDeadlineAtMs: uploadDeadlineAt_ms }
  }

  /**
   * Signs a voucher of `limit_minor` for the key of a device that a bulk enrollment binds to a new customer, under
   * `voucherId` (the caller derives it from the request, so a retry names the same voucher). Nothing is stored:
   * `judgeNew` and `insertNew` do that in the enrollment's transaction, after the ledger has placed the hold.
   */
  signNew(device: Pick<Device, 'id' | 'userId'> & { readonly publicKey: Uint8Array }, voucherId: Uint8Array, limit_minor: number, currency: string): NewVoucher {
    const wallet = walletAccountId(device.userId, currency)
    const issuedAt_ms = this.clock.now_ms()
    const expiresAt_ms = issuedAt_ms + this.policy.validity_ms
    const voucher = voucherCodec.sign({
      voucherId,
      accountRef: sha256(new TextEncoder().encode(wallet)).slice(0, 16),
      devicePublicKey: device.publicKey,
      currency,
      limitMinor: limit_minor,
      issuedAtMs: issuedAt_ms,
      expiresAtMs: expiresAt_ms,
    }, this.hubKeys.secretKey, this.ed25519)
    return {
      voucher, encoded: voucherCodec.encode(voucher), voucherIdHex: toHex(voucherId), walletAccountId: wallet,
      uploadDeadlineAtMs: expiresAt_ms + this.policy.uploadGrace_ms, deviceId: device.id, userId: device.userId,
    }
  }

  /** Revocable vouchers of every customer now (policy.ts): what a bulk enrollment counts its own against. */
  revocableCount(): number {
    const listedUntil_ms = this.clock.now_ms() - this.policy.listedAfterExpiry_ms
    return this.statements.revocableCount.get(listedUntil_ms, listedUntil_ms)!.count
  }

  /**
   * The refusal of a voucher of `limit_minor` for a new customer's new device, as issue() judges it, when `revocable`
   * vouchers would be revocable before it (revocableCount() and the enrollment's own); undefined when it may be issued.
   */
  judgeNew(limit_minor: number, revocable: number): HttpError | undefined {
    return judgeIssuance(limit_minor, { openOfDevice: 0, openOfCustomer: 0, issuedInWindow: 0, revokedInWindow: 0, revocable }, this.policy)
  }

  /** Stores vouchers from signNew; call it inside the transaction that placed their holds (wallets must exist). */
  insertNew(vouchers: readonly NewVoucher[]): void {
    for (const issued of vouchers) {
      const { voucher } = issued
      this.statements.insert.run({
        voucherId: issued.voucherIdHex, deviceId: issued.deviceId, userId: issued.userId, walletAccountId: issued.walletAccountId,
        devicePublicKey: Buffer.from(voucher.devicePublicKey), currency: voucher.currency, limitMinor: voucher.limitMinor,
        issuedAtMs: voucher.issuedAtMs, expiresAtMs: voucher.expiresAtMs, uploadDeadlineAtMs: issued.uploadDeadlineAtMs,
        voucher: Buffer.from(issued.encoded),
      })
    }
  }

  /** The encoded voucher stored under this id, as it was issued. */
  encoded(voucherIdHex: string): Uint8Array | undefined {
    const row = this.statements.encoded.get(voucherIdHex)
    return row === undefined ? undefined : new Uint8Array(row.voucher)
  }

  private counts(device: Device, now_ms: number): IssuanceCounts {
    const s = this.statements
    const windowStart_ms = now_ms - this.policy.window_ms
    return {
      openOfDevice: s.openCountOfDevice.get(device.id, now_ms)!.count,
      openOfCustomer: s.openCountOfCustomer.get(device.userId, now_ms)!.count,
      issuedInWindow: s.issuedCountSince.get(device.userId, windowStart_ms)!.count,
      revokedInWindow: s.revokedCountSince.get(device.userId, windowStart_ms)!.count,
      revocable: s.revocableCount.get(now_ms - this.policy.listedAfterExpiry_ms, now_ms - this.policy.listedAfterExpiry_ms)!.count,
    }
  }

  /** Vouchers of a device that gateways may still accept (to revoke when it is unbound). */
  openVouchers(deviceId: string): string[] {
    return this.statements.openForDevice.all(deviceId, this.clock.now_ms()).map(row => row.voucher_id)
  }

  /** The customer's vouchers, newest first, at most VOUCHERS_LISTED_MAX, on every device they ever bound. */
  async ofCustomer(userId: string): Promise<VoucherView[]> {
    const rows = this.statements.ofCustomer.all(userId, VOUCHERS_LISTED_MAX)
    return Promise.all(rows.map(row => this.view(row)))
  }

  /** One voucher of the customer's; undefined when there is none of that id, or it is someone else's. */
  async oneOfCustomer(voucherIdHex: string, userId: string): Promise<VoucherView | undefined> {
    const row = this.statements.oneOfCustomer.get(voucherIdHex, userId)
    return row === undefined ? undefined : this.view(row)
  }

  private async view(row: VoucherViewRow): Promise<VoucherView> {
    const hold = await this.ledger.hold(row.voucher_id)
    // No hold: the hub crashed between writing the voucher and placing its hold; nobody received that voucher.
    const spent_minor = hold === undefined ? 0 : hold.settledMinor + hold.excessMinor
    const view = {
      id: row.voucher_id, deviceId: row.device_id, imei: row.imei, currency: row.currency, limitMinor: row.limit_minor,
      spentMinor: spent_minor, issuedAtMs: row.issued_at_ms, expiresAtMs: row.expires_at_ms, revokedAtMs: row.revoked_at_ms,
    }
    return { ...view, status: voucherStatus(view, this.clock.now_ms()) }
  }

  /** Releases the holds whose upload deadline has passed; returns how many were released. */
  async releaseDue(): Promise<number> {
    const due = this.statements.due.all(this.clock.now_ms(), RELEASES_PER_SWEEP_MAX)
    for (const { voucher_id } of due) {
      const outcome = await this.ledger.releaseHold(voucher_id)
      assert(outcome.status === 'applied' || outcome.status === 'exists', `release of ${voucher_id} refused`)
    }
    return due.length
  }
}
