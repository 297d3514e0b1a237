// The ledger's health and its public trail: the invariant check run on demand, and the sealed batches of
// transfers with the chain transaction that anchors each (a block explorer link when the hub has one).

import { useState } from 'preact/hooks'
import { http } from '../../api'
import { useSubmit } from '../../components/form'
import { useResource } from '../../components/resource'
import { DateTime, ErrorMessage, Loading, Page, Section, Table } from '../../components/ui'
import { formatNumber, useT } from '../../i18n'
import { PagePager, query } from './parts'
import type { Anchor, LedgerCheck, Paged } from './types'

const PAGE_SIZE = 20

function CheckResult({ check }: { check: LedgerCheck }) {
  const t = useT()
  const l = t.operator.ledger
  return (
    <>
      <p class={check.ok ? 'good' : 'error'}><strong>{check.ok ? l.sound : l.unsound(check.violations.length)}</strong> <DateTime atMs={check.checkedAtMs} /></p>
      <Table caption={l.currencies} head={[l.currency, l.accounts, l.balanceSum, l.postingSum]} empty={check.currencies.length === 0}>
        {check.currencies.map((row) => (
          <tr key={row.currency}>
            <td>{row.currency}</td>
            <td class="number">{formatNumber(row.accountCount)}</td>
            <td class="number">{row.balanceSumMinor}</td>
            <td class="number">{row.postingSumMinor}</td>
          </tr>
        ))}
      </Table>
      {check.violations.length === 0 ? null : (
        <ul class="violations">
          {check.violations.map((violation, index) => (
            <li key={index}>
              <strong>{(l.violation as Record<string, string>)[violation.code] ?? violation.code}</strong>{' '}
              <span class="mono">{[violation.currency, violation.accountId, violation.transferId, violation.voucherId].filter(Boolean).join(' · ')}</span>
              <details><summary>{l.technical}</summary><span class="mono">{violation.message}</span></details>
            </li>
          ))}
        </ul>
      )}
    </>
  )
}

function Verify() {
  const t = useT()
  const l = t.operator.ledger
  const [check, setCheck] = useState<LedgerCheck | undefined>(undefined)
  const run = useSubmit(async () => setCheck(await http.get<LedgerCheck>('/ledger/verify')))
  return (
    <Section title={l.verifyTitle} id="verify">
      <p class="muted">{l.verifyIntro}</p>
      <div class="row"><button type="button" class="primary" disabled={run.busy} onClick={run.onSubmit}>{run.busy ? l.running : l.run}</button></div>
      <ErrorMessage error={run.error} />
      <div role="status">{check === undefined ? null : <CheckResult check={check} />}</div>
    </Section>
  )
}

/** Only an http(s) address becomes a link; anything else the hub might send stays text. */
function ExplorerLink({ url }: { url: string | null | undefined }) {
  const t = useT()
  if (url === null || url === undefined || !/^https?:\/\//i.test(url)) return null
  return (
    <a href={url} target="_blank" rel="noopener noreferrer">
      {t.operator.ledger.explorer} <span class="muted">{t.operator.ledger.newTab}</span>
    </a>
  )
}

function AnchorRow({ anchor }: { anchor: Anchor }) {
  const t = useT()
  const l = t.operator.ledger
  return (
    <tr>
      <td class="number">{anchor.batchId}</td>
      <td><DateTime atMs={anchor.sealedAtMs} /></td>
      <td class="number">{formatNumber(anchor.count)}</td>
      <td>{l.anchorStatus[anchor.status]}</td>
      <td>
        {anchor.txHash === null ? t.app.none : <div><code class="mono hash">{anchor.txHash}</code></div>}
        {anchor.blockNumber === null ? null : <div class="muted">{l.block(formatNumber(anchor.blockNumber))}</div>}
        <div><ExplorerLink url={anchor.explorerTxUrl} /></div>
      </td>
      <td><DateTime atMs={anchor.anchoredAtMs} /></td>
    </tr>
  )
}

function Anchors() {
  const t = useT()
  const l = t.operator.ledger
  const [page, setPage] = useState(1)
  const anchors = useResource<Paged<Anchor>>(`/anchors?${query({ page, pageSize: PAGE_SIZE })}`)
  return (
    <Section title={l.anchorsTitle} id="anchors">
      <p class="muted">{l.anchorsIntro}</p>
      <div class="row"><button type="button" onClick={anchors.reload} disabled={anchors.loading}>{l.refresh}</button></div>
      <ErrorMessage error={anchors.error} />
      {anchors.data === undefined ? (anchors.error === undefined ? <Loading /> : null) : (
        <Table caption={l.anchorsCaption} head={[l.batch, l.sealed, l.transfers, t.table.status, l.transaction, l.anchored]} empty={anchors.data.items.length === 0}>
          {anchors.data.items.map((anchor) => <AnchorRow key={anchor.batchId} anchor={anchor} />)}
        </Table>
      )}
      {anchors.data === undefined ? null : <PagePager page={page} pageSize={PAGE_SIZE} total={anchors.data.total} onPage={setPage} />}
    </Section>
  )
}

export function Ledger() {
  const t = useT()
  return (
    <Page title={t.operator.ledger.title}>
      <Verify />
      <Anchors />
    </Page>
  )
}
