// A gateway that missed revocation deltas catches up: it asks the hub, on its own topic, for what
// came since the serial it holds (answered with the deltas, or the whole list), one question at a
// time. The question is answered once the gateway holds the serial the hub was heard at; while it
// is still behind an interval after asking, it asks again.

import type { Cancel, Clock } from '../../protocol/clock'
import { revocationCatchUpRequestCodec } from '../../protocol/messages/revocation-catch-up'
import type { TerminalStore } from '../store/store'
import type { HubRequests } from './requests'

/** The one key of a catch-up question: one is outstanding at a time. */
const CATCH_UP_KEY = 'revocations'

export interface RevocationCatchUpOptions {
  readonly store: TerminalStore
  readonly eui: string
  readonly clock: Clock
  readonly requests: HubRequests
  /** The gateway's `revocations/request` topic. */
  readonly topic: string
  /** How long a question waits for its answer before the gateway, still behind, asks again. */
  readonly interval_ms: number
  /** Whether questions may go out: the link is up and the sync not stopped. */
  readonly active: () => boolean
}

export class RevocationCatchUp {
  /** The highest revocation serial the hub was heard at (in memory: the retained delta says it again on every connect). */
  private serialHeard = 0
  private cancelNext: Cancel = () => undefined

  constructor(private readonly options: RevocationCatchUpOptions) {}

  /** A delta or a part of the list at `serial` came from the hub. */
  heard(serial: number): void {
    this.serialHeard = Math.max(this.serialHeard, serial)
  }

  /** Revocations were applied: a gateway now caught up has its answer. */
  applied(): void {
    if (!this.behind()) this.options.requests.answer('revocation-catch-up', CATCH_UP_KEY, true)
  }

  /** The link came up: a gateway still behind asks again once an interval has passed. */
  linkUp(): void {
    this.cancelNext()
    if (this.behind()) this.cancelNext = this.options.clock.setTimer(() => this.ask(), this.options.interval_ms, { background: true })
  }

  /** The link went down or the sync stopped: nothing more is asked until the link is up again. */
  stop(): void {
    this.cancelNext()
  }

  /** Asks for the revocations missed since the serial held, unless a question is out already. */
  ask(): void {
    const { store, eui, clock, requests, topic, interval_ms, active } = this.options
    if (!active() || requests.pending('revocation-catch-up')) return
    this.cancelNext()
    const askedAt_ms = clock.now_ms()
    const payload = revocationCatchUpRequestCodec.encode({ gatewayEui: eui, serial: store.revocations.state().serial })
    void requests.ask({ kind: 'revocation-catch-up', key: CATCH_UP_KEY, topic, payload, timeout_ms: interval_ms }).then(answer => {
      if (answer !== 'unreachable' || !this.behind() || !active()) return
      // Not caught up an interval after asking (or the broker did not take the question): ask again,
      // never sooner than an interval after the last question.
      const wait_ms = askedAt_ms + interval_ms - clock.now_ms()
      if (wait_ms <= 0) this.ask()
      else this.cancelNext = clock.setTimer(() => this.ask(), wait_ms, { background: true })
    })
  }

  private behind(): boolean {
    return this.serialHeard > this.options.store.revocations.state().serial
  }
}
