import t from 'tap'
import { errorOf } from '../http/fixtures'
import { call, cash, moneyHub, openWallet } from './fixtures'

t.test('an operator verifies a sound ledger: ok, no violations, every currency summing to zero', async (t) => {
  const hub = await moneyHub(t)
  const wallet = await openWallet(hub.app, hub.customer, 'EUR')
  await cash(hub.app, hub.operator, 'in', { accountId: wallet, amount: '10.00', currency: 'EUR', idempotencyKey: 'r1' })
  hub.clock.advance(1_000)
  const response = await call(hub.app, hub.operator, { method: 'GET', url: '/ledger/verify' })
  t.equal(response.statusCode, 200)
  t.same(response.json(), {
    ok: true,
    checkedAtMs: hub.clock.now_ms(),
    violations: [],
    currencies: [{ currency: 'EUR', accountCount: 3, balanceSumMinor: '0', postingSumMinor: '0' }],
  })
})

t.test('an empty ledger verifies ok', async (t) => {
  const hub = await moneyHub(t)
  const response = await call(hub.app, hub.operator, { method: 'GET', url: '/ledger/verify' })
  t.match(response.json(), { ok: true, violations: [], currencies: [] })
})

t.test('a balance edited behind the ledger’s back is reported, with the exact sums', async (t) => {
  const hub = await moneyHub(t)
  const wallet = await openWallet(hub.app, hub.customer, 'EUR')
  await cash(hub.app, hub.operator, 'in', { accountId: wallet, amount: '10.00', currency: 'EUR', idempotencyKey: 'r1' })
  hub.context.db.prepare('UPDATE accounts SET balance_minor = balance_minor + 1 WHERE id = ?').run(wallet)
  const response = await call(hub.app, hub.operator, { method: 'GET', url: '/ledger/verify' })
  t.equal(response.statusCode, 200)
  const body = response.json()
  t.equal(body.ok, false)
  t.same(body.violations.map((violation: { code: string }) => violation.code).sort(), ['BALANCE_NOT_POSTINGS', 'CURRENCY_NOT_ZERO'])
  t.match(body.violations.find((violation: { code: string }) => violation.code === 'BALANCE_NOT_POSTINGS'), { accountId: wallet, message: /1001/ })
  t.same(body.currencies, [{ currency: 'EUR', accountCount: 3, balanceSumMinor: '1', postingSumMinor: '0' }])
})

t.test('verify is for operators: 403 to owners and customers, 401 without a token', async (t) => {
  const hub = await moneyHub(t)
  for (const user of [hub.owner, hub.customer]) {
    const response = await call(hub.app, user, { method: 'GET', url: '/ledger/verify' })
    t.equal(response.statusCode, 403)
    t.equal(errorOf(response).code, 'FORBIDDEN')
  }
  t.equal((await call(hub.app, undefined, { method: 'GET', url: '/ledger/verify' })).statusCode, 401)
})
