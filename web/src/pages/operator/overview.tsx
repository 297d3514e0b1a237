// The operator's home: what waits for a decision (orders, documents, double spends, chain faults,
// failed notifications) and the counts of users and gateways, loaded again as decisions arrive live.

import { useResource } from '../../components/resource'
import { ErrorMessage, Loading, Page, Section } from '../../components/ui'
import { useT } from '../../i18n'
import { Tiles } from './parts'
import type { OperatorInfos } from './types'

const LIVE = ['order.decided', 'kyc.reviewed', 'doublespend.flagged', 'gateway.presence'] as const

function Attention({ infos }: { infos: OperatorInfos }) {
  const t = useT()
  const o = t.operator.overview
  return (
    <Section title={o.attention} id="attention">
      <Tiles items={[
        { label: o.pendingOrders, value: infos.pendingOrders, href: '#/ops/orders', alert: true },
        { label: o.pendingDocuments, value: infos.documents.pending, href: '#/ops/kyc', alert: true },
        { label: o.doubleSpends, value: infos.flags.doubleSpends, href: '#/ops/flags', alert: true },
        { label: o.openChainGaps, value: infos.flags.openChainGaps, alert: true },
        { label: o.chainForks, value: infos.flags.chainForks, alert: true },
        { label: o.failedNotifications, value: infos.notifications.failed, alert: true },
      ]} />
    </Section>
  )
}

function Counts({ infos }: { infos: OperatorInfos }) {
  const t = useT()
  const o = t.operator.overview
  return (
    <>
      <Section title={o.users} id="users">
        <Tiles items={[
          { label: t.roles.customer, value: infos.users.customer, href: '#/ops/users' },
          { label: t.roles.owner, value: infos.users.owner },
          { label: t.roles.operator, value: infos.users.operator },
        ]} />
      </Section>
      <Section title={o.gateways} id="gateways">
        <Tiles items={[
          { label: t.operator.gatewayStatus.available, value: infos.gateways.available, href: '#/ops/gateways' },
          { label: t.operator.gatewayStatus.assigned, value: infos.gateways.assigned },
          { label: t.operator.gatewayStatus.provisioned, value: infos.gateways.provisioned },
          { label: t.operator.gatewayStatus.retired, value: infos.gateways.retired },
        ]} />
      </Section>
      <Section title={o.notifications} id="notifications">
        <Tiles items={[
          { label: o.notificationsPending, value: infos.notifications.pending },
          { label: o.notificationsSent, value: infos.notifications.sent },
          { label: o.notificationsFailed, value: infos.notifications.failed },
        ]} />
      </Section>
    </>
  )
}

export function Overview() {
  const t = useT()
  const infos = useResource<{ operator?: OperatorInfos }>('/users/dashboard-infos', LIVE)
  const operator = infos.data?.operator
  return (
    <Page title={t.operator.overview.title}>
      <p class="muted">{t.operator.overview.live}</p>
      <ErrorMessage error={infos.error} />
      {infos.data === undefined ? <Loading /> : operator === undefined ? <p>{t.operator.overview.noCounts}</p> : (
        <div aria-live="polite">
          <Attention infos={operator} />
          <Counts infos={operator} />
        </div>
      )}
    </Page>
  )
}
