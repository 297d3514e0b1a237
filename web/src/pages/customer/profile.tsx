// The customer's profile: their name, their email address and whether it is verified, their phone number
// (a new one counts once the code sent to it comes back), and their password, whose change ends every session.

import { useState } from 'preact/hooks'
import { forgetSession, http, refreshSession } from '../../api'
import { useSubmit } from '../../components/form'
import { ErrorMessage, Field, Loading, Page, Section } from '../../components/ui'
import { useT } from '../../i18n'
import { navigate } from '../../router'
import { noticeOnSignIn } from '../sign-in'
import { PhoneSection } from './profile-phone'
import { Status, useSessionUser, type SessionUser } from './shared'

export function Profile() {
  const t = useT()
  const user = useSessionUser()
  // Never null while the frame shows this page: signing out replaces it with the sign-in page.
  if (user === null) return <Loading />
  return (
    <Page title={t.customer.profile.title}>
      <NameSection user={user} />
      <EmailSection user={user} />
      <PhoneSection user={user} />
      <PasswordSection user={user} />
    </Page>
  )
}

function NameSection({ user }: { user: SessionUser }) {
  const t = useT()
  const p = t.customer.profile
  const [saved, setSaved] = useState(false)
  const { error, busy, onSubmit } = useSubmit(async (form) => {
    setSaved(false)
    await http.patch('/users/update-account', { fullName: String(form.get('fullName')).trim() })
    // The frame shows the name the session holds: take the hub's word for it.
    await refreshSession()
    setSaved(true)
  })
  return (
    <Section title={p.name} id="profile-name">
      <Status text={saved ? p.nameSaved : undefined} />
      <form class="narrow" onSubmit={onSubmit} noValidate>
        <Field label={p.fullName} name="fullName" autoComplete="name" required maxLength={200} defaultValue={user.fullName} />
        <ErrorMessage error={error} />
        <button type="submit" class="primary" disabled={busy}>{t.app.save}</button>
      </form>
    </Section>
  )
}

function EmailSection({ user }: { user: SessionUser }) {
  const p = useT().customer.profile
  return (
    <Section title={p.email} id="profile-email">
      {user.email === null ? <p>{p.noEmail}</p> : (
        <p>
          {user.email}{' '}
          <span class={user.emailVerified ? 'badge on' : 'badge off'}>{user.emailVerified ? p.emailVerified : p.emailNotVerified}</span>
        </p>
      )}
      {user.email === null || user.emailVerified ? null : <a href="#/verify">{p.verifyEmail}</a>}
    </Section>
  )
}

function PasswordSection({ user }: { user: SessionUser }) {
  const p = useT().customer.profile
  const [mismatch, setMismatch] = useState(false)
  const { error, busy, onSubmit } = useSubmit(async (form) => {
    const newPassword = String(form.get('newPassword'))
    setMismatch(newPassword !== String(form.get('repeatPassword')))
    if (newPassword !== String(form.get('repeatPassword'))) return
    await http.patch('/users/update-password', { currentPassword: String(form.get('currentPassword')), newPassword })
    // The hub ended this session too: asking it to end it again would only be refused.
    noticeOnSignIn((t) => t.customer.profile.passwordChanged)
    forgetSession()
    navigate('/sign-in')
  })
  return (
    <Section title={p.password} id="profile-password">
      <p>{p.passwordIntro}</p>
      <form class="narrow" onSubmit={onSubmit} noValidate>
        {/* Whose password this is, for the browser's password manager to update the right one. */}
        <input type="text" name="username" autoComplete="username" value={user.email ?? user.phone ?? ''} hidden readOnly />
        <Field label={p.currentPassword} name="currentPassword" type="password" autoComplete="current-password" required />
        <Field label={p.newPassword} name="newPassword" type="password" autoComplete="new-password" required hint={p.newPasswordHint} />
        <Field label={p.repeatPassword} name="repeatPassword" type="password" autoComplete="new-password" required
          error={mismatch ? p.mismatch : undefined} />
        <ErrorMessage error={error} />
        <button type="submit" class="primary" disabled={busy}>{p.changePassword}</button>
      </form>
    </Section>
  )
}
