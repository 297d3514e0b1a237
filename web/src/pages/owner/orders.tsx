// The orders the user placed, newest first, with their status as the operator decides it. A validated
// order makes its buyer an owner: the session is renewed so the owner's pages appear at once.

import { useEffect, useState } from 'preact/hooks'
import { refreshSession, signedInUser } from '../../api'
import { Amount, DateTime, ErrorMessage, Loading, Section, Table } from '../../components/ui'
import { useResource } from '../../components/resource'
import { useLiveEvent } from '../../events'
import { useT } from '../../i18n'
import { query, type Order, type Paged } from './model'
import { Pager } from './pager'

const PAGE_SIZE = 20

/** `placed` counts the orders placed on this page: each one reloads the list. */
export function OrdersSection({ placed }: { placed: number }) {
  const t = useT()
  const words = t.owner.orders
  const [page, setPage] = useState(1)
  const orders = useResource<Paged<Order>>(`/orders${query({ page, pageSize: PAGE_SIZE })}`, ['order.decided'])
  const [said, setSaid] = useState('')
  useEffect(() => {
    if (placed > 0) orders.reload()
  }, [placed])
  useLiveEvent('order.decided', (event) => {
    const me = signedInUser()
    if (me === null || event.buyerId !== me.id) return
    setSaid(words.decided(t.owner.orderStatus[event.status]))
    if (event.status === 'validated' && !me.roles.includes('owner')) void refreshSession()
  })
  return (
    <Section title={words.title} id="orders">
      <p class="visually-hidden" role="status">{said}</p>
      <ErrorMessage error={orders.error} />
      {orders.data === undefined ? <Loading /> : (
        <Table caption={words.table} head={[words.placedAt, words.gateways, t.owner.shop.total, t.table.status, words.decidedAt, words.reason]} empty={orders.data.items.length === 0}>
          {orders.data.items.map((order) => (
            <tr key={order.id}>
              <td><DateTime atMs={order.createdAt} /></td>
              <td class="number">{order.items.reduce((count, item) => count + item.quantity, 0)}</td>
              <td class="number"><Amount minor={order.totalMinor} currency={order.currency} /></td>
              <td><span class={`badge order-${order.status}`}>{t.owner.orderStatus[order.status]}</span></td>
              <td><DateTime atMs={order.decidedAt} /></td>
              <td>{order.decisionReason ?? t.app.none}</td>
            </tr>
          ))}
        </Table>
      )}
      {orders.data === undefined ? null : <Pager label={words.title} page={page} pageSize={PAGE_SIZE} total={orders.data.total} onPage={setPage} />}
    </Section>
  )
}
