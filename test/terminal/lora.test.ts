import t, { type Test } from 'tap'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { LoraError, type LoraDownlink, type LoraJoinSettings, type LoraModem } from '../../hardware/lora/modem'
import { commitmentFrameCodec } from '../../protocol/messages/commitment-frame'
import { LoraRevocationKind, fragmentMessage, loraRevocationBodies, loraRevocationCodec } from '../../protocol/messages/lora-revocation'
import { canonicalVoucherIds } from '../../protocol/messages/revocation-list'
import { nodeEd25519 } from '../../protocol/signature/node'
import { revocationFragments } from '../../hub/lora/downlinks'
import { TerminalEmitter } from '../../terminal/events'
import { LoraReporter } from '../../terminal/lora'
import { DATABASE_FILE, TerminalStore } from '../../terminal/store/store'
import { ManualClock } from '../../protocol/clock'
import {
  CURRENCY, HUB, OTHER_HUB, counterTerminal, phoneLink, phoneWithVoucher, provisionedStore, signedRevocations, T0,
} from './fixtures'

const INTERVAL_MS = 10 * 60_000

class FakeModem implements LoraModem {
  readonly model = 'rak3172' as const
  joined = true
  readonly joins: LoraJoinSettings[] = []
  readonly sent: Array<{ port: number; payload: Uint8Array }> = []
  failNext: LoraError | undefined
  private readonly listeners = new Set<(downlink: LoraDownlink) => void>()

  async version(): Promise<string> {
    return 'RUI_4.0.6_RAK3172-E'
  }
  async join(settings: LoraJoinSettings): Promise<void> {
    this.joins.push(settings)
    this.joined = true
  }
  maxPayloadBytes(): number {
    return 51
  }
  async send(port: number, payload: Uint8Array): Promise<void> {
    if (!this.joined) throw new LoraError('NOT_JOINED', 'join before sending')
    const failure = this.failNext
    this.failNext = undefined
    if (failure !== undefined) throw failure
    if (payload.length > 51) throw new LoraError('PAYLOAD_TOO_LARGE', `${payload.length} bytes`)
    this.sent.push({ port, payload })
  }
  onDownlink(listener: (downlink: LoraDownlink) => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }
  deliver(port: number, payload: Uint8Array): void {
    for (const listener of this.listeners) listener({ port, payload, rssi: -110, snr: -4 })
  }
  get listening(): number {
    return this.listeners.size
  }
  async close(): Promise<void> {}
}

/** A reporter on a provisioned store; given `dir`, the store there (made if none is). */
function world(t: Test, online = false, dir?: string, joinSettings?: LoraJoinSettings) {
  const store = dir !== undefined && existsSync(join(dir, DATABASE_FILE)) ? TerminalStore.open(dir) : provisionedStore(dir ?? t.testdir())
  t.teardown(() => store.close())
  const events = new TerminalEmitter()
  const modem = new FakeModem()
  const clock = new ManualClock(T0)
  const reporter = new LoraReporter({
    store, events, modem, clock, ed25519: nodeEd25519, online, ...(joinSettings !== undefined && { join: joinSettings }),
    settings: { interval_ms: INTERVAL_MS, uplinkPort: 10, downlinkPort: 11 },
  })
  reporter.start()
  t.teardown(() => reporter.stop())
  const errors: string[] = []
  events.on('sync-error', ({ code }) => errors.push(code))
  return { store, events, modem, clock, reporter, errors }
}

t.test('sends a commitment frame at the interval only while the IP link is down', async t => {
  const w = world(t, true)
  t.equal(w.clock.pendingTimers, 0, 'online: no LoRa reports')
  w.events.emit('link', { online: false, atMs: T0 })
  t.equal(w.clock.pendingTimers, 1, 'offline: one timer')
  await w.clock.run(INTERVAL_MS - 1)
  t.equal(w.modem.sent.length, 0, 'nothing before the first interval has passed')

  const reported = w.events.next('lora-report')
  await w.clock.run(1)
  await reported
  t.equal(w.modem.sent.length, 1)
  t.equal(w.modem.sent[0]!.port, 10)
  t.ok(w.modem.sent[0]!.payload.length <= 51, 'fits EU868 DR0')

  w.events.emit('link', { online: true, atMs: T0 + 1 })
  t.equal(w.clock.pendingTimers, 0, 'back online: the timer is gone')
  await w.clock.run(INTERVAL_MS)
  t.equal(w.modem.sent.length, 1, 'no report while online')
  w.events.emit('link', { online: false, atMs: T0 + 2 })
  w.events.emit('link', { online: false, atMs: T0 + 3 })
  t.equal(w.clock.pendingTimers, 1, 'one timer however many times the link is reported down')
  await w.reporter.stop()
  t.equal(w.clock.pendingTimers, 0)
  t.equal(w.modem.listening, 0, 'stop lets go of the modem')
})

t.test('the frame says what the gateway holds: head, unsynced offline count and amount', async t => {
  const w = world(t)
  const { phone } = phoneWithVoucher()
  const counter = counterTerminal(w.store, phoneLink(phone), { clock: w.clock })
  for (const amount of [1_200, 800]) t.equal((await counter.terminal.take(amount)).kind, 'approved')
  const reported = w.events.next('lora-report')
  await w.clock.run(INTERVAL_MS)
  t.same((await reported)[0], { gatewaySeq: 2, unsyncedCount: 2, unsyncedAmountMinor: 2_000 })
  const frame = commitmentFrameCodec.decode(w.modem.sent[0]!.payload)
  const head = w.store.chainHead()
  t.same(frame, {
    gatewaySeq: 2, unsyncedCount: 2, unsyncedAmountMinor: 2_000, currency: CURRENCY, headPrefix: head.hash.slice(0, 16),
    timeS: (T0 + INTERVAL_MS) / 1000,
  })
})

t.test('a modem error is reported as a sync error, and the next interval tries again', async t => {
  const w = world(t)
  w.modem.failNext = new LoraError('NOT_JOINED', 'AT_NO_NETWORK_JOINED')
  await w.clock.run(INTERVAL_MS)
  await w.reporter.idle()
  t.same(w.errors, ['LORA_NOT_JOINED'])
  t.equal(w.modem.sent.length, 0)
  await w.clock.run(INTERVAL_MS)
  await w.reporter.idle()
  t.equal(w.modem.sent.length, 1)
})

/** What the hub's LoRa path queues for what delta `serial` added: signed messages of 16 ids, in fragments of at most 51 bytes. */
function addedFragments(serial: number, ids: Uint8Array[], hub = HUB): Uint8Array[] {
  return loraRevocationBodies(LoraRevocationKind.Added, serial, canonicalVoucherIds(ids))
    .flatMap(body => revocationFragments(body, hub, nodeEd25519))
}

t.test('a modem that lost its session is joined again before the next report, when the reporter knows how', async t => {
  // Fault simulation seed radio.2: a stray AT_NO_NETWORK_JOINED ended the session in the driver,
  // and every report after it failed NOT_JOINED until the terminal restarted.
  const settings: LoraJoinSettings = { region: 'EU868', devEui: '70B3D57ED0051A2B', appEui: '0000000000000001', appKey: '2B7E151628AED2A6ABF7158809CF4F3C' }
  const w = world(t, false, undefined, settings)
  w.modem.joined = false
  await w.clock.run(INTERVAL_MS)
  await w.reporter.idle()
  t.same(w.modem.joins, [settings], 'joined once')
  t.equal(w.modem.sent.length, 1, 'then the report went out')
  t.same(w.errors, [])

  const without = world(t, false)
  without.modem.joined = false
  await without.clock.run(INTERVAL_MS)
  await without.reporter.idle()
  t.same(without.modem.joins, [], 'without the settings, it leaves the join to whoever made it')
  t.same(without.errors, ['LORA_NOT_JOINED'])
})

t.test('revocation downlinks from the hub are reassembled, verified and applied', async t => {
  const w = world(t)
  const ids = Array.from({ length: 20 }, (_, i) => new Uint8Array(16).fill(i + 1))
  const fragments = addedFragments(4, ids)
  t.ok(fragments.every(fragment => fragment.length <= 51))
  const applied: number[] = []
  w.events.on('lora-revocations', ({ index }) => applied.push(index))
  for (const fragment of [...fragments].reverse()) w.modem.deliver(11, fragment)
  t.same(applied.sort(), [0, 1], 'both messages applied, fragments arriving in reverse')
  t.ok(ids.every(id => w.store.isRevoked(id)), 'every newly revoked voucher is refused from now on')
  t.same(w.errors, [])

  for (const fragment of fragments) w.modem.deliver(11, fragment)
  t.same(applied, [0, 1], 'a replay changes nothing')
  t.same(w.errors, [], 'a replay is no error')

  // A whole list over IP with an older serial keeps what LoRa added.
  t.equal(w.store.revocations.applyListPart(signedRevocations(3, ids.slice(0, 2)), T0), 'applied')
  t.ok(w.store.isRevoked(ids[19]!), 'the LoRa revocation survives an older whole list')
  t.ok(w.store.isRevoked(ids[0]!))
})

t.test('the LoRa revocations applied survive a restart: a replayed downlink is refused and what it revoked stays', async t => {
  const dir = t.testdir()
  const first = world(t, false, dir)
  const voucherId = new Uint8Array(16).fill(0x51)
  const fragments = addedFragments(6, [voucherId])
  for (const fragment of fragments) first.modem.deliver(11, fragment)
  t.ok(first.store.isRevoked(voucherId))
  await first.reporter.stop()
  first.store.close()

  const second = world(t, false, dir)
  t.ok(second.store.isRevoked(voucherId), 'still refused after the restart')
  const applied: number[] = []
  second.events.on('lora-revocations', ({ serial }) => applied.push(serial))
  for (const fragment of fragments) second.modem.deliver(11, fragment)
  t.same(applied, [], 'the replayed downlink is refused')
  t.same(second.errors, [])
})

t.test('a bad signature, a stale serial, garbage or another port change nothing', async t => {
  const w = world(t)
  const voucherId = new Uint8Array(16).fill(0x42)
  for (const fragment of addedFragments(5, [voucherId], OTHER_HUB)) w.modem.deliver(11, fragment)
  t.notOk(w.store.isRevoked(voucherId), 'signed by another hub')
  t.same(w.errors, ['LORA_REVOCATION_REFUSED'])

  w.store.revocations.applyListPart(signedRevocations(7, []), T0)
  for (const fragment of addedFragments(7, [voucherId])) w.modem.deliver(11, fragment)
  t.notOk(w.store.isRevoked(voucherId), 'the list held is as new: stale')

  const good = addedFragments(8, [voucherId])
  for (const fragment of good) w.modem.deliver(12, fragment)
  t.notOk(w.store.isRevoked(voucherId), 'another port is not revocations')
  w.modem.deliver(11, Uint8Array.from([0, 1, 9, 2, 0xff]))
  t.same(w.errors, ['LORA_REVOCATION_REFUSED', 'LORA_REVOCATION_REFUSED'], 'a malformed fragment is refused')
  const tampered = loraRevocationCodec.encode({
    ...loraRevocationCodec.sign({ kind: LoraRevocationKind.Added, serial: 8, index: 0, voucherIds: [voucherId] }, HUB.secretKey, nodeEd25519),
    serial: 9,
  })
  for (const fragment of fragmentMessage(tampered, 99)) w.modem.deliver(11, fragment)
  t.notOk(w.store.isRevoked(voucherId), 'a serial changed after signing fails verification')

  for (const fragment of good) w.modem.deliver(11, fragment)
  t.ok(w.store.isRevoked(voucherId), 'the genuine one is applied')
})
