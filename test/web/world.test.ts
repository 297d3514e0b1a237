import t from 'tap'
import { startWorld } from './world'

// The browser tests stand on this world: what it promises them is checked here through the API alone.

t.test('the web world: an owner of two connected gateways, customers with vouchers, payments settled on demand', async t => {
  const world = await startWorld(t.testdir(), { payments: 1 })
  t.teardown(() => world.stop())

  const owner = await world.api(world.owner)
  const gateways = await owner.ok('GET', '/owner/gateways')
  t.same(gateways.items.map((gateway: { id: string }) => gateway.id).sort(), world.gateways.map(gateway => gateway.id).sort(),
    'the owner ordered both gateways and owns them')
  for (const gateway of world.gateways) t.ok(gateway.terminal.sync.online, `${gateway.eui} is connected to the hub's broker`)

  const customer = world.customers[1]!
  const wallet = await world.api(customer)
  const before = await wallet.ok('GET', `/accounts/${customer.wallet}`)
  const payment = await world.pay({ customer: 1, gateway: 1, amount_minor: 2_500 })
  t.match(payment, { gatewayId: world.gateways[1]!.id, amountMinor: 2_500, currency: world.currency })

  const taken = await owner.ok('GET', `/transactions/${payment.gatewayId}/gateway`)
  t.ok(taken.items.some((item: { id: string }) => item.id === payment.transferId), 'the owner sees the settled payment at that gateway')
  const after = await wallet.ok('GET', `/accounts/${customer.wallet}`)
  t.equal(after.holdMinor, before.holdMinor - 2_500, 'the customer paid from the hold of their voucher')
})
