// The profile's phone number: the current one and whether it is proved, a new one given (the old one stays
// the customer's until the code sent by SMS to the new one comes back), and that code.

import { useState } from 'preact/hooks'
import { http, refreshSession } from '../../api'
import { useSubmit } from '../../components/form'
import { ErrorMessage, Field, Section } from '../../components/ui'
import { useT } from '../../i18n'
import { Status, type SessionUser } from './shared'

/** The user reply of update-account and verify-phone-finish, the parts read here. */
interface PhoneReply {
  phone: string | null
  phonePending: string | null
}

export function PhoneSection({ user }: { user: SessionUser }) {
  const p = useT().customer.profile
  const [pending, setPending] = useState<string | null>(user.phonePending ?? null)
  const [news, setNews] = useState<string | undefined>(undefined)
  const codeSent = (phone: string) => {
    setPending(phone)
    setNews(p.codeSent(phone))
  }
  return (
    <Section title={p.phone} id="profile-phone">
      <CurrentPhone user={user} provable={pending === null} onCodeSent={codeSent} />
      <Status text={news} />
      {pending === null ? <NewPhoneForm onCodeSent={codeSent} /> : (
        <PhoneCodeForm pending={pending} onCodeSent={codeSent} onOther={() => { setPending(null); setNews(undefined) }}
          onProved={(phone) => { setPending(null); setNews(p.phoneProved(phone)) }} />
      )}
    </Section>
  )
}

function CurrentPhone({ user, provable, onCodeSent }: { user: SessionUser; provable: boolean; onCodeSent: (phone: string) => void }) {
  const p = useT().customer.profile
  const prove = useSubmit(async () => {
    const sent = await http.post<{ phone: string }>('/users/verify-phone-init', { phone: user.phone })
    onCodeSent(sent.phone)
  })
  if (user.phone === null) return <p>{p.noPhone}</p>
  return (
    <>
      <p>
        {p.currentPhone} <span class="mono">{user.phone}</span>{' '}
        <span class={user.phoneVerified ? 'badge on' : 'badge off'}>{user.phoneVerified ? p.phoneVerified : p.phoneNotVerified}</span>
      </p>
      {user.phoneVerified || !provable ? null : (
        <>
          <ErrorMessage error={prove.error} />
          <button type="button" onClick={prove.onSubmit} disabled={prove.busy}>{p.proveCurrent}</button>
        </>
      )}
    </>
  )
}

function NewPhoneForm({ onCodeSent }: { onCodeSent: (phone: string) => void }) {
  const p = useT().customer.profile
  const { error, busy, onSubmit } = useSubmit(async (form) => {
    const reply = await http.patch<PhoneReply>('/users/update-account', { phone: String(form.get('phone')).trim() })
    if (reply.phonePending !== null) onCodeSent(reply.phonePending)
  })
  return (
    <form class="narrow" onSubmit={onSubmit} noValidate>
      <Field label={p.newPhone} name="phone" type="tel" autoComplete="tel" required maxLength={40} hint={p.newPhoneHint} />
      <ErrorMessage error={error} />
      <button type="submit" class="primary" disabled={busy}>{p.sendCode}</button>
    </form>
  )
}

function PhoneCodeForm({ pending, onCodeSent, onOther, onProved }:
  { pending: string; onCodeSent: (phone: string) => void; onOther: () => void; onProved: (phone: string) => void }) {
  const p = useT().customer.profile
  const { error, busy, onSubmit } = useSubmit(async (form) => {
    const reply = await http.post<PhoneReply>('/users/verify-phone-finish', { code: String(form.get('code')).trim() })
    // The session's user gets the proved number (and, for a phone-only account, its verified state).
    await refreshSession()
    onProved(reply.phone ?? pending)
  })
  const resend = useSubmit(async () => {
    const sent = await http.post<{ phone: string }>('/users/verify-phone-init', {})
    onCodeSent(sent.phone)
  })
  return (
    <form class="narrow" onSubmit={onSubmit} noValidate>
      <p>{p.pendingPhone(pending)}</p>
      <Field label={p.phoneCode} name="code" inputMode="numeric" autoComplete="one-time-code" pattern="[0-9]{6}" maxLength={6} required />
      <ErrorMessage error={error ?? resend.error} />
      <div class="row">
        <button type="submit" class="primary" disabled={busy}>{p.provePhone}</button>
        <button type="button" onClick={resend.onSubmit} disabled={resend.busy}>{p.resend}</button>
        <button type="button" onClick={onOther}>{p.otherNumber}</button>
      </div>
    </form>
  )
}
