// ChirpStack v4's MQTT integration: uplinks on application/{applicationId}/device/{devEui}/event/up
// as protobuf JSON (fields at their default value may be absent), downlinks queued by publishing
// {devEui, confirmed, fPort, data} to application/{applicationId}/device/{devEui}/command/down.

import { toBase64 } from '../../protocol/bytes'
import { LoraPathError } from './errors'
import type { NetworkServerFormat } from './format'
import { base64Field, bestReception, countField, devEuiField, objectField, parseJsonObject } from './uplink'

const FCNT_MAX = 0xffffffff

export function chirpstackFormat(applicationId: string): NetworkServerFormat {
  const prefix = `application/${applicationId}/device/`
  return {
    name: 'chirpstack',
    uplinkFilter: `${prefix}+/event/up`,
    parseUplink(topic, payload) {
      const topicDevEui = topic.startsWith(prefix) && topic.endsWith('/event/up')
        ? topic.slice(prefix.length, -'/event/up'.length)
        : undefined
      if (topicDevEui === undefined || topicDevEui.includes('/')) throw new LoraPathError('BAD_UPLINK', `not an uplink topic: ${topic}`)
      const json = parseJsonObject(payload)
      const deviceInfo = objectField(json, 'deviceInfo')
      if (deviceInfo.applicationId !== undefined && deviceInfo.applicationId !== applicationId) {
        throw new LoraPathError('FOREIGN_APPLICATION', `uplink of application ${String(deviceInfo.applicationId)}`)
      }
      const { eui, devEui } = devEuiField(deviceInfo, 'devEui')
      if (devEui.toLowerCase() !== topicDevEui.toLowerCase()) {
        throw new LoraPathError('BAD_UPLINK', `deviceInfo.devEui ${devEui} is not the topic's ${topicDevEui}`)
      }
      return {
        eui,
        devEui: topicDevEui,
        deviceId: topicDevEui,
        fPort: countField(json, 'fPort', 255),
        fCnt: countField(json, 'fCnt', FCNT_MAX),
        payload: base64Field(json, 'data'),
        ...bestReception(json, 'rxInfo'),
      }
    },
    downlink(device, fPort, payload, confirmed) {
      return {
        topic: `${prefix}${device.devEui}/command/down`,
        payload: JSON.stringify({ devEui: device.devEui, confirmed, fPort, data: toBase64(payload) }),
      }
    },
  }
}
