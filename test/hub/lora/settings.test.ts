import t from 'tap'
import { ConfigError, parseConfig } from '../../../hub/config'
import { loraSettings } from '../../../hub/lora/settings'

const env = (extra: Record<string, string>) => parseConfig([], extra)

function fieldOfError(run: () => unknown): string | undefined {
  try {
    run()
  } catch (error) {
    if (error instanceof ConfigError) return error.field
    throw error
  }
  return undefined
}

t.test('no LoRa path without a network server URL', async t => {
  t.equal(loraSettings(env({})), undefined)
})

t.test('ChirpStack and The Things Stack settings name their topics', async t => {
  const chirpstack = loraSettings(env({
    PAYALL_LORA_MQTT_URL: 'mqtt://chirpstack.local:1883', PAYALL_LORA_APPLICATION: '3a1c9d52-7f0e-4b8a-9c61-0d2e5f7a8b90',
  }))!
  t.equal(chirpstack.format.uplinkFilter, 'application/3a1c9d52-7f0e-4b8a-9c61-0d2e5f7a8b90/device/+/event/up')
  t.same([chirpstack.uplinkPort, chirpstack.downlinkPort], [10, 11])
  const tts = loraSettings(env({
    PAYALL_LORA_MQTT_URL: 'mqtts://eu1.cloud.thethings.network:8883', PAYALL_LORA_FORMAT: 'tts',
    PAYALL_LORA_APPLICATION: 'payall@ttn', PAYALL_LORA_USERNAME: 'payall@ttn', PAYALL_LORA_PASSWORD: 'NNSXS.KEY',
  }))!
  t.equal(tts.format.uplinkFilter, 'v3/payall@ttn/devices/+/up')
  t.same([tts.username, tts.password], ['payall@ttn', 'NNSXS.KEY'])
})

t.test('settings that do not fit together are refused, naming the variable', async t => {
  const url = { PAYALL_LORA_MQTT_URL: 'mqtt://lns.local' }
  const refused = (extra: Record<string, string>, field: string) => {
    t.equal(fieldOfError(() => loraSettings(env({ ...url, ...extra }))), field)
  }
  refused({}, 'PAYALL_LORA_APPLICATION')
  refused({ PAYALL_LORA_APPLICATION: 'app/+' }, 'PAYALL_LORA_APPLICATION')
  refused({ PAYALL_LORA_APPLICATION: 'payall', PAYALL_LORA_FORMAT: 'tts' }, 'PAYALL_LORA_APPLICATION')
  refused({ PAYALL_LORA_APPLICATION: 'a', PAYALL_LORA_UPLINK_PORT: '11' }, 'PAYALL_LORA_DOWNLINK_PORT')
  const badValue = (extra: Record<string, string>, field: string) => {
    t.equal(fieldOfError(() => env(extra)), field)
  }
  badValue({ PAYALL_LORA_FORMAT: 'loriot' }, 'PAYALL_LORA_FORMAT')
  badValue({ PAYALL_LORA_UPLINK_PORT: '0' }, 'PAYALL_LORA_UPLINK_PORT')
  badValue({ PAYALL_LORA_DOWNLINK_PORT: '224' }, 'PAYALL_LORA_DOWNLINK_PORT')
  badValue({ PAYALL_LORA_MQTT_URL: 'http://lns.local' }, 'PAYALL_LORA_MQTT_URL')
})
