import t from 'tap'
import { walletAccountId } from '../../../hub/accounts'
import { errorOf } from '../http/fixtures'
import { addGateway, gatewayHub, provisionedGateway, type GatewayHub } from './fixtures'

function assign(hub: GatewayHub, gatewayId: string, payload: Record<string, unknown>, headers = hub.operator.headers) {
  return hub.app.inject({ method: 'POST', url: `/gateways/${gatewayId}/assign`, headers, payload })
}

t.test("assigning pays the gateway into the owner's wallet in its price currency, opened for it", async (t) => {
  const hub = await gatewayHub(t)
  const gateway = await addGateway(hub, { price: undefined, priceMinor: 9_900, currency: 'EUR' })
  const response = await assign(hub, gateway.id, { ownerUserId: hub.owner.id })
  t.equal(response.statusCode, 200)
  const walletId = walletAccountId(hub.owner.id, 'EUR')
  t.match(response.json(), { id: gateway.id, status: 'assigned', ownerUserId: hub.owner.id, merchantAccountId: walletId })
  t.match(await hub.context.ledger.account(walletId), { kind: 'wallet', userId: hub.owner.id, currency: 'EUR' })
})

t.test("an explicit merchant account must be one of the owner's wallets", async (t) => {
  const hub = await gatewayHub(t)
  const gateway = await addGateway(hub)
  const own = await hub.context.ledger.openWallet({ id: 'shop-till-xof', userId: hub.owner.id, currency: 'XOF' })
  const other = await hub.context.ledger.openWallet({ id: walletAccountId(hub.otherOwner.id, 'XOF'), userId: hub.otherOwner.id, currency: 'XOF' })

  for (const merchantAccountId of [other.id, 'no-such-account']) {
    const refused = await assign(hub, gateway.id, { ownerUserId: hub.owner.id, merchantAccountId })
    t.equal(refused.statusCode, 400, merchantAccountId)
    t.match(errorOf(refused), { code: 'BAD_REQUEST', message: /not a wallet of user/ })
  }
  const accepted = await assign(hub, gateway.id, { ownerUserId: hub.owner.id, merchantAccountId: own.id })
  t.equal(accepted.statusCode, 200)
  t.equal(accepted.json().merchantAccountId, own.id)
})

t.test('only a user with the owner role is assigned a gateway', async (t) => {
  const hub = await gatewayHub(t)
  const gateway = await addGateway(hub)
  const customer = await assign(hub, gateway.id, { ownerUserId: hub.customer.id })
  t.equal(customer.statusCode, 400)
  t.match(errorOf(customer).message, /customer, not an owner/)
  const unknown = await assign(hub, gateway.id, { ownerUserId: 'nobody' })
  t.equal(unknown.statusCode, 400)
  t.match((await hub.app.inject({ method: 'GET', url: `/gateways/${gateway.id}` })).json(), { available: true })
})

t.test('an assigned gateway may move to another owner until it is provisioned', async (t) => {
  const hub = await gatewayHub(t)
  const gateway = await addGateway(hub)
  await assign(hub, gateway.id, { ownerUserId: hub.owner.id })
  const moved = await assign(hub, gateway.id, { ownerUserId: hub.otherOwner.id })
  t.equal(moved.statusCode, 200)
  t.equal(moved.json().ownerUserId, hub.otherOwner.id)

  const provisioned = await provisionedGateway(hub, { eui: '0000000000000009' })
  const refused = await assign(hub, provisioned.id, { ownerUserId: hub.otherOwner.id })
  t.equal(refused.statusCode, 409)
  t.equal(errorOf(refused).code, 'CONFLICT')
})

t.test('assigning needs an operator, a known gateway and an ownerUserId', async (t) => {
  const hub = await gatewayHub(t)
  const gateway = await addGateway(hub)
  t.equal((await assign(hub, gateway.id, { ownerUserId: hub.owner.id }, hub.owner.headers)).statusCode, 403)
  const anonymous = await hub.app.inject({ method: 'POST', url: `/gateways/${gateway.id}/assign`, payload: { ownerUserId: hub.owner.id } })
  t.equal(anonymous.statusCode, 401)
  t.equal((await assign(hub, 'nope', { ownerUserId: hub.owner.id })).statusCode, 404)
  const missing = await assign(hub, gateway.id, {})
  t.equal(missing.statusCode, 400)
  t.match(errorOf(missing).message, /ownerUserId/)
})
