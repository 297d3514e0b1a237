// Plays a fleet's planned payments one at a time and keeps the simulator's own account of what
// happened: what each counter approved, which double spends were approved at two counters, what
// was declined and why. Under faults it also boots again every gateway that lost its power (and
// learns from its store whether the payment under way was recorded), keeps partitioned links down,
// and lets attackers tap and customers revoke where the fault plan says.
//
// Every link change waits for what it implies (a cut link is known offline, a restored one has
// synced everything and holds the hub's latest revocations), so the hub decides each payment on
// the same state whatever the machine's speed.

import { toHex } from '../../protocol/bytes'
import type { Clock } from '../../protocol/clock'
import { codedText } from '../../protocol/errors'
import { transferIdOf } from '../../protocol/messages/authorization'
import { reasonName, Reason } from '../../protocol/reasons'
import type { ModeNote } from '../../terminal/receipt'
import type { StoredRecord } from '../../terminal/store/store'
import type { EnrolledCustomer, SimulatedCustomer } from '../hub-api'
import { ForgedTap, ReplayedTap, type Tapped } from './attacks'
import { FleetError } from './errors'
import type { FleetFaults, PaymentFaults } from './faults'
import type { Approval, DoubleSpend, InvariantFailure } from './invariants'
import type { PlannedPayment } from './plan'
import type { SeededRandom } from './seeded-random'
import type { SimulatedTerminal, Tapper } from './terminal'

/** How long a link may take to come back, a sync to finish, a revocation list to arrive. */
export const LINK_TIMEOUT_MS = 30_000
const REVOCATION_TIMEOUT_MS = 30_000
/** Sync rounds tried before a terminal that keeps failing to upload is reported; each fault may cost one. */
const SYNC_ROUNDS_MAX = 5
const SYNC_ROUNDS_MAX_UNDER_FAULTS = 25
/** Times one step is tried again after its gateway lost its power midway. */
const POWER_RETRIES_MAX = 10
/** Approved authorizations kept for an attacker to replay. */
const CAPTURED_MAX = 16

export interface TrackedCustomer {
  /** From 1, in the order of enrolment: how the fault log names them (the hub picks their voucher ids). */
  readonly number: number
  /** Signed in (`api`) when they signed up one by one; enrolled in bulk, they have no password yet. */
  readonly customer: EnrolledCustomer & Partial<Pick<SimulatedCustomer, 'api'>>
  /** The last payment the phone signed: its amount, and the transfer if a counter approved it. */
  last: { amountMinor: number; approvedTransferIdHex: string | undefined } | undefined
}

const POWER_LOST = Symbol('power lost')
const STORE_FULL = Symbol('store full')

/** A payment its gateway could not store (its disk full: SQLite's SQLITE_FULL) ends there, with the error on its display. */
function storeFull(error: unknown): typeof STORE_FULL {
  if ((error as { code?: unknown }).code === 'SQLITE_FULL') return STORE_FULL
  throw error
}

/** How a payment ended, as the simulator counts it: what the counter said, or what the store kept after a power cut. */
type Played =
  | { readonly kind: 'approved'; readonly record: StoredRecord; readonly modeNote: ModeNote | 'power-lost' }
  | { readonly kind: 'declined'; readonly reason: Reason }
  | { readonly kind: 'cancelled' }
  /** The gateway could not store what the payment needed (its disk full), and said so. */
  | { readonly kind: 'failed'; readonly code: 'SQLITE_FULL' }

export class FleetPlayer {
  readonly approvals: Approval[] = []
  readonly doubleSpends: DoubleSpend[] = []
  /** What the run saw go wrong as it played (an attack approved, a record a power cut should not have made). */
  readonly findings: InvariantFailure[] = []
  /** Transfers whose online request left a gateway that lost its power before it could record an answer. */
  readonly lostOnline = new Set<string>()
  readonly tally = {
    declined: 0, linkCuts: 0, clonesAttempted: 0,
    byMode: { online: 0, offline: 0 }, byNote: {} as Record<string, number>, byReason: {} as Record<string, number>,
    /** Payments cut by a power loss: recorded before the cut (approved, never shown), or not recorded. */
    powerCuts: { recorded: 0, notRecorded: 0 },
    attacks: { tried: 0, refused: 0 },
  }
  /** Vouchers the hub revoked, as far as the simulator knows: every online terminal must hold them before it takes a payment. */
  readonly revoked = new Map<string, Uint8Array>()
  /** Per terminal, the first record not yet looked at for flags. */
  private readonly scannedSeq = new Map<number, number>()
  /** Authorizations approved at a counter, and whose they were, for an attacker to replay. */
  private readonly captured: Array<{ readonly tapped: Tapped; readonly whose: string }> = []

  constructor(
    /** The fleet's live list: a terminal that boots again after a power cut takes its own place in it. */
    private readonly terminals: SimulatedTerminal[],
    private readonly clock: Clock,
    private readonly faults: FleetFaults | undefined,
    /** An attacker's keys and choices. */
    private readonly attacker: SeededRandom,
  ) {}

  async play(payment: PlannedPayment, tracked: TrackedCustomer): Promise<void> {
    const planned = await this.faults?.beforePayment(payment.index) ?? {}
    await this.powerAll()
    const index = payment.terminal
    const partitioned = this.faults?.partitioned(index) ?? false
    if (payment.linkDown) {
      if (this.terminals[index]!.relay.isUp && !partitioned) {
        // Whatever is in flight lands first, and the terminal knows every revocation before it goes dark.
        await this.drain(index)
        await this.catchUpRevocations(index)
        await this.step(index, terminal => terminal.cut())
        this.tally.linkCuts++
      }
    } else if (!partitioned) {
      await this.bringOnline(index)
      await this.catchUpRevocations(index)
    }
    if (partitioned) await this.knownOffline(index)

    if (planned.attack !== undefined) await this.attack(index, planned.attack, tracked, payment.amountMinor)
    if (planned.revoke === true) await this.revoke(index, tracked)
    await this.pay(payment, tracked, planned)
    // Under faults, a payment's record is acked before the next payment starts, so each packet (and
    // the fault it meets) belongs to the same payment in every run of a seed.
    if (this.faults !== undefined && this.terminals[index]!.relay.isUp) await this.drain(index)
  }

  /** Restores a terminal's link if it is cut (and no partition holds it), and waits until everything it holds is acked. */
  async bringOnline(index: number): Promise<void> {
    if (this.faults?.partitioned(index) === true) return
    if (!this.terminals[index]!.relay.isUp) await this.step(index, terminal => terminal.restore(LINK_TIMEOUT_MS))
    await this.drain(index)
  }

  /** Boots again every gateway whose power was cut. */
  async powerAll(): Promise<void> {
    for (const [index, terminal] of this.terminals.entries()) {
      if (!terminal.power.isOn) await this.powerOn(index)
    }
  }

  /** Waits until every online terminal holds every revocation the simulator knows the hub made; what did not arrive in time. */
  async revocationsEverywhere(): Promise<string[]> {
    const late: string[] = []
    for (const index of this.terminals.keys()) {
      try {
        await this.catchUpRevocations(index)
      } catch (error) {
        if (!(error instanceof FleetError) || error.code !== 'REVOCATION_NOT_DELIVERED') throw error
        late.push(error.message)
      }
    }
    return late
  }

  private async pay(payment: PlannedPayment, tracked: TrackedCustomer, planned: PaymentFaults): Promise<void> {
    const index = payment.terminal
    const { phone, voucher } = tracked.customer
    const before = phone.spent(voucher)
    const last = tracked.last
    const clone = payment.clone && last !== undefined
    if (clone) {
      // The clone holds the phone as it was before its last payment: it signs that seq again.
      this.tally.clonesAttempted++
      phone.forget(voucher, { seq: before.seq - 1, cumulativeMinor: before.cumulativeMinor - last.amountMinor })
    }
    const terminal = this.terminals[index]!
    const headBefore = terminal.store.chainHead().gatewaySeq
    const armed = this.armPowerCut(index, planned.power)
    terminal.counter.lastAnswer = undefined
    const where = `${terminal.eui}, payment ${payment.index}`
    const stale: Tapper = planned.expired === true ? { authorize: request => phone.authorize(request, { anyExpiry: true }) } : phone
    const tapper = planned.pull === undefined ? this.signing(stale, index) : this.pulledAway(stale, planned.pull, where)
    const moveBack = planned.expired === true
      ? this.faults?.pastExpiry(index, voucher.expiresAtMs, `customer ${tracked.number} pays with their voucher past its expiry (a stale wallet app)`)
      : undefined
    const result = await this.attempt(index, current => current.pay(tapper, payment.amountMinor)).catch(storeFull)
    // Before anything boots again: a gateway whose time stayed days ahead could not reconnect.
    moveBack?.()
    const answer = terminal.counter.lastAnswer
    const cause = armed?.fired() === true ? armed.point : undefined
    armed?.disarm()
    const outcome: Played = result === POWER_LOST ? await this.afterPowerCut(payment, headBefore, answer, cause)
      : result === STORE_FULL ? this.afterStoreFull(index, where, headBefore) : result
    if (planned.expired === true && outcome.kind === 'approved') {
      this.findings.push({ invariant: 'expired-refused', detail: `${where}: approved under a voucher past its expiry by the gateway's clock (its record ${outcome.record.gatewaySeq})` })
    }
    const after = phone.spent(voucher)
    const signed = clone || after.seq > before.seq
    if (clone) {
      // The original phone carries on from where it was, or from the clone's state if that went further.
      phone.forget(voucher, { seq: Math.max(before.seq, after.seq), cumulativeMinor: Math.max(before.cumulativeMinor, after.cumulativeMinor) })
    }

    if (outcome.kind === 'approved') {
      const transferIdHex = toHex(outcome.record.transferId)
      this.approvals.push({
        terminal: index, gatewaySeq: outcome.record.gatewaySeq, transferIdHex, amountMinor: outcome.record.amountMinor,
        ...(outcome.modeNote === 'offline-hub-unreachable' && { afterUnansweredRequest: true }),
      })
      this.tally.byMode[outcome.record.mode]++
      this.tally.byNote[outcome.modeNote] = (this.tally.byNote[outcome.modeNote] ?? 0) + 1
      if (clone && last.approvedTransferIdHex !== undefined) {
        this.doubleSpends.push({ originalTransferIdHex: last.approvedTransferIdHex, cloneTransferIdHex: transferIdHex })
      }
      if (answer !== undefined) this.capture(answer, `customer ${tracked.number}`)
    } else if (outcome.kind === 'declined' || outcome.kind === 'failed') {
      this.tally.declined++
      const name = outcome.kind === 'failed' ? outcome.code : reasonName(outcome.reason)
      this.tally.byReason[name] = (this.tally.byReason[name] ?? 0) + 1
      // Refused online as a double spend: the hub revoked the voucher there and then.
      if (outcome.kind === 'declined' && outcome.reason === Reason.DoubleSpend) this.revoked.set(toHex(voucher.voucherId), voucher.voucherId)
    }
    if (signed && !clone) {
      tracked.last = {
        amountMinor: payment.amountMinor,
        approvedTransferIdHex: outcome.kind === 'approved' ? toHex(outcome.record.transferId) : undefined,
      }
    }
  }

  /** The phone, which tells the faults of terminal `index` once it has signed (a clock may jump then). */
  private signing(phone: Tapper, index: number): Tapper {
    const faults = this.faults
    if (faults === undefined) return phone
    return {
      authorize: request => {
        const answer = phone.authorize(request)
        faults.tapped(index)
        return answer
      },
    }
  }

  /** The phone, pulled away from the reader before it signs the request, or once it has (the terminal never hears it). */
  private pulledAway(phone: Tapper, when: 'before-signing' | 'after-signing', where: string): Tapper {
    return {
      authorize: request => {
        this.faults?.injected('pull', `${where}: the phone is pulled away ${when === 'before-signing' ? 'before it signs' : 'once it has signed'}`)
        if (when === 'after-signing') phone.authorize(request)
        throw new Error('the phone left the reader')
      },
    }
  }

  /** Arms the power cut the plan puts in this payment (none when the payment cannot reach that point). */
  private armPowerCut(index: number, point: PaymentFaults['power']): ArmedCut | undefined {
    if (point === undefined || this.faults === undefined) return undefined
    const terminal = this.terminals[index]!
    if (point === 'online') {
      // Only a payment that goes online sends a request.
      if (!terminal.sync.online) return undefined
      return { point, ...this.faults.cutPowerAfterOnlineRequest(index) }
    }
    terminal.powerCutAt = point
    return {
      point,
      // The terminal clears the point when it cuts there.
      fired: () => terminal.powerCutAt === undefined,
      disarm: () => {
        terminal.powerCutAt = undefined
      },
    }
  }

  /**
   * The payment's gateway lost its power midway (at `cause`, or by a fault of its link) and booted
   * again: what its store kept says what happened. A record committed before the cut is an approved
   * payment nobody was shown (the hub settles it); none, and the payment did not happen. A record
   * at the tap, or none once committed, is a finding.
   */
  private async afterPowerCut(
    payment: PlannedPayment, headBefore: number, answer: Tapped | undefined, cause: PaymentFaults['power'],
  ): Promise<Played> {
    const index = payment.terminal
    await this.powerOn(index)
    const terminal = this.terminals[index]!
    const head = terminal.store.chainHead().gatewaySeq
    const transferIdHex = answer === undefined ? undefined : toHex(transferIdOf(answer.authorization))
    const where = `${terminal.eui}, payment ${payment.index}`
    if (cause === 'tap' || cause === 'commit') this.faults?.injected('power-loss', `${where}: power lost ${POWER_POINT_TEXT[cause]}`)
    if (head === headBefore) {
      this.tally.powerCuts.notRecorded++
      if (cause === 'online' && transferIdHex !== undefined) this.lostOnline.add(transferIdHex)
      if (cause === 'commit') this.findings.push({ invariant: 'settled-exactly-once', detail: `${where}: the power was cut once the record was committed, and the store holds no record` })
      return { kind: 'cancelled' }
    }
    const [record] = terminal.store.recordsFrom(head, 1)
    if (head === headBefore + 1 && record !== undefined && transferIdHex !== undefined && toHex(record.transferId) === transferIdHex) {
      if (cause === 'tap') this.findings.push({ invariant: 'settled-exactly-once', detail: `${where}: a record was committed although the power was cut before the terminal read the phone's answer` })
      this.tally.powerCuts.recorded++
      return { kind: 'approved', record, modeNote: 'power-lost' }
    }
    this.findings.push({ invariant: 'chains-gapless', detail: `${where}: after the power cut the chain head moved from ${headBefore} to ${head}, not by the payment under way` })
    return { kind: 'cancelled' }
  }

  /** The payment failed as its gateway could not store it: nothing may have been recorded, let alone approved. */
  private afterStoreFull(index: number, where: string, headBefore: number): Played {
    const head = this.terminals[index]!.store.chainHead().gatewaySeq
    if (head !== headBefore) {
      this.findings.push({ invariant: 'settled-exactly-once', detail: `${where}: the store was full, and yet the chain head moved from ${headBefore} to ${head}` })
    }
    return { kind: 'failed', code: 'SQLITE_FULL' }
  }

  /** An attacker taps terminal `index` before the planned payment; whatever the terminal says, nothing may be approved. */
  private async attack(index: number, kind: 'replay' | 'forge', tracked: TrackedCustomer, amount_minor: number): Promise<void> {
    let tap: ReplayedTap | ForgedTap
    let amount = amount_minor
    if (kind === 'replay') {
      // Nothing approved yet, nothing to replay.
      if (this.captured.length === 0) return
      const { tapped, whose } = this.captured[this.attacker.integer(0, this.captured.length - 1)]!
      tap = new ReplayedTap(tapped, whose)
      amount = tapped.authorization.amountMinor
    } else {
      const how = this.attacker.integer(0, 1) === 0 ? 'device-key' : 'voucher-limit'
      tap = new ForgedTap(tracked.customer.voucher, `customer ${tracked.number}`, this.attacker, how)
    }
    const terminal = this.terminals[index]!
    const headBefore = terminal.store.chainHead().gatewaySeq
    this.tally.attacks.tried++
    this.faults?.injected(kind, `${terminal.eui}: ${tap.description}`)
    const outcome = await this.attempt(index, current => current.pay(tap, amount))
    if (outcome === POWER_LOST) {
      // A link fault cut the power meanwhile: the store says whether the attacker got through.
      await this.powerOn(index)
      if (this.terminals[index]!.store.chainHead().gatewaySeq === headBefore) this.tally.attacks.refused++
      else this.findings.push({ invariant: 'forgeries-refused', detail: `${terminal.eui} recorded ${tap.description} before it lost its power` })
      return
    }
    if (outcome.kind === 'approved') {
      this.findings.push({ invariant: 'forgeries-refused', detail: `${terminal.eui} approved ${tap.description} as its payment ${outcome.record.gatewaySeq}` })
      this.approvals.push({ terminal: index, gatewaySeq: outcome.record.gatewaySeq, transferIdHex: toHex(outcome.record.transferId), amountMinor: outcome.record.amountMinor })
    } else {
      this.tally.attacks.refused++
    }
  }

  /** The customer revokes their voucher (their phone was stolen) through the hub; the phone pays on. */
  private async revoke(index: number, tracked: TrackedCustomer): Promise<void> {
    const { api, voucher } = tracked.customer
    const voucherIdHex = toHex(voucher.voucherId)
    if (this.revoked.has(voucherIdHex)) return
    if (api === undefined) {
      throw new FleetError('NOT_SIGNED_IN', `customer ${tracked.number} was enrolled in bulk and has no password: they cannot revoke through the hub`)
    }
    await this.faults?.hubUp()
    const { status, json } = await api.call('POST', `/api/auth/device/vouchers/${voucherIdHex}/revoke`)
    // The hub may have revoked it already, for a double spend it refused online (no record told the simulator): the
    // customer's revocation then finds it revoked, which is what they wanted (seed soak-4a219f9f.21).
    if (status >= 300 && json?.error?.code !== 'VOUCHER_NOT_OPEN') {
      throw new FleetError('REVOKE_FAILED', `customer ${tracked.number} could not revoke their voucher: ${status} ${JSON.stringify(json)}`)
    }
    this.revoked.set(voucherIdHex, voucher.voucherId)
    this.faults?.injected('revoke', `customer ${tracked.number} revokes their voucher; the phone pays on`)
    if (this.terminals[index]!.sync.online) await this.catchUpRevocations(index)
  }

  private capture(tapped: Tapped, whose: string): void {
    this.captured.push({ tapped, whose })
    if (this.captured.length > CAPTURED_MAX) this.captured.shift()
  }

  /**
   * Runs `step` on terminal `index` (as it is then) and returns what it gives, or POWER_LOST if the
   * gateway lost its power meanwhile (whatever the step did then: it was cut short).
   */
  private async attempt<T>(index: number, step: (terminal: SimulatedTerminal) => Promise<T>): Promise<T | typeof POWER_LOST> {
    const terminal = this.terminals[index]!
    if (!terminal.power.isOn) return POWER_LOST
    const running = step(terminal)
    // A step cut short may still settle later, one way or the other: nobody waits for it then.
    running.catch(() => undefined)
    try {
      return await Promise.race([running, terminal.power.lost.then((): typeof POWER_LOST => POWER_LOST)])
    } catch (error) {
      if (!terminal.power.isOn) return POWER_LOST
      throw error
    }
  }

  /** Runs `step` on terminal `index` until it ends with the power on, booting the gateway again after each cut. */
  private async step(index: number, step: (terminal: SimulatedTerminal) => Promise<void>): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      if ((await this.attempt(index, step)) !== POWER_LOST) return
      if (attempt > POWER_RETRIES_MAX) throw new FleetError('SYNC_INCOMPLETE', `${this.terminals[index]!.eui} kept losing its power`)
      await this.powerOn(index)
    }
  }

  private async powerOn(index: number): Promise<void> {
    const terminal = this.terminals[index]!
    // A gateway held offline by a partition boots offline (its relay is down), and so does one whose
    // clock is too far off for the hub to take its connections: neither waits for the link.
    this.terminals[index] = await terminal.powerOn(this.faults?.partitioned(index) === true ? undefined : LINK_TIMEOUT_MS)
  }

  /** Waits until a terminal whose link went down knows it is offline, so the payment is planned offline. */
  private async knownOffline(index: number): Promise<void> {
    await this.step(index, async terminal => {
      if (terminal.sync.online) await terminal.events.next('link', ({ online }) => !online)
    })
  }

  /** Syncs until no record is pending; notes the vouchers of records the hub flagged (it revokes them). */
  private async drain(index: number): Promise<void> {
    await this.step(index, terminal => this.drainOnce(index, terminal))
    const terminal = this.terminals[index]!
    const head = terminal.store.chainHead().gatewaySeq
    for (let seq = this.scannedSeq.get(index) ?? 1; seq <= head;) {
      const page = terminal.store.recordsFrom(seq, 1_000)
      if (page.length === 0) break
      for (const record of page) {
        if (record.ackOutcome === 'flagged') this.revoked.set(toHex(record.voucherId), record.voucherId)
      }
      seq = page[page.length - 1]!.gatewaySeq + 1
    }
    this.scannedSeq.set(index, head + 1)
  }

  private async drainOnce(index: number, terminal: SimulatedTerminal): Promise<void> {
    const rounds_max = this.faults === undefined ? SYNC_ROUNDS_MAX : SYNC_ROUNDS_MAX_UNDER_FAULTS
    for (let round = 1; ; round++) {
      // A partition that began during the sync keeps what is left for when it ends.
      if (this.faults?.partitioned(index) === true) return
      const report = await terminal.sync.syncNow()
      // The online requests the counter gave up on are voided at the hub too (terminal/voids.ts).
      await terminal.sync.sendVoids()
      if (report.error === null && report.pendingLeft === 0 && terminal.sync.pendingVoidCount() === 0) return
      if (round >= rounds_max) {
        throw new FleetError('SYNC_INCOMPLETE', `${terminal.eui} still holds ${report.pendingLeft} unacked records and `
          + `${terminal.sync.pendingVoidCount()} unanswered voids after ${round} sync rounds`
          + (report.error === null ? '' : ` (last: ${codedText(report.error.code, report.error.message)})`))
      }
      if (this.faults?.partitioned(index) === true) return
      if (!terminal.sync.online) await terminal.restore(LINK_TIMEOUT_MS)
    }
  }

  /** Waits until an online terminal holds every revocation the simulator knows the hub made. */
  private catchUpRevocations(index: number): Promise<void> {
    return this.step(index, terminal => {
      if (!terminal.sync.online) return Promise.resolve()
      const missing = (): boolean => [...this.revoked.values()].some(voucherId => !terminal.store.isRevoked(voucherId))
      if (!missing()) return Promise.resolve()
      return new Promise((resolve, reject) => {
        const cancelTimeout = this.clock.setTimer(() => {
          terminal.events.off('revocations', check)
          reject(new FleetError('REVOCATION_NOT_DELIVERED', `${terminal.eui} did not receive the hub's revocations within ${REVOCATION_TIMEOUT_MS} ms`))
        }, REVOCATION_TIMEOUT_MS)
        const check = (): void => {
          if (!terminal.power.isOn || missing()) return
          cancelTimeout()
          terminal.events.off('revocations', check)
          resolve()
        }
        terminal.events.on('revocations', check)
        terminal.power.onCut(() => {
          cancelTimeout()
          terminal.events.off('revocations', check)
        })
      })
    })
  }
}

/** A power cut armed in one payment. */
interface ArmedCut {
  readonly point: NonNullable<PaymentFaults['power']>
  /** Whether the gateway reached the point and lost its power there. */
  fired(): boolean
  disarm(): void
}

const POWER_POINT_TEXT: Readonly<Record<'tap' | 'commit', string>> = {
  tap: 'once the phone had signed, before the terminal read its answer',
  commit: 'once the record was committed, before the display said approved',
}
