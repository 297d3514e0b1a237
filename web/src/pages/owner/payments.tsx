// A gateway's payments, newest first and a page at a time, loaded again when one of its payments settles;
// and their export as a CSV file between two days, downloaded under a name that says what it holds.

import { useEffect, useRef, useState } from 'preact/hooks'
import { apiBlob } from '../../api'
import { useSubmit } from '../../components/form'
import { Amount, DateTime, ErrorMessage, Field, Loading, Section, Table } from '../../components/ui'
import { useResource } from '../../components/resource'
import { useT } from '../../i18n'
import { useGatewayPayment } from './live'
import { addDays, query, utcDay, type GatewayPayment, type Paged } from './model'
import { Pager } from './pager'

const PAGE_SIZE = 20

/** A file name from the gateway's name and the days: letters, digits and dashes only, whatever the name holds. */
function csvFileName(name: string, from: string, to: string): string {
  const stem = name.normalize('NFKD').replace(/[^A-Za-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 60).toLowerCase() || 'gateway'
  return `payall-${stem}-${from}-to-${to}.csv`
}

/** Hands `blob` to the browser as a download named `file`; the previous file's URL is released. */
function useDownload(): (blob: Blob, file: string) => void {
  const url = useRef<string | null>(null)
  const release = () => {
    if (url.current !== null) URL.revokeObjectURL(url.current)
    url.current = null
  }
  useEffect(() => release, [])
  return (blob, file) => {
    release()
    url.current = URL.createObjectURL(blob)
    const link = document.createElement('a')
    link.href = url.current
    link.download = file
    document.body.append(link)
    link.click()
    link.remove()
  }
}

function CsvExport({ gatewayId, name }: { gatewayId: string; name: string }) {
  const t = useT()
  const words = t.owner.payments
  const today = utcDay(Date.now())
  const [done, setDone] = useState('')
  const [badRange, setBadRange] = useState(false)
  const download = useDownload()
  const { error, busy, onSubmit } = useSubmit(async (form) => {
    const from = String(form.get('from'))
    const to = String(form.get('to'))
    setDone('')
    setBadRange(from > to)
    if (from > to) return
    // The hub's `to` is exclusive: the day after the last one asked for.
    const blob = await apiBlob(`/transactions/${encodeURIComponent(gatewayId)}/gateway.csv${query({ from, to: addDays(to, 1) })}`)
    const file = csvFileName(name, from, to)
    download(blob, file)
    setDone(words.downloaded(file))
  })
  return (
    <form class="csv-export" onSubmit={onSubmit}>
      <h3>{words.export}</h3>
      <p class="muted">{words.exportIntro}</p>
      <div class="row">
        <Field label={words.from} name="from" type="date" required defaultValue={`${today.slice(0, 8)}01`} max={today} id="csv-from" />
        <Field label={words.to} name="to" type="date" required defaultValue={today} max={today} id="csv-to" error={badRange ? words.badRange : undefined} />
      </div>
      <button type="submit" class="primary" disabled={busy}>{busy ? words.downloading : words.download}</button>
      <ErrorMessage error={error} />
      <p role="status" class="good">{done}</p>
    </form>
  )
}

export function PaymentsSection({ gatewayId, name }: { gatewayId: string; name: string }) {
  const t = useT()
  const words = t.owner.payments
  const [page, setPage] = useState(1)
  const payments = useResource<Paged<GatewayPayment>>(`/transactions/${encodeURIComponent(gatewayId)}/gateway${query({ page, pageSize: PAGE_SIZE })}`)
  useGatewayPayment(gatewayId, payments.reload)
  return (
    <Section title={words.title} id="payments">
      <p class="muted">{words.live}</p>
      <ErrorMessage error={payments.error} />
      {payments.data === undefined ? <Loading /> : (
        <>
          <Table caption={words.table} head={[t.table.date, words.kind, t.table.amount]} empty={payments.data.items.length === 0}>
            {payments.data.items.map((payment) => (
              <tr key={payment.id}>
                <td><DateTime atMs={payment.createdAt} /></td>
                <td>{t.owner.paymentKind[payment.kind] ?? payment.kind}</td>
                <td class="number"><Amount minor={payment.amountMinor} currency={payment.currency} /></td>
              </tr>
            ))}
          </Table>
          <Pager label={words.title} page={page} pageSize={PAGE_SIZE} total={payments.data.total} onPage={setPage} />
        </>
      )}
      <CsvExport gatewayId={gatewayId} name={name} />
    </Section>
  )
}
