// A gateway's LoRa reports on the wire (GET /gateways/:id/lora): what it said it holds while its
// IP link was down, how the radio heard it, and whether the records that came over IP agree.

import { toHex } from '../../protocol/bytes'
import { formatAmount } from '../../protocol/money'
import { LORA_MISMATCHES } from './check'
import type { LoraReport } from './store'
import type { LoraReply, LoraReportReply } from './wire'

/** Reports listed per request, newest first. */
export const LORA_REPORTS_LISTED_MAX = 20

const NULLABLE_NUMBER = { type: ['number', 'null'] } as const

const LORA_REPORT_SCHEMA = {
  type: 'object',
  required: ['receivedAt', 'fCnt', 'gatewaySeq', 'unsyncedCount', 'unsyncedAmountMinor', 'unsyncedAmount', 'currency',
    'headPrefix', 'frameTime', 'rssi', 'snr', 'check', 'mismatch', 'mismatchDetail', 'checkedAt'],
  additionalProperties: false,
  properties: {
    receivedAt: { type: 'string', format: 'date-time' },
    fCnt: { type: 'integer', description: 'LoRaWAN uplink frame counter' },
    gatewaySeq: { type: 'integer', description: "the gateway's chain head sequence" },
    unsyncedCount: { type: 'integer', description: 'offline payments not acknowledged by the hub yet' },
    unsyncedAmountMinor: { type: 'integer' },
    unsyncedAmount: { type: 'string', description: 'decimal, in major units of currency' },
    currency: { type: 'string' },
    headPrefix: { type: 'string', description: 'first 16 bytes of the chain head hash, hex' },
    frameTime: { type: 'string', format: 'date-time', description: "the gateway's clock, whole seconds" },
    rssi: NULLABLE_NUMBER,
    snr: NULLABLE_NUMBER,
    check: {
      type: 'string', enum: ['pending', 'consistent', 'mismatch'],
      description: 'against the records that came over IP; pending until they have',
    },
    mismatch: { type: ['string', 'null'], enum: [...LORA_MISMATCHES, null] },
    mismatchDetail: { type: ['string', 'null'] },
    checkedAt: { type: ['string', 'null'], format: 'date-time' },
  },
} as const

export const LORA_REPLY_SCHEMA = {
  type: 'object',
  required: ['gatewayId', 'eui', 'lastReport', 'mismatchCount', 'reports'],
  additionalProperties: false,
  properties: {
    gatewayId: { type: 'string' },
    eui: { type: 'string', description: "also the DevEUI of the gateway's LoRa modem" },
    lastReport: { anyOf: [LORA_REPORT_SCHEMA, { type: 'null' }] },
    mismatchCount: { type: 'integer', description: 'reports the records over IP contradicted' },
    reports: { type: 'array', items: LORA_REPORT_SCHEMA, description: `the newest ${LORA_REPORTS_LISTED_MAX}, newest first` },
  },
} as const

export function loraReply(gatewayId: string, eui: string, reports: readonly LoraReport[], mismatchCount: number): LoraReply {
  const replies = reports.map(loraReportReply)
  return { gatewayId, eui, lastReport: replies[0] ?? null, mismatchCount, reports: replies }
}

function loraReportReply(report: LoraReport): LoraReportReply {
  const { frame, check } = report
  return {
    receivedAt: new Date(report.receivedAtMs).toISOString(),
    fCnt: report.fCnt,
    gatewaySeq: frame.gatewaySeq,
    unsyncedCount: frame.unsyncedCount,
    unsyncedAmountMinor: frame.unsyncedAmountMinor,
    unsyncedAmount: formatAmount(frame.unsyncedAmountMinor, frame.currency),
    currency: frame.currency,
    headPrefix: toHex(frame.headPrefix),
    frameTime: new Date(frame.timeS * 1000).toISOString(),
    rssi: report.rssi,
    snr: report.snr,
    check: check.state,
    mismatch: check.state === 'mismatch' ? check.mismatch : null,
    mismatchDetail: check.state === 'mismatch' ? check.detail : null,
    checkedAt: report.checkedAtMs === null ? null : new Date(report.checkedAtMs).toISOString(),
  }
}
