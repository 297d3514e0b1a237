import t from 'tap'
import { chmodSync, statSync } from 'node:fs'
import { randomBytes } from 'node:crypto'
import { equalBytes } from '../../protocol/bytes'
import { CHAIN_START, verifyChainSegment } from '../../protocol/chain'
import { AckOutcome } from '../../protocol/messages/ack'
import { authorizationCodec, transferIdOf } from '../../protocol/messages/authorization'
import { riskConfigCodec, type RiskConfig } from '../../protocol/messages/risk-config'
import { PaymentMode, transferRecordCodec } from '../../protocol/messages/transfer-record'
import { Reason } from '../../protocol/reasons'
import { nodeEd25519 } from '../../protocol/signature/node'
import { judgeRiskConfig } from '../../terminal/hub-messages'
import { openDatabase } from '../../terminal/store/database'
import { createKeyFile } from '../../terminal/store/key-file'
import { MIGRATIONS } from '../../terminal/store/migrations'
import { dataFiles, TerminalStore } from '../../terminal/store/store'
import {
  CURRENCY, EUI, HUB, OTHER_HUB, T0, phoneWithVoucher, provisionedStore, signedConfig,
} from './fixtures'

/** Opens a request and has the phone answer it; the caller appends (or not). */
function answered(store: TerminalStore, phone: ReturnType<typeof phoneWithVoucher>['phone'], amount_minor: number, time_ms = T0) {
  const request = { gatewayEui: EUI, amountMinor: amount_minor, currency: CURRENCY, nonce: new Uint8Array(randomBytes(16)), timeMs: time_ms, merchantName: 'Shop' }
  store.openRequest(request)
  return phone.authorize(request)
}

function pay(store: TerminalStore, phone: ReturnType<typeof phoneWithVoucher>['phone'], amount_minor: number) {
  const { voucher, authorization } = answered(store, phone, amount_minor)
  return store.appendPayment({ authorization, voucher, mode: PaymentMode.Offline, nowMs: T0 })
}

function chainOf(store: TerminalStore) {
  return store.recordsFrom(1, 10_000).map(record => transferRecordCodec.decode(record.record))
}

t.test('a record survives closing and reopening the store, byte for byte', async t => {
  const dir = t.testdir()
  const { phone } = phoneWithVoucher()
  let store = provisionedStore(dir)
  const first = pay(store, phone, 1_000)
  const second = pay(store, phone, 2_500)
  const head = store.chainHead()
  store.close()

  store = TerminalStore.open(dir)
  t.teardown(() => store.close())
  t.same(store.record(1), first)
  t.same(store.record(2), second)
  t.same(store.chainHead(), head)
  t.equal(second.status, 'pending')
  t.ok(equalBytes(second.transferId, transferIdOf(transferRecordCodec.decode(second.record).authorization)))
  t.same(store.voucherSeen(second.voucherId), { highestSeq: 2, cumulativeMinor: 3_500, consecutiveOffline: 2 })
  const { position } = verifyChainSegment(CHAIN_START, chainOf(store))
  t.same(position, head, 'the stored chain verifies up to the stored head')
})

t.test('a power loss inside the append transaction leaves no half record and a gapless chain', async t => {
  const dir = t.testdir()
  const { phone } = phoneWithVoucher()
  let store = provisionedStore(dir)
  pay(store, phone, 1_000)
  const headBefore = store.chainHead()

  // The power fails after the record row is written and before the chain head moves.
  store.db.exec(`CREATE TEMP TRIGGER power_loss BEFORE UPDATE ON chain_head BEGIN SELECT RAISE(ABORT, 'power loss'); END`)
  const { voucher, authorization } = answered(store, phone, 2_000)
  t.throws(() => store.appendPayment({ authorization, voucher, mode: PaymentMode.Offline, nowMs: T0 }), /power loss/)
  store.close()

  store = TerminalStore.open(dir)
  t.teardown(() => store.close())
  t.equal(store.record(2), undefined, 'no record 2')
  t.same(store.chainHead(), headBefore, 'the head did not move')
  t.same(store.voucherSeen(voucher.voucherId), { highestSeq: 1, cumulativeMinor: 1_000, consecutiveOffline: 1 }, 'nor the voucher state')
  t.ok(store.isRequestOpen(authorization.nonce), 'the request is still open: the payment was never approved')

  const retried = store.appendPayment({ authorization, voucher, mode: PaymentMode.Offline, nowMs: T0 })
  t.equal(retried.gatewaySeq, 2, 'the next record takes the next sequence number')
  pay(store, phone, 500)
  const chain = chainOf(store)
  t.same(chain.map(record => record.gatewaySeq), [1, 2, 3])
  t.same(verifyChainSegment(CHAIN_START, chain).position, store.chainHead())
})

t.test('the database itself refuses a record that does not continue the chain head', async t => {
  const store = provisionedStore(t.testdir())
  t.teardown(() => store.close())
  const { phone } = phoneWithVoucher()
  const record = pay(store, phone, 1_000)
  const insert = store.db.prepare(`INSERT INTO records (gateway_seq, previous_hash, record_hash, record, transfer_id, voucher_id,
    voucher_seq, amount_minor, currency, mode, time_ms) VALUES (?, ?, ?, ?, ?, ?, 1, 1, 'XOF', 'offline', 0)`)
  const bytes = (n: number) => Buffer.alloc(n, 7)
  t.throws(() => insert.run(3, Buffer.from(record.recordHash), bytes(32), bytes(10), bytes(32), bytes(16)), /CHAIN_POSITION/, 'a gap')
  t.throws(() => insert.run(2, bytes(32), bytes(32), bytes(10), bytes(32), bytes(16)), /CHAIN_POSITION/, 'a fork')
  t.throws(() => store.db.prepare('UPDATE records SET amount_minor = 1 WHERE gateway_seq = 1').run(), /immutable/)
  t.throws(() => store.db.prepare('DELETE FROM records WHERE gateway_seq = 1').run(), /deleted only once rejected, or acked and proved/, 'a pending record stays')
})

t.test('an answer is recorded once: its request nonce is consumed with the record', async t => {
  const store = provisionedStore(t.testdir())
  t.teardown(() => store.close())
  const { phone } = phoneWithVoucher()
  const { voucher, authorization } = answered(store, phone, 1_000)
  store.appendPayment({ authorization, voucher, mode: PaymentMode.Offline, nowMs: T0 })
  t.throws(() => store.appendPayment({ authorization, voucher, mode: PaymentMode.Offline, nowMs: T0 }),
    { name: 'TerminalError', code: 'NONCE_NOT_OPEN' })
  t.equal(store.chainHead().gatewaySeq, 1)
})

t.test('acks move pending records once; exposure counts only unacked offline records', async t => {
  const store = provisionedStore(t.testdir())
  t.teardown(() => store.close())
  const { phone } = phoneWithVoucher()
  for (const amount of [1_000, 2_000, 3_000]) pay(store, phone, amount)
  t.same(store.exposure(CURRENCY), { unsyncedCount: 3, unsyncedTotalMinor: 6_000, oldestUnsyncedTimeMs: T0 })
  const ack = {
    gatewayEui: EUI, headSeq: 3, headHash: store.record(3)!.recordHash, timeMs: T0, entries: [
      { gatewaySeq: 1, outcome: AckOutcome.Settled, reason: Reason.None },
      { gatewaySeq: 2, outcome: AckOutcome.Rejected, reason: Reason.InsufficientFunds },
    ],
  }
  t.match(store.applyAck(ack, T0 + 1), { updated: 2, settled: 1, rejected: 1, ignored: 0 })
  t.match(store.applyAck(ack, T0 + 2), { updated: 0, ignored: 2 }, 'a redelivered ack changes nothing')
  t.match(store.applyAck({ ...ack, entries: [{ gatewaySeq: 3, outcome: AckOutcome.Settled, reason: Reason.None }], headHash: new Uint8Array(32) }, T0 + 2),
    { updated: 0, ignored: 1, otherChain: true }, 'an ack of another chain, whose head is not this chain\'s record, is not applied')
  t.match(store.record(3), { status: 'pending' })
  t.match(store.applyAck({ ...ack, headSeq: 4 }, T0 + 2), { updated: 0, otherChain: true }, 'nor one whose head this chain has not reached')
  t.match(store.record(1), { status: 'acked', ackOutcome: 'settled', ackedAtMs: T0 + 1, prunable: false })
  t.match(store.record(2), { status: 'rejected', ackOutcome: 'rejected', ackReason: Reason.InsufficientFunds })
  t.equal(store.firstPendingSeq(), 3)
  t.same(store.exposure(CURRENCY), { unsyncedCount: 1, unsyncedTotalMinor: 3_000, oldestUnsyncedTimeMs: T0 })
  t.equal(store.syncState().lastAckAtMs, T0 + 1)
})

t.test('only a higher serial, signed by the pinned hub for this gateway, replaces the RiskConfig', async t => {
  const store = provisionedStore(t.testdir())
  t.teardown(() => store.close())
  const trust = { hubPublicKey: HUB.publicKey, eui: EUI, ed25519: nodeEd25519 }
  const encode = (config: RiskConfig) => riskConfigCodec.encode(config)
  t.match(judgeRiskConfig(encode(signedConfig({ serial: 2 }, OTHER_HUB)), trust, 1), { accepted: false, refusal: 'bad-signature' })
  t.match(judgeRiskConfig(encode(signedConfig({ serial: 2, gatewayEui: '70B3D57ED00000A2' })), trust, 1), { accepted: false, refusal: 'foreign' })
  t.match(judgeRiskConfig(encode(signedConfig({ serial: 1 })), trust, 1), { accepted: false, refusal: 'stale' })
  t.match(judgeRiskConfig(new Uint8Array([9, 1, 0]), trust, 1), { accepted: false, refusal: 'malformed' })
  const newer = judgeRiskConfig(encode(signedConfig({ serial: 2, floorLimitMinor: 10_000 })), trust, 1)
  t.ok(newer.accepted)
  if (newer.accepted) t.ok(store.saveRiskConfig(newer.value, T0))
  t.notOk(store.saveRiskConfig(signedConfig({ serial: 1, floorLimitMinor: 99 }), T0), 'the store refuses an older one too')
  t.equal(store.riskConfig()!.floorLimitMinor, 10_000)
})

t.test('the key file is the owner\'s alone, and a store will not open with an exposed or foreign key', async t => {
  const dir = t.testdir()
  const store = provisionedStore(dir)
  store.close()
  const { keyFile } = dataFiles(dir)
  t.equal(statSync(keyFile).mode & 0o777, 0o600)
  chmodSync(keyFile, 0o644)
  t.throws(() => TerminalStore.open(dir), { name: 'TerminalError', code: 'KEY_FILE_EXPOSED' })
  chmodSync(keyFile, 0o600)
  TerminalStore.open(dir).close()
  t.throws(() => TerminalStore.init(dir, EUI, randomBytes(32), T0), { name: 'TerminalError', code: 'ALREADY_INITIALIZED' })
  t.throws(() => TerminalStore.open(t.testdir()), { name: 'TerminalError', code: 'NOT_INITIALIZED' })
})

t.test('the authorization a record carries is the phone\'s, signature included', async t => {
  const store = provisionedStore(t.testdir())
  t.teardown(() => store.close())
  const { phone, voucher } = phoneWithVoucher()
  const record = transferRecordCodec.decode(pay(store, phone, 1_234).record)
  t.ok(authorizationCodec.verify(record.authorization, voucher.devicePublicKey, nodeEd25519))
})

t.test('the file is opened durable (WAL, synchronous=FULL) with a page cache sized for a Pi', async t => {
  const store = provisionedStore(t.testdir())
  t.teardown(() => store.close())
  t.equal(store.db.pragma('journal_mode', { simple: true }), 'wal')
  t.equal(store.db.pragma('synchronous', { simple: true }), 2)
  t.equal(store.db.pragma('cache_size', { simple: true }), -512, '512 KiB, not the default 2 MiB')
})

t.test('opening a request never forgets that request, even when eight others share its millisecond; the oldest go', async t => {
  const store = provisionedStore(t.testdir())
  t.teardown(() => store.close())
  const request = (nonce: Uint8Array, time_ms = T0) => ({ gatewayEui: EUI, amountMinor: 100, currency: CURRENCY, nonce, timeMs: time_ms, merchantName: 'Shop' })
  // Nonces that sort last: ranked by nonce among equal times, the new one would be the first dropped.
  const high = (n: number) => Uint8Array.from({ length: 16 }, (_, i) => (i === 0 ? 0xf0 + n : 0xff))
  const older = new Uint8Array(16).fill(1)
  store.openRequest(request(older, T0 - 1))
  for (let n = 0; n < 8; n++) store.openRequest(request(high(n)))
  const latest = new Uint8Array(16).fill(0xfe)
  store.openRequest(request(latest))
  t.ok(store.isRequestOpen(latest), 'the request just opened is open')
  t.notOk(store.isRequestOpen(older), 'the oldest was forgotten')
  t.equal([older, latest, ...Array.from({ length: 8 }, (_, n) => high(n))].filter(nonce => store.isRequestOpen(nonce)).length, 8,
    'eight stay open in all')
})

t.test('a gateway provisioned before TLS keeps its hub and broker, with no certificate pinned: plain MQTT as before', async t => {
  const dir = t.testdir()
  const files = dataFiles(dir)
  const seed = randomBytes(32)
  createKeyFile(files.keyFile, seed)
  const before = openDatabase(files.database, MIGRATIONS.slice(0, 6))
  before.prepare('INSERT INTO identity (id, eui, public_key, created_at_ms) VALUES (1, ?, ?, ?)')
    .run(EUI, Buffer.from(nodeEd25519.keyPairFromSeed(seed).publicKey), T0)
  before.prepare('INSERT INTO hub (id, url, gateway_id, public_key, provisioned_at_ms) VALUES (1, ?, ?, ?, ?)')
    .run('http://hub.example:3001', 'gw-1', Buffer.from(HUB.publicKey), T0)
  before.prepare('INSERT INTO mqtt_settings (id, url, topics_json) VALUES (1, ?, ?)').run('mqtt://hub.example:1883', '{"records":"r"}')
  before.close()

  const store = TerminalStore.open(dir)
  t.teardown(() => store.close())
  t.same(store.hubPin(), { url: 'http://hub.example:3001', gatewayId: 'gw-1', publicKey: HUB.publicKey, provisionedAtMs: T0 })
  t.notOk('certificate' in store.hubPin()!)
  t.same(store.mqttSettings(), { url: 'mqtt://hub.example:1883', topics: { records: 'r' } })
  t.notOk('certificate' in store.mqttSettings()!)
  t.throws(() => store.db.prepare("UPDATE hub SET certificate = 'not a PEM'").run(), /CHECK constraint failed/, 'only a PEM certificate is pinned')
})
