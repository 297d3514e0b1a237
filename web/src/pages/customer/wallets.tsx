// The customer's home: a balance per wallet, opening a wallet in another currency, and the recent
// payments, which arrive live as they settle.

import { useState } from 'preact/hooks'
import { http } from '../../api'
import { useSubmit } from '../../components/form'
import { Amount, DateTime, ErrorMessage, Loading, Page, Section, Table } from '../../components/ui'
import { useResource } from '../../components/resource'
import { language, useT } from '../../i18n'
import { SelectField, Status, useWallets, type Wallet } from './shared'
import type { UserTransactionReply } from '../../../../hub/transactions/wire'

type Transaction = UserTransactionReply

const RECENT_PAGE_SIZE = 20
/** The currencies a wallet can be opened in from here: the region's, and the two a traveller brings. */
const OFFERED_CURRENCIES = ['XOF', 'XAF', 'GNF', 'GHS', 'NGN', 'EUR', 'USD']

export function Wallets() {
  const t = useT()
  const { wallets, error, reload } = useWallets()
  return (
    <Page title={t.customer.wallets.title}>
      <ErrorMessage error={error} />
      {wallets === undefined ? <Loading /> : wallets.length === 0 ? <p>{t.customer.wallets.noWallets}</p> : <WalletTiles wallets={wallets} />}
      <RecentPayments />
      {wallets === undefined ? null : <OpenWallet held={wallets.map((wallet) => wallet.currency)} onOpened={reload} />}
    </Page>
  )
}

function WalletTiles({ wallets }: { wallets: Wallet[] }) {
  const t = useT()
  return (
    <ul class="tiles">
      {wallets.map((wallet) => (
        <li class="tile" key={wallet.id}>
          <span class="tile-label">{wallet.currency}</span>
          <span class="tile-value"><Amount minor={wallet.balanceMinor} currency={wallet.currency} /></span>
          <span class="muted">{t.customer.wallets.held} <Amount minor={wallet.holdMinor ?? 0} currency={wallet.currency} /></span>
        </li>
      ))}
    </ul>
  )
}

function RecentPayments() {
  const t = useT()
  const recent = useResource<{ items: Transaction[] }>(`/user/transactions?pageSize=${RECENT_PAGE_SIZE}`, ['payment.settled'])
  // The amount beside the date: on a phone the table scrolls sideways, and the amount is what must show first.
  const head = [t.table.date, t.table.amount, t.customer.wallets.kind, t.customer.wallets.direction, t.table.status]
  return (
    <Section title={t.customer.wallets.recent} id="recent-payments">
      <p class="muted">{t.customer.wallets.recentLive}</p>
      <ErrorMessage error={recent.error} />
      {recent.data === undefined ? <Loading /> : (
        <Table caption={t.customer.wallets.recentCaption} head={head} empty={recent.data.items.length === 0}>
          {recent.data.items.map((item) => (
            <tr key={item.id}>
              <td><DateTime atMs={item.createdAt} /></td>
              <td class="number"><Amount minor={item.amountMinor} currency={item.currency} /></td>
              <td>{t.customer.transferKind[item.kind as keyof typeof t.customer.transferKind] ?? item.kind}</td>
              <td>{item.direction === 'in' ? t.customer.wallets.received : t.customer.wallets.sent}</td>
              <td>{t.customer.paymentStatus[item.status]}</td>
            </tr>
          ))}
        </Table>
      )}
    </Section>
  )
}

function OpenWallet({ held, onOpened }: { held: string[]; onOpened: () => void }) {
  const t = useT()
  const [opened, setOpened] = useState<string | undefined>(undefined)
  const names = new Intl.DisplayNames([language()], { type: 'currency' })
  const offered = OFFERED_CURRENCIES.filter((currency) => !held.includes(currency))
  const { error, busy, onSubmit } = useSubmit(async (form) => {
    const currency = String(form.get('currency'))
    await http.post('/users/create-account', { currency })
    setOpened(currency)
    onOpened()
  })
  return (
    <Section title={t.customer.wallets.open} id="open-wallet">
      <p>{t.customer.wallets.openIntro}</p>
      <Status text={opened === undefined ? undefined : t.customer.wallets.opened(opened)} />
      {offered.length === 0 ? <p>{t.customer.wallets.allOpen}</p> : (
        <form class="narrow" onSubmit={onSubmit} noValidate>
          <SelectField label={t.customer.wallets.currency} name="currency"
            options={offered.map((code) => ({ value: code, label: `${code} · ${names.of(code) ?? code}` }))} />
          <ErrorMessage error={error} />
          <button type="submit" class="primary" disabled={busy}>{t.customer.wallets.openSubmit}</button>
        </form>
      )}
    </Section>
  )
}
