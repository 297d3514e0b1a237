import t from 'tap'
import { randomBytes } from 'node:crypto'
import { AckOutcome } from '../../../protocol/messages/ack'
import { authorizationCodec, type Authorization } from '../../../protocol/messages/authorization'
import { onlineAuthorizationRequestCodec } from '../../../protocol/messages/online-authorization'
import { PaymentMode } from '../../../protocol/messages/transfer-record'
import { Reason } from '../../../protocol/reasons'
import { nodeEd25519 } from '../../../protocol/signature/node'
import { ingestWorld } from './world'

/** The same signed bytes with a corrupted signature: refused, but under the same transfer id. */
function corrupt(authorization: Authorization): Authorization {
  return { ...authorization, signature: Uint8Array.from(authorization.signature, (byte, index) => index === 0 ? byte ^ 1 : byte) }
}

t.test('a double spend\'s proof is the payment that settled, not an earlier copy of it the hub refused', async t => {
  const w = await ingestWorld(t)
  const gateway = await w.addGateway('00000000000000E9')
  const customer = await w.addCustomer(10_000, 10_000)
  const paid = w.pay(customer.phone, gateway, 1_000)
  const corrupted = corrupt(paid)
  gateway.append(corrupted)
  gateway.append(paid)
  customer.phone.forget(customer.voucher)
  gateway.append(w.pay(customer.phone, gateway, 2_000))

  const ack = await w.ingest.ingest(gateway.eui, gateway.batch())
  t.same(ack!.entries.map(entry => [entry.outcome, entry.reason]), [
    [AckOutcome.Rejected, Reason.BadCustomerSignature],
    [AckOutcome.Settled, Reason.None],
    [AckOutcome.Flagged, Reason.None],
  ])
  const proof = w.db.prepare('SELECT first_authorization FROM double_spends').get() as { first_authorization: Buffer }
  const first = authorizationCodec.decode(new Uint8Array(proof.first_authorization))
  t.ok(authorizationCodec.verify(first, customer.phone.keys.publicKey, nodeEd25519), 'the proof is customer-signed')
  t.same(new Uint8Array(proof.first_authorization), authorizationCodec.encode(paid), 'it is the payment that settled')
})

t.test('a refused copy of a payment approved online does not stand in for its record, nor for its proof', async t => {
  const w = await ingestWorld(t)
  const gateway = await w.addGateway('00000000000000EA')
  const customer = await w.addCustomer(10_000, 10_000)
  const paid = w.pay(customer.phone, gateway, 1_000)
  const request = onlineAuthorizationRequestCodec.encode({ correlationId: randomBytes(16), authorization: paid })
  t.equal((await w.ingest.authorizeOnline(gateway.eui, request))!.approved, true)
  const corrupted = corrupt(paid)
  const again = onlineAuthorizationRequestCodec.encode({ correlationId: randomBytes(16), authorization: corrupted })
  const declined = (await w.ingest.authorizeOnline(gateway.eui, again))!
  t.same([declined.approved, declined.reason], [false, Reason.BadCustomerSignature],
    'online, the copy is no retry of the approval')
  gateway.append(corrupted, PaymentMode.Online)
  gateway.append(paid, PaymentMode.Online)
  customer.phone.forget(customer.voucher)
  gateway.append(w.pay(customer.phone, gateway, 2_000))

  const ack = await w.ingest.ingest(gateway.eui, gateway.batch())
  t.same(ack!.entries.map(entry => [entry.outcome, entry.reason]), [
    [AckOutcome.Rejected, Reason.BadCustomerSignature],
    [AckOutcome.Duplicate, Reason.None],
    [AckOutcome.Flagged, Reason.None],
  ], 'the copy is refused, and the record with the customer\'s signature is the payment\'s place in the chain')
  const proof = w.db.prepare('SELECT first_authorization FROM double_spends').get() as { first_authorization: Buffer }
  t.same(new Uint8Array(proof.first_authorization), authorizationCodec.encode(paid), 'the proof is the payment approved online')
  t.equal(await w.balance(gateway.merchantAccountId), 3_000, 'each payment paid once')
})
