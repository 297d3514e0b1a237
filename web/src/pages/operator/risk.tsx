// A gateway's offline risk limits: the ones in force (or the currency's defaults before any is issued),
// and a form whose save makes the hub sign a new config and publish it to the gateway.

import { useState } from 'preact/hooks'
import { http } from '../../api'
import { useSubmit } from '../../components/form'
import { useResource } from '../../components/resource'
import { DateTime, ErrorMessage, Field, Loading, Section } from '../../components/ui'
import { parseAmount, useT } from '../../i18n'
import { amountText } from './parts'
import type { CatalogEntry, OnlinePolicyName, Paged, RiskLimits } from './types'

const CATALOG_PAGE_SIZE = 100
const MINUTE_MS = 60_000
const SECOND_MS = 1_000
const POLICIES: readonly OnlinePolicyName[] = ['PreferOnline', 'RequireOnline', 'ForceOffline']

type RiskField = 'floorLimit' | 'unsyncedTotalMax' | 'unsyncedCountMax' | 'consecutiveOfflineMax' | 'uploadDeadline' | 'clockSkewMax'
type RiskChange = Omit<RiskLimits, 'gatewayId' | 'eui' | 'serial' | 'issuedAt' | 'currency' | 'floorLimit' | 'unsyncedTotalMax'>

function wholeNumber(text: string): number | undefined {
  return /^\d{1,15}$/.test(text.trim()) && Number(text) > 0 ? Number(text) : undefined
}

/** The form's limits as PUT /gateways/{id}/risk takes them, or the first field that is not valid. */
function limitsOf(form: FormData, currency: string): RiskChange | { invalid: RiskField } {
  const text = (name: string) => String(form.get(name) ?? '')
  const fields = {
    floorLimitMinor: parseAmount(text('floorLimit'), currency),
    unsyncedTotalMaxMinor: parseAmount(text('unsyncedTotalMax'), currency),
    unsyncedCountMax: wholeNumber(text('unsyncedCountMax')),
    consecutiveOfflineMax: wholeNumber(text('consecutiveOfflineMax')),
    uploadDeadlineMs: (wholeNumber(text('uploadDeadline')) ?? NaN) * MINUTE_MS,
    clockSkewMaxMs: (wholeNumber(text('clockSkewMax')) ?? NaN) * SECOND_MS,
  }
  const names: [keyof typeof fields, RiskField][] = [
    ['floorLimitMinor', 'floorLimit'], ['unsyncedTotalMaxMinor', 'unsyncedTotalMax'], ['unsyncedCountMax', 'unsyncedCountMax'],
    ['consecutiveOfflineMax', 'consecutiveOfflineMax'], ['uploadDeadlineMs', 'uploadDeadline'], ['clockSkewMaxMs', 'clockSkewMax'],
  ]
  for (const [key, field] of names) {
    const value = fields[key]
    if (value === undefined || !Number.isSafeInteger(value) || value <= 0) return { invalid: field }
  }
  return { ...(fields as Record<keyof typeof fields, number>), defaultPolicy: text('defaultPolicy') as OnlinePolicyName }
}

function RiskForm({ limits, onSaved }: { limits: RiskLimits; onSaved: (limits: RiskLimits) => void }) {
  const t = useT()
  const r = t.operator.risk
  const [invalid, setInvalid] = useState<RiskField | undefined>(undefined)
  const save = useSubmit(async (form) => {
    const change = limitsOf(form, limits.currency)
    setInvalid('invalid' in change ? change.invalid : undefined)
    if ('invalid' in change) return
    onSaved(await http.put<RiskLimits>(`/gateways/${encodeURIComponent(limits.gatewayId)}/risk`, change))
  })
  const field = (name: RiskField, value: string, hint?: string) => (
    <Field label={r.field[name]} name={name} id={`risk-${name}`} required inputMode="numeric" defaultValue={value} hint={hint}
      error={invalid === name ? r.invalid : undefined} />
  )
  return (
    <form class="form-grid" onSubmit={save.onSubmit} noValidate>
      {field('floorLimit', amountText(limits.floorLimitMinor, limits.currency), r.inCurrency(limits.currency))}
      {field('unsyncedTotalMax', amountText(limits.unsyncedTotalMaxMinor, limits.currency), r.inCurrency(limits.currency))}
      {field('unsyncedCountMax', String(limits.unsyncedCountMax))}
      {field('consecutiveOfflineMax', String(limits.consecutiveOfflineMax))}
      {field('uploadDeadline', String(Math.round(limits.uploadDeadlineMs / MINUTE_MS)), r.minutes)}
      {field('clockSkewMax', String(Math.round(limits.clockSkewMaxMs / SECOND_MS)), r.seconds)}
      <div class="field">
        <label for="risk-policy">{r.field.defaultPolicy}</label>
        <select id="risk-policy" name="defaultPolicy" defaultValue={limits.defaultPolicy}>
          {POLICIES.map((policy) => <option key={policy} value={policy}>{r.policy[policy]}</option>)}
        </select>
      </div>
      <ErrorMessage error={save.error} />
      <div class="row"><button type="submit" class="primary" disabled={save.busy}>{r.save}</button></div>
    </form>
  )
}

function GatewayRisk({ gatewayId }: { gatewayId: string }) {
  const t = useT()
  const r = t.operator.risk
  const [note, setNote] = useState('')
  const limits = useResource<RiskLimits>(`/gateways/${encodeURIComponent(gatewayId)}/risk`)
  return (
    <>
      <p role="status" class="good">{note}</p>
      <ErrorMessage error={limits.error} />
      {limits.data === undefined ? (limits.error === undefined ? <Loading /> : null) : (
        <>
          <p>{limits.data.serial === 0 ? r.defaults : <>{r.inForce(limits.data.serial)} <DateTime atMs={limits.data.issuedAt} /></>}</p>
          <RiskForm key={limits.data.serial} limits={limits.data} onSaved={(saved) => { setNote(r.saved(saved.serial)); limits.reload() }} />
        </>
      )}
    </>
  )
}

export function Risk() {
  const t = useT()
  const r = t.operator.risk
  const [gatewayId, setGatewayId] = useState('')
  const catalog = useResource<Paged<CatalogEntry>>(`/gateways?pageSize=${CATALOG_PAGE_SIZE}`)
  const taken = catalog.data?.items.filter((entry) => !entry.available) ?? []
  return (
    <Section title={r.title} id="risk">
      <p class="muted">{r.intro}</p>
      <ErrorMessage error={catalog.error} />
      {catalog.data === undefined ? (catalog.error === undefined ? <Loading /> : null) : taken.length === 0 ? <p>{r.noGateways}</p> : (
        <div class="field">
          <label for="risk-gateway">{r.gateway}</label>
          <select id="risk-gateway" value={gatewayId} onChange={(event) => setGatewayId(event.currentTarget.value)}>
            <option value="">{r.choose}</option>
            {taken.map((entry) => <option key={entry.id} value={entry.id}>{entry.name} · {entry.eui}</option>)}
          </select>
        </div>
      )}
      {gatewayId === '' ? null : <GatewayRisk key={gatewayId} gatewayId={gatewayId} />}
    </Section>
  )
}
