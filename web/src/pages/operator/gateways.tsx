// The gateway catalog as the operator keeps it: every gateway not retired, whether it is still free,
// a form to add one, and a link to each gateway's page (edit, assign, provision).

import { useRef, useState } from 'preact/hooks'
import { http } from '../../api'
import { useSubmit } from '../../components/form'
import { useResource } from '../../components/resource'
import { Amount, ErrorMessage, Field, Loading, Page, Section, Table } from '../../components/ui'
import { parseAmount, useT } from '../../i18n'
import { PagePager, query } from './parts'
import type { CatalogEntry, Gateway, Paged } from './types'

const PAGE_SIZE = 50
const DEFAULT_CURRENCY = 'XOF'

/** The catalog's price (decimal text in major units) in the reader's language when it reads as an amount. */
export function CatalogPrice({ entry }: { entry: CatalogEntry }) {
  const minor = parseAmount(entry.price, entry.currency)
  return minor === undefined ? <span>{entry.price} {entry.currency}</span> : <Amount minor={minor} currency={entry.currency} />
}

/** name, type, price and currency from a gateway form, checked here so the refusal names the field. */
export function gatewayFields(form: FormData): { fields: { name: string; type: string; priceMinor: number; currency: string } } | { invalid: 'price' | 'currency' } {
  const currency = String(form.get('currency') ?? '').trim().toUpperCase()
  if (!/^[A-Z]{3}$/.test(currency)) return { invalid: 'currency' }
  const price_minor = parseAmount(String(form.get('price') ?? ''), currency)
  if (price_minor === undefined) return { invalid: 'price' }
  return { fields: { name: String(form.get('name') ?? '').trim(), type: String(form.get('type') ?? '').trim(), priceMinor: price_minor, currency } }
}

function AddGateway({ onAdded }: { onAdded: (gateway: Gateway) => void }) {
  const t = useT()
  const g = t.operator.gateways
  const [invalid, setInvalid] = useState<'price' | 'currency' | undefined>(undefined)
  const element = useRef<HTMLFormElement>(null)
  const add = useSubmit(async (form) => {
    const checked = gatewayFields(form)
    setInvalid('invalid' in checked ? checked.invalid : undefined)
    if ('invalid' in checked) return
    const gateway = await http.post<Gateway>('/gateways', { ...checked.fields, eui: String(form.get('eui') ?? '').trim() })
    element.current?.reset()
    onAdded(gateway)
  })
  return (
    <form ref={element} class="form-grid" onSubmit={add.onSubmit} noValidate>
      <Field label={g.name} name="name" id="add-name" required maxLength={120} />
      <Field label={g.type} name="type" id="add-type" required maxLength={40} hint={g.typeHint} />
      <Field label={g.eui} name="eui" id="add-eui" required maxLength={23} hint={g.euiHint} autoComplete="off" spellcheck={false} />
      <Field label={g.price} name="price" id="add-price" required inputMode="decimal" error={invalid === 'price' ? g.priceInvalid : undefined} />
      <Field label={g.currency} name="currency" id="add-currency" required maxLength={3} defaultValue={DEFAULT_CURRENCY}
        hint={g.currencyHint} error={invalid === 'currency' ? g.currencyInvalid : undefined} />
      <ErrorMessage error={add.error} />
      <div class="row"><button type="submit" class="primary" disabled={add.busy}>{g.add}</button></div>
    </form>
  )
}

function CatalogTable({ items }: { items: CatalogEntry[] }) {
  const t = useT()
  const g = t.operator.gateways
  return (
    <Table caption={g.catalogCaption} head={[g.name, g.type, g.eui, g.price, t.table.status, t.table.actions]} empty={items.length === 0}>
      {items.map((entry) => (
        <tr key={entry.id}>
          <td class="user-text">{entry.name}</td>
          <td>{entry.type}</td>
          <td class="mono">{entry.eui}</td>
          <td class="number"><CatalogPrice entry={entry} /></td>
          <td>{entry.available ? t.operator.gatewayStatus.available : g.taken}</td>
          <td><a href={`#/ops/gateways/${encodeURIComponent(entry.id)}`}>{g.manage}<span class="visually-hidden"> {entry.name}</span></a></td>
        </tr>
      ))}
    </Table>
  )
}

export function Gateways() {
  const t = useT()
  const g = t.operator.gateways
  const [page, setPage] = useState(1)
  const [note, setNote] = useState('')
  const catalog = useResource<Paged<CatalogEntry>>(`/gateways?${query({ page, pageSize: PAGE_SIZE })}`, ['order.decided'])
  return (
    <Page title={g.title}>
      <p class="muted">{g.intro}</p>
      <Section title={g.catalog} id="catalog">
        <ErrorMessage error={catalog.error} />
        {catalog.data === undefined ? <Loading /> : <CatalogTable items={catalog.data.items} />}
        {catalog.data === undefined ? null : <PagePager page={page} pageSize={PAGE_SIZE} total={catalog.data.total} onPage={setPage} />}
      </Section>
      <Section title={g.addTitle} id="add-gateway">
        <p role="status" class="good">{note}</p>
        <AddGateway onAdded={(gateway) => { setNote(g.added(gateway.name)); catalog.reload() }} />
      </Section>
    </Page>
  )
}
