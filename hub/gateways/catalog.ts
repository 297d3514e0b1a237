// The operator's side of the catalog: adding gateways, changing their name, type and price, and
// taking them out: deleted if they never took a payment, otherwise retired and kept for audit.

import { parseEui } from '../../protocol/eui'
import { assertAmountMinor, currencyByCode, parseAmount } from '../../protocol/money'
import type { HubContext } from '../context'
import { HttpError } from '../http/errors'
import type { SqlQuery } from '../store/sql'
import { newGatewayId, type Gateway, type GatewayStore } from './store'

const DEFAULT_PRICE_CURRENCY = 'XOF'

/** A price as a client may give it: a decimal string in major units or an integer of minor units, not both. */
interface PriceInput {
  readonly price?: string
  readonly priceMinor?: number
  readonly currency?: string
}

export interface NewGatewayInput extends PriceInput {
  readonly name: string
  readonly type: string
  /** In any form parseEui accepts. */
  readonly eui: string
}

export interface GatewayChanges extends PriceInput {
  readonly name?: string
  readonly type?: string
}

/** A gateway added; `supersedes` when it takes the EUI of a retired gateway, whose retained messages must leave the broker. */
export interface Creation {
  readonly gateway: Gateway
  readonly supersedes: boolean
}

/** What removing did: `gateway` as it was when deleted, as it is now when retired; `changed` false when it was retired already. */
export type Removal = { readonly outcome: 'deleted'; readonly gateway: Gateway } | { readonly outcome: 'retired'; readonly gateway: Gateway; readonly changed: boolean }

/** Minor units and currency of a price; `currency` falls back to `currencyDefault`. Pure. */
function resolvePrice(input: PriceInput, currencyDefault: string): { priceMinor: number; priceCurrency: string } {
  const priceCurrency = currencyByCode(input.currency ?? currencyDefault).code
  if (input.price !== undefined && input.priceMinor !== undefined) {
    throw new HttpError(400, 'BAD_REQUEST', 'give the price either as price (decimal text) or as priceMinor, not both')
  }
  if (input.price !== undefined) return { priceMinor: parseAmount(input.price, priceCurrency, { allowZero: true }), priceCurrency }
  if (input.priceMinor !== undefined) return { priceMinor: assertAmountMinor(input.priceMinor), priceCurrency }
  throw new HttpError(400, 'BAD_REQUEST', 'a price is needed: price (decimal text, e.g. "25000") or priceMinor')
}

/**
 * Adds an available gateway; 409 if a gateway that is not retired holds its EUI. A retired gateway's EUI is free: the
 * new gateway's key will sign the EUI's next chain, and the retired one keeps its rows for audit. `id` is a new random
 * one unless the caller derives it (a bulk request, whose retry must name the same gateways). `sql`: the transaction it
 * is part of; the EUI is decided there, by the unique index of the live EUIs.
 */
export async function createGateway(
  context: HubContext, store: GatewayStore, sql: SqlQuery, input: NewGatewayInput, id = newGatewayId(context.random),
): Promise<Creation> {
  const eui = parseEui(input.eui)
  const price = resolvePrice(input, DEFAULT_PRICE_CURRENCY)
  const supersedes = (await store.byEui(eui, sql))?.status === 'retired'
  const inserted = await store.insert({
    id, eui, name: input.name, type: input.type, ...price, createdAtMs: context.clock.now_ms(),
  }, sql)
  if (!inserted) throw new HttpError(409, 'CONFLICT', `a gateway with EUI ${eui} exists already (retire it to give its EUI to another)`)
  return { gateway: (await store.byId(id, sql))!, supersedes }
}

/** Changes name, type or price of a gateway that is not retired. A new currency needs a price in it. `sql`: the transaction it is part of. */
export async function updateGateway(store: GatewayStore, sql: SqlQuery, gatewayId: string, changes: GatewayChanges): Promise<Gateway> {
  const gateway = await store.byId(gatewayId, sql)
  if (gateway === undefined) throw new HttpError(404, 'NOT_FOUND', `no gateway ${gatewayId}`)
  if (gateway.status === 'retired') throw new HttpError(409, 'CONFLICT', `gateway ${gateway.eui} is retired`)
  const priceChanges = changes.price !== undefined || changes.priceMinor !== undefined
  if (!priceChanges && changes.currency !== undefined && changes.currency !== gateway.priceCurrency) {
    throw new HttpError(400, 'BAD_REQUEST', 'a new currency needs the price in it (price or priceMinor)')
  }
  const price = priceChanges
    ? resolvePrice(changes, gateway.priceCurrency)
    : { priceMinor: gateway.priceMinor, priceCurrency: gateway.priceCurrency }
  const updated = await store.updateDetails(gateway.id, { name: changes.name ?? gateway.name, type: changes.type ?? gateway.type, ...price }, sql)
  if (!updated) throw new HttpError(409, 'CONFLICT', `gateway ${gateway.eui} changed meanwhile; try again`)
  return (await store.byId(gateway.id, sql))!
}

/**
 * Deletes a gateway that never took a payment; retires one that did, or that is provisioned (its
 * key may have signed records not uploaded yet). Retiring a retired gateway changes nothing. `sql`: the transaction it
 * is part of.
 */
export async function removeGateway(context: HubContext, store: GatewayStore, sql: SqlQuery, gatewayId: string): Promise<Removal> {
  const gateway = await store.byId(gatewayId, sql)
  if (gateway === undefined) throw new HttpError(404, 'NOT_FOUND', `no gateway ${gatewayId}`)
  const keep = gateway.status === 'retired' || gateway.status === 'provisioned' || await store.hasProcessedPayments(gateway, sql)
  if (!keep) {
    if (!(await store.delete(gateway.id, sql))) throw new HttpError(409, 'CONFLICT', `gateway ${gateway.eui} changed meanwhile; try again`)
    return { outcome: 'deleted', gateway }
  }
  const changed = gateway.status !== 'retired' && await store.retire(sql, gateway.id, context.clock.now_ms())
  return { outcome: 'retired', gateway: (await store.byId(gateway.id, sql))!, changed }
}
