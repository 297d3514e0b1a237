import t from 'tap'
import { ManualClock, repeat, systemClock } from '../../protocol/clock'

const T0 = Date.UTC(2026, 0, 1)

t.test('a manual clock fires its timers in the order they are due, each at its own time', async t => {
  const clock = new ManualClock(T0)
  const fired: Array<[string, number]> = []
  clock.setTimer(() => fired.push(['late', clock.now_ms() - T0]), 300)
  clock.setTimer(() => fired.push(['early', clock.now_ms() - T0]), 100)
  clock.setTimer(() => fired.push(['early too', clock.now_ms() - T0]), 100)
  clock.advance(250)
  t.same(fired, [['early', 100], ['early too', 100]])
  t.equal(clock.now_ms(), T0 + 250)
  clock.advance(50)
  t.same(fired.at(-1), ['late', 300])
  t.equal(clock.pendingTimers, 0)
})

t.test('a timer a callback sets within the span fires too; a cancelled one never does', async t => {
  const clock = new ManualClock(T0)
  const fired: number[] = []
  const cancel = clock.setTimer(() => fired.push(-1), 50)
  clock.setTimer(() => {
    fired.push(clock.now_ms() - T0)
    clock.setTimer(() => fired.push(clock.now_ms() - T0), 10)
  }, 20)
  cancel()
  cancel()
  clock.advance(100)
  t.same(fired, [20, 30])
})

t.test('run() lets the promises a timer starts settle before the next timer is due', async t => {
  const clock = new ManualClock(T0)
  const seen: string[] = []
  clock.setTimer(() => {
    void Promise.resolve().then(() => Promise.resolve()).then(() => seen.push('first settled'))
  }, 10)
  clock.setTimer(() => seen.push('second fired'), 20)
  await clock.run(30)
  t.same(seen, ['first settled', 'second fired'])
})

t.test('nextDueMs() tells when the earliest pending timer is due, and nothing once none is', async t => {
  const clock = new ManualClock(T0)
  t.equal(clock.nextDue_ms(), undefined)
  const cancelEarly = clock.setTimer(() => undefined, 40)
  clock.setTimer(() => undefined, 70)
  t.equal(clock.nextDue_ms(), T0 + 40)
  cancelEarly()
  t.equal(clock.nextDue_ms(), T0 + 70)
  clock.advance(70)
  t.equal(clock.nextDue_ms(), undefined)
})

t.test('set() jumps the clock without firing timers', async t => {
  const clock = new ManualClock(T0)
  let fired = false
  clock.setTimer(() => { fired = true }, 10)
  clock.set(T0 - 60_000)
  t.equal(clock.now_ms(), T0 - 60_000)
  t.notOk(fired)
})

t.test('repeat() runs a callback every interval, never two at once, until cancelled', async t => {
  const clock = new ManualClock(T0)
  const starts: number[] = []
  let release: () => void = () => undefined
  const cancel = repeat(clock, () => {
    starts.push(clock.now_ms() - T0)
    return new Promise<void>(resolve => { release = resolve })
  }, 100)
  await clock.run(350)
  t.same(starts, [100], 'the first run has not finished: no second one')
  release()
  await clock.run(100)
  t.same(starts, [100, 450], 'the next interval starts once the run before it has finished')
  cancel()
  release()
  await clock.run(1_000)
  t.same(starts, [100, 450])
  t.equal(clock.pendingTimers, 0)
})

t.test('delays are whole milliseconds, 0 or more', async t => {
  const clock = new ManualClock(T0)
  t.throws(() => clock.setTimer(() => undefined, -1))
  t.throws(() => clock.setTimer(() => undefined, 1.5))
  t.throws(() => systemClock.setTimer(() => undefined, Number.NaN))
})

t.test('the system clock fires and cancels real timers', async t => {
  const fired = await new Promise<boolean>(resolve => { systemClock.setTimer(() => resolve(true), 0) })
  t.ok(fired)
  let late = false
  const cancel = systemClock.setTimer(() => { late = true }, 0, { background: true })
  cancel()
  await new Promise<void>(resolve => { systemClock.setTimer(resolve, 5) })
  t.notOk(late)
})
