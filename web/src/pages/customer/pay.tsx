// Sending money to a phone number: the amount from one of the customer's wallets, then the 6-digit code
// the hub sends to the payer (5 minutes; the third wrong code cancels), then what was sent.

import { useState } from 'preact/hooks'
import { ApiError, http, signedInUser } from '../../api'
import { useSubmit } from '../../components/form'
import { ErrorMessage, Field, Loading, Page } from '../../components/ui'
import { formatAmount, formatDateTime, useT } from '../../i18n'
import { Refusal, SelectField, StepSection, majorUnits, readAmount, useWallets, type Wallet } from './shared'

/** The hub cancels a payment at its third wrong code (hub/mobile/payment-code.ts). */
const WRONG_CODES_MAX = 3
/** Refusals after which this payment can no longer be confirmed. */
const ENDED_CODES = ['PAYMENT_CANCELLED', 'PAYMENT_EXPIRED', 'PAYMENT_CLOSED', 'NOT_FOUND']

interface Payment {
  paymentId: string
  expiresAt: string
  toPhone: string
  currency: string
  amount_minor: number
}

type Step = { kind: 'amount' } | { kind: 'code'; payment: Payment } | { kind: 'sent'; payment: Payment }

export function Pay() {
  const t = useT()
  const { wallets, error } = useWallets()
  const [step, setStep] = useState<Step>({ kind: 'amount' })
  const restart = () => setStep({ kind: 'amount' })
  return (
    <Page title={t.customer.pay.title}>
      <ErrorMessage error={error} />
      {step.kind === 'code' ? <CodeStep payment={step.payment} onSent={() => setStep({ kind: 'sent', payment: step.payment })} onRestart={restart} />
        : step.kind === 'sent' ? <SentStep payment={step.payment} onAnother={restart} />
          : wallets === undefined ? <Loading />
            : <AmountStep wallets={wallets} onStarted={(payment) => setStep({ kind: 'code', payment })} />}
    </Page>
  )
}

function AmountStep({ wallets, onStarted }: { wallets: Wallet[]; onStarted: (payment: Payment) => void }) {
  const t = useT()
  const [currency, setCurrency] = useState(wallets[0]?.currency ?? '')
  const [problem, setProblem] = useState<string | undefined>(undefined)
  const { error, busy, onSubmit } = useSubmit(async (form) => {
    const amount = readAmount(String(form.get('amount')), currency, t.customer.amountInvalid)
    setProblem('problem' in amount ? amount.problem : undefined)
    if ('problem' in amount) return
    const toPhone = String(form.get('toPhone')).trim()
    const started = await http.post<{ paymentId: string; expiresAt: string }>('/api/auth/device/pay', {
      toPhone, currency, amount: majorUnits(amount.amount_minor, currency),
    })
    onStarted({ paymentId: started.paymentId, expiresAt: started.expiresAt, toPhone, currency, amount_minor: amount.amount_minor })
  })
  const wallet = wallets.find((candidate) => candidate.currency === currency)
  if (wallet === undefined) return <p>{t.customer.pay.noWallet} <a href="#/wallets">{t.customer.pay.walletsLink}</a></p>
  return (
    <>
      <p>{t.customer.pay.intro}</p>
      <form class="card narrow" onSubmit={onSubmit} noValidate>
        <Field label={t.customer.pay.toPhone} name="toPhone" type="tel" autoComplete="off" required maxLength={40} hint={t.customer.pay.toPhoneHint} />
        {wallets.length === 1 ? null : (
          <SelectField label={t.customer.pay.wallet} name="currency" value={currency} onChange={(event) => setCurrency(event.currentTarget.value)}
            options={wallets.map((option) => ({ value: option.currency, label: option.currency }))} />
        )}
        <Field label={`${t.customer.pay.amount} (${currency})`} name="amount" inputMode="decimal" autoComplete="off" required error={problem}
          hint={t.customer.pay.amountHint(currency, formatAmount(wallet.balanceMinor, currency))} />
        <Refusal error={error} />
        <button type="submit" class="primary" disabled={busy}>{t.customer.pay.submit}</button>
      </form>
    </>
  )
}

function CodeStep({ payment, onSent, onRestart }: { payment: Payment; onSent: () => void; onRestart: () => void }) {
  const t = useT()
  const user = signedInUser()
  const [wrong, setWrong] = useState(0)
  const { error, busy, onSubmit } = useSubmit(async (form) => {
    try {
      await http.post('/api/auth/device/pay/confirm', { paymentId: payment.paymentId, code: String(form.get('code')).trim() })
    } catch (caught) {
      if (caught instanceof ApiError && caught.code === 'WRONG_CODE') setWrong((count) => count + 1)
      throw caught
    }
    onSent()
  })
  const ended = error !== undefined && ENDED_CODES.includes(error.code)
  const p = t.customer.pay
  const amount = formatAmount(payment.amount_minor, payment.currency)
  return (
    <StepSection title={p.codeTitle} id="pay-code">
      <p>{user?.phone == null ? p.codeSentEmail(user?.email ?? '') : p.codeSentSms(user.phone)} {p.codeFor(amount, payment.toPhone)}</p>
      <p>{p.codeRules(formatDateTime(Date.parse(payment.expiresAt)))}</p>
      {ended ? (
        <>
          <ErrorMessage error={error} />
          <p>{p.ended}</p>
          <button type="button" class="primary" onClick={onRestart}>{p.startOver}</button>
        </>
      ) : (
        <form class="narrow" onSubmit={onSubmit} noValidate>
          <Field label={p.code} name="code" inputMode="numeric" autoComplete="one-time-code" pattern="[0-9]{6}" maxLength={6} required />
          {error?.code === 'WRONG_CODE' ? <p class="error" role="alert">{p.wrongCode(WRONG_CODES_MAX - wrong)}</p> : <Refusal error={error} />}
          <div class="row">
            <button type="submit" class="primary" disabled={busy}>{busy ? p.confirming : p.confirm}</button>
            <button type="button" onClick={onRestart}>{p.startOver}</button>
          </div>
        </form>
      )}
    </StepSection>
  )
}

function SentStep({ payment, onAnother }: { payment: Payment; onAnother: () => void }) {
  const t = useT()
  return (
    <StepSection title={t.customer.pay.doneTitle} id="pay-sent">
      <p class="good" role="status">{t.customer.pay.done(formatAmount(payment.amount_minor, payment.currency), payment.toPhone)}</p>
      <button type="button" class="primary" onClick={onAnother}>{t.customer.pay.another}</button>
    </StepSection>
  )
}
