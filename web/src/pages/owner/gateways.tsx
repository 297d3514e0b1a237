// The owner's home: their gateways with live status (online or offline, last seen and synced, what the
// last LoRa report said is not synced yet, gaps in the record chain), today's payments per gateway, and
// the payments the fleet takes, as they settle.

import { useState } from 'preact/hooks'
import { Amount, DateTime, ErrorMessage, Loading, Page, Section } from '../../components/ui'
import { useResource } from '../../components/resource'
import { useT } from '../../i18n'
import { LiveFeed } from './feed'
import { latestPresence, useGatewayPayment, usePresenceEvents, type Presence } from './live'
import { query, utcDay, type GatewayPayment, type OwnerGateway, type Paged, type RevenueRow } from './model'
import { Pager } from './pager'
import { PresenceBadge, PresenceAnnouncer, Unsynced } from './presence'

const PAGE_SIZE = 20

/** Local midnight today, as the hub reads a time: what "today" means on this screen. */
function startOfToday(): string {
  const midnight = new Date()
  midnight.setHours(0, 0, 0, 0)
  return midnight.toISOString()
}

/** How many payments the gateway took today and the latest of them, loaded again when one of its payments settles. */
function TodayPayments({ gateway }: { gateway: OwnerGateway }) {
  const t = useT()
  const path = gateway.status === 'provisioned' ? `/transactions/${encodeURIComponent(gateway.id)}/gateway${query({ from: startOfToday(), pageSize: 1 })}` : null
  const today = useResource<Paged<GatewayPayment>>(path)
  useGatewayPayment(gateway.id, today.reload)
  const latest = today.data?.items[0]
  return (
    <>
      <dt>{t.owner.gateways.paymentsToday}</dt>
      <dd>{today.data?.total ?? 0}</dd>
      <dt>{t.owner.gateways.latestPayment}</dt>
      <dd>{latest === undefined ? t.owner.gateways.noPaymentToday : <><Amount minor={latest.amountMinor} currency={latest.currency} /> · <DateTime atMs={latest.createdAt} /></>}</dd>
    </>
  )
}

function GatewayCard({ gateway, presence }: { gateway: OwnerGateway; presence: Presence }) {
  const t = useT()
  const words = t.owner.gateways
  return (
    <li class="card gateway-card">
      <div class="gateway-card-head">
        <h3><a href={`#/owner/gateways/${encodeURIComponent(gateway.id)}`}>{gateway.name}</a></h3>
        {gateway.status === 'provisioned' ? <PresenceBadge online={presence.online} /> : <span class="badge">{t.owner.gatewayStatus[gateway.status]}</span>}
      </div>
      <dl class="facts">
        <dt>{words.eui}</dt>
        <dd class="mono">{gateway.eui}</dd>
        <dt>{words.lastSeen}</dt>
        <dd><DateTime atMs={presence.lastSeenAtMs} /></dd>
        <dt>{words.lastSync}</dt>
        <dd><DateTime atMs={gateway.lastSyncAtMs} /></dd>
        <dt>{words.unsynced}</dt>
        <dd><Unsynced sync={gateway} /></dd>
        <dt>{words.chainGaps}</dt>
        <dd class={gateway.chainGaps > 0 ? 'error' : undefined}>{gateway.chainGaps}</dd>
        <TodayPayments gateway={gateway} />
      </dl>
    </li>
  )
}

/** Online count and the owner's revenue today (UTC, as the hub counts days), per currency. */
function Summary({ gateways, online }: { gateways: OwnerGateway[]; online: number }) {
  const t = useT()
  const today = utcDay(Date.now())
  const revenue = useResource<{ rows: RevenueRow[] }>(`/revenue${query({ period: 'day', from: today, to: today })}`, ['payment.settled'])
  const totals = new Map<string, number>()
  for (const row of revenue.data?.rows ?? []) totals.set(row.currency, (totals.get(row.currency) ?? 0) + row.revenueMinor)
  if (totals.size === 0 && gateways[0] !== undefined) totals.set(gateways[0].currency, 0)
  return (
    <>
      <ErrorMessage error={revenue.error} />
      <ul class="tiles">
      <li class="tile">
        <span class="tile-label">{t.owner.gateways.onlineCount}</span>
        <span class="tile-value">{t.owner.gateways.onlineOf(online, gateways.length)}</span>
      </li>
      {[...totals].map(([currency, minor]) => (
        <li class="tile" key={currency}>
          <span class="tile-label">{t.owner.gateways.revenueToday}</span>
          <span class="tile-value"><Amount minor={minor} currency={currency} /></span>
        </li>
      ))}
      </ul>
    </>
  )
}

export function MyGateways() {
  const t = useT()
  const [page, setPage] = useState(1)
  // A settled payment moves a gateway's last sync: the list is read again.
  const list = useResource<Paged<OwnerGateway>>(`/owner/gateways${query({ page, pageSize: PAGE_SIZE })}`, ['payment.settled'])
  const events = usePresenceEvents()
  const gateways = list.data?.items ?? []
  const presence = new Map(gateways.map((gateway) => [gateway.id, latestPresence(gateway, events.get(gateway.id))]))
  const online = gateways.filter((gateway) => gateway.status === 'provisioned' && presence.get(gateway.id)?.online === true).length
  return (
    <Page title={t.owner.gateways.title} actions={<a class="button" href="#/owner/shop">{t.owner.gateways.orderMore}</a>}>
      <ErrorMessage error={list.error} />
      <PresenceAnnouncer gateways={gateways} />
      {list.data === undefined ? <Loading /> : gateways.length === 0 ? (
        <p>{t.owner.gateways.none} <a href="#/owner/shop">{t.owner.gateways.noneLink}</a></p>
      ) : (
        <>
          <Summary gateways={gateways} online={online} />
          <Section title={t.owner.gateways.list} id="my-gateways">
            <ul class="gateway-cards">
              {gateways.map((gateway) => <GatewayCard key={gateway.id} gateway={gateway} presence={presence.get(gateway.id)!} />)}
            </ul>
            <Pager label={t.owner.gateways.list} page={page} pageSize={PAGE_SIZE} total={list.data.total} onPage={setPage} />
          </Section>
          <LiveFeed gateways={gateways} />
        </>
      )}
    </Page>
  )
}
