import t from 'tap'
import { heardEvents, heardSoFar } from '../helpers/live-events'
import { walletAccountId } from '../../../hub/accounts'
import { errorOf } from '../http/fixtures'
import { addGateway, fundVoucher, settle } from '../money/fixtures'
import { balanceOf, call, fundedWallet, restHub, signIn, type RestHub, type SignedIn } from '../users/fixtures'

function pay(hub: RestHub, as: SignedIn | undefined, payload: object) {
  return call(hub.app, as, { method: 'POST', url: '/transactions', payload })
}

async function twoWallets(hub: RestHub) {
  const from = await fundedWallet(hub.app, hub.operator, hub.customer, 'XOF', '10000')
  const to = await fundedWallet(hub.app, hub.operator, hub.owner, 'XOF', '0')
  return { from, to }
}

t.test('a transfer moves money from the caller’s wallet to another, settled in the ledger', async (t) => {
  const hub = await restHub(t)
  const { from, to } = await twoWallets(hub)
  const response = await pay(hub, hub.customer, { toWalletAddress: to, amount: '2500', currency: 'XOF', reference: 'invoice 7' })
  t.equal(response.statusCode, 201)
  t.match(response.json(), { status: 'applied', fromAccountId: from, toAccountId: to, amountMinor: 2500, amount: '2500', reference: 'invoice 7' })
  t.equal(balanceOf(hub, from), 7500)
  t.equal(balanceOf(hub, to), 2500)
  const transfer = await hub.context.ledger.transfer(response.json().transferId)
  t.match(transfer, { kind: 'p2p', amountMinor: 2500, metadata: { reference: 'invoice 7', channel: 'web' } })
  const verify = await call(hub.app, hub.operator, { method: 'GET', url: '/ledger/verify' })
  t.equal(verify.json().ok, true, 'the ledger still balances')
})

t.test('with an idempotency key a retry moves nothing, and the key cannot be reused for another payment', async (t) => {
  const hub = await restHub(t)
  const { from, to } = await twoWallets(hub)
  const body = { toWalletAddress: to, amount: '1000', currency: 'XOF', idempotencyKey: 'order-42' }
  const first = await pay(hub, hub.customer, body)
  const retry = await pay(hub, hub.customer, body)
  t.equal(first.statusCode, 201)
  t.equal(retry.statusCode, 200)
  t.equal(retry.json().status, 'exists')
  t.equal(retry.json().transferId, first.json().transferId)
  t.equal(balanceOf(hub, from), 9000)
  const conflict = await pay(hub, hub.customer, { ...body, amount: '1001' })
  t.equal(conflict.statusCode, 409)
  t.equal(errorOf(conflict).code, 'IDEMPOTENCY_CONFLICT')
})

t.test('a transfer beyond the balance is 409 and changes nothing', async (t) => {
  const hub = await restHub(t)
  const { from, to } = await twoWallets(hub)
  const response = await pay(hub, hub.customer, { toWalletAddress: to, amount: '10001', currency: 'XOF' })
  t.equal(response.statusCode, 409)
  t.equal(errorOf(response).code, 'INSUFFICIENT_FUNDS')
  t.equal(balanceOf(hub, from), 10000)
  t.equal(balanceOf(hub, to), 0)
})

t.test('a transfer goes only to another wallet in its currency, from a wallet the caller has', async (t) => {
  const hub = await restHub(t)
  const { from, to } = await twoWallets(hub)
  const unknown = await pay(hub, hub.customer, { toWalletAddress: 'nobody.XOF', amount: '1', currency: 'XOF' })
  t.equal(unknown.statusCode, 404)
  const system = await pay(hub, hub.customer, { toWalletAddress: 'external:XOF', amount: '1', currency: 'XOF' })
  t.equal(system.statusCode, 404, 'system accounts answer as unknown ones')
  const eur = await fundedWallet(hub.app, hub.operator, hub.owner, 'EUR', '0')
  t.equal(errorOf(await pay(hub, hub.customer, { toWalletAddress: eur, amount: '1', currency: 'XOF' })).code, 'CURRENCY_MISMATCH')
  t.equal((await pay(hub, hub.customer, { toWalletAddress: from, amount: '1', currency: 'XOF' })).statusCode, 400, 'not to itself')
  const noWallet = await pay(hub, hub.customer, { toWalletAddress: eur, amount: '1', currency: 'EUR' })
  t.equal(noWallet.statusCode, 409)
  t.equal(errorOf(noWallet).code, 'NO_WALLET')
  t.equal(balanceOf(hub, to), 0)
})

t.test('a transfer refuses bad, missing and oversized input, and callers without a token', async (t) => {
  const hub = await restHub(t)
  const { to } = await twoWallets(hub)
  t.equal((await pay(hub, undefined, { toWalletAddress: to, amount: '1', currency: 'XOF' })).statusCode, 401)
  t.equal((await pay(hub, hub.customer, { toWalletAddress: to, amount: 1, currency: 'XOF' })).statusCode, 400, 'amounts are strings')
  t.equal((await pay(hub, hub.customer, { toWalletAddress: to, amount: '0', currency: 'XOF' })).statusCode, 400)
  t.equal((await pay(hub, hub.customer, { toWalletAddress: to, amount: '1.5', currency: 'XOF' })).statusCode, 400, 'XOF has no decimals')
  t.equal((await pay(hub, hub.customer, { toWalletAddress: to, amount: '1', currency: 'ZZZ' })).statusCode, 400)
  t.equal((await pay(hub, hub.customer, { amount: '1', currency: 'XOF' })).statusCode, 400)
  t.equal((await pay(hub, hub.customer, { toWalletAddress: to, amount: '1', currency: 'XOF', from: 'someone.XOF' })).statusCode, 400)
  t.equal((await pay(hub, hub.customer, { toWalletAddress: to, amount: '1', currency: 'XOF', reference: 'r'.repeat(20_000) })).statusCode, 413)
  t.equal(balanceOf(hub, to), 0)
})

t.test('the caller’s history: newest first, paged, filtered by time and status, and nobody else’s', async (t) => {
  const hub = await restHub(t)
  const { to } = await twoWallets(hub)
  hub.clock.advance(60_000)
  await pay(hub, hub.customer, { toWalletAddress: to, amount: '100', currency: 'XOF', reference: 'first' })
  hub.clock.advance(60_000)
  await pay(hub, hub.customer, { toWalletAddress: to, amount: '200', currency: 'XOF', reference: 'second' })
  const stranger = await signIn(hub, 'customer')
  await fundedWallet(hub.app, hub.operator, stranger, 'XOF', '777')

  const page = await call(hub.app, hub.customer, { method: 'GET', url: '/user/transactions?pageSize=2' })
  t.equal(page.statusCode, 200)
  t.match(page.json(), { page: 1, pageSize: 2, total: 3 })
  t.match(page.json().items, [
    { kind: 'p2p', status: 'completed', direction: 'out', amountMinor: 200, amount: '200', currency: 'XOF', reference: 'second' },
    { direction: 'out', amountMinor: 100, reference: 'first' },
  ])
  const last = await call(hub.app, hub.customer, { method: 'GET', url: '/user/transactions?pageSize=2&page=2' })
  t.match(last.json().items, [{ kind: 'cash_in', direction: 'in', amountMinor: 10000 }])

  const startIso = new Date(hub.clock.now_ms() - 30_000).toISOString()
  const windowed = await call(hub.app, hub.customer, { method: 'GET', url: `/user/transactions?from=${startIso}` })
  t.same(windowed.json().items.map((item: { reference: string }) => item.reference), ['second'])
  const pending = await call(hub.app, hub.customer, { method: 'GET', url: '/user/transactions?status=awaiting_confirmation' })
  t.equal(pending.json().total, 0)

  const payee = await call(hub.app, hub.owner, { method: 'GET', url: '/user/transactions' })
  t.same(payee.json().items.map((item: { direction: string; amountMinor: number }) => [item.direction, item.amountMinor]), [['in', 200], ['in', 100]])
  t.notMatch(payee.body, /777/, 'the stranger’s cash-in shows nowhere')
})

t.test('the history refuses bad windows and unknown filters, and callers without a token', async (t) => {
  const hub = await restHub(t)
  const get = (query: string) => call(hub.app, hub.customer, { method: 'GET', url: `/user/transactions?${query}` })
  t.equal((await get('from=2025-02-01&to=2025-01-01')).statusCode, 400)
  t.equal((await get('from=yesterday')).statusCode, 400)
  t.equal((await get('status=lost')).statusCode, 400)
  t.equal((await get('pageSize=101')).statusCode, 400)
  t.equal((await get('userId=someone')).statusCode, 400, 'no way to ask for another user')
  t.equal((await call(hub.app, undefined, { method: 'GET', url: '/user/transactions' })).statusCode, 401)
})

t.test('a gateway’s transactions are for its owner and operators only', async (t) => {
  const hub = await restHub(t)
  const shop = await fundedWallet(hub.app, hub.operator, hub.owner, 'XOF', '0')
  const customerWallet = walletAccountId(hub.customer.userId, 'XOF')
  await fundedWallet(hub.app, hub.operator, hub.customer, 'XOF', '0')
  addGateway(hub, { eui: '00000000000000A1', ownerUserId: hub.owner.userId, merchantAccountId: shop })
  addGateway(hub, { eui: '00000000000000B2', ownerUserId: hub.owner.userId, merchantAccountId: shop })
  const fee = await call(hub.app, hub.operator, {
    method: 'POST', url: '/fees', payload: { gatewayType: 'pos', currency: 'XOF', basisPoints: 0, fixedMinor: 0, ownerShareBasisPoints: 0 },
  })
  await fundVoucher(hub, customerWallet, 'voucher-1', '10000', 5000)
  const paid = (record: string, amount_minor: number, gatewayEui: string) => settle(hub, {
    record, voucherId: 'voucher-1', amountMinor: amount_minor, gatewayEui, merchantAccountId: shop, ownerAccountId: shop, feeScheduleId: fee.json().id,
  })
  const first = await paid('r1', 1200, '00000000000000A1')
  await paid('r2', 300, '00000000000000B2')

  const url = '/transactions/gw-00000000000000A1/gateway'
  const own = await call(hub.app, hub.owner, { method: 'GET', url })
  t.equal(own.statusCode, 200)
  t.match(own.json(), { total: 1, items: [{ id: first, kind: 'offline_payment', amountMinor: 1200, amount: '1200', voucherId: 'voucher-1' }] })
  t.equal((await call(hub.app, hub.operator, { method: 'GET', url })).json().total, 1)
  const otherOwner = await signIn(hub, 'owner')
  t.equal((await call(hub.app, otherOwner, { method: 'GET', url })).statusCode, 403)
  t.equal((await call(hub.app, hub.customer, { method: 'GET', url })).statusCode, 403, 'customers have no gateway view')
  t.equal((await call(hub.app, undefined, { method: 'GET', url })).statusCode, 401)
  t.equal((await call(hub.app, hub.owner, { method: 'GET', url: '/transactions/gw-none/gateway' })).statusCode, 404)
  t.equal((await call(hub.app, hub.owner, { method: 'GET', url: `${url}?from=2030-01-01` })).json().total, 0)

  const history = await call(hub.app, hub.customer, { method: 'GET', url: '/user/transactions?pageSize=5' })
  t.match(history.json().items.slice(0, 2), [
    { kind: 'offline_payment', direction: 'out', amountMinor: 300, gatewayEui: '00000000000000B2' },
    { kind: 'offline_payment', direction: 'out', amountMinor: 1200 },
  ], 'the customer sees offline payments paid from a voucher hold; placing the hold nets to zero and does not show')
})

t.test('a transfer is announced as a settled payment to both wallets\' users; a retry and a refusal announce nothing', async (t) => {
  const hub = await restHub(t)
  const { from, to } = await twoWallets(hub)
  const heard = heardEvents(hub.services.events)
  const body = { toWalletAddress: to, amount: '2500', currency: 'XOF', idempotencyKey: 'once' }
  const { transferId } = (await pay(hub, hub.customer, body)).json()
  t.equal((await pay(hub, hub.customer, body)).statusCode, 200, 'a retry')
  t.equal((await pay(hub, hub.customer, { toWalletAddress: to, amount: '999999', currency: 'XOF' })).statusCode, 409, 'beyond the balance')
  t.same(await heardSoFar(hub.services.events, heard), [{
    type: 'payment.settled',
    data: {
      transferId, gatewayId: null, currency: 'XOF', amountMinor: 2500, amount: '2500', payerAccountId: from, payeeAccountId: to,
      atMs: hub.clock.now_ms(),
    },
    audience: [hub.customer.userId, hub.owner.userId],
  }])
})
