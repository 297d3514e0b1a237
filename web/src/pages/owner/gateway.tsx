// One of the owner's gateways: its status (live), its revenue by day and month, its payments (live, with
// a CSV export) and the LoRa reports it sent while its internet link was down.

import { DateTime, ErrorMessage, Loading, Page, Section } from '../../components/ui'
import { useResource } from '../../components/resource'
import { useT } from '../../i18n'
import { latestPresence, useGatewayPayment, usePresenceEvents } from './live'
import { LoraSection } from './lora'
import type { CatalogEntry, GatewayStatus, LoraReports } from './model'
import { PaymentsSection } from './payments'
import { PresenceAnnouncer, PresenceBadge, Unsynced } from './presence'
import { RevenueSection } from './revenue'

function StatusSection({ status }: { status: GatewayStatus }) {
  const t = useT()
  const words = t.owner.gateway
  const presence = latestPresence(status, usePresenceEvents().get(status.gatewayId))
  return (
    <Section title={words.status} id="gateway-status">
      <dl class="facts">
        <dt>{t.owner.gateways.eui}</dt>
        <dd class="mono">{status.eui}</dd>
        <dt>{words.presence}</dt>
        <dd>{status.status === 'provisioned' ? <PresenceBadge online={presence.online} /> : t.owner.gatewayStatus[status.status]}</dd>
        <dt>{t.owner.gateways.lastSeen}</dt>
        <dd><DateTime atMs={presence.lastSeenAtMs} /></dd>
        <dt>{t.owner.gateways.lastSync}</dt>
        <dd><DateTime atMs={status.lastSyncAtMs} /></dd>
        <dt>{t.owner.gateways.unsynced}</dt>
        <dd><Unsynced sync={status} /></dd>
        <dt>{t.owner.gateways.chainGaps}</dt>
        <dd class={status.chainGaps > 0 ? 'error' : undefined}>{status.chainGaps}</dd>
        <dt>{words.forks}</dt>
        <dd class={status.forkCount > 0 ? 'error' : undefined}>{status.forkCount}</dd>
        <dt>{words.chainHeld}</dt>
        <dd>{status.chain === null ? t.app.none : words.chainHeldValue(status.chain.contiguousSeq, status.chain.highestSeq)}</dd>
        <dt>{words.provisionedAt}</dt>
        <dd><DateTime atMs={status.provisionedAt} /></dd>
      </dl>
    </Section>
  )
}

/** The route's `/owner/gateways/:id`. */
export function GatewayPage(params: Record<string, string>) {
  const id = params.id!
  const t = useT()
  const path = `/gateways/${encodeURIComponent(id)}`
  const status = useResource<GatewayStatus>(`${path}/status`)
  // A settled payment moves the last sync and may close a gap in the chain.
  useGatewayPayment(id, status.reload)
  // The catalog names the gateway; a retired one has left the catalog, and is named by its EUI.
  const entry = useResource<CatalogEntry>(status.data !== undefined && status.data.status !== 'retired' ? path : null)
  const lora = useResource<LoraReports>(`${path}/lora`)
  const name = entry.data?.name ?? (status.data === undefined ? t.app.loading : t.owner.gateway.titleFallback(status.data.eui))
  return (
    <Page title={name} actions={<a href="#/owner">{t.owner.gateway.back}</a>}>
      <ErrorMessage error={status.error ?? entry.error ?? lora.error} />
      {status.data === undefined ? <Loading /> : (
        <>
          <PresenceAnnouncer gateways={[{ id, name }]} />
          <StatusSection status={status.data} />
          <RevenueSection gatewayId={id} currency={entry.data?.currency} />
          <PaymentsSection gatewayId={id} name={name} />
          <LoraSection lora={lora.data} />
        </>
      )}
    </Page>
  )
}
