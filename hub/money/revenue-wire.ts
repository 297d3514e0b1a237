// The owners' revenue reply (GET /revenue) as types apart from its route: nothing here reaches Node, so the
// web dashboard imports them.

import type { RevenueSeries } from '../ledger/revenue-series'

export interface RevenueRowReply {
  ownerUserId: string | null
  ownerAccountId: string
  gatewayEui: string
  currency: string
  period: string
  revenueMinor: number
  revenue: string
  paymentCount: number
}

export interface SeriesReply extends RevenueSeries {
  gatewayId: string | null
  gatewayName: string | null
  total: string
}

export interface RevenueReply {
  rows: RevenueRowReply[]
  periods: string[]
  series: SeriesReply[]
  truncated: boolean
}
