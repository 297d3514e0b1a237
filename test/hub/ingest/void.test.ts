import t from 'tap'
import { randomBytes } from 'node:crypto'
import { AckOutcome } from '../../../protocol/messages/ack'
import { transferIdOf, type Authorization } from '../../../protocol/messages/authorization'
import { onlineAuthorizationRequestCodec } from '../../../protocol/messages/online-authorization'
import { onlineVoidRequestCodec } from '../../../protocol/messages/online-void'
import { Reason } from '../../../protocol/reasons'
import { nodeEd25519 } from '../../../protocol/signature/node'
import { toHex } from '../../../protocol/bytes'
import { cashTransferId } from '../../../hub/ledger/ids'
import { reversalTransferId } from '../../../hub/ingest/void'
import { HubMetrics } from '../../../hub/metrics/metrics'
import { ingestWorld, CURRENCY, type TestGateway } from './world'

type World = Awaited<ReturnType<typeof ingestWorld>>

function askOnline(w: World, eui: string, authorization: Authorization) {
  return w.ingest.authorizeOnline(eui, onlineAuthorizationRequestCodec.encode({ correlationId: randomBytes(16), authorization }))
}

function voidOf(w: World, gateway: TestGateway, authorization: Authorization, signer = gateway.keys.secretKey) {
  const request = onlineVoidRequestCodec.sign(
    { transferId: transferIdOf(authorization), gatewayEui: gateway.eui, timeMs: w.clock.now_ms() }, signer, nodeEd25519)
  return w.ingest.voidOnline(gateway.eui, onlineVoidRequestCodec.encode(request))
}

/** A gateway and a customer (10,000 on their voucher, 5,000 in the wallet) whose payment of `amount_minor` the hub approved online. */
async function approvedOnline(t: Parameters<typeof ingestWorld>[0], eui: string, amount_minor: number) {
  const w = await ingestWorld(t)
  const gateway = await w.addGateway(eui)
  const customer = await w.addCustomer(10_000, 5_000)
  const authorization = w.pay(customer.phone, gateway, amount_minor)
  await askOnline(w, gateway.eui, authorization)
  return { w, gateway, customer, authorization }
}

const answer = (response: Awaited<ReturnType<typeof voidOf>>) => [response!.voided, response!.reason, response!.reversedMinor]

t.test('an online approval its gateway voids is given back, once, and never approved again', async t => {
  const metrics = new HubMetrics()
  const w = await ingestWorld(t, { metrics })
  const gateway = await w.addGateway('00000000000000F1')
  const customer = await w.addCustomer(10_000, 5_000)
  const authorization = w.pay(customer.phone, gateway, 1_200)
  const approved = await askOnline(w, gateway.eui, authorization)
  t.same([approved!.approved, approved!.reason], [true, Reason.None], 'premise: approved and settled online')
  t.equal(await w.balance(gateway.merchantAccountId), 1_200)

  t.same(answer(await voidOf(w, gateway, authorization)), [true, Reason.None, 1_200], 'voided: the amount goes back')
  t.equal(await w.balance(gateway.merchantAccountId), 0, 'the merchant gives it back')
  t.equal(await w.balance(customer.wallet), 5_000 + 1_200, 'to the customer\'s wallet, the hold staying spent')
  const reversal = await w.ledger.transfer(reversalTransferId(toHex(transferIdOf(authorization))))
  t.equal(reversal?.kind, 'reversal')
  t.same(reversal?.metadata?.reversalOf, toHex(transferIdOf(authorization)))

  t.same(answer(await voidOf(w, gateway, authorization)), [true, Reason.None, 1_200], 'the same void again: the same answer')
  t.equal(await w.balance(customer.wallet), 6_200, 'and nothing more moves')
  const late = await askOnline(w, gateway.eui, authorization)
  t.same([late!.approved, late!.reason], [false, Reason.OnlineRequestVoided], 'a late copy of the request is refused')
  const { text } = await metrics.scrape()
  t.match(text, 'payall_online_voids_total{outcome="reversed"} 2', 'each answer counted by its outcome')
  t.match(text, 'payall_online_voids_total{outcome="refused"} 0')
  await w.assertLedgerOk(t)
})

t.test('a void of a request the hub never saw stops the request that comes after it', async t => {
  const w = await ingestWorld(t)
  const gateway = await w.addGateway('00000000000000F2')
  const customer = await w.addCustomer(10_000, 5_000)
  const authorization = w.pay(customer.phone, gateway, 800)
  t.same(answer(await voidOf(w, gateway, authorization)), [true, Reason.None, 0], 'voided, nothing to give back')
  const late = await askOnline(w, gateway.eui, authorization)
  t.same([late!.approved, late!.reason], [false, Reason.OnlineRequestVoided])
  t.equal(await w.balance(gateway.merchantAccountId), 0, 'no money moved')
  await w.assertLedgerOk(t)
})

t.test('a payment in the gateway\'s records is not voided: a refund gives it back', async t => {
  const w = await ingestWorld(t)
  const gateway = await w.addGateway('00000000000000F3')
  const customer = await w.addCustomer(10_000, 5_000)
  const offline = w.pay(customer.phone, gateway, 500)
  gateway.append(offline)
  t.same((await w.ingest.ingest(gateway.eui, gateway.batch()))!.entries.map(e => e.outcome), [AckOutcome.Settled])
  t.same(answer(await voidOf(w, gateway, offline)), [false, Reason.PaymentRecorded, 0], 'settled from a record')

  const online = w.pay(customer.phone, gateway, 700)
  await askOnline(w, gateway.eui, online)
  gateway.append(online)
  await w.ingest.ingest(gateway.eui, gateway.batch(2))
  t.same(answer(await voidOf(w, gateway, online)), [false, Reason.PaymentRecorded, 0], 'approved online, and recorded')
  t.equal(await w.balance(gateway.merchantAccountId), 1_200, 'both stay paid')
  await w.assertLedgerOk(t)
})

t.test('only the gateway that asked may void, with its own signature', async t => {
  const w = await ingestWorld(t)
  const gateway = await w.addGateway('00000000000000F4')
  const other = await w.addGateway('00000000000000F5')
  const customer = await w.addCustomer(10_000, 5_000)
  const authorization = w.pay(customer.phone, gateway, 900)
  await askOnline(w, gateway.eui, authorization)

  t.same(answer(await voidOf(w, gateway, authorization, other.keys.secretKey)), [false, Reason.BadGatewaySignature, 0])
  const signedByOther = onlineVoidRequestCodec.sign(
    { transferId: transferIdOf(authorization), gatewayEui: other.eui, timeMs: 0 }, other.keys.secretKey, nodeEd25519)
  t.same(answer(await w.ingest.voidOnline(other.eui, onlineVoidRequestCodec.encode(signedByOther))), [false, Reason.WrongGateway, 0],
    'another gateway cannot void it')
  t.same(answer(await w.ingest.voidOnline('00000000000000F6', onlineVoidRequestCodec.encode(signedByOther))),
    [false, Reason.GatewayUnknown, 0])
  t.equal(await w.ingest.voidOnline(gateway.eui, Uint8Array.of(0x18, 1, 2)), null, 'an unreadable void is not answered')
  t.equal(await w.balance(gateway.merchantAccountId), 900, 'nothing moved')
  await w.assertLedgerOk(t)
})

t.test('a void the merchant can no longer cover changes nothing, and goes through once the money is back', async t => {
  const { w, gateway, customer, authorization } = await approvedOnline(t, '00000000000000F7', 1_000)
  const { external } = await w.ledger.systemAccounts(CURRENCY)
  const drain = (amount_minor: number, tag: string) => w.ledger.applyTransfers([{
    id: cashTransferId('cash_out', gateway.merchantAccountId, tag), kind: 'cash_out', currency: CURRENCY,
    postings: [
      { accountId: gateway.merchantAccountId, amountMinor: -amount_minor, role: 'payer' },
      { accountId: external.id, amountMinor: amount_minor, role: 'payee' },
    ],
  }])
  await drain(600, 'cashed-out')

  t.same(answer(await voidOf(w, gateway, authorization)), [false, Reason.RefundFundsInsufficient, 0])
  t.equal(await w.balance(customer.wallet), 5_000, 'nothing went back')
  await w.cashIn(gateway.merchantAccountId, 600)
  t.same(answer(await voidOf(w, gateway, authorization)), [true, Reason.None, 1_000], 'the same void, sent again')
  t.equal(await w.balance(customer.wallet), 6_000)
  await w.assertLedgerOk(t)
})

t.test('a record of a payment its gateway voided is refused OnlineRequestVoided, not acked as paid, and moves no money', async t => {
  const { w, gateway, customer, authorization: approvedThenVoided } = await approvedOnline(t, '00000000000000F6', 900)
  t.same(answer(await voidOf(w, gateway, approvedThenVoided)), [true, Reason.None, 900], 'premise: settled online, then given back')
  const neverSeen = w.pay(customer.phone, gateway, 400)
  t.same(answer(await voidOf(w, gateway, neverSeen)), [true, Reason.None, 0], 'premise: voided before the hub saw it')

  // A gateway that voids what it says it never recorded, then sends the record all the same (a fault, or a lie).
  gateway.append(approvedThenVoided)
  gateway.append(neverSeen)
  const ack = await w.ingest.ingest(gateway.eui, gateway.batch())
  t.same(ack!.entries.map(entry => [entry.outcome, entry.reason]), [
    [AckOutcome.Rejected, Reason.OnlineRequestVoided], [AckOutcome.Rejected, Reason.OnlineRequestVoided],
  ], 'neither is acked as settled nor as a duplicate: the counter never reads them as paid')
  t.equal(await w.balance(gateway.merchantAccountId), 0, 'the merchant holds nothing of them')
  t.equal(await w.balance(customer.wallet), 5_000 + 900, 'the customer keeps what the void gave back')
  const again = await w.ingest.ingest(gateway.eui, gateway.batch())
  t.same(again!.entries.map(entry => entry.reason), [Reason.OnlineRequestVoided, Reason.OnlineRequestVoided], 'the same answer, sent again')
  await w.assertLedgerOk(t)
})
