// The hub's LoRa settings, taken from its configuration: which network server integration to
// subscribe to, as whom, and the application ports the gateways use.

import { ConfigError, type HubConfig } from '../config'
import { chirpstackFormat } from './chirpstack'
import { isTopicLevel, type NetworkServerFormat } from './format'
import { ttsFormat } from './tts'

export const LORA_UPLINK_PORT_DEFAULT = 10
export const LORA_DOWNLINK_PORT_DEFAULT = 11

export interface LoraSettings {
  readonly url: string
  readonly username: string | undefined
  readonly password: string | undefined
  readonly format: NetworkServerFormat
  /** CommitmentFrames arrive on this fPort. */
  readonly uplinkPort: number
  /** LoraRevocation fragments go out on this fPort. */
  readonly downlinkPort: number
  /** Whole-list downlinks queued at each report of a gateway behind. */
  readonly catchUpDownlinksPerReport: number
}

/** Undefined when no LoRa network server is configured; ConfigError when the settings do not fit together. */
export function loraSettings(config: HubConfig): LoraSettings | undefined {
  if (config.loraMqttUrl === undefined) return undefined
  const application = config.loraApplication
  if (application === undefined) {
    throw new ConfigError('PAYALL_LORA_APPLICATION', 'PAYALL_LORA_APPLICATION is needed with PAYALL_LORA_MQTT_URL')
  }
  if (!isTopicLevel(application)) {
    throw new ConfigError('PAYALL_LORA_APPLICATION', `PAYALL_LORA_APPLICATION must not contain / + or #, got '${application}'`)
  }
  if (config.loraFormat === 'tts' && !/^[^@]+@[^@]+$/.test(application)) {
    throw new ConfigError('PAYALL_LORA_APPLICATION', `The Things Stack names an application {app}@{tenant}, got '${application}'`)
  }
  if (config.loraUplinkPort === config.loraDownlinkPort) {
    throw new ConfigError('PAYALL_LORA_DOWNLINK_PORT', 'the uplink and downlink ports must differ')
  }
  return {
    url: config.loraMqttUrl,
    username: config.loraUsername,
    password: config.loraPassword,
    format: config.loraFormat === 'tts' ? ttsFormat(application) : chirpstackFormat(application),
    uplinkPort: config.loraUplinkPort,
    downlinkPort: config.loraDownlinkPort,
    catchUpDownlinksPerReport: config.loraCatchUpDownlinksPerReport,
  }
}
