import t from 'tap'
import { parseFleetOptions } from '../../simulator/fleet/options'
import { runFleet, type FleetReport } from '../../simulator/fleet/run'
import { outcome, sim } from './sim-cli'

const TINY = ['--terminals', '2', '--customers', '3', '--payments', '16', '--offline-ratio', '0.5', '--double-spend-ratio', '0.1']
const SMALL = ['--terminals', '3', '--customers', '5', '--payments', '40', '--offline-ratio', '0.5', '--double-spend-ratio', '0.1']

t.test('a small fleet with cut links and cloned phones keeps every invariant', async t => {
  const report = await runFleet(parseFleetOptions([...SMALL, '--seed', 'fleet-test']), {})
  t.same(report.invariants, { ok: true, failures: [] })
  t.equal(report.approved + report.declined, 40, 'every payment ends approved or declined')
  t.equal(report.settled + report.duplicates + report.flagged, report.approved, 'every approved payment reached the hub once')
  t.equal(report.approvedByMode.online + report.approvedByMode.offline, report.approved)
  t.equal(report.approvedByNote['offline-link-down'], report.approvedByMode.offline, 'offline payments were taken because the link was down')
  t.ok(report.approvedByMode.offline > 0 && report.approvedByMode.online > 0, 'both modes were exercised')
  t.ok(report.linkCuts > 0)
  t.ok(report.doubleSpends.attempted > 0, 'clones paid')
  t.ok(report.flagged > 0 || (report.declinedByReason.DoubleSpend ?? 0) > 0, 'a clone was caught, by a flag or online')
  t.equal(report.flagged, report.doubleSpends.approvedBoth, 'each double spend approved at two counters is flagged once')
  t.equal(report.hub.embedded, true)
  t.equal(report.hub.dataDir, null, 'the temporary data is gone')
})

t.test('a fleet past what signs up one by one is provisioned and enrolled through the operator\'s bulk routes, and keeps every invariant', async t => {
  const acts: string[] = []
  const report = await runFleet(parseFleetOptions([
    '--terminals', '51', '--customers', '200', '--payments', '12', '--offline-ratio', '0.5', '--seed', 'bulk-test',
  ]), {}, {
    beforeCheck: async ({ hub }) => {
      const { entries } = await hub.operator.ok('GET', '/admin/audit?limit=100')
      for (const entry of entries as Array<{ action: string }>) acts.push(entry.action)
    },
  })
  t.same(report.invariants, { ok: true, failures: [] })
  t.equal(report.enrollment, 'bulk')
  t.same(acts.filter(act => act.startsWith('bulk.')).sort(), ['bulk.customers', 'bulk.gateways'],
    'one chunk of gateways and one of customers, each under its own idempotency key')
  t.notOk(acts.includes('order.validate'), 'no order: the gateways were provisioned by the operator')
  t.equal(acts.filter(act => act === 'user.verify_email').length, 1, 'only the merchant signed up')
  t.equal(report.approved + report.declined, 12)
  t.equal(report.settled + report.duplicates + report.flagged, report.approved)
  t.ok(report.approvedByMode.offline > 0 && report.approvedByMode.online > 0, 'both modes were exercised')
})

t.test('through the CLI with --json: one JSON object, the same seed gives the same outcome, no progress bar', async t => {
  const first = await sim().run('run', ...TINY, '--seed', '7', '--json')
  t.equal(first.code, 0, first.err)
  t.equal(first.progress, '', '--json draws no progress bar')
  const lines = first.out.trimEnd().split('\n')
  t.equal(lines.length, 1, 'a single JSON object')
  const report = JSON.parse(lines[0]!) as FleetReport
  t.match(report, { approved: Number, declined: Number, settled: Number, duplicates: Number, flagged: Number, invariants: { ok: true, failures: [] } })

  const second = await sim().run('run', ...TINY, '--seed', '7', '--json')
  t.same(outcome(JSON.parse(second.out) as FleetReport), outcome(report), 'the same seed, the same counts')
})
