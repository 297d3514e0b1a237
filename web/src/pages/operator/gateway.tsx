// One gateway as the operator manages it: its state and chain, its old chains still closing (written off with a
// note), its catalog entry to edit, its owner to assign, and the one-time provisioning token, shown once as text and
// as a QR code.

import { useState } from 'preact/hooks'
import { http } from '../../api'
import { useSubmit } from '../../components/form'
import { QrCode } from '../../components/qr'
import { useResource } from '../../components/resource'
import { DateTime, ErrorMessage, Field, Loading, Page, Section, Table } from '../../components/ui'
import { useT } from '../../i18n'
import { CatalogPrice, gatewayFields } from './gateways'
import { AssignOwner } from './owner-search'
import type { CatalogEntry, ChainWriteOff, Gateway, GatewayStatus, ProvisioningToken } from './types'

function Facts({ entry, status, owner }: { entry: CatalogEntry; status: GatewayStatus | undefined; owner: string | null }) {
  const t = useT()
  const g = t.operator.gateways
  return (
    <dl class="facts ops-facts">
      <dt>{g.eui}</dt><dd class="mono">{entry.eui}</dd>
      <dt>{g.type}</dt><dd>{entry.type}</dd>
      <dt>{g.price}</dt><dd><CatalogPrice entry={entry} /></dd>
      <dt>{t.table.status}</dt><dd>{status === undefined ? t.app.none : t.operator.gatewayStatus[status.status]}</dd>
      {owner === null ? null : <><dt>{g.owner}</dt><dd class="mono">{owner}</dd></>}
      <dt>{g.provisionedAt}</dt><dd><DateTime atMs={status?.provisionedAt} /></dd>
      <dt>{g.riskSerial}</dt><dd>{status === undefined || status.riskConfigSerial === 0 ? g.riskDefaults : status.riskConfigSerial}</dd>
      <dt>{g.chainNumber}</dt><dd>{status?.chainNumber == null ? t.app.none : g.chainNumberOf(status.chainNumber)}</dd>
      <dt>{g.chainGaps}</dt><dd>{status?.openGapCount ?? t.app.none}</dd>
      <dt>{g.chainForks}</dt><dd>{status?.forkCount ?? t.app.none}</dd>
    </dl>
  )
}

function EditGateway({ entry, onSaved }: { entry: CatalogEntry; onSaved: (gateway: Gateway) => void }) {
  const t = useT()
  const g = t.operator.gateways
  const [invalid, setInvalid] = useState<'price' | 'currency' | undefined>(undefined)
  const save = useSubmit(async (form) => {
    const checked = gatewayFields(form)
    setInvalid('invalid' in checked ? checked.invalid : undefined)
    if ('invalid' in checked) return
    onSaved(await http.patch<Gateway>(`/gateways/${encodeURIComponent(entry.id)}`, checked.fields))
  })
  return (
    <form class="form-grid" onSubmit={save.onSubmit} noValidate>
      <Field label={g.name} name="name" id="edit-name" required maxLength={120} defaultValue={entry.name} />
      <Field label={g.type} name="type" id="edit-type" required maxLength={40} defaultValue={entry.type} />
      <Field label={g.price} name="price" id="edit-price" required inputMode="decimal" defaultValue={entry.price}
        error={invalid === 'price' ? g.priceInvalid : undefined} />
      <Field label={g.currency} name="currency" id="edit-currency" required maxLength={3} defaultValue={entry.currency}
        error={invalid === 'currency' ? g.currencyInvalid : undefined} />
      <ErrorMessage error={save.error} />
      <div class="row"><button type="submit" class="primary" disabled={save.busy}>{t.app.save}</button></div>
    </form>
  )
}

type ClosingChain = GatewayStatus['closingChains'][number]

/** One old chain still closing: what the hub holds of it, what is missing, and the write-off with its note. */
function ClosingChainRow({ gatewayId, chain, onClosed }: { gatewayId: string; chain: ClosingChain; onClosed: (message: string) => void }) {
  const t = useT()
  const g = t.operator.gateways
  const writeOff = useSubmit(async (form) => {
    const note = String(form.get('note') ?? '').trim()
    const done = await http.post<ChainWriteOff>(
      `/gateways/${encodeURIComponent(gatewayId)}/chains/${chain.number}/write-off`, { note })
    onClosed(g.writtenOff(done.chain, done.writtenOffFromSeq, done.writtenOffToSeq))
  })
  return (
    <tr>
      <td>{chain.number}</td>
      <td>{g.closingHeldOf(chain.contiguousSeq, chain.highestSeq)}</td>
      <td><DateTime atMs={chain.closingAt} /></td>
      <td>{chain.openGaps.map((gap) => g.closingRange(gap.fromSeq, gap.toSeq)).join(', ')}</td>
      <td>
        <form class="form-grid" onSubmit={writeOff.onSubmit}>
          <Field label={g.writeOffNote} hint={g.writeOffNoteHint} name="note" id={`write-off-note-${chain.number}`} required maxLength={500} />
          <ErrorMessage error={writeOff.error} />
          <div class="row"><button type="submit" class="danger" disabled={writeOff.busy}>{g.writeOff}</button></div>
        </form>
      </td>
    </tr>
  )
}

function ClosingChains({ gatewayId, chains, onClosed }: { gatewayId: string; chains: readonly ClosingChain[]; onClosed: (message: string) => void }) {
  const t = useT()
  const g = t.operator.gateways
  return (
    <>
      <p>{g.closingIntro}</p>
      <Table caption={g.closingCaption} head={[g.closingChain, g.closingHeld, g.closingSince, g.closingMissing, t.table.actions]}>
        {chains.map((chain) => <ClosingChainRow key={chain.number} gatewayId={gatewayId} chain={chain} onClosed={onClosed} />)}
      </Table>
    </>
  )
}

/** The token lives in this component's state only: leaving the page forgets it, as the hub already has. */
function Provisioning({ gatewayId, status }: { gatewayId: string; status: GatewayStatus['status'] }) {
  const t = useT()
  const g = t.operator.gateways
  const [issued, setIssued] = useState<ProvisioningToken | undefined>(undefined)
  const issue = useSubmit(async () => {
    setIssued(await http.post<ProvisioningToken>(`/gateways/${encodeURIComponent(gatewayId)}/provisioning-token`, {}))
  })
  if (status !== 'assigned' && status !== 'provisioned') return <p>{g.provisionNeedsOwner}</p>
  return (
    <>
      <p>{status === 'provisioned' ? g.reprovisionIntro : g.provisionIntro}</p>
      <div class="row">
        <button type="button" class="primary" disabled={issue.busy} onClick={issue.onSubmit}>{issued === undefined ? g.issueToken : g.issueAnother}</button>
      </div>
      <ErrorMessage error={issue.error} />
      <div role="status">
        {issued === undefined ? null : (
          <div class="token-box">
            <p class="banner"><strong>{g.shownOnce}</strong> {g.shownOnceDetail}</p>
            <QrCode value={issued.token} label={g.qrLabel(issued.eui)} textLabel={g.tokenText} />
            <p>{g.expires} <DateTime atMs={issued.expiresAt} /></p>
            <p class="muted">{g.terminalHint}</p>
            <code class="mono block">payall-terminal provision --hub {location.origin} --token {issued.token}</code>
          </div>
        )}
      </div>
    </>
  )
}

/** The page of the gateway named by the path's `:id`. */
export function GatewayPage(params: Record<string, string>) {
  const id = params.id ?? ''
  const t = useT()
  const g = t.operator.gateways
  const path = `/gateways/${encodeURIComponent(id)}`
  const entry = useResource<CatalogEntry>(path)
  const status = useResource<GatewayStatus>(`${path}/status`, ['gateway.presence', 'order.decided'])
  const [latest, setLatest] = useState<Gateway | undefined>(undefined)
  const [note, setNote] = useState('')
  const changed = (message: string) => (gateway: Gateway) => {
    setLatest(gateway)
    setNote(message)
    entry.reload()
    status.reload()
  }
  return (
    <Page title={entry.data === undefined ? g.gatewayTitle : g.gatewayOf(entry.data.name)}>
      <p><a href="#/ops/gateways">{g.backToCatalog}</a></p>
      <p role="status" class="good">{note}</p>
      <ErrorMessage error={entry.error ?? status.error} />
      {entry.data === undefined ? (entry.error === undefined ? <Loading /> : null) : (
        <>
          <Section title={g.details} id="details">
            <Facts entry={entry.data} status={status.data} owner={latest?.ownerUserId ?? null} />
          </Section>
          {status.data === undefined || status.data.closingChains.length === 0 ? null : (
            <Section title={g.closingTitle} id="closing-chains">
              <ClosingChains gatewayId={id} chains={status.data.closingChains} onClosed={(message) => {
                setNote(message)
                status.reload()
              }} />
            </Section>
          )}
          <Section title={g.provisioning} id="provisioning">
            {status.data === undefined ? <Loading /> : <Provisioning gatewayId={id} status={status.data.status} />}
          </Section>
          <Section title={g.assignTitle} id="assign">
            {status.data?.status === 'available' || status.data?.status === 'assigned'
              ? <AssignOwner gatewayId={id} onAssigned={changed(g.assigned)} />
              : <p>{g.assignClosed}</p>}
          </Section>
          <Section title={g.editTitle} id="edit">
            <EditGateway key={`${entry.data.name}|${entry.data.type}|${entry.data.price}|${entry.data.currency}`} entry={entry.data} onSaved={changed(g.saved)} />
          </Section>
        </>
      )}
    </Page>
  )
}
