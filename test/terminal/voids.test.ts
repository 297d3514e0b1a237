import t, { type Test } from 'tap'
import { toHex } from '../../protocol/bytes'
import { transferIdOf } from '../../protocol/messages/authorization'
import { onlineVoidRequestCodec } from '../../protocol/messages/online-void'
import { Reason } from '../../protocol/reasons'
import { nodeEd25519 } from '../../protocol/signature/node'
import type { Authorization } from '../../protocol/messages/authorization'
import type { OnlineAnswer, OnlineAuthorizer } from '../../terminal/payment'
import { OnlineAsks } from '../../terminal/voids'
import { main } from '../../terminal/cli'
import { testCliIo } from './cli-world'
import { counterTerminal, phoneLink, phoneWithVoucher, provisionedStore, T0 } from './fixtures'

/** Answers as told, after checking what the terminal had on file while the request was out. */
class WatchingAuthorizer implements OnlineAuthorizer {
  readonly onFileWhileAsking: string[] = []
  constructor(private readonly asks: () => OnlineAsks, public answer: OnlineAnswer | 'unreachable' | Error) {}
  get online(): boolean {
    return true
  }
  async authorize(authorization: Authorization): Promise<OnlineAnswer | 'unreachable'> {
    this.onFileWhileAsking.push(this.asks().byId(transferIdOf(authorization))?.status ?? 'nothing')
    if (this.answer instanceof Error) throw this.answer
    return this.answer
  }
}

function world(t: Test, answer: OnlineAnswer | 'unreachable' | Error, policy?: 'require-online') {
  const store = provisionedStore(t.testdir())
  t.teardown(() => store.close())
  const asks = new OnlineAsks(store, nodeEd25519)
  const online = new WatchingAuthorizer(() => asks, answer)
  const { phone } = phoneWithVoucher()
  const built = counterTerminal(store, phoneLink(phone), { online, ...(policy !== undefined && { policy }) })
  const pending: string[] = []
  built.events.on('online-void-pending', ({ transferIdHex }) => pending.push(transferIdHex))
  return { ...built, store, asks, online, pending }
}

t.test('an online request is on file while it waits; a payment recorded or declined by the hub leaves nothing to void', async t => {
  for (const [answer, kind] of [
    [{ approved: true, reason: Reason.None }, 'approved'],
    [{ approved: false, reason: Reason.InsufficientFunds }, 'declined'],
    ['unreachable', 'approved'],
  ] as const) {
    const w = world(t, answer)
    const outcome = await w.terminal.take(1_000)
    t.equal(outcome.kind, kind, `${JSON.stringify(answer)}: ${kind}`)
    t.same(w.online.onFileWhileAsking, ['asking'], 'on file before the request left')
    t.same(w.asks.pendingVoids(), [], 'nothing to void')
    t.same(w.pending, [])
  }
})

t.test('require-online with no answer declines, and voids the request the hub may have approved', async t => {
  const w = world(t, 'unreachable', 'require-online')
  const outcome = await w.terminal.take(1_500)
  t.equal(outcome.kind === 'declined' && outcome.reason, Reason.HubUnavailable)
  const [ask] = w.asks.pendingVoids()
  t.ok(ask, 'a void is on file')
  t.equal(ask!.status, 'voiding')
  t.equal(ask!.amountMinor, 1_500)
  const request = onlineVoidRequestCodec.decode(ask!.voidRequest!)
  t.ok(onlineVoidRequestCodec.verify(request, w.store.keys.publicKey, nodeEd25519), 'signed with the gateway\'s key')
  t.same(request.transferId, ask!.transferId)
  t.equal(request.gatewayEui, w.store.identity().eui)
  t.same(w.pending, [toHex(ask!.transferId)], 'the app is told, so the sync sends it')
})

t.test('prefer-online with no answer, then refused offline by a risk limit: voided too', async t => {
  const w = world(t, 'unreachable')
  const overFloor = w.store.riskConfig()!.floorLimitMinor + 1
  // Over the floor limit: online it could pass, offline it may not.
  const outcome = await w.terminal.take(overFloor)
  t.equal(outcome.kind, 'declined')
  t.equal(w.asks.pendingVoids().length, 1)
})

t.test('a failure while the hub is asked or the record written leaves a void, not a payment nobody recorded', async t => {
  const w = world(t, new Error('the sync broke'))
  await t.rejects(w.terminal.take(900), /the sync broke/)
  t.equal(w.asks.pendingVoids().length, 1)
  t.equal(w.store.chainHead().gatewaySeq, 0)
})

t.test('after a restart, an ask left behind is voided unless its payment was recorded', async t => {
  const w = world(t, { approved: true, reason: Reason.None })
  const recorded = await w.terminal.take(700)
  if (recorded.kind !== 'approved') throw new Error('premise: approved')
  // The power went once the record was written, before the ask was closed; and once mid-wait.
  w.asks.asking(recorded.record.transferId, 700, 'XOF', T0)
  const lost = Uint8Array.from({ length: 32 }, (_, i) => i)
  w.asks.asking(lost, 300, 'XOF', T0)
  t.equal(w.asks.recover(T0 + 1), 1, 'one voided')
  t.equal(w.asks.byId(recorded.record.transferId), undefined, 'the recorded one is simply closed')
  t.same(w.asks.pendingVoids().map(ask => toHex(ask.transferId)), [toHex(lost)])
  t.equal(w.asks.recover(T0 + 2), 0, 'recovering again changes nothing')
})

t.test('the hub\'s answer to a void is kept once', async t => {
  const w = world(t, 'unreachable', 'require-online')
  await w.terminal.take(1_100)
  const [ask] = w.asks.pendingVoids()
  const response = { transferId: ask!.transferId, voided: true, reason: Reason.None, reversedMinor: 1_100, timeMs: T0 }
  t.equal(w.asks.answer(response, Uint8Array.of(1), T0)?.status, 'voided')
  t.equal(w.asks.answer({ ...response, voided: false, reason: Reason.PaymentRecorded }, Uint8Array.of(2), T0)?.status, 'voided',
    'a second answer changes nothing')
  t.same(w.asks.pendingVoids(), [])
})

t.test('`status` names the voids the hub has not answered yet', async t => {
  const dir = t.testdir()
  const store = provisionedStore(dir)
  const asks = new OnlineAsks(store, nodeEd25519)
  asks.asking(Uint8Array.from({ length: 32 }, () => 7), 2_500, 'XOF', T0)
  t.equal(asks.recover(T0 + 1), 1, 'premise: one void pending')
  store.close()
  const out: string[] = []
  const io = testCliIo({ out: text => { out.push(text) }, err: () => undefined })
  t.equal(await main(['status', '--data-dir', dir], io), 0)
  t.match(out.join(''), /\nvoids {6}1 unanswered online request to void at the hub \(2\u202f500 XOF\): sent at the next link-up\n/)
  out.length = 0
  t.equal(await main(['status', '--data-dir', dir, '--json'], io), 0)
  t.match(JSON.parse(out.join('')).voidsPending, [{ transferId: '07'.repeat(32), amountMinor: 2_500, currency: 'XOF' }])
})
