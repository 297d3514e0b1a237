// The shop's cart. The catalog lists single devices (an order names each one, quantity 1); people buy
// models, so available devices of one type and price are grouped, and a quantity of a model becomes that
// many of its devices, oldest in the catalog first. The cart lasts the browser tab (sessionStorage),
// one per signed-in user.

import { useEffect, useState } from 'preact/hooks'
import { parseAmount } from '../../i18n'
import type { CatalogEntry } from './model'

export interface Model {
  key: string
  type: string
  currency: string
  priceMinor: number
  /** Its available devices, in catalog order. */
  gatewayIds: string[]
}

/** Model key → quantity. */
export type Cart = Readonly<Record<string, number>>

export interface CartLine {
  model: Model
  quantity: number
}

/** The available entries of the catalog grouped by type, currency and price, in catalog order. */
export function modelsOf(entries: readonly CatalogEntry[]): Model[] {
  const models = new Map<string, Model>()
  for (const entry of entries) {
    const price_minor = parseAmount(entry.price, entry.currency)
    if (!entry.available || price_minor === undefined) continue
    const key = `${entry.type}|${entry.currency}|${price_minor}`
    let model = models.get(key)
    if (model === undefined) models.set(key, (model = { key, type: entry.type, currency: entry.currency, priceMinor: price_minor, gatewayIds: [] }))
    model.gatewayIds.push(entry.id)
  }
  return [...models.values()]
}

/** The cart's lines for the models still in the catalog, each quantity at most what is available. */
export function linesOf(cart: Cart, models: readonly Model[]): CartLine[] {
  return models
    .map((model) => ({ model, quantity: Math.min(cart[model.key] ?? 0, model.gatewayIds.length) }))
    .filter((line) => line.quantity > 0)
}

/** Totals per currency: an order is paid in one, so more than one entry means more than one order. */
export function totalsOf(lines: readonly CartLine[]): Map<string, number> {
  const totals = new Map<string, number>()
  for (const { model, quantity } of lines) totals.set(model.currency, (totals.get(model.currency) ?? 0) + model.priceMinor * quantity)
  return totals
}

/** POST /orders items: a quantity of a model as that many of its devices. */
export function orderItems(lines: readonly CartLine[]): { gatewayId: string; quantity: 1 }[] {
  return lines.flatMap(({ model, quantity }) => model.gatewayIds.slice(0, quantity).map((gatewayId) => ({ gatewayId, quantity: 1 as const })))
}

function read(key: string): Cart {
  try {
    const parsed: unknown = JSON.parse(sessionStorage.getItem(key) ?? '{}')
    if (typeof parsed !== 'object' || parsed === null) return {}
    return Object.fromEntries(Object.entries(parsed).filter((entry): entry is [string, number] => Number.isSafeInteger(entry[1]) && entry[1] > 0))
  } catch {
    // No storage (a private mode) or something else in it: an empty cart.
    return {}
  }
}

/** The signed-in user's cart and how to change it; `setQuantity(key, 0)` removes a model. */
export function useCart(userId: string): { cart: Cart; setQuantity: (key: string, quantity: number) => void; clear: () => void } {
  const key = `payall.cart.${userId}`
  const [cart, setCart] = useState<Cart>(() => read(key))
  useEffect(() => {
    try {
      sessionStorage.setItem(key, JSON.stringify(cart))
    } catch {
      // Kept for this page only.
    }
  }, [key, cart])
  const setQuantity = (model: string, quantity: number) => setCart((previous) => {
    const next = { ...previous }
    if (quantity > 0) next[model] = quantity
    else delete next[model]
    return next
  })
  return { cart, setQuantity, clear: () => setCart({}) }
}
