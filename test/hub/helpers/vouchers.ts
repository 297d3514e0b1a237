// Customers for the voucher tests: one with a funded XOF wallet (and the REST calls its phone makes), or many vouchers written straight to
// a hub's table (issuing thousands through the REST API and the ledger would be slow, and the caps
// would refuse them).

import { randomBytes } from 'node:crypto'
import { toBase64, toHex } from '../../../protocol/bytes'
import { HOUR_MS } from '../../../protocol/clock'
import { nodeEd25519 } from '../../../protocol/signature/node'
import { walletAccountId } from '../../../hub/accounts'
import { cashTransferId } from '../../../hub/ledger/ids'
import type { HubContext } from '../../../hub/context'
import { addUser, login, type TestHub } from '../http/fixtures'

let customers = 0

/** A customer signing in with `email` and `password`, whose XOF wallet holds `balanceMinor` from one cash-in under `cashInKey`. */
export async function addFundedCustomer(
  context: HubContext, { email, password, balanceMinor, cashInKey = email }: { email: string; password: string; balanceMinor: number; cashInKey?: string },
): Promise<{ userId: string; walletId: string }> {
  const userId = await addUser(context, { email, password, role: 'customer' })
  const wallet = await context.ledger.openWallet({ id: walletAccountId(userId, 'XOF'), userId, currency: 'XOF' })
  const { external } = await context.ledger.systemAccounts('XOF')
  await context.ledger.applyTransfers([{
    id: cashTransferId('cash_in', wallet.id, cashInKey), kind: 'cash_in', currency: 'XOF',
    postings: [{ accountId: external.id, amountMinor: -balanceMinor, role: 'payer' }, { accountId: wallet.id, amountMinor: balanceMinor, role: 'payee' }],
  }])
  return { userId, walletId: wallet.id }
}

/** `count` vouchers of a new customer expiring at `expiresAtMs`, with no hold; returns their ids (hex). */
export async function insertVouchers(context: HubContext, count: number, expiresAt_ms: number): Promise<string[]> {
  const n = ++customers
  const userId = await addUser(context, { email: `bulk${n}@phone.example`, passwordHash: 'x', role: 'customer' })
  const wallet = await context.ledger.openWallet({ id: walletAccountId(userId, 'XOF'), userId, currency: 'XOF' })
  const deviceId = `dev_bulk_${n}`
  const ids = Array.from({ length: count }, () => toHex(randomBytes(16)))
  // Written through the engine, so the helper serves a hub on either store.
  await context.engine.write(async (sql) => {
    await sql.run(`INSERT INTO devices (id, user_id, imei, public_key, status, bound_at_ms) VALUES (?, ?, ?, ?, 'bound', 0)`,
      [deviceId, userId, deviceId, randomBytes(32)])
    for (const id of ids) {
      await sql.run(`INSERT INTO vouchers (voucher_id, device_id, user_id, wallet_account_id, device_public_key, currency, limit_minor,
          issued_at_ms, expires_at_ms, upload_deadline_at_ms, voucher) VALUES (?, ?, ?, ?, ?, 'XOF', 100, 0, ?, ?, ?)`,
      [id, deviceId, userId, wallet.id, randomBytes(32), expiresAt_ms, expiresAt_ms + 24 * 60 * 60 * 1000, Buffer.from([0])])
    }
  })
  return ids
}

const PASSWORD = 'customer password 1'
let imeis = 0

/** A customer of `hub` with `balanceMinor` XOF, and the REST calls a phone makes. */
export async function customerOf(hub: TestHub, email: string, balance_minor: number) {
  const { userId, walletId } = await addFundedCustomer(hub.context, { email, password: PASSWORD, balanceMinor: balance_minor })
  // Signed in again once the token is half a day old: the tests step the clock past a token's life.
  let token: { value: string; atMs: number } | undefined
  const headers = async () => {
    if (token === undefined || hub.clock.now_ms() - token.atMs > 12 * HOUR_MS) {
      token = { value: (await login(hub.app, email, PASSWORD)).json().token, atMs: hub.clock.now_ms() }
    }
    return { authorization: `Bearer ${token.value}` }
  }
  return {
    userId,
    wallet: walletId,
    async bind(): Promise<string> {
      const imei = String(++imeis).padStart(15, '35')
      const bound = await hub.app.inject({
        method: 'POST', url: '/api/auth/device/binding', headers: await headers(),
        payload: { imei, publicKey: toBase64(nodeEd25519.keyPairFromSeed(randomBytes(32)).publicKey) },
      })
      if (bound.statusCode !== 201) throw new Error(`binding refused: ${bound.body}`)
      return imei
    },
    async issue(imei: string, amount: string) {
      return hub.app.inject({
        method: 'POST', url: '/api/auth/device/voucher', headers: await headers(), payload: { imei, amount, currency: 'XOF' },
      })
    },
    async unbind(imei: string) {
      return hub.app.inject({ method: 'POST', url: '/api/auth/device/user-unbind', headers: await headers(), payload: { imei } })
    },
  }
}
