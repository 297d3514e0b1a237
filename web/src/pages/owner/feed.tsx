// The payments the owner's gateways take, shown as the hub settles them: from the live events alone,
// newest first, the last FEED_MAX kept (older ones drop off; each gateway's page lists them all).

import { useState } from 'preact/hooks'
import { Amount, DateTime, Section, Table } from '../../components/ui'
import { useLiveEvent, type LiveEvents } from '../../events'
import { formatAmount, useT } from '../../i18n'

const FEED_MAX = 20

type Settled = LiveEvents['payment.settled']

export function LiveFeed({ gateways }: { gateways: readonly { id: string; name: string }[] }) {
  const t = useT()
  const [entries, setEntries] = useState<{ payment: Settled; gateway: string }[]>([])
  const [said, setSaid] = useState('')
  useLiveEvent('payment.settled', (payment) => {
    // The stream also carries an owner's own payments as a customer: only their gateways' are theirs to show here.
    const gateway = gateways.find((candidate) => candidate.id === payment.gatewayId)
    if (gateway === undefined) return
    setEntries((previous) => [{ payment, gateway: gateway.name }, ...previous.filter((entry) => entry.payment.transferId !== payment.transferId)].slice(0, FEED_MAX))
    setSaid(t.owner.feed.announce(formatAmount(payment.amountMinor, payment.currency), gateway.name))
  })
  return (
    <Section title={t.owner.feed.title} id="live-payments">
      <p class="muted">{t.owner.feed.intro}</p>
      <p class="visually-hidden" role="status">{said}</p>
      {entries.length === 0 ? <p>{t.owner.feed.empty}</p> : (
        <Table caption={t.owner.feed.table} head={[t.owner.feed.time, t.owner.feed.gateway, t.table.amount]}>
          {entries.map(({ payment, gateway }) => (
            <tr key={payment.transferId}>
              <td><DateTime atMs={payment.atMs} /></td>
              <td>{gateway}</td>
              <td class="number"><Amount minor={payment.amountMinor} currency={payment.currency} /></td>
            </tr>
          ))}
        </Table>
      )}
    </Section>
  )
}
