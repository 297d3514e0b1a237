// Revoking vouchers and telling every gateway (DESIGN "Revocations stay complete"): each change is a
// hub-signed RevocationDelta with the next serial, stored with the listing it describes and published
// QoS 1 on payall/v1/revocations (the latest one retained, so a gateway that connects learns the
// serial to be at), and told to listeners (the LoRa path). A revoked voucher stays listed until it
// has expired and the grace has passed; then an expiry sweep takes it off, in a delta too. Nothing
// is ever dropped to make room: the list is bounded by what the hub issues (policy.ts).

import type { FastifyBaseLogger } from 'fastify'
import { fromHex } from '../../protocol/bytes'
import type { Clock } from '../../protocol/clock'
import {
  REVOCATION_DELTA_IDS_MAX, revocationDeltaBodies, revocationDeltaCodec, type RevocationDelta, type RevocationDeltaBody,
} from '../../protocol/messages/revocation-delta'
import { REVOKED_VOUCHERS_MAX, revocationListBodies, revocationListCodec, type RevocationList } from '../../protocol/messages/revocation-list'
import { QueueFullError, SerialQueue } from '../../protocol/serial-queue'
import type { Ed25519, KeyPair } from '../../protocol/signature/ed25519'
import { REVOCATIONS_TOPIC } from '../../protocol/topics'
import type { MessageBus } from '../bus'
import type { LedgerStore } from '../ledger/store'
import type { SqlEngine, SqlQuery } from '../store/sql'
import { lockRevocationState, RevocationStore } from './revocation-store'

/** Deltas kept for catch-ups: a gateway further behind gets the whole list. */
export const REVOCATION_DELTAS_KEPT = 256
/** Deltas deleted per sweep, so a sweep is one short write. */
export const REVOCATION_DELTAS_PRUNED_PER_SWEEP_MAX = 256
/** Deltas one expiry sweep issues (each takes off up to REVOCATION_DELTA_IDS_MAX); the rest wait for the next sweep. */
const EXPIRY_DELTAS_PER_SWEEP_MAX = 8
/**
 * A sweep takes vouchers off only once the first of them has been due this long, so expiries
 * make at most about one delta an hour for every gateway to hear, not one a minute.
 */
export const EXPIRY_BATCH_WAIT_MS = 60 * 60 * 1000
/**
 * Deliveries (the deltas of one revoke, expiry or publishLatest) queued or going out at once: they
 * pile up only while the broker takes no publish. Past it the deltas, stored already, are not
 * published now, as when a publish fails: gateways get them by catch-up.
 */
const REVOCATION_DELIVERIES_MAX = 1_024

/** Told of each delta once it is stored, in serial order. */
export type DeltaListener = (delta: RevocationDelta) => Promise<void>

export class Revocations {
  readonly store: RevocationStore
  private readonly listeners = new Set<DeltaListener>()
  /** Deltas go out one after the other, in serial order, whoever issued them. */
  private readonly deliveries = new SerialQueue(REVOCATION_DELIVERIES_MAX, 'the revocation deliveries')
  /** Settles once the last delivery queued has gone out (or failed, logged). */
  private lastDelivery: Promise<void> = Promise.resolve()
  /** The whole list of one serial, signed: built once per serial for all the gateways that catch up. */
  private cachedList: { serial: number; parts: RevocationList[] } | undefined

  constructor(
    engine: SqlEngine,
    private readonly ledger: LedgerStore,
    private readonly bus: MessageBus,
    private readonly hubKeys: KeyPair,
    private readonly ed25519: Ed25519,
    /** Revocations read the time; they set no timers. */
    private readonly clock: Pick<Clock, 'now_ms'>,
    /** How long after its expiry a revoked voucher stays listed (records may still arrive). */
    private readonly listedAfterExpiry_ms: number,
    private readonly log: FastifyBaseLogger,
  ) {
    this.store = new RevocationStore(engine)
  }

  /** Returns the unsubscribe. A listener's failure is logged; the delta stays issued. */
  onDelta(listener: DeltaListener): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  /** The serial of the list as it stands (0: nothing was ever revoked). */
  serial(): Promise<number> {
    return this.store.serial()
  }

  /**
   * Revokes each voucher once (its hold still pays what was taken before) and lists the ones not
   * expired past the grace, in as many deltas as they need, which go out before this resolves.
   * Never refused for the list's size: issuance is what bounds it. Returns the serial after.
   * The vouchers and the deltas are one write; the holds are the ledger's, marked after it (revokeHold is
   * idempotent, so a crash between leaves a revoked voucher whose hold the next revocation or the release ends).
   */
  async revoke(voucherIdsHex: readonly string[], reason: string): Promise<number> {
    const now_ms = this.clock.now_ms()
    const { store } = this
    const { deltas, serial } = await store.engine.write(async (sql) => {
      const follows = await lockRevocationState(sql)
      const added: string[] = []
      for (const id of voucherIdsHex) {
        if (await store.revokeIn(sql, id, reason, now_ms) && await store.listableIn(sql, id, now_ms - this.listedAfterExpiry_ms)) added.push(id)
      }
      // The expired ones due now ride along, up to one delta's worth; the sweep takes the rest.
      const removed = await store.expiredIn(sql, now_ms - this.listedAfterExpiry_ms, REVOCATION_DELTA_IDS_MAX)
      const issued = await this.issueIn(sql, revocationDeltaBodies(follows, now_ms, added.map(hexId), removed.map(hexId)))
      return { deltas: issued, serial: issued.at(-1)?.serial ?? follows }
    })
    const delivered = this.deliver(deltas)
    try {
      for (const voucherIdHex of voucherIdsHex) {
        const outcome = await this.ledger.revokeHold(voucherIdHex)
        if (outcome.status === 'conflict' || (outcome.status === 'refused' && outcome.error.code !== 'HOLD_NOT_FOUND')) {
          throw outcome.error
        }
      }
    } finally {
      await delivered
    }
    return serial
  }

  /**
   * Takes off the list the vouchers expired past the grace, once the first of them has waited
   * EXPIRY_BATCH_WAIT_MS, at most EXPIRY_DELTAS_PER_SWEEP_MAX deltas' worth (the rest at the next
   * sweep); returns how many went. Two hubs sweeping at once take each voucher off once: the second
   * waits for the first's state row and finds them gone.
   */
  async expire(): Promise<number> {
    const now_ms = this.clock.now_ms()
    const dueBefore_ms = now_ms - this.listedAfterExpiry_ms
    const { store } = this
    const deltas = await store.engine.write(async (sql) => {
      const follows = await lockRevocationState(sql)
      if ((await store.expiredIn(sql, dueBefore_ms - EXPIRY_BATCH_WAIT_MS, 1)).length === 0) return []
      const removed = await store.expiredIn(sql, dueBefore_ms, REVOCATION_DELTA_IDS_MAX * EXPIRY_DELTAS_PER_SWEEP_MAX)
      return this.issueIn(sql, revocationDeltaBodies(follows, now_ms, [], removed.map(hexId)))
    })
    await this.deliver(deltas)
    return deltas.reduce((sum, delta) => sum + delta.removed.length, 0)
  }

  /** Deletes deltas no catch-up will use (all but the last REVOCATION_DELTAS_KEPT), bounded per call. */
  async prune(): Promise<number> {
    return this.store.pruneDeltas(await this.serial() - REVOCATION_DELTAS_KEPT, REVOCATION_DELTAS_PRUNED_PER_SWEEP_MAX)
  }

  /**
   * Publishes the latest delta, retained, when the MQTT side (re)connects: a gateway that connects
   * compares its serial with it. A hub that has a serial but no delta for it (its lists were
   * stored whole before) issues an empty one first, so gateways at the old serial catch up.
   */
  async publishLatest(): Promise<void> {
    const serial = await this.serial()
    if (serial === 0) return
    const latest = await this.store.delta(serial)
    if (latest !== undefined) {
      await this.bus.publish(REVOCATIONS_TOPIC, revocationDeltaCodec.encode(latest), { retain: true })
      return
    }
    const { store } = this
    const deltas = await store.engine.write(async (sql) => {
      const follows = await lockRevocationState(sql)
      // Another hub moved the list on meanwhile: its delta is the latest, and it publishes it.
      if (follows !== serial) return []
      const body: RevocationDeltaBody = { serial: follows + 1, follows, issuedAtMs: this.clock.now_ms(), added: [], removed: [] }
      return this.issueIn(sql, [body])
    })
    await this.deliver(deltas)
  }

  /**
   * The whole list at the current serial, in signed parts: every listed voucher. Throws (an
   * invariant failure, logged by the caller) rather than leave one out if there were ever more than
   * a list holds, which the issuance bound prevents.
   */
  async fullList(): Promise<RevocationList[]> {
    // The serial says whether the cached list still holds; the list itself is read only when it does not, with its
    // serial in one snapshot.
    const cached = this.cachedList
    if (cached !== undefined && cached.serial === await this.serial()) return cached.parts
    const { store } = this
    const { serial, ids } = await store.engine.read(async (sql) => ({
      serial: await store.serial(sql), ids: await store.listed(REVOKED_VOUCHERS_MAX + 1, sql),
    }))
    const parts = revocationListBodies(serial, this.clock.now_ms(), ids)
      .map(body => revocationListCodec.sign(body, this.hubKeys.secretKey, this.ed25519))
    this.cachedList = { serial, parts }
    return parts
  }

  /** Signs and stores the deltas, in serial order, in the caller's write (which locked the state row). */
  private async issueIn(sql: SqlQuery, bodies: readonly RevocationDeltaBody[]): Promise<RevocationDelta[]> {
    const deltas: RevocationDelta[] = []
    for (const body of bodies) {
      const delta = revocationDeltaCodec.sign(body, this.hubKeys.secretKey, this.ed25519)
      await this.store.storeDeltaIn(sql, delta)
      deltas.push(delta)
    }
    return deltas
  }

  /**
   * Publishes (retained: the last one stays) and tells listeners, in serial order after what is
   * already going out; settles once they went out. Past REVOCATION_DELIVERIES_MAX they do not go
   * out now (logged), and this settles once what is already going out went, as it does for no deltas.
   */
  private deliver(deltas: readonly RevocationDelta[]): Promise<void> {
    if (deltas.length === 0) return this.lastDelivery
    const before = this.lastDelivery
    this.lastDelivery = this.deliveries.run(() => this.publishAndTell(deltas)).catch(error => {
      if (!(error instanceof QueueFullError)) throw error
      this.log.warn({ err: error, serials: deltas.map(delta => delta.serial) },
        'revocation deltas stored, not published now: too many deliveries wait for MQTT; gateways get them by catch-up')
      return before
    })
    return this.lastDelivery
  }

  private async publishAndTell(deltas: readonly RevocationDelta[]): Promise<void> {
    for (const delta of deltas) {
      try {
        await this.bus.publish(REVOCATIONS_TOPIC, revocationDeltaCodec.encode(delta), { retain: true })
      } catch (error) {
        this.log.warn({ err: error, serial: delta.serial }, 'revocation delta stored; gateways get it by catch-up once MQTT is back')
      }
      for (const listener of this.listeners) await listener(delta).catch(error => this.logListenerFailure(error, delta.serial))
    }
  }

  private logListenerFailure(error: unknown, serial: number): void {
    this.log.warn({ err: error, serial }, 'a revocation delta listener failed')
  }
}

function hexId(voucherIdHex: string): Uint8Array {
  return fromHex(voucherIdHex, 16)
}
