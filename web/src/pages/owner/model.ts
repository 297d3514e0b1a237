// What the owner's pages read from the hub (the shapes of its replies), days as the hub names them, and
// query strings.

export interface Paged<T> {
  items: T[]
  page: number
  pageSize: number
  total: number
}

type GatewayStatusName = 'available' | 'assigned' | 'provisioned' | 'retired'

/** An item of GET /owner/gateways. */
export interface OwnerGateway extends GatewaySync {
  id: string
  eui: string
  name: string
  /** Its price's. */
  currency: string
  status: GatewayStatusName
  online: boolean
  lastSeenAtMs: number | null
}

/** How a gateway's syncing stands, on its status and in its owner's list. */
export interface GatewaySync {
  lastSyncAtMs: number | null
  /** What its last LoRa report held unsynced (0 once those records came over IP); null when it never reported. */
  unsyncedOfflineMinor: number | null
  unsyncedOfflineCurrency: string | null
  chainGaps: number
}

/** GET /gateways/{id}/status. */
export interface GatewayStatus extends GatewaySync {
  gatewayId: string
  eui: string
  status: GatewayStatusName
  provisionedAt: string | null
  chain: { contiguousSeq: number; highestSeq: number } | null
  forkCount: number
  online: boolean
  lastSeenAtMs: number | null
}

/** GET /gateways and GET /gateways/{id}: a catalog entry, one device. */
export interface CatalogEntry {
  id: string
  name: string
  type: string
  eui: string
  /** Decimal, in major units of `currency`. */
  price: string
  currency: string
  available: boolean
}

export interface RevenueRow {
  currency: string
  revenueMinor: number
}

/** One gateway's revenue in one currency, a value per period of the reply's `periods` (UTC days or months). */
export interface RevenueSeries {
  currency: string
  revenueMinor: number[]
  paymentCount: number[]
}

export interface GatewayPayment {
  id: string
  kind: string
  currency: string
  amountMinor: number
  voucherId: string | null
  createdAt: string
}

type LoraCheck = 'pending' | 'consistent' | 'mismatch'

interface LoraReport {
  receivedAt: string
  gatewaySeq: number
  unsyncedCount: number
  unsyncedAmountMinor: number
  currency: string
  check: LoraCheck
  rssi: number | null
  snr: number | null
}

export interface LoraReports {
  lastReport: LoraReport | null
  mismatchCount: number
  reports: LoraReport[]
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
