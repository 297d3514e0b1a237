// PAYALL_MQTT_LOGINS=dynsec: an external Mosquitto (Debian's, installed by .ci/run) lets in only the
// gateways the hub provisioned, each to its own topics, through its dynamic security plugin driven
// by the hub; a retired gateway is shut out. Nobody gets in anonymously.

import t, { type Test } from 'tap'
import { tryConnect } from '../../helpers/mqtt-login'
import { execFileSync, spawn } from 'node:child_process'
import { existsSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { startHub } from '../../../hub/server'
import { GatewayStore } from '../../../hub/gateways/store'
import { withStoppedHubEngine } from '../../helpers/hub-store'
import { requiredProgram } from '../../helpers/required-program'
import { connectGateway, customerWithVoucher, gatewayTopic, hubConfig, OPERATOR, provisionGateway, Rest } from './running-hub'
import { provisionedTerminal, shutDown } from '../../terminal/hub-world'

const mosquitto = requiredProgram('mosquitto', ['/usr/sbin/mosquitto', '/usr/bin/mosquitto'], 'apt-get install mosquitto; .ci/run does')
// Shipped in Debian's mosquitto package, with the plugin.
const mosquittoCtrl = requiredProgram('mosquitto_ctrl', ['/usr/bin/mosquitto_ctrl', '/usr/sbin/mosquitto_ctrl'], 'apt-get install mosquitto; .ci/run does')
const PLUGIN_PATHS = ['/usr/lib/x86_64-linux-gnu/mosquitto_dynamic_security.so', '/usr/lib/aarch64-linux-gnu/mosquitto_dynamic_security.so',
  '/usr/lib/mosquitto_dynamic_security.so']
const HUB_LOGIN = { username: 'payall-hub', password: 'hub broker secret 1' }

async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', () => resolve()))
  const port = (server.address() as { port: number }).port
  await new Promise(resolve => server.close(resolve))
  return port
}

/** Mosquitto with the dynamic security plugin, initialised as the README says, no anonymous access. */
async function startMosquittoWithLogins(t: Test, dir: string): Promise<string> {
  if (mosquitto.path === undefined) throw new Error('mosquitto is not installed, and .ci/run should have installed it')
  const plugin = PLUGIN_PATHS.find(path => existsSync(path))
  if (plugin === undefined) throw new Error('mosquitto_dynamic_security.so is missing: Debian\'s mosquitto package ships it')
  const dynsecFile = join(dir, 'dynamic-security.json')
  if (mosquittoCtrl.path === undefined) throw new Error('mosquitto_ctrl is missing: Debian\'s mosquitto package ships it')
  execFileSync(mosquittoCtrl.path, ['dynsec', 'init', dynsecFile, HUB_LOGIN.username, HUB_LOGIN.password], { stdio: 'ignore' })
  const port = await freePort()
  const config = join(dir, 'mosquitto.conf')
  writeFileSync(config, [
    `listener ${port} 127.0.0.1`, 'allow_anonymous false', 'per_listener_settings false', `plugin ${plugin}`,
    `plugin_opt_config_file ${dynsecFile}`, 'persistence false', '',
  ].join('\n'))
  const broker = spawn(mosquitto.path, ['-c', config], { stdio: ['ignore', 'ignore', 'pipe'] })
  t.teardown(() => { broker.kill('SIGTERM') })
  const url = `mqtt://127.0.0.1:${port}`
  for (let attempt = 0; attempt < 50; attempt++) {
    if (await tryConnect(url, { username: HUB_LOGIN.username, password: HUB_LOGIN.password }) === 'connected') return url
    await new Promise(resolve => setTimeout(resolve, 50))
  }
  throw new Error('mosquitto did not start')
}

t.test('only provisioned gateways get into the broker, each to its own topics; a retired one is shut out', { skip: mosquitto.skip || mosquittoCtrl.skip }, async t => {
  const dir = t.testdir()
  const brokerUrl = await startMosquittoWithLogins(t, dir)
  t.match(await tryConnect(brokerUrl, {}), /^refused/, 'no anonymous client')
  const withLogin = new URL(brokerUrl)
  withLogin.username = HUB_LOGIN.username
  withLogin.password = encodeURIComponent(HUB_LOGIN.password)
  const hub = await startHub(hubConfig(join(dir, 'hub'), { mqttUrl: withLogin.toString(), mqttLogins: 'dynsec' }))
  t.teardown(() => hub.stop())
  const operator = await new Rest(hub.httpUrl).as(OPERATOR.email, OPERATOR.password)

  // A terminal provisioned as in the field: its reply carries its broker password, and its payments settle.
  const terminal = await provisionedTerminal(hub, operator, dir, '70B3D57ED0000F01', 'logins@shop.example')
  t.teardown(() => shutDown(terminal))
  t.ok(terminal.store.mqttSettings()?.password, 'the password the hub gave is stored')
  const customer = await customerWithVoucher(operator, 'logins@phone.example', 10_000, '5000')
  const paid = await terminal.pay(customer.phone, 1_200)
  t.equal(paid.kind, 'approved')
  const up = terminal.events.next('link', ({ online }) => online)
  await terminal.proxy.up()
  await up
  const report = await terminal.sync.syncNow()
  t.equal(report.settled, 1, 'settled through the broker')

  // Another gateway: its own topics only.
  const other = await provisionGateway(hub, operator, '70B3D57ED0000F02', 'other@shop.example')
  t.ok(other.mqttPassword)
  t.match(await tryConnect(brokerUrl, { clientId: other.eui, username: other.eui, password: 'not its password' }), /^refused/,
    'a wrong password is refused')
  const client = await connectGateway(brokerUrl, other.eui, other.keys, other.mqttPassword)
  t.teardown(() => client.endAsync(true))
  const own = await client.subscribeAsync(gatewayTopic(other.eui, 'acks'), { qos: 1 })
  t.same(own.map(grant => grant.qos), [1], 'its own acks')
  // The broker grants 0x80, which mqtt.js answers with an error.
  await t.rejects(client.subscribeAsync(gatewayTopic(terminal.eui, 'acks'), { qos: 1 }), /Subscribe error/, 'not another gateway\'s')
  await t.rejects(client.subscribeAsync('payall/v1/#', { qos: 1 }), /Subscribe error/, 'nor every topic')
  const again = await client.subscribeAsync(gatewayTopic(other.eui, 'config'), { qos: 1 })
  t.same(again.map(grant => grant.qos), [1], 'and its connection stays')

  // Retired: its login goes, and the connection with it.
  const gatewayId = (await operator.ok('GET', '/gateways')).items.find((item: { eui: string }) => item.eui === terminal.eui).id
  const down = terminal.events.next('link', ({ online }) => !online)
  await operator.ok('DELETE', `/gateways/${gatewayId}`)
  await down
  t.match(await tryConnect(brokerUrl, { clientId: terminal.eui, username: terminal.eui, password: terminal.store.mqttSettings()!.password! }),
    /^refused/, 'the retired gateway cannot log in again')
  t.equal((await operator.ok('GET', '/ledger/verify')).ok, true)
})

t.test('a hub that starts makes the broker\'s logins what its database says', { skip: mosquitto.skip || mosquittoCtrl.skip }, async t => {
  const dir = t.testdir()
  const brokerUrl = await startMosquittoWithLogins(t, dir)
  const withLogin = new URL(brokerUrl)
  withLogin.username = HUB_LOGIN.username
  withLogin.password = encodeURIComponent(HUB_LOGIN.password)
  const config = hubConfig(join(dir, 'hub'), { mqttUrl: withLogin.toString(), mqttLogins: 'dynsec' })
  const first = await startHub(config)
  const operator = await new Rest(first.httpUrl).as(OPERATOR.email, OPERATOR.password)
  const kept = await provisionGateway(first, operator, '70B3D57ED0000F03', 'kept@shop.example')
  const retired = await provisionGateway(first, operator, '70B3D57ED0000F04', 'retired@shop.example')
  await first.stop()
  // Retired while the hub was away from the broker, as an operator might with the broker down.
  await withStoppedHubEngine(config, engine => engine.write(sql => new GatewayStore(engine).retire(sql, retired.id, Date.now())))

  const second = await startHub(config)
  t.teardown(() => second.stop())
  const login = (gateway: typeof kept) => tryConnect(brokerUrl, { clientId: gateway.eui, username: gateway.eui, password: gateway.mqttPassword! })
  t.equal(await login(kept), 'connected', 'a provisioned gateway keeps its login')
  t.match(await login(retired), /^refused/, 'the retired one is shut out at start')
})
