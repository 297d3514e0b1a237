import t, { type Test } from 'tap'
import { spawn } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import mqtt from 'mqtt'
import { ackCodec, AckOutcome } from '../../../protocol/messages/ack'
import { Reason } from '../../../protocol/reasons'
import { startHub } from '../../../hub/server'
import { SimulatedGatewayChain } from '../../../simulator/gateway-chain'
import { nodeEd25519 } from '../../../protocol/signature/node'
import { requiredProgram } from '../../helpers/required-program'
import { customerWithVoucher, gatewayTopic, hubConfig, nextMessage, OPERATOR, provisionGateway, Rest, CURRENCY } from './running-hub'
import { openStream } from '../events/sse'
import { attachTerminal, provisionedTerminal, shutDown } from '../../terminal/hub-world'
import { systemClock, systemRandom } from '../../../protocol/clock'
import { initTerminal } from '../../../terminal/init'
import { provision } from '../../../terminal/provision'
import { TerminalStore } from '../../../terminal/store/store'

// PAYALL_MQTT_URL: the hub uses an external broker (Mosquitto from Debian, installed by .ci/run)
// instead of its own. Such a broker authenticates nobody for the hub: every payload is signed
// end to end, so a forged batch is refused by the hub itself.

const mosquitto = requiredProgram('mosquitto', ['/usr/sbin/mosquitto', '/usr/bin/mosquitto'], 'apt-get install mosquitto; .ci/run does')

async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', () => resolve()))
  const port = (server.address() as { port: number }).port
  await new Promise(resolve => server.close(resolve))
  return port
}

async function startMosquitto(t: Test, dir: string): Promise<string> {
  const port = await freePort()
  const config = join(dir, 'mosquitto.conf')
  writeFileSync(config, `listener ${port} 127.0.0.1\nallow_anonymous true\npersistence false\n`)
  if (mosquitto.path === undefined) throw new Error('mosquitto is not installed, and .ci/run should have installed it')
  const broker = spawn(mosquitto.path, ['-c', config], { stdio: ['ignore', 'ignore', 'pipe'] })
  t.teardown(() => { broker.kill('SIGTERM') })
  const url = `mqtt://127.0.0.1:${port}`
  // Await readiness: connect until the broker answers (bounded tries, each one a real connect).
  for (let attempt = 0; attempt < 50; attempt++) {
    const ok = await new Promise<boolean>(resolve => {
      const probe = mqtt.connect(url, { reconnectPeriod: 0, connectTimeout: 1000 })
      probe.once('connect', () => { probe.end(true); resolve(true) })
      probe.once('error', () => { probe.end(true); resolve(false) })
      probe.once('close', () => resolve(false))
    })
    if (ok) return url
    await new Promise(resolve => setImmediate(resolve))
  }
  throw new Error('mosquitto did not start')
}

t.test('the hub settles through an external Mosquitto broker and still refuses what is forged', { skip: mosquitto.skip }, async t => {
  const dir = t.testdir()
  const brokerUrl = await startMosquitto(t, dir)
  const hub = await startHub(hubConfig(join(dir, 'hub'), { mqttUrl: brokerUrl }))
  t.teardown(() => hub.stop())
  t.equal(hub.mqttUrl, `${brokerUrl}`, 'gateways are sent to the external broker')
  const operator = await new Rest(hub.httpUrl).as(OPERATOR.email, OPERATOR.password)
  const provisioned = await provisionGateway(hub, operator, '70B3D57ED00000E1', 'ext@shop.example')
  t.equal(provisioned.mqttUrl, brokerUrl)
  const customer = await customerWithVoucher(operator, 'ext@phone.example', 10_000, '5000')
  const chain = new SimulatedGatewayChain(provisioned.eui, provisioned.keys)
  chain.append(customer.phone.authorize({
    gatewayEui: chain.eui, amountMinor: 700, currency: CURRENCY, nonce: randomBytes(16), timeMs: Date.now(), merchantName: 'Shop',
  }).authorization)

  const client = mqtt.connect(brokerUrl, { clientId: chain.eui, reconnectPeriod: 0 })
  await new Promise<void>((resolve, reject) => { client.once('connect', () => resolve()); client.once('error', reject) })
  t.teardown(() => client.endAsync(true))
  await client.subscribeAsync(gatewayTopic(chain.eui, 'acks'), { qos: 1 })

  const forger = new SimulatedGatewayChain(chain.eui, nodeEd25519.keyPairFromSeed(randomBytes(32)))
  forger.append(chain.records[0]!.authorization)
  const refused = nextMessage(client, gatewayTopic(chain.eui, 'acks'))
  await client.publishAsync(gatewayTopic(chain.eui, 'records'), Buffer.from(forger.batch()), { qos: 1 })
  t.same(ackCodec.decode(new Uint8Array(await refused)).entries.map(e => [e.outcome, e.reason]),
    [[AckOutcome.Rejected, Reason.BadGatewaySignature]], 'a batch the gateway did not sign moves no money')

  const settled = nextMessage(client, gatewayTopic(chain.eui, 'acks'))
  await client.publishAsync(gatewayTopic(chain.eui, 'records'), Buffer.from(chain.batch()), { qos: 1 })
  t.same(ackCodec.decode(new Uint8Array(await settled)).entries.map(e => e.outcome), [AckOutcome.Settled])
  t.equal((await operator.ok('GET', '/ledger/verify')).ok, true)
})

t.test('through Mosquitto, a terminal\'s presence reaches the hub: online once it connects, offline by its last will when its link drops', { skip: mosquitto.skip }, async t => {
  const dir = t.testdir()
  const brokerUrl = await startMosquitto(t, dir)
  const hub = await startHub(hubConfig(join(dir, 'hub'), { mqttUrl: brokerUrl }))
  t.teardown(() => hub.stop())
  const operator = await new Rest(hub.httpUrl).as(OPERATOR.email, OPERATOR.password)
  const terminal = await provisionedTerminal(hub, operator, dir, '70B3D57ED00000E2', 'presence@ext.example')
  t.teardown(() => shutDown(terminal))
  const gatewayId = (await operator.ok('GET', '/gateways')).items.find((item: { eui: string }) => item.eui === terminal.eui).id
  const login = await (await fetch(`${hub.httpUrl}/users/login`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'presence@ext.example', password: 'owner password 1' }),
  })).json() as { token: string }
  const stream = await openStream(hub.httpUrl, login.token)
  t.teardown(() => stream.close())
  await stream.next()
  await stream.next()

  await terminal.proxy.up()
  t.match(await stream.nextEvent(), { type: 'gateway.presence', data: { gatewayId, online: true } }, 'its retained presence, signed')
  t.match(await operator.ok('GET', `/gateways/${gatewayId}/status`), { online: true })

  // The link drops, as a network does: the terminal never says goodbye, so Mosquitto publishes its last will.
  await terminal.proxy.down()
  t.match(await stream.nextEvent(), { type: 'gateway.presence', data: { gatewayId, online: false } }, 'its last will, signed')
  t.match(await operator.ok('GET', `/gateways/${gatewayId}/status`), { online: false })
})

t.test('through Mosquitto, a re-imaged gateway starts a new chain at 1 and settles; its old key is shut out; retired, it leaves no retained message', { skip: mosquitto.skip }, async t => {
  const dir = t.testdir()
  const brokerUrl = await startMosquitto(t, dir)
  const hub = await startHub(hubConfig(join(dir, 'hub'), { mqttUrl: brokerUrl }))
  t.teardown(() => hub.stop())
  const operator = await new Rest(hub.httpUrl).as(OPERATOR.email, OPERATOR.password)
  const first = await provisionedTerminal(hub, operator, dir, '70B3D57ED00000E3', 'reimage@ext.example')
  const customer = await customerWithVoucher(operator, 'reimage@phone.example', 10_000, '5000')
  const seqOf = (outcome: Awaited<ReturnType<typeof first.pay>>) => outcome.kind === 'approved' ? outcome.record.gatewaySeq : outcome.kind
  t.same([seqOf(await first.pay(customer.phone, 300)), seqOf(await first.pay(customer.phone, 400))], [1, 2])
  await first.proxy.up()
  t.ok(await first.sync.waitOnline(10_000))
  t.match(await first.sync.syncNow(), { settled: 2, error: null })
  await shutDown(first)
  const gatewayId = (await operator.ok('GET', '/gateways')).items.find((item: { eui: string }) => item.eui === first.eui).id

  // A new SD card: a fresh data directory and key, provisioned again with a new token for the same gateway.
  const { token } = await operator.ok('POST', `/gateways/${gatewayId}/provisioning-token`)
  const dataDir = join(dir, 'reimaged')
  const store = initTerminal(dataDir, first.eui, { clock: systemClock, random: systemRandom })
  await provision(store, hub.httpUrl, token, { fetch, clock: systemClock, ed25519: nodeEd25519 })
  const second = await attachTerminal(store, dataDir, first.ownerEmail, hub.mqttUrl!)
  t.teardown(() => shutDown(second))
  t.same([seqOf(await second.pay(customer.phone, 500))], [1], 'the new chain starts at 1')
  await second.proxy.up()
  t.ok(await second.sync.waitOnline(10_000))
  t.match(await second.sync.syncNow(), { pendingLeft: 0, error: null })
  t.match(second.store.record(1), { status: 'acked', ackOutcome: 'settled' }, 'and settles: no fork')
  t.match(await operator.ok('GET', `/gateways/${gatewayId}/status`),
    { chainNumber: 2, chain: { contiguousSeq: 1 }, closingChains: [], forkCount: 0 })

  // The old card, still around, cannot take the gateway's place: what its key signs is refused, and no money moves.
  // The new card goes offline first: both log in under the gateway's client id, and the broker would hand the
  // session back and forth between them (each connection taking over the other's), which this test is not about.
  const secondDown = second.events.next('link', ({ online }) => !online)
  await second.proxy.down()
  await secondDown
  const old = await attachTerminal(TerminalStore.open(first.dataDir), first.dataDir, first.ownerEmail, hub.mqttUrl!)
  t.teardown(() => shutDown(old))
  t.same([seqOf(await old.pay(customer.phone, 600))], [3])
  await old.proxy.up()
  t.ok(await old.sync.waitOnline(10_000))
  t.match(await old.sync.syncNow(), { pendingLeft: 0, error: null })
  t.match(old.store.record(3), { status: 'rejected', ackReason: Reason.ChainClosed }, 'its chain is closed')
  t.equal((await operator.ok('GET', '/ledger/verify')).ok, true)
  await shutDown(old)

  // Retired, the gateway's retained config and presence leave the broker: a client subscribing then gets neither.
  await shutDown(second)
  const connected = async () => {
    const client = mqtt.connect(brokerUrl, { reconnectPeriod: 0 })
    await new Promise<void>((resolve, reject) => { client.once('connect', () => resolve()); client.once('error', reject) })
    t.teardown(() => client.endAsync(true))
    return client
  }
  const topics = [gatewayTopic(first.eui, 'config'), gatewayTopic(first.eui, 'status')]
  const watcher = await connected()
  const cleared = new Promise<void>(resolve => {
    const emptied = new Set<string>()
    watcher.on('message', (topic, payload) => {
      if (payload.length === 0) emptied.add(topic)
      if (emptied.size === topics.length) resolve()
    })
  })
  await watcher.subscribeAsync(topics, { qos: 1 })
  await operator.ok('DELETE', `/gateways/${gatewayId}`)
  await cleared
  const client = await connected()
  const retained: string[] = []
  client.on('message', (topic, _payload, packet) => { if (packet.retain) retained.push(topic) })
  const probe = `test/probe/${first.eui}`
  await client.subscribeAsync([...topics, probe], { qos: 1 })
  // Mosquitto sends what it retains on a subscription before it relays this client's later publish back.
  const probed = nextMessage(client, probe)
  await client.publishAsync(probe, 'after the subscription', { qos: 1 })
  await probed
  t.same(retained, [], 'nothing retained for the retired gateway')
})
