// Set-up for the money route tests: signed-in users of each role, requests with their token, and a
// wallet with cash in it, all through the hub's own REST where a route exists.

import type { FastifyInstance, InjectOptions } from 'fastify'
import type { Role } from '../../../hub/users/roles'
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
