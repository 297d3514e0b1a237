import t from 'tap'
import Database from 'better-sqlite3'
import { EventEmitter } from 'node:events'
import { randomBytes } from 'node:crypto'
import type { IClientOptions, MqttClient } from 'mqtt'
import { equalBytes, toHex } from '../../protocol/bytes'
import { ManualClock } from '../../protocol/clock'
import { ackCodec, AckOutcome } from '../../protocol/messages/ack'
import { transferIdOf } from '../../protocol/messages/authorization'
import { chainHeadCodec } from '../../protocol/messages/chain-head'
import {
  onlineAuthorizationRequestCodec, onlineAuthorizationResponseCodec,
} from '../../protocol/messages/online-authorization'
import { checkBatchShape, recordBatchCodec, type RecordBatch } from '../../protocol/messages/record-batch'
import { riskConfigCodec } from '../../protocol/messages/risk-config'
import { PaymentMode } from '../../protocol/messages/transfer-record'
import { Reason } from '../../protocol/reasons'
import type { KeyPair } from '../../protocol/signature/ed25519'
import { nodeEd25519 } from '../../protocol/signature/node'
import { GatewayPasswordVerifier } from '../../hub/mqtt/gateway-password'
import { freshSeenNonces } from '../hub/mqtt/fixtures'
import { TerminalEmitter } from '../../terminal/events'
import type { TerminalStore } from '../../terminal/store/store'
import { reconnectDelay_ms } from '../../protocol/clock'
import { TerminalSync, type SyncReport } from '../../terminal/sync'
import { revocationCatchUpRequestCodec } from '../../protocol/messages/revocation-catch-up'
import { revocationDeltaCodec } from '../../protocol/messages/revocation-delta'
import { revocationListCodec } from '../../protocol/messages/revocation-list'
import { gatewayTopic } from '../../protocol/topics'
import { gatewayPresenceCodec } from '../../protocol/messages/gateway-presence'
import {
  CURRENCY, EUI, HUB, OTHER_HUB, T0, phoneWithVoucher, provisionedStore, signedConfig, signedDelta, signedRevocations,
} from './fixtures'

/** An mqtt.js client stand-in: the test plays the broker and the hub. Presence is kept apart from the traffic. */
class FakeClient extends EventEmitter {
  connected = false
  readonly published: Array<{ topic: string; payload: Uint8Array }> = []
  readonly presences: Array<{ topic: string; payload: Uint8Array; retain: boolean }> = []
  readonly passwords: string[] = []
  /** The last will of each CONNECT, in order. */
  readonly wills: Array<NonNullable<IClientOptions['will']>> = []
  /** While set, every publish but the presence fails, as mqtt.js fails them when its connection is closing. */
  refusePublishes = false
  constructor(readonly options: IClientOptions) {
    super()
    this.passwords.push(String(options.password))
    if (options.will !== undefined) this.wills.push(options.will)
  }
  connectNow(): void {
    this.connected = true
    this.emit('connect', { sessionPresent: false })
  }
  reconnectNow(): void {
    this.emit('reconnect')
    this.passwords.push(String(this.options.password))
    if (this.options.will !== undefined) this.wills.push(this.options.will)
  }
  drop(): void {
    this.connected = false
    this.emit('close')
  }
  async subscribeAsync(): Promise<unknown[]> {
    return []
  }
  private readonly publishWaiters: Array<{ topic: string; resolve: (payload: Uint8Array) => void }> = []
  publish(topic: string, payload: Buffer, options: { retain?: boolean }, callback?: (error?: Error) => void): void {
    if (topic === gatewayTopic(EUI, 'status')) {
      this.presences.push({ topic, payload: new Uint8Array(payload), retain: options.retain === true })
      queueMicrotask(() => callback?.())
      return
    }
    if (this.refusePublishes) {
      queueMicrotask(() => callback?.(new Error('Connection closed')))
      return
    }
    this.published.push({ topic, payload: new Uint8Array(payload) })
    for (const waiter of this.publishWaiters.filter(w => w.topic === topic)) {
      this.publishWaiters.splice(this.publishWaiters.indexOf(waiter), 1)
      waiter.resolve(new Uint8Array(payload))
    }
    queueMicrotask(() => callback?.())
  }
  /** Resolves with the next payload published on `topic`. */
  nextPublish(topic: string): Promise<Uint8Array> {
    return new Promise(resolve => this.publishWaiters.push({ topic, resolve }))
  }
  deliver(topic: string, payload: Uint8Array): void {
    this.emit('message', topic, Buffer.from(payload))
  }
  async endAsync(): Promise<void> {
    this.connected = false
  }
  end(): void {
    this.connected = false
  }
}

function fakeSync(store: TerminalStore, options: Partial<ConstructorParameters<typeof TerminalSync>[0]> = {}) {
  const events = new TerminalEmitter()
  let client: FakeClient | undefined
  const clock = new ManualClock(T0)
  const sync = new TerminalSync({
    store, events, clock, random: n => new Uint8Array(randomBytes(n)), ed25519: nodeEd25519,
    reconnectInitialMs: 20, reconnectMaxMs: 160, ackTimeoutMs: 2_000, onlineTimeoutMs: 200,
    connect: (_url, clientOptions) => {
      client = new FakeClient(clientOptions)
      return client as unknown as MqttClient
    },
    ...options,
  })
  sync.start()
  const errors: string[] = []
  events.on('sync-error', ({ code }) => errors.push(code))
  return { sync, events, client: client!, errors, clock }
}

function payMany(store: TerminalStore, count: number): void {
  const { phone } = phoneWithVoucher({ limitMinor: 10_000_000 })
  for (let i = 0; i < count; i++) {
    const request = { gatewayEui: EUI, amountMinor: 100 + i, currency: CURRENCY, nonce: new Uint8Array(randomBytes(16)), timeMs: T0, merchantName: 'Shop' }
    store.openRequest(request)
    const { voucher, authorization } = phone.authorize(request)
    store.appendPayment({ authorization, voucher, mode: PaymentMode.Offline, nowMs: T0 })
  }
}

function signedAck(batch: RecordBatch, outcome: AckOutcome = AckOutcome.Settled, hub: KeyPair = HUB, eui = EUI): Uint8Array {
  return ackCodec.encode(ackCodec.sign({
    gatewayEui: eui, headSeq: batch.head.gatewaySeq, headHash: batch.head.headHash, timeMs: T0,
    entries: batch.records.map(record => ({ gatewaySeq: record.gatewaySeq, outcome, reason: Reason.None })),
  }, hub.secretKey, nodeEd25519))
}

async function until(condition: () => boolean): Promise<void> {
  // Bounded: the fake answers within a few turns of the event loop.
  for (let turn = 0; turn < 1_000 && !condition(); turn++) await new Promise(resolve => setImmediate(resolve))
  if (!condition()) throw new Error('condition not reached')
}

t.test('every connect, reconnects included, presents a fresh password the hub\'s broker accepts once', async t => {
  const store = provisionedStore(t.testdir())
  const { sync, client } = fakeSync(store)
  t.teardown(async () => { await sync.stop(); store.close() })
  client.reconnectNow()
  client.reconnectNow()
  t.equal(new Set(client.passwords).size, 3, 'three connects, three passwords')
  t.equal(client.options.username, EUI)
  const verifier = new GatewayPasswordVerifier({ ed25519: nodeEd25519, clock: new ManualClock(T0), seenNonces: freshSeenNonces() })
  for (const password of client.passwords) t.same(await verifier.verify(EUI, password, store.keys.publicKey), { ok: true })
  t.same(await verifier.verify(EUI, client.passwords[0]!, store.keys.publicKey), { ok: false, reason: 'REPLAYED' })
})

t.test('each connect sets a last will saying offline, and once the link is up says online, signed and retained, naming that connection', async t => {
  const store = provisionedStore(t.testdir())
  const { sync, client, clock } = fakeSync(store)
  t.teardown(async () => { await sync.stop(); store.close() })
  const presence = (payload: Uint8Array | Buffer | string) => {
    const message = gatewayPresenceCodec.decode(new Uint8Array(Buffer.from(payload)))
    t.ok(gatewayPresenceCodec.verify(message, store.keys.publicKey, nodeEd25519), 'signed by the gateway')
    return { eui: message.gatewayEui, online: message.online, connectedAtMs: message.connectedAtMs }
  }
  const status = gatewayTopic(EUI, 'status')
  t.match(client.wills[0], { topic: status, qos: 1, retain: true })
  t.same(presence(client.wills[0]!.payload), { eui: EUI, online: false, connectedAtMs: T0 })
  client.connectNow()
  await sync.waitOnline(1_000)
  t.same(client.presences.map(p => [p.topic, p.retain]), [[status, true]])
  t.same(presence(client.presences[0]!.payload), { eui: EUI, online: true, connectedAtMs: T0 }, 'online, for the same connection')

  clock.advance(5_000)
  client.drop()
  client.reconnectNow()
  t.same(presence(client.wills[1]!.payload), { eui: EUI, online: false, connectedAtMs: T0 + 5_000 }, 'the next connection has its own will')
  client.connectNow()
  await until(() => client.presences.length === 2)
  t.same(presence(client.presences[1]!.payload), { eui: EUI, online: true, connectedAtMs: T0 + 5_000 })
})

t.test('reconnects back off exponentially up to the bound, and start over once connected', async t => {
  t.same([0, 1, 2, 3, 4, 10].map(failures => reconnectDelay_ms(failures, 20, 160)), [20, 40, 80, 160, 160, 160])
  const store = provisionedStore(t.testdir())
  const { sync, client } = fakeSync(store)
  t.teardown(async () => { await sync.stop(); store.close() })
  const delays: number[] = []
  for (let i = 0; i < 5; i++) {
    client.drop()
    delays.push(client.options.reconnectPeriod!)
  }
  t.same(delays, [20, 40, 80, 160, 160])
  client.connectNow()
  client.drop()
  t.equal(client.options.reconnectPeriod, 20)
})

t.test('uploads bounded batches closed by a chain head the gateway signed over the batch\'s last record', async t => {
  const store = provisionedStore(t.testdir())
  payMany(store, 12)
  const { sync, client, events } = fakeSync(store, { batchRecordsMax: 5, batchesInFlightMax: 2, autoSync: false })
  t.teardown(async () => { await sync.stop(); store.close() })
  client.connectNow()
  await sync.waitOnline(1_000)
  const forwarded: string[] = []
  events.on('records-forwarded', ({ fromSeq, toSeq }) => forwarded.push(`${fromSeq}-${toSeq}`))
  const round = sync.syncNow()
  await until(() => client.published.length === 2)
  t.equal(client.published.length, 2, 'no more than two batches wait for an ack')
  const batches: RecordBatch[] = []
  for (let answered = 0; answered < 3; answered++) {
    await until(() => client.published.length > answered)
    const batch = recordBatchCodec.decode(client.published[answered]!.payload)
    const hashes = checkBatchShape(batch)
    t.ok(chainHeadCodec.verify(batch.head, store.keys.publicKey, nodeEd25519), 'the head is signed by the gateway key')
    t.ok(equalBytes(batch.head.headHash, hashes[hashes.length - 1]!), 'over the hash of the batch\'s last record')
    batches.push(batch)
    client.deliver(store.mqttSettings()!.topics.acks, signedAck(batch))
  }
  const report = await round
  t.same(batches.map(batch => batch.records.map(record => record.gatewaySeq)), [[1, 2, 3, 4, 5], [6, 7, 8, 9, 10], [11, 12]])
  t.same(forwarded, ['1-5', '6-10', '11-12'])
  t.match(report, { batches: 3, recordsSent: 12, settled: 12, pendingLeft: 0, error: null })
})

t.test('a round the store fails is reported as a sync-error with its code and noted, and the next one starts after retryAfterErrorMs', async t => {
  const store = provisionedStore(t.testdir())
  payMany(store, 2)
  const firstPendingSeq = store.firstPendingSeq.bind(store)
  store.firstPendingSeq = () => {
    throw new Database.SqliteError('disk I/O error', 'SQLITE_IOERR')
  }
  const { sync, client, errors, events, clock } = fakeSync(store, { retryAfterErrorMs: 1_000 })
  t.teardown(async () => { await sync.stop(); store.close() })
  const records = store.mqttSettings()!.topics.records
  client.connectNow()
  await until(() => errors.length > 0)
  t.same(errors, ['SYNC_FAILED'])
  t.equal(store.syncState().lastError, 'SYNC_FAILED: SQLITE_IOERR: disk I/O error', 'the round is noted with what ended it')

  store.firstPendingSeq = firstPendingSeq
  clock.advance(999)
  for (let turn = 0; turn < 10; turn++) await new Promise(resolve => setImmediate(resolve))
  t.equal(client.published.filter(p => p.topic === records).length, 0, 'no round before the retry is due')
  clock.advance(1)
  await until(() => client.published.some(p => p.topic === records))
  const acked = events.next('records-acked')
  client.deliver(store.mqttSettings()!.topics.acks, signedAck(recordBatchCodec.decode(client.published.find(p => p.topic === records)!.payload)))
  t.match((await acked)[0], { headSeq: 2, settled: 2 })
  t.equal(store.firstPendingSeq(), undefined)
})

t.test('a batch the client fails to publish ends the round at once, not at the ack timeout, and the next round sends it again', async t => {
  const store = provisionedStore(t.testdir())
  payMany(store, 3)
  const { sync, client, errors, events, clock } = fakeSync(store, { autoSync: false, ackTimeoutMs: 20_000, retryAfterErrorMs: 500 })
  t.teardown(async () => { await sync.stop(); store.close() })
  client.connectNow()
  await sync.waitOnline(1_000)
  const forwarded: number[] = []
  events.on('records-forwarded', ({ count }) => forwarded.push(count))
  client.refusePublishes = true
  let report: SyncReport | undefined
  void sync.syncNow().then(ended => { report = ended })
  await until(() => report !== undefined)
  t.match(report, { batches: 1, recordsSent: 3, settled: 0, pendingLeft: 3, error: { code: 'PUBLISH_FAILED' } })
  t.same(errors, ['PUBLISH_FAILED'])
  t.equal(clock.now_ms(), T0, 'with no time gone by')
  t.same(forwarded, [], 'nothing was handed to the broker')

  client.refusePublishes = false
  const round = sync.syncNow()
  await until(() => client.published.length === 1)
  client.deliver(store.mqttSettings()!.topics.acks, signedAck(recordBatchCodec.decode(client.published[0]!.payload)))
  t.match(await round, { recordsSent: 3, settled: 3, pendingLeft: 0, error: null })
  t.same(forwarded, [3])
})

t.test('with autoSync, a round ended by a failed publish is tried again after retryAfterErrorMs', async t => {
  const store = provisionedStore(t.testdir())
  payMany(store, 1)
  const { sync, client, errors, clock } = fakeSync(store, { ackTimeoutMs: 20_000, retryAfterErrorMs: 500 })
  t.teardown(async () => { await sync.stop(); store.close() })
  const records = store.mqttSettings()!.topics.records
  client.refusePublishes = true
  client.connectNow()
  await until(() => errors.length > 0)
  t.same(errors, ['PUBLISH_FAILED'], 'the round the link coming up started ended at once')
  client.refusePublishes = false
  clock.advance(500)
  await until(() => client.published.some(p => p.topic === records))
  t.same(errors, ['PUBLISH_FAILED'])
})

t.test('acks signed by another hub, for another gateway or unreadable are ignored', async t => {
  const store = provisionedStore(t.testdir())
  payMany(store, 2)
  const { sync, client, errors, clock } = fakeSync(store, { autoSync: false, ackTimeoutMs: 300 })
  t.teardown(async () => { await sync.stop(); store.close() })
  client.connectNow()
  await sync.waitOnline(1_000)
  const round = sync.syncNow()
  await until(() => client.published.length === 1)
  const batch = recordBatchCodec.decode(client.published[0]!.payload)
  const acks = store.mqttSettings()!.topics.acks
  client.deliver(acks, signedAck(batch, AckOutcome.Settled, OTHER_HUB))
  client.deliver(acks, signedAck(batch, AckOutcome.Settled, HUB, '70B3D57ED00000A2'))
  client.deliver(acks, new Uint8Array([7, 1, 2, 3]))
  clock.advance(300)
  const report = await round
  t.equal(report.error?.code, 'ACK_TIMEOUT', 'no acceptable ack came')
  t.same(errors.filter(code => code === 'ACK_REFUSED').length, 3)
  t.equal(store.firstPendingSeq(), 1, 'every record is still pending')
})

t.test('a newer signed RiskConfig and revocation list are applied; older or foreign ones are not', async t => {
  const store = provisionedStore(t.testdir())
  const { sync, client, errors, events } = fakeSync(store)
  t.teardown(async () => { await sync.stop(); store.close() })
  const applied: number[] = []
  events.on('risk-config', ({ serial }) => applied.push(serial))
  const topics = store.mqttSettings()!.topics
  client.deliver(topics.config, riskConfigCodec.encode(signedConfig({ serial: 5, floorLimitMinor: 9_000 }, OTHER_HUB)))
  client.deliver(topics.config, riskConfigCodec.encode(signedConfig({ serial: 3, floorLimitMinor: 7_000 })))
  client.deliver(topics.config, riskConfigCodec.encode(signedConfig({ serial: 2, floorLimitMinor: 8_000 })))
  t.same(applied, [3])
  t.equal(store.riskConfig()!.floorLimitMinor, 7_000)
  t.same(errors, ['CONFIG_REFUSED'], 'the forged one is reported, the stale one silently skipped')
})

const voucherId = (n: number) => new Uint8Array(16).fill(n)
const delta = (serial: number, added: number[], removed: number[] = []) =>
  revocationDeltaCodec.encode(signedDelta(serial, added.map(voucherId), removed.map(voucherId)))

t.test('revocation deltas apply in order; after a gap the gateway asks on its own topic, and the answer completes the set', async t => {
  const store = provisionedStore(t.testdir())
  const { sync, client, errors, events } = fakeSync(store, { autoSync: false })
  t.teardown(async () => { await sync.stop(); store.close() })
  client.connectNow()
  await sync.waitOnline(1_000)
  const heard: Array<[number, number]> = []
  events.on('revocations', ({ serial, count }) => heard.push([serial, count]))
  const topics = store.mqttSettings()!.topics
  const catchUp = gatewayTopic(EUI, 'revocations/catch-up')

  client.deliver(topics.revocations, delta(1, [1, 2]))
  t.same(heard, [[1, 2]])
  const asked = client.nextPublish(gatewayTopic(EUI, 'revocations/request'))
  client.deliver(topics.revocations, delta(3, [3]))
  t.same(revocationCatchUpRequestCodec.decode(await asked), { gatewayEui: EUI, serial: 1 }, 'serial 3 follows 2: the gateway asks from 1')
  t.notOk(store.isRevoked(voucherId(3)), 'a delta after a gap is not applied')
  client.deliver(topics.revocations, delta(4, [4]))
  t.equal(client.published.filter(p => p.topic === gatewayTopic(EUI, 'revocations/request')).length, 1, 'one catch-up outstanding at a time')

  // The hub answers with the deltas since serial 1.
  for (const serial of [2, 3, 4]) client.deliver(catchUp, delta(serial, [serial + 10], serial === 2 ? [1] : []))
  t.same(heard.map(([serial]) => serial), [1, 2, 3, 4])
  t.same(store.revocations.state().serial, 4)
  t.same([1, 2, 12, 13, 14].map(n => store.isRevoked(voucherId(n))), [false, true, true, true, true])
  t.same(errors, [])
})

t.test('a gateway far behind takes the whole list from a catch-up, and asks again at the next interval while still behind', async t => {
  const store = provisionedStore(t.testdir())
  const { sync, client, events, clock } = fakeSync(store, { autoSync: false, revocationCatchUpIntervalMs: 10 })
  t.teardown(async () => { await sync.stop(); store.close() })
  client.connectNow()
  await sync.waitOnline(1_000)
  const requests = gatewayTopic(EUI, 'revocations/request')
  const first = client.nextPublish(requests)
  client.deliver(store.mqttSettings()!.topics.revocations, delta(40, [7]))
  t.equal(revocationCatchUpRequestCodec.decode(await first).serial, 0)
  // No answer came (a hub away): the next interval asks again.
  const again = client.nextPublish(requests)
  clock.advance(10)
  t.equal(revocationCatchUpRequestCodec.decode(await again).serial, 0)

  const applied = events.next('revocations')
  client.deliver(gatewayTopic(EUI, 'revocations/catch-up'), revocationListCodec.encode(signedRevocations(40, [voucherId(5), voucherId(7)])))
  t.same((await applied)[0], { serial: 40, count: 2 })
  t.ok(store.isRevoked(voucherId(5)) && store.isRevoked(voucherId(7)))
})

t.test('a forged, malformed or replayed revocation message changes nothing', async t => {
  const store = provisionedStore(t.testdir())
  const { sync, client, errors } = fakeSync(store, { autoSync: false })
  t.teardown(async () => { await sync.stop(); store.close() })
  client.connectNow()
  await sync.waitOnline(1_000)
  const topic = store.mqttSettings()!.topics.revocations
  client.deliver(topic, revocationDeltaCodec.encode(signedDelta(1, [voucherId(1)], [], OTHER_HUB)))
  client.deliver(topic, revocationListCodec.encode(signedRevocations(1, [voucherId(1)], OTHER_HUB)))
  client.deliver(topic, Uint8Array.from([0x13, 1, 0, 0]))
  t.notOk(store.isRevoked(voucherId(1)))
  t.same(errors, ['REVOCATIONS_REFUSED', 'REVOCATIONS_REFUSED', 'REVOCATIONS_REFUSED'], 'each is reported')
  const tampered = signedDelta(1, [voucherId(1)])
  client.deliver(topic, revocationDeltaCodec.encode({ ...tampered, removed: [voucherId(2)] }))
  t.equal(store.revocations.state().serial, 0, 'a delta changed after signing is refused')
  client.deliver(topic, delta(1, [1]))
  client.deliver(topic, delta(1, [1]))
  client.deliver(topic, delta(2, [2], [1]))
  client.deliver(topic, delta(1, [1]))
  t.equal(errors.length, 4, 'a replay of an older delta is stale: silently skipped')
  t.notOk(store.isRevoked(voucherId(1)), 'a replayed delta does not bring back what a later one removed')
  t.equal(store.revocations.state().serial, 2)
})

t.test('an online authorization is answered only by a hub-signed response about the same payment', async t => {
  const store = provisionedStore(t.testdir())
  const { sync, client, clock } = fakeSync(store, { autoSync: false })
  t.teardown(async () => { await sync.stop(); store.close() })
  const { phone } = phoneWithVoucher()
  const { authorization } = phone.authorize({ gatewayEui: EUI, amountMinor: 500, currency: CURRENCY, nonce: new Uint8Array(16), timeMs: T0, merchantName: 'S' })
  t.equal(await sync.authorize(authorization), 'unreachable', 'with the link down, at once')
  client.connectNow()
  await sync.waitOnline(1_000)
  const topics = store.mqttSettings()!.topics
  const answer = (transferId: Uint8Array, hub: KeyPair, correlationId: Uint8Array) => onlineAuthorizationResponseCodec.encode(
    onlineAuthorizationResponseCodec.sign({ correlationId, transferId, approved: true, reason: Reason.None, timeMs: T0 }, hub.secretKey, nodeEd25519))

  const first = sync.authorize(authorization)
  await until(() => client.published.length === 1)
  const request = onlineAuthorizationRequestCodec.decode(client.published[0]!.payload)
  t.equal(client.published[0]!.topic, topics.onlineRequest)
  client.deliver(topics.onlineResponse, answer(new Uint8Array(32), HUB, request.correlationId))
  client.deliver(topics.onlineResponse, answer(transferIdOf(authorization), OTHER_HUB, request.correlationId))
  clock.advance(200)
  t.equal(await first, 'unreachable', 'a response about another payment or from another key is no answer')

  const second = sync.authorize(authorization)
  await until(() => client.published.length === 2)
  const asked = onlineAuthorizationRequestCodec.decode(client.published[1]!.payload)
  t.not(toHex(asked.correlationId), toHex(request.correlationId), 'each question has its own correlation id')
  client.deliver(topics.onlineResponse, answer(transferIdOf(authorization), HUB, asked.correlationId))
  t.same(await second, { approved: true, reason: Reason.None })
})

t.test('a hub that could not decide an online authorization (HubUnavailable) is no answer, at once, not at the timeout', async t => {
  const store = provisionedStore(t.testdir())
  const { sync, client } = fakeSync(store, { autoSync: false })
  t.teardown(async () => { await sync.stop(); store.close() })
  const { phone } = phoneWithVoucher()
  const { authorization } = phone.authorize({ gatewayEui: EUI, amountMinor: 500, currency: CURRENCY, nonce: new Uint8Array(16), timeMs: T0, merchantName: 'S' })
  client.connectNow()
  await sync.waitOnline(1_000)
  const topics = store.mqttSettings()!.topics
  const answer = (correlationId: Uint8Array, approved: boolean, reason: Reason) => onlineAuthorizationResponseCodec.encode(
    onlineAuthorizationResponseCodec.sign({ correlationId, transferId: transferIdOf(authorization), approved, reason, timeMs: T0 }, HUB.secretKey, nodeEd25519))

  const undecided = sync.authorize(authorization)
  await until(() => client.published.length === 1)
  const request = onlineAuthorizationRequestCodec.decode(client.published[0]!.payload)
  // The fake clock never moves: only the answer can end this wait.
  client.deliver(topics.onlineResponse, answer(request.correlationId, false, Reason.HubUnavailable))
  t.equal(await undecided, 'unreachable', 'taken as no answer: the payment may go offline or is declined, as the mode says')

  const declined = sync.authorize(authorization)
  await until(() => client.published.length === 2)
  const again = onlineAuthorizationRequestCodec.decode(client.published[1]!.payload)
  client.deliver(topics.onlineResponse, answer(again.correlationId, false, Reason.InsufficientFunds))
  t.same(await declined, { approved: false, reason: Reason.InsufficientFunds }, 'a refusal is a decision')
})
