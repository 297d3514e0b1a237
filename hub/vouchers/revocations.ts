// Revoking vouchers and publishing the signed revocation list every gateway holds (retained on
// payall/v1/revocations, and by its listeners as LoRa downlinks: hub/lora). A revoked voucher stays
// on the list until it has expired and the grace for late records has passed.

import type { FastifyBaseLogger } from 'fastify'
import { fromHex } from '../../protocol/bytes'
import { canonicalVoucherIds, revocationListCodec, REVOCATIONS_MAX, type RevocationList } from '../../protocol/messages/revocation-list'
import type { Ed25519, KeyPair } from '../../protocol/signature/ed25519'
import { REVOCATIONS_TOPIC } from '../../protocol/topics'
import type { MessageBus } from '../bus'
import type { Clock } from '../context'
import type { LedgerStore } from '../ledger/store'
import type { SqliteDatabase } from '../store/database'

/** Told of each list once it is stored, with the one it replaces (the LoRa path sends what was added). */
export type RevocationListener = (list: RevocationList, previous: RevocationList | undefined) => Promise<void>

export class Revocations {
  private readonly statements
  private readonly listeners = new Set<RevocationListener>()

  constructor(
    db: SqliteDatabase,
    private readonly ledger: LedgerStore,
    private readonly bus: MessageBus,
    private readonly hubKeys: KeyPair,
    private readonly ed25519: Ed25519,
    private readonly clock: Clock,
    /** How long after its expiry a revoked voucher stays listed (records may still arrive). */
    private readonly listedAfterExpiry_ms: number,
    private readonly log: FastifyBaseLogger,
  ) {
    this.statements = {
      revoke: db.prepare<[number, string, string]>(
        'UPDATE vouchers SET revoked_at_ms = ?, revoked_reason = ? WHERE voucher_id = ? AND revoked_at_ms IS NULL'),
      listed: db.prepare<[number, number], { voucher_id: string }>(
        `SELECT voucher_id FROM vouchers WHERE revoked_at_ms IS NOT NULL AND expires_at_ms > ?
         ORDER BY expires_at_ms DESC LIMIT ?`),
      latest: db.prepare<[], { serial: number; list: Buffer }>(
        'SELECT serial, list FROM revocation_lists ORDER BY serial DESC LIMIT 1'),
      insert: db.prepare<[number, Buffer, number]>(
        'INSERT INTO revocation_lists (serial, list, issued_at_ms) VALUES (?, ?, ?)'),
    }
  }

  /** Returns the unsubscribe. A listener's failure is logged; the list stays issued. */
  onIssued(listener: RevocationListener): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  latest(): RevocationList | undefined {
    const row = this.statements.latest.get()
    return row === undefined ? undefined : revocationListCodec.decode(new Uint8Array(row.list))
  }

  /**
   * Publishes the newest list, retained. The list is stored before it is published, so one that
   * could not be sent (no broker connection) goes out when the MQTT side (re)connects.
   */
  async publishLatest(): Promise<void> {
    const row = this.statements.latest.get()
    if (row === undefined) return
    await this.bus.publish(REVOCATIONS_TOPIC, new Uint8Array(row.list), { retain: true })
  }

  /** Revokes each voucher once (its hold still pays what was taken before), then publishes. */
  async revoke(voucherIdsHex: readonly string[], reason: string): Promise<RevocationList> {
    const nowMs = this.clock.nowMs()
    for (const voucherIdHex of voucherIdsHex) {
      this.statements.revoke.run(nowMs, reason, voucherIdHex)
      const outcome = await this.ledger.revokeHold(voucherIdHex)
      if (outcome.status === 'conflict' || (outcome.status === 'refused' && outcome.error.code !== 'HOLD_NOT_FOUND')) {
        throw outcome.error
      }
    }
    return this.issue()
  }

  /** Signs and stores a new list of every revoked voucher still worth refusing, and publishes it. */
  async issue(): Promise<RevocationList> {
    const nowMs = this.clock.nowMs()
    const ids = this.statements.listed
      .all(nowMs - this.listedAfterExpiry_ms, REVOCATIONS_MAX)
      .map(row => fromHex(row.voucher_id, 16))
    const previous = this.latest()
    const serial = (previous?.serial ?? 0) + 1
    const list = revocationListCodec.sign(
      { serial, issuedAtMs: nowMs, voucherIds: canonicalVoucherIds(ids) }, this.hubKeys.secretKey, this.ed25519,
    )
    const encoded = revocationListCodec.encode(list)
    this.statements.insert.run(serial, Buffer.from(encoded), nowMs)
    try {
      await this.publishLatest()
    } catch (error) {
      this.log.warn({ err: error, serial }, 'revocation list stored; it is published when MQTT reconnects')
    }
    for (const listener of this.listeners) {
      await listener(list, previous).catch(error => this.log.warn({ err: error, serial }, 'a revocation list listener failed'))
    }
    return list
  }
}
