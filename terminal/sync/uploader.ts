// The records going up: each round sends the records unacked when it starts, in batches closed by
// a chain head the gateway signs over the batch's last record, at most `batchesInFlightMax` of them
// waiting for their ack at once, and resolves with what the acks changed. Rounds run one at a time.

import type { Cancel, Clock } from '../../protocol/clock'
import { codedText, errorText } from '../../protocol/errors'
import { chainHeadCodec } from '../../protocol/messages/chain-head'
import { recordBatchCodec } from '../../protocol/messages/record-batch'
import { transferRecordCodec } from '../../protocol/messages/transfer-record'
import { SerialQueue } from '../../protocol/serial-queue'
import type { Ed25519 } from '../../protocol/signature/ed25519'
import { TerminalError, type TerminalErrorCode } from '../errors'
import type { TerminalEmitter } from '../events'
import type { AckApplied, StoredRecord, TerminalStore } from '../store/store'

export interface SyncReport {
  readonly batches: number
  readonly recordsSent: number
  readonly settled: number
  readonly duplicate: number
  readonly rejected: number
  readonly flagged: number
  /** Unacked records left after the round. */
  readonly pendingLeft: number
  readonly error: { readonly code: TerminalErrorCode; readonly message: string } | null
}

type RoundTotals = { -readonly [Key in 'batches' | 'recordsSent' | 'settled' | 'duplicate' | 'rejected' | 'flagged']: number }

export interface UploaderOptions {
  readonly store: TerminalStore
  readonly eui: string
  readonly events: TerminalEmitter
  readonly clock: Clock
  readonly ed25519: Ed25519
  readonly recordsTopic: string
  readonly ackTimeoutMs: number
  readonly batchesInFlightMax: number
  readonly batchRecordsMax: number
  readonly retryAfterErrorMs: number
  /** Start a round on kick(), and again `retryAfterErrorMs` after a round that failed. */
  readonly autoSync: boolean
  readonly linkUp: () => boolean
  readonly stopped: () => boolean
  readonly publish: (topic: string, payload: Uint8Array, done: (failed: boolean) => void) => void
}

interface AckWaiter {
  resolve(applied: AckApplied): void
  reject(error: TerminalError): void
}

export class Uploader {
  /**
   * The round running and the one waiting to start: a call while one waits joins it, so the queue
   * never holds more than two and QUEUE_FULL cannot happen.
   */
  private readonly rounds = new SerialQueue(2, 'the sync rounds')
  private queuedRound: Promise<SyncReport> | undefined
  /** The round queued last: every round before it has ended once it has. */
  private lastRound: Promise<unknown> = Promise.resolve()
  private readonly ackWaiters = new Map<number, AckWaiter>()
  private cancelRetry: Cancel = () => undefined

  constructor(private readonly options: UploaderOptions) {}

  /** Starts a round soon, without waiting for it (after a payment, on reconnect). */
  kick(): void {
    if (!this.options.autoSync || this.options.stopped() || !this.options.linkUp()) return
    // A round reports its own failure (a sync-error event, and a retry when it is due).
    this.syncNow().catch(() => undefined)
  }

  /**
   * Uploads every record unacked when the round starts and waits for the acks. Rounds run one at a
   * time; a call while one waits to start joins that one.
   */
  syncNow(): Promise<SyncReport> {
    if (this.queuedRound !== undefined) return this.queuedRound
    const round = this.rounds.run(() => {
      this.queuedRound = undefined
      return this.runRound()
    })
    this.queuedRound = round
    this.lastRound = round.catch(() => undefined)
    return round
  }

  /** An ack was applied: the batch that waits for it is done. */
  acked(headSeq: number, applied: AckApplied): void {
    const waiter = this.ackWaiters.get(headSeq)
    if (waiter === undefined) return
    this.ackWaiters.delete(headSeq)
    waiter.resolve(applied)
  }

  /** Every batch waiting for its ack fails with `code`: the round in progress ends with that error. */
  failWaiters(code: TerminalErrorCode, message: string): void {
    for (const waiter of [...this.ackWaiters.values()]) waiter.reject(new TerminalError(code, message))
    this.ackWaiters.clear()
  }

  /** No retry is pending after this. */
  stop(): void {
    this.cancelRetry()
  }

  /** Resolves once every round queued so far has ended. */
  async idle(): Promise<void> {
    await this.lastRound
  }

  /**
   * Every round that fails, whatever failed, is reported as a sync-error and tried again when
   * autoSync is on; a store that cannot even note the round makes syncNow() reject too.
   */
  private async runRound(): Promise<SyncReport> {
    const totals: RoundTotals = { batches: 0, recordsSent: 0, settled: 0, duplicate: 0, rejected: 0, flagged: 0 }
    let error: SyncReport['error'] = null
    try {
      await this.upload(totals)
    } catch (caught) {
      error = roundError(caught)
    }
    try {
      const { store, clock } = this.options
      store.noteSync(clock.now_ms(), error === null ? null : codedText(error.code, error.message))
      const pendingLeft = store.pendingTotals().reduce((sum, line) => sum + line.count, 0)
      return { ...totals, pendingLeft, error }
    } catch (caught) {
      error ??= roundError(caught)
      throw caught
    } finally {
      if (error !== null) this.roundFailed(error)
    }
  }

  /** The batches of the round still in flight are given up, the error reported and a retry set. */
  private roundFailed(error: NonNullable<SyncReport['error']>): void {
    const { events, clock } = this.options
    this.failWaiters(error.code, error.message)
    events.emit('sync-error', error)
    if (this.options.linkUp() && !this.options.stopped() && this.options.autoSync) {
      this.cancelRetry()
      this.cancelRetry = clock.setTimer(() => this.kick(), this.options.retryAfterErrorMs, { background: true })
    }
  }

  /** Publishes batches, at most batchesInFlightMax unacked at once, and applies their acks. */
  private async upload(totals: RoundTotals): Promise<void> {
    if (!this.options.linkUp()) throw new TerminalError('LINK_DOWN', 'the link to the hub is down')
    const { store, batchesInFlightMax, batchRecordsMax } = this.options
    // Bounded: what is unacked when the round starts; records added meanwhile go in the next round.
    const lastSeq = store.chainHead().gatewaySeq
    const first = store.firstPendingSeq()
    if (first === undefined) return
    let afterSeq = first - 1
    const inFlight: Array<Promise<AckApplied>> = []
    for (;;) {
      while (inFlight.length < batchesInFlightMax && afterSeq < lastSeq) {
        const run = store.pendingRun(afterSeq, Math.min(batchRecordsMax, lastSeq - afterSeq)).filter(r => r.gatewaySeq <= lastSeq)
        if (run.length === 0) {
          afterSeq = lastSeq
          break
        }
        inFlight.push(this.publishBatch(run))
        totals.batches++
        totals.recordsSent += run.length
        afterSeq = run[run.length - 1]!.gatewaySeq
      }
      const oldest = inFlight.shift()
      if (oldest === undefined) return
      const applied = await oldest
      totals.settled += applied.settled
      totals.duplicate += applied.duplicate
      totals.rejected += applied.rejected
      totals.flagged += applied.flagged
    }
  }

  /** Resolves with what the batch's ack changed; rejects when no ack comes in time or the link drops. */
  private publishBatch(run: readonly StoredRecord[]): Promise<AckApplied> {
    const { store, eui, events, clock, ed25519, ackTimeoutMs } = this.options
    const last = run[run.length - 1]!
    const head = chainHeadCodec.sign(
      { gatewayEui: eui, gatewaySeq: last.gatewaySeq, headHash: last.recordHash, timeMs: clock.now_ms() },
      store.keys.secretKey, ed25519,
    )
    const batch = recordBatchCodec.encode({ gatewayEui: eui, records: run.map(record => transferRecordCodec.decode(record.record)), head })
    let waiter!: AckWaiter
    const acked = new Promise<AckApplied>((resolve, reject) => {
      const cancel = clock.setTimer(() => {
        this.dropWaiter(last.gatewaySeq, waiter)
        reject(new TerminalError('ACK_TIMEOUT', `no ack for records ${run[0]!.gatewaySeq}..${last.gatewaySeq} within ${ackTimeoutMs} ms`))
      }, ackTimeoutMs)
      waiter = {
        resolve: applied => { cancel(); resolve(applied) },
        reject: error => { cancel(); reject(error) },
      }
      this.ackWaiters.set(last.gatewaySeq, waiter)
    })
    // Rejections surface where the round awaits this batch; until then they must not go unhandled.
    acked.catch(() => undefined)
    this.options.publish(this.options.recordsTopic, batch, failed => {
      if (!failed) {
        events.emit('records-forwarded', { fromSeq: run[0]!.gatewaySeq, toSeq: last.gatewaySeq, count: run.length })
        return
      }
      // No ack can come for a batch the broker never took: the round ends now, not at the ack timeout.
      this.dropWaiter(last.gatewaySeq, waiter)
      waiter.reject(new TerminalError('PUBLISH_FAILED', `records ${run[0]!.gatewaySeq}..${last.gatewaySeq} were not handed to the broker`))
    })
    return acked
  }

  /** Forgets the batch's waiter, unless a later round already waits on the same head. */
  private dropWaiter(headSeq: number, waiter: AckWaiter): void {
    if (this.ackWaiters.get(headSeq) === waiter) this.ackWaiters.delete(headSeq)
  }
}

/** What ended a round, with a code: a TerminalError's own, SYNC_FAILED for anything else (a SQLite error, for one). */
function roundError(caught: unknown): NonNullable<SyncReport['error']> {
  if (caught instanceof TerminalError) return { code: caught.code, message: caught.message }
  return { code: 'SYNC_FAILED', message: errorText(caught) }
}
