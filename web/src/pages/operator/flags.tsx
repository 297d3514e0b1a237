// Double spends the hub detected: for each, the two signed authorizations side by side (their decoded
// fields, the signed bytes and signature in hex, whether each signature verifies), and a resolve note.

import { useState } from 'preact/hooks'
import { http } from '../../api'
import { useResource } from '../../components/resource'
import { Amount, DateTime, ErrorMessage, Loading, Page } from '../../components/ui'
import { useT } from '../../i18n'
import { CursorPager, ReasonForm, query, useCursor } from './parts'
import type { CursorPaged, DoubleSpendFlag, SignedAuthorization } from './types'

const PAGE_SIZE = 20

function Authorization({ authorization: a, index }: { authorization: SignedAuthorization; index: number }) {
  const t = useT()
  const f = t.operator.flags
  return (
    <div class="authorization">
      <h3>{f.authorization(index + 1)}</h3>
      <p class={a.signatureValid ? 'good' : 'error'}><strong>{a.signatureValid ? f.signatureValid : f.signatureInvalid}</strong></p>
      <dl class="facts ops-facts">
        <dt>{f.amount}</dt><dd><Amount minor={a.amountMinor} currency={a.currency} /></dd>
        <dt>{f.at}</dt><dd><DateTime atMs={a.atMs} /></dd>
        <dt>{f.counter}</dt><dd>{a.counter}</dd>
        {a.cumulativeMinor === undefined ? null : <><dt>{f.cumulative}</dt><dd><Amount minor={a.cumulativeMinor} currency={a.currency} /></dd></>}
        <dt>{f.gateway}</dt><dd class="mono">{a.gatewayEui ?? a.gatewayId ?? t.app.none}</dd>
        <dt>{f.transfer}</dt>{a.transferId === null ? <dd>{f.notSettled}</dd> : <dd class="mono">{a.transferId}</dd>}
      </dl>
      <p class="label">{f.message}</p>
      <pre class="mono hex">{a.messageHex}</pre>
      <p class="label">{f.signature}</p>
      <pre class="mono hex">{a.signatureHex}</pre>
    </div>
  )
}

/** Who resolved the flag, when and why, as far as the hub says. */
function Resolution({ flag }: { flag: DoubleSpendFlag }) {
  const t = useT()
  const f = t.operator.flags
  if (flag.status !== 'resolved') return null
  return (
    <dl class="facts ops-facts">
      {flag.resolvedAtMs == null ? null : <><dt>{f.resolvedAt}</dt><dd><DateTime atMs={flag.resolvedAtMs} /></dd></>}
      {flag.resolvedByName == null ? null : <><dt>{f.resolvedBy}</dt><dd class="user-text">{flag.resolvedByName}</dd></>}
      {flag.note == null ? null : <><dt>{f.note}</dt><dd class="user-text">{flag.note}</dd></>}
    </dl>
  )
}

function FlagCard({ flag, onResolved }: { flag: DoubleSpendFlag; onResolved: () => void }) {
  const t = useT()
  const f = t.operator.flags
  const id = String(flag.id)
  return (
    <li class="card">
      <h2 class="card-title">{f.flagOf(id)}</h2>
      <dl class="facts ops-facts">
        <dt>{f.detected}</dt><dd><DateTime atMs={flag.detectedAtMs} /></dd>
        <dt>{t.table.status}</dt><dd>{f.status[flag.status]}</dd>
        {flag.kind === undefined ? null : <><dt>{f.kindLabel}</dt><dd>{f.kind[flag.kind]}</dd></>}
        <dt>{f.gateway}</dt><dd class="mono">{flag.gatewayId ?? t.app.none}</dd>
        <dt>{f.voucher}</dt><dd class="mono">{flag.voucherId ?? t.app.none}</dd>
        <dt>{f.payerKey}</dt><dd class="mono">{flag.payerDeviceKey ?? t.app.none}</dd>
      </dl>
      <div class="side-by-side">
        {flag.authorizations.map((authorization, index) => <Authorization key={index} authorization={authorization} index={index} />)}
      </div>
      <Resolution flag={flag} />
      {flag.status === 'open' ? (
        <ReasonForm id={`resolve-${id}`} label={f.note} submit={f.resolve} required
          onSubmit={async (note) => {
            await http.post(`/flags/${encodeURIComponent(id)}/resolve`, { note })
            onResolved()
          }} />
      ) : null}
    </li>
  )
}

export function Flags() {
  const t = useT()
  const f = t.operator.flags
  const [status, setStatus] = useState<'open' | 'resolved'>('open')
  const [note, setNote] = useState('')
  const cursor = useCursor()
  const flags = useResource<{ flags: DoubleSpendFlag[] } & CursorPaged>(
    `/flags?${query({ status, limit: PAGE_SIZE, before: cursor.before })}`, ['doublespend.flagged'])
  return (
    <Page title={f.title}>
      <p class="muted">{f.intro}</p>
      <div class="field inline">
        <label for="flag-status">{f.show}</label>
        <select id="flag-status" value={status} onChange={(event) => { setStatus(event.currentTarget.value as 'open' | 'resolved'); cursor.restart() }}>
          <option value="open">{f.statusPlural.open}</option>
          <option value="resolved">{f.statusPlural.resolved}</option>
        </select>
      </div>
      <p role="status" class="good">{note}</p>
      <ErrorMessage error={flags.error} />
      {flags.data === undefined ? (flags.error === undefined ? <Loading /> : null) : flags.data.flags.length === 0 ? <p>{f.none[status]}</p> : (
        <ul class="plain cards">
          {flags.data.flags.map((flag) => <FlagCard key={flag.id} flag={flag} onResolved={() => { setNote(f.resolved(String(flag.id))); flags.reload() }} />)}
        </ul>
      )}
      <CursorPager cursor={cursor} next={flags.data?.next} />
    </Page>
  )
}
