import t from 'tap'
import { walletAccountId } from '../../../hub/accounts'
import { audienceLookups } from '../../../hub/events/audience'
import { GatewayStore } from '../../../hub/gateways/store'
import { addUser, testContext } from '../http/fixtures'

t.test('an account\'s user is read once and remembered; an unknown account is asked again', async t => {
  const { context } = testContext(t)
  const userId = await addUser(context, { email: 'payer@example.com', passwordHash: 'x', role: 'customer' })
  const { ledger } = context
  let reads = 0
  const account = ledger.account.bind(ledger)
  ledger.account = async id => {
    reads++
    return account(id)
  }
  const lookups = audienceLookups(new GatewayStore(context.engine), ledger)
  const wallet = walletAccountId(userId, 'XOF')
  t.equal(await lookups.accountOwner(wallet), undefined, 'not opened yet')
  await ledger.openWallet({ id: wallet, userId, currency: 'XOF' })
  t.equal(await lookups.accountOwner(wallet), userId, 'opened since: asked again, not remembered as unknown')
  t.equal(await lookups.accountOwner(wallet), userId)
  t.equal(reads, 2, 'the second answer came from memory')
  const { platform } = await ledger.systemAccounts('XOF')
  t.equal(await lookups.accountOwner(platform.id), null, 'a system account belongs to nobody')
})

t.test('a gateway\'s owner is read each time: a gateway changes hands', async t => {
  const { context, clock } = testContext(t)
  const gateways = new GatewayStore(context.engine)
  const lookups = audienceLookups(gateways, context.ledger)
  await gateways.insert({ id: 'gw_1', eui: '00000000000000D1', name: 'Counter', type: 'counter', priceMinor: 1, priceCurrency: 'XOF', createdAtMs: clock.now_ms() })
  t.equal(await lookups.gatewayOwner('gw_1'), null, 'nobody owns it yet')
  t.equal(await lookups.gatewayOwner('gw_none'), undefined, 'no such gateway')
  const owner = await addUser(context, { email: 'owner@example.com', passwordHash: 'x', role: 'owner' })
  const merchant = await context.ledger.openWallet({ id: walletAccountId(owner, 'XOF'), userId: owner, currency: 'XOF' })
  t.ok(await gateways.assign('gw_1', owner, merchant.id))
  t.equal(await lookups.gatewayOwner('gw_1'), owner, 'its new owner')
})
