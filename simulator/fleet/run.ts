// A fleet run: a hub (started here, or running), N provisioned terminals, M phones with vouchers,
// P payments played one after another from a seeded plan (some with the terminal's link cut, some
// by cloned phones), every terminal synced to the last ack, then the invariants checked. Under a
// fault simulation (FleetFaults), the same run with its network, gateways, hub and customers failing
// where the run's seed says.
//
// Payments run one at a time and every link change waits for what it implies (player.ts), so the
// hub decides each payment on the same state whatever the machine's speed: the same seed gives
// the same outcome.

import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { toHex } from '../../protocol/bytes'
import { systemClock } from '../../protocol/clock'
import { enrollCustomers, provisionFleet, startTerminals } from './enroll'
import { FleetError } from './errors'
import type { ChainUnderCheck } from './anchors'
import type { FaultReport, FleetFaults } from './faults'
import { connectToHub, startEmbeddedHub, type FleetHub, type OperatorEnv } from './hub'
import { checkInvariants, type AckTotals, type InvariantFailure } from './invariants'
import { enrollsInBulk, type FleetOptions } from './options'
import { planFleet } from './plan'
import { FleetPlayer, LINK_TIMEOUT_MS, type TrackedCustomer } from './player'
import { SeededRandom } from './seeded-random'
import type { SimulatedTerminal } from './terminal'
import type { TerminalStore } from '../../terminal/store/store'

export interface FleetReport {
  readonly seed: string
  readonly terminals: number
  readonly customers: number
  readonly payments: number
  readonly offlineRatio: number
  readonly doubleSpendRatio: number
  /** How the fleet was enrolled: one by one as shops and customers sign up, or by the operator's bulk routes (a large fleet). */
  readonly enrollment: 'one-by-one' | 'bulk'
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
  /** Payments whose gateway lost its power midway: recorded before the cut (approved, never shown), or not. */
  readonly powerCuts: { readonly recorded: number; readonly notRecorded: number }
  readonly attacks: { readonly tried: number; readonly refused: number }
  /** What the fault simulation injected; null in a run without faults. */
  readonly faults: FaultReport | null
  readonly invariants: { readonly ok: boolean; readonly failures: readonly InvariantFailure[] }
  readonly hub: { readonly url: string; readonly embedded: boolean; readonly dataDir: string | null }
  readonly seconds: number
}

/** What the test hook may reach between the last sync and the checks. */
export interface FleetUnderCheck {
  readonly hub: FleetHub
  readonly terminals: readonly SimulatedTerminal[]
  /** The chain the hub anchors on (a fault run's). */
  readonly chain: ChainUnderCheck | undefined
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
  /** The faults to inject (a fault simulation); none without. */
  readonly faults?: FleetFaults
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
    const { faults } = hooks
    hub = faults !== undefined ? await faults.startHub(join(workDir, 'hub'), env)
      : options.hubUrl === undefined ? await startEmbeddedHub(join(workDir, 'hub'), env) : await connectToHub(options.hubUrl, env)
    hooks.onStarted?.(hub.url, hub.embedded === undefined && faults === undefined && keepData ? undefined : workDir)
    // A hub that holds earlier runs gets names (and keys) it has not seen; a fresh one, the seed's own.
    const tag = hub.hadData ? `-${toHex(crypto.getRandomValues(new Uint8Array(4)))}` : ''
    const identities = random.fork(`identities${tag}`)
    const bulk = enrollsInBulk(options)
    const provisioned = await provisionFleet(hub.operator, bulk, options.terminals, join(workDir, 'terminals'), identities.fork('terminals'), { tag })
    terminals = await startTerminals(
      provisioned, index => random.fork(`terminal/${index}/nonces`), faults === undefined ? undefined : faultedAttach(faults), bulk,
    )
    interruptible()
    await restoreAll(terminals, bulk ? RESTORES_AT_ONCE_MAX : 1)
    const currency = terminals[0]!.store.riskConfig()!.currency
    const enrolled = await enrollCustomers(hub.operator, bulk, currency, plan.voucherMinor, index => identities.fork(`customer/${index}`), { tag })
    const customers: TrackedCustomer[] = enrolled.map((customer, index) => ({ number: index + 1, customer, last: undefined }))

    // The fleet talks to its hub over real sockets: its deadlines are on the system's clock.
    const fleet = new FleetPlayer(terminals, systemClock, faults, random.fork('attacker'))
    faults?.begin(terminals)
    for (const payment of plan.payments) {
      interruptible()
      await fleet.play(payment, customers[payment.customer]!)
      done++
      hooks.onProgress?.(payment.index + 1, plan.payments.length)
    }
    await faults?.end()
    await fleet.powerAll()
    for (const index of terminals.keys()) await fleet.bringOnline(index)
    const late = await fleet.revocationsEverywhere()

    const chain = faults?.chain()
    await hooks.beforeCheck?.({ hub, terminals, chain })
    const { failures, totals } = await checkInvariants({
      operator: hub.operator, terminals, approvals: fleet.approvals, doubleSpends: fleet.doubleSpends,
      customers: customers.map(tracked => tracked.customer), lostOnline: fleet.lostOnline,
      findings: [...fleet.findings, ...late.map(detail => ({ invariant: 'revoked-everywhere' as const, detail })), ...await faults?.check(hub.operator, terminals) ?? []],
      chain,
    })
    return {
      ...playedReport(options, fleet, totals, faults?.report() ?? null),
      enrollment: enrollsInBulk(options) ? 'bulk' : 'one-by-one',
      invariants: { ok: failures.length === 0, failures },
      hub: { url: hub.url, embedded: hub.embedded !== undefined, dataDir: keepData && hub.embedded !== undefined ? join(workDir, 'hub') : null },
      seconds: Math.round((performance.now() - started_ms) / 10) / 100,
    }
  } finally {
    // A run that stopped midway stops its faults too, before it shuts down (whatever that meets: the cleanup goes on).
    await hooks.faults?.end().catch(() => undefined)
    await Promise.all(terminals.map(terminal => terminal.shutDown()))
    await hub?.stop()
    if (!keepData) {
      process.off('exit', removeWorkDir)
      removeWorkDir()
    }
  }
}

/**
 * A large fleet's terminals whose links are restored at once before the first payment. One by one, each would wait
 * for its next reconnection attempt (up to a second in a large fleet): many minutes for a thousand. Nothing is
 * recorded yet, so the order changes no outcome; the bound keeps the hub's connection handshakes (a signature check
 * each) in step. A small fleet, and a fault simulation's, restores one at a time, as it always has.
 */
const RESTORES_AT_ONCE_MAX = 50
/**
 * How long one of them may take: a thousand gateways connecting to a hub on the same two cores (the embedded one
 * shares their event loop, and writes each one's presence) take longer than one gateway coming back mid-run, and a
 * link that drops meanwhile (a keepalive missed on a starved machine) comes back at the next try.
 */
const RESTORE_ALL_TIMEOUT_MS = 4 * LINK_TIMEOUT_MS

async function restoreAll(terminals: readonly SimulatedTerminal[], at_once: number): Promise<void> {
  const timeout_ms = at_once > 1 ? RESTORE_ALL_TIMEOUT_MS : LINK_TIMEOUT_MS
  for (let from = 0; from < terminals.length; from += at_once) {
    await Promise.all(terminals.slice(from, from + at_once).map(terminal => terminal.restore(timeout_ms)))
  }
}

/** What the faults give each gateway: an inspector on its link, its clock, a look at each store it opens, its wait for an ack. */
function faultedAttach(faults: FleetFaults) {
  return (index: number) => ({
    inspector: faults.inspector(index), clock: faults.clock(index), opened: (store: TerminalStore) => faults.opened(index, store),
    ackTimeoutMs: faults.ackTimeout_ms,
    lora: (eui: string) => faults.lora(index, eui),
  })
}

/** What the run asked for and what happened, as the player and the acks counted it. */
function playedReport(
  options: FleetOptions, fleet: FleetPlayer, totals: AckTotals, faults: FaultReport | null,
): Omit<FleetReport, 'invariants' | 'hub' | 'seconds' | 'enrollment'> {
  const { tally } = fleet
  return {
    seed: options.seed, terminals: options.terminals, customers: options.customers, payments: options.payments,
    offlineRatio: options.offlineRatio, doubleSpendRatio: options.doubleSpendRatio,
    approved: fleet.approvals.length, declined: tally.declined,
    settled: totals.settled, duplicates: totals.duplicates, flagged: totals.flagged, rejected: totals.rejected,
    approvedByMode: tally.byMode, approvedByNote: sorted(tally.byNote), declinedByReason: sorted(tally.byReason),
    linkCuts: tally.linkCuts,
    doubleSpends: { attempted: tally.clonesAttempted, approvedBoth: fleet.doubleSpends.length },
    powerCuts: tally.powerCuts, attacks: tally.attacks, faults,
  }
}

function sorted(counts: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(counts).sort(([a], [b]) => a.localeCompare(b)))
}
