// The hub's replies the operator's pages read: the hub's own types where it declares them (one change to a reply
// shows here), and as the API (openapi.json) names the rest.

import type { AuditPageReply } from '../../../../hub/audit/wire'
import type { BatchReply } from '../../../../hub/anchor/wire'
import type {
  ChainWriteOffReply, GatewayReply, GatewayStatus as GatewayStatusName, RiskReply, TokenReply,
} from '../../../../hub/gateways/wire'
import type { AuthorizationEvidence, FlagView } from '../../../../hub/ingest/flag-wire'
import type { AdminUserReply } from '../../../../hub/users/wire'
import type { OnlinePolicyName } from '../../../../protocol/messages/online-policy'

export type { AuditPageReply, OnlinePolicyName }
export type { CatalogEntry, GatewayStatus, Paged } from '../../replies'
export type Gateway = GatewayReply
export type ChainWriteOff = ChainWriteOffReply
export type ProvisioningToken = TokenReply
export type RiskLimits = RiskReply
export type AdminUser = AdminUserReply
export type DoubleSpendFlag = FlagView
export type SignedAuthorization = AuthorizationEvidence
export type Anchor = BatchReply

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

export interface LedgerCheck {
  ok: boolean
  checkedAtMs: number
  violations: { code: string; message: string; currency?: string; accountId?: string; transferId?: string; voucherId?: string }[]
  currencies: { currency: string; accountCount: number; balanceSumMinor: string; postingSumMinor: string }[]
}

export interface OperatorInfos {
  users: { operator: number; owner: number; customer: number }
  gateways: Record<GatewayStatusName, number>
  pendingOrders: number
  documents: Record<DocumentStatus, number>
  notifications: { pending: number; sent: number; failed: number }
  flags: { openChainGaps: number; chainForks: number; doubleSpends: number; failedNotifications: number; pendingDocuments: number }
}
