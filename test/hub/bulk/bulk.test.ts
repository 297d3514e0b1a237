import t from 'tap'
import { fromBase64, toBase64 } from '../../../protocol/bytes'
import { voucherCodec } from '../../../protocol/messages/voucher'
import { nodeEd25519 } from '../../../protocol/signature/node'
import { BULK_ITEMS_MAX } from '../../../hub/bulk/refusal'
import { errorOf, login, testHub } from '../http/fixtures'
import { balances, call, moneyHub, signIn, transferCount, type MoneyHub, type SignedIn } from '../money/fixtures'

const CURRENCY = 'XOF'
let keys = 0

/** A fresh phone key, base64, from a counter (deterministic). */
function phoneKey(): string {
  const seed = new Uint8Array(32)
  new DataView(seed.buffer).setUint32(0, ++keys)
  return toBase64(nodeEd25519.keyPairFromSeed(seed).publicKey)
}

function customerItem(n: number, overrides: object = {}) {
  return {
    fullName: `Bulk Customer ${n}`, email: `bulk${n}@payall.example`, cashIn: '50000', voucherAmount: '20000',
    device: { imei: `3500000000${String(n).padStart(5, '0')}`, publicKey: phoneKey(), model: 'Test phone' }, ...overrides,
  }
}

function enroll(hub: MoneyHub, as: SignedIn | undefined, payload: object) {
  return call(hub.app, as, { method: 'POST', url: '/admin/bulk/customers', payload })
}

function provision(hub: MoneyHub, as: SignedIn | undefined, payload: object) {
  return call(hub.app, as, { method: 'POST', url: '/admin/bulk/gateways', payload })
}

function count(hub: MoneyHub, table: string): number {
  return (hub.context.db.prepare(`SELECT count(*) AS count FROM ${table}`).get() as { count: number }).count
}

/** What "nothing was written" compares: the rows of every table a chunk writes, and every balance. */
function footprint(hub: MoneyHub) {
  return {
    users: count(hub, 'users'), devices: count(hub, 'devices'), vouchers: count(hub, 'vouchers'), gateways: count(hub, 'gateways'),
    holds: count(hub, 'voucher_holds'), audit: count(hub, 'audit_log'), transfers: transferCount(hub), balances: balances(hub),
  }
}

async function ledgerVerifies(hub: MoneyHub): Promise<boolean> {
  const response = await call(hub.app, hub.operator, { method: 'GET', url: '/ledger/verify' })
  return response.statusCode === 200 && response.json().ok === true
}

t.test('a chunk of customers gets accounts, cashed-in wallets, bound phones and signed vouchers with their holds, audited once', async (t) => {
  const hub = await moneyHub(t)
  const items = [customerItem(1), customerItem(2), customerItem(3, { email: 'BULK3@payall.example' })]
  const response = await enroll(hub, hub.operator, { idempotencyKey: 'onboarding-1', currency: CURRENCY, items })
  t.equal(response.statusCode, 201, response.body)
  const body = response.json()
  t.equal(body.replayed, false)
  t.equal(body.customers.length, 3)
  t.equal(body.customers[2].email, 'bulk3@payall.example', 'emails are stored normalized')
  for (const [index, customer] of body.customers.entries()) {
    const voucher = voucherCodec.decode(fromBase64(customer.voucher))
    t.ok(voucherCodec.verify(voucher, hub.context.hubKeys.publicKey, nodeEd25519), 'signed by the hub')
    t.same(toBase64(voucher.devicePublicKey), items[index]!.device.publicKey, 'for the phone\'s key')
    t.equal(voucher.limitMinor, 20_000)
    const wallet = await hub.context.ledger.account(customer.walletAccountId)
    t.equal(wallet!.balanceMinor, 30_000, 'cashed in, less the voucher\'s hold')
    t.equal((await hub.context.ledger.hold(customer.voucherId))!.limitMinor, 20_000)
    t.equal((await hub.services.devices.boundByImei(items[index]!.device.imei))!.userId, customer.userId)
    const user = (await hub.services.users.byId(customer.userId))!
    t.not(user.emailVerifiedAtMs, null, 'the operator vouched for the email')
    t.same(user.roles, ['customer'])
  }
  t.equal((await login(hub.app, 'bulk1@payall.example', 'any password 1')).statusCode, 401, 'no password until a reset sets one')
  const audit = hub.context.db.prepare('SELECT actor_id, detail FROM audit_log WHERE action = ?').all('bulk.customers') as Array<{ actor_id: string; detail: string }>
  t.equal(audit.length, 1)
  t.equal(audit[0]!.actor_id, hub.operator.userId)
  t.match(audit[0]!.detail, /^3 customers enrolled .*150.000 XOF in all.*onboarding-1/)
  t.ok(await ledgerVerifies(hub))

  const seen = await call(hub.app, hub.operator, { method: 'GET', url: `/admin/users/${body.customers[0].userId}/vouchers` })
  t.equal(seen.statusCode, 200)
  t.match(seen.json().vouchers, [{ id: body.customers[0].voucherId, amountMinor: 20_000, spentMinor: 0, status: 'open' }],
    'support sees the customer\'s vouchers')
})

t.test('a chunk sent again under its key creates nothing and answers with the same vouchers; other items under it are a conflict', async (t) => {
  const hub = await moneyHub(t)
  const request = { idempotencyKey: 'onboarding-2', currency: CURRENCY, items: [customerItem(10), customerItem(11)] }
  const first = await enroll(hub, hub.operator, request)
  t.equal(first.statusCode, 201, first.body)
  const before = footprint(hub)
  const again = await enroll(hub, hub.operator, request)
  t.equal(again.statusCode, 200, again.body)
  t.same(again.json(), { ...first.json(), replayed: true })
  t.same(footprint(hub), before, 'nothing written twice')

  for (const items of [
    [request.items[0], { ...request.items[1], voucherAmount: '20001' }],
    [request.items[0]],
    [...request.items, customerItem(12)],
  ]) {
    const conflict = await enroll(hub, hub.operator, { ...request, items })
    t.equal(conflict.statusCode, 409)
    t.equal(errorOf(conflict).code, 'IDEMPOTENCY_CONFLICT')
  }
  t.same(footprint(hub), before)
})

t.test('one refused item refuses the chunk: every refused item is named and nothing is written', async (t) => {
  const hub = await moneyHub(t)
  const taken = await signIn(hub, 'customer', 'taken@payall.example')
  t.ok(taken)
  const good = customerItem(20)
  const items = [
    good,
    customerItem(21, { email: 'taken@payall.example' }),
    customerItem(22, { voucherAmount: '60000' }),
    customerItem(23, { device: { imei: good.device.imei, publicKey: phoneKey() } }),
    customerItem(24, { device: { imei: '350000000099999', publicKey: toBase64(new Uint8Array(32)) } }),
    customerItem(25, { cashIn: '12.5' }),
    customerItem(26, { voucherAmount: '1' }),
    customerItem(27, { email: good.email.toUpperCase() }),
  ]
  const before = footprint(hub)
  const response = await enroll(hub, hub.operator, { idempotencyKey: 'onboarding-3', currency: CURRENCY, items })
  t.equal(response.statusCode, 422, response.body)
  t.match(response.json().error, { code: 'BULK_ITEMS_REFUSED', message: '7 of 8 items refused; nothing was written' })
  t.same(response.json().items.map((item: { index: number; code: string }) => [item.index, item.code]), [
    [1, 'EMAIL_TAKEN'], [2, 'INSUFFICIENT_FUNDS'], [3, 'DEVICE_ALREADY_BOUND'], [4, 'BAD_KEY'], [5, 'MONEY_PRECISION'],
    [6, 'ALLOWANCE_TOO_SMALL'], [7, 'EMAIL_TAKEN'],
  ])
  t.same(footprint(hub), before, 'the good item was not written either')

  const fixed = await enroll(hub, hub.operator, { idempotencyKey: 'onboarding-3', currency: CURRENCY, items: [good] })
  t.equal(fixed.statusCode, 201, 'the key of a refused chunk is still free')
})

t.test('the bulk routes are the operator\'s, and a chunk holds at most BULK_ITEMS_MAX items', async (t) => {
  const hub = await moneyHub(t)
  const customers = { idempotencyKey: 'k', currency: CURRENCY, items: [customerItem(30)] }
  const gateways = { idempotencyKey: 'k', ownerUserId: hub.owner.userId, items: [{ name: 'Counter', type: 'pi-nfc', eui: '70B3D57ED0000001', price: '25000' }] }
  for (const [send, payload] of [[enroll, customers], [provision, gateways]] as const) {
    t.equal((await send(hub, undefined, payload)).statusCode, 401)
    t.equal((await send(hub, hub.customer, payload)).statusCode, 403)
    t.equal((await send(hub, hub.owner, payload)).statusCode, 403)
  }
  const tooMany = Array.from({ length: BULK_ITEMS_MAX + 1 }, (_, n) => ({ name: 'C', type: 'pi-nfc', eui: (0x70B3D57ED0100000 + n).toString(16), price: '1' }))
  const response = await provision(hub, hub.operator, { ...gateways, items: tooMany })
  t.equal(response.statusCode, 400)
  t.equal(count(hub, 'gateways'), 0)
})

t.test('a chunk of gateways is assigned to its owner with one-time tokens that provision; a retry only renews the tokens', async (t) => {
  const hub = await moneyHub(t)
  const merchant = await signIn(hub, 'customer')
  const items = Array.from({ length: 5 }, (_, n) => ({ name: `Counter ${n + 1}`, type: 'pi-nfc', eui: `70-B3-D5-7E-D0-00-00-0${n + 1}`, price: '25000' }))
  const request = { idempotencyKey: 'rollout-1', ownerUserId: merchant.userId, items }
  const response = await provision(hub, hub.operator, request)
  t.equal(response.statusCode, 201, response.body)
  const { gateways } = response.json()
  t.equal(gateways.length, 5)
  t.same([...(await hub.services.users.byId(merchant.userId))!.roles].sort(), ['customer', 'owner'], 'the merchant became their owner')
  for (const gateway of gateways) {
    t.match(await hub.services.gateways.byId(gateway.gatewayId), { eui: gateway.eui, status: 'assigned', ownerUserId: merchant.userId })
    t.match(gateway.token, /^pt_/)
  }
  t.equal(gateways[0].eui, '70B3D57ED0000001', 'EUIs are stored canonical')
  t.equal(count(hub, "audit_log WHERE action = 'bulk.gateways'"), 1)

  const keys = nodeEd25519.keyPairFromSeed(new Uint8Array(32).fill(7))
  const provisioned = await call(hub.app, undefined, {
    method: 'POST', url: '/provision', payload: { eui: gateways[0].eui, token: gateways[0].token, publicKey: toBase64(keys.publicKey) },
  })
  t.equal(provisioned.statusCode, 200, provisioned.body)

  const before = count(hub, 'gateways')
  const again = await provision(hub, hub.operator, request)
  t.equal(again.statusCode, 200, again.body)
  const replayed = again.json()
  t.equal(replayed.replayed, true)
  t.equal(count(hub, 'gateways'), before, 'no gateway made twice')
  t.match(replayed.gateways[0], { gatewayId: gateways[0].gatewayId, status: 'provisioned', token: null, expiresAt: null })
  t.not(replayed.gateways[1].token, gateways[1].token, 'a fresh token replaces the first reply\'s')
  const stale = await call(hub.app, undefined, {
    method: 'POST', url: '/provision', payload: { eui: gateways[1].eui, token: gateways[1].token, publicKey: toBase64(keys.publicKey) },
  })
  t.equal(errorOf(stale).code, 'WRONG_TOKEN')

  const other = await provision(hub, hub.operator, { ...request, items: [{ ...items[0]!, name: 'Renamed' }, ...items.slice(1)] })
  t.equal(errorOf(other).code, 'IDEMPOTENCY_CONFLICT')
})

t.test('a chunk of gateways with a bad or taken EUI or a bad price is refused whole', async (t) => {
  const hub = await moneyHub(t)
  const first = await provision(hub, hub.operator, {
    idempotencyKey: 'rollout-2', ownerUserId: hub.owner.userId, items: [{ name: 'Taken', type: 'pi-nfc', eui: '70B3D57ED0000100', price: '25000' }],
  })
  t.equal(first.statusCode, 201)
  const before = footprint(hub)
  const response = await provision(hub, hub.operator, {
    idempotencyKey: 'rollout-3', ownerUserId: hub.owner.userId, items: [
      { name: 'Good', type: 'pi-nfc', eui: '70B3D57ED0000101', price: '25000' },
      { name: 'Taken', type: 'pi-nfc', eui: '70B3D57ED0000100', price: '25000' },
      { name: 'Short', type: 'pi-nfc', eui: '70B3', price: '25000' },
      { name: 'Twice', type: 'pi-nfc', eui: '70b3d57ed0000101', price: '25000' },
      { name: 'Priceless', type: 'pi-nfc', eui: '70B3D57ED0000102' },
    ],
  })
  t.equal(response.statusCode, 422, response.body)
  t.same(response.json().items.map((item: { index: number; code: string }) => [item.index, item.code]),
    [[1, 'CONFLICT'], [2, 'BAD_EUI'], [3, 'CONFLICT'], [4, 'BAD_REQUEST']])
  t.same(footprint(hub), before)
  const unknownOwner = await provision(hub, hub.operator, { idempotencyKey: 'rollout-4', ownerUserId: 'nobody', items: [{ name: 'G', type: 'pi-nfc', eui: '70B3D57ED0000103', price: '1' }] })
  t.equal(unknownOwner.statusCode, 400)
})

t.test('vouchers past the hub-wide bound of revocable vouchers are refused item by item, counting the chunk\'s own', async (t) => {
  const base = await testHub(t, { config: { revocableVouchersMax: 2 } })
  const hub = { ...base, operator: await signIn(base, 'operator') } as MoneyHub
  const response = await enroll(hub, hub.operator, { idempotencyKey: 'bounded', currency: CURRENCY, items: [customerItem(40), customerItem(41), customerItem(42)] })
  t.equal(response.statusCode, 422, response.body)
  t.same(response.json().items.map((item: { index: number; code: string }) => [item.index, item.code]), [[2, 'ISSUANCE_SUSPENDED']])
  t.equal(count(hub, 'vouchers'), 0)
})
