// The dashboard's small building blocks: a page with its heading, form fields with labels and errors,
// amounts and dates in the chosen language, loading and error states, and tables that scroll on phones.

import type { ComponentChildren, InputHTMLAttributes } from 'preact'
import { useEffect, useRef } from 'preact/hooks'
import type { ApiError } from '../api'
import { formatAmount, formatDateTime, useT } from '../i18n'

/** A page: its title as the one <h1>, focused when the page opens so screen readers announce it. */
export function Page({ title, children, actions }: { title: string; children: ComponentChildren; actions?: ComponentChildren }) {
  const heading = useRef<HTMLHeadingElement>(null)
  useEffect(() => {
    document.title = `${title} · PayAll`
    heading.current?.focus()
  }, [title])
  return (
    <section class="page" aria-labelledby="page-title">
      <header class="page-header">
        <h1 id="page-title" tabIndex={-1} ref={heading}>{title}</h1>
        {actions === undefined ? null : <div class="page-actions">{actions}</div>}
      </header>
      {children}
    </section>
  )
}

export function Section({ title, children, id }: { title: string; children: ComponentChildren; id?: string }) {
  const headingId = `${id ?? title.replace(/\W+/g, '-').toLowerCase()}-title`
  return (
    <section class="card" aria-labelledby={headingId}>
      <h2 id={headingId}>{title}</h2>
      {children}
    </section>
  )
}

/** The hub's refusal in the reader's language (the code's translation, never the raw message). */
export function ErrorMessage({ error }: { error: ApiError | undefined }) {
  const t = useT()
  if (error === undefined) return null
  const text = (t.errors as Record<string, string>)[error.code] ?? t.errors.UNKNOWN
  return <p class="error" role="alert">{text}</p>
}

export function Loading() {
  const t = useT()
  return <p class="muted" role="status">{t.app.loading}</p>
}

/** A labelled input; `hint` and `error` are tied to it with aria-describedby. */
export function Field({ label, hint, error, ...input }: { label: string; hint?: string; error?: string } & InputHTMLAttributes) {
  const id = (input.id as string | undefined) ?? `field-${(input.name as string | undefined) ?? label.replace(/\W+/g, '-').toLowerCase()}`
  const described = [hint === undefined ? null : `${id}-hint`, error === undefined ? null : `${id}-error`].filter(Boolean).join(' ')
  return (
    <div class="field">
      <label for={id}>{label}</label>
      <input id={id} aria-invalid={error === undefined ? undefined : true} aria-describedby={described || undefined} {...input} />
      {hint === undefined ? null : <small id={`${id}-hint`} class="muted">{hint}</small>}
      {error === undefined ? null : <small id={`${id}-error`} class="error">{error}</small>}
    </div>
  )
}

export function Amount({ minor, currency }: { minor: number; currency: string }) {
  return <span class="amount">{formatAmount(minor, currency)}</span>
}

export function DateTime({ atMs }: { atMs: number | string | null | undefined }) {
  const t = useT()
  if (atMs === null || atMs === undefined) return <span>{t.app.none}</span>
  const value = typeof atMs === 'string' ? Date.parse(atMs) : atMs
  return <time dateTime={new Date(value).toISOString()}>{formatDateTime(value)}</time>
}

/** A table that scrolls sideways inside its own box on a narrow screen, with a caption for its name. */
export function Table({ caption, head, children, empty }: { caption: string; head: string[]; children: ComponentChildren; empty?: boolean }) {
  const t = useT()
  return (
    <div class="table-wrap" role="region" aria-label={caption} tabIndex={0}>
      <table>
        <caption class="visually-hidden">{caption}</caption>
        <thead>
          <tr>{head.map((cell) => <th scope="col" key={cell}>{cell}</th>)}</tr>
        </thead>
        <tbody>{empty === true ? <tr><td colSpan={head.length} class="muted">{t.app.empty}</td></tr> : children}</tbody>
      </table>
    </div>
  )
}
