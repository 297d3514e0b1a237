import t from 'tap'
import { DAY_MS } from '../../protocol/clock'
import { defaultRiskLimits } from '../../hub/gateways/risk'
import { GATEWAY_PASSWORD_WINDOW_MS_DEFAULT } from '../../hub/mqtt/gateway-password'
import { FAULT_KINDS } from '../../simulator/fleet/faults'
import { parseFaultOptions, parseSoakOptions } from '../../simulator/fault/options'
import { CLOCK_OFFSETS_MS, DEFAULT_FAULT_KINDS, drawFaultPlan, parseFaultKinds, runSeed } from '../../simulator/fault/plan'
import { STRAY_REPLIES, UPLINKS_PLANNED_MAX } from '../../simulator/fault/radio-plan'
import type { FaultRunResult } from '../../simulator/fault/run'
import { runText, soakText, soakTotals } from '../../simulator/fault/summary'

// The fault plan drawn from a seed, the flags of fault and soak, and what they print: no fleet runs here.

t.test('a seed draws the same plan every time, another seed another one; run i of a series plays seed.i', async t => {
  const plan = drawFaultPlan('plan', DEFAULT_FAULT_KINDS)
  t.same(drawFaultPlan('plan', DEFAULT_FAULT_KINDS), plan)
  t.not(JSON.stringify([...drawFaultPlan('other', DEFAULT_FAULT_KINDS).payments]), JSON.stringify([...plan.payments]))
  t.ok(plan.fleet.terminals >= 2 && plan.fleet.terminals <= 3 && plan.fleet.payments >= 16 && plan.fleet.payments <= 28)
  t.equal(runSeed('s', 0), 's', 'the first run is the seed itself, so a run replays alone')
  t.equal(runSeed('s', 2), 's.2')
})

t.test('only the kinds asked are planned, and asking for one more moves none of the others', async t => {
  const network = drawFaultPlan('kinds', parseFaultKinds('network'))
  t.same(network.kinds, ['drop', 'duplicate', 'reorder', 'delay', 'partition'])
  t.same([...network.payments], [], 'no power cut, attack or revocation at any payment')
  t.ok(network.packets.every(fault => fault.kind === 'partition'))
  t.ok(network.rates.drop > 0 && network.rates.delay > 0)
  const power = drawFaultPlan('kinds', ['power-loss'])
  t.same(power.rates, { drop: 0, duplicate: 0, reorder: 0, delay: 0 })
  const withOnline = drawFaultPlan('kinds', DEFAULT_FAULT_KINDS)
  const without = drawFaultPlan('kinds', DEFAULT_FAULT_KINDS.filter(kind => kind !== 'power-online'))
  t.same(withOnline.packets, without.packets)
  const attacks = (plan: typeof without) => [...plan.payments].filter(([, faults]) => faults.attack !== undefined).map(([index, faults]) => [index, faults.attack])
  t.same(attacks(withOnline), attacks(without), 'the attacks stay where they were')
  const expired = (plan: typeof without) => [...plan.payments].filter(([, faults]) => faults.expired === true).map(([index]) => index)
  const plans = Array.from({ length: 20 }, (_, index) => runSeed('kinds', index))
  t.ok(plans.some(seed => expired(drawFaultPlan(seed, ['expired'])).length > 0), 'expired vouchers, when asked for')
  for (const seed of plans) {
    t.same(expired(drawFaultPlan(seed, DEFAULT_FAULT_KINDS)), expired(drawFaultPlan(seed, ['expired'])), `${seed}: at the same payments whatever else is asked`)
    t.same(attacks(drawFaultPlan(seed, DEFAULT_FAULT_KINDS.filter(kind => kind !== 'expired'))), attacks(drawFaultPlan(seed, DEFAULT_FAULT_KINDS)))
    t.same(expired(drawFaultPlan(seed, DEFAULT_FAULT_KINDS.filter(kind => kind !== 'expired'))), [])
  }
})

t.test('clock faults: one at a time per gateway, within the hub\'s tolerance, beyond it either way and past the vouchers\' expiry', async t => {
  t.same(drawFaultPlan('clocks', parseFaultKinds('network')).clocks, [], 'none unless asked for')
  const plans = Array.from({ length: 200 }, (_, index) => drawFaultPlan(runSeed('clocks', index), ['clock']))
  const faults = plans.flatMap(plan => plan.clocks.map(fault => ({ fault, plan })))
  t.ok(plans.every(plan => plan.clocks.length >= 1), 'every run has one')
  for (const { fault, plan } of faults) {
    t.ok(fault.terminal < plan.fleet.terminals && fault.payment < plan.fleet.payments - 1 && fault.payments >= 1, `${plan.seed}: in the fleet`)
    t.equal(plan.clocks.filter(other => other.terminal === fault.terminal).length, 1, `${plan.seed}: one per gateway`)
  }
  // The gateway's tolerance and the window of its MQTT password, as the hub sets them by default.
  const tolerance_ms = defaultRiskLimits('XOF').clockSkewMaxMs
  t.equal(GATEWAY_PASSWORD_WINDOW_MS_DEFAULT, tolerance_ms)
  const offsets = faults.map(({ fault }) => fault.offset_ms)
  t.ok(offsets.some(offset_ms => Math.abs(offset_ms) < tolerance_ms && offset_ms < 0), 'behind within the tolerance')
  t.ok(offsets.some(offset_ms => Math.abs(offset_ms) < tolerance_ms && offset_ms > 0), 'ahead within it')
  t.ok(offsets.some(offset_ms => offset_ms < -tolerance_ms), 'behind beyond it')
  t.ok(offsets.some(offset_ms => offset_ms > tolerance_ms && offset_ms < DAY_MS), 'ahead beyond it')
  t.ok(offsets.some(offset_ms => offset_ms > 3 * DAY_MS), 'ahead past the vouchers\' expiry')
  t.ok(offsets.every(offset_ms => Math.abs(offset_ms) >= CLOCK_OFFSETS_MS[0].min), 'never set right on the spot')
  t.ok(faults.some(({ fault }) => fault.correction === 'mid-tap') && faults.some(({ fault }) => fault.correction === 'before'))
  t.same(drawFaultPlan('clocks', DEFAULT_FAULT_KINDS).packets, drawFaultPlan('clocks', DEFAULT_FAULT_KINDS.filter(kind => kind !== 'clock')).packets,
    'the clock faults move no other fault')
})

t.test('radio faults: one or two gateways carry a modem, their uplinks lost alone and in a stretch, garbage of every kind', async t => {
  t.same(drawFaultPlan('radio', parseFaultKinds('network,gateway,hub,customers')).radio.gateways, [], 'no modem without a radio fault')
  const plans = Array.from({ length: 100 }, (_, index) => drawFaultPlan(runSeed('radio', index), parseFaultKinds('radio')))
  for (const plan of plans) {
    const { gateways } = plan.radio
    t.ok(gateways.length >= 1 && gateways.length <= 2 && gateways.every(index => index < plan.fleet.terminals), `${plan.seed}: ${gateways.join(', ')}`)
    t.equal(new Set(gateways).size, gateways.length)
    for (const key of plan.radio.uplinks.keys()) t.ok(gateways.includes(Number(key.split('/')[0])), `${plan.seed}: ${key} is a modem's uplink`)
    for (const index of gateways) {
      const lost = Array.from({ length: UPLINKS_PLANNED_MAX }, (_, n) => plan.radio.uplinks.get(`${index}/${n}`)?.lost === true)
      t.ok(lost.some((one, n) => one && lost[n + 1] === true), `${plan.seed}: a stretch of lost uplinks at ${index}`)
    }
  }
  const garbage = plans.flatMap(plan => [...plan.radio.uplinks.values()].flatMap(fault => fault.garbage ?? []))
  t.same(new Set(garbage.map(one => one.kind)), new Set(['noise', 'truncated', 'binary', 'stray-reply']))
  const strays = new Set(garbage.filter(one => one.kind === 'stray-reply').map(one => Buffer.from(one.bytes).toString('latin1').trim()))
  t.same(strays, new Set(STRAY_REPLIES), 'every reply to nothing')
  for (const seed of plans.map(plan => plan.seed).slice(0, 20)) {
    const both = drawFaultPlan(seed, parseFaultKinds('radio')).radio
    const pick = (plan: typeof both, what: 'lost' | 'garbage') => [...plan.uplinks].filter(([, fault]) => fault[what] !== undefined).map(([key, fault]) => [key, fault[what]])
    t.same(pick(drawFaultPlan(seed, ['lora-loss']).radio, 'lost'), pick(both, 'lost'), `${seed}: the losses stay where they were without garbage`)
    t.same(pick(drawFaultPlan(seed, ['modem-garbage']).radio, 'garbage'), pick(both, 'garbage'), `${seed}: the garbage stays where it was without losses`)
    t.same(drawFaultPlan(seed, DEFAULT_FAULT_KINDS).payments, drawFaultPlan(seed, DEFAULT_FAULT_KINDS.filter(kind => kind !== 'lora-loss' && kind !== 'modem-garbage')).payments,
      `${seed}: the radio moves no other fault`)
  }
})

t.test('disk faults: long, and one at a time per gateway', async t => {
  t.same(drawFaultPlan('disks', parseFaultKinds('network,customers')).disks, [], 'none unless asked for')
  const plans = Array.from({ length: 100 }, (_, index) => drawFaultPlan(runSeed('disks', index), ['disk-full']))
  t.ok(plans.every(plan => plan.disks.length >= 1))
  for (const plan of plans) {
    for (const fault of plan.disks) {
      t.ok(fault.terminal < plan.fleet.terminals && fault.payment < plan.fleet.payments - 1 && fault.payments >= 8 && fault.payments <= 24)
      const overlapping = plan.disks.filter(other => other.terminal === fault.terminal
        && other.payment <= fault.payment + fault.payments && fault.payment <= other.payment + other.payments)
      t.equal(overlapping.length, 1, `${plan.seed}: one full disk at a time per gateway`)
    }
  }
})

t.test('chain faults: outages that do not overlap, one kill mid-anchor in the first half, each kind drawn apart from the other', async t => {
  t.same(drawFaultPlan('chain', parseFaultKinds('network,gateway,customers,hub-kill')).chain, [], 'none unless asked for')
  const plans = Array.from({ length: 100 }, (_, index) => drawFaultPlan(runSeed('chain', index), parseFaultKinds('chain-down,hub-kill-anchor')))
  for (const plan of plans) {
    const downs = plan.chain.filter(fault => fault.kind === 'chain-down')
    const kills = plan.chain.filter(fault => fault.kind === 'hub-kill-anchor')
    t.ok(downs.length >= 1 && downs.length <= 2, `${plan.seed}: one or two outages`)
    for (const fault of downs) {
      t.ok(fault.payment < plan.fleet.payments - 1 && fault.payments >= 2 && fault.payments <= 6)
      t.equal(downs.filter(other => other.payment <= fault.payment + fault.payments && fault.payment <= other.payment + other.payments).length, 1,
        `${plan.seed}: one outage at a time`)
    }
    t.equal(kills.length, 1, `${plan.seed}: one kill mid-anchor`)
    t.ok(kills[0]!.payment >= 1 && kills[0]!.payment <= plan.fleet.payments / 2)
    t.same(drawFaultPlan(plan.seed, ['chain-down']).chain, downs, `${plan.seed}: the outages stay where they were without the kill`)
    t.same(drawFaultPlan(plan.seed, ['hub-kill-anchor']).chain, kills, `${plan.seed}: and the kill without the outages`)
  }
  const kills = plans.flatMap(plan => plan.chain.filter(fault => fault.kind === 'hub-kill-anchor'))
  t.ok(kills.some(fault => fault.mempool) && kills.some(fault => !fault.mempool), 'the transaction left pending, or mined at once')
  t.same(drawFaultPlan('chain', DEFAULT_FAULT_KINDS).packets, drawFaultPlan('chain', DEFAULT_FAULT_KINDS.filter(kind => kind !== 'chain-down')).packets,
    'the chain faults move no other fault')
})

t.test('--faults takes kinds and groups; anything else is named', async t => {
  t.same(parseFaultKinds('hub,customers'), ['hub-kill', 'db-busy', 'chain-down', 'hub-kill-anchor', 'replay', 'forge', 'revoke', 'expired', 'pull'])
  t.same(parseFaultKinds('all'), DEFAULT_FAULT_KINDS)
  t.ok(DEFAULT_FAULT_KINDS.includes('power-online'), 'power-online among them, since voids give back what no counter recorded')
  t.ok(DEFAULT_FAULT_KINDS.includes('disk-full'), 'disk-full too')
  t.same(parseFaultKinds('power-online, drop'), ['drop', 'power-online'], 'in the order of FAULT_KINDS')
  t.throws(() => parseFaultKinds('drop,meteor'), /"meteor" is no fault kind or group/)
  t.throws(() => parseFaultKinds(' , '), /names no fault/)
  t.match(parseFaultOptions([]), { seed: '1', runs: 1, kinds: DEFAULT_FAULT_KINDS, json: false })
  t.match(parseFaultOptions(['--seed', 'x.3', '--runs', '4', '--faults', 'gateway', '--json']), { seed: 'x.3', runs: 4, kinds: ['power-loss', 'power-online', 'clock', 'disk-full'], json: true })
  t.match(parseSoakOptions(['--minutes', '2']), { minutes: 2, seed: /^soak-[0-9a-f]{8}$/ })
  t.throws(() => parseFaultOptions(['--seed', 'x'.repeat(49)]), /--seed: must be 1 to 48/)
})

function result(seed: string, ok: boolean): FaultRunResult {
  const injected = Object.fromEntries(FAULT_KINDS.map(kind => [kind, 0])) as FaultRunResult['faults']['injected']
  return {
    seed, ok, error: null, seconds: 1,
    report: ok ? { payments: 20, approved: 15, declined: 5, terminals: 2, customers: 3 } as FaultRunResult['report'] : null,
    failures: ok ? [] : [{ invariant: 'fleet-recovers', detail: 'the fleet did not recover from its faults: LINK_TIMEOUT: …' }],
    faults: { injected: { ...injected, drop: 2, 'hub-kill': 1 }, events: [{ payment: 3, kind: 'hub-kill', detail: 'the hub is killed' }] },
  }
}

t.test('a failed run prints its seed, what failed, its faults in order and the command that replays it', async t => {
  t.equal(runText(result('s', true), 0, 2, DEFAULT_FAULT_KINDS).split('\n').length, 2, 'one line for a run that held')
  const text = runText(result('s.1', false), 1, 2, ['drop', 'hub-kill'])
  t.match(text, /^run 2\/2 seed s.1: FAILED, did not finish; faults: drop 2, hub-kill 1/)
  t.match(text, '    - [fleet-recovers] the fleet did not recover')
  t.match(text, '    - payment 3: hub-kill: the hub is killed')
  t.match(text, '  replay: payall-sim fault --seed s.1 --runs 1 --faults drop,hub-kill\n')
  t.notMatch(runText(result('s', false), 0, 1, DEFAULT_FAULT_KINDS), '--faults', 'the default set needs no --faults')
})

t.test('the soak adds its runs up into a table: runs, payments, faults by kind, violations', async t => {
  const totals = soakTotals('soak-1', 5, [result('soak-1', true), result('soak-1.1', false), result('soak-1.2', true)], 301)
  t.match(totals, { runs: 3, failedSeeds: ['soak-1.1'], payments: 40, approved: 30, declined: 10 })
  t.equal(totals.faults.drop, 6)
  t.equal(totals.violations['fleet-recovers'], 1)
  const table = soakText(totals, DEFAULT_FAULT_KINDS)
  t.match(table, 'payall-sim soak: 3 runs in 5 min from seed soak-1')
  t.match(table, /\n {2}runs +3 \(1 failed\)\n/)
  t.match(table, /\n {2}faults: hub-kill +3\n/)
  t.match(table, /\n {2}violations: fleet-recovers +1\n/)
  t.match(table, '  replay: payall-sim fault --seed soak-1.1 --runs 1\n')
  t.match(soakText(soakTotals('s', 1, [result('s', true)], 60), DEFAULT_FAULT_KINDS), /\n {2}violations +0\n/)
})
