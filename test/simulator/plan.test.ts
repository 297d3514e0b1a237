import t from 'tap'
import { FLEET_DEFAULTS, FleetArgumentError, parseFleetOptions } from '../../simulator/fleet/options'
import { AMOUNT_MAX_MINOR, AMOUNT_MIN_MINOR, planFleet } from '../../simulator/fleet/plan'
import { ProgressBar } from '../../simulator/fleet/progress'
import { SeededRandom } from '../../simulator/fleet/seeded-random'

const OPTIONS = { terminals: 4, customers: 6, payments: 500, offlineRatio: 0.3, doubleSpendRatio: 0.05 }

t.test('a seeded stream is the same for the same seed and label, and independent across labels', async t => {
  const draw = (random: SeededRandom) => Array.from({ length: 8 }, () => random.nextUint32())
  t.same(draw(new SeededRandom('s', 'a')), draw(new SeededRandom('s', 'a')))
  t.not(draw(new SeededRandom('s', 'a')).join(), draw(new SeededRandom('s', 'b')).join())
  t.not(draw(new SeededRandom('s', 'a')).join(), draw(new SeededRandom('t', 'a')).join())
  t.same(draw(new SeededRandom('s').fork('x')), draw(new SeededRandom('s', 'x')), 'a fork is the labelled stream')
  const random = new SeededRandom('range')
  for (let i = 0; i < 2_000; i++) {
    const value = random.integer(-3, 3)
    if (!Number.isInteger(value) || value < -3 || value > 3) t.fail(`integer(-3, 3) gave ${value}`)
    const float = random.nextFloat()
    if (!(float >= 0 && float < 1)) t.fail(`nextFloat gave ${float}`)
  }
  t.equal(random.bytes(7).length, 7)
  const sample = new SeededRandom('sample').sample(50, 20)
  t.equal(new Set(sample).size, 20, 'a sample has no repeats')
  t.ok(sample.every(index => index >= 0 && index < 50))
  t.same(new SeededRandom('all').sample(10, 10).sort((a, b) => a - b), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
})

t.test('a plan takes exactly the offline and clone shares asked, within the bounds, and covers each customer\'s spending', async t => {
  const plan = planFleet(OPTIONS, new SeededRandom('plan'))
  t.equal(plan.payments.length, 500)
  t.equal(plan.payments.filter(p => p.linkDown).length, 150)
  t.equal(plan.payments.filter(p => p.clone).length, 25)
  for (const payment of plan.payments) {
    if (payment.terminal < 0 || payment.terminal >= 4 || payment.customer < 0 || payment.customer >= 6) t.fail(`out of range: ${JSON.stringify(payment)}`)
    if (payment.amountMinor < AMOUNT_MIN_MINOR || payment.amountMinor > AMOUNT_MAX_MINOR) t.fail(`amount ${payment.amountMinor}`)
  }
  plan.voucherMinor.forEach((voucher, customer) => {
    const spending = plan.payments.filter(p => p.customer === customer).reduce((sum, p) => sum + p.amountMinor, 0)
    t.ok(voucher >= spending, `customer ${customer}'s voucher covers ${spending}`)
  })
  t.same(planFleet(OPTIONS, new SeededRandom('plan')), plan, 'the same seed, the same plan')
  t.not(JSON.stringify(planFleet(OPTIONS, new SeededRandom('other'))), JSON.stringify(plan), 'another seed, another plan')
  t.same(planFleet({ ...OPTIONS, payments: 0 }, new SeededRandom('none')).payments, [])
})

t.test('flags parse into options, with defaults for what is not given', async t => {
  t.match(parseFleetOptions([]), { ...FLEET_DEFAULTS, json: false, dataDir: undefined, hubUrl: undefined })
  t.match(parseFleetOptions(['--terminals', '2', '--offline-ratio', '1', '--double-spend-ratio', '.25', '--seed', 'x-1', '--json', '--hub', 'http://hub:3001/']),
    { terminals: 2, offlineRatio: 1, doubleSpendRatio: 0.25, seed: 'x-1', json: true, hubUrl: 'http://hub:3001' })
  t.equal(parseFleetOptions(['--payments', '0']).payments, 0)
})

t.test('every bad flag is named at once', async t => {
  const problems = (args: string[]) => {
    try {
      parseFleetOptions(args)
    } catch (error) {
      if (error instanceof FleetArgumentError) return error.problems.map(problem => problem.flag)
      throw error
    }
    return []
  }
  t.same(problems(['--terminals', '1001', '--customers', '0', '--payments', '2.5', '--offline-ratio', '-0.1', '--double-spend-ratio', 'half']),
    ['--terminals', '--customers', '--payments', '--offline-ratio', '--double-spend-ratio'])
  t.same(problems(['--seed', '']), ['--seed'])
  t.same(problems(['--terminals', '1000', '--customers', '10000']), [], 'a thousand terminals and ten thousand customers are taken')
  t.throws(() => parseFleetOptions(['--customers', '10001']), {
    name: 'FleetArgumentError', code: 'BAD_ARGUMENT', message: '--customers: must be a whole number from 1 to 10000, got "10001"',
  })
  t.same(problems(['--hub', 'not a url']), ['--hub'])
  t.same(problems(['--hub', 'http://h', '--data-dir', 'd']), ['--data-dir'])
  t.same(problems(['--data', 'd']), ['--data'], 'the old flag is refused, with the new one named')
  t.equal(parseFleetOptions(['--hub', 'localhost:3001']).hubUrl, 'http://localhost:3001', 'a hub without a scheme is http')
  t.equal(parseFleetOptions(['--hub', 'https://hub.example/']).hubUrl, 'https://hub.example')
  t.same(problems(['--speed', '3']), ['--speed'])
  t.same(problems(['--terminals']), ['--terminals'], 'a flag without its value')
})

t.test('the progress bar redraws at a bounded rate, always draws the end, and clears its line', async t => {
  const written: string[] = []
  let now_ms = 0
  const bar = new ProgressBar({ write: text => written.push(text), columns: 60 }, 'payments', () => now_ms)
  bar.update(1, 100)
  bar.update(2, 100)
  now_ms = 50
  bar.update(3, 100)
  t.equal(written.length, 1, 'no redraw within 100 ms')
  now_ms = 150
  bar.update(4, 100)
  bar.update(100, 100)
  t.equal(written.length, 3, 'the last step is always drawn')
  t.match(written[2], /\[#+\] 100\/100 payments$/)
  bar.finish()
  t.equal(written[3], '\r\x1b[2K')
})
