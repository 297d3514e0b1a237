// deploy/pi: the systemd unit passes `systemd-analyze verify` once install.sh has filled it in, runs
// node with the terminal's own flags, and install.sh fills every placeholder and parses.

import t from 'tap'
import { execFile } from 'node:child_process'
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs'
import { basename, join } from 'node:path'
import { promisify } from 'node:util'
import { TERMINAL_NODE_FLAGS } from '../../terminal/node-flags'
import { dataFiles } from '../../terminal/store/store'
import { requiredProgram } from '../helpers/required-program'

const root = join(__dirname, '..', '..')
const unitTemplate = readFileSync(join(root, 'deploy', 'pi', 'payall-terminal.service'), 'utf8')
const installScript = readFileSync(join(root, 'deploy', 'pi', 'install.sh'), 'utf8')
const systemdAnalyze = requiredProgram('systemd-analyze', ['/usr/bin/systemd-analyze', '/bin/systemd-analyze'], 'apt-get install systemd; .ci/run does')

/** The unit as install.sh writes it: this machine's node, and a release folder holding the project. */
function renderUnit(node: string, app: string): string {
  return unitTemplate.replaceAll('@NODE@', node).replaceAll('@APP@', app)
}

/** The lines of `key=` in the unit's sections, in order. */
function settings(unit: string, key: string): string[] {
  return unit.split('\n').filter(line => line.startsWith(`${key}=`)).map(line => line.slice(key.length + 1))
}

t.test('systemd-analyze verify passes on the unit install.sh writes', { skip: systemdAnalyze.skip }, async t => {
  t.ok(systemdAnalyze.path, 'systemd-analyze is installed')
  const dir = t.testdir()
  const app = join(dir, 'current')
  mkdirSync(join(app, 'node_modules'), { recursive: true })
  symlinkSync(root, join(app, 'node_modules', 'payall'))
  const unit = join(dir, 'payall-terminal.service')
  writeFileSync(unit, renderUnit(process.execPath, app))
  const { stderr } = await promisify(execFile)(systemdAnalyze.path!, ['verify', unit])
  // verify exits 0 on a setting it cannot parse and only says so: any word about this unit is a failure.
  t.same(stderr.split('\n').filter(line => line.includes(basename(unit))), [], stderr)
})

t.test('the unit runs node with the terminal\'s flags, under a watchdog, restarted on failure', async t => {
  const [execStart, ...more] = settings(unitTemplate, 'ExecStart')
  t.same(more, [])
  const [node, ...args] = execStart!.split(' ')
  t.equal(node, '@NODE@')
  t.same(args, [...TERMINAL_NODE_FLAGS, '@APP@/node_modules/payall/dist/terminal/cli.js', 'run'], 'terminal/node-flags.ts, then the launcher\'s script')
  t.same(settings(unitTemplate, 'Type'), ['notify'])
  t.same(settings(unitTemplate, 'NotifyAccess'), ['all'], 'systemd-notify, a child, sends the messages')
  t.same(settings(unitTemplate, 'Restart'), ['on-failure'])
  t.match(settings(unitTemplate, 'WatchdogSec')[0], /^\d+$/)
  t.match(settings(unitTemplate, 'SupplementaryGroups')[0]?.split(' '), ['dialout', 'gpio'])
  t.same(settings(unitTemplate, 'StateDirectoryMode'), ['0700'])
  t.same(settings(unitTemplate, 'StandardOutput'), ['journal'])
  t.ok(Number(settings(unitTemplate, 'TimeoutStopSec')[0]) >= 60, 'time to finish the payment in hand')
})

t.test('install.sh parses, fills every placeholder of the unit, and knows the key file by its name', async t => {
  await promisify(execFile)('bash', ['-n', join(root, 'deploy', 'pi', 'install.sh')])
  const placeholders = new Set(unitTemplate.match(/@[A-Z]+@/g))
  t.same([...placeholders].sort(), ['@APP@', '@NODE@'])
  for (const placeholder of placeholders) t.match(installScript, `s|${placeholder}|`, `install.sh fills ${placeholder}`)
  t.match(installScript, `$DATA_DIR/${basename(dataFiles('/').keyFile)}`, 'a second run keeps the key')
})
