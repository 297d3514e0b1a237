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
import type { SqlEngine, SqlQuery, SqlRow } from '../store/sql'
import type { Device } from './device-store'
import { lockRevocationState } from './revocation-store'
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

interface VoucherViewRow extends SqlRow {
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

const INSERT_SQL = `INSERT INTO vouchers (voucher_id, device_id, user_id, wallet_account_id, device_public_key, currency,
    limit_minor, issued_at_ms, expires_at_ms, upload_deadline_at_ms, voucher)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
const COUNT_SQL = {
  openOfDevice: 'SELECT count(*) AS count FROM vouchers WHERE device_id = ? AND revoked_at_ms IS NULL AND expires_at_ms > ?',
  openOfCustomer: 'SELECT count(*) AS count FROM vouchers WHERE user_id = ? AND revoked_at_ms IS NULL AND expires_at_ms > ?',
  issuedSince: 'SELECT count(*) AS count FROM vouchers WHERE user_id = ? AND issued_at_ms > ?',
  revokedSince: 'SELECT count(*) AS count FROM vouchers WHERE user_id = ? AND revoked_at_ms > ?',
  // A voucher past its expiry + grace still counts until the expiry sweep has taken it off the list.
  revocable: `SELECT (SELECT count(*) FROM vouchers WHERE expires_at_ms > ?)
      + (SELECT count(*) FROM vouchers WHERE listed_serial IS NOT NULL AND unlisted_serial IS NULL AND expires_at_ms <= ?)
    AS count`,
} as const
// The devices table is this folder's too (device-store.ts): a voucher names the IMEI its phone had.
const VIEW_SQL = `SELECT v.voucher_id, v.device_id, d.imei, v.currency, v.limit_minor, v.issued_at_ms, v.expires_at_ms, v.revoked_at_ms
  FROM vouchers v JOIN devices d ON d.id = v.device_id`

export class VoucherService {
  constructor(
    private readonly engine: SqlEngine,
    private readonly ledger: LedgerStore,
    private readonly hubKeys: KeyPair,
    private readonly ed25519: Ed25519,
    private readonly clock: Clock,
    private readonly random: RandomBytes,
    private readonly log: FastifyBaseLogger,
    private readonly policy: VoucherPolicy = DEFAULT_VOUCHER_POLICY,
  ) {}

  /**
   * Signs a voucher for `device` and places its hold. Two writes, in this order, because the hold is the ledger's
   * own transaction (on PostgreSQL another connection's):
   * 1. the voucher row, in the transaction that counts it against the caps. That transaction first locks the
   *    revocation list's state row (revocation-store.ts), so issuances from every hub pass the caps one at a time,
   *    and requests at once cannot pass them together;
   * 2. the hold, keyed by the voucher id (the ledger places it once, whoever asks again).
   * A crash between the two leaves a voucher row nobody received and no hold (views show it with nothing spent,
   * the release sweep never sees it, it counts against the caps until it expires), never a hold nobody can release.
   * A refusal of the hold deletes the row again. A refusal (policy.ts) is a typed HttpError and changes nothing.
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
    const issued: NewVoucher = {
      voucher, encoded, voucherIdHex, walletAccountId: wallet, uploadDeadlineAtMs: uploadDeadlineAt_ms, deviceId: device.id, userId: device.userId,
    }
    const refusal = await this.engine.write(async (sql) => {
      await lockRevocationState(sql)
      const refused = judgeIssuance(limit_minor, await this.counts(sql, device, issuedAt_ms), this.policy)
      if (refused === undefined) await insertVoucher(sql, issued)
      return refused
    })
    if (refusal?.code === 'ISSUANCE_SUSPENDED') {
      this.log.warn({ revocableMax: this.policy.revocableMax, userId: device.userId },
        'voucher refused: the vouchers the revocation list may have to hold are at their bound')
    }
    if (refusal !== undefined) throw refusal
    const outcome = await this.ledger.placeHold({
      voucherId: voucherIdHex, walletAccountId: wallet, limitMinor: limit_minor, expiresAtMs: expiresAt_ms, uploadDeadlineAtMs: uploadDeadlineAt_ms,
    })
    if (outcome.status === 'refused' || outcome.status === 'conflict') {
      await this.engine.run('DELETE FROM vouchers WHERE voucher_id = ?', [voucherIdHex])
      throw outcome.error
    }
    return { voucher, encoded, voucherIdHex, walletAccountId: wallet, uploadDeadlineAtMs: uploadDeadlineAt_ms }
  }

  /**
   * Signs a voucher of `limit_minor` for the key of a device that a bulk enrollment binds to a new customer, under
   * `voucherId` (the caller derives it from the request, so a retry names the same voucher). Nothing is stored:
   * `judgeNew` and `storeNewIn` do that in the enrollment's transaction, after the ledger has placed the hold.
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

  /** Stores vouchers from signNew inside the caller's write (a bulk enrollment's, where the ledger placed their holds). */
  async storeNewIn(sql: SqlQuery, vouchers: readonly NewVoucher[]): Promise<void> {
    for (const issued of vouchers) await insertVoucher(sql, issued)
  }

  /** Revocable vouchers of every customer now (policy.ts): what a bulk enrollment counts its own against. */
  async revocableCount(): Promise<number> {
    return this.revocableIn(this.engine, this.clock.now_ms())
  }

  /**
   * The refusal of a voucher of `limit_minor` for a new customer's new device, as issue() judges it, when `revocable`
   * vouchers would be revocable before it (revocableCount() and the enrollment's own); undefined when it may be issued.
   */
  judgeNew(limit_minor: number, revocable: number): HttpError | undefined {
    return judgeIssuance(limit_minor, { openOfDevice: 0, openOfCustomer: 0, issuedInWindow: 0, revokedInWindow: 0, revocable }, this.policy)
  }

  /** The encoded voucher stored under this id, as it was issued. */
  async encoded(voucherIdHex: string): Promise<Uint8Array | undefined> {
    const row = await this.engine.get<{ voucher: Buffer }>('SELECT voucher FROM vouchers WHERE voucher_id = ?', [voucherIdHex])
    return row === undefined ? undefined : new Uint8Array(row.voucher)
  }

  private async counts(sql: SqlQuery, device: Device, now_ms: number): Promise<IssuanceCounts> {
    const windowStart_ms = now_ms - this.policy.window_ms
    const count = async (text: string, key: string, since_ms: number) => (await sql.get<{ count: number }>(text, [key, since_ms]))!.count
    return {
      openOfDevice: await count(COUNT_SQL.openOfDevice, device.id, now_ms),
      openOfCustomer: await count(COUNT_SQL.openOfCustomer, device.userId, now_ms),
      issuedInWindow: await count(COUNT_SQL.issuedSince, device.userId, windowStart_ms),
      revokedInWindow: await count(COUNT_SQL.revokedSince, device.userId, windowStart_ms),
      revocable: await this.revocableIn(sql, now_ms),
    }
  }

  private async revocableIn(sql: SqlQuery, now_ms: number): Promise<number> {
    const listedUntil_ms = now_ms - this.policy.listedAfterExpiry_ms
    return (await sql.get<{ count: number }>(COUNT_SQL.revocable, [listedUntil_ms, listedUntil_ms]))!.count
  }

  /** Vouchers of a device that gateways may still accept (to revoke when it is unbound). */
  async openVouchers(deviceId: string): Promise<string[]> {
    const rows = await this.engine.all<{ voucher_id: string }>(
      'SELECT voucher_id FROM vouchers WHERE device_id = ? AND revoked_at_ms IS NULL AND expires_at_ms > ?', [deviceId, this.clock.now_ms()])
    return rows.map(row => row.voucher_id)
  }

  /** The customer's vouchers, newest first, at most VOUCHERS_LISTED_MAX, on every device they ever bound. */
  async ofCustomer(userId: string): Promise<VoucherView[]> {
    const rows = await this.engine.all<VoucherViewRow>(
      `${VIEW_SQL} WHERE v.user_id = ? ORDER BY v.issued_at_ms DESC, v.voucher_id DESC LIMIT ?`, [userId, VOUCHERS_LISTED_MAX])
    return Promise.all(rows.map(row => this.view(row)))
  }

  /** One voucher of the customer's; undefined when there is none of that id, or it is someone else's. */
  async oneOfCustomer(voucherIdHex: string, userId: string): Promise<VoucherView | undefined> {
    const row = await this.engine.get<VoucherViewRow>(`${VIEW_SQL} WHERE v.voucher_id = ? AND v.user_id = ?`, [voucherIdHex, userId])
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

  /**
   * Releases the holds whose upload deadline has passed; returns how many were released. The ledger releases a hold
   * once (idempotent by voucher id), so two hubs sweeping at once release each once.
   */
  async releaseDue(): Promise<number> {
    const due = await this.engine.all<{ voucher_id: string }>(
      `SELECT v.voucher_id FROM vouchers v JOIN voucher_holds h ON h.voucher_id = v.voucher_id
       WHERE v.upload_deadline_at_ms < ? AND h.status <> 'released' ORDER BY v.upload_deadline_at_ms, v.voucher_id LIMIT ?`,
      [this.clock.now_ms(), RELEASES_PER_SWEEP_MAX])
    for (const { voucher_id } of due) {
      const outcome = await this.ledger.releaseHold(voucher_id)
      assert(outcome.status === 'applied' || outcome.status === 'exists', `release of ${voucher_id} refused`)
    }
    return due.length
  }
}

async function insertVoucher(sql: SqlQuery, issued: NewVoucher): Promise<void> {
  const { voucher } = issued
  await sql.run(INSERT_SQL, [issued.voucherIdHex, issued.deviceId, issued.userId, issued.walletAccountId, Buffer.from(voucher.devicePublicKey),
    voucher.currency, voucher.limitMinor, voucher.issuedAtMs, voucher.expiresAtMs, issued.uploadDeadlineAtMs, Buffer.from(issued.encoded)])
}
