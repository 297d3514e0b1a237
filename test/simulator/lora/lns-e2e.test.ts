// The drivers, the byte-level emulators and the simulated network server end to end, over a real
// aedes broker on loopback: what the hub's LoRa integration will see.

import t from 'tap'
import { connectAsync } from 'mqtt'
import { MockBinding } from '@serialport/binding-mock'
import type { LoraDownlink, LoraModem } from '../../../hardware/lora/modem'
import { systemClock } from '../../../protocol/clock'
import { openEmulatedModem } from '../../../simulator/lora/emulated-modem'
import type { SimulatedNetworkServer } from '../../../simulator/lora/network-server'
import {
  chirpstackCommandDownTopic,
  chirpstackUplinkFilter,
  ttsDownstreamTopic,
  ttsUplinkFilter,
  type ChirpstackUplinkEvent,
  type TtsUplinkEvent,
} from '../../../simulator/lora/lns-messages'
import { subscribe } from './broker'
import { APPLICATION_ID, DEVICE, TENANT_ID, startLnsWorld } from './world'

const SETTINGS = { region: 'EU868', ...DEVICE } as const
const COMMITMENT = Uint8Array.from({ length: 51 }, (_, index) => index * 5)

async function modemOn(t: { teardown(fn: () => unknown): void }, model: LoraModem['model'], server: SimulatedNetworkServer): Promise<LoraModem> {
  const emulated = await openEmulatedModem({ model, radio: server, path: `/dev/ttyE2E-${model}`, clock: systemClock })
  t.teardown(async () => {
    await emulated.close()
    MockBinding.reset()
  })
  return emulated.modem
}

function nextDownlink(modem: LoraModem): Promise<LoraDownlink> {
  return new Promise((resolve) => {
    const stop = modem.onDownlink((downlink) => {
      stop()
      resolve(downlink)
    })
  })
}

for (const model of ['rak3172', 'rn2483'] as const) {
  t.test(`${model}: an uplink arrives on the ChirpStack v4 topic with ChirpStack's JSON`, async (t) => {
    const { broker, server } = await startLnsWorld(t, 'chirpstack-v4')
    const hub = await subscribe(broker.url, [chirpstackUplinkFilter(APPLICATION_ID)])
    t.teardown(() => hub.close())
    const modem = await modemOn(t, model, server)
    await modem.join(SETTINGS)
    await modem.send(2, COMMITMENT, { confirmed: true })
    await modem.send(2, COMMITMENT.subarray(0, 3))
    const first = await hub.next()
    t.equal(first.topic, `application/${APPLICATION_ID}/device/${DEVICE.devEui.toLowerCase()}/event/up`)
    const event = first.json as ChirpstackUplinkEvent
    t.match(event, {
      deviceInfo: { tenantId: TENANT_ID, applicationId: APPLICATION_ID, devEui: DEVICE.devEui.toLowerCase() },
      fPort: 2,
      confirmed: true,
      data: Buffer.from(COMMITMENT).toString('base64'),
      rxInfo: [{ gatewayId: String }],
    })
    t.equal(event.fCnt, undefined, 'fCnt 0 is left out')
    const second = (await hub.next()).json as ChirpstackUplinkEvent
    t.equal(second.fCnt, 1)
    t.equal(second.confirmed, undefined)
    t.equal(second.data, Buffer.from(COMMITMENT.subarray(0, 3)).toString('base64'))
  })

  t.test(`${model}: in TTS mode the uplink arrives on v3/{app}@{tenant}/devices/{id}/up`, async (t) => {
    const { broker, server } = await startLnsWorld(t, 'tts-v3')
    const hub = await subscribe(broker.url, [ttsUplinkFilter('payall-terminals@payall')])
    t.teardown(() => hub.close())
    const modem = await modemOn(t, model, server)
    await modem.join(SETTINGS)
    await modem.send(9, COMMITMENT)
    const message = await hub.next()
    t.equal(message.topic, `v3/payall-terminals@payall/devices/eui-${DEVICE.devEui.toLowerCase()}/up`)
    const event = message.json as TtsUplinkEvent
    t.match(event.end_device_ids, { dev_eui: DEVICE.devEui, application_ids: { application_id: 'payall-terminals' } })
    t.equal(event.uplink_message.f_port, 9)
    t.equal(event.uplink_message.frm_payload, Buffer.from(COMMITMENT).toString('base64'))
  })

  t.test(`${model}: a downlink on the ChirpStack command topic comes out of the modem after its next uplink`, async (t) => {
    const { broker, server, events } = await startLnsWorld(t, 'chirpstack-v4')
    const modem = await modemOn(t, model, server)
    await modem.join(SETTINGS)
    const heard: LoraDownlink[] = []
    modem.onDownlink((downlink) => heard.push(downlink))
    const app = await connectAsync(broker.url, { reconnectPeriod: 0 })
    t.teardown(() => app.endAsync(true))
    const revocation = Uint8Array.from([0x52, 0x01, 0x02, 0x03])
    await app.publishAsync(
      chirpstackCommandDownTopic(APPLICATION_ID, DEVICE.devEui),
      JSON.stringify({ devEui: DEVICE.devEui.toLowerCase(), confirmed: false, fPort: 15, data: Buffer.from(revocation).toString('base64') }),
      { qos: 1 },
    )
    await events.next('downlink-queued')
    t.same(heard, [], 'class A: nothing before an uplink')
    const downlink = nextDownlink(modem)
    await modem.send(2, COMMITMENT.subarray(0, 8))
    t.match(await downlink, { port: 15, payload: revocation })
    await modem.send(2, COMMITMENT.subarray(0, 8))
    t.equal(heard.length, 1, 'delivered once')
  })
}

t.test('rak3172: a TTS down/push comes out after the next uplink', async (t) => {
  const { broker, server, events } = await startLnsWorld(t, 'tts-v3')
  const modem = await modemOn(t, 'rak3172', server)
  await modem.join(SETTINGS)
  const app = await connectAsync(broker.url, { reconnectPeriod: 0 })
  t.teardown(() => app.endAsync(true))
  await app.publishAsync(
    ttsDownstreamTopic('payall-terminals@payall', `eui-${DEVICE.devEui.toLowerCase()}`),
    JSON.stringify({ downlinks: [{ f_port: 15, frm_payload: 'vu8=', priority: 'NORMAL', confirmed: true }] }),
    { qos: 1 },
  )
  await events.next('downlink-queued')
  const downlink = nextDownlink(modem)
  await modem.send(2, COMMITMENT.subarray(0, 4), { confirmed: true })
  t.match(await downlink, { port: 15, payload: Uint8Array.from([0xbe, 0xef]), rssi: -45, snr: 9 })
})

t.test('a device with the wrong AppKey is not let in', async (t) => {
  const { server, events } = await startLnsWorld(t, 'chirpstack-v4')
  const modem = await modemOn(t, 'rak3172', server)
  await t.rejects(modem.join({ ...SETTINGS, appKey: '00'.repeat(16) }), { code: 'JOIN_FAILED' })
  t.equal((await events.next('join-denied')).reason, 'WRONG_KEY')
})
