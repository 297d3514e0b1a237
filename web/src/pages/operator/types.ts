// The hub's replies the operator's pages read, as the API (openapi.json and the issue 14 contract) names them.

import type { User } from '../../api'

/** A paged list as /orders, /gateways and /anchors reply. */
export interface Paged<T> {
  items: T[]
  page: number
  pageSize: number
  total: number
}

/** A list paged by cursor as /admin/users, /admin/audit and /flags reply. */
export interface CursorPaged {
  next: string | null
}

export type OrderStatus = 'pending' | 'validated' | 'rejected'

export interface Order {
  id: string
  userId: string
  status: OrderStatus
  items: { gatewayId: string; quantity: number; unitPriceMinor: number; unitPrice: string }[]
  currency: string
  totalMinor: number
  total: string
  shippingAddress: string
  decisionReason: string | null
  createdAt: string
  decidedAt: string | null
}

export interface CatalogEntry {
  id: string
  name: string
  type: string
  eui: string
  /** Decimal in major units of `currency`. */
  price: string
  currency: string
  available: boolean
}

type GatewayStatusName = 'available' | 'assigned' | 'provisioned' | 'retired'

/** The full gateway reply of POST/PATCH /gateways and /assign. */
export interface Gateway {
  id: string
  eui: string
  name: string
  type: string
  price: string
  priceMinor: number
  currency: string
  status: GatewayStatusName
  ownerUserId: string | null
  merchantAccountId: string | null
  publicKey: string | null
  riskConfigSerial: number
  createdAt: string
  provisionedAt: string | null
  retiredAt: string | null
}

export interface GatewayStatus {
  gatewayId: string
  eui: string
  status: GatewayStatusName
  provisionedAt: string | null
  retiredAt: string | null
  riskConfigSerial: number
  openGapCount: number
  forkCount: number
}

export interface ProvisioningToken {
  gatewayId: string
  eui: string
  token: string
  expiresAt: string
}

export type OnlinePolicy = 'PreferOnline' | 'RequireOnline' | 'ForceOffline'

export interface RiskLimits {
  gatewayId: string
  eui: string
  serial: number
  issuedAt: string | null
  currency: string
  floorLimitMinor: number
  unsyncedTotalMaxMinor: number
  unsyncedCountMax: number
  consecutiveOfflineMax: number
  uploadDeadlineMs: number
  clockSkewMaxMs: number
  defaultPolicy: OnlinePolicy
}

export interface FeeSchedule {
  id: string
  gatewayType: string
  currency: string
  version: number
  basisPoints: number
  fixedMinor: number
  ownerShareBasisPoints: number
  effectiveFrom: string
}

type DocumentKind = 'national_id' | 'passport' | 'driving_licence' | 'proof_of_address' | 'business_registration'
type DocumentStatus = 'pending' | 'approved' | 'rejected'

export interface KycDocument {
  id: string
  userId: string
  kind: DocumentKind
  mediaType: 'application/pdf' | 'image/png' | 'image/jpeg'
  sizeBytes: number
  sha256: string
  status: DocumentStatus
  reviewReason: string | null
  uploadedAt: string
  reviewedAt: string | null
}

export interface AdminUser extends User {
  suspendedAtMs: number | null
  suspendedReason: string | null
}

export interface AuditEntry {
  id: string | number
  atMs: number
  actorId: string
  actorName: string
  action: string
  targetId: string | null
  targetName: string | null
  detail: string | null
}

export interface SignedAuthorization {
  transferId: string | null
  gatewayId: string | null
  gatewayEui?: string
  counter: number
  /** Spent under the voucher, this payment included, as the phone signed it. */
  cumulativeMinor?: number
  amountMinor: number
  currency: string
  atMs: number
  messageHex: string
  signatureHex: string
  signatureValid: boolean
}

/** As contract C names it, with the fields the hub adds (the kind, who resolved it, when and why) optional. */
export interface DoubleSpendFlag {
  id: string | number
  kind?: 'same_seq' | 'cumulative'
  gatewayId: string | null
  voucherId: string | null
  payerDeviceKey: string | null
  detectedAtMs: number
  status: 'open' | 'resolved'
  resolvedAtMs?: number | null
  resolvedByName?: string | null
  note?: string | null
  authorizations: SignedAuthorization[]
}

export interface LedgerCheck {
  ok: boolean
  checkedAtMs: number
  violations: { code: string; message: string; currency?: string; accountId?: string; transferId?: string; voucherId?: string }[]
  currencies: { currency: string; accountCount: number; balanceSumMinor: string; postingSumMinor: string }[]
}

type AnchorStatus = 'sealed' | 'sent' | 'anchored' | 'conflict'

export interface Anchor {
  batchId: number
  root: string
  count: number
  sealedAtMs: number
  status: AnchorStatus
  chainId: number | null
  contract: string | null
  txHash: string | null
  blockNumber: number | null
  anchoredAtMs: number | null
  /** Present when the hub runs with --explorer-url. */
  explorerTxUrl?: string | null
}

export interface OperatorInfos {
  users: { operator: number; owner: number; customer: number }
  gateways: Record<GatewayStatusName, number>
  pendingOrders: number
  documents: Record<DocumentStatus, number>
  notifications: { pending: number; sent: number; failed: number }
  flags: { openChainGaps: number; chainForks: number; doubleSpends: number; failedNotifications: number; pendingDocuments: number }
}
