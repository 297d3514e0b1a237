// Ordering gateways: the catalog's models with what is available, a cart, the shipping address, and the
// orders placed so far with their status, which changes live when an operator decides.

import { useState } from 'preact/hooks'
import { http, signedInUser } from '../../api'
import { useSubmit } from '../../components/form'
import { Amount, ErrorMessage, Field, Loading, Page, Section, Table } from '../../components/ui'
import { useResource } from '../../components/resource'
import { useT } from '../../i18n'
import { linesOf, modelsOf, orderItems, totalsOf, useCart, type Cart, type CartLine, type Model } from './cart'
import { query, type CatalogEntry, type Order, type Paged } from './model'
import { OrdersSection } from './orders'

/** The most catalog entries read at once (the hub's page limit); past it the page says how many it shows. */
const CATALOG_MAX = 100
/** The most devices in one order, as the hub takes them. */
const ORDER_ITEMS_MAX = 50

function Catalog({ models, cart, onAdd }: { models: Model[]; cart: Cart; onAdd: (model: Model) => void }) {
  const t = useT()
  const words = t.owner.shop
  if (models.length === 0) return <p>{words.noneAvailable}</p>
  return (
    <Table caption={words.catalogTable} head={[words.model, words.price, words.availableCount, t.table.actions]}>
      {models.map((model) => (
        <tr key={model.key}>
          <th scope="row" class="row-head">{model.type}</th>
          <td class="number"><Amount minor={model.priceMinor} currency={model.currency} /></td>
          <td class="number">{model.gatewayIds.length}</td>
          <td>
            <button type="button" aria-label={words.add(model.type)} disabled={(cart[model.key] ?? 0) >= model.gatewayIds.length} onClick={() => onAdd(model)}>
              {words.addShort}
            </button>
          </td>
        </tr>
      ))}
    </Table>
  )
}

function CartTable({ lines, onQuantity }: { lines: CartLine[]; onQuantity: (model: Model, quantity: number) => void }) {
  const t = useT()
  const words = t.owner.shop
  return (
    <Table caption={words.cartTable} head={[words.model, words.quantity, words.subtotal, t.table.actions]}>
      {lines.map(({ model, quantity }) => (
        <tr key={model.key}>
          <th scope="row" class="row-head">{model.type}</th>
          <td>
            <input
              type="number" class="quantity" min={1} max={Math.min(model.gatewayIds.length, ORDER_ITEMS_MAX)} value={quantity} aria-label={words.quantityOf(model.type)}
              onChange={(event) => onQuantity(model, Math.max(1, Math.floor(Number((event.currentTarget as HTMLInputElement).value)) || 1))}
            />
          </td>
          <td class="number"><Amount minor={model.priceMinor * quantity} currency={model.currency} /></td>
          <td><button type="button" class="danger" aria-label={words.remove(model.type)} onClick={() => onQuantity(model, 0)}>{words.removeShort}</button></td>
        </tr>
      ))}
    </Table>
  )
}

function CartSection({ lines, onQuantity, onPlaced }: { lines: CartLine[]; onQuantity: (model: Model, quantity: number) => void; onPlaced: () => void }) {
  const t = useT()
  const words = t.owner.shop
  const [placed, setPlaced] = useState(false)
  const totals = totalsOf(lines)
  const { error, busy, onSubmit } = useSubmit(async (form) => {
    setPlaced(false)
    await http.post<Order>('/orders', { items: orderItems(lines), shippingAddress: String(form.get('shippingAddress')).trim() })
    setPlaced(true)
    onPlaced()
  })
  return (
    <Section title={words.cart} id="cart">
      <p role="status" class="good">{placed ? words.placed : ''}</p>
      {lines.length === 0 ? <p>{words.cartEmpty}</p> : (
        <form onSubmit={onSubmit}>
          <CartTable lines={lines} onQuantity={onQuantity} />
          <p class="cart-total">
            {words.total}: {[...totals].map(([currency, minor], index) => <span key={currency}>{index > 0 ? ' + ' : ''}<Amount minor={minor} currency={currency} /></span>)}
          </p>
          {totals.size > 1 ? <p class="error">{words.oneCurrency}</p> : null}
          <Field label={words.address} hint={words.addressHint} name="shippingAddress" required maxLength={500} autoComplete="street-address" />
          <button type="submit" class="primary" disabled={busy || totals.size > 1}>{busy ? words.placing : words.place}</button>
          <ErrorMessage error={error} />
        </form>
      )}
    </Section>
  )
}

export function Shop() {
  const t = useT()
  const words = t.owner.shop
  // An operator's decision assigns devices: what is available changes with it.
  const catalog = useResource<Paged<CatalogEntry>>(`/gateways${query({ pageSize: CATALOG_MAX })}`, ['order.decided'])
  const [placedCount, setPlacedCount] = useState(0)
  const { cart, setQuantity, clear } = useCart(signedInUser()?.id ?? '')
  const models = modelsOf(catalog.data?.items ?? [])
  const lines = linesOf(cart, models)
  const placed = () => {
    clear()
    catalog.reload()
    setPlacedCount((count) => count + 1)
  }
  return (
    <Page title={words.title}>
      <p>{words.intro}</p>
      <ErrorMessage error={catalog.error} />
      <Section title={words.catalog} id="catalog">
        {catalog.data === undefined ? <Loading /> : <Catalog models={models} cart={cart} onAdd={(model) => setQuantity(model.key, (cart[model.key] ?? 0) + 1)} />}
        {catalog.data !== undefined && catalog.data.total > catalog.data.items.length ? <p class="muted">{words.moreInCatalog(catalog.data.items.length, catalog.data.total)}</p> : null}
      </Section>
      <CartSection lines={lines} onQuantity={(model, quantity) => setQuantity(model.key, quantity)} onPlaced={placed} />
      <OrdersSection placed={placedCount} />
    </Page>
  )
}
