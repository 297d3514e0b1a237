import t from 'tap'
import { connectAsync } from 'mqtt'
import { APPLICATION_ID, DEVICE, START_MS, TENANT_ID, countingBytes, startLnsWorld } from './world'
import { subscribe } from './broker'
import { ManualClock } from '../../../protocol/clock'
import { LnsError, SimulatedNetworkServer } from '../../../simulator/lora/network-server'
import {
  chirpstackCommandDownTopic,
  chirpstackEventTopic,
  ttsDownstreamTopic,
  ttsUpstreamTopic,
} from '../../../simulator/lora/lns-messages'

const EUI_LOWER = DEVICE.devEui.toLowerCase()
const PAYLOAD = Uint8Array.from([0x01, 0x02, 0xfe, 0xff])

t.test('ChirpStack v4: join and uplink events on the application topics with ChirpStack JSON', async (t) => {
  const { broker, server } = await startLnsWorld(t, 'chirpstack-v4')
  const events = await subscribe(broker.url, [`application/${APPLICATION_ID}/device/+/event/+`])
  t.teardown(() => events.close())

  t.same(server.join({ region: 'EU868', ...DEVICE }), { accepted: true, devAddr: '00010203' })
  const join = await events.next()
  t.equal(join.topic, `application/${APPLICATION_ID}/device/${EUI_LOWER}/event/join`)
  t.match(join.json, { devAddr: '00010203', deviceInfo: { devEui: EUI_LOWER, tenantId: TENANT_ID, applicationId: APPLICATION_ID } })

  t.same(server.uplink({ devEui: DEVICE.devEui, port: 2, payload: PAYLOAD, confirmed: false, dataRate: 0 }), { heard: true, acked: false })
  const first = await events.next()
  t.equal(first.topic, chirpstackEventTopic(APPLICATION_ID, DEVICE.devEui, 'up'))
  t.equal(first.topic, `application/${APPLICATION_ID}/device/${EUI_LOWER}/event/up`)
  t.same(first.json, {
    deduplicationId: '24252627-2829-4a2b-ac2d-2e2f30313233',
    time: new Date(START_MS).toISOString(),
    deviceInfo: {
      tenantId: TENANT_ID,
      tenantName: 'PayAll',
      applicationId: APPLICATION_ID,
      applicationName: 'payall-terminals',
      deviceName: `eui-${EUI_LOWER}`,
      devEui: EUI_LOWER,
      tags: {},
    },
    devAddr: '00010203',
    fPort: 2,
    data: 'AQL+/w==',
    rxInfo: [{ gatewayId: '0016c001f153a14c', rssi: -60, snr: 8.5, channel: 0, context: 'NDU2Nw==' }],
    txInfo: { frequency: 868_100_000, modulation: { lora: { bandwidth: 125_000, spreadingFactor: 12, codeRate: 'CR_4_5' } } },
  }, 'fCnt 0, dr 0 and confirmed false are left out, as protobuf JSON does')

  t.same(server.uplink({ devEui: DEVICE.devEui, port: 7, payload: PAYLOAD, confirmed: true, dataRate: 5 }), { heard: true, acked: true })
  const second = (await events.next()).json as Record<string, unknown>
  t.equal(second.fCnt, 1)
  t.equal(second.dr, 5)
  t.equal(second.fPort, 7)
  t.equal(second.confirmed, true)
  t.match(second.txInfo, { frequency: 868_300_000, modulation: { lora: { spreadingFactor: 7 } } })
})

t.test('The Things Stack v3: uplink on v3/{app}@{tenant}/devices/{id}/up with uplink_message', async (t) => {
  const { broker, server } = await startLnsWorld(t, 'tts-v3')
  const events = await subscribe(broker.url, ['v3/payall-terminals@payall/devices/+/up'])
  t.teardown(() => events.close())
  server.join({ region: 'EU868', ...DEVICE })
  server.uplink({ devEui: DEVICE.devEui, port: 2, payload: PAYLOAD, confirmed: false, dataRate: 3 })
  server.uplink({ devEui: DEVICE.devEui, port: 2, payload: PAYLOAD, confirmed: true, dataRate: 3 })
  const first = await events.next()
  t.equal(first.topic, `v3/payall-terminals@payall/devices/eui-${EUI_LOWER}/up`)
  t.equal(first.topic, ttsUpstreamTopic('payall-terminals@payall', `eui-${EUI_LOWER}`, 'up'))
  t.match(first.json, {
    end_device_ids: { device_id: `eui-${EUI_LOWER}`, application_ids: { application_id: 'payall-terminals' }, dev_eui: DEVICE.devEui },
    received_at: new Date(START_MS).toISOString(),
    uplink_message: {
      f_port: 2,
      frm_payload: 'AQL+/w==',
      rx_metadata: [{ gateway_ids: { gateway_id: 'eui-0016c001f153a14c' }, rssi: -60, snr: 8.5 }],
      settings: { data_rate: { lora: { bandwidth: 125_000, spreading_factor: 9 } }, frequency: '868100000' },
    },
  })
  t.notOk('f_cnt' in (first.json as { uplink_message: object }).uplink_message, 'f_cnt 0 is left out')
  const second = (await events.next()).json as { uplink_message: Record<string, unknown> }
  t.equal(second.uplink_message.f_cnt, 1)
  t.equal(second.uplink_message.confirmed, true)
})

t.test('a ChirpStack downlink command is queued and delivered after the next uplink, once', async (t) => {
  const { broker, server, events } = await startLnsWorld(t, 'chirpstack-v4')
  server.join({ region: 'EU868', ...DEVICE })
  const app = await connectAsync(broker.url, { reconnectPeriod: 0 })
  t.teardown(() => app.endAsync(true))
  await app.publishAsync(
    chirpstackCommandDownTopic(APPLICATION_ID, DEVICE.devEui),
    JSON.stringify({ devEui: EUI_LOWER, confirmed: true, fPort: 15, data: 'vu8=' }),
    { qos: 1 },
  )
  t.match(await events.next('downlink-queued'), { devEui: DEVICE.devEui, port: 15, queued: 1 })
  t.equal(server.queued(DEVICE.devEui).length, 1)
  const answer = server.uplink({ devEui: DEVICE.devEui, port: 2, payload: PAYLOAD, confirmed: false, dataRate: 0 })
  t.same(answer.downlink, { port: 15, payload: Uint8Array.from([0xbe, 0xef]), confirmed: true, rssi: -45, snr: 9 })
  t.equal(server.uplink({ devEui: DEVICE.devEui, port: 2, payload: PAYLOAD, confirmed: false, dataRate: 0 }).downlink, undefined)
})

t.test('TTS down/push appends and down/replace replaces the queue', async (t) => {
  const { broker, server, events } = await startLnsWorld(t, 'tts-v3')
  server.join({ region: 'EU868', ...DEVICE })
  const app = await connectAsync(broker.url, { reconnectPeriod: 0 })
  t.teardown(() => app.endAsync(true))
  const deviceId = `eui-${EUI_LOWER}`
  const push = (kind: 'down/push' | 'down/replace', ports: number[]) =>
    app.publishAsync(
      ttsDownstreamTopic('payall-terminals@payall', deviceId, kind),
      JSON.stringify({ downlinks: ports.map((f_port) => ({ f_port, frm_payload: 'vu8=', priority: 'NORMAL', confirmed: false })) }),
      { qos: 1 },
    )
  await push('down/push', [10, 11])
  await events.next('downlink-queued')
  await events.next('downlink-queued')
  await push('down/replace', [12])
  await events.next('downlink-queued')
  t.same(server.queued(DEVICE.devEui).map((item) => item.port), [12])
  t.equal(server.uplink({ devEui: DEVICE.devEui, port: 2, payload: PAYLOAD, confirmed: false, dataRate: 0 }).downlink?.port, 12)
})

t.test('bad downlink messages are logged as typed errors and change nothing', async (t) => {
  const { broker, server, events } = await startLnsWorld(t, 'chirpstack-v4')
  server.join({ region: 'EU868', ...DEVICE })
  const app = await connectAsync(broker.url, { reconnectPeriod: 0 })
  t.teardown(() => app.endAsync(true))
  const topic = chirpstackCommandDownTopic(APPLICATION_ID, DEVICE.devEui)
  const cases: Array<[string, string | Buffer, LnsError['code']]> = [
    ['not JSON', '{"fPort":', 'BAD_JSON'],
    ['an array', '[1,2]', 'BAD_JSON'],
    ['port 0', JSON.stringify({ fPort: 0, data: 'AA==' }), 'BAD_DOWNLINK'],
    ['port 224', JSON.stringify({ fPort: 224, data: 'AA==' }), 'BAD_DOWNLINK'],
    ['port as text', JSON.stringify({ fPort: '2', data: 'AA==' }), 'BAD_DOWNLINK'],
    ['bad base64', JSON.stringify({ fPort: 2, data: 'not base64!' }), 'BAD_DOWNLINK'],
    ['243 bytes', JSON.stringify({ fPort: 2, data: Buffer.alloc(243).toString('base64') }), 'BAD_DOWNLINK'],
    ['confirmed as text', JSON.stringify({ fPort: 2, data: 'AA==', confirmed: 'yes' }), 'BAD_DOWNLINK'],
    ['another devEui', JSON.stringify({ devEui: '0102030405060708', fPort: 2, data: 'AA==' }), 'BAD_DOWNLINK'],
    ['binary garbage', Buffer.from([0xff, 0xfe, 0x00, 0x80]), 'BAD_JSON'],
  ]
  for (const [name, body, code] of cases) {
    await app.publishAsync(topic, body, { qos: 1 })
    const rejected = await events.next('downlink-rejected')
    t.ok(rejected.error instanceof LnsError, name)
    t.equal(rejected.error.code, code, name)
  }
  await app.publishAsync(chirpstackCommandDownTopic(APPLICATION_ID, '0102030405060708'), JSON.stringify({ fPort: 2, data: 'AA==' }), { qos: 1 })
  t.equal((await events.next('downlink-rejected')).error.code, 'UNKNOWN_DEVICE')
  t.same(server.queued(DEVICE.devEui), [])
  await app.publishAsync(topic, JSON.stringify({ fPort: 2, data: 'AA==' }), { qos: 1 })
  t.match(await events.next('downlink-queued'), { port: 2 }, 'the server still works')
})

t.test('the queue is bounded and a downlink too large for the data rate is discarded', async (t) => {
  const { broker, server, events } = await startLnsWorld(t, 'chirpstack-v4', { downlinkQueueMax: 2 })
  server.join({ region: 'EU868', ...DEVICE })
  const app = await connectAsync(broker.url, { reconnectPeriod: 0 })
  t.teardown(() => app.endAsync(true))
  const topic = chirpstackCommandDownTopic(APPLICATION_ID, DEVICE.devEui)
  await app.publishAsync(topic, JSON.stringify({ fPort: 3, data: Buffer.alloc(52).toString('base64') }), { qos: 1 })
  await app.publishAsync(topic, JSON.stringify({ fPort: 4, data: 'AA==' }), { qos: 1 })
  await app.publishAsync(topic, JSON.stringify({ fPort: 5, data: 'AA==' }), { qos: 1 })
  await events.next('downlink-queued')
  await events.next('downlink-queued')
  t.equal((await events.next('downlink-rejected')).error.code, 'QUEUE_FULL')
  const answer = server.uplink({ devEui: DEVICE.devEui, port: 2, payload: PAYLOAD, confirmed: false, dataRate: 0 })
  t.equal((await events.next('downlink-discarded')).error.code, 'DOWNLINK_TOO_LARGE', '52 bytes do not fit DR0')
  t.equal(answer.downlink?.port, 4)
})

t.test('joins: an unknown device, a wrong key and a wrong region are denied; a device without a session is not heard', async (t) => {
  const { server, events } = await startLnsWorld(t, 'chirpstack-v4')
  t.same(server.join({ region: 'EU868', ...DEVICE, devEui: '0102030405060708' }), { accepted: false })
  t.equal((await events.next('join-denied')).reason, 'UNKNOWN_DEVICE')
  t.same(server.join({ region: 'EU868', ...DEVICE, appKey: '00'.repeat(16) }), { accepted: false })
  t.equal((await events.next('join-denied')).reason, 'WRONG_KEY')
  t.same(server.join({ region: 'US915', ...DEVICE }), { accepted: false })
  t.equal((await events.next('join-denied')).reason, 'WRONG_REGION')
  t.same(server.uplink({ devEui: DEVICE.devEui, port: 2, payload: PAYLOAD, confirmed: true, dataRate: 0 }), { heard: false, acked: false })
  t.equal(server.join({ region: 'EU868', ...DEVICE }).accepted, true)
})

t.test('bad options and registrations are refused', async (t) => {
  const base = { flavour: 'chirpstack-v4', region: 'EU868', tenantId: TENANT_ID, applicationId: APPLICATION_ID, clock: new ManualClock(START_MS), randomBytes: countingBytes() } as const
  t.throws(() => new SimulatedNetworkServer({ ...base, flavour: 'loriot' as never }), { code: 'BAD_OPTIONS' })
  t.throws(() => new SimulatedNetworkServer({ ...base, applicationId: 'a/b' }), { code: 'BAD_OPTIONS' })
  t.throws(() => new SimulatedNetworkServer({ ...base, downlinkQueueMax: 0 }), { code: 'BAD_OPTIONS' })
  const server = new SimulatedNetworkServer(base)
  t.throws(() => server.register({ devEui: '0102', appKey: DEVICE.appKey }), { code: 'BAD_OPTIONS' })
  t.throws(() => server.register({ devEui: DEVICE.devEui, appKey: 'zz' }), { code: 'BAD_OPTIONS' })
  t.throws(() => server.register({ devEui: DEVICE.devEui, appKey: DEVICE.appKey, name: 'Has Spaces' }), { code: 'BAD_OPTIONS' })
})
