// Set-up for the REST API suites of users, orders, KYC, transactions, mobile and notifications: a test hub
// whose outbox is delivered only when a test asks, signed-in users, mobile customers, and the outbox's contents.

import type { FastifyInstance } from 'fastify'
import { NOTIFY_CONFIG_DEFAULT, type NotifyConfig } from '../../../hub/notify/config'
import type { MessageKind } from '../../../hub/notify/message'
import { testHub, type TestHub } from '../http/fixtures'
import { PASSWORD, call, signIn, type SignedIn } from '../money/fixtures'

export { PASSWORD, call, signIn, type SignedIn }

/** Nothing is delivered behind a test's back: it reads the outbox, or calls app.notifier.deliverDue(). */
export const MANUAL_NOTIFY: NotifyConfig = { ...NOTIFY_CONFIG_DEFAULT, deliveryIntervalMs: 0 }

export interface RestHub extends TestHub {
  operator: SignedIn
  customer: SignedIn
  owner: SignedIn
}

export async function restHub(t: Parameters<typeof testHub>[0], seed?: string): Promise<RestHub> {
  const hub = await testHub(t, { config: { notify: MANUAL_NOTIFY }, ...(seed === undefined ? {} : { seed }) })
  return { ...hub, operator: await signIn(hub, 'operator'), customer: await signIn(hub, 'customer'), owner: await signIn(hub, 'owner') }
}

export interface OutboxRow {
  id: string
  channel: string
  recipient: string
  kind: MessageKind
  subject: string
  body: string
  status: string
  user_id: string | null
}

export function outbox(hub: TestHub, kind?: MessageKind): OutboxRow[] {
  const rows = hub.context.db.prepare('SELECT * FROM notification_outbox ORDER BY created_at_ms, rowid').all() as OutboxRow[]
  return kind === undefined ? rows : rows.filter((row) => row.kind === kind)
}

/** The one-time secret (reset token, payment, phone or email code) in the newest message of `kind`. */
export function secretIn(hub: TestHub, kind: 'password_reset' | 'payment_code' | 'phone_code' | 'email_code'): string {
  const messages = outbox(hub, kind)
  const body = messages[messages.length - 1]?.body
  if (body === undefined) throw new Error(`no ${kind} message in the outbox`)
  const match = kind === 'password_reset' ? /\n\n([A-Za-z0-9_-]{43})\n\n/.exec(body) : /PayAll: (\d{6}) /.exec(body)
  if (match === null) throw new Error(`no secret in ${JSON.stringify(body)}`)
  return match[1]!
}

let phones = 0

export interface MobileUser extends SignedIn {
  readonly phone: string
  readonly refreshToken: string
}

/**
 * Registers through POST /api/auth/register, proves the number with the code from the outbox through
 * /api/auth/register/confirm, and logs in through POST /api/auth/login.
 */
export async function mobileUser(hub: TestHub, fields: { phone?: string; name?: string } = {}): Promise<MobileUser> {
  const { app } = hub
  const phone = fields.phone ?? `+22177${String(10_000_000 + ++phones).slice(1)}`
  const registered = await app.inject({
    method: 'POST', url: '/api/auth/register',
    payload: { name: fields.name ?? 'Fatou', surname: 'Ndiaye', phone, password: PASSWORD },
  })
  if (registered.statusCode !== 202) throw new Error(`register: ${registered.body}`)
  const confirmed = await app.inject({
    method: 'POST', url: '/api/auth/register/confirm',
    payload: { registrationId: registered.json().registrationId, code: secretIn(hub, 'phone_code') },
  })
  if (confirmed.statusCode !== 201) throw new Error(`register/confirm: ${confirmed.body}`)
  const login = await app.inject({ method: 'POST', url: '/api/auth/login', payload: { phone, password: PASSWORD } })
  if (login.statusCode !== 200) throw new Error(`login: ${login.body}`)
  const { token, refreshToken, user } = login.json()
  return { userId: user.id, email: '', token, refreshToken, phone }
}

/** Two mobile users of a new REST hub, each with an XOF wallet holding the amount given; `wallet` is fatou's. */
export async function fatouAndMoussa(t: Parameters<typeof testHub>[0], fatouAmount: string, moussaAmount: string) {
  const hub = await restHub(t)
  const fatou = await mobileUser(hub)
  const moussa = await mobileUser(hub)
  const wallet = await fundedWallet(hub.app, hub.operator, fatou, 'XOF', fatouAmount)
  await fundedWallet(hub.app, hub.operator, moussa, 'XOF', moussaAmount)
  return { hub, fatou, moussa, wallet }
}

/** A wallet for the user with `amount` cashed in by the operator, through REST. */
export async function fundedWallet(app: FastifyInstance, operator: SignedIn, user: SignedIn, currency: string, amount: string): Promise<string> {
  const opened = await call(app, user, { method: 'POST', url: '/users/create-account', payload: { currency } })
  if (opened.statusCode !== 201) throw new Error(`create-account: ${opened.body}`)
  const wallet: string = opened.json().id
  if (amount !== '0') {
    const cashIn = await call(app, operator, {
      method: 'POST', url: '/ledger/cash-in', payload: { accountId: wallet, amount, currency, idempotencyKey: `fund-${wallet}` },
    })
    if (cashIn.statusCode !== 201) throw new Error(`cash-in: ${cashIn.body}`)
  }
  return wallet
}

/**
 * Proves a number for a signed-in user with the newest code in the outbox: the one sent for `phone` through
 * verify-phone-init, or, without `phone`, the one already sent for the number waiting (update-account, sign-up).
 */
export async function provePhone(hub: TestHub, user: SignedIn, phone?: string): Promise<Awaited<ReturnType<typeof call>>> {
  if (phone !== undefined) {
    const started = await call(hub.app, user, { method: 'POST', url: '/users/verify-phone-init', payload: { phone } })
    if (started.statusCode !== 202) throw new Error(`verify-phone-init: ${started.body}`)
  }
  return call(hub.app, user, { method: 'POST', url: '/users/verify-phone-finish', payload: { code: secretIn(hub, 'phone_code') } })
}

export function balanceOf(hub: TestHub, accountId: string): number | undefined {
  const row = hub.context.db.prepare('SELECT balance_minor FROM accounts WHERE id = ?').get(accountId) as { balance_minor: number } | undefined
  return row?.balance_minor
}


