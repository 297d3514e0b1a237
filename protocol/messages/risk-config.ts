// RiskConfig: the hub-signed offline limits of one gateway (DESIGN "Risk limits"). The gateway
// refuses an offline payment rather than exceed any of them, and shows them to the merchant.

import { MessageType } from '../codec'
import { ProtocolError } from '../errors'
import { defineSignedMessage, type Signed } from './define'
import {
  EUI_BYTES, readCurrency, readEnum, readEui, readPositiveAmount, writeCurrency, writeEui, writePositiveAmount,
} from './fields'
import { OnlinePolicy } from './online-policy'

export { OnlinePolicy }

export interface RiskConfigBody {
  gatewayEui: string
  /** Higher serials replace lower ones; an older config is ignored. */
  serial: number
  issuedAtMs: number
  currency: string
  /** The largest single offline payment. */
  floorLimitMinor: number
  /** The most the gateway may hold unsynced, in total. */
  unsyncedTotalMaxMinor: number
  unsyncedCountMax: number
  /** Offline payments in a row under one voucher before the phone must go online. */
  consecutiveOfflineMax: number
  /** An unsynced record older than this blocks further offline payments. */
  uploadDeadlineMs: number
  /** Allowed difference between the gateway's clock and a phone's. */
  clockSkewMaxMs: number
  defaultPolicy: OnlinePolicy
}
export type RiskConfig = Signed<RiskConfigBody>

const POLICIES: readonly OnlinePolicy[] = Object.values(OnlinePolicy)

function checkLimits(value: RiskConfigBody): void {
  if (value.floorLimitMinor > value.unsyncedTotalMaxMinor) {
    throw new ProtocolError('OUT_OF_RANGE', 'floorLimitMinor exceeds unsyncedTotalMaxMinor')
  }
  if (value.unsyncedCountMax < 1 || value.consecutiveOfflineMax < 1 || value.uploadDeadlineMs < 1) {
    throw new ProtocolError('OUT_OF_RANGE', 'count limits and the upload deadline must be at least 1')
  }
}

export const riskConfigCodec = defineSignedMessage<RiskConfigBody>({
  type: MessageType.RiskConfig,
  name: 'RiskConfig',
  body_bytes_max: EUI_BYTES + 4 + 8 + 2 + 8 + 8 + 4 + 2 + 8 + 4 + 1,
  writeBody(writer, value) {
    checkLimits(value)
    writeEui(writer, value.gatewayEui)
    writer.u32(value.serial).u64(value.issuedAtMs)
    writeCurrency(writer, value.currency)
    writePositiveAmount(writer, value.floorLimitMinor)
    writePositiveAmount(writer, value.unsyncedTotalMaxMinor)
    writer
      .u32(value.unsyncedCountMax)
      .u16(value.consecutiveOfflineMax)
      .u64(value.uploadDeadlineMs)
      .u32(value.clockSkewMaxMs)
      .u8(value.defaultPolicy)
  },
  readBody(reader) {
    const value: RiskConfigBody = {
      gatewayEui: readEui(reader, 'gatewayEui'),
      serial: reader.u32('serial'),
      issuedAtMs: reader.u64('issuedAtMs'),
      currency: readCurrency(reader),
      floorLimitMinor: readPositiveAmount(reader, 'floorLimitMinor'),
      unsyncedTotalMaxMinor: readPositiveAmount(reader, 'unsyncedTotalMaxMinor'),
      unsyncedCountMax: reader.u32('unsyncedCountMax'),
      consecutiveOfflineMax: reader.u16('consecutiveOfflineMax'),
      uploadDeadlineMs: reader.u64('uploadDeadlineMs'),
      clockSkewMaxMs: reader.u32('clockSkewMaxMs'),
      defaultPolicy: readEnum(reader, POLICIES, 'online policy'),
    }
    checkLimits(value)
    return value
  },
})
