// The customer's home: a balance per wallet and the recent payments, which arrive live as they settle.

import { Amount, DateTime, ErrorMessage, Loading, Page, Section, Table } from '../../components/ui'
import { useResource } from '../../components/resource'
import { useT } from '../../i18n'

interface Account {
  id: string
  kind: string
  currency: string
  balanceMinor: number
  holdMinor?: number
}

interface Transaction {
  id: string
  kind: string
  status: string
  direction: 'in' | 'out'
  amountMinor: number
  currency: string
  gatewayEui: string | null
  reference: string | null
  createdAt: string
}

const RECENT_PAGE_SIZE = 20

export function Wallets() {
  const t = useT()
  const accounts = useResource<{ accounts: Account[] }>('/accounts', ['payment.settled'])
  const recent = useResource<{ items: Transaction[] }>(`/user/transactions?pageSize=${RECENT_PAGE_SIZE}`, ['payment.settled'])
  const wallets = accounts.data?.accounts.filter((account) => account.kind === 'wallet') ?? []
  return (
    <Page title={t.customer.wallets.title}>
      <ErrorMessage error={accounts.error ?? recent.error} />
      {accounts.data === undefined ? <Loading /> : wallets.length === 0 ? <p>{t.customer.wallets.noWallets}</p> : (
        <ul class="tiles">
          {wallets.map((wallet) => (
            <li class="tile" key={wallet.id}>
              <span class="tile-label">{wallet.currency}</span>
              <span class="tile-value"><Amount minor={wallet.balanceMinor} currency={wallet.currency} /></span>
              <span class="muted">{t.customer.wallets.held}: <Amount minor={wallet.holdMinor ?? 0} currency={wallet.currency} /></span>
            </li>
          ))}
        </ul>
      )}
      <Section title={t.customer.wallets.recent} id="recent-payments">
        <p class="muted">{t.customer.wallets.recentLive}</p>
        {recent.data === undefined ? <Loading /> : (
          <Table caption={t.customer.wallets.recent} head={[t.table.date, t.customer.wallets.direction, t.table.amount, t.table.status]} empty={recent.data.items.length === 0}>
            {recent.data.items.map((item) => (
              <tr key={item.id}>
                <td><DateTime atMs={item.createdAt} /></td>
                <td>{item.direction === 'in' ? t.customer.wallets.received : t.customer.wallets.sent}</td>
                <td class="number"><Amount minor={item.amountMinor} currency={item.currency} /></td>
                <td>{t.customer.paymentStatus[item.status as keyof typeof t.customer.paymentStatus] ?? item.status}</td>
              </tr>
            ))}
          </Table>
        )}
      </Section>
    </Page>
  )
}
