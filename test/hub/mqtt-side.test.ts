import t, { type Test } from 'tap'
import { randomBytes } from 'node:crypto'
import { Writable } from 'node:stream'
import pino from 'pino'
import { ackCodec, AckOutcome } from '../../protocol/messages/ack'
import { transferIdOf } from '../../protocol/messages/authorization'
import { onlineAuthorizationRequestCodec, onlineAuthorizationResponseCodec } from '../../protocol/messages/online-authorization'
import { Reason } from '../../protocol/reasons'
import { toHex } from '../../protocol/bytes'
import { nodeEd25519 } from '../../protocol/signature/node'
import { gatewayTopic } from '../../protocol/topics'
import { GatewayStore } from '../../hub/gateways/store'
import { onlineRequestRoute, RecordBatchRoute } from '../../hub/mqtt-side'
import { Refunds } from '../../hub/refunds/refunds'
import { RefundStore } from '../../hub/refunds/store'
import { boundedIngest, holdSettlements, ingestOver, twoGatewaysWithAPayment } from './ingest/bounded-ingest'
import { ingestWorld } from './ingest/world'

function capturedLog() {
  const lines: Array<{ level: number; msg: string; err?: { code?: string } }> = []
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const line of chunk.toString('utf8').split('\n')) if (line !== '') lines.push(JSON.parse(line))
      callback()
    },
  })
  return { lines, log: pino({ level: 'debug' }, sink) }
}

function recordingPublish() {
  const published: Array<{ topic: string; payload: Uint8Array }> = []
  return { published, publish: async (topic: string, payload: Uint8Array | string) => {
    published.push({ topic, payload: typeof payload === 'string' ? Buffer.from(payload) : payload })
  } }
}

t.test('a batch the ingest refuses as QUEUE_FULL is logged and left unacked; sent again, it is acked', async t => {
  const w = await ingestWorld(t)
  const ingest = boundedIngest(t, w, 1)
  const { first, second } = await twoGatewaysWithAPayment(w, '00000000000000C1', '00000000000000C2')
  const { lines, log } = capturedLog()
  const { published, publish } = recordingPublish()
  const route = new RecordBatchRoute(ingest, publish, log)
  const held = holdSettlements(w)

  await route.take(first.eui, first.batch())
  await held.entered()
  await route.take(second.eui, second.batch())
  held.release()
  await route.settled()
  t.same(published.map(message => message.topic), [gatewayTopic(first.eui, 'acks')], 'only the batch that had room is acked')
  t.match(lines.find(line => line.msg.includes('will send it again')), { err: { code: 'QUEUE_FULL' } })

  await route.take(second.eui, second.batch())
  await route.settled()
  t.equal(published.at(-1)!.topic, gatewayTopic(second.eui, 'acks'))
  t.same(ackCodec.decode(published.at(-1)!.payload).entries.map(entry => entry.outcome), [AckOutcome.Settled])
})

t.test('an online request refused as QUEUE_FULL is answered HubUnavailable, signed, at once, and leaves the MQTT message handled', async t => {
  const w = await ingestWorld(t)
  const ingest = boundedIngest(t, w, 1)
  const gateway = await w.addGateway('00000000000000C3')
  const customer = await w.addCustomer(10_000, 9_000)
  gateway.append(w.pay(customer.phone, gateway, 100))
  const { lines, log } = capturedLog()
  const { published, publish } = recordingPublish()
  const gateways = new GatewayStore(w.context.engine)
  const refunds = new Refunds({
    store: new RefundStore(w.context.engine), ledger: w.ledger, clock: w.clock, hubKeys: w.context.hubKeys, ed25519: nodeEd25519,
    gateway: eui => gateways.ingestView(eui),
  })
  const route = onlineRequestRoute({ ingest, refunds }, publish, log)
  const held = holdSettlements(w)

  const running = ingest.ingest(gateway.eui, gateway.batch())
  await held.entered()
  const request = onlineAuthorizationRequestCodec.encode({ correlationId: randomBytes(16), authorization: w.pay(customer.phone, gateway, 50) })
  await route(gateway.eui, request)
  undecidedAnswer(t, published, gateway.eui, request, w.context.hubKeys.publicKey)
  t.match(lines.find(line => line.msg.includes('not decided')), { err: { code: 'QUEUE_FULL' } })
  held.release()
  await running

  await route(gateway.eui, request)
  t.equal(published.length, 2)
  const answer = onlineAuthorizationResponseCodec.decode(published[1]!.payload)
  t.ok(onlineAuthorizationResponseCodec.verify(answer, w.context.hubKeys.publicKey, nodeEd25519))
  t.same([answer.approved, answer.reason], [true, Reason.None], 'asked again, it is decided: approved')
})

t.test('a fault of the hub leaves a batch unacked and logged, the next batch is acked, and an online request is answered HubUnavailable', async t => {
  const w = await ingestWorld(t)
  const { first, second, customer } = await twoGatewaysWithAPayment(w, '00000000000000C4', '00000000000000C5')
  const gateways = new GatewayStore(w.context.engine)
  const ingest = ingestOver(t, w, {
    gateway: async eui => {
      const view = (await gateways.ingestView(eui))!
      return eui === first.eui ? { ...view, merchantAccountId: 'nobody.XOF' } : view
    },
  })
  const { lines, log } = capturedLog()
  const { published, publish } = recordingPublish()
  const route = new RecordBatchRoute(ingest, publish, log)
  await route.take(first.eui, first.batch())
  await route.take(second.eui, second.batch())
  await route.settled()
  t.same(published.map(message => message.topic), [gatewayTopic(second.eui, 'acks')], 'only the batch the hub could settle is acked')
  t.match(lines.find(line => line.msg.includes('will send it again')), { err: { code: 'HUB_FAULT', kind: 'merchant_account' } })

  const refunds = new Refunds({
    store: new RefundStore(w.context.engine), ledger: w.ledger, clock: w.clock, hubKeys: w.context.hubKeys, ed25519: nodeEd25519,
    gateway: eui => gateways.ingestView(eui),
  })
  const online = onlineRequestRoute({ ingest, refunds }, publish, log)
  const payment = w.pay(customer.phone, first, 50)
  const request = onlineAuthorizationRequestCodec.encode({ correlationId: randomBytes(16), authorization: payment })
  await online(first.eui, request)
  t.equal(published.length, 2)
  undecidedAnswer(t, published.slice(1), first.eui, request, w.context.hubKeys.publicKey)
  t.match(lines.find(line => line.msg.includes('a fault of the hub')), { fault: 'merchant_account', err: { code: 'HUB_FAULT' } })
  t.equal(await w.store.finalRefusal(toHex(transferIdOf(payment))), undefined, 'nothing is on file for the payment')
  t.equal(await w.store.refusalForOnline(toHex(transferIdOf(payment))), undefined)
})

t.test('batches settled and waiting for their fsync leave room for the next: eight unsettled at most, 512 unanswered', async t => {
  const { log } = capturedLog()
  const { published, publish } = recordingPublish()
  /** Each batch's ingest, as the test drives it: settled when told, answered when told. */
  const batches: Array<{ settle: () => void; answer: () => void }> = []
  const ingest = {
    ingest: (_eui: string, _payload: Uint8Array, settled?: () => void) => new Promise<null>(resolve => {
      batches.push({ settle: () => settled?.(), answer: () => resolve(null) })
    }),
  }
  const route = new RecordBatchRoute(ingest, publish, log)
  const taken: boolean[] = []
  const take = (index: number) => route.take('00000000000000C9', new Uint8Array([index])).then(() => { taken[index] = true })

  for (let index = 0; index < 7; index++) await take(index)
  const eighth = take(7)
  await new Promise(setImmediate)
  t.notOk(taken[7], 'the eighth unsettled batch waits')
  batches[0]!.settle()
  await eighth
  t.ok(taken[7], 'one settled (its ack still waiting for the disk), the next is taken')
  for (const batch of batches.slice(1)) batch.settle()
  for (let index = 8; index < 511; index++) {
    await take(index)
    batches[index]!.settle()
  }
  const overflow = take(511)
  await new Promise(setImmediate)
  t.notOk(taken[511], 'with 512 batches unanswered, the next waits for an answer')
  batches[0]!.answer()
  await overflow
  t.ok(taken[511])
  for (const batch of batches) {
    batch.settle()
    batch.answer()
  }
  await route.settled()
  t.same(published, [], 'no payload was a batch: nothing to ack')
})

/** The one answer published: to `request`, on the gateway's response topic, signed by the hub, HubUnavailable and not approved. */
function undecidedAnswer(
  t: Test, published: ReadonlyArray<{ topic: string; payload: Uint8Array }>, eui: string, request: Uint8Array, hubPublicKey: Uint8Array,
): void {
  t.same(published.map(message => message.topic), [gatewayTopic(eui, 'online/response')], 'answered at once, no wait for a timeout')
  const answer = onlineAuthorizationResponseCodec.decode(published[0]!.payload)
  t.ok(onlineAuthorizationResponseCodec.verify(answer, hubPublicKey, nodeEd25519), 'signed by the hub')
  const asked = onlineAuthorizationRequestCodec.decode(request)
  t.same(answer.correlationId, asked.correlationId)
  t.same(answer.transferId, transferIdOf(asked.authorization))
  t.same([answer.approved, answer.reason], [false, Reason.HubUnavailable], 'not approved: the hub could not decide, which says nothing of the payment')
}
