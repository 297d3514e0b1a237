import t from 'tap'
import { toBase64 } from '../../../protocol/bytes'
import { nodeEd25519 } from '../../../protocol/signature/node'
import { addGateway, fundVoucher, settle } from '../money/fixtures'
import { TRANSFERS_PER_BATCH_MAX } from '../../../hub/ledger/transfer'
import { seededRandom } from '../http/fixtures'
import { call, fatouAndMoussa, fundedWallet, restHub } from './fixtures'

function dashboard(hub: Awaited<ReturnType<typeof restHub>>, as: Parameters<typeof call>[1]) {
  return call(hub.app, as, { method: 'GET', url: '/users/dashboard-infos' })
}

t.test('a customer’s dashboard: wallets, linked accounts, recent payments, waiting payments, devices, documents — their own only', async (t) => {
  const { hub, fatou, moussa, wallet } = await fatouAndMoussa(t, '5000', '424242')
  await call(hub.app, fatou, { method: 'POST', url: '/api/auth/device/pay', payload: { toPhone: moussa.phone, amount: '100' } })
  await call(hub.app, fatou, { method: 'POST', url: '/api/auth/binding', payload: { accountNo: 'SN08 0001' } })
  await call(hub.app, fatou, {
    method: 'POST', url: '/api/auth/device/binding', payload: { imei: '356938035643809', publicKey: toBase64(nodeEd25519.keyPairFromSeed(seededRandom('d')(32)).publicKey) },
  })

  const response = await dashboard(hub, fatou)
  t.equal(response.statusCode, 200)
  t.same(Object.keys(response.json()).sort(), ['customer', 'role'])
  t.match(response.json(), {
    role: 'customer',
    customer: {
      wallets: [{ id: wallet, balanceMinor: 5000, holdMinor: 0 }],
      linkedAccounts: [{ accountNo: 'SN08 0001', kind: 'bank' }],
      paymentsAwaitingConfirmation: 1,
      devices: 1,
      documents: { pending: 0, approved: 0, rejected: 0 },
    },
  })
  t.match(response.json().customer.recentTransactions, [{ status: 'awaiting_confirmation', amountMinor: 100 }, { kind: 'cash_in', amountMinor: 5000 }])
  t.notMatch(response.body, /424242/, 'nothing of another customer')
})

t.test('an owner’s dashboard: their gateways by status and their revenue share over 30 days', async (t) => {
  const hub = await restHub(t)
  const shop = await fundedWallet(hub.app, hub.operator, hub.owner, 'XOF', '0')
  const customerWallet = await fundedWallet(hub.app, hub.operator, hub.customer, 'XOF', '0')
  addGateway(hub, { eui: '00000000000000A1', ownerUserId: hub.owner.userId, merchantAccountId: shop })
  const fee = await call(hub.app, hub.operator, {
    method: 'POST', url: '/fees', payload: { gatewayType: 'pos', currency: 'XOF', basisPoints: 100, fixedMinor: 0, ownerShareBasisPoints: 5_000 },
  })
  await fundVoucher(hub, customerWallet, 'voucher-1', '100000', 50_000)
  await settle(hub, {
    record: 'r1', voucherId: 'voucher-1', amountMinor: 20_000, gatewayEui: '00000000000000A1',
    merchantAccountId: shop, ownerAccountId: shop, feeScheduleId: fee.json().id,
  })
  const response = await dashboard(hub, hub.owner)
  t.equal(response.statusCode, 200)
  t.same(Object.keys(response.json()).sort(), ['customer', 'owner', 'role'], 'an owner is a customer too, and sees both')
  t.match(response.json(), {
    role: 'owner',
    owner: {
      gateways: { available: 0, assigned: 1, provisioned: 0, retired: 0 },
      revenueLast30Days: [{ currency: 'XOF', revenueMinor: 100, revenue: '100', paymentCount: 1 }],
      pendingOrders: 0,
    },
  })
  t.equal(response.json().owner.wallets[0].balanceMinor, 19_800 + 100, 'the merchant part and the owner share: the platform keeps the other half of the 1 % fee')
})

t.test('an operator’s dashboard: the hub’s totals and what needs attention', async (t) => {
  const hub = await restHub(t)
  await hub.app.inject({ method: 'POST', url: '/users/reset-password-init', payload: { email: hub.customer.email } })
  hub.context.db.prepare("UPDATE notification_outbox SET status = 'failed', done_at_ms = 1").run()
  const response = await dashboard(hub, hub.operator)
  t.match(response.json(), {
    role: 'operator',
    operator: {
      users: { operator: 1, owner: 1, customer: 2 },
      pendingOrders: 0,
      notifications: { pending: 0, sent: 0, failed: 1 },
      flags: { openChainGaps: 0, chainForks: 0, doubleSpends: 0, failedNotifications: 1, pendingDocuments: 0 },
    },
  })
  t.equal((await dashboard(hub, undefined)).statusCode, 401)
})

t.test('an owner’s 30-day revenue is exact past a thousand gateways and periods: summed by the database', async (t) => {
  const hub = await restHub(t)
  const shop = await fundedWallet(hub.app, hub.operator, hub.owner, 'XOF', '0')
  const customerWallet = await fundedWallet(hub.app, hub.operator, hub.customer, 'XOF', '0')
  // No fee by percent, 2 fixed, half of it the owner's: each payment earns the owner 1.
  const fee = await call(hub.app, hub.operator, {
    method: 'POST', url: '/fees', payload: { gatewayType: 'pos', currency: 'XOF', basisPoints: 0, fixedMinor: 2, ownerShareBasisPoints: 5_000 },
  })
  const gateways = 1_001
  await fundVoucher(hub, customerWallet, 'voucher-1', '100000', 50_000)
  // Straight through the ledger, a batch at a time: one owner share per gateway, each a row of the revenue report.
  const payments = Array.from({ length: gateways }, (_, index) => ({
    transferId: index.toString(16).padStart(64, '0'), voucherId: 'voucher-1', amountMinor: 10,
    gatewayEui: index.toString(16).padStart(16, '0').toUpperCase(), merchantAccountId: shop, ownerAccountId: shop, feeScheduleId: fee.json().id,
  }))
  for (let start = 0; start < gateways; start += TRANSFERS_PER_BATCH_MAX) {
    const outcomes = await hub.context.ledger.settleFromHolds(payments.slice(start, start + TRANSFERS_PER_BATCH_MAX))
    t.ok(outcomes.every((outcome) => outcome.status === 'applied'))
  }
  const response = await dashboard(hub, hub.owner)
  t.same(response.json().owner.revenueLast30Days, [{ currency: 'XOF', revenueMinor: gateways, revenue: String(gateways), paymentCount: gateways }])
})
