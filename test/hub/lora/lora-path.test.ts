import t, { type Test } from 'tap'
import { randomBytes } from 'node:crypto'
import { createServer, type AddressInfo } from 'node:net'
import { join } from 'node:path'
import { fromBase64, toHex } from '../../../protocol/bytes'
import { ManualClock } from '../../../protocol/clock'
import { ackCodec } from '../../../protocol/messages/ack'
import { commitmentFrameCodec, type CommitmentFrame } from '../../../protocol/messages/commitment-frame'
import { FragmentReassembler, LoraRevocationKind, loraRevocationCodec } from '../../../protocol/messages/lora-revocation'
import { nodeEd25519 } from '../../../protocol/signature/node'
import type { HubConfig } from '../../../hub/config'
import { RECONNECT_INITIAL_MS_DEFAULT } from '../../../hub/mqtt/hub-client'
import { startHub, type RunningHub } from '../../../hub/server'
import { LoraStore } from '../../../hub/lora/store'
import { SimulatedGatewayChain } from '../../../simulator/gateway-chain'
import {
  connectGateway, CURRENCY, customerWithVoucher, gatewayTopic, hubConfig, nextMessage, OPERATOR, provisionGateway, Rest,
} from '../e2e/running-hub'
import {
  CHIRPSTACK_APPLICATION, chirpstackUplink, LNS_CREDENTIALS, startTestNetworkServer, TTS_APPLICATION, ttsUplink,
  type TestNetworkServer,
} from './network-server'
import { insertVouchers } from '../helpers/vouchers'
import { watchedLog } from '../helpers/watched-log'

const EUI = '70B3D57ED0004C01'

interface LoraWorld {
  hub: RunningHub
  lns: TestNetworkServer
  operator: Rest
  gateway: { id: string; eui: string; keys: ReturnType<typeof nodeEd25519.keyPairFromSeed>; hubPublicKey: Uint8Array }
}

async function loraWorld(t: Test, format: HubConfig['loraFormat'], config: Partial<HubConfig> = {}): Promise<LoraWorld> {
  const lns = await startTestNetworkServer()
  t.teardown(() => lns.close())
  const hub = await startHub(hubConfig(join(t.testdir(), 'hub'), {
    loraMqttUrl: lns.broker.url,
    loraFormat: format,
    loraApplication: format === 'tts' ? TTS_APPLICATION : CHIRPSTACK_APPLICATION,
    loraUsername: LNS_CREDENTIALS.username,
    loraPassword: LNS_CREDENTIALS.password,
    ...config,
  }))
  t.teardown(() => hub.stop())
  await hub.lora!.connected()
  const operator = await new Rest(hub.httpUrl).as(OPERATOR.email, OPERATOR.password)
  const gateway = await provisionGateway(hub, operator, EUI, `owner-${format}@shop.example`)
  return { hub, lns, operator, gateway }
}

function frame(fields: Partial<CommitmentFrame> = {}): Uint8Array {
  return commitmentFrameCodec.encode({
    gatewaySeq: 0, unsyncedCount: 0, unsyncedAmountMinor: 0, currency: CURRENCY, headPrefix: new Uint8Array(16),
    timeS: 1_795_000_000, ...fields,
  })
}

/** Publishes as the network server does and resolves with what the hub made of it. */
async function deliver(world: LoraWorld, uplink: { topic: string; json: unknown } | { topic: string; raw: Buffer }) {
  const outcome = world.hub.lora!.reports.next()
  const payload = 'raw' in uplink ? uplink.raw : JSON.stringify(uplink.json)
  await world.lns.client.publishAsync(uplink.topic, payload, { qos: 1 })
  return outcome
}

async function loraView(world: LoraWorld) {
  return world.operator.ok('GET', `/gateways/${world.gateway.id}/lora`)
}

t.test('ChirpStack v4: a commitment frame shows in the gateway view with its radio metadata', async t => {
  const world = await loraWorld(t, 'chirpstack')
  t.same(await loraView(world), { gatewayId: world.gateway.id, eui: EUI, lastReport: null, mismatchCount: 0, reports: [] })
  const headPrefix = Uint8Array.from({ length: 16 }, (_, i) => i + 1)
  const outcome = await deliver(world, chirpstackUplink({
    devEui: EUI, fCnt: 7, payload: frame({ gatewaySeq: 3, unsyncedCount: 2, unsyncedAmountMinor: 4_500, headPrefix }),
    rssi: [-118, -97], snr: [-7.5, 3.25],
  }))
  t.match(outcome, { taken: true, check: { state: 'pending' } }, 'records 1–3 have not come over IP yet')
  const view = await loraView(world)
  t.match(view.lastReport, {
    fCnt: 7, gatewaySeq: 3, unsyncedCount: 2, unsyncedAmountMinor: 4_500, unsyncedAmount: '4500', currency: CURRENCY,
    headPrefix: '0102030405060708090a0b0c0d0e0f10', frameTime: new Date(1_795_000_000_000).toISOString(),
    rssi: -97, snr: 3.25, check: 'pending', mismatch: null,
  })
  t.equal(view.reports.length, 1)

  // Fields at their default are absent in ChirpStack's JSON: fCnt 0, no rxInfo.
  const other = '70B3D57ED0004C02'
  await provisionGateway(world.hub, world.operator, other, 'second@shop.example')
  const first = chirpstackUplink({ devEui: other, fCnt: 0, payload: frame() })
  delete first.json.rxInfo
  t.match(await deliver(world, first), { taken: true, check: { state: 'consistent' } }, 'an empty chain has the genesis head')
})

t.test('ChirpStack v4: every bad uplink is refused with its code and changes nothing', async t => {
  const world = await loraWorld(t, 'chirpstack')
  const good = () => chirpstackUplink({ devEui: EUI, fCnt: 5, payload: frame() })
  const cases: Array<[string, { topic: string; json: unknown } | { topic: string; raw: Buffer }, string]> = [
    ['not JSON', { topic: good().topic, raw: Buffer.from('{"deviceInfo": ') }, 'BAD_JSON'],
    ['a JSON array', { topic: good().topic, json: [1, 2] }, 'BAD_JSON'],
    ['no deviceInfo', { topic: good().topic, json: { ...good().json, deviceInfo: undefined } }, 'BAD_UPLINK'],
    ['a DevEUI that is no EUI', (() => {
      const u = good()
      return { topic: u.topic, json: { ...u.json, deviceInfo: { devEui: 'not-an-eui' } } }
    })(), 'BAD_UPLINK'],
    ['a DevEUI other than the topic\'s', (() => {
      const u = good()
      return { topic: u.topic.replace(EUI.toLowerCase(), '70b3d57ed0004c99'), json: u.json }
    })(), 'BAD_UPLINK'],
    ['another application in the payload', (() => {
      const u = good()
      return { topic: u.topic, json: { ...u.json, deviceInfo: { ...(u.json.deviceInfo as object), applicationId: 'other' } } }
    })(), 'FOREIGN_APPLICATION'],
    ['a device that is no provisioned gateway', chirpstackUplink({ devEui: '70B3D57ED0004C99', fCnt: 5, payload: frame() }), 'UNKNOWN_DEVICE'],
    ['another fPort', chirpstackUplink({ devEui: EUI, fCnt: 5, fPort: 2, payload: frame() }), 'WRONG_PORT'],
    ['fPort 0 (absent): MAC commands only', chirpstackUplink({ devEui: EUI, fCnt: 5, fPort: 0, payload: frame() }), 'WRONG_PORT'],
    ['an fCnt that is not an integer', { topic: good().topic, json: { ...good().json, fCnt: '5' } }, 'BAD_UPLINK'],
    ['data that is not base64', { topic: good().topic, json: { ...good().json, data: '***' } }, 'BAD_UPLINK'],
    ['an rssi that is not a number', { topic: good().topic, json: { ...good().json, rxInfo: [{ rssi: 'loud' }] } }, 'BAD_UPLINK'],
    ['a payload that is no frame', chirpstackUplink({ devEui: EUI, fCnt: 5, payload: randomBytes(20) }), 'BAD_FRAME'],
    ['a frame cut short', chirpstackUplink({ devEui: EUI, fCnt: 5, payload: frame().subarray(0, 30) }), 'BAD_FRAME'],
  ]
  for (const [name, uplink, code] of cases) {
    const outcome = await deliver(world, uplink)
    t.match(outcome, { taken: false, error: { code } }, name)
  }
  t.equal((await loraView(world)).reports.length, 0, 'nothing was stored')

  t.match(await deliver(world, good()), { taken: true }, 'the hub still takes a good uplink')
  t.match(await deliver(world, good()), { taken: false, error: { code: 'OLD_FRAME_COUNTER' } }, 'a duplicate is ignored')
  t.match(await deliver(world, chirpstackUplink({ devEui: EUI, fCnt: 4, payload: frame() })),
    { taken: false, error: { code: 'OLD_FRAME_COUNTER' } }, 'an older frame is ignored')
  t.match(await deliver(world, chirpstackUplink({ devEui: EUI, fCnt: 1, payload: frame({ timeS: 1_795_000_600 }) })),
    { taken: true }, 'a lower counter with a later frame time is a new session after a rejoin')
  t.match(await deliver(world, chirpstackUplink({ devEui: EUI, fCnt: 1, payload: frame({ timeS: 1_795_000_900 }) })),
    { taken: true }, 'so is the same counter with a later frame time: a session that sent one frame, then a rejoin (seed radio.2)')
  t.match(await deliver(world, chirpstackUplink({ devEui: EUI, fCnt: 1, payload: frame({ timeS: 1_795_000_900 }) })),
    { taken: false, error: { code: 'OLD_FRAME_COUNTER' } }, 'the same frame again is a duplicate')
  t.equal((await loraView(world)).reports.length, 3)
  t.equal(world.hub.lora!.reports.counters.OLD_FRAME_COUNTER, 3)
  t.equal(world.hub.lora!.reports.counters.BAD_JSON, 2)
})

t.test('The Things Stack v3: uplinks by device id, and its bad input refused', async t => {
  const world = await loraWorld(t, 'tts')
  const uplink = ttsUplink({ deviceId: 'counter-1', devEui: EUI, fCnt: 3, payload: frame(), rssi: [-101], snr: [-2] })
  t.match(await deliver(world, uplink), { taken: true, check: { state: 'consistent' } })
  t.match((await loraView(world)).lastReport, { fCnt: 3, rssi: -101, snr: -2, check: 'consistent' })

  const noMessage = ttsUplink({ deviceId: 'counter-1', devEui: EUI, fCnt: 4, payload: frame() })
  delete noMessage.json.uplink_message
  t.match(await deliver(world, noMessage), { taken: false, error: { code: 'BAD_UPLINK' } })
  const otherDevice = ttsUplink({ deviceId: 'counter-1', devEui: EUI, fCnt: 4, payload: frame() })
  t.match(await deliver(world, { topic: otherDevice.topic.replace('counter-1', 'counter-2'), json: otherDevice.json }),
    { taken: false, error: { code: 'BAD_UPLINK' } }, 'the topic and the payload name the same device')
  const foreign = ttsUplink({ deviceId: 'counter-1', devEui: EUI, fCnt: 4, payload: frame() })
  ;(foreign.json.end_device_ids as { application_ids: object }).application_ids = { application_id: 'someone-else' }
  t.match(await deliver(world, foreign), { taken: false, error: { code: 'FOREIGN_APPLICATION' } })
  t.match(await deliver(world, ttsUplink({ deviceId: 'counter-1', devEui: EUI, fCnt: 4, fPort: 99, payload: frame() })),
    { taken: false, error: { code: 'WRONG_PORT' } })
  t.equal((await loraView(world)).reports.length, 1)
})

/** Pays `amounts` offline at the simulated gateway and uploads them over IP; resolves on the hub's ack. */
async function uploadOverIp(world: LoraWorld, chain: SimulatedGatewayChain, fromSeq: number, toSeq: number) {
  const client = await connectGateway(world.hub.mqttUrl!, chain.eui, chain.keys)
  try {
    await client.subscribeAsync(gatewayTopic(chain.eui, 'acks'), { qos: 1 })
    const ack = nextMessage(client, gatewayTopic(chain.eui, 'acks'))
    await client.publishAsync(gatewayTopic(chain.eui, 'records'), Buffer.from(chain.batch(fromSeq, toSeq)), { qos: 1 })
    return ackCodec.decode(new Uint8Array(await ack))
  } finally {
    await client.endAsync()
  }
}

function hashAt(chain: SimulatedGatewayChain, seq: number): Uint8Array {
  return seq === chain.position.gatewaySeq ? chain.position.hash : chain.records[seq]!.previousHash
}

t.test('frames are checked against the records that come over IP, before and after they arrive', async t => {
  const world = await loraWorld(t, 'chirpstack')
  const customer = await customerWithVoucher(world.operator, 'payer@phone.example', 100_000, '50000')
  const chain = new SimulatedGatewayChain(EUI, world.gateway.keys)
  for (const amount_minor of [1_000, 2_500, 700]) {
    chain.append(customer.phone.authorize({
      gatewayEui: EUI, amountMinor: amount_minor, currency: CURRENCY, nonce: randomBytes(16), timeMs: Date.now(), merchantName: 'Shop',
    }).authorization)
  }
  const prefix = (seq: number) => hashAt(chain, seq).slice(0, 16)
  // Sent over LoRa while the IP link was down: two honest frames and one that lies about its head.
  await deliver(world, chirpstackUplink({ devEui: EUI, fCnt: 1, payload: frame({ gatewaySeq: 2, unsyncedCount: 2, unsyncedAmountMinor: 3_500, headPrefix: prefix(2) }) }))
  await deliver(world, chirpstackUplink({ devEui: EUI, fCnt: 2, payload: frame({ gatewaySeq: 3, unsyncedCount: 3, unsyncedAmountMinor: 4_200, headPrefix: prefix(2) }) }))
  await deliver(world, chirpstackUplink({ devEui: EUI, fCnt: 3, payload: frame({ gatewaySeq: 3, unsyncedCount: 3, unsyncedAmountMinor: 4_200, headPrefix: prefix(3) }) }))
  t.same((await loraView(world)).reports.map((r: { check: string }) => r.check), ['pending', 'pending', 'pending'])

  await uploadOverIp(world, chain, 1, 1)
  t.same((await loraView(world)).reports.map((r: { check: string }) => r.check), ['pending', 'pending', 'pending'],
    'a frame waits until every record up to its sequence is in')
  await uploadOverIp(world, chain, 2, 3)
  const view = await loraView(world)
  t.same(view.reports.map((r: { fCnt: number; check: string; mismatch: string | null }) => [r.fCnt, r.check, r.mismatch]), [
    [3, 'consistent', null],
    [2, 'mismatch', 'HEAD_MISMATCH'],
    [1, 'consistent', null],
  ])
  t.equal(view.mismatchCount, 1, 'the mismatch is flagged in the gateway view')

  // After the records: a frame whose amounts do not add up is flagged at once.
  const wrongAmount = await deliver(world, chirpstackUplink({ devEui: EUI, fCnt: 4, payload: frame({ gatewaySeq: 3, unsyncedCount: 1, unsyncedAmountMinor: 701, headPrefix: prefix(3) }) }))
  t.match(wrongAmount, { taken: true, check: { state: 'mismatch', mismatch: 'UNSYNCED_AMOUNT' } })
  const tooMany = await deliver(world, chirpstackUplink({ devEui: EUI, fCnt: 5, payload: frame({ gatewaySeq: 1, unsyncedCount: 2, unsyncedAmountMinor: 3_000, headPrefix: prefix(1) }) }))
  t.match(tooMany, { taken: true, check: { state: 'mismatch', mismatch: 'UNSYNCED_COUNT' } })
  const acked = await deliver(world, chirpstackUplink({ devEui: EUI, fCnt: 6, payload: frame({ gatewaySeq: 3, unsyncedCount: 0, unsyncedAmountMinor: 0, headPrefix: prefix(3) }) }))
  t.match(acked, { taken: true, check: { state: 'consistent' } }, 'nothing unsynced once the hub acked')
  t.equal((await loraView(world)).mismatchCount, 3)
})

async function collectDownlinks(lns: TestNetworkServer, filter: string, count: number): Promise<Array<{ topic: string; json: any }>> {
  const received: Array<{ topic: string; json: any }> = []
  await lns.client.subscribeAsync(filter, { qos: 1 })
  return new Promise(resolve => {
    lns.client.on('message', (topic, payload) => {
      received.push({ topic, json: JSON.parse(payload.toString('utf8')) })
      if (received.length === count) resolve(received)
    })
  })
}

for (const format of ['chirpstack', 'tts'] as const) {
  t.test(`${format}: a revocation goes as signed downlink fragments to every gateway that reported over LoRa`, async t => {
    const world = await loraWorld(t, format)
    const silent = '70B3D57ED0004C03'
    await provisionGateway(world.hub, world.operator, silent, `silent-${format}@shop.example`)
    const uplink = format === 'tts'
      ? ttsUplink({ deviceId: 'counter-1', devEui: EUI, fCnt: 1, payload: frame() })
      : chirpstackUplink({ devEui: EUI, fCnt: 1, payload: frame() })
    await deliver(world, uplink)
    const customer = await customerWithVoucher(world.operator, `revoked-${format}@phone.example`, 10_000, '5000')

    const filter = format === 'tts' ? `v3/${TTS_APPLICATION}/devices/+/down/push` : `application/${CHIRPSTACK_APPLICATION}/device/+/command/down`
    // One voucher id: a 90-byte signed message, two fragments of at most 51 bytes.
    const downlinks = collectDownlinks(world.lns, filter, 2)
    const { revocations } = world.hub.services
    const serial = await revocations.revoke([Buffer.from(customer.voucher.voucherId).toString('hex')], 'test')
    await world.hub.lora!.idle()
    const received = await downlinks

    const reassembler = new FragmentReassembler()
    let message: Uint8Array | undefined
    for (const { topic, json } of received) {
      let payload: Uint8Array
      if (format === 'tts') {
        t.equal(topic, `v3/${TTS_APPLICATION}/devices/counter-1/down/push`)
        t.match(json, { downlinks: [{ f_port: 11, priority: 'NORMAL', confirmed: false }] })
        payload = fromBase64(json.downlinks[0].frm_payload)
      } else {
        t.equal(topic, `application/${CHIRPSTACK_APPLICATION}/device/${EUI.toLowerCase()}/command/down`)
        t.match(json, { devEui: EUI.toLowerCase(), confirmed: false, fPort: 11 })
        payload = fromBase64(json.data)
      }
      t.ok(payload.length <= 51, `a fragment of ${payload.length} bytes fits EU868 DR0`)
      message = reassembler.accept(payload) ?? message
    }
    const revocation = loraRevocationCodec.decode(message!)
    t.ok(loraRevocationCodec.verify(revocation, world.gateway.hubPublicKey, nodeEd25519), 'signed by the hub key gateways pin')
    t.same(revocation, { ...revocation, kind: LoraRevocationKind.Added, serial, index: 0, voucherIds: [customer.voucher.voucherId] })
  })
}

/**
 * The hub's stop raced against a real-time guard of 30 s: the stop runs on the hub's own sockets, not on a clock the
 * test drives. 'still stopping' when the guard came first.
 */
async function stoppedWithinGuard(hub: RunningHub): Promise<'stopped' | 'still stopping'> {
  let guard: NodeJS.Timeout | undefined
  return Promise.race([
    hub.stop().then(() => 'stopped' as const),
    new Promise<'still stopping'>(resolve => { guard = setTimeout(() => resolve('still stopping'), 30_000) }),
  ]).finally(() => clearTimeout(guard))
}

t.test('a network server that cannot be reached does not keep the hub from starting; the hub connects once it can', async t => {
  const probe = createServer()
  await new Promise<void>(resolve => probe.listen(0, '127.0.0.1', () => resolve()))
  const port = (probe.address() as AddressInfo).port
  await new Promise(resolve => probe.close(resolve))
  const clock = new ManualClock(Date.now())
  const { log, seen } = watchedLog()
  const hub = await startHub(hubConfig(join(t.testdir(), 'hub'), {
    loraMqttUrl: `mqtt://127.0.0.1:${port}`, loraApplication: CHIRPSTACK_APPLICATION,
    loraUsername: LNS_CREDENTIALS.username, loraPassword: LNS_CREDENTIALS.password,
  }), { clock, log, loraClient: { connectTimeout_ms: 300 } })
  t.teardown(() => hub.stop())
  const operator = await new Rest(hub.httpUrl).as(OPERATOR.email, OPERATOR.password)
  t.ok(operator, 'the hub serves while the network server is down')
  // The first attempt failed and its retry waits on the hub's clock, which moves only when the test says.
  await seen('lora: the network server cannot be reached; trying again')

  const lns = await startTestNetworkServer(port)
  t.teardown(() => lns.close())
  await clock.run(RECONNECT_INITIAL_MS_DEFAULT)
  await hub.lora!.connected()
  const gateway = await provisionGateway(hub, operator, EUI, 'late@shop.example')
  const world = { hub, lns, operator, gateway }
  t.match(await deliver(world, chirpstackUplink({ devEui: EUI, fCnt: 1, payload: frame() })), { taken: true })
})

t.test('a hub whose network server never answers still stops', async t => {
  const probe = createServer()
  await new Promise<void>(resolve => probe.listen(0, '127.0.0.1', () => resolve()))
  const port = (probe.address() as AddressInfo).port
  await new Promise(resolve => probe.close(resolve))
  const hub = await startHub(hubConfig(join(t.testdir(), 'hub'), {
    loraMqttUrl: `mqtt://127.0.0.1:${port}`, loraApplication: CHIRPSTACK_APPLICATION,
  }), { loraClient: { connectTimeout_ms: 3_600_000 } })
  // The guard is far below that connect timeout: the stop gives the attempt up, it does not wait it out.
  t.equal(await stoppedWithinGuard(hub), 'stopped', 'stopped while the first connection was still being attempted')
})

t.test('a gateway reporting over LoRa for the first time is sent the whole revocation list', async t => {
  const world = await loraWorld(t, 'chirpstack', { loraCatchUpDownlinksPerReport: 2 })
  const customer = await customerWithVoucher(world.operator, 'early@phone.example', 10_000, '5000')
  const { revocations } = world.hub.services
  const serial = await revocations.revoke([Buffer.from(customer.voucher.voucherId).toString('hex')], 'before any LoRa report')
  await world.hub.lora!.idle()

  const downlinks = collectDownlinks(world.lns, `application/${CHIRPSTACK_APPLICATION}/device/+/command/down`, 2)
  await deliver(world, chirpstackUplink({ devEui: EUI, fCnt: 1, payload: frame() }))
  await world.hub.lora!.idle()
  const reassembler = new FragmentReassembler()
  let message: Uint8Array | undefined
  for (const { topic, json } of await downlinks) {
    t.equal(topic, `application/${CHIRPSTACK_APPLICATION}/device/${EUI.toLowerCase()}/command/down`)
    message = reassembler.accept(fromBase64(json.data)) ?? message
  }
  const revocation = loraRevocationCodec.decode(message!)
  t.ok(loraRevocationCodec.verify(revocation, world.gateway.hubPublicKey, nodeEd25519))
  t.same([revocation.kind, revocation.serial, revocation.voucherIds], [LoraRevocationKind.Listed, serial, [customer.voucher.voucherId]])
})

t.test('a hub stops while its network server is gone with downlinks pending; after the restart the gateway is sent the list from its next report', async t => {
  const dir = t.testdir()
  let lns = await startTestNetworkServer()
  const port = Number(new URL(lns.broker.url).port)
  const config = hubConfig(join(dir, 'hub'), {
    loraMqttUrl: lns.broker.url, loraFormat: 'chirpstack', loraApplication: CHIRPSTACK_APPLICATION,
    loraUsername: LNS_CREDENTIALS.username, loraPassword: LNS_CREDENTIALS.password, loraCatchUpDownlinksPerReport: 2,
  })
  // The stop waits this long for the publishes the broker never took.
  let hub = await startHub(config, { loraClient: { closeTimeout_ms: 300 } })
  await hub.lora!.connected()
  const operator = await new Rest(hub.httpUrl).as(OPERATOR.email, OPERATOR.password)
  const gateway = await provisionGateway(hub, operator, EUI, 'restart@shop.example')
  t.match(await deliver({ hub, lns, operator, gateway }, chirpstackUplink({ devEui: EUI, fCnt: 1, payload: frame() })), { taken: true })
  await hub.lora!.idle()

  await lns.close()
  const customer = await customerWithVoucher(operator, 'gone@phone.example', 10_000, '5000')
  const serial = await hub.services.revocations.revoke([Buffer.from(customer.voucher.voucherId).toString('hex')], 'while the LNS is away')
  t.equal(await stoppedWithinGuard(hub), 'stopped', 'a publish the broker never took does not hold the stop')

  lns = await startTestNetworkServer(port)
  t.teardown(() => lns.close())
  hub = await startHub(config)
  t.teardown(() => hub.stop())
  await hub.lora!.connected()
  t.equal((await new LoraStore(hub.context.engine).device(EUI))!.revocationSerialQueued, 0, 'the list never reached the network server for this gateway')
  const world = { hub, lns, operator: await new Rest(hub.httpUrl).as(OPERATOR.email, OPERATOR.password), gateway }
  const downlinks = collectDownlinks(lns, `application/${CHIRPSTACK_APPLICATION}/device/+/command/down`, 2)
  await deliver(world, chirpstackUplink({ devEui: EUI, fCnt: 2, payload: frame() }))
  await hub.lora!.idle()
  const reassembler = new FragmentReassembler()
  let message: Uint8Array | undefined
  for (const { json } of await downlinks) message = reassembler.accept(fromBase64(json.data)) ?? message
  const revocation = loraRevocationCodec.decode(message!)
  t.ok(loraRevocationCodec.verify(revocation, gateway.hubPublicKey, nodeEd25519))
  t.same([revocation.serial, revocation.voucherIds], [serial, [customer.voucher.voucherId]])
  t.equal((await new LoraStore(hub.context.engine).device(EUI))!.revocationSerialQueued, 0, 'every fragment queued; the walk ends at the next report')
  await deliver(world, chirpstackUplink({ devEui: EUI, fCnt: 3, payload: frame() }))
  await hub.lora!.idle()
  t.equal((await new LoraStore(hub.context.engine).device(EUI))!.revocationSerialQueued, serial, 'marked: the next report brings nothing again')
})

t.test('a gateway behind is walked through the whole list past 256 vouchers, a bounded number of downlinks per report, across a hub restart', async t => {
  const dir = t.testdir()
  const lns = await startTestNetworkServer()
  t.teardown(() => lns.close())
  const config = hubConfig(join(dir, 'hub'), {
    loraMqttUrl: lns.broker.url, loraFormat: 'chirpstack', loraApplication: CHIRPSTACK_APPLICATION,
    loraUsername: LNS_CREDENTIALS.username, loraPassword: LNS_CREDENTIALS.password, loraCatchUpDownlinksPerReport: 8,
  })
  let hub = await startHub(config)
  await hub.lora!.connected()
  const operator = await new Rest(hub.httpUrl).as(OPERATOR.email, OPERATOR.password)
  const gateway = await provisionGateway(hub, operator, EUI, 'behind@shop.example')
  const ids = await insertVouchers(hub.context, 300, hub.context.clock.now_ms() + 24 * 60 * 60 * 1000)
  const serial = await hub.services.revocations.revoke(ids, 'before the gateway reported over LoRa')

  // Every downlink the network server is handed, put together and checked as the terminal does.
  const reassembler = new FragmentReassembler()
  const heard = new Set<string>()
  let downlinks = 0
  let allHeard: () => void = () => undefined
  const complete = new Promise<void>(resolve => { allHeard = resolve })
  await lns.client.subscribeAsync(`application/${CHIRPSTACK_APPLICATION}/device/+/command/down`, { qos: 1 })
  lns.client.on('message', (_topic, payload) => {
    downlinks++
    const message = reassembler.accept(fromBase64(JSON.parse(payload.toString('utf8')).data))
    if (message === undefined) return
    const revocation = loraRevocationCodec.decode(message)
    if (!loraRevocationCodec.verify(revocation, gateway.hubPublicKey, nodeEd25519)) return
    for (const id of revocation.voucherIds) heard.add(toHex(id))
    if (heard.size === ids.length) allHeard()
  })

  let reports = 0
  const store = () => new LoraStore(hub.context.engine).device(EUI)
  for (let fCnt = 1; fCnt <= 200; fCnt++) {
    await deliver({ hub, lns, operator, gateway }, chirpstackUplink({ devEui: EUI, fCnt, payload: frame() }))
    await hub.lora!.idle()
    reports++
    if (reports === 5) {
      const progress = (await store())!.catchUp!
      t.ok(progress.afterIdHex > '', 'the hub records how far the walk got')
      await hub.stop()
      hub = await startHub(config)
      await hub.lora!.connected()
      t.same((await store())!.catchUp!.afterIdHex, progress.afterIdHex, 'and still knows after a restart')
    }
    if ((await store())!.catchUp === undefined) break
  }
  t.teardown(() => hub.stop())
  await complete
  t.same([...heard].sort(), [...ids].sort(), 'every listed voucher reached the gateway, not the first 256')
  t.equal((await store())!.revocationSerialQueued, serial, 'the walk ended at the list\'s serial')
  t.ok(reports >= Math.ceil(downlinks / 8), `${downlinks} downlinks over ${reports} reports: at most 8 at each`)
})
