// What the owner's pages read from the hub (the shapes of its replies: the hub's own types where it declares
// them), days as the hub names them, and query strings.

import type { OwnerGatewayReply, SyncReply } from '../../../../hub/gateways/wire'
import type { LoraReply } from '../../../../hub/lora/wire'
import type { RevenueRowReply, SeriesReply } from '../../../../hub/money/revenue-wire'

export type { CatalogEntry, GatewayStatus, Paged } from '../../replies'
/** An item of GET /owner/gateways. */
export type OwnerGateway = OwnerGatewayReply
/** How a gateway's syncing stands, on its status and in its owner's list. */
export type GatewaySync = SyncReply
export type RevenueRow = RevenueRowReply
/** One gateway's revenue in one currency, a value per period of the reply's `periods` (UTC days or months). */
export type RevenueSeries = Pick<SeriesReply, 'currency' | 'revenueMinor' | 'paymentCount'>
export type LoraReports = LoraReply

export interface GatewayPayment {
  id: string
  kind: string
  currency: string
  amountMinor: number
  voucherId: string | null
  createdAt: string
}

type OrderStatus = 'pending' | 'validated' | 'rejected'

export interface Order {
  id: string
  status: OrderStatus
  items: { gatewayId: string; quantity: number; unitPriceMinor: number }[]
  currency: string
  totalMinor: number
  shippingAddress: string
  decisionReason: string | null
  createdAt: string
  decidedAt: string | null
}

/** `?a=1&b=2` from the defined entries of `params`, each value encoded. */
export function query(params: Record<string, string | number | undefined>): string {
  const parts = Object.entries(params)
    .filter((entry): entry is [string, string | number] => entry[1] !== undefined)
    .map(([key, value]) => `${encodeURIComponent(key)}=${encodeURIComponent(String(value))}`)
  return parts.length === 0 ? '' : `?${parts.join('&')}`
}

/** The UTC day of `at_ms` as the hub names days: YYYY-MM-DD. */
export function utcDay(at_ms: number): string {
  return new Date(at_ms).toISOString().slice(0, 10)
}

/** `day` (YYYY-MM-DD) moved by `days` whole days. */
export function addDays(day: string, days: number): string {
  const at = new Date(`${day}T00:00:00Z`)
  at.setUTCDate(at.getUTCDate() + days)
  return utcDay(at.getTime())
}
