// A gateway's revenue series as a type apart from the ledger code that sums it: nothing here reaches Node, so
// the revenue reply (hub/money/revenue-wire.ts) and the web dashboard import it.

/** One gateway's revenue in one currency, a value per period of its report (zero where it earned nothing). */
export interface RevenueSeries {
  readonly gatewayEui: string
  readonly currency: string
  /** Aligned with the periods; summed over the owners the gateway had. */
  readonly revenueMinor: number[]
  readonly paymentCount: number[]
  readonly totalMinor: number
}
