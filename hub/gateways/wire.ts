// The JSON of the gateway replies as types (and the gateway statuses they name), apart from the code that builds
// them: nothing here reaches Node, so the web dashboard imports these types and reads what the hub sends.

import type { OnlinePolicyName } from '../../protocol/messages/online-policy'

/** available: in the catalog; assigned: has an owner; provisioned: has its key; retired: kept for audit only. */
export const GATEWAY_STATUSES = ['available', 'assigned', 'provisioned', 'retired'] as const
export type GatewayStatus = (typeof GATEWAY_STATUSES)[number]

export interface CatalogEntryReply {
  id: string
  name: string
  type: string
  eui: string
  price: string
  currency: string
  available: boolean
}

export interface GatewayReply {
  id: string
  eui: string
  name: string
  type: string
  price: string
  priceMinor: number
  currency: string
  status: GatewayStatus
  ownerUserId: string | null
  merchantAccountId: string | null
  publicKey: string | null
  riskConfigSerial: number
  createdAt: string
  provisionedAt: string | null
  retiredAt: string | null
  online: boolean
  lastSeenAtMs: number | null
}

/** A provisioning token as POST /gateways/{id}/provisioning-token gives it, once. */
export interface TokenReply {
  gatewayId: string
  eui: string
  token: string
  expiresAt: string
}

export interface PageReply<Item> {
  items: Item[]
  page: number
  pageSize: number
  total: number
}

export interface RiskReply {
  gatewayId: string
  eui: string
  serial: number
  issuedAt: string | null
  currency: string
  floorLimitMinor: number
  floorLimit: string
  unsyncedTotalMaxMinor: number
  unsyncedTotalMax: string
  unsyncedCountMax: number
  consecutiveOfflineMax: number
  uploadDeadlineMs: number
  clockSkewMaxMs: number
  defaultPolicy: OnlinePolicyName
}

/** How a gateway's syncing stands, on its status and in its owner's list. */
export interface SyncReply {
  lastSyncAtMs: number | null
  unsyncedOfflineMinor: number | null
  unsyncedOffline: string | null
  unsyncedOfflineCurrency: string | null
  unsyncedOfflineReportedAtMs: number | null
  chainGaps: number
}

/** A gateway in its owner's list: the gateway, and how its syncing stands. */
export type OwnerGatewayReply = GatewayReply & SyncReply

export interface StatusReply extends SyncReply {
  gatewayId: string
  eui: string
  status: GatewayStatus
  provisionedAt: string | null
  retiredAt: string | null
  riskConfigSerial: number
  chainNumber: number | null
  chain: { contiguousSeq: number; highestSeq: number; updatedAt: string } | null
  openGaps: Array<{ fromSeq: number; toSeq: number; detectedAt: string }>
  openGapCount: number
  forkCount: number
  closingChains: Array<{
    number: number; contiguousSeq: number; highestSeq: number; closingAt: string
    openGaps: Array<{ fromSeq: number; toSeq: number; detectedAt: string }>; openGapCount: number
  }>
  online: boolean
  lastSeenAtMs: number | null
}

/** An old chain an operator closed by writing its missing records off. */
export interface ChainWriteOffReply {
  gatewayId: string
  eui: string
  chain: number
  state: 'closed'
  writtenOffFromSeq: number
  writtenOffToSeq: number
}
