import t from 'tap'
import type { FaultRunResult } from '../../simulator/fault/run'
import { sim } from './sim-cli'

// Seeds on which the fault simulation found a bug, played again after its fix. Each failed before it. One file per
// kind of fault, each a few runs, so that a loaded machine runs them side by side and none nears tap's deadline:
// the power's, the clock's and the disk's.

t.test('seed pw.3 (--faults drop,delay,power-loss,power-online): an online approval its gateway never recorded is given back', async t => {
  // Two gateways lost their power once their online request had left: the hub approved and settled
  // both payments, no counter recorded either, and the customers stayed charged. Each gateway now
  // voids the request it wrote down when it boots, and the hub reverses the approval.
  const run = await sim().run('fault', '--seed', 'pw.3', '--runs', '1', '--faults', 'drop,delay,power-loss,power-online')
  t.equal(run.code, 0, run.out + run.err)
  t.match(run.out, /^run 1\/1 seed pw.3: ok.*power-online 2/)
})

t.test('seed hunt.48: a gateway whose clock is set right mid-tap refuses a voucher not yet valid at the request\'s time', async t => {
  // The gateway's clock was 28 min behind (beyond the hub's 5 min), and NTP set it right once the
  // phone had signed the request. The gateway judged the voucher's start by its clock then, the hub
  // by the time the request and the record carry: approved at the counter, refused by the hub as
  // not yet valid, and the merchant unpaid. The gateway now judges both times.
  const run = await sim().run('fault', '--seed', 'hunt.48', '--runs', '1', '--faults', 'clock')
  t.equal(run.code, 0, run.out + run.err)
  t.match(run.out, /^run 1\/1 seed hunt.48: ok/)
  t.match(run.out, /faults: clock 2/)
})

t.test('seed dk.3 (--faults disk-full): a payment the hub approved online and its gateway could not store, its disk full, is given back', async t => {
  // Seed dk.3: a gateway's store may not grow from payment 8 on; two payments later need one more
  // page for their record. One of them the hub had approved online and settled: the gateway, which
  // could not record it, voids it and the hub gives it back (before voids, it stayed settled).
  const run = await sim().run('fault', '--seed', 'dk.3', '--runs', '1', '--faults', 'disk-full', '--json')
  const [result] = (JSON.parse(run.out) as { runs: FaultRunResult[] }).runs
  t.equal(run.code, 0, run.err + JSON.stringify(result?.failures))
  t.same(result!.failures, [])
  t.equal(result!.faults.injected['disk-full'], 1)
  t.ok((result!.report!.declinedByReason.SQLITE_FULL ?? 0) >= 1, 'a payment met SQLITE_FULL, and ended there')
  t.equal(result!.report!.approved + result!.report!.declined + result!.report!.powerCuts.notRecorded, result!.report!.payments)
})
