// Gateways on the wire: the JSON schemas of the replies and the functions that build them, so a
// reply never carries more than its schema names (never a token hash, never another owner's data).

import { toBase64 } from '../../protocol/bytes'
import type { RiskConfigBody } from '../../protocol/messages/risk-config'
import { formatAmount } from '../../protocol/money'
import type { LoraReport } from '../lora/store'
import { ONLINE_POLICY_NAMES, onlinePolicyName, type RiskLimits } from './risk'
import type { ChainStatus, Gateway } from './store'
import {
  GATEWAY_STATUSES, type CatalogEntryReply, type GatewayReply, type RiskReply, type StatusReply, type SyncReply,
} from './wire'

const NULLABLE_STRING = { type: ['string', 'null'] } as const
const NULLABLE_DATE_TIME = { type: ['string', 'null'], format: 'date-time' } as const

export const CATALOG_ENTRY_SCHEMA = {
  type: 'object',
  required: ['id', 'name', 'type', 'eui', 'price', 'currency', 'available'],
  additionalProperties: false,
  properties: {
    id: { type: 'string' },
    name: { type: 'string' },
    type: { type: 'string' },
    eui: { type: 'string', description: 'EUI-64, 16 uppercase hex digits' },
    price: { type: 'string', description: 'decimal, in major units of currency' },
    currency: { type: 'string', description: 'ISO 4217' },
    available: { type: 'boolean', description: 'not yet assigned to an owner' },
  },
} as const

export function catalogEntryReply(gateway: Gateway): CatalogEntryReply {
  return {
    id: gateway.id,
    name: gateway.name,
    type: gateway.type,
    eui: gateway.eui,
    price: formatAmount(gateway.priceMinor, gateway.priceCurrency),
    currency: gateway.priceCurrency,
    available: gateway.status === 'available',
  }
}

/** Whether a gateway is connected, as gateway replies and status replies carry it. */
const PRESENCE_PROPERTIES = {
  online: { type: 'boolean', description: 'its MQTT connection is open, as the hub last learned it' },
  lastSeenAtMs: {
    type: ['integer', 'null'], description: 'Unix milliseconds when the hub saw its connection open or close; null: never connected',
  },
} as const

/** A gateway as its operator and its owner see it. */
export const GATEWAY_REPLY_SCHEMA = {
  type: 'object',
  required: [
    'id', 'eui', 'name', 'type', 'price', 'priceMinor', 'currency', 'status', 'ownerUserId', 'merchantAccountId',
    'publicKey', 'riskConfigSerial', 'createdAt', 'provisionedAt', 'retiredAt', 'online', 'lastSeenAtMs',
  ],
  additionalProperties: false,
  properties: {
    id: { type: 'string' },
    eui: { type: 'string' },
    name: { type: 'string' },
    type: { type: 'string' },
    price: { type: 'string' },
    priceMinor: { type: 'integer' },
    currency: { type: 'string' },
    status: { type: 'string', enum: [...GATEWAY_STATUSES] },
    ownerUserId: NULLABLE_STRING,
    merchantAccountId: NULLABLE_STRING,
    publicKey: { type: ['string', 'null'], description: 'base64 Ed25519 public key, once provisioned' },
    riskConfigSerial: { type: 'integer', description: '0 until a risk config is issued' },
    createdAt: { type: 'string', format: 'date-time' },
    provisionedAt: NULLABLE_DATE_TIME,
    retiredAt: NULLABLE_DATE_TIME,
    ...PRESENCE_PROPERTIES,
  },
} as const

export function gatewayReply(gateway: Gateway): GatewayReply {
  return {
    id: gateway.id,
    eui: gateway.eui,
    name: gateway.name,
    type: gateway.type,
    price: formatAmount(gateway.priceMinor, gateway.priceCurrency),
    priceMinor: gateway.priceMinor,
    currency: gateway.priceCurrency,
    status: gateway.status,
    ownerUserId: gateway.ownerUserId,
    merchantAccountId: gateway.merchantAccountId,
    publicKey: gateway.publicKey === null ? null : toBase64(gateway.publicKey),
    riskConfigSerial: gateway.riskConfigSerial,
    createdAt: isoTime(gateway.createdAtMs),
    provisionedAt: isoTimeOrNull(gateway.provisionedAtMs),
    retiredAt: isoTimeOrNull(gateway.retiredAtMs),
    online: gateway.online,
    lastSeenAtMs: gateway.lastSeenAtMs,
  }
}

export function pageReplySchema<ItemSchema extends object>(itemSchema: ItemSchema) {
  return {
    type: 'object',
    required: ['items', 'page', 'pageSize', 'total'],
    additionalProperties: false,
    properties: {
      items: { type: 'array', items: itemSchema },
      page: { type: 'integer' },
      pageSize: { type: 'integer' },
      total: { type: 'integer', description: 'of all pages' },
    },
  } as const
}

export const RISK_REPLY_SCHEMA = {
  type: 'object',
  required: [
    'gatewayId', 'eui', 'serial', 'issuedAt', 'currency', 'floorLimitMinor', 'floorLimit', 'unsyncedTotalMaxMinor',
    'unsyncedTotalMax', 'unsyncedCountMax', 'consecutiveOfflineMax', 'uploadDeadlineMs', 'clockSkewMaxMs', 'defaultPolicy',
  ],
  additionalProperties: false,
  properties: {
    gatewayId: { type: 'string' },
    eui: { type: 'string' },
    serial: { type: 'integer', description: 'of the signed config in force; 0: none issued yet, these are the defaults' },
    issuedAt: NULLABLE_DATE_TIME,
    currency: { type: 'string' },
    floorLimitMinor: { type: 'integer', description: 'the largest single offline payment' },
    floorLimit: { type: 'string', description: 'the same, decimal in major units' },
    unsyncedTotalMaxMinor: { type: 'integer', description: 'the most the gateway may hold unsynced' },
    unsyncedTotalMax: { type: 'string' },
    unsyncedCountMax: { type: 'integer' },
    consecutiveOfflineMax: { type: 'integer', description: 'offline payments in a row per voucher' },
    uploadDeadlineMs: { type: 'integer' },
    clockSkewMaxMs: { type: 'integer' },
    defaultPolicy: { type: 'string', enum: [...ONLINE_POLICY_NAMES] },
  },
} as const

/** `issued` is null for the defaults a gateway will get at provisioning. */
export function riskReply(gateway: Gateway, limits: RiskLimits, issued: RiskConfigBody | null): RiskReply {
  return {
    gatewayId: gateway.id,
    eui: gateway.eui,
    serial: issued?.serial ?? 0,
    issuedAt: issued === null ? null : isoTime(issued.issuedAtMs),
    currency: limits.currency,
    floorLimitMinor: limits.floorLimitMinor,
    floorLimit: formatAmount(limits.floorLimitMinor, limits.currency),
    unsyncedTotalMaxMinor: limits.unsyncedTotalMaxMinor,
    unsyncedTotalMax: formatAmount(limits.unsyncedTotalMaxMinor, limits.currency),
    unsyncedCountMax: limits.unsyncedCountMax,
    consecutiveOfflineMax: limits.consecutiveOfflineMax,
    uploadDeadlineMs: limits.uploadDeadlineMs,
    clockSkewMaxMs: limits.clockSkewMaxMs,
    defaultPolicy: onlinePolicyName(limits.defaultPolicy),
  }
}

/**
 * What the hub knows of a gateway's syncing, on its status and in its owner's list: when it last uploaded
 * records, what its last LoRa report said it held unsynced, and the gaps open in its chain.
 */
const SYNC_REPLY_PROPERTIES = {
  lastSyncAtMs: { type: ['integer', 'null'], description: 'when the hub last took a batch of its records; null before the first' },
  unsyncedOfflineMinor: {
    type: ['integer', 'null'],
    description: 'offline payments its last LoRa report said it held unsynced; 0 once the records up to that report have arrived '
      + 'over IP; null when it never reported over LoRa',
  },
  unsyncedOffline: { type: ['string', 'null'], description: 'the same, decimal in major units of unsyncedOfflineCurrency' },
  unsyncedOfflineCurrency: { type: ['string', 'null'] },
  unsyncedOfflineReportedAtMs: { type: ['integer', 'null'], description: 'when the hub received that LoRa report' },
  chainGaps: { type: 'integer', description: 'gaps open in its record chain at the hub' },
} as const
const SYNC_REPLY_KEYS = Object.keys(SYNC_REPLY_PROPERTIES) as Array<keyof typeof SYNC_REPLY_PROPERTIES>

export function syncReply(chainStatus: ChainStatus, lastReport: LoraReport | undefined): SyncReply {
  const { chain } = chainStatus
  const reported = lastReport?.frame
  // Once every record up to the report's head has come over IP, nothing it counted is unsynced any more.
  const synced = reported !== undefined && chain !== null && chain.contiguousSeq >= reported.gatewaySeq
  const unsynced_minor = reported === undefined ? null : synced ? 0 : reported.unsyncedAmountMinor
  return {
    lastSyncAtMs: chain?.updatedAtMs ?? null,
    unsyncedOfflineMinor: unsynced_minor,
    unsyncedOffline: unsynced_minor === null ? null : formatAmount(unsynced_minor, reported!.currency),
    unsyncedOfflineCurrency: reported?.currency ?? null,
    unsyncedOfflineReportedAtMs: lastReport?.receivedAtMs ?? null,
    chainGaps: chainStatus.openGapCount,
  }
}

/** A gateway in its owner's list: the gateway, and how its syncing stands. */
export const OWNER_GATEWAY_REPLY_SCHEMA = {
  ...GATEWAY_REPLY_SCHEMA,
  required: [...GATEWAY_REPLY_SCHEMA.required,
    ...SYNC_REPLY_KEYS],
  properties: {
    ...GATEWAY_REPLY_SCHEMA.properties,
    ...SYNC_REPLY_PROPERTIES,
  },
} as const

const GAPS_SCHEMA = {
  type: 'array',
  description: 'the first open gaps, lowest first',
  items: {
    type: 'object',
    required: ['fromSeq', 'toSeq', 'detectedAt'],
    additionalProperties: false,
    properties: {
      fromSeq: { type: 'integer' },
      toSeq: { type: 'integer' },
      detectedAt: { type: 'string', format: 'date-time' },
    },
  },
} as const

export const STATUS_REPLY_SCHEMA = {
  type: 'object',
  required: ['gatewayId', 'eui', 'status', 'provisionedAt', 'retiredAt', 'riskConfigSerial', 'chainNumber', 'chain', 'openGaps',
    'openGapCount', 'forkCount', 'closingChains', 'online', 'lastSeenAtMs',
    ...SYNC_REPLY_KEYS],
  additionalProperties: false,
  properties: {
    gatewayId: { type: 'string' },
    eui: { type: 'string' },
    status: { type: 'string', enum: [...GATEWAY_STATUSES] },
    provisionedAt: NULLABLE_DATE_TIME,
    retiredAt: NULLABLE_DATE_TIME,
    riskConfigSerial: { type: 'integer' },
    chainNumber: {
      type: ['integer', 'null'],
      description: 'the record chain its key signs: 1 for the first key of its EUI, one more for each new key '
        + '(a gateway provisioned again after a re-image, or a new gateway given a retired EUI); null before it is provisioned',
    },
    chain: {
      type: ['object', 'null'],
      description: 'how far the hub holds the gateway\'s current record chain; null before its first upload',
      required: ['contiguousSeq', 'highestSeq', 'updatedAt'],
      additionalProperties: false,
      properties: {
        contiguousSeq: { type: 'integer', description: 'every record up to this one has arrived' },
        highestSeq: { type: 'integer' },
        updatedAt: { type: 'string', format: 'date-time' },
      },
    },
    openGaps: GAPS_SCHEMA,
    openGapCount: { type: 'integer' },
    forkCount: { type: 'integer', description: 'records the hub saw that contradict its copy of the chain' },
    closingChains: {
      type: 'array',
      description: 'its older chains (signed by keys it no longer has) with records missing: closed once an operator writes them off '
        + '(POST /gateways/{id}/chains/{chain}/write-off)',
      items: {
        type: 'object',
        required: ['number', 'contiguousSeq', 'highestSeq', 'closingAt', 'openGaps', 'openGapCount'],
        additionalProperties: false,
        properties: {
          number: { type: 'integer' },
          contiguousSeq: { type: 'integer', description: 'every record up to this one has arrived' },
          highestSeq: { type: 'integer' },
          closingAt: { type: 'string', format: 'date-time', description: 'when a new key (or the retirement) closed it' },
          openGaps: GAPS_SCHEMA,
          openGapCount: { type: 'integer' },
        },
      },
    },
    ...SYNC_REPLY_PROPERTIES,
    ...PRESENCE_PROPERTIES,
  },
} as const

export function statusReply(gateway: Gateway, chainStatus: ChainStatus, lastReport: LoraReport | undefined): StatusReply {
  const { chain } = chainStatus
  return {
    gatewayId: gateway.id,
    eui: gateway.eui,
    status: gateway.status,
    provisionedAt: isoTimeOrNull(gateway.provisionedAtMs),
    retiredAt: isoTimeOrNull(gateway.retiredAtMs),
    riskConfigSerial: gateway.riskConfigSerial,
    chainNumber: chainStatus.number,
    chain: chain === null
      ? null
      : { contiguousSeq: chain.contiguousSeq, highestSeq: chain.highestSeq, updatedAt: isoTime(chain.updatedAtMs) },
    openGaps: chainStatus.openGaps.map(gapReply),
    openGapCount: chainStatus.openGapCount,
    forkCount: chainStatus.forkCount,
    closingChains: chainStatus.closingChains.map((closing) => ({
      number: closing.number,
      contiguousSeq: closing.contiguousSeq,
      highestSeq: closing.highestSeq,
      closingAt: isoTime(closing.closingAtMs),
      openGaps: closing.openGaps.map(gapReply),
      openGapCount: closing.openGapCount,
    })),
    ...syncReply(chainStatus, lastReport),
    online: gateway.online,
    lastSeenAtMs: gateway.lastSeenAtMs,
  }
}

export const CHAIN_WRITE_OFF_REPLY_SCHEMA = {
  type: 'object',
  required: ['gatewayId', 'eui', 'chain', 'state', 'writtenOffFromSeq', 'writtenOffToSeq'],
  additionalProperties: false,
  properties: {
    gatewayId: { type: 'string' },
    eui: { type: 'string' },
    chain: { type: 'integer' },
    state: { type: 'string', enum: ['closed'] },
    writtenOffFromSeq: { type: 'integer', description: 'the records the hub lacked, from this sequence number…' },
    writtenOffToSeq: { type: 'integer', description: '…to this one (some between may have arrived): never settled' },
  },
} as const

function gapReply(gap: { fromSeq: number; toSeq: number; detectedAtMs: number }): { fromSeq: number; toSeq: number; detectedAt: string } {
  return { fromSeq: gap.fromSeq, toSeq: gap.toSeq, detectedAt: isoTime(gap.detectedAtMs) }
}

function isoTime(time_ms: number): string {
  return new Date(time_ms).toISOString()
}

function isoTimeOrNull(time_ms: number | null): string | null {
  return time_ms === null ? null : isoTime(time_ms)
}
