import t from 'tap'
import { chmodSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { ManualClock } from '../../protocol/clock'
import { ServiceWatchdog, systemdNotify, watchdogInterval_ms, type Notify } from '../../terminal/service-watchdog'

function recorder(): { notify: Notify; sent: string[]; hold(): () => void; failWith(message: string | undefined): void } {
  const sent: string[] = []
  let held: Promise<void> | undefined
  let failure: string | undefined
  return {
    sent,
    notify: async state => {
      sent.push(state)
      if (held !== undefined) await held
      if (failure !== undefined) throw new Error(failure)
    },
    hold() {
      let release = (): void => undefined
      held = new Promise(resolve => { release = resolve })
      return () => {
        held = undefined
        release()
      }
    },
    failWith(message) {
      failure = message
    },
  }
}

function watchdog(options: { healthy?: () => boolean; interval_ms?: number | undefined } = {}) {
  const clock = new ManualClock(0)
  const notifier = recorder()
  const errors: string[] = []
  const dog = new ServiceWatchdog({
    notify: notifier.notify, clock, interval_ms: 'interval_ms' in options ? options.interval_ms : 15_000,
    healthy: options.healthy ?? (() => true), onError: error => errors.push(error.message),
  })
  return { clock, dog, errors, ...notifier }
}

t.test('READY=1 first, then WATCHDOG=1 every interval while healthy', async t => {
  const { clock, dog, sent } = watchdog()
  await dog.ready()
  t.same(sent, ['READY=1'])
  await clock.run(14_999)
  t.same(sent, ['READY=1'], 'not before the interval')
  await clock.run(1)
  await clock.run(30_000)
  t.same(sent, ['READY=1', 'WATCHDOG=1', 'WATCHDOG=1', 'WATCHDOG=1'])
  dog.close()
  await clock.run(60_000)
  t.equal(sent.length, 4, 'nothing after close')
})

t.test('an unhealthy terminal is not fed, so systemd restarts it; fed again once healthy', async t => {
  let healthy = true
  let throws = false
  const { clock, dog, sent } = watchdog({ healthy: () => {
    if (throws) throw new Error('SQLITE_IOERR')
    return healthy
  } })
  await dog.ready()
  await clock.run(15_000)
  healthy = false
  await clock.run(45_000)
  t.same(sent, ['READY=1', 'WATCHDOG=1'], 'three beats skipped')
  healthy = true
  throws = true
  await clock.run(15_000)
  t.same(sent, ['READY=1', 'WATCHDOG=1'], 'a health check that throws is unhealthy')
  throws = false
  await clock.run(15_000)
  t.same(sent, ['READY=1', 'WATCHDOG=1', 'WATCHDOG=1'])
  dog.close()
})

t.test('beats never overlap: a notification still in flight holds the next one back', async t => {
  const { clock, dog, sent, hold } = watchdog()
  await dog.ready()
  const release = hold()
  await clock.run(60_000)
  t.same(sent, ['READY=1', 'WATCHDOG=1'], 'one systemd-notify at a time')
  release()
  await clock.run(15_000)
  t.same(sent, ['READY=1', 'WATCHDOG=1', 'WATCHDOG=1'])
  dog.close()
})

t.test('STOPPING=1 on a stop, and the beats go on while the payment in hand finishes', async t => {
  const { clock, dog, sent } = watchdog()
  await dog.ready()
  await dog.stopping()
  await clock.run(30_000)
  t.same(sent, ['READY=1', 'STOPPING=1', 'WATCHDOG=1', 'WATCHDOG=1'])
  dog.close()
})

t.test('without a watchdog in the unit, READY and STOPPING only', async t => {
  const { clock, dog, sent } = watchdog({ interval_ms: undefined })
  await dog.ready()
  await clock.run(120_000)
  await dog.stopping()
  t.same(sent, ['READY=1', 'STOPPING=1'])
  dog.close()
})

t.test('a failing notifier is reported once per cause, and the terminal goes on', async t => {
  const { clock, dog, errors, failWith } = watchdog()
  failWith('spawn systemd-notify ENOENT')
  await dog.ready()
  await clock.run(45_000)
  t.same(errors, ['could not tell systemd READY=1: spawn systemd-notify ENOENT'])
  failWith(undefined)
  await clock.run(15_000)
  failWith('spawn systemd-notify ENOENT')
  await clock.run(15_000)
  t.equal(errors.length, 2, 'reported again after a success in between')
  dog.close()
})

t.test('the interval is half of $WATCHDOG_USEC, for this process only', async t => {
  t.equal(watchdogInterval_ms({ WATCHDOG_USEC: '30000000' }, 42), 15_000)
  t.equal(watchdogInterval_ms({ WATCHDOG_USEC: '30000000', WATCHDOG_PID: '42' }, 42), 15_000)
  t.equal(watchdogInterval_ms({ WATCHDOG_USEC: '30000000', WATCHDOG_PID: '7' }, 42), undefined, 'meant for another process')
  t.equal(watchdogInterval_ms({}, 42), undefined)
  t.equal(watchdogInterval_ms({ WATCHDOG_USEC: '0' }, 42), undefined)
  t.equal(watchdogInterval_ms({ WATCHDOG_USEC: '30s' }, 42), undefined)
  t.equal(watchdogInterval_ms({ WATCHDOG_USEC: '1000' }, 42), 1, 'never a zero interval')
})

t.test('systemd-notify is run with the message, and only inside a Type=notify unit', async t => {
  t.equal(systemdNotify({}), undefined, 'no $NOTIFY_SOCKET: not under systemd')
  const dir = t.testdir()
  const program = join(dir, 'systemd-notify')
  writeFileSync(program, `#!/bin/sh\nprintf '%s %s\\n' "$NOTIFY_SOCKET" "$*" >> ${join(dir, 'sent')}\n`)
  chmodSync(program, 0o755)
  const notify = systemdNotify({ NOTIFY_SOCKET: '/run/systemd/notify', PATH: process.env.PATH }, program)!
  await notify('READY=1')
  await notify('WATCHDOG=1')
  t.equal(readFileSync(join(dir, 'sent'), 'utf8'), '/run/systemd/notify READY=1\n/run/systemd/notify WATCHDOG=1\n')
  await t.rejects(systemdNotify({ NOTIFY_SOCKET: '/run/systemd/notify' }, join(dir, 'missing'))!('READY=1'), { code: 'ENOENT' })
})
