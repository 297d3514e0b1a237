import t from 'tap'
import { randomBytes } from 'node:crypto'
import { Writable } from 'node:stream'
import pino from 'pino'
import { ackCodec, AckOutcome } from '../../../protocol/messages/ack'
import { revocationCatchUpRequestCodec } from '../../../protocol/messages/revocation-catch-up'
import { revocationDeltaCodec } from '../../../protocol/messages/revocation-delta'
import { riskConfigCodec } from '../../../protocol/messages/risk-config'
import { nodeEd25519 } from '../../../protocol/signature/node'
import { toHex } from '../../../protocol/bytes'
import { makeGatewayPassword } from '../../../hub/mqtt/gateway-password'
import { startHub } from '../../../hub/server'
import { SimulatedGatewayChain } from '../../../simulator/gateway-chain'
import {
  connectGateway, customerWithVoucher, gatewayTopic, hubConfig, nextMessage, OPERATOR, provisionGateway, Rest,
  REVOCATIONS_TOPIC, subscribe, CURRENCY,
} from './running-hub'

function pay(customer: { phone: { authorize: Function } }, gateway: SimulatedGatewayChain, amount_minor: number) {
  return customer.phone.authorize({
    gatewayEui: gateway.eui, amountMinor: amount_minor, currency: CURRENCY, nonce: randomBytes(16), timeMs: Date.now(), merchantName: 'Shop',
  }).authorization
}

t.test('a provisioned gateway syncs over the embedded broker and gets signed acks; nothing settles twice', async t => {
  const dataDir = t.testdir()
  const hub = await startHub(hubConfig(dataDir))
  t.teardown(() => hub.stop())
  const operator = await new Rest(hub.httpUrl).as(OPERATOR.email, OPERATOR.password)
  const provisioned = await provisionGateway(hub, operator, '70B3D57ED0000001', 'awa@shop.example')
  const customer = await customerWithVoucher(operator, 'fatou@phone.example', 100_000, '20000')
  const gateway = new SimulatedGatewayChain(provisioned.eui, provisioned.keys)
  t.equal(provisioned.mqttUrl, hub.mqttUrl, 'provisioning names the port the broker really bound')

  const client = await connectGateway(provisioned.mqttUrl, gateway.eui, gateway.keys)
  t.teardown(() => client.endAsync())
  t.same(await subscribe(client, gatewayTopic(gateway.eui, 'acks')), [1])
  const config = nextMessage(client, gatewayTopic(gateway.eui, 'config'))
  t.same(await subscribe(client, gatewayTopic(gateway.eui, 'config')), [1])
  const risk = riskConfigCodec.decode(new Uint8Array(await config))
  t.ok(riskConfigCodec.verify(risk, provisioned.hubPublicKey, nodeEd25519), 'the retained risk config is hub-signed')

  for (const amount of [1_000, 2_000, 3_000]) gateway.append(pay(customer, gateway, amount))
  const batch = gateway.batch()

  // A batch cut off mid-way is refused whole: no ack, nothing settled.
  const sentinel = nextMessage(client, gatewayTopic(gateway.eui, 'acks'))
  await client.publishAsync(gatewayTopic(gateway.eui, 'records'), Buffer.from(batch.subarray(0, batch.length - 40)), { qos: 1 })
  await client.publishAsync(gatewayTopic(gateway.eui, 'records'), Buffer.from(batch), { qos: 1 })
  const ack = ackCodec.decode(new Uint8Array(await sentinel))
  t.ok(ackCodec.verify(ack, provisioned.hubPublicKey, nodeEd25519))
  t.same(ack.entries.map(e => e.outcome), [AckOutcome.Settled, AckOutcome.Settled, AckOutcome.Settled], 'the first ack answers the whole batch')

  const resent = nextMessage(client, gatewayTopic(gateway.eui, 'acks'))
  await client.publishAsync(gatewayTopic(gateway.eui, 'records'), Buffer.from(batch), { qos: 1 })
  t.same(ackCodec.decode(new Uint8Array(await resent)).entries.map(e => e.outcome), [AckOutcome.Duplicate, AckOutcome.Duplicate, AckOutcome.Duplicate])

  const owner = await new Rest(hub.httpUrl).as('awa@shop.example', 'owner password 1')
  const accounts = await owner.ok('GET', '/accounts')
  t.equal(accounts.accounts[0].balanceMinor, 6_000, 'the merchant was paid once')
  const verify = await operator.ok('GET', '/ledger/verify')
  t.equal(verify.ok, true, 'the ledger keeps its invariants')
})

t.test('the broker refuses bad credentials and keeps gateways to their own topics', async t => {
  const hub = await startHub(hubConfig(t.testdir()))
  t.teardown(() => hub.stop())
  const operator = await new Rest(hub.httpUrl).as(OPERATOR.email, OPERATOR.password)
  const a = await provisionGateway(hub, operator, '70B3D57ED0000002', 'a@shop.example')
  const b = await provisionGateway(hub, operator, '70B3D57ED0000003', 'b@shop.example')

  await t.rejects(connectGateway(hub.mqttUrl!, a.eui, b.keys), 'a password signed by another key')
  const stale = makeGatewayPassword(a.eui, a.keys.secretKey, Date.now() - 60 * 60 * 1000, n => randomBytes(n), nodeEd25519)
  await t.rejects(connectGateway(hub.mqttUrl!, a.eui, a.keys, stale), 'an expired password')
  const password = makeGatewayPassword(a.eui, a.keys.secretKey, Date.now(), n => randomBytes(n), nodeEd25519)
  const first = await connectGateway(hub.mqttUrl!, a.eui, a.keys, password)
  t.teardown(() => first.endAsync(true))
  await t.rejects(connectGateway(hub.mqttUrl!, a.eui, a.keys, password), 'a replayed password')
  await t.rejects(connectGateway(hub.mqttUrl!, 'FFFFFFFFFFFFFFFF', a.keys), 'an unknown gateway')

  const other = await connectGateway(hub.mqttUrl!, b.eui, b.keys)
  t.teardown(() => other.endAsync())
  t.same(await subscribe(first, gatewayTopic(b.eui, 'acks')), [128], 'another gateway\'s acks are not granted')
  t.same(await subscribe(first, 'payall/v1/gw/+/acks'), [128], 'nor a wildcard over every gateway')
  t.same(await subscribe(first, REVOCATIONS_TOPIC), [1], 'the revocation deltas are for everyone')

  // A publish on another gateway's records topic never reaches the hub: b's ack topic stays silent
  // while a sentinel batch of b's own arrives and is answered.
  t.same(await subscribe(other, gatewayTopic(b.eui, 'acks')), [1])
  let forgedAcks = 0
  other.on('message', () => { forgedAcks++ })
  const dropped = new Promise<void>(resolve => first.once('close', () => resolve()))
  first.publish(gatewayTopic(b.eui, 'records'), Buffer.from([6, 1, 0]), { qos: 1 })
  await dropped
  t.pass('the broker drops a gateway that publishes on another gateway\'s topic')
  const gateway = new SimulatedGatewayChain(b.eui, b.keys)
  const customer = await customerWithVoucher(operator, 'c@phone.example', 10_000, '5000')
  gateway.append(pay(customer, gateway, 100))
  const answered = nextMessage(other, gatewayTopic(b.eui, 'acks'))
  await other.publishAsync(gatewayTopic(b.eui, 'records'), Buffer.from(gateway.batch()), { qos: 1 })
  await answered
  t.equal(forgedAcks, 1, 'only the real batch was answered')
})

t.test('a password accepted before a hub restart is refused after it, as a replay', async t => {
  const dataDir = t.testdir()
  let hub = await startHub(hubConfig(dataDir))
  const operator = await new Rest(hub.httpUrl).as(OPERATOR.email, OPERATOR.password)
  const gateway = await provisionGateway(hub, operator, '70B3D57ED0000005', 'r@shop.example')
  const password = makeGatewayPassword(gateway.eui, gateway.keys.secretKey, Date.now(), n => randomBytes(n), nodeEd25519)
  await (await connectGateway(hub.mqttUrl!, gateway.eui, gateway.keys, password)).endAsync(true)
  await hub.stop()

  const refusals: Array<{ mqtt?: { kind?: string; reason?: string } }> = []
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const line of chunk.toString('utf8').split('\n')) if (line !== '') refusals.push(JSON.parse(line))
      callback()
    },
  })
  hub = await startHub(hubConfig(dataDir), { log: pino({ level: 'warn' }, sink) })
  t.teardown(() => hub.stop())
  await t.rejects(connectGateway(hub.mqttUrl!, gateway.eui, gateway.keys, password), 'the same CONNECT, to the restarted hub')
  t.match(refusals.filter(line => line.mqtt?.kind === 'connect-refused'), [{ mqtt: { reason: 'REPLAYED' } }])
  const fresh = await connectGateway(hub.mqttUrl!, gateway.eui, gateway.keys)
  t.ok(fresh.connected, 'a fresh password gets in')
  await fresh.endAsync(true)
})

t.test('a hub stopped and restarted mid-stream loses no acked record and settles none twice', async t => {
  const dataDir = t.testdir()
  let hub = await startHub(hubConfig(dataDir))
  const operator = await new Rest(hub.httpUrl).as(OPERATOR.email, OPERATOR.password)
  const provisioned = await provisionGateway(hub, operator, '70B3D57ED0000004', 'd@shop.example')
  const customer = await customerWithVoucher(operator, 'e@phone.example', 100_000, '50000')
  const gateway = new SimulatedGatewayChain(provisioned.eui, provisioned.keys)
  for (let i = 0; i < 20; i++) gateway.append(pay(customer, gateway, 100 + i))

  let client = await connectGateway(hub.mqttUrl!, gateway.eui, gateway.keys)
  await subscribe(client, gatewayTopic(gateway.eui, 'acks'))
  const firstAck = nextMessage(client, gatewayTopic(gateway.eui, 'acks'))
  await client.publishAsync(gatewayTopic(gateway.eui, 'records'), Buffer.from(gateway.batch(1, 10)), { qos: 1 })
  const acked = ackCodec.decode(new Uint8Array(await firstAck))
  // The second half is in flight when the hub stops.
  void client.publishAsync(gatewayTopic(gateway.eui, 'records'), Buffer.from(gateway.batch(11, 20)), { qos: 1 }).catch(() => undefined)
  await hub.stop()
  await client.endAsync(true)

  hub = await startHub(hubConfig(dataDir))
  t.teardown(() => hub.stop())
  client = await connectGateway(hub.mqttUrl!, gateway.eui, gateway.keys)
  t.teardown(() => client.endAsync())
  await subscribe(client, gatewayTopic(gateway.eui, 'acks'))
  const secondAck = nextMessage(client, gatewayTopic(gateway.eui, 'acks'))
  await client.publishAsync(gatewayTopic(gateway.eui, 'records'), Buffer.from(gateway.batch(1, 20)), { qos: 1 })
  const all = ackCodec.decode(new Uint8Array(await secondAck))
  t.same(all.entries.slice(0, 10).map(e => e.outcome), acked.entries.map(() => AckOutcome.Duplicate), 'what was acked is still there')
  t.ok(all.entries.every(e => e.outcome === AckOutcome.Settled || e.outcome === AckOutcome.Duplicate))
  const expected = Array.from({ length: 20 }, (_, i) => 100 + i).reduce((a, b) => a + b, 0)
  const operatorAgain = await new Rest(hub.httpUrl).as(OPERATOR.email, OPERATOR.password)
  const owner = await new Rest(hub.httpUrl).as('d@shop.example', 'owner password 1')
  const accounts = await owner.ok('GET', '/accounts')
  t.equal(accounts.accounts[0].balanceMinor, expected, 'every payment settled exactly once')
  t.equal((await operatorAgain.ok('GET', '/ledger/verify')).ok, true)
})

t.test('a double spend across two gateways is revoked on the retained revocation topic', async t => {
  const hub = await startHub(hubConfig(t.testdir()))
  t.teardown(() => hub.stop())
  const operator = await new Rest(hub.httpUrl).as(OPERATOR.email, OPERATOR.password)
  const a = await provisionGateway(hub, operator, '70B3D57ED0000005', 'f@shop.example')
  const b = await provisionGateway(hub, operator, '70B3D57ED0000006', 'g@shop.example')
  const customer = await customerWithVoucher(operator, 'h@phone.example', 10_000, '5000')
  const first = new SimulatedGatewayChain(a.eui, a.keys)
  const second = new SimulatedGatewayChain(b.eui, b.keys)
  first.append(pay(customer, first, 4_000))
  customer.phone.forget(customer.voucher)
  second.append(pay(customer, second, 4_000))

  const clientA = await connectGateway(hub.mqttUrl!, a.eui, a.keys)
  const clientB = await connectGateway(hub.mqttUrl!, b.eui, b.keys)
  t.teardown(async () => { await clientA.endAsync(); await clientB.endAsync() })
  await subscribe(clientA, gatewayTopic(a.eui, 'acks'))
  await subscribe(clientB, gatewayTopic(b.eui, 'acks'))
  const ackA = nextMessage(clientA, gatewayTopic(a.eui, 'acks'))
  await clientA.publishAsync(gatewayTopic(a.eui, 'records'), Buffer.from(first.batch()), { qos: 1 })
  await ackA
  const ackB = nextMessage(clientB, gatewayTopic(b.eui, 'acks'))
  await clientB.publishAsync(gatewayTopic(b.eui, 'records'), Buffer.from(second.batch()), { qos: 1 })
  t.same(ackCodec.decode(new Uint8Array(await ackB)).entries.map(e => e.outcome), [AckOutcome.Flagged])

  const listed = nextMessage(clientA, REVOCATIONS_TOPIC)
  await subscribe(clientA, REVOCATIONS_TOPIC)
  const delta = revocationDeltaCodec.decode(new Uint8Array(await listed))
  t.ok(revocationDeltaCodec.verify(delta, a.hubPublicKey, nodeEd25519))
  t.same([delta.serial, delta.follows], [1, 0])
  t.same(delta.added.map(toHex), [toHex(customer.voucher.voucherId)], 'the retained delta reaches the other gateway')

  // A gateway that missed deltas asks on its own request topic and is answered on its own catch-up topic.
  t.same(await subscribe(clientA, gatewayTopic(a.eui, 'revocations/catch-up')), [1])
  t.same(await subscribe(clientA, gatewayTopic(b.eui, 'revocations/catch-up')), [128], 'not on another gateway\'s')
  const answered = nextMessage(clientA, gatewayTopic(a.eui, 'revocations/catch-up'))
  await clientA.publishAsync(gatewayTopic(a.eui, 'revocations/request'),
    Buffer.from(revocationCatchUpRequestCodec.encode({ gatewayEui: a.eui, serial: 0 })), { qos: 1 })
  t.same(revocationDeltaCodec.decode(new Uint8Array(await answered)).added.map(toHex), [toHex(customer.voucher.voucherId)])
})
