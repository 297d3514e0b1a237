import t from 'tap'
import { walletAccountId } from '../../../hub/accounts'
import { errorOf } from '../http/fixtures'
import { balances, call, cash, moneyHub, openWallet, oversizedBody, signIn } from './fixtures'

t.test('create-account opens the caller’s wallet in a currency, empty', async (t) => {
  const hub = await moneyHub(t)
  const response = await call(hub.app, hub.customer, { method: 'POST', url: '/users/create-account', payload: { currency: 'EUR' } })
  t.equal(response.statusCode, 201)
  t.same(response.json(), {
    id: walletAccountId(hub.customer.userId, 'EUR'), kind: 'wallet', userId: hub.customer.userId, currency: 'EUR',
    balanceMinor: 0, balance: '0.00', holdMinor: 0, hold: '0.00',
  })
  t.match(await hub.context.ledger.account(walletAccountId(hub.customer.userId, 'EUR')), { kind: 'wallet', balanceMinor: 0 })
})

t.test('a second wallet in the same currency is a 409 ACCOUNT_EXISTS; another currency is fine', async (t) => {
  const hub = await moneyHub(t)
  await openWallet(hub.app, hub.customer, 'XOF')
  const again = await call(hub.app, hub.customer, { method: 'POST', url: '/users/create-account', payload: { currency: 'XOF' } })
  t.equal(again.statusCode, 409)
  t.equal(errorOf(again).code, 'ACCOUNT_EXISTS')
  t.equal((await call(hub.app, hub.customer, { method: 'POST', url: '/users/create-account', payload: { currency: 'EUR' } })).statusCode, 201)
})

t.test('create-account refuses an unknown currency, a missing one and a malformed one with 400', async (t) => {
  const hub = await moneyHub(t)
  for (const [payload, code] of [
    [{ currency: 'ZZZ' }, 'UNKNOWN_CURRENCY'],
    [{}, 'BAD_REQUEST'],
    [{ currency: 'eur' }, 'BAD_REQUEST'],
    [{ currency: 978 }, 'BAD_REQUEST'],
  ] as const) {
    const response = await call(hub.app, hub.customer, { method: 'POST', url: '/users/create-account', payload })
    t.equal(response.statusCode, 400, JSON.stringify(payload))
    t.equal(errorOf(response).code, code)
  }
  t.same(balances(hub), [], 'no account was opened')
})

t.test('create-account without a token is a 401', async (t) => {
  const hub = await moneyHub(t)
  const response = await call(hub.app, undefined, { method: 'POST', url: '/users/create-account', payload: { currency: 'EUR' } })
  t.equal(response.statusCode, 401)
  t.equal(errorOf(response).code, 'UNAUTHORIZED')
})

t.test('create-account refuses a body over the size limit with 413', async (t) => {
  const hub = await moneyHub(t)
  const response = await call(hub.app, hub.customer, {
    method: 'POST', url: '/users/create-account', headers: { 'content-type': 'application/json' },
    payload: oversizedBody({ currency: 'EUR' }),
  })
  t.equal(response.statusCode, 413)
})

t.test('GET /accounts lists only the caller’s wallets, with balance and hold', async (t) => {
  const hub = await moneyHub(t)
  const eur = await openWallet(hub.app, hub.customer, 'EUR')
  const xof = await openWallet(hub.app, hub.customer, 'XOF')
  await openWallet(hub.app, hub.owner, 'EUR')
  t.equal((await cash(hub.app, hub.operator, 'in', { accountId: eur, amount: '100.00', currency: 'EUR', idempotencyKey: 'r1' })).statusCode, 201)
  await hub.context.ledger.placeHold({
    voucherId: 'voucher-1', walletAccountId: eur, limitMinor: 2_500,
    expiresAtMs: hub.clock.now_ms() + 86_400_000, uploadDeadlineAtMs: hub.clock.now_ms() + 2 * 86_400_000,
  })

  const response = await call(hub.app, hub.customer, { method: 'GET', url: '/accounts' })
  t.equal(response.statusCode, 200)
  t.same(response.json().accounts, [
    { id: eur, kind: 'wallet', userId: hub.customer.userId, currency: 'EUR', balanceMinor: 7_500, balance: '75.00', holdMinor: 2_500, hold: '25.00' },
    { id: xof, kind: 'wallet', userId: hub.customer.userId, currency: 'XOF', balanceMinor: 0, balance: '0', holdMinor: 0, hold: '0' },
  ])
  t.notOk(await hub.context.ledger.account(`hold:${xof}`), 'listing creates no hold account')
})

t.test('GET /accounts is empty for a user without wallets, and 401 without a token', async (t) => {
  const hub = await moneyHub(t)
  const mine = await call(hub.app, hub.owner, { method: 'GET', url: '/accounts' })
  t.equal(mine.statusCode, 200)
  t.same(mine.json(), { accounts: [] })
  t.equal((await call(hub.app, undefined, { method: 'GET', url: '/accounts' })).statusCode, 401)
})

t.test('an operator reads any account by id, system accounts included', async (t) => {
  const hub = await moneyHub(t)
  const wallet = await openWallet(hub.app, hub.customer, 'EUR')
  await cash(hub.app, hub.operator, 'in', { accountId: wallet, amount: '12.50', currency: 'EUR', idempotencyKey: 'r1' })
  const customerWallet = await call(hub.app, hub.operator, { method: 'GET', url: `/accounts/${wallet}` })
  t.equal(customerWallet.statusCode, 200)
  t.match(customerWallet.json(), { id: wallet, balanceMinor: 1_250, balance: '12.50', holdMinor: 0 })
  const external = await call(hub.app, hub.operator, { method: 'GET', url: '/accounts/external:EUR' })
  t.equal(external.statusCode, 200)
  t.same(external.json(), { id: 'external:EUR', kind: 'external', userId: null, currency: 'EUR', balanceMinor: -1_250, balance: '-12.50' })
})

t.test('a customer reads their own account by id, and never another’s: that answers as a missing one', async (t) => {
  const hub = await moneyHub(t)
  const mine = await openWallet(hub.app, hub.customer, 'EUR')
  const other = await signIn(hub, 'customer')
  const theirs = await openWallet(hub.app, other, 'EUR')
  await cash(hub.app, hub.operator, 'in', { accountId: theirs, amount: '99.00', currency: 'EUR', idempotencyKey: 'r1' })

  t.equal((await call(hub.app, hub.customer, { method: 'GET', url: `/accounts/${mine}` })).statusCode, 200)
  const forbidden = await call(hub.app, hub.customer, { method: 'GET', url: `/accounts/${theirs}` })
  const missing = await call(hub.app, hub.customer, { method: 'GET', url: `/accounts/${walletAccountId(other.userId, 'USD')}` })
  t.equal(forbidden.statusCode, 404)
  t.equal(errorOf(forbidden).code, 'UNKNOWN_ACCOUNT')
  t.notMatch(forbidden.body, /99/, 'nothing of the balance leaks')
  t.equal(missing.statusCode, 404)
  const system = await call(hub.app, hub.owner, { method: 'GET', url: '/accounts/external:EUR' })
  t.equal(system.statusCode, 404, 'an owner does not read system accounts')
})

t.test('GET /accounts/{id} refuses a malformed id with 400 and no token with 401', async (t) => {
  const hub = await moneyHub(t)
  const bad = await call(hub.app, hub.operator, { method: 'GET', url: `/accounts/${encodeURIComponent('has space')}` })
  t.equal(bad.statusCode, 400)
  t.equal(errorOf(bad).code, 'BAD_REQUEST')
  t.equal((await call(hub.app, undefined, { method: 'GET', url: '/accounts/external:EUR' })).statusCode, 401)
})
