// A void end to end: a terminal and the real hub (embedded broker, SQLite ledger), the link through
// the simulator's relay. The hub approves and settles an online payment whose answer is lost with
// the connection; the counter, under require-online, declines it; the terminal voids the request
// and the hub gives the money back.

import t from 'tap'
import { toHex } from '../../protocol/bytes'
import { Reason } from '../../protocol/reasons'
import { OnlineAsks } from '../../terminal/voids'
import { nodeEd25519 } from '../../protocol/signature/node'
import type { HubApi } from '../../simulator/hub-api'
import { customerWithVoucher, merchantBalance, provisionedTerminal, shutDown, startTestHub } from './hub-world'

async function walletBalance(api: HubApi, walletId: string): Promise<number> {
  const { accounts } = await api.ok('GET', '/accounts')
  return accounts.find((account: { id: string }) => account.id === walletId).balanceMinor
}

t.test('an online approval whose answer is lost, declined at the counter, is voided and given back', async t => {
  const { hub, operator, dir } = await startTestHub(t)
  const world = await provisionedTerminal(hub, operator, dir, '70B3D57ED0000D01', 'voids@shop.example')
  t.teardown(() => shutDown(world))
  const customer = await customerWithVoucher(operator, 'awa@phone.example', 100_000, '30000')
  const walletBefore = await walletBalance(customer.api, customer.wallet)

  // The first answer to an online request is lost, and the connection with it.
  let answersSeen = 0
  world.proxy.inspector = publish => publish.direction === 'down' && publish.topic.endsWith('/online/response') && answersSeen++ === 0
    ? { action: { kind: 'drop' } }
    : undefined
  const up = world.events.next('link', ({ online }) => online)
  await world.proxy.up()
  await up

  const answered = world.events.next('online-void-answered')
  const outcome = await world.pay(customer.phone, 7_000, 'require-online')
  t.equal(outcome.kind === 'declined' && outcome.reason, Reason.HubUnavailable, 'no answer: the counter declines')
  t.equal(answersSeen, 1, 'the hub did answer, and the answer was lost')
  t.equal(world.store.chainHead().gatewaySeq, 0, 'nothing recorded')

  const [{ transferIdHex, voided, reversedMinor }] = await answered
  t.same([voided, reversedMinor], [true, 7_000], 'the hub had settled it, and gave it back')
  const ask = new OnlineAsks(world.store, nodeEd25519).byId(Buffer.from(transferIdHex, 'hex'))
  t.equal(ask?.status, 'voided', 'the void and its answer are kept')
  t.equal(world.sync.pendingVoidCount(), 0)
  t.equal(toHex(ask!.transferId), transferIdHex)
  t.equal(await merchantBalance(hub, world.ownerEmail), 0, 'the merchant keeps nothing')
  // Paid from the voucher's hold, given back to the wallet: the hold stays spent, as the phone's own count says.
  t.equal(await walletBalance(customer.api, customer.wallet), walletBefore + 7_000, 'the customer has the money back')
  const verify = await operator.ok('GET', '/ledger/verify')
  t.equal(verify.ok, true)
})
