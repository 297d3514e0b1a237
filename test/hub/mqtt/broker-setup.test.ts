// payall-hub broker-setup: the files of a Mosquitto that lets in only what the hub provisions, made once and
// never overwritten, and the two lines the user needs. Mosquitto itself runs in test/hub/cluster/cluster.test.ts.

import t from 'tap'
import { existsSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { systemRandom } from '../../../protocol/clock'
import { BrokerSetupError, brokerSetupCommand, setUpBroker } from '../../../hub/mqtt/broker-setup'
import { requiredProgram } from '../../helpers/required-program'

const mosquittoCtrl = requiredProgram('mosquitto_ctrl', ['/usr/bin/mosquitto_ctrl', '/usr/sbin/mosquitto_ctrl'], 'apt-get install mosquitto; .ci/run does')
const skip = mosquittoCtrl.skip

function captured() {
  const out = { stdout: '', stderr: '' }
  return { out, io: { stdout: { write: (text: string) => { out.stdout += text } }, stderr: { write: (text: string) => { out.stderr += text } } } }
}

t.test('makes a configuration without anonymous access, the plugin\'s file with the hub\'s login, and the hub\'s password', { skip }, async t => {
  const dir = t.testdir()
  const setup = setUpBroker({ dir, port: 18_999, host: '127.0.0.1', random: systemRandom })
  t.equal(setup.created, true)
  const config = readFileSync(join(dir, 'mosquitto.conf'), 'utf8').split('\n')
  for (const line of ['listener 18999 127.0.0.1', 'allow_anonymous false', 'per_listener_settings false',
    `plugin_opt_config_file ${join(dir, 'dynamic-security.json')}`, 'max_queued_messages 1000', `max_queued_bytes ${4 * 1024 * 1024}`,
    'persistent_client_expiration 7d', 'persistence true', `persistence_location ${dir}/`]) {
    t.ok(config.includes(line), line)
  }
  const plugin = config.find(line => line.startsWith('plugin '))!.slice('plugin '.length)
  t.ok(existsSync(plugin), `the plugin is this machine's: ${plugin}`)

  const password = readFileSync(join(dir, 'hub-password'), 'utf8').trim()
  t.match(password, /^[\w-]{32}$/, 'a generated password, safe in a URL')
  t.equal(statSync(join(dir, 'hub-password')).mode & 0o777, 0o600, 'the password file is the owner\'s only')
  t.equal(statSync(join(dir, 'dynamic-security.json')).mode & 0o777, 0o600, 'and so is the plugin\'s, which holds password hashes')
  const dynsec = JSON.parse(readFileSync(join(dir, 'dynamic-security.json'), 'utf8'))
  t.same(dynsec.clients.map((client: { username: string }) => client.username), ['payall-hub'], 'the hub is the plugin\'s one login')
  t.equal(setup.brokerUrl, 'mqtt://127.0.0.1:18999')
  t.equal(setup.hubLoginUrl, `mqtt://payall-hub:${password}@127.0.0.1:18999`)
})

t.test('a complete setup is kept and given again; a partial one, or one for another listener, is refused', { skip }, async t => {
  const dir = t.testdir()
  const first = setUpBroker({ dir, port: 18_998, random: systemRandom })
  const config = readFileSync(join(dir, 'mosquitto.conf'), 'utf8')
  const again = setUpBroker({ dir, random: systemRandom })
  t.equal(again.created, false)
  t.equal(again.hubLoginUrl, first.hubLoginUrl, 'the same password')
  t.equal(readFileSync(join(dir, 'mosquitto.conf'), 'utf8'), config, 'the configuration untouched')
  t.throws(() => setUpBroker({ dir, port: 1883, random: systemRandom }), { name: 'BrokerSetupError', code: 'BROKER_SETUP_EXISTS' })

  const partial = t.testdir({ 'dynamic-security.json': '{}' })
  t.throws(() => setUpBroker({ dir: partial, random: systemRandom }), { code: 'BROKER_SETUP_EXISTS' })
  t.equal(readFileSync(join(partial, 'dynamic-security.json'), 'utf8'), '{}', 'nothing overwritten')
  t.notOk(existsSync(join(partial, 'mosquitto.conf')))
})

t.test('without the dynamic security plugin it says so and writes nothing', async t => {
  const dir = join(t.testdir(), 'broker')
  const error = t.throws(() => setUpBroker({ dir, random: systemRandom, pluginCandidates: ['/nowhere/mosquitto_dynamic_security.so'] }))
  t.ok(error instanceof BrokerSetupError)
  t.equal((error as BrokerSetupError).code, 'DYNSEC_PLUGIN_MISSING')
  t.match((error as Error).message, /\/nowhere\/mosquitto_dynamic_security\.so/)
  t.notOk(existsSync(dir))
})

t.test('the command prints the broker\'s command and the hubs\' settings; a bad option or an existing setup exits 2', { skip }, async t => {
  const dir = t.testdir()
  const made = captured()
  t.equal(brokerSetupCommand(['--dir', dir, '--port', '18997'], systemRandom, made.io), 0)
  const password = readFileSync(join(dir, 'hub-password'), 'utf8').trim()
  t.equal(made.out.stdout, `mosquitto -c ${join(dir, 'mosquitto.conf')}\n`
    + `PAYALL_MQTT_URL=mqtt://payall-hub:${password}@127.0.0.1:18997 PAYALL_MQTT_LOGINS=dynsec\n`)
  const shown = captured()
  t.equal(brokerSetupCommand(['--dir', dir], systemRandom, shown.io), 0, 'a complete setup is shown again')
  t.equal(shown.out.stdout, made.out.stdout)

  for (const argv of [[], ['--dir', dir, '--port', 'many'], ['--dir', dir, '--verbose'], ['--dir', dir, '--port', '1']]) {
    const refused = captured()
    t.equal(brokerSetupCommand(argv, systemRandom, refused.io), 2, argv.join(' '))
    t.match(refused.out.stderr, /^payall-hub broker-setup: (BAD_OPTION|BROKER_SETUP_EXISTS): /)
  }
})
