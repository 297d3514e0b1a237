// An order's lines and total at today's catalog prices. Pure: the catalog comes in as a lookup.

import { addAmounts } from '../../protocol/money'
import { HttpError } from '../http/errors'

/** What pricing reads of a gateway in the catalog. */
export interface CatalogEntry {
  readonly status: string
  readonly priceCurrency: string
  readonly priceMinor: number
}

export interface OrderItemInput {
  readonly gatewayId: string
  readonly quantity: number
}

export interface PricedLine {
  readonly gatewayId: string
  readonly quantity: number
  readonly unitPriceMinor: number
}

export interface PricedOrder {
  readonly currency: string
  readonly totalMinor: number
  readonly lines: readonly PricedLine[]
}

/**
 * Prices the items against the catalog. Each catalog entry is one device, so an entry appears once
 * with quantity 1; every entry must be available and priced in the same currency.
 */
export function priceOrder(items: readonly OrderItemInput[], catalog: (gatewayId: string) => CatalogEntry | undefined): PricedOrder {
  if (items.length === 0) throw new HttpError(400, 'BAD_REQUEST', 'an order has at least one item')
  const seen = new Set<string>()
  const lines: PricedLine[] = []
  let currency: string | undefined
  let total_minor = 0
  for (const item of items) {
    if (seen.has(item.gatewayId)) throw new HttpError(400, 'BAD_REQUEST', `gateway ${item.gatewayId} is in the order twice`)
    seen.add(item.gatewayId)
    if (item.quantity !== 1) {
      throw new HttpError(400, 'BAD_REQUEST', `gateway ${item.gatewayId} is one device: its quantity is 1, not ${item.quantity}`)
    }
    const gateway = catalog(item.gatewayId)
    if (gateway === undefined || gateway.status === 'retired') {
      throw new HttpError(400, 'BAD_REQUEST', `no gateway ${item.gatewayId} in the catalog`)
    }
    if (gateway.status !== 'available') {
      throw new HttpError(409, 'GATEWAY_UNAVAILABLE', `gateway ${item.gatewayId} is not available any more`)
    }
    currency ??= gateway.priceCurrency
    if (gateway.priceCurrency !== currency) {
      throw new HttpError(400, 'BAD_REQUEST', `an order is paid in one currency; ${item.gatewayId} is priced in ${gateway.priceCurrency}, not ${currency}`)
    }
    total_minor = addAmounts(total_minor, gateway.priceMinor * item.quantity)
    lines.push({ gatewayId: item.gatewayId, quantity: item.quantity, unitPriceMinor: gateway.priceMinor })
  }
  return { currency: currency!, totalMinor: total_minor, lines }
}
