// What `payall-sim fault` and `payall-sim soak` print: a line per run, everything a failed run
// needs to be replayed (its seed, what failed, the faults that happened, the command), and the
// soak's table of runs, payments, faults by kind and violations.

import { FAULT_KINDS, type FaultKind } from '../fleet/faults'
import { INVARIANT_NAMES } from '../fleet/invariants'
import { faultsFlag } from './options'
import type { FaultRunResult } from './run'

/** Fault events a failed run lists in the text output (--json has them all). */
const EVENTS_PRINTED_MAX = 60

const countsText = (counts: Readonly<Record<string, number>>): string =>
  Object.entries(counts).filter(([, count]) => count > 0).map(([name, count]) => `${name} ${count}`).join(', ') || 'none'

/** The command that plays this run again, alone. */
function replayCommand(seed: string, kinds: readonly FaultKind[]): string {
  return `payall-sim fault --seed ${seed} --runs 1${faultsFlag(kinds)}`
}

/** One line for a run that held; the whole story of one that failed. */
export function runText(result: FaultRunResult, index: number, runs: number, kinds: readonly FaultKind[]): string {
  const { report } = result
  const played = report === null ? 'did not finish'
    : `${report.terminals} terminals, ${report.customers} customers, ${report.payments} payments (approved ${report.approved}, declined ${report.declined})`
  const head = `run ${index + 1}/${runs} seed ${result.seed}: ${result.ok ? 'ok' : 'FAILED'}, ${played}; faults: ${countsText(result.faults.injected)} (${result.seconds} s)`
  if (result.ok) return `${head}\n`
  const lines = [head, '  failed:']
  for (const failure of result.failures) lines.push(`    - [${failure.invariant}] ${failure.detail}`)
  lines.push('  faults, in order:')
  for (const event of result.faults.events.slice(0, EVENTS_PRINTED_MAX)) {
    lines.push(`    - ${event.payment === null ? 'at the end' : `payment ${event.payment}`}: ${event.kind}: ${event.detail}`)
  }
  if (result.faults.events.length > EVENTS_PRINTED_MAX) lines.push(`    - and ${result.faults.events.length - EVENTS_PRINTED_MAX} more (--json lists them all)`)
  lines.push(`  replay: ${replayCommand(result.seed, kinds)}`)
  return `${lines.join('\n')}\n`
}

/** The last line of a series: how many runs failed, and which seeds. */
export function seriesText(results: readonly FaultRunResult[]): string {
  const failed = results.filter(result => !result.ok)
  if (failed.length === 0) return `payall-sim fault: ${results.length} runs, every invariant held\n`
  return `payall-sim fault: ${results.length} runs, ${failed.length} failed: seeds ${failed.map(result => result.seed).join(', ')}\n`
}

export interface SoakTotals {
  readonly seed: string
  readonly minutes: number
  readonly runs: number
  readonly failedSeeds: readonly string[]
  readonly payments: number
  readonly approved: number
  readonly declined: number
  readonly faults: Readonly<Record<FaultKind, number>>
  /** Violations by invariant, over every run. */
  readonly violations: Readonly<Record<string, number>>
  readonly seconds: number
}

export function soakTotals(seed: string, minutes: number, results: readonly FaultRunResult[], seconds: number): SoakTotals {
  const faults = Object.fromEntries(FAULT_KINDS.map(kind => [kind, 0])) as Record<FaultKind, number>
  const violations: Record<string, number> = Object.fromEntries(INVARIANT_NAMES.map(name => [name, 0]))
  let payments = 0
  let approved = 0
  let declined = 0
  for (const result of results) {
    for (const kind of FAULT_KINDS) faults[kind] += result.faults.injected[kind]
    for (const failure of result.failures) violations[failure.invariant] = (violations[failure.invariant] ?? 0) + 1
    payments += result.report?.payments ?? 0
    approved += result.report?.approved ?? 0
    declined += result.report?.declined ?? 0
  }
  return {
    seed, minutes, runs: results.length, failedSeeds: results.filter(result => !result.ok).map(result => result.seed),
    payments, approved, declined, faults, violations, seconds,
  }
}

/** The soak's table. */
export function soakText(totals: SoakTotals, kinds: readonly FaultKind[]): string {
  const rows: Array<[string, string]> = [
    ['runs', `${totals.runs} (${totals.failedSeeds.length} failed)`],
    ['payments', `${totals.payments} (approved ${totals.approved}, declined ${totals.declined})`],
  ]
  for (const kind of kinds) rows.push([`faults: ${kind}`, String(totals.faults[kind])])
  const violated = Object.entries(totals.violations).filter(([, count]) => count > 0)
  if (violated.length === 0) rows.push(['violations', '0'])
  for (const [invariant, count] of violated) rows.push([`violations: ${invariant}`, String(count)])
  const width = Math.max(...rows.map(([name]) => name.length))
  const lines = [
    `payall-sim soak: ${totals.runs} runs in ${Math.round(totals.seconds / 6) / 10} min from seed ${totals.seed}`,
    ...rows.map(([name, value]) => `  ${name.padEnd(width)}  ${value}`),
  ]
  for (const seed of totals.failedSeeds) lines.push(`  replay: ${replayCommand(seed, kinds)}`)
  return `${lines.join('\n')}\n`
}
