import t from 'tap'
import { randomBytes } from 'node:crypto'
import { AckOutcome } from '../../../protocol/messages/ack'
import { authorizationCodec, transferIdOf } from '../../../protocol/messages/authorization'
import { onlineAuthorizationRequestCodec } from '../../../protocol/messages/online-authorization'
import { PaymentMode } from '../../../protocol/messages/transfer-record'
import { toHex } from '../../../protocol/bytes'
import { nodeEd25519 } from '../../../protocol/signature/node'
import { ingestWorld } from './world'

// What the ingest tells the live events: each payment once it is settled, each double spend once it is flagged.

t.test('each payment of a batch is announced once it settled, to the gateway\'s owner and the payer; a re-sent batch announces nothing', async t => {
  const w = await ingestWorld(t)
  const { gateway, customer } = await w.twoPayments('00000000000000E1')
  t.same((await w.ingest.ingest(gateway.eui, gateway.batch()))!.entries.map(e => e.outcome), [AckOutcome.Settled, AckOutcome.Settled])
  await w.events.idle()
  t.same(w.heard.map(({ type, data, audience }) => ({ type, data, audience })), [1_000, 2_500].map((amount_minor, index) => ({
    type: 'payment.settled',
    data: {
      transferId: toHex(transferIdOf(gateway.records[index]!.authorization)), gatewayId: `gw_${gateway.eui}`, currency: 'XOF',
      amountMinor: amount_minor, amount: String(amount_minor), payerAccountId: customer.wallet, payeeAccountId: gateway.merchantAccountId,
      atMs: w.clock.now_ms(),
    },
    audience: [gateway.ownerUserId, customer.userId],
  })))

  await w.ingest.ingest(gateway.eui, gateway.batch())
  await w.events.idle()
  t.equal(w.heard.length, 2, 'duplicates were announced when they settled')
})

t.test('an online approval is announced once; the record that later carries it announces nothing; a decline nothing', async t => {
  const w = await ingestWorld(t)
  const gateway = await w.addGateway('00000000000000E2')
  const customer = await w.addCustomer(3_000, 2_000)
  const authorization = w.pay(customer.phone, gateway, 1_500)
  const request = onlineAuthorizationRequestCodec.encode({ correlationId: randomBytes(16), authorization })
  t.equal((await w.ingest.authorizeOnline(gateway.eui, request))!.approved, true)
  const tooMuch = authorizationCodec.sign(
    { ...authorization, seq: 2, amountMinor: 5_000, cumulativeMinor: 6_500, nonce: randomBytes(16) }, customer.phone.keys.secretKey, nodeEd25519)
  const declined = await w.ingest.authorizeOnline(gateway.eui, onlineAuthorizationRequestCodec.encode({ correlationId: randomBytes(16), authorization: tooMuch }))
  t.equal(declined!.approved, false)
  gateway.append(authorization, PaymentMode.Online)
  t.same((await w.ingest.ingest(gateway.eui, gateway.batch()))!.entries.map(e => e.outcome), [AckOutcome.Duplicate])
  await w.events.idle()
  t.same(w.heard.map(event => [event.type, (event.data as { transferId: string }).transferId]),
    [['payment.settled', toHex(transferIdOf(authorization))]])
})

t.test('a double spend is announced as flagged with its flag\'s id, to operators only, after its payment', async t => {
  const w = await ingestWorld(t)
  const { first, second, customer } = await w.doubleSpendAtTwoGateways('00000000000000E3', '00000000000000E4')
  await w.ingest.ingest(first.eui, first.batch())
  t.same((await w.ingest.ingest(second.eui, second.batch()))!.entries.map(e => e.outcome), [AckOutcome.Flagged])
  await w.events.idle()
  const flag = w.db.prepare('SELECT rowid AS id, detected_at_ms FROM double_spends').get() as { id: number; detected_at_ms: number }
  t.same(w.heard.map(event => event.type), ['payment.settled', 'payment.settled', 'doublespend.flagged'],
    'the flagged payment settled (its merchant is paid), then the flag')
  t.same(w.heard[2]!.data, { flagId: flag.id, gatewayId: `gw_${second.eui}`, voucherId: customer.voucherIdHex, atMs: flag.detected_at_ms })
  t.same(w.heard[2]!.audience, [], 'fraud evidence: operators only')

  await w.ingest.ingest(second.eui, second.batch())
  await w.events.idle()
  t.equal(w.heard.length, 3, 'the same batch again flags nothing new')
})

t.test('a settlement rolled back announces nothing; the re-sent batch that settles announces it once', async t => {
  const w = await ingestWorld(t)
  const gateway = await w.addGateway('00000000000000E5')
  const customer = await w.addCustomer(1_000, 1_000)
  gateway.append(w.pay(customer.phone, gateway, 500))
  const settle = w.ledger.settleFromHolds.bind(w.ledger)
  w.ledger.settleFromHolds = async () => { throw new Error('disk full: the transaction rolled back') }
  await t.rejects(w.ingest.ingest(gateway.eui, gateway.batch()), /disk full/)
  await w.events.idle()
  t.same(w.heard, [], 'nothing was settled, nothing is announced')
  w.ledger.settleFromHolds = settle
  t.same((await w.ingest.ingest(gateway.eui, gateway.batch()))!.entries.map(e => e.outcome), [AckOutcome.Settled])
  await w.events.idle()
  t.same(w.heard.map(event => event.type), ['payment.settled'])
})

t.test('a double spend refused online is announced as flagged once, with the id GET /flags gives it', async t => {
  const w = await ingestWorld(t)
  const { gateway, customer } = await w.twoPayments('00000000000000E6')
  await w.ingest.ingest(gateway.eui, gateway.batch())
  customer.phone.forget(customer.voucher)
  const request = onlineAuthorizationRequestCodec.encode({ correlationId: randomBytes(16), authorization: w.pay(customer.phone, gateway, 3_000) })
  for (let attempt = 0; attempt < 2; attempt++) t.equal((await w.ingest.authorizeOnline(gateway.eui, request))!.approved, false)
  await w.events.idle()
  const flag = w.db.prepare('SELECT rowid AS id, detected_at_ms FROM double_spends').get() as { id: number; detected_at_ms: number }
  const flagged = w.heard.filter(event => event.type === 'doublespend.flagged')
  t.same(flagged.map(event => [event.data, event.audience]),
    [[{ flagId: flag.id, gatewayId: `gw_${gateway.eui}`, voucherId: customer.voucherIdHex, atMs: flag.detected_at_ms }, []]])
})
