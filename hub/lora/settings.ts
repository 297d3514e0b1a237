// The hub's LoRa settings, taken from its configuration: which network server integration to
// subscribe to, as whom, and the application ports the gateways use.

import { assert } from '../../protocol/errors'
import type { HubConfig } from '../config'
import { chirpstackFormat } from './chirpstack'
import type { NetworkServerFormat } from './format'
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

/**
 * Undefined when no LoRa network server is configured. The settings fit together: parseConfig and
 * startHub refuse a configuration where they do not (hub/config.ts, CONFIG_RULES).
 */
export function loraSettings(config: HubConfig): LoraSettings | undefined {
  if (config.loraMqttUrl === undefined) return undefined
  const application = config.loraApplication
  assert(application !== undefined, 'a LoRa network server comes with an application (checkConfig)')
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
