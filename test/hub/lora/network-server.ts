// A LoRaWAN network server's MQTT side as the hub meets it in tests: a real broker on loopback
// that the hub's LoRa client logs in to, and a client that publishes uplinks exactly as
// ChirpStack v4 and The Things Stack v3 do and collects the downlinks the hub queues.

import { createServer, type AddressInfo } from 'node:net'
import { connectAsync, type MqttClient } from 'mqtt'
import { toBase64 } from '../../../protocol/bytes'

export const CHIRPSTACK_APPLICATION = '3a1c9d52-7f0e-4b8a-9c61-0d2e5f7a8b90'
export const TTS_APPLICATION = 'payall-gateways@ttn'
export const LNS_CREDENTIALS = Object.freeze({ username: 'lns-integration', password: 'integration api key' })

export interface TestNetworkServer {
  readonly broker: { readonly url: string }
  readonly client: MqttClient
  /** Clients connected to its broker now, its own included. */
  clientsConnected(): number
  close(): Promise<void>
}

export async function startTestNetworkServer(port = 0): Promise<TestNetworkServer> {
  // aedes is an ES module: loaded the way hub/mqtt/broker.ts loads it.
  const { Aedes } = await import('aedes')
  // Like a network server's broker: only its integration's credentials get in.
  const aedes = new Aedes({
    authenticate(_client, username, password, done) {
      done(null, username === LNS_CREDENTIALS.username && password?.toString('utf8') === LNS_CREDENTIALS.password)
    },
  })
  await aedes.listen()
  const server = createServer(aedes.handle)
  await new Promise<void>(resolve => server.listen(port, '127.0.0.1', () => resolve()))
  const url = `mqtt://127.0.0.1:${(server.address() as AddressInfo).port}`
  const client = await connectAsync(url, { ...LNS_CREDENTIALS, clientId: 'network-server', reconnectPeriod: 0 })
  return {
    broker: { url },
    client,
    clientsConnected: () => aedes.connectedClients,
    async close() {
      await client.endAsync(true)
      await new Promise<void>(resolve => aedes.close(() => resolve()))
      await new Promise<void>(resolve => server.close(() => resolve()))
    },
  }
}

export interface UplinkFields {
  devEui: string
  fCnt?: number
  fPort?: number
  payload: Uint8Array
  rssi?: number[]
  snr?: number[]
}

/** A ChirpStack v4 `event/up`, fields at their default value left out as ChirpStack does. */
export function chirpstackUplink(fields: UplinkFields, applicationId = CHIRPSTACK_APPLICATION): { topic: string; json: Record<string, unknown> } {
  const devEui = fields.devEui.toLowerCase()
  return {
    topic: `application/${applicationId}/device/${devEui}/event/up`,
    json: {
      deduplicationId: '6a0c9a3e-5d1b-4c1e-8f57-0b1b1d9e2c11',
      time: '2026-11-28T04:00:00.000Z',
      deviceInfo: { tenantId: '52f14cd4-c6f1-4fbd-8f87-4025e1d49242', applicationId, deviceName: 'counter-1', devEui, tags: {} },
      devAddr: '01b2c3d4',
      dr: 0,
      ...(fields.fPort === 0 ? {} : { fPort: fields.fPort ?? 10 }),
      ...(fields.fCnt === 0 || fields.fCnt === undefined ? {} : { fCnt: fields.fCnt }),
      data: toBase64(fields.payload),
      rxInfo: (fields.rssi ?? []).map((rssi, i) => ({ gatewayId: `0016c001ff1${i}0000`, rssi, snr: fields.snr?.[i] })),
      txInfo: { frequency: 868100000 },
    },
  }
}

/** A The Things Stack v3 `up` message. */
export function ttsUplink(fields: UplinkFields & { deviceId: string }, application = TTS_APPLICATION): { topic: string; json: Record<string, unknown> } {
  return {
    topic: `v3/${application}/devices/${fields.deviceId}/up`,
    json: {
      end_device_ids: {
        device_id: fields.deviceId,
        application_ids: { application_id: application.split('@')[0] },
        dev_eui: fields.devEui.toUpperCase(),
        dev_addr: '260B1234',
      },
      received_at: '2026-11-28T04:00:00.123Z',
      uplink_message: {
        ...(fields.fPort === 0 ? {} : { f_port: fields.fPort ?? 10 }),
        ...(fields.fCnt === 0 || fields.fCnt === undefined ? {} : { f_cnt: fields.fCnt }),
        frm_payload: toBase64(fields.payload),
        rx_metadata: (fields.rssi ?? []).map((rssi, i) => ({
          gateway_ids: { gateway_id: `gw-${i}` }, rssi, channel_rssi: rssi, snr: fields.snr?.[i],
        })),
        settings: { data_rate: { lora: { bandwidth: 125000, spreading_factor: 12 } } },
      },
    },
  }
}
