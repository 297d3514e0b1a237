import t from 'tap'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { startHub } from '../../hub/server'
import type { FleetReport, FleetUnderCheck } from '../../simulator/fleet/run'
import { outcome, sim } from './sim-cli'
import { hubConfig, OPERATOR } from '../hub/e2e/running-hub'

t.test('without --json: a summary, and a progress bar on a terminal', async t => {
  const run = await sim().run('run', '--terminals', '1', '--customers', '1', '--payments', '3', '--offline-ratio', '0')
  t.equal(run.code, 0, run.err)
  t.match(run.out, /approved +3 \(online 3, offline 0/)
  t.match(run.out, /invariants +ok/)
  t.match(run.progress, /\] 3\/3 payments/, 'the bar reaches the end')
})

t.test('bad arguments exit 2 naming each bad flag, before anything starts', async t => {
  const run = await sim().run('run', '--terminals', '0', '--customers', 'many', '--payments', '1x', '--offline-ratio', '1.5', '--seed', 'a b', '--hub', 'ftp://x')
  t.equal(run.code, 2)
  for (const flag of ['--terminals', '--customers', '--payments', '--offline-ratio', '--seed', '--hub']) t.match(run.err, `${flag}: `, `names ${flag}`)
  const unknown = await sim().run('run', '--terminal', '3')
  t.equal(unknown.code, 2)
  t.match(unknown.err, '--terminal')
  t.equal((await sim().run('fly')).code, 2)
  t.equal((await sim().run('run', '--hub', 'http://127.0.0.1:9', '--data-dir', 'x')).code, 2, '--data-dir is for an embedded hub')
  const renamed = await sim().run('run', '--data', 'x')
  t.equal(renamed.code, 2)
  t.match(renamed.err, 'payall-sim run: --data: is now --data-dir DIR, as in payall-hub and payall-terminal')
  const help = await sim().run('--help')
  t.equal(help.code, 0)
  t.match(help.out, '--double-spend-ratio')
})

t.test('a tampered terminal store and hub ledger fail the invariants: exit 1, ok false, each failure named', async t => {
  const tamper = (fleet: FleetUnderCheck) => {
    const { store } = fleet.terminals[0]!
    // What no code path may do: a record vanishes from the chain, a balance moves without a posting.
    for (const { name } of store.db.prepare<[], { name: string }>("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'records'").all()) {
      store.db.exec(`DROP TRIGGER ${name}`)
    }
    store.db.prepare('DELETE FROM records WHERE gateway_seq = 2').run()
    fleet.hub.embedded!.context.db!.prepare(
      "UPDATE accounts SET balance_minor = balance_minor + 1 WHERE id = (SELECT id FROM accounts WHERE kind = 'wallet' ORDER BY id LIMIT 1)",
    ).run()
  }
  const run = await sim({}, { beforeCheck: tamper }).run(
    'run', '--terminals', '1', '--customers', '2', '--payments', '6', '--offline-ratio', '0.5', '--seed', '3', '--json',
  )
  t.equal(run.code, 1, run.err)
  const report = JSON.parse(run.out) as FleetReport
  t.equal(report.invariants.ok, false)
  const named = new Set(report.invariants.failures.map(failure => failure.invariant))
  t.ok(named.has('money-conserved'), 'the moved balance is found by the ledger verify')
  t.ok(named.has('chains-gapless'), 'the hole in the chain is found')
  t.ok(named.has('settled-exactly-once'), 'the approved payment missing from the store is found')
})

t.test('--hub runs the fleet against a hub already running, as its operator', async t => {
  const hub = await startHub(hubConfig(join(t.testdir(), 'hub')))
  t.teardown(() => hub.stop())
  const env = { PAYALL_OPERATOR_EMAIL: OPERATOR.email, PAYALL_OPERATOR_PASSWORD: OPERATOR.password }
  const args = ['run', '--hub', hub.httpUrl, '--terminals', '2', '--customers', '2', '--payments', '10', '--offline-ratio', '0.5', '--seed', '5', '--json']
  const first = await sim(env).run(...args)
  t.equal(first.code, 0, first.err)
  const report = JSON.parse(first.out) as FleetReport
  t.same(report.invariants, { ok: true, failures: [] })
  t.match(report.hub, { url: hub.httpUrl, embedded: false, dataDir: null })
  t.equal(report.approved + report.declined, 10)

  const again = await sim(env).run(...args)
  t.equal(again.code, 0, `a second run on the same hub gets names of its own: ${again.err}`)
  t.same(outcome(JSON.parse(again.out) as FleetReport), outcome(report), 'and the same outcome')

  const nobody = await sim(env).run('run', '--hub', 'http://127.0.0.1:9', '--json')
  t.equal(nobody.code, 3, 'no hub at the address: the run could not be carried out')
  t.match(nobody.err, /no hub answers at http:\/\/127\.0\.0\.1:9/)
  t.equal(nobody.out, '')

  const anonymous = await sim({}).run(...args)
  t.equal(anonymous.code, 2)
  t.match(anonymous.err, /PAYALL_OPERATOR_EMAIL and PAYALL_OPERATOR_PASSWORD/)
})

t.test('run stopped by Ctrl-C says so, stops before its next payment, removes its temporary directory and exits 3', async t => {
  const interrupted = await sim({}, undefined, () => Promise.resolve()).run('run', '--terminals', '1', '--customers', '1', '--payments', '5', '--json')
  t.equal(interrupted.code, 3)
  t.match(interrupted.err, /^payall-sim run: stopping…\n/)
  const left = /INTERRUPTED: interrupted after 0 of 5 payments; removed (\S+)\n/.exec(interrupted.err)
  t.ok(left, interrupted.err)
  t.notOk(existsSync(left![1]!), 'the temporary directory is gone')
  t.equal(interrupted.out, '', 'no report of a run not carried out')

  const data = join(t.testdir(), 'kept')
  const kept = await sim({}, undefined, () => Promise.resolve()).run('run', '--terminals', '1', '--customers', '1', '--payments', '5', '--data-dir', data)
  t.equal(kept.code, 3)
  t.match(kept.err, `interrupted after 0 of 5 payments; the data are kept in ${data}`)
  t.ok(existsSync(join(data, 'hub')))
})
