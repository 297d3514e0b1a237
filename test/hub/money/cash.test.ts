import t from 'tap'
import { cashTransferId } from '../../../hub/ledger/ids'
import { errorOf } from '../http/fixtures'
import { balances, call, cash, moneyHub, openWallet, oversizedBody, transferCount, type MoneyHub } from './fixtures'

async function walletWithCash(t: Parameters<typeof moneyHub>[0]): Promise<MoneyHub & { wallet: string }> {
  const hub = await moneyHub(t)
  const wallet = await openWallet(hub.app, hub.customer, 'EUR')
  const response = await cash(hub.app, hub.operator, 'in', { accountId: wallet, amount: '100.00', currency: 'EUR', idempotencyKey: 'seed' })
  if (response.statusCode !== 201) throw new Error(response.body)
  return { ...hub, wallet }
}

async function verifiedOk(hub: MoneyHub): Promise<boolean> {
  const response = await call(hub.app, hub.operator, { method: 'GET', url: '/ledger/verify' })
  return response.statusCode === 200 && response.json().ok === true
}

t.test('cash-in credits the wallet from the currency’s external account and answers 201 applied', async (t) => {
  const hub = await moneyHub(t)
  const wallet = await openWallet(hub.app, hub.customer, 'EUR')
  const response = await cash(hub.app, hub.operator, 'in',
    { accountId: wallet, amount: '12.50', currency: 'EUR', idempotencyKey: 'receipt-1', reference: 'slip 0042' })
  t.equal(response.statusCode, 201)
  const transferId = cashTransferId('cash_in', wallet, 'receipt-1')
  t.same(response.json(), {
    transferId, status: 'applied', kind: 'cash_in', accountId: wallet, currency: 'EUR', amountMinor: 1_250, amount: '12.50',
  })
  t.equal((await hub.context.ledger.account(wallet))!.balanceMinor, 1_250)
  t.equal((await hub.context.ledger.account('external:EUR'))!.balanceMinor, -1_250)
  const transfer = await hub.context.ledger.transfer(transferId)
  t.match(transfer, { kind: 'cash_in', amountMinor: 1_250, metadata: { reference: 'slip 0042' } })
  t.ok(await verifiedOk(hub))
})

t.test('cash-out debits the wallet into the external account', async (t) => {
  const hub = await walletWithCash(t)
  const response = await cash(hub.app, hub.operator, 'out', { accountId: hub.wallet, amount: '40', currency: 'EUR', idempotencyKey: 'payout-1' })
  t.equal(response.statusCode, 201)
  t.match(response.json(), { status: 'applied', kind: 'cash_out', amountMinor: 4_000, amount: '40.00' })
  t.equal((await hub.context.ledger.account(hub.wallet))!.balanceMinor, 6_000)
  t.equal((await hub.context.ledger.account('external:EUR'))!.balanceMinor, -6_000)
  t.ok(await verifiedOk(hub))
})

t.test('an identical cash-in retry answers 200 exists and changes nothing', async (t) => {
  const hub = await walletWithCash(t)
  const request = { accountId: hub.wallet, amount: '5.00', currency: 'EUR', idempotencyKey: 'receipt-2', reference: 'r' }
  const first = await cash(hub.app, hub.operator, 'in', request)
  t.equal(first.statusCode, 201)
  const before = balances(hub)
  const transfersBefore = transferCount(hub)
  const retry = await cash(hub.app, hub.operator, 'in', request)
  t.equal(retry.statusCode, 200)
  t.same(retry.json(), { ...first.json(), status: 'exists' })
  t.same(balances(hub), before, 'balances identical')
  t.equal(transferCount(hub), transfersBefore)
  t.ok(await verifiedOk(hub))
})

t.test('the same idempotency key with a different amount or reference is a 409 IDEMPOTENCY_CONFLICT that changes nothing', async (t) => {
  const hub = await walletWithCash(t)
  const before = balances(hub)
  for (const request of [
    { accountId: hub.wallet, amount: '100.01', currency: 'EUR', idempotencyKey: 'seed' },
    { accountId: hub.wallet, amount: '100.00', currency: 'EUR', idempotencyKey: 'seed', reference: 'another slip' },
  ]) {
    const response = await cash(hub.app, hub.operator, 'in', request)
    t.equal(response.statusCode, 409)
    t.equal(errorOf(response).code, 'IDEMPOTENCY_CONFLICT')
  }
  t.same(balances(hub), before)
  t.equal(transferCount(hub), 1)
  t.ok(await verifiedOk(hub))
})

t.test('a cash-out beyond the balance is a 409 INSUFFICIENT_FUNDS that changes nothing', async (t) => {
  const hub = await walletWithCash(t)
  const before = balances(hub)
  const response = await cash(hub.app, hub.operator, 'out', { accountId: hub.wallet, amount: '100.01', currency: 'EUR', idempotencyKey: 'too-much' })
  t.equal(response.statusCode, 409)
  t.equal(errorOf(response).code, 'INSUFFICIENT_FUNDS')
  t.same(balances(hub), before)
  t.equal(transferCount(hub), 1)
  t.notOk(await hub.context.ledger.transfer(cashTransferId('cash_out', hub.wallet, 'too-much')), 'the refused key stays free')
  t.equal((await cash(hub.app, hub.operator, 'out', { accountId: hub.wallet, amount: '100.00', currency: 'EUR', idempotencyKey: 'too-much' })).statusCode, 201,
    'the whole balance may go')
  t.ok(await verifiedOk(hub))
})

t.test('cash to an unknown account is a 404; in another currency a 400; to a system account a 400', async (t) => {
  const hub = await walletWithCash(t)
  const before = balances(hub)
  const unknown = await cash(hub.app, hub.operator, 'in', { accountId: 'nobody.EUR', amount: '1', currency: 'EUR', idempotencyKey: 'k' })
  t.equal(unknown.statusCode, 404)
  t.equal(errorOf(unknown).code, 'UNKNOWN_ACCOUNT')
  const otherCurrency = await cash(hub.app, hub.operator, 'in', { accountId: hub.wallet, amount: '1', currency: 'USD', idempotencyKey: 'k' })
  t.equal(otherCurrency.statusCode, 400)
  t.equal(errorOf(otherCurrency).code, 'CURRENCY_MISMATCH')
  const system = await cash(hub.app, hub.operator, 'out', { accountId: 'platform:EUR', amount: '1', currency: 'EUR', idempotencyKey: 'k' })
  t.equal(system.statusCode, 400)
  t.equal(errorOf(system).code, 'WRONG_ACCOUNT_KIND')
  t.same(balances(hub), before)
})

t.test('bad and missing fields are 400s and move nothing', async (t) => {
  const hub = await walletWithCash(t)
  const before = balances(hub)
  const valid = { accountId: hub.wallet, amount: '1.00', currency: 'EUR', idempotencyKey: 'k' }
  const { idempotencyKey: _key, ...withoutKey } = valid
  for (const [payload, code] of [
    [{ ...valid, amount: '1.005' }, 'MONEY_PRECISION'],
    [{ ...valid, amount: '0.00' }, 'OUT_OF_RANGE'],
    [{ ...valid, amount: '-1.00' }, 'BAD_REQUEST'],
    [{ ...valid, amount: 1 }, 'BAD_REQUEST'],
    [{ ...valid, amount: '1e3' }, 'BAD_REQUEST'],
    [{ ...valid, currency: 'ZZZ' }, 'UNKNOWN_CURRENCY'],
    [{ ...valid, idempotencyKey: '' }, 'BAD_REQUEST'],
    [{ ...valid, idempotencyKey: 'x'.repeat(129) }, 'BAD_REQUEST'],
    [{ ...valid, idempotencyKey: 'ключ' }, 'BAD_REQUEST'],
    [{ ...valid, accountId: 'has space' }, 'BAD_REQUEST'],
    [withoutKey, 'BAD_REQUEST'],
  ] as const) {
    const response = await cash(hub.app, hub.operator, 'in', payload)
    t.equal(response.statusCode, 400, JSON.stringify(payload))
    t.equal(errorOf(response).code, code, JSON.stringify(payload))
  }
  t.same(balances(hub), before)
})

t.test('cash routes are for operators: 403 to customers and owners, 401 without a token', async (t) => {
  const hub = await walletWithCash(t)
  const before = balances(hub)
  const request = { accountId: hub.wallet, amount: '1000.00', currency: 'EUR', idempotencyKey: 'self-service' }
  for (const direction of ['in', 'out'] as const) {
    for (const user of [hub.customer, hub.owner]) {
      const response = await cash(hub.app, user, direction, request)
      t.equal(response.statusCode, 403)
      t.equal(errorOf(response).code, 'FORBIDDEN')
    }
    t.equal((await cash(hub.app, undefined, direction, request)).statusCode, 401)
  }
  t.same(balances(hub), before)
})

t.test('a cash body over the size limit is a 413', async (t) => {
  const hub = await walletWithCash(t)
  const response = await call(hub.app, hub.operator, {
    method: 'POST', url: '/ledger/cash-in', headers: { 'content-type': 'application/json' },
    payload: oversizedBody({ accountId: hub.wallet, amount: '1', currency: 'EUR', idempotencyKey: 'big' }),
  })
  t.equal(response.statusCode, 413)
  t.equal(errorOf(response).code, 'PAYLOAD_TOO_LARGE')
})
