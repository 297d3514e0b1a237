import t from 'tap'
import type { FaultKind } from '../../simulator/fleet/faults'
import { DEFAULT_FAULT_KINDS } from '../../simulator/fault/plan'
import type { FaultRunResult } from '../../simulator/fault/run'
import { sim } from './sim-cli'

// Fault runs through `payall-sim fault`: each one a hub in a child process (killed and restarted
// mid-run), gateways whose links, power and customers fail where the seed says. A fixed set of
// seeds, as CI runs them; `soak` plays many more.

interface FaultJson {
  readonly ok: boolean
  readonly runs: readonly FaultRunResult[]
}

// Seed sim also pins a fix: its power cuts close a gateway's store as its MQTT connection closes,
// and noting the link state in a closed store used to throw out of mqtt.js's 'close' event, which
// ended the process (a full disk does the same to a real gateway; test/terminal/connection.test.ts).
t.test('a fixed set of seeds keeps every invariant while every kind of fault is injected', async t => {
  const run = await sim().run('fault', '--seed', 'sim', '--runs', '3', '--json')
  const report = JSON.parse(run.out) as FaultJson
  t.equal(run.code, 0, run.err + report.runs.map(result => JSON.stringify(result.failures)).join('\n'))
  t.equal(report.ok, true)
  t.same(report.runs.map(result => result.seed), ['sim', 'sim.1', 'sim.2'], 'run i plays seed.i, the first the seed itself')
  for (const result of report.runs) {
    t.same(result.failures, [], `seed ${result.seed}: no invariant failed`)
    t.equal(result.report!.approved + result.report!.declined + result.report!.powerCuts.notRecorded, result.report!.payments,
      `seed ${result.seed}: every payment was approved, declined, or cut short by a power loss before its record`)
  }
  const injected = (kind: FaultKind) => report.runs.reduce((sum, result) => sum + result.faults.injected[kind], 0)
  for (const kind of DEFAULT_FAULT_KINDS) t.ok(injected(kind) > 0, `${kind} was injected (${injected(kind)} times)`)
  t.ok(report.runs.every(result => result.report!.attacks.refused === result.report!.attacks.tried), 'every attacker was refused')
})

t.test('bad arguments of fault and soak exit 2 naming each bad flag, before anything starts', async t => {
  const fault = await sim().run('fault', '--seed', 'a b', '--runs', '0', '--faults', 'drop,meteor')
  t.equal(fault.code, 2)
  for (const flag of ['--seed', '--runs', '--faults']) t.match(fault.err, `payall-sim fault: ${flag}: `, `names ${flag}`)
  t.match(fault.err, '"meteor" is no fault kind or group')
  const soak = await sim().run('soak', '--minutes', 'ten', '--faults', '')
  t.equal(soak.code, 2)
  for (const flag of ['--minutes', '--faults']) t.match(soak.err, `payall-sim soak: ${flag}: `)
  const help = await sim().run('--help')
  t.match(help.out, 'payall-sim fault [--seed S] [--runs N] [--faults LIST] [--json]')
  t.match(help.out, 'npm run soak -- --minutes M')
})
