// The customer's phones and their vouchers: what each voucher was, what is left of it and until when,
// issuing one for a phone from a wallet, and revoking one after a confirmation.

import { useRef, useState } from 'preact/hooks'
import { http } from '../../api'
import { useSubmit } from '../../components/form'
import { useResource } from '../../components/resource'
import { Amount, DateTime, ErrorMessage, Field, Loading, Page, Section, Table } from '../../components/ui'
import { formatAmount, formatDateTime, useT } from '../../i18n'
import { RevokeDialog, type Voucher } from './revoke-dialog'
import { Refusal, SelectField, Status, majorUnits, readAmount } from './shared'

interface Device {
  id: string
  imei: string
  model: string | null
  brand: string | null
  boundAt: string
}

interface DeviceWallet {
  id: string
  currency: string
  balanceMinor: number
}

interface IssuedVoucher {
  voucherId: string
  limitMinor: number
  currency: string
  expiresAt: string
}

export function Devices() {
  const t = useT()
  const mine = useResource<{ devices: Device[]; wallets: DeviceWallet[] }>('/api/auth/device/user', ['payment.settled'])
  const vouchers = useResource<{ vouchers: Voucher[] }>('/api/auth/device/vouchers', ['payment.settled'])
  const changed = () => {
    mine.reload()
    vouchers.reload()
  }
  return (
    <Page title={t.customer.devices.title}>
      <ErrorMessage error={mine.error} />
      {mine.data === undefined ? <Loading /> : (
        <>
          <DeviceList devices={mine.data.devices} />
          {mine.data.devices.length === 0 ? null : <IssueVoucher devices={mine.data.devices} wallets={mine.data.wallets} onIssued={changed} />}
        </>
      )}
      <Section title={t.customer.devices.vouchers} id="vouchers">
        <p class="muted">{t.customer.devices.vouchersLive}</p>
        <ErrorMessage error={vouchers.error} />
        {vouchers.data === undefined ? (vouchers.error === undefined ? <Loading /> : null) : <VoucherTable vouchers={vouchers.data.vouchers} onRevoked={changed} />}
      </Section>
    </Page>
  )
}

function deviceName(device: Device, unnamed: string): string {
  const name = [device.brand, device.model].filter((part) => part !== null && part !== '').join(' ')
  return name === '' ? unnamed : name
}

function DeviceList({ devices }: { devices: Device[] }) {
  const t = useT()
  return (
    <Section title={t.customer.devices.devices} id="devices">
      <p>{t.customer.devices.devicesIntro}</p>
      {devices.length === 0 ? <p>{t.customer.devices.noDevices}</p> : (
        <Table caption={t.customer.devices.devicesCaption} head={[t.customer.devices.device, t.customer.devices.imei, t.customer.devices.boundAt]}>
          {devices.map((device) => (
            <tr key={device.id}>
              <td>{deviceName(device, t.customer.devices.unnamedDevice)}</td>
              <td class="mono imei">{device.imei}</td>
              <td><DateTime atMs={device.boundAt} /></td>
            </tr>
          ))}
        </Table>
      )}
    </Section>
  )
}

function IssueVoucher({ devices, wallets, onIssued }: { devices: Device[]; wallets: DeviceWallet[]; onIssued: () => void }) {
  const t = useT()
  const [currency, setCurrency] = useState(wallets[0]?.currency ?? '')
  const [problem, setProblem] = useState<string | undefined>(undefined)
  const [issued, setIssued] = useState<IssuedVoucher | undefined>(undefined)
  const formElement = useRef<HTMLFormElement>(null)
  const { error, busy, onSubmit } = useSubmit(async (form) => {
    setIssued(undefined)
    const amount = readAmount(String(form.get('amount')), currency, t.customer.amountInvalid)
    setProblem('problem' in amount ? amount.problem : undefined)
    if ('problem' in amount) return
    const imei = String(form.get('imei'))
    setIssued(await http.post<IssuedVoucher>('/api/auth/device/voucher', { imei, currency, amount: majorUnits(amount.amount_minor, currency) }))
    formElement.current?.reset()
    onIssued()
  })
  const deviceOptions = devices.map((device) => ({ value: device.imei, label: `${deviceName(device, t.customer.devices.unnamedDevice)} · ${device.imei}` }))
  const walletOptions = wallets.map((wallet) => ({
    value: wallet.currency, label: t.customer.devices.walletOption(wallet.currency, formatAmount(wallet.balanceMinor, wallet.currency)),
  }))
  return (
    <Section title={t.customer.devices.issue} id="issue-voucher">
      <p>{t.customer.devices.issueIntro}</p>
      <Status text={issued === undefined ? undefined : t.customer.devices.issued(formatAmount(issued.limitMinor, issued.currency), formatDateTime(Date.parse(issued.expiresAt)))} />
      {wallets.length === 0 ? <p>{t.customer.devices.noWallet} <a href="#/wallets">{t.nav.wallets}</a></p> : (
        <form class="narrow" onSubmit={onSubmit} noValidate ref={formElement}>
          <SelectField label={t.customer.devices.device} name="imei" options={deviceOptions} />
          <SelectField label={t.customer.devices.wallet} name="currency" options={walletOptions} value={currency}
            onChange={(event) => setCurrency(event.currentTarget.value)} />
          <Field label={`${t.customer.devices.amount} (${currency})`} name="amount" inputMode="decimal" autoComplete="off" required error={problem} />
          <Refusal error={error} />
          <button type="submit" class="primary" disabled={busy}>{t.customer.devices.issueSubmit}</button>
        </form>
      )}
    </Section>
  )
}

function VoucherTable({ vouchers, onRevoked }: { vouchers: Voucher[]; onRevoked: () => void }) {
  const t = useT()
  const [revoking, setRevoking] = useState<Voucher | undefined>(undefined)
  const [revoked, setRevoked] = useState(false)
  const d = t.customer.devices
  const head = [d.imei, d.voucherAmount, d.remaining, t.table.status, d.issuedAt, d.expiresAt, t.table.actions]
  return (
    <>
      <Status text={revoked ? d.revoked : undefined} />
      <Table caption={d.vouchersCaption} head={head} empty={vouchers.length === 0}>
        {vouchers.map((voucher) => (
          <tr key={voucher.id}>
            <td class="mono imei">{voucher.imei}</td>
            <td class="number"><Amount minor={voucher.amountMinor} currency={voucher.currency} /></td>
            <td class="number"><Amount minor={voucher.remainingMinor} currency={voucher.currency} /></td>
            <td>{t.customer.voucherStatus[voucher.status]}</td>
            <td><DateTime atMs={voucher.issuedAtMs} /></td>
            <td><DateTime atMs={voucher.expiresAtMs} /></td>
            <td>
              {voucher.status !== 'open' ? null : (
                <button type="button" class="danger" aria-label={d.revokeLabel(formatAmount(voucher.amountMinor, voucher.currency), voucher.imei)}
                  onClick={() => { setRevoked(false); setRevoking(voucher) }}>{d.revoke}</button>
              )}
            </td>
          </tr>
        ))}
      </Table>
      {revoking === undefined ? null : (
        <RevokeDialog voucher={revoking} onClose={(done) => {
          setRevoking(undefined)
          setRevoked(done)
          if (done) onRevoked()
        }} />
      )}
    </>
  )
}
