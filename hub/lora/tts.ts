// The Things Stack v3's MQTT integration (username {app}@{tenant}, an API key as password):
// uplinks on v3/{app}@{tenant}/devices/{deviceId}/up, downlinks queued by publishing
// {downlinks: [{f_port, frm_payload, priority, confirmed}]} to v3/{app}@{tenant}/devices/{deviceId}/down/push.

import { toBase64 } from '../../protocol/bytes'
import { LoraPathError } from './errors'
import type { NetworkServerFormat } from './format'
import {
  base64Field, bestReception, countField, devEuiField, objectField, parseJsonObject, stringField,
} from './uplink'

const FCNT_MAX = 0xffffffff

/** `application` is `{app}@{tenant}` (a topic level). */
export function ttsFormat(application: string): NetworkServerFormat {
  const prefix = `v3/${application}/devices/`
  const applicationId = application.split('@')[0]!
  return {
    name: 'tts',
    uplinkFilter: `${prefix}+/up`,
    parseUplink(topic, payload) {
      const topicDeviceId = topic.startsWith(prefix) && topic.endsWith('/up') ? topic.slice(prefix.length, -'/up'.length) : undefined
      if (topicDeviceId === undefined || topicDeviceId.includes('/')) throw new LoraPathError('BAD_UPLINK', `not an uplink topic: ${topic}`)
      const json = parseJsonObject(payload)
      const ids = objectField(json, 'end_device_ids')
      const deviceId = stringField(ids, 'device_id')
      if (deviceId !== topicDeviceId) throw new LoraPathError('BAD_UPLINK', `device_id ${deviceId} is not the topic's ${topicDeviceId}`)
      const applicationIds = ids.application_ids
      if (applicationIds !== undefined) {
        const uplinkApplication = objectField(ids, 'application_ids').application_id
        if (uplinkApplication !== applicationId) {
          throw new LoraPathError('FOREIGN_APPLICATION', `uplink of application ${String(uplinkApplication)}`)
        }
      }
      const { eui, devEui } = devEuiField(ids, 'dev_eui')
      const message = objectField(json, 'uplink_message')
      return {
        eui,
        devEui,
        deviceId,
        fPort: countField(message, 'f_port', 255),
        fCnt: countField(message, 'f_cnt', FCNT_MAX),
        payload: base64Field(message, 'frm_payload'),
        ...bestReception(message, 'rx_metadata'),
      }
    },
    downlink(device, fPort, payload, confirmed) {
      return {
        topic: `${prefix}${device.deviceId}/down/push`,
        payload: JSON.stringify({ downlinks: [{ f_port: fPort, frm_payload: toBase64(payload), priority: 'NORMAL', confirmed }] }),
      }
    },
  }
}
