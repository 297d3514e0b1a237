// Issuing offline allowances (DESIGN step 1): a hub-signed Voucher for a bound device, backed by
// a hold of its limit on the customer's wallet; and giving back what is left of each hold once
// its voucher's upload deadline has passed.

import { sha256, toHex } from '../../protocol/bytes'
import { assert } from '../../protocol/errors'
import { voucherCodec, type Voucher } from '../../protocol/messages/voucher'
import type { Ed25519, KeyPair } from '../../protocol/signature/ed25519'
import { walletAccountId } from '../accounts'
import type { Clock, RandomBytes } from '../context'
import { HttpError } from '../http/errors'
import type { LedgerStore } from '../ledger/store'
import type { SqliteDatabase } from '../store/database'
import type { Device } from './devices'

export interface VoucherPolicy {
  /** How long a phone may spend offline under one voucher. */
  validity_ms: number
  /** After expiry, how long gateways have to upload what was spent before the hold is released. */
  uploadGrace_ms: number
  /** The largest allowance, per currency exponent: a bound on what one lost phone can cost. */
  limitMax_minor: number
}

export const DEFAULT_VOUCHER_POLICY: VoucherPolicy = {
  validity_ms: 72 * 60 * 60 * 1000,
  uploadGrace_ms: 24 * 60 * 60 * 1000,
  limitMax_minor: 100_000_000,
}

/** Holds released per sweep: bounded so one sweep is one short transaction burst. */
export const RELEASES_PER_SWEEP_MAX = 500

export interface IssuedVoucher {
  voucher: Voucher
  encoded: Uint8Array
  voucherIdHex: string
  walletAccountId: string
  uploadDeadlineAtMs: number
}

export class VoucherService {
  private readonly statements

  constructor(
    db: SqliteDatabase,
    private readonly ledger: LedgerStore,
    private readonly hubKeys: KeyPair,
    private readonly ed25519: Ed25519,
    private readonly clock: Clock,
    private readonly random: RandomBytes,
    private readonly policy: VoucherPolicy = DEFAULT_VOUCHER_POLICY,
  ) {
    this.statements = {
      insert: db.prepare(
        `INSERT INTO vouchers (voucher_id, device_id, user_id, wallet_account_id, device_public_key, currency,
           limit_minor, issued_at_ms, expires_at_ms, upload_deadline_at_ms, voucher)
         VALUES (@voucherId, @deviceId, @userId, @walletAccountId, @devicePublicKey, @currency, @limitMinor,
           @issuedAtMs, @expiresAtMs, @uploadDeadlineAtMs, @voucher)`),
      remove: db.prepare<[string]>('DELETE FROM vouchers WHERE voucher_id = ?'),
      openForDevice: db.prepare<[string, number], { voucher_id: string }>(
        `SELECT voucher_id FROM vouchers WHERE device_id = ? AND revoked_at_ms IS NULL AND expires_at_ms > ?`),
      due: db.prepare<[number, number], { voucher_id: string }>(
        `SELECT v.voucher_id FROM vouchers v JOIN voucher_holds h ON h.voucher_id = v.voucher_id
         WHERE v.upload_deadline_at_ms < ? AND h.status <> 'released' ORDER BY v.upload_deadline_at_ms LIMIT ?`),
    }
  }

  /**
   * Signs a voucher for `device` after placing its hold. The voucher row is written first: a crash
   * between the two leaves a voucher nobody received and no hold, never a hold nobody can release.
   */
  async issue(device: Device, limitMinor: number, currency: string): Promise<IssuedVoucher> {
    if (device.status !== 'bound') throw new HttpError(409, 'DEVICE_NOT_BOUND', 'the device is not bound')
    if (limitMinor > this.policy.limitMax_minor) {
      throw new HttpError(400, 'BAD_REQUEST', `an offline allowance is at most ${this.policy.limitMax_minor} minor units`)
    }
    const wallet = walletAccountId(device.userId, currency)
    if ((await this.ledger.account(wallet)) === undefined) {
      throw new HttpError(409, 'NO_WALLET', `the customer has no ${currency} wallet`)
    }
    const issuedAtMs = this.clock.nowMs()
    const expiresAtMs = issuedAtMs + this.policy.validity_ms
    const uploadDeadlineAtMs = expiresAtMs + this.policy.uploadGrace_ms
    const voucherId = this.random(16)
    const voucherIdHex = toHex(voucherId)
    const voucher = voucherCodec.sign({
      voucherId,
      accountRef: sha256(new TextEncoder().encode(wallet)).slice(0, 16),
      devicePublicKey: device.publicKey,
      currency,
      limitMinor,
      issuedAtMs,
      expiresAtMs,
    }, this.hubKeys.secretKey, this.ed25519)
    const encoded = voucherCodec.encode(voucher)
    this.statements.insert.run({
      voucherId: voucherIdHex, deviceId: device.id, userId: device.userId, walletAccountId: wallet,
      devicePublicKey: Buffer.from(device.publicKey), currency, limitMinor, issuedAtMs, expiresAtMs,
      uploadDeadlineAtMs, voucher: Buffer.from(encoded),
    })
    const outcome = await this.ledger.placeHold({
      voucherId: voucherIdHex, walletAccountId: wallet, limitMinor, expiresAtMs, uploadDeadlineAtMs,
    })
    if (outcome.status === 'refused' || outcome.status === 'conflict') {
      this.statements.remove.run(voucherIdHex)
      throw outcome.error
    }
    return { voucher, encoded, voucherIdHex, walletAccountId: wallet, uploadDeadlineAtMs }
  }

  /** Vouchers of a device that gateways may still accept (to revoke when it is unbound). */
  openVouchers(deviceId: string): string[] {
    return this.statements.openForDevice.all(deviceId, this.clock.nowMs()).map(row => row.voucher_id)
  }

  /** Releases the holds whose upload deadline has passed; returns how many were released. */
  async releaseDue(): Promise<number> {
    const due = this.statements.due.all(this.clock.nowMs(), RELEASES_PER_SWEEP_MAX)
    for (const { voucher_id } of due) {
      const outcome = await this.ledger.releaseHold(voucher_id)
      assert(outcome.status === 'applied' || outcome.status === 'exists', `release of ${voucher_id} refused`)
    }
    return due.length
  }
}
