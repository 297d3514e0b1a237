import t from 'tap'
import { randomBytes } from 'node:crypto'
import { ackCodec, AckOutcome } from '../../../protocol/messages/ack'
import { authorizationCodec, transferIdOf, type Authorization } from '../../../protocol/messages/authorization'
import { chainHeadCodec } from '../../../protocol/messages/chain-head'
import { recordBatchCodec } from '../../../protocol/messages/record-batch'
import { onlineAuthorizationRequestCodec, onlineAuthorizationResponseCodec } from '../../../protocol/messages/online-authorization'
import { revocationDeltaCodec } from '../../../protocol/messages/revocation-delta'
import { PaymentMode } from '../../../protocol/messages/transfer-record'
import { Reason } from '../../../protocol/reasons'
import { nodeEd25519 } from '../../../protocol/signature/node'
import { REVOCATIONS_TOPIC } from '../../../protocol/topics'
import { toHex } from '../../../protocol/bytes'
import { walletAccountId } from '../../../hub/accounts'
import { IDENTITY_KEY, NO_SECRET_SIGNATURE, rawNodeVerify } from '../../helpers/small-order'
import { ingestWorld, CURRENCY } from './world'

const outcomes = (ack: { entries: Array<{ outcome: number }> } | null) => ack?.entries.map(e => e.outcome)

t.test('settles a batch once and answers with a hub-signed ack per record', async t => {
  const w = await ingestWorld(t)
  const { gateway, customer } = await w.twoPayments('00000000000000A1')
  const ack = await w.ingest.ingest(gateway.eui, gateway.batch())
  t.ok(ack !== null && ackCodec.verify(ack, w.context.hubKeys.publicKey, nodeEd25519), 'the ack is signed by the hub')
  t.same(outcomes(ack), [AckOutcome.Settled, AckOutcome.Settled])
  t.equal(ack!.headSeq, 2)
  t.equal(await w.balance(gateway.merchantAccountId), 3_500, 'the merchant is paid (no fee schedule: zero fee)')
  t.equal(await w.balance(customer.wallet), 70_000, 'the wallet paid the hold, not more')
  t.equal((await w.ledger.hold(customer.voucherIdHex))!.settledMinor, 3_500)
  await w.assertLedgerOk(t)

  const again = await w.ingest.ingest(gateway.eui, gateway.batch())
  t.same(outcomes(again), [AckOutcome.Duplicate, AckOutcome.Duplicate], 'a re-sent batch changes nothing')
  t.equal(await w.balance(gateway.merchantAccountId), 3_500)
  await w.assertLedgerOk(t)
})

t.test('splits the fee between the gateway owner and the platform by the schedule in force', async t => {
  const w = await ingestWorld(t)
  const gateway = await w.addGateway('00000000000000A2', 'kiosk')
  await w.ledger.addFeeSchedule({
    id: 'kiosk.XOF.v1', gatewayType: 'kiosk', currency: CURRENCY, version: 1, basisPoints: 200, fixedMinor: 10,
    ownerShareBasisPoints: 2_500, effectiveFromMs: 0,
  })
  const customer = await w.addCustomer(50_000, 20_000)
  gateway.append(w.pay(customer.phone, gateway, 10_000))
  const ack = await w.ingest.ingest(gateway.eui, gateway.batch())
  t.same(outcomes(ack), [AckOutcome.Settled])
  // fee = 2% of 10 000 + 10 = 210; owner 25% = 52; platform 158; merchant 9 790.
  t.equal(await w.balance(gateway.merchantAccountId), 9_790 + 52, 'the owner is also the merchant here')
  t.equal(await w.balance(`platform:${CURRENCY}`), 158)
  const transfer = await w.ledger.transfer(toHex(transferIdOf(gateway.records[0]!.authorization)))
  t.equal(transfer?.feeScheduleId, 'kiosk.XOF.v1', 'the transfer keeps the schedule it settled under')
  await w.assertLedgerOk(t)
})

t.test('flags a double spend at two gateways with both signed authorizations, charges the excess as debt and revokes', async t => {
  const w = await ingestWorld(t)
  const { first, second, customer } = await w.doubleSpendAtTwoGateways('00000000000000B1', '00000000000000B2')

  t.same(outcomes(await w.ingest.ingest(first.eui, first.batch())), [AckOutcome.Settled])
  const ack = await w.ingest.ingest(second.eui, second.batch())
  t.same(outcomes(ack), [AckOutcome.Flagged], 'the second record is flagged, and still paid to its merchant')
  t.equal(await w.balance(second.merchantAccountId), 9_000, 'the merchant who approved offline is protected')
  t.equal(await w.balance(customer.wallet), -7_000, 'the part beyond the hold is the customer\'s debt')

  const proof = w.db.prepare('SELECT kind, first_authorization, second_authorization FROM double_spends').all() as
    Array<{ kind: string; first_authorization: Buffer; second_authorization: Buffer }>
  t.equal(proof.length, 1)
  t.equal(proof[0]!.kind, 'same_seq')
  for (const bytes of [proof[0]!.first_authorization, proof[0]!.second_authorization]) {
    const authorization = authorizationCodec.decode(new Uint8Array(bytes))
    t.ok(authorizationCodec.verify(authorization, customer.phone.keys.publicKey, nodeEd25519), 'the proof is customer-signed')
  }
  const revocation = w.published.filter(m => m.topic === REVOCATIONS_TOPIC).at(-1)
  t.ok(revocation?.retain, 'the revocation delta is published retained')
  const delta = revocationDeltaCodec.decode(revocation!.payload)
  t.ok(revocationDeltaCodec.verify(delta, w.context.hubKeys.publicKey, nodeEd25519))
  t.same(delta.added.map(toHex), [customer.voucherIdHex])
  await w.assertLedgerOk(t)
})

t.test('cumulative amounts that cannot both be true are a double spend too', async t => {
  const w = await ingestWorld(t)
  const gateway = await w.addGateway('00000000000000B3')
  const customer = await w.addCustomer(10_000, 10_000)
  gateway.append(w.pay(customer.phone, gateway, 1_000))
  customer.phone.forget(customer.voucher, { seq: 1, cumulativeMinor: 0 })
  gateway.append(w.pay(customer.phone, gateway, 1_000))
  t.same(outcomes(await w.ingest.ingest(gateway.eui, gateway.batch())), [AckOutcome.Settled, AckOutcome.Flagged])
  const row = w.db.prepare('SELECT kind FROM double_spends').get() as { kind: string }
  t.equal(row.kind, 'cumulative')
})

t.test('rejects what it must, keeps it for audit, and moves no money', async t => {
  const w = await ingestWorld(t)
  const gateway = await w.addGateway('00000000000000C1')
  const customer = await w.addCustomer(10_000, 5_000)
  const good = w.pay(customer.phone, gateway, 1_000)
  const forged = authorizationCodec.sign({ ...w.pay(customer.phone, gateway, 1_000) }, nodeEd25519.keyPairFromSeed(randomBytes(32)).secretKey, nodeEd25519)
  const unknownVoucher = authorizationCodec.sign({ ...w.pay(customer.phone, gateway, 1_000), voucherId: randomBytes(16) }, customer.phone.keys.secretKey, nodeEd25519)
  const overLimit = authorizationCodec.sign({ ...w.pay(customer.phone, gateway, 1_000), cumulativeMinor: 6_000 }, customer.phone.keys.secretKey, nodeEd25519)
  const expired = authorizationCodec.sign(
    { ...w.pay(customer.phone, gateway, 500), timeMs: customer.voucher.expiresAtMs + 1 }, customer.phone.keys.secretKey, nodeEd25519)
  for (const authorization of [good, forged, unknownVoucher, overLimit, expired]) gateway.append(authorization)
  gateway.append(good)
  const ack = await w.ingest.ingest(gateway.eui, gateway.batch())
  t.same(ack!.entries.map(e => [e.outcome, e.reason]), [
    [AckOutcome.Settled, Reason.None],
    [AckOutcome.Rejected, Reason.BadCustomerSignature],
    [AckOutcome.Rejected, Reason.VoucherUnknown],
    [AckOutcome.Rejected, Reason.OverVoucherLimit],
    [AckOutcome.Rejected, Reason.VoucherExpired],
    [AckOutcome.Rejected, Reason.ReplayedAuthorization],
  ])
  t.equal(await w.balance(gateway.merchantAccountId), 1_000)
  const kept = w.db.prepare(`SELECT count(*) AS n FROM gateway_records WHERE outcome = 'rejected'`).get() as { n: number }
  t.equal(kept.n, 5, 'rejected records are kept, not dropped')
  const again = await w.ingest.ingest(gateway.eui, gateway.batch())
  t.same(again!.entries.map(e => e.outcome), [AckOutcome.Duplicate, ...new Array(5).fill(AckOutcome.Rejected)],
    'a re-sent batch gets the same answers')
  await w.assertLedgerOk(t)
})

t.test('payments and double-spend evidence signed with no secret under a small-order device key settle and prove nothing', async t => {
  const w = await ingestWorld(t)
  const gateway = await w.addGateway('00000000000000C3')
  // Bound before the hub checked keys: the voucher names the identity point as the device key.
  const customer = await w.addCustomer(10_000, 5_000, { devicePublicKey: IDENTITY_KEY })
  const forge = (authorization: Authorization): Authorization => ({ ...authorization, signature: NO_SECRET_SIGNATURE })
  const first = forge(w.pay(customer.phone, gateway, 4_000))
  customer.phone.forget(customer.voucher)
  const second = forge(w.pay(customer.phone, gateway, 5_000))
  t.equal(first.seq, second.seq, 'two payments under one seq would be proof of a double spend')
  for (const authorization of [first, second]) {
    t.ok(rawNodeVerify(authorizationCodec.encodeUnsigned(authorization), authorization.signature, IDENTITY_KEY),
      'premise: node:crypto alone takes the forged authorization')
  }
  gateway.append(first)
  gateway.append(second)
  const ack = await w.ingest.ingest(gateway.eui, gateway.batch())
  t.same(ack!.entries.map(e => [e.outcome, e.reason]), [
    [AckOutcome.Rejected, Reason.BadCustomerSignature],
    [AckOutcome.Rejected, Reason.BadCustomerSignature],
  ])
  t.equal(await w.balance(gateway.merchantAccountId), 0, 'nothing settled')
  t.equal(w.db.prepare('SELECT count(*) FROM double_spends').pluck().get(), 0, 'no double spend recorded on forged evidence')
  t.notOk(w.published.some(m => m.topic === REVOCATIONS_TOPIC), 'and no voucher revoked for it')

  const online = forge({ ...first, seq: 2, nonce: randomBytes(16) })
  const answer = await w.ingest.authorizeOnline(gateway.eui, onlineAuthorizationRequestCodec.encode({ correlationId: randomBytes(16), authorization: online }))
  t.same([answer!.approved, answer!.reason], [false, Reason.BadCustomerSignature], 'online, too')
  await w.assertLedgerOk(t)
})

t.test('a batch whose head is signed with no secret under a small-order gateway key is refused', async t => {
  const w = await ingestWorld(t)
  // Provisioned before the hub checked keys.
  const gateway = await w.addGateway('00000000000000C4', 'counter', { publicKey: IDENTITY_KEY })
  const customer = await w.addCustomer(10_000, 5_000)
  gateway.append(w.pay(customer.phone, gateway, 1_000))
  const batch = recordBatchCodec.decode(gateway.batch())
  const head = { ...batch.head, signature: NO_SECRET_SIGNATURE }
  t.ok(rawNodeVerify(chainHeadCodec.encodeUnsigned(head), head.signature, IDENTITY_KEY), 'premise: node:crypto alone takes the forged head')
  const ack = await w.ingest.ingest(gateway.eui, recordBatchCodec.encode({ ...batch, head }))
  t.same(ack!.entries.map(e => [e.outcome, e.reason]), [[AckOutcome.Rejected, Reason.BadGatewaySignature]])
  t.equal(await w.balance(gateway.merchantAccountId), 0)
})

t.test('refuses a batch whose head another key signed, or that is not a batch of that gateway', async t => {
  const w = await ingestWorld(t)
  const gateway = await w.addGateway('00000000000000D1')
  const other = await w.addGateway('00000000000000D2')
  const customer = await w.addCustomer(10_000, 5_000)
  gateway.append(w.pay(customer.phone, gateway, 1_000))
  const impostor = Object.assign(Object.create(Object.getPrototypeOf(gateway)), gateway, { keys: other.keys })
  const ack = await w.ingest.ingest(gateway.eui, impostor.batch())
  t.same(ack!.entries.map(e => [e.outcome, e.reason]), [[AckOutcome.Rejected, Reason.BadGatewaySignature]])
  t.equal(await w.ingest.ingest(other.eui, gateway.batch()), null, 'a batch on another gateway\'s topic is refused')
  t.equal(await w.ingest.ingest(gateway.eui, Uint8Array.from([6, 1, 0, 0])), null, 'malformed bytes are refused')
  t.equal(await w.balance(gateway.merchantAccountId), 0)
  const count = (sql: string) => (w.db.prepare(sql).get() as { n: number }).n
  t.equal(count('SELECT count(*) AS n FROM gateway_records'), 0, 'nothing of them is recorded as a payment')
  t.equal(count('SELECT count(*) AS n FROM rejected_batches'), 3, 'their bytes are kept for audit')
  t.same(outcomes(await w.ingest.ingest(gateway.eui, gateway.batch())), [AckOutcome.Settled], 'the real batch still settles')
})

t.test('reports a gap in a chain without papering over it, and closes it when the records arrive', async t => {
  const w = await ingestWorld(t)
  const gateway = await w.addGateway('00000000000000E1')
  const customer = await w.addCustomer(10_000, 9_000)
  for (let i = 0; i < 4; i++) gateway.append(w.pay(customer.phone, gateway, 100))
  t.same(outcomes(await w.ingest.ingest(gateway.eui, gateway.batch(3, 4))), [AckOutcome.Settled, AckOutcome.Settled])
  const gaps = () => w.db.prepare('SELECT from_seq, to_seq, resolved_at_ms FROM chain_gaps').all() as Array<{ from_seq: number; to_seq: number; resolved_at_ms: number | null }>
  t.match(gaps(), [{ from_seq: 1, to_seq: 2, resolved_at_ms: null }])
  const chain = () => w.db.prepare('SELECT contiguous_seq, highest_seq FROM gateway_chains').get()
  t.same(chain(), { contiguous_seq: 0, highest_seq: 4 })
  t.same(outcomes(await w.ingest.ingest(gateway.eui, gateway.batch(1, 2))), [AckOutcome.Settled, AckOutcome.Settled])
  t.same(chain(), { contiguous_seq: 4, highest_seq: 4 })
  t.ok(gaps()[0]!.resolved_at_ms !== null, 'the gap is closed')
  await w.assertLedgerOk(t)
})

t.test('refuses a fork: another record at a sequence the hub already holds', async t => {
  const w = await ingestWorld(t)
  const gateway = await w.addGateway('00000000000000E2')
  const customer = await w.addCustomer(10_000, 9_000)
  gateway.append(w.pay(customer.phone, gateway, 100))
  await w.ingest.ingest(gateway.eui, gateway.batch())
  const rewritten = await w.addGateway('00000000000000E3')
  Object.assign(gateway, { records: [], position: { gatewaySeq: 0, hash: new Uint8Array(32) } })
  gateway.append(w.pay(customer.phone, gateway, 200))
  const ack = await w.ingest.ingest(gateway.eui, gateway.batch())
  t.same(ack!.entries.map(e => [e.outcome, e.reason]), [[AckOutcome.Rejected, Reason.ChainFork]])
  t.equal((w.db.prepare('SELECT count(*) AS n FROM chain_forks').get() as { n: number }).n, 1)
  t.equal(await w.balance(gateway.merchantAccountId), 100)
  void rewritten
})

t.test('authorizes online from the live balance, and the later record settles nothing twice', async t => {
  const w = await ingestWorld(t)
  const gateway = await w.addGateway('00000000000000F1')
  const customer = await w.addCustomer(3_000, 2_000)
  const authorization = w.pay(customer.phone, gateway, 1_500)
  const request = onlineAuthorizationRequestCodec.encode({ correlationId: randomBytes(16), authorization })
  const answer = await w.ingest.authorizeOnline(gateway.eui, request)
  t.ok(answer !== null && onlineAuthorizationResponseCodec.verify(answer, w.context.hubKeys.publicKey, nodeEd25519))
  t.equal(answer!.approved, true, 'the hold covers it')
  t.same(answer!.transferId, transferIdOf(authorization))
  t.equal(await w.balance(gateway.merchantAccountId), 1_500)
  const retry = await w.ingest.authorizeOnline(gateway.eui, request)
  t.equal(retry!.approved, true, 'a retried request is answered the same')
  t.equal(await w.balance(gateway.merchantAccountId), 1_500, '…and pays nothing twice')

  const tooMuch = authorizationCodec.sign(
    { ...authorization, seq: 2, amountMinor: 5_000, cumulativeMinor: 6_500, nonce: randomBytes(16) }, customer.phone.keys.secretKey, nodeEd25519)
  const declined = await w.ingest.authorizeOnline(gateway.eui, onlineAuthorizationRequestCodec.encode({ correlationId: randomBytes(16), authorization: tooMuch }))
  t.same([declined!.approved, declined!.reason], [false, Reason.OverVoucherLimit])

  gateway.append(authorization, PaymentMode.Online)
  t.same(outcomes(await w.ingest.ingest(gateway.eui, gateway.batch())), [AckOutcome.Duplicate], 'the record of an online payment is a duplicate')
  t.equal(await w.balance(gateway.merchantAccountId), 1_500)
  t.equal(await w.balance(walletAccountId(customer.userId, CURRENCY)), 1_000, 'the wallet keeps what the hold did not set aside')
  await w.assertLedgerOk(t)
})

t.test('a batch settles and is recorded in one transaction: a failure recording it pays nothing, and the re-send settles it once', async t => {
  const w = await ingestWorld(t)
  const gateway = await w.addGateway('00000000000000F2')
  const customer = await w.addCustomer(10_000, 9_000)
  for (const amount of [100, 200, 300]) gateway.append(w.pay(customer.phone, gateway, amount))
  const write = w.store.write.bind(w.store)
  w.store.write = () => {
    throw new Error('disk I/O error')
  }
  await t.rejects(w.ingest.ingest(gateway.eui, gateway.batch()), /disk I\/O error/, 'no ack goes out')
  t.equal(await w.balance(gateway.merchantAccountId), 0, 'the settlement rolled back with the records')
  t.equal((await w.ledger.hold(customer.voucherIdHex))!.settledMinor, 0, 'the hold is untouched')
  w.store.write = write
  const ack = await w.ingest.ingest(gateway.eui, gateway.batch())
  t.same(outcomes(ack), [AckOutcome.Settled, AckOutcome.Settled, AckOutcome.Settled], 'the re-sent batch settles')
  t.equal(await w.balance(gateway.merchantAccountId), 600, 'once')
  const rows = w.db.prepare(`SELECT count(*) AS n FROM gateway_records WHERE outcome = 'settled'`).get() as { n: number }
  t.equal(rows.n, 3, 'the records are on file now')
  await w.assertLedgerOk(t)
})
