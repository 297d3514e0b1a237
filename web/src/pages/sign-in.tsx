// Signing in with an email or a phone number and a password; signing up with an email; the email code.

import { useState } from 'preact/hooks'
import { http, refreshSession, signIn, signedInUser } from '../api'
import { useSubmit } from '../components/form'
import { ErrorMessage, Field, Page } from '../components/ui'
import { useT } from '../i18n'
import type { Messages } from '../i18n/en'
import { navigate } from '../router'

let notice: ((t: Messages) => string) | undefined

/** A sentence the sign-in page shows, once, the next time it opens: why the user was signed out. */
export function noticeOnSignIn(message: (t: Messages) => string): void {
  notice = message
}

function takeNotice(): ((t: Messages) => string) | undefined {
  const taken = notice
  notice = undefined
  return taken
}

export function SignIn() {
  const t = useT()
  const [shown] = useState(takeNotice)
  const { error, busy, onSubmit } = useSubmit(async (form) => {
    await signIn(String(form.get('identifier')), String(form.get('password')))
    navigate('/')
  })
  return (
    <Page title={t.signIn.title}>
      {shown === undefined ? null : <p class="banner narrow" role="status">{shown(t)}</p>}
      <form class="card narrow" onSubmit={onSubmit} noValidate>
        <Field label={t.signIn.identifier} name="identifier" autoComplete="username" required />
        <Field label={t.signIn.password} name="password" type="password" autoComplete="current-password" required />
        <ErrorMessage error={error} />
        <button type="submit" class="primary" disabled={busy}>{busy ? t.signIn.submitting : t.signIn.submit}</button>
        <p>{t.signIn.noAccount} <a href="#/sign-up">{t.signIn.signUpLink}</a></p>
      </form>
    </Page>
  )
}

export function SignUp() {
  const t = useT()
  const [created, setCreated] = useState(false)
  const { error, busy, onSubmit } = useSubmit(async (form) => {
    await http.post('/users/sign-up', { fullName: form.get('fullName'), email: form.get('email'), password: form.get('password') })
    setCreated(true)
  })
  return (
    <Page title={t.signUp.title}>
      {created ? (
        <div class="card narrow">
          <p role="status">{t.signUp.created}</p>
          <a href="#/sign-in">{t.signUp.signInLink}</a>
        </div>
      ) : (
        <form class="card narrow" onSubmit={onSubmit} noValidate>
          <Field label={t.signUp.fullName} name="fullName" autoComplete="name" required maxLength={200} />
          <Field label={t.signUp.email} name="email" type="email" autoComplete="email" required maxLength={254} />
          <Field label={t.signUp.password} name="password" type="password" autoComplete="new-password" required hint={t.signUp.passwordHint} />
          <ErrorMessage error={error} />
          <button type="submit" class="primary" disabled={busy}>{t.signUp.submit}</button>
          <p>{t.signUp.haveAccount} <a href="#/sign-in">{t.signUp.signInLink}</a></p>
        </form>
      )}
    </Page>
  )
}

export function VerifyEmail() {
  const t = useT()
  const user = signedInUser()
  const [note, setNote] = useState<string | undefined>(undefined)
  const { error, busy, onSubmit } = useSubmit(async (form) => {
    await http.post('/users/verify-email-finish', { code: String(form.get('code')).trim() })
    // The session's user, now verified, as the hub sees it.
    await refreshSession()
    setNote(t.verify.done)
  })
  const resend = useSubmit(async () => {
    await http.post('/users/verify-email-init')
    setNote(t.verify.resent)
  })
  return (
    <Page title={t.verify.title}>
      <form class="card narrow" onSubmit={onSubmit} noValidate>
        <p>{t.verify.intro(user?.email ?? '')}</p>
        <Field label={t.verify.code} name="code" inputMode="numeric" autoComplete="one-time-code" pattern="[0-9]{6}" maxLength={6} required />
        <ErrorMessage error={error ?? resend.error} />
        {note === undefined ? null : <p role="status">{note}</p>}
        <div class="row">
          <button type="submit" class="primary" disabled={busy}>{t.verify.submit}</button>
          <button type="button" onClick={resend.onSubmit} disabled={resend.busy}>{t.verify.resend}</button>
        </div>
      </form>
    </Page>
  )
}
