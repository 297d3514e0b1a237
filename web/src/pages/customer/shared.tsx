// What the customer's pages share: their wallets, a labelled select, amounts typed by a person and sent
// to the hub in major units, and a refusal that says how to verify the account when that is the reason.

import type { ComponentChildren, SelectHTMLAttributes } from 'preact'
import { useEffect, useRef, useState } from 'preact/hooks'
import { onSessionChange, signedInUser, type ApiError, type User } from '../../api'
import { useResource } from '../../components/resource'
import { ErrorMessage } from '../../components/ui'
import { minorDigits, parseAmount, useT } from '../../i18n'

export interface Wallet {
  id: string
  kind: string
  currency: string
  balanceMinor: number
  holdMinor?: number
}

/** The caller's wallets, loaded again when a payment settles (the balance moves). */
export function useWallets() {
  const accounts = useResource<{ accounts: Wallet[] }>('/accounts', ['payment.settled'])
  const wallets = accounts.data?.accounts.filter((account) => account.kind === 'wallet')
  return { wallets, error: accounts.error, reload: accounts.reload }
}

/** Minor units as the decimal string in major units the hub's money routes take: 1250 EUR → "12.50". */
export function majorUnits(amount_minor: number, currency: string): string {
  const digits = minorDigits(currency)
  if (digits === 0) return String(amount_minor)
  const scale = 10 ** digits
  return `${Math.floor(amount_minor / scale)}.${String(amount_minor % scale).padStart(digits, '0')}`
}

/** The typed amount in minor units, or the sentence saying what to type instead. */
export function readAmount(text: string, currency: string, invalid: (currency: string, digits: number) => string):
  { amount_minor: number } | { problem: string } {
  const amount_minor = parseAmount(text, currency)
  if (amount_minor === undefined || amount_minor <= 0) return { problem: invalid(currency, minorDigits(currency)) }
  return { amount_minor }
}

/** The hub's refusal; an unverified account also gets the way to verify it. */
export function Refusal({ error }: { error: ApiError | undefined }) {
  const t = useT()
  if (error?.code !== 'ACCOUNT_UNVERIFIED') return <ErrorMessage error={error} />
  return (
    <div class="banner" role="alert">
      <p>{t.customer.unverified.text}</p>
      <a href="#/verify">{t.customer.unverified.link}</a>
    </div>
  )
}

export interface Option {
  value: string
  label: string
}

/** A labelled <select>, as Field is for inputs. */
export function SelectField({ label, name, options, hint, ...select }:
  { label: string; name: string; options: Option[]; hint?: string } & SelectHTMLAttributes) {
  const id = `field-${name}`
  return (
    <div class="field">
      <label for={id}>{label}</label>
      <select id={id} name={name} aria-describedby={hint === undefined ? undefined : `${id}-hint`} {...select}>
        {options.map((option) => <option key={option.value} value={option.value}>{option.label}</option>)}
      </select>
      {hint === undefined ? null : <small id={`${id}-hint`} class="muted">{hint}</small>}
    </div>
  )
}

/** A live region that is always there (a region added with its text is not announced), with the latest news. */
export function Status({ text }: { text: string | undefined }) {
  return <p class="status good" role="status">{text ?? ''}</p>
}

/** A card whose heading takes the focus when it appears: the next step of a flow, announced by its title. */
export function StepSection({ title, id, children }: { title: string; id: string; children: ComponentChildren }) {
  const heading = useRef<HTMLHeadingElement>(null)
  useEffect(() => heading.current?.focus(), [])
  return (
    <section class="card" aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`} tabIndex={-1} ref={heading}>{title}</h2>
      {children}
    </section>
  )
}

/** The session's user as the login reply has it: with the number waiting for its code. */
export type SessionUser = User & { phonePending?: string | null }

/** The signed-in user; the component renders again when the session changes (a refresh brings new details). */
export function useSessionUser(): SessionUser | null {
  const [user, setUser] = useState<SessionUser | null>(signedInUser())
  useEffect(() => onSessionChange(setUser), [])
  return user
}
