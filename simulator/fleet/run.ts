// A fleet run: a hub (started here, or running), N provisioned terminals, M phones with vouchers,
// P payments played one after another from a seeded plan (some with the terminal's link cut, some
// by cloned phones), every terminal synced to the last ack, then the invariants checked.
//
// Payments run one at a time and every link change waits for what it implies (a cut link is known
// offline, a restored one has synced everything and holds the hub's latest revocations), so the
// hub decides each payment on the same state whatever the machine's speed: the same seed gives
// the same outcome.

import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { toHex } from '../../protocol/bytes'
import { systemClock, type Clock } from '../../protocol/clock'
import { codedText } from '../../protocol/errors'
import { reasonName, Reason } from '../../protocol/reasons'
import type { SimulatedCustomer } from '../hub-api'
import { enrollCustomer, enrollTerminals } from './enroll'
import { FleetError } from './errors'
import { connectToHub, startEmbeddedHub, type FleetHub, type OperatorEnv } from './hub'
import { checkInvariants, type Approval, type DoubleSpend, type InvariantFailure } from './invariants'
import type { FleetOptions } from './options'
import { planFleet, type PlannedPayment } from './plan'
import { SeededRandom } from './seeded-random'
import type { SimulatedTerminal } from './terminal'

/** How long a link may take to come back, a sync to finish, a revocation list to arrive. */
const LINK_TIMEOUT_MS = 30_000
const REVOCATION_TIMEOUT_MS = 30_000
/** Sync rounds tried before a terminal that keeps failing to upload is reported. */
const SYNC_ROUNDS_MAX = 5

export interface FleetReport {
  readonly seed: string
  readonly terminals: number
  readonly customers: number
  readonly payments: number
  readonly offlineRatio: number
  readonly doubleSpendRatio: number
  readonly approved: number
  readonly declined: number
  /** Acked as settled by the hub when the record arrived (offline payments). */
  readonly settled: number
  /** Acked as already settled: the record of a payment the hub approved online. */
  readonly duplicates: number
  /** Settled and flagged as one side of a double spend (an expected outcome, not a failure). */
  readonly flagged: number
  /**
   * Approved at a counter and refused by the hub. Only one refusal is by design (an offline payment
   * under a voucher revoked longer ago than the hub's grace); any other is an invariant failure.
   */
  readonly rejected: number
  /** Approved payments by the mode recorded, and by what the display said. */
  readonly approvedByMode: { readonly online: number; readonly offline: number }
  readonly approvedByNote: Readonly<Record<string, number>>
  readonly declinedByReason: Readonly<Record<string, number>>
  readonly linkCuts: number
  readonly doubleSpends: { readonly attempted: number; readonly approvedBoth: number }
  readonly invariants: { readonly ok: boolean; readonly failures: readonly InvariantFailure[] }
  readonly hub: { readonly url: string; readonly embedded: boolean; readonly dataDir: string | null }
  readonly seconds: number
}

/** What the test hook may reach between the last sync and the checks. */
export interface FleetUnderCheck {
  readonly hub: FleetHub
  readonly terminals: readonly SimulatedTerminal[]
}

export interface FleetHooks {
  /** After every payment: how many of the planned payments are done. */
  onProgress?(done: number, total: number): void
  /** Runs after the last sync and before the invariants are checked (tests tamper here). */
  beforeCheck?(fleet: FleetUnderCheck): void | Promise<void>
  /** Once the hub is there: its URL, and where the run keeps its data (undefined against a running hub). */
  onStarted?(hubUrl: string, dataDir: string | undefined): void
  /** Aborted: the run stops before its next step (enrolment, a payment), cleans up and throws INTERRUPTED. */
  readonly signal?: AbortSignal
}

interface TrackedCustomer {
  readonly customer: SimulatedCustomer
  /** The last payment the phone signed: its amount, and the transfer if a counter approved it. */
  last: { amountMinor: number; approvedTransferIdHex: string | undefined } | undefined
}

export async function runFleet(options: FleetOptions, env: OperatorEnv, hooks: FleetHooks = {}): Promise<FleetReport> {
  const started_ms = performance.now()
  const random = new SeededRandom(options.seed)
  const plan = planFleet(options, random.fork('plan'))

  const keepData = options.dataDir !== undefined
  const workDir = keepData ? resolve(options.dataDir!) : mkdtempSync(join(tmpdir(), 'payall-sim-'))
  mkdirSync(workDir, { recursive: true, mode: 0o700 })
  let hub: FleetHub | undefined
  let terminals: SimulatedTerminal[] = []
  const where = keepData ? `the data are kept in ${workDir}` : `removed ${workDir}`
  const removeWorkDir = (): void => rmSync(workDir, { recursive: true, force: true })
  // A second Ctrl-C ends the process before the finally below: the folder goes all the same.
  if (!keepData) process.once('exit', removeWorkDir)
  let done = 0
  const interruptible = (): void => {
    if (hooks.signal?.aborted === true) throw new FleetError('INTERRUPTED', `interrupted after ${done} of ${plan.payments.length} payments; ${where}`)
  }
  try {
    hub = options.hubUrl === undefined ? await startEmbeddedHub(join(workDir, 'hub'), env) : await connectToHub(options.hubUrl, env)
    hooks.onStarted?.(hub.url, hub.embedded === undefined && keepData ? undefined : workDir)
    // A hub that holds earlier runs gets names (and keys) it has not seen; a fresh one, the seed's own.
    const tag = hub.hadData ? `-${toHex(crypto.getRandomValues(new Uint8Array(4)))}` : ''
    const identities = random.fork(`identities${tag}`)
    terminals = await enrollTerminals(
      hub.operator, options.terminals, join(workDir, 'terminals'), identities.fork('terminals'), { tag },
      index => random.fork(`terminal/${index}/nonces`),
    )
    interruptible()
    for (const terminal of terminals) await terminal.restore(LINK_TIMEOUT_MS)
    const currency = terminals[0]!.store.riskConfig()!.currency
    const customers: TrackedCustomer[] = []
    for (let index = 0; index < options.customers; index++) {
      const customer = await enrollCustomer(hub.operator, index, currency, plan.voucherMinor[index]!, identities.fork(`customer/${index}`), { tag })
      customers.push({ customer, last: undefined })
    }

    // The fleet talks to its hub over real sockets: its deadlines are on the system's clock.
    const fleet = new FleetPlayer(terminals, systemClock)
    for (const payment of plan.payments) {
      interruptible()
      await fleet.play(payment, customers[payment.customer]!)
      done++
      hooks.onProgress?.(payment.index + 1, plan.payments.length)
    }
    for (const terminal of terminals) await fleet.bringOnline(terminal)

    await hooks.beforeCheck?.({ hub, terminals })
    const { failures, totals } = await checkInvariants({
      operator: hub.operator, terminals, approvals: fleet.approvals, doubleSpends: fleet.doubleSpends,
    })
    const tally = fleet.tally
    return {
      seed: options.seed, terminals: options.terminals, customers: options.customers, payments: options.payments,
      offlineRatio: options.offlineRatio, doubleSpendRatio: options.doubleSpendRatio,
      approved: fleet.approvals.length, declined: tally.declined,
      settled: totals.settled, duplicates: totals.duplicates, flagged: totals.flagged, rejected: totals.rejected,
      approvedByMode: tally.byMode, approvedByNote: sorted(tally.byNote), declinedByReason: sorted(tally.byReason),
      linkCuts: tally.linkCuts,
      doubleSpends: { attempted: tally.clonesAttempted, approvedBoth: fleet.doubleSpends.length },
      invariants: { ok: failures.length === 0, failures },
      hub: { url: hub.url, embedded: hub.embedded !== undefined, dataDir: keepData && hub.embedded !== undefined ? join(workDir, 'hub') : null },
      seconds: Math.round((performance.now() - started_ms) / 10) / 100,
    }
  } finally {
    await Promise.all(terminals.map(terminal => terminal.shutDown()))
    await hub?.stop()
    if (!keepData) {
      process.off('exit', removeWorkDir)
      removeWorkDir()
    }
  }
}

/** Plays planned payments one at a time and keeps the simulator's own account of what happened. */
class FleetPlayer {
  readonly approvals: Approval[] = []
  readonly doubleSpends: DoubleSpend[] = []
  readonly tally = {
    declined: 0, linkCuts: 0, clonesAttempted: 0,
    byMode: { online: 0, offline: 0 }, byNote: {} as Record<string, number>, byReason: {} as Record<string, number>,
  }
  /** Vouchers the hub revoked, as far as the simulator knows: every online terminal must hold them before it takes a payment. */
  private readonly revoked = new Map<string, Uint8Array>()
  /** Per terminal, the first record not yet looked at for flags. */
  private readonly scannedSeq = new Map<SimulatedTerminal, number>()

  constructor(private readonly terminals: readonly SimulatedTerminal[], private readonly clock: Clock) {}

  async play(payment: PlannedPayment, tracked: TrackedCustomer): Promise<void> {
    const terminal = this.terminals[payment.terminal]!
    if (payment.linkDown) {
      if (terminal.relay.isUp) {
        // Whatever is in flight lands first, and the terminal knows every revocation before it goes dark.
        await this.drain(terminal)
        await this.catchUpRevocations(terminal)
        await terminal.cut()
        this.tally.linkCuts++
      }
    } else {
      await this.bringOnline(terminal)
      await this.catchUpRevocations(terminal)
    }

    const { phone, voucher } = tracked.customer
    const before = phone.spent(voucher)
    const last = tracked.last
    const clone = payment.clone && last !== undefined
    if (clone) {
      // The clone holds the phone as it was before its last payment: it signs that seq again.
      this.tally.clonesAttempted++
      phone.forget(voucher, { seq: before.seq - 1, cumulativeMinor: before.cumulativeMinor - last.amountMinor })
    }
    const outcome = await terminal.pay(phone, payment.amountMinor)
    const after = phone.spent(voucher)
    const signed = clone || after.seq > before.seq
    if (clone) {
      // The original phone carries on from where it was, or from the clone's state if that went further.
      phone.forget(voucher, { seq: Math.max(before.seq, after.seq), cumulativeMinor: Math.max(before.cumulativeMinor, after.cumulativeMinor) })
    }

    if (outcome.kind === 'approved') {
      const transferIdHex = toHex(outcome.record.transferId)
      this.approvals.push({ terminal: payment.terminal, gatewaySeq: outcome.record.gatewaySeq, transferIdHex, amountMinor: outcome.record.amountMinor })
      this.tally.byMode[outcome.record.mode]++
      this.tally.byNote[outcome.modeNote] = (this.tally.byNote[outcome.modeNote] ?? 0) + 1
      if (clone && last.approvedTransferIdHex !== undefined) {
        this.doubleSpends.push({ originalTransferIdHex: last.approvedTransferIdHex, cloneTransferIdHex: transferIdHex })
      }
    } else if (outcome.kind === 'declined') {
      this.tally.declined++
      const name = reasonName(outcome.reason)
      this.tally.byReason[name] = (this.tally.byReason[name] ?? 0) + 1
      // Refused online as a double spend: the hub revoked the voucher there and then.
      if (outcome.reason === Reason.DoubleSpend) this.revoked.set(toHex(voucher.voucherId), voucher.voucherId)
    }
    if (signed && !clone) {
      tracked.last = {
        amountMinor: payment.amountMinor,
        approvedTransferIdHex: outcome.kind === 'approved' ? toHex(outcome.record.transferId) : undefined,
      }
    }
  }

  /** Restores a terminal's link if it is cut, and waits until everything it holds is acked. */
  async bringOnline(terminal: SimulatedTerminal): Promise<void> {
    if (!terminal.relay.isUp) await terminal.restore(LINK_TIMEOUT_MS)
    await this.drain(terminal)
  }

  /** Syncs until no record is pending; notes the vouchers of records the hub flagged (it revokes them). */
  private async drain(terminal: SimulatedTerminal): Promise<void> {
    for (let round = 1; ; round++) {
      const report = await terminal.sync.syncNow()
      if (report.error === null && report.pendingLeft === 0) break
      if (round >= SYNC_ROUNDS_MAX) {
        throw new FleetError('SYNC_INCOMPLETE', `${terminal.eui} still holds ${report.pendingLeft} unacked records after ${round} sync rounds`
          + (report.error === null ? '' : ` (last: ${codedText(report.error.code, report.error.message)})`))
      }
      if (!terminal.sync.online) await terminal.restore(LINK_TIMEOUT_MS)
    }
    const head = terminal.store.chainHead().gatewaySeq
    for (let seq = this.scannedSeq.get(terminal) ?? 1; seq <= head;) {
      const page = terminal.store.recordsFrom(seq, 1_000)
      if (page.length === 0) break
      for (const record of page) {
        if (record.ackOutcome === 'flagged') this.revoked.set(toHex(record.voucherId), record.voucherId)
      }
      seq = page[page.length - 1]!.gatewaySeq + 1
    }
    this.scannedSeq.set(terminal, head + 1)
  }

  /** Waits until an online terminal holds every revocation the simulator knows the hub made. */
  private catchUpRevocations(terminal: SimulatedTerminal): Promise<void> {
    const missing = (): boolean => [...this.revoked.values()].some(voucherId => !terminal.store.isRevoked(voucherId))
    if (!missing()) return Promise.resolve()
    return new Promise((resolve, reject) => {
      const cancelTimeout = this.clock.setTimer(() => {
        terminal.events.off('revocations', check)
        reject(new FleetError('REVOCATION_NOT_DELIVERED', `${terminal.eui} did not receive the hub's revocations within ${REVOCATION_TIMEOUT_MS} ms`))
      }, REVOCATION_TIMEOUT_MS)
      const check = (): void => {
        if (missing()) return
        cancelTimeout()
        terminal.events.off('revocations', check)
        resolve()
      }
      terminal.events.on('revocations', check)
    })
  }
}

function sorted(counts: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(counts).sort(([a], [b]) => a.localeCompare(b)))
}
