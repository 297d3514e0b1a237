import t, { type Test } from 'tap'
import { join } from 'node:path'
import type { PaymentRequest } from '../../protocol/messages/payment-request'
import type { Voucher } from '../../protocol/messages/voucher'
import { DAY_MS, HOUR_MS, systemClock } from '../../protocol/clock'
import { formatMoney } from '../../protocol/money'
import { Reason, reasonName } from '../../protocol/reasons'
import { nodeEd25519 } from '../../protocol/signature/node'
import { REVOCATIONS_TOPIC } from '../../protocol/topics'
import { startHub } from '../../hub/server'
import { VirtualPhone } from '../../simulator/phone'
import type { PaymentPolicy } from '../../terminal/payment'
import { TerminalStore } from '../../terminal/store/store'
import { reasonText, screenText } from '../../terminal/texts'
import { hubConfig } from '../hub/e2e/running-hub'
import { OTHER_HUB, phoneWithVoucher } from './fixtures'
import {
  attachTerminal, customerWithVoucher, merchantBalance, OPERATOR, provisionedTerminal, Rest, shutDown, type WorldTerminal,
} from './hub-world'
import { MqttGate } from './mqtt-gate'

const CURRENCY = 'XOF'
/** The hub signs vouchers valid this long (hub/vouchers/vouchers.ts). */
const VOUCHER_VALIDITY_MS = 72 * HOUR_MS

type Answer = ReturnType<VirtualPhone['authorize']>

/** An honest wallet that keeps every answer it gave (what an eavesdropper on the tap records). */
class RecordingPhone extends VirtualPhone {
  readonly answers: Answer[] = []
  override authorize(request: PaymentRequest): Answer {
    const answer = super.authorize(request)
    this.answers.push(answer)
    return answer
  }
}

/** A tampered wallet: it signs with its voucher whatever the voucher's expiry or what is left of it. */
class CarelessPhone extends VirtualPhone {
  private readonly held: Voucher[] = []
  override addVoucher(voucher: Voucher): void {
    super.addVoucher(voucher)
    this.held.push(voucher)
  }
  override voucherFor(currency: string): Voucher | undefined {
    return this.held.find(voucher => voucher.currency === currency)
  }
}

/** A phone that answers any request with an answer given before, to another request. */
class ReplayingPhone extends VirtualPhone {
  constructor(private readonly replayed: Answer) {
    super(nodeEd25519.keyPairFromSeed(new Uint8Array(32).fill(9)), nodeEd25519)
  }
  override authorize(): Answer {
    return this.replayed
  }
}

function carelessCopy(phone: VirtualPhone, voucher: Voucher): CarelessPhone {
  const careless = new CarelessPhone(phone.keys, nodeEd25519)
  careless.addVoucher(voucher)
  return careless
}

/** A hub whose clock a test can set back, one terminal behind a gate (then its own link), an honest customer. */
async function counterAtHub(t: Test) {
  const clock = { ...systemClock, offset_ms: 0, now_ms: () => systemClock.now_ms() + clock.offset_ms }
  const dir = t.testdir()
  const hub = await startHub(hubConfig(join(dir, 'hub')), { clock })
  t.teardown(() => hub.stop())
  const operator = await new Rest(hub.httpUrl).as(OPERATOR.email, OPERATOR.password)
  const gate = MqttGate.forUrl(hub.mqttUrl!)
  await gate.start()
  t.teardown(() => gate.close())
  // Provisioned as `payall-terminal provision` does, then powered on again with its broker behind the gate.
  const provisioned = await provisionedTerminal(hub, operator, dir, '70B3D57ED0000B01', 'mariama@shop.example')
  await shutDown(provisioned)
  const world = await attachTerminal(TerminalStore.open(provisioned.dataDir), provisioned.dataDir, provisioned.ownerEmail, gate.url)
  t.teardown(() => shutDown(world))

  const honest = await customerWithVoucher(operator, 'awa@phone.example', 100_000, '30000')
  const phone = new RecordingPhone(honest.phone.keys, nodeEd25519)
  phone.addVoucher(honest.voucher)
  return { hub, operator, clock, gate, world, honest: { ...honest, phone } }
}

async function goOnline(world: WorldTerminal): Promise<void> {
  await world.proxy.up()
  if (!(await world.sync.waitOnline(5_000))) throw new Error('the terminal did not come online')
}

async function goOffline(world: WorldTerminal): Promise<void> {
  const down = world.sync.online ? world.events.next('link', ({ online }) => !online) : undefined
  await world.proxy.down()
  await down
}

/**
 * `phone` pays and is declined with `reason`: the outcome and the screen carry the merchant's
 * sentence for it, the chain does not move, and (unless `hubAsked`) the hub was never asked.
 */
async function declined(
  t: Test, world: WorldTerminal, phone: VirtualPhone, amount_minor: number, reason: Reason,
  options: { policy?: PaymentPolicy; hubAsked?: boolean } = {},
): Promise<void> {
  const { policy, hubAsked = false } = options
  const headBefore = world.store.chainHead()
  const screensBefore = world.display.screens.length
  const outcome = await world.pay(phone, amount_minor, policy)
  const message = reasonText(reason, 'en')
  t.match(outcome, { kind: 'declined', reason, message }, `declined: ${reasonName(reason)}`)
  t.same(world.display.last, { kind: 'declined', lines: [screenText('declined', 'en'), formatMoney(amount_minor, CURRENCY), message] },
    'the merchant reads why')
  t.same(world.store.chainHead(), headBefore, 'no record was written')
  const askedHub = world.display.screens.slice(screensBefore).some(screen => screen.kind === 'online')
  t.equal(askedHub, hubAsked, hubAsked ? 'the hub was asked and refused' : 'refused at the counter, without asking the hub')
}

t.test('bad vouchers are each declined at the counter with their reason, offline and online, and nothing reaches the ledger', async t => {
  const { hub, operator, clock, gate, world, honest } = await counterAtHub(t)

  // One good payment, offline: its answer is what a replay presents later.
  const good = await world.pay(honest.phone, 1_000)
  t.equal(good.kind === 'approved' && good.modeNote, 'offline-link-down', 'an honest payment is approved offline')
  const spentAfterGood = honest.phone.spent(honest.voucher)

  t.test('an expired voucher', async t => {
    // The hub issued it 73 hours ago: valid 72 hours, it expired an hour ago.
    clock.offset_ms = -(VOUCHER_VALIDITY_MS + HOUR_MS)
    const customer = await customerWithVoucher(operator, 'expired@phone.example', 100_000, '20000').finally(() => { clock.offset_ms = 0 })
    t.ok(customer.voucher.expiresAtMs < Date.now(), 'the hub-signed voucher is past its expiry')
    const phone = carelessCopy(customer.phone, customer.voucher)
    await declined(t, world, phone, 2_000, Reason.VoucherExpired)
    await goOnline(world)
    await declined(t, world, phone, 2_000, Reason.VoucherExpired)
    await goOffline(world)
  })

  t.test('a voucher signed by another hub\'s key', async t => {
    const { phone } = phoneWithVoucher({ issuedAtMs: Date.now() - HOUR_MS, expiresAtMs: Date.now() + DAY_MS, limitMinor: 50_000 }, OTHER_HUB)
    await declined(t, world, phone, 2_000, Reason.BadHubSignature)
    await goOnline(world)
    await declined(t, world, phone, 2_000, Reason.BadHubSignature)
    await goOffline(world)
  })

  t.test('an amount over what the voucher has left', async t => {
    const customer = await customerWithVoucher(operator, 'small@phone.example', 100_000, '10000')
    const phone = carelessCopy(customer.phone, customer.voucher)
    await declined(t, world, phone, 12_000, Reason.OverVoucherLimit)
    await goOnline(world)
    await declined(t, world, phone, 12_000, Reason.OverVoucherLimit)
    await goOffline(world)
  })

  t.test('a replayed answer: the phone answers an earlier request', async t => {
    const replaying = new ReplayingPhone(honest.phone.answers[0]!)
    await declined(t, world, replaying, 1_000, Reason.NonceMismatch)
    await goOnline(world)
    await declined(t, world, replaying, 1_000, Reason.NonceMismatch)
    await goOffline(world)
  })

  t.test('a replayed seq: a rolled-back phone signs a fresh request with a seq this terminal has seen', async t => {
    honest.phone.forget(honest.voucher)
    await declined(t, world, honest.phone, 1_000, Reason.SeqReplayed)
    honest.phone.forget(honest.voucher)
    await goOnline(world)
    await declined(t, world, honest.phone, 1_000, Reason.SeqReplayed)
    await goOffline(world)
    honest.phone.forget(honest.voucher, spentAfterGood)
  })

  t.test('an amount over the floor limit, offline', async t => {
    const floorLimit_minor = world.store.riskConfig()!.floorLimitMinor
    const answersBefore = honest.phone.answers.length
    await declined(t, world, honest.phone, floorLimit_minor + 1, Reason.OverFloorLimit)
    t.equal(honest.phone.answers.length, answersBefore, 'refused before the phone was asked to sign')
  })

  t.test('a revoked voucher: the hub refuses it online, then the revocation reaches the terminal through the hub', async t => {
    const customer = await customerWithVoucher(operator, 'unbound@phone.example', 100_000, '20000')
    const { devices } = await customer.api.ok('GET', '/api/auth/device/user')
    await goOnline(world)
    gate.hold(publish => publish.topic === REVOCATIONS_TOPIC)
    const listHeld = gate.nextHeld()
    const unbound = await customer.api.ok('POST', '/api/auth/device/user-unbind', { imei: devices[0].imei })
    t.equal(unbound.revokedVouchers, 1, 'unbinding the phone revoked its voucher')
    await listHeld
    t.notOk(world.store.isRevoked(customer.voucher.voucherId), 'the list is on its way, not at the terminal yet')
    await declined(t, world, customer.phone, 2_000, Reason.VoucherRevoked, { hubAsked: true })

    const listApplied = world.events.next('revocations', ({ count }) => count > 0)
    gate.release()
    await listApplied
    t.ok(world.store.isRevoked(customer.voucher.voucherId), 'the hub-signed list reached the terminal')
    await declined(t, world, customer.phone, 2_000, Reason.VoucherRevoked)
    await goOffline(world)
    await declined(t, world, customer.phone, 2_000, Reason.VoucherRevoked)
  })

  t.test('only the good payment reached the hub', async t => {
    await goOnline(world)
    const report = await world.sync.syncNow()
    t.match(report, { error: null, pendingLeft: 0 })
    t.same(world.store.recordsFrom(1, 100).map(record => `${record.gatewaySeq}:${record.status}/${record.ackOutcome}`), ['1:acked/settled'])
    t.equal(await merchantBalance(hub, world.ownerEmail), 1_000, 'the merchant holds the good payment only')
    const gatewayId = world.store.requireHubPin().gatewayId
    t.match((await operator.ok('GET', `/gateways/${gatewayId}/status`)).chain, { contiguousSeq: 1, highestSeq: 1 })
    t.equal((await operator.ok('GET', '/ledger/verify')).ok, true, 'the hub\'s ledger keeps its invariants')
  })
})
