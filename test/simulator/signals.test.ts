// Ctrl-C as a person presses it, on the real programs in their own processes: `payall-sim counter`
// stops at once and removes its temporary folder, even when a second Ctrl-C ends it before it is done;
// `payall-sim run` stops before its next payment and says what it removed.

import t from 'tap'
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { Transcript } from '../helpers/transcript'

const SIM = join(__dirname, '..', '..', 'simulator', 'cli.ts')

function sim(args: readonly string[]): { child: ChildProcess; output: Transcript; exited: Promise<number | null> } {
  const child = spawn(process.execPath, [...process.execArgv, SIM, ...args], { stdio: ['pipe', 'pipe', 'pipe'] })
  const output = new Transcript()
  child.stdout!.on('data', chunk => output.add(String(chunk)))
  child.stderr!.on('data', chunk => output.add(String(chunk)))
  const exited = new Promise<number | null>(resolve => child.once('exit', code => resolve(code)))
  return { child, output, exited }
}

t.test('counter: a Ctrl-C while it starts is kept until it can stop, and a second one ends it with its folder removed', async t => {
  const { child, output, exited } = sim(['counter'])
  t.teardown(() => child.kill('SIGKILL'))
  const at = await output.next(/gateway +[0-9A-F]{16} in \S+ \(removed on exit\)\n/)
  const dir = /gateway +[0-9A-F]{16} in (\S+) \(removed on exit\)/.exec(output.text)![1]!
  const workDir = join(dir, '..', '..')
  t.ok(existsSync(workDir))
  // The counter is still starting: this one must not kill it before it has cleaned up.
  child.kill('SIGINT')
  await output.next(/stopping…\n/, at)
  child.kill('SIGINT')
  const code = await exited
  // The second signal usually finds it stopping (130); on a fast machine it may have finished (0). Either way, nothing is left.
  t.ok(code === 130 || code === 0, `exit ${code}`)
  if (code === 130) t.match(output.text, /stopped at once, on a second signal/)
  t.match(output.text, `removed ${workDir}`)
  t.notOk(existsSync(workDir), 'nothing left behind')
})

t.test('run: Ctrl-C stops it before its next payment and says what it removed', async t => {
  const { child, output, exited } = sim(['run', '--terminals', '1', '--customers', '1', '--payments', '400', '--json'])
  t.teardown(() => child.kill('SIGKILL'))
  await output.next(/payall-sim run: hub http:\/\/\S+, data in \S+ \(removed at the end\)\n/)
  child.kill('SIGINT')
  t.equal(await exited, 3)
  t.match(output.text, /payall-sim run: stopping…\n/)
  const removed = /INTERRUPTED: interrupted after (\d+) of 400 payments; removed (\S+)\n/.exec(output.text)
  t.ok(removed, output.text)
  t.notOk(existsSync(removed![2]!), 'the temporary directory is gone')
})
