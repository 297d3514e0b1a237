// The human summary of a fleet run, as `payall-sim run` prints it without --json.

import type { FleetReport } from './run'

const percent = (ratio: number): string => `${Math.round(ratio * 1000) / 10}%`
const counts = (record: Readonly<Record<string, number>>): string =>
  Object.entries(record).map(([name, count]) => `${name} ${count}`).join(', ') || 'none'

export function fleetSummary(report: FleetReport): string {
  const lines = [
    `payall-sim: ${report.terminals} terminals, ${report.customers} customers, ${report.payments} payments `
      + `(${percent(report.offlineRatio)} with the link down, ${percent(report.doubleSpendRatio)} by cloned phones), seed ${report.seed}`,
    `  enrolled    ${report.enrollment === 'bulk' ? 'by the operator through the bulk routes' : 'one by one, as shops and customers sign up'}`,
    `  approved    ${report.approved} (online ${report.approvedByMode.online}, offline ${report.approvedByMode.offline}; shown as: ${counts(report.approvedByNote)})`,
    `  declined    ${report.declined} (${counts(report.declinedByReason)})`,
    `  at the hub  settled ${report.settled}, duplicates ${report.duplicates} (online payments' records), flagged ${report.flagged}, rejected ${report.rejected}`,
    `  link cuts   ${report.linkCuts}; double spends tried ${report.doubleSpends.attempted}, approved at both counters ${report.doubleSpends.approvedBoth}`,
  ]
  if (report.faults !== null) {
    lines.push(
      `  faults      ${counts(Object.fromEntries(Object.entries(report.faults.injected).filter(([, count]) => count > 0)))}`,
      `  power cuts  during ${report.powerCuts.recorded + report.powerCuts.notRecorded} payments (recorded before the cut ${report.powerCuts.recorded}); `
        + `attacks refused ${report.attacks.refused} of ${report.attacks.tried}`,
    )
  }
  if (report.invariants.ok) {
    lines.push('invariants  ok: money conserved, every approved payment settled exactly once and no transfer twice, nothing acked missing '
      + 'from the ledger, every chain gapless, every double spend flagged with its proof, every revoked voucher revoked at every '
      + 'gateway, no hold over its voucher, no forged or replayed tap approved')
  } else {
    lines.push(`invariants  FAILED (${report.invariants.failures.length}):`)
    for (const failure of report.invariants.failures) lines.push(`  - [${failure.invariant}] ${failure.detail}`)
  }
  const where = report.hub.embedded
    ? `embedded hub ${report.hub.url}, ${report.hub.dataDir === null ? 'data removed' : `data kept in ${report.hub.dataDir}`}`
    : `hub ${report.hub.url}`
  lines.push(`${where}; ${report.seconds} s`)
  return lines.join('\n') + '\n'
}
