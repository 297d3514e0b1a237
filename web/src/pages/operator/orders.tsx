// Gateway orders waiting for the operator: validate one (its gateways go to the buyer) or reject it with
// a reason. The list reloads when any order is decided, here or by another operator.

import { useState } from 'preact/hooks'
import { http } from '../../api'
import { useSubmit } from '../../components/form'
import { useResource } from '../../components/resource'
import { Amount, DateTime, ErrorMessage, Loading, Page } from '../../components/ui'
import { useT } from '../../i18n'
import { PagePager, ReasonForm, query } from './parts'
import type { CatalogEntry, Order, OrderStatus, Paged } from './types'

const PAGE_SIZE = 20
/** The catalog's largest page: enough to name the gateways of the orders shown. */
const CATALOG_PAGE_SIZE = 100
const STATUSES: readonly OrderStatus[] = ['pending', 'validated', 'rejected']

function OrderItems({ order, catalog }: { order: Order; catalog: Map<string, CatalogEntry> }) {
  return (
    <ul class="plain">
      {order.items.map((item) => {
        const entry = catalog.get(item.gatewayId)
        return (
          <li key={item.gatewayId}>
            {entry === undefined ? <span class="mono">{item.gatewayId}</span> : <>{entry.name} <span class="mono">{entry.eui}</span></>}
            {' · '}<Amount minor={item.unitPriceMinor} currency={order.currency} />
            {item.quantity > 1 ? ` × ${item.quantity}` : null}
          </li>
        )
      })}
    </ul>
  )
}

function Decision({ order, onDecided }: { order: Order; onDecided: (status: OrderStatus) => void }) {
  const t = useT()
  const o = t.operator.orders
  const validate = useSubmit(async () => {
    await http.post(`/orders/${encodeURIComponent(order.id)}/validate`, {})
    onDecided('validated')
  })
  return (
    <div class="decision">
      <div class="row">
        <button type="button" class="primary" disabled={validate.busy} onClick={validate.onSubmit}>{o.validate}</button>
      </div>
      <ErrorMessage error={validate.error} />
      <ReasonForm id={`reject-${order.id}`} label={o.rejectReason} submit={o.reject} required danger
        onSubmit={async (reason) => {
          await http.post(`/orders/${encodeURIComponent(order.id)}/reject`, { reason })
          onDecided('rejected')
        }} />
    </div>
  )
}

function OrderCard({ order, catalog, onDecided }: { order: Order; catalog: Map<string, CatalogEntry>; onDecided: (status: OrderStatus) => void }) {
  const t = useT()
  const o = t.operator.orders
  return (
    <li class="card">
      <h2 class="card-title">{o.orderOf(order.id)}</h2>
      <dl class="facts ops-facts">
        <dt>{o.buyer}</dt><dd class="mono">{order.userId}</dd>
        <dt>{o.placed}</dt><dd><DateTime atMs={order.createdAt} /></dd>
        <dt>{o.gateways}</dt><dd><OrderItems order={order} catalog={catalog} /></dd>
        <dt>{o.total}</dt><dd><Amount minor={order.totalMinor} currency={order.currency} /></dd>
        <dt>{o.shippingAddress}</dt><dd class="user-text">{order.shippingAddress}</dd>
        <dt>{t.table.status}</dt><dd>{o.status[order.status]}</dd>
        {order.decidedAt === null ? null : <><dt>{o.decided}</dt><dd><DateTime atMs={order.decidedAt} /></dd></>}
        {order.decisionReason === null ? null : <><dt>{o.reason}</dt><dd class="user-text">{order.decisionReason}</dd></>}
      </dl>
      {order.status === 'pending' ? <Decision order={order} onDecided={onDecided} /> : null}
    </li>
  )
}

export function Orders() {
  const t = useT()
  const o = t.operator.orders
  const [status, setStatus] = useState<OrderStatus>('pending')
  const [page, setPage] = useState(1)
  const [note, setNote] = useState('')
  const orders = useResource<Paged<Order>>(`/orders?${query({ status, page, pageSize: PAGE_SIZE })}`, ['order.decided'])
  const catalog = useResource<Paged<CatalogEntry>>(`/gateways?pageSize=${CATALOG_PAGE_SIZE}`, ['order.decided'])
  const byId = new Map((catalog.data?.items ?? []).map((entry) => [entry.id, entry]))
  const decided = (id: string) => (outcome: OrderStatus) => {
    setNote(outcome === 'validated' ? o.validated(id) : o.rejected(id))
    orders.reload()
  }
  return (
    <Page title={o.title}>
      <div class="field inline">
        <label for="order-status">{o.show}</label>
        <select id="order-status" value={status} onChange={(event) => { setStatus(event.currentTarget.value as OrderStatus); setPage(1) }}>
          {STATUSES.map((value) => <option key={value} value={value}>{o.statusPlural[value]}</option>)}
        </select>
      </div>
      <p role="status" class="good">{note}</p>
      <ErrorMessage error={orders.error} />
      {orders.data === undefined ? <Loading /> : orders.data.items.length === 0 ? <p>{o.none[status]}</p> : (
        <ul class="plain cards">
          {orders.data.items.map((order) => <OrderCard key={order.id} order={order} catalog={byId} onDecided={decided(order.id)} />)}
        </ul>
      )}
      {orders.data === undefined ? null : <PagePager page={page} pageSize={PAGE_SIZE} total={orders.data.total} onPage={setPage} />}
    </Page>
  )
}
