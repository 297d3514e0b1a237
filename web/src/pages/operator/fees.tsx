// Fee schedules: every version the hub holds per gateway type and currency, and a form to add the next
// version (a schedule is never changed in place: a payment names the version it paid under).

import { useRef, useState } from 'preact/hooks'
import { http } from '../../api'
import { useSubmit } from '../../components/form'
import { useResource } from '../../components/resource'
import { Amount, DateTime, ErrorMessage, Field, Loading, Section, Table } from '../../components/ui'
import { parseAmount, useT } from '../../i18n'
import { Percent, amountText, parseBasisPoints } from './parts'
import type { FeeSchedule } from './types'

type FeeField = 'gatewayType' | 'currency' | 'rate' | 'fixed' | 'ownerShare'

interface NewSchedule {
  gatewayType: string
  currency: string
  basisPoints: number
  fixedMinor: number
  ownerShareBasisPoints: number
  effectiveFrom?: string
}

/** The form's fields as POST /fees takes them, or the first field that is not valid. */
function scheduleOf(form: FormData): NewSchedule | { invalid: FeeField } {
  const text = (name: string) => String(form.get(name) ?? '').trim()
  const gatewayType = text('gatewayType')
  if (!/^[A-Za-z0-9][A-Za-z0-9_-]{0,39}$/.test(gatewayType)) return { invalid: 'gatewayType' }
  const currency = text('currency').toUpperCase()
  if (!/^[A-Z]{3}$/.test(currency)) return { invalid: 'currency' }
  const basisPoints = parseBasisPoints(text('rate'))
  if (basisPoints === undefined) return { invalid: 'rate' }
  const fixed_minor = text('fixed') === '' ? 0 : parseAmount(text('fixed'), currency)
  if (fixed_minor === undefined) return { invalid: 'fixed' }
  const ownerShareBasisPoints = parseBasisPoints(text('ownerShare'))
  if (ownerShareBasisPoints === undefined) return { invalid: 'ownerShare' }
  const effectiveFrom = text('effectiveFrom')
  return { gatewayType, currency, basisPoints, fixedMinor: fixed_minor, ownerShareBasisPoints, ...(effectiveFrom === '' ? {} : { effectiveFrom }) }
}

function NextVersion({ base, onAdded }: { base: FeeSchedule | undefined; onAdded: (schedule: FeeSchedule) => void }) {
  const t = useT()
  const f = t.operator.fees
  const [invalid, setInvalid] = useState<FeeField | undefined>(undefined)
  const add = useSubmit(async (form) => {
    const schedule = scheduleOf(form)
    setInvalid('invalid' in schedule ? schedule.invalid : undefined)
    if ('invalid' in schedule) return
    onAdded(await http.post<FeeSchedule>('/fees', schedule))
  })
  const error = (field: FeeField) => (invalid === field ? f.invalid[field] : undefined)
  return (
    <form class="form-grid" onSubmit={add.onSubmit} noValidate>
      <Field label={f.gatewayType} name="gatewayType" id="fee-type" required maxLength={40} defaultValue={base?.gatewayType} error={error('gatewayType')} />
      <Field label={f.currency} name="currency" id="fee-currency" required maxLength={3} defaultValue={base?.currency ?? 'XOF'} error={error('currency')} />
      <Field label={f.rate} name="rate" id="fee-rate" required inputMode="decimal" hint={f.rateHint}
        defaultValue={base === undefined ? undefined : String(base.basisPoints / 100)} error={error('rate')} />
      <Field label={f.fixed} name="fixed" id="fee-fixed" inputMode="decimal" hint={f.fixedHint}
        defaultValue={base === undefined ? undefined : amountText(base.fixedMinor, base.currency)} error={error('fixed')} />
      <Field label={f.ownerShare} name="ownerShare" id="fee-owner-share" required inputMode="decimal" hint={f.ownerShareHint}
        defaultValue={base === undefined ? undefined : String(base.ownerShareBasisPoints / 100)} error={error('ownerShare')} />
      <Field label={f.effectiveFrom} name="effectiveFrom" id="fee-from" type="date" hint={f.effectiveFromHint} />
      <ErrorMessage error={add.error} />
      <div class="row"><button type="submit" class="primary" disabled={add.busy}>{f.add}</button></div>
    </form>
  )
}

function ScheduleTable({ schedules, onBase }: { schedules: FeeSchedule[]; onBase: (schedule: FeeSchedule) => void }) {
  const t = useT()
  const f = t.operator.fees
  return (
    <Table caption={f.schedulesCaption} head={[f.gatewayType, f.currency, f.version, f.rate, f.fixed, f.ownerShare, f.effectiveFrom, t.table.actions]} empty={schedules.length === 0}>
      {schedules.map((schedule) => (
        <tr key={schedule.id}>
          <td>{schedule.gatewayType}</td>
          <td>{schedule.currency}</td>
          <td class="number">{schedule.version}</td>
          <td class="number"><Percent basisPoints={schedule.basisPoints} /></td>
          <td class="number"><Amount minor={schedule.fixedMinor} currency={schedule.currency} /></td>
          <td class="number"><Percent basisPoints={schedule.ownerShareBasisPoints} /></td>
          <td><DateTime atMs={schedule.effectiveFrom} /></td>
          <td><button type="button" onClick={() => onBase(schedule)}>{f.nextFrom}<span class="visually-hidden"> {schedule.id}</span></button></td>
        </tr>
      ))}
    </Table>
  )
}

export function Fees() {
  const t = useT()
  const f = t.operator.fees
  const [base, setBase] = useState<FeeSchedule | undefined>(undefined)
  const [note, setNote] = useState('')
  const formStart = useRef<HTMLDivElement>(null)
  const schedules = useResource<{ schedules: FeeSchedule[] }>('/fees')
  const pick = (schedule: FeeSchedule) => {
    setBase(schedule)
    formStart.current?.focus()
  }
  return (
    <>
      <Section title={f.schedules} id="fees">
        <p class="muted">{f.intro}</p>
        <ErrorMessage error={schedules.error} />
        {schedules.data === undefined ? (schedules.error === undefined ? <Loading /> : null) : <ScheduleTable schedules={schedules.data.schedules} onBase={pick} />}
      </Section>
      <Section title={f.addTitle} id="add-fee">
        <div ref={formStart} tabIndex={-1} class="focus-target">
          <p class="muted">{base === undefined ? f.addIntro : f.addFrom(base.id)}</p>
        </div>
        <p role="status" class="good">{note}</p>
        <NextVersion key={base?.id ?? 'new'} base={base} onAdded={(schedule) => {
          setNote(f.added(schedule.id))
          schedules.reload()
        }} />
      </Section>
    </>
  )
}
