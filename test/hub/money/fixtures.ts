// Set-up for the money route tests: signed-in users of each role, requests with their token, wallets with
// cash in them (through the hub's own REST), gateways, voucher holds and settled payments (through the ledger).

import type { FastifyInstance, InjectOptions } from 'fastify'
import { sha256, toHex } from '../../../protocol/bytes'
import type { Role } from '../../../hub/http/roles'
import { addUser, login, testHub, type TestHub } from '../http/fixtures'

export const PASSWORD = 'correct horse 42 battery'

export interface SignedIn {
  readonly userId: string
  readonly email: string
  readonly token: string
}

let users = 0

export async function signIn(hub: TestHub, role: Role, email = `${role}-${++users}@payall.example`): Promise<SignedIn> {
  const userId = await addUser(hub.context, { email, password: PASSWORD, role })
  const response = await login(hub.app, email, PASSWORD)
  if (response.statusCode !== 200) throw new Error(`login failed: ${response.body}`)
  return { userId, email, token: response.json().token }
}

/** The same user with a fresh access token: for tests that move the clock past a token's lifetime. */
export async function signInAgain(hub: TestHub, user: SignedIn): Promise<SignedIn> {
  const response = await login(hub.app, user.email, PASSWORD)
  if (response.statusCode !== 200) throw new Error(`login failed: ${response.body}`)
  return { ...user, token: response.json().token }
}

/** app.inject with the user's access token (none when `as` is undefined). */
export function call(app: FastifyInstance, as: SignedIn | undefined, options: InjectOptions & { method: string; url: string }) {
  const headers = { ...options.headers, ...(as === undefined ? {} : { authorization: `Bearer ${as.token}` }) }
  return app.inject({ ...options, headers } as InjectOptions)
}

export interface MoneyHub extends TestHub {
  operator: SignedIn
  customer: SignedIn
  owner: SignedIn
}

export async function moneyHub(t: Parameters<typeof testHub>[0]): Promise<MoneyHub> {
  const hub = await testHub(t)
  return { ...hub, operator: await signIn(hub, 'operator'), customer: await signIn(hub, 'customer'), owner: await signIn(hub, 'owner') }
}

/** Opens the user's wallet through POST /users/create-account and returns its id. */
export async function openWallet(app: FastifyInstance, user: SignedIn, currency: string): Promise<string> {
  const response = await call(app, user, { method: 'POST', url: '/users/create-account', payload: { currency } })
  if (response.statusCode !== 201) throw new Error(`create-account failed: ${response.body}`)
  return response.json().id
}

export function cash(app: FastifyInstance, operator: SignedIn | undefined, direction: 'in' | 'out', payload: object) {
  return call(app, operator, { method: 'POST', url: `/ledger/cash-${direction}`, payload })
}

/** Every account's balance, straight from the table: what "nothing changed" compares. */
export function balances(hub: TestHub): Array<{ id: string; balance_minor: number }> {
  return hub.context.db.prepare('SELECT id, balance_minor FROM accounts ORDER BY id').all() as Array<{ id: string; balance_minor: number }>
}

export function transferCount(hub: TestHub): number {
  return (hub.context.db.prepare('SELECT count(*) AS count FROM transfers').get() as { count: number }).count
}

/** A JSON body just over the money routes' 16 KiB limit. */
export function oversizedBody(fields: object): string {
  return JSON.stringify({ ...fields, padding: 'x'.repeat(17 * 1024) })
}

export interface GatewayRow {
  readonly eui: string
  readonly ownerUserId: string
  readonly merchantAccountId: string
  readonly type?: string
}

/** A gateway assigned to its owner, written straight into the table the gateways issue owns. */
export function addGateway(hub: TestHub, gateway: GatewayRow): void {
  hub.context.db.prepare(
    `INSERT INTO gateways (id, eui, name, type, status, owner_user_id, merchant_account_id, created_at_ms)
     VALUES (?, ?, ?, ?, 'assigned', ?, ?, ?)`,
  ).run(`gw-${gateway.eui}`, gateway.eui, `Gateway ${gateway.eui}`, gateway.type ?? 'pos', gateway.ownerUserId,
    gateway.merchantAccountId, hub.clock.now_ms())
}

/** Cash into the wallet through REST, then a voucher hold of `limitMinor` on it through the ledger. */
export async function fundVoucher(hub: MoneyHub, wallet: string, voucherId: string, amount: string, limit_minor: number): Promise<void> {
  const account = await hub.context.ledger.account(wallet)
  const cashIn = await cash(hub.app, hub.operator, 'in', { accountId: wallet, amount, currency: account!.currency, idempotencyKey: `fund-${voucherId}` })
  if (cashIn.statusCode !== 201) throw new Error(cashIn.body)
  const outcome = await hub.context.ledger.placeHold({
    voucherId, walletAccountId: wallet, limitMinor: limit_minor,
    expiresAtMs: hub.clock.now_ms() + 30 * 86_400_000, uploadDeadlineAtMs: hub.clock.now_ms() + 31 * 86_400_000,
  })
  if (outcome.status !== 'applied') throw new Error(`placeHold: ${outcome.status}`)
}

export interface Payment {
  readonly record: string
  readonly voucherId: string
  readonly amountMinor: number
  readonly gatewayEui: string
  readonly merchantAccountId: string
  readonly ownerAccountId: string
  readonly feeScheduleId: string
}

/** Settles one offline payment from its voucher's hold, as ingest would; returns the transfer id. */
export async function settle(hub: TestHub, payment: Payment): Promise<string> {
  const transferId = toHex(sha256(new TextEncoder().encode(payment.record)))
  const { record: _record, ...input } = payment
  const [outcome] = await hub.context.ledger.settleFromHolds([{ transferId, ...input }])
  if (outcome?.status !== 'applied') throw new Error(`settleFromHolds: ${JSON.stringify(outcome)}`)
  return transferId
}
