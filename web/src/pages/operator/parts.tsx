// Pieces the operator's pages share: pagers for the two kinds of paged list, a button that asks again
// before it acts, a form that takes a reason, counts shown as tiles, and the percent and status words.

import { useEffect, useRef, useState } from 'preact/hooks'
import { useSubmit } from '../../components/form'
import { ErrorMessage, Field } from '../../components/ui'
import { formatNumber, minorDigits, useT } from '../../i18n'

/** Previous / next over a list the hub pages by number (`page`, `pageSize`, `total`). */
export function PagePager({ page, pageSize, total, onPage }: { page: number; pageSize: number; total: number; onPage: (page: number) => void }) {
  const t = useT()
  const pages = Math.max(1, Math.ceil(total / pageSize))
  if (pages === 1) return null
  return (
    <nav class="pager" aria-label={t.operator.pager.label}>
      <button type="button" disabled={page <= 1} onClick={() => onPage(page - 1)}>{t.app.previous}</button>
      <span>{t.operator.pager.pageOf(page, pages)}</span>
      <button type="button" disabled={page >= pages} onClick={() => onPage(page + 1)}>{t.app.next}</button>
    </nav>
  )
}

/** Where a list the hub pages by cursor (`before`, `next`) is: the cursors of the pages before this one. */
export function useCursor() {
  const [stack, setStack] = useState<string[]>([])
  return {
    before: stack.length === 0 ? undefined : stack[stack.length - 1],
    first: stack.length === 0,
    older: (next: string) => setStack([...stack, next]),
    newer: () => setStack(stack.slice(0, -1)),
    restart: () => setStack([]),
  }
}

export function CursorPager({ cursor, next }: { cursor: ReturnType<typeof useCursor>; next: string | null | undefined }) {
  const t = useT()
  if (cursor.first && (next === null || next === undefined)) return null
  return (
    <nav class="pager" aria-label={t.operator.pager.label}>
      <button type="button" disabled={cursor.first} onClick={cursor.newer}>{t.operator.pager.newer}</button>
      <button type="button" disabled={next === null || next === undefined} onClick={() => cursor.older(next!)}>{t.operator.pager.older}</button>
    </nav>
  )
}

/** A query string from the values that are set, for a GET path. */
export function query(values: Record<string, string | number | undefined>): string {
  const params = new URLSearchParams()
  for (const [name, value] of Object.entries(values)) if (value !== undefined && value !== '') params.set(name, String(value))
  return params.toString()
}

/** A button that asks again before acting; the question gets the focus so a keyboard user lands on it. */
export function ConfirmButton({ label, question, confirm, onConfirm, danger }: {
  label: string; question: string; confirm: string; onConfirm: () => Promise<void>; danger?: boolean
}) {
  const t = useT()
  const [asking, setAsking] = useState(false)
  const yes = useRef<HTMLButtonElement>(null)
  const action = useSubmit(async () => {
    await onConfirm()
    setAsking(false)
  })
  useEffect(() => {
    if (asking) yes.current?.focus()
  }, [asking])
  if (!asking) return <button type="button" class={danger === true ? 'danger' : undefined} onClick={() => setAsking(true)}>{label}</button>
  return (
    <div class="confirm-step" role="group" aria-label={question}>
      <p>{question}</p>
      <div class="row">
        <button type="button" ref={yes} class={danger === true ? 'danger' : 'primary'} disabled={action.busy} onClick={action.onSubmit}>{confirm}</button>
        <button type="button" onClick={() => setAsking(false)}>{t.app.cancel}</button>
      </div>
      <ErrorMessage error={action.error} />
    </div>
  )
}

/** A one-field form for a reason or a note (one printable line, as the hub requires), and its submit button. */
export function ReasonForm({ id, label, submit, required, danger, onSubmit }: {
  id: string; label: string; submit: string; required: boolean; danger?: boolean; onSubmit: (reason: string) => Promise<void>
}) {
  const t = useT()
  const [reason, setReason] = useState('')
  const [missing, setMissing] = useState(false)
  const action = useSubmit(async () => {
    const trimmed = reason.trim()
    setMissing(required && trimmed === '')
    if (required && trimmed === '') return
    await onSubmit(trimmed)
    setReason('')
  })
  return (
    <form class="reason-form" onSubmit={action.onSubmit} noValidate>
      <Field id={id} label={label} name="reason" maxLength={500} required={required} value={reason}
        onInput={(event) => setReason(event.currentTarget.value)} error={missing ? t.operator.reasonMissing : undefined} />
      <ErrorMessage error={action.error} />
      <div class="row">
        <button type="submit" class={danger === true ? 'danger' : 'primary'} disabled={action.busy}>{submit}</button>
      </div>
    </form>
  )
}

interface TileItem {
  label: string
  value: number
  href?: string
  /** A count that asks for the operator's attention when it is not zero. */
  alert?: boolean
}

/** Counts as tiles; a count that needs attention says so in words, not only in colour. */
export function Tiles({ items }: { items: TileItem[] }) {
  const t = useT()
  return (
    <ul class="tiles compact">
      {items.map((item) => (
        <li class={item.alert === true && item.value > 0 ? 'tile attention' : 'tile'} key={item.label}>
          <span class="tile-label">{item.label}</span>
          <span class="tile-value">{formatNumber(item.value)}</span>
          {item.alert === true && item.value > 0 ? <span class="attention-word">{t.operator.overview.needsAttention}</span> : null}
          {item.href === undefined ? null : <a href={item.href}>{t.operator.overview.open}<span class="visually-hidden">: {item.label}</span></a>}
        </li>
      ))}
    </ul>
  )
}

/** Basis points (hundredths of a percent) as a percentage in the chosen language: 150 → 1.5%. */
export function Percent({ basisPoints }: { basisPoints: number }) {
  const t = useT()
  return <span class="number">{t.operator.percent(formatNumber(basisPoints / 100))}</span>
}

/** "1.5" or "1,5" (a percentage, at most two decimals, 0 to 100) as basis points, or undefined. */
export function parseBasisPoints(text: string): number | undefined {
  const cleaned = text.trim().replace(',', '.').replace(/\s*%$/, '')
  if (!/^\d{1,3}(\.\d{1,2})?$/.test(cleaned)) return undefined
  const [whole, fraction = ''] = cleaned.split('.') as [string, string?]
  const basisPoints = Number(whole) * 100 + Number(fraction.padEnd(2, '0'))
  return basisPoints <= 10_000 ? basisPoints : undefined
}

/** An amount as a person would type it back into a field: "150" XOF, "0.25" EUR. */
export function amountText(amount_minor: number, currency: string): string {
  const digits = minorDigits(currency)
  return digits === 0 ? String(amount_minor) : (amount_minor / 10 ** digits).toFixed(digits)
}
