// The voucher side's stores on both engines: devices bound once per IMEI and key and within a user's cap, vouchers
// issued within the caps with their holds (and none left behind when the hold is refused), and a revocation list
// whose serials the database decides, so two hubs revoking at once lose nothing.

import t from 'tap'
import { toHex } from '../../../protocol/bytes'
import { DAY_MS, ManualClock } from '../../../protocol/clock'
import { revocationDeltaCodec } from '../../../protocol/messages/revocation-delta'
import { nodeEd25519 } from '../../../protocol/signature/node'
import { HttpError } from '../../../hub/http/errors'
import { DEFAULT_VOUCHER_POLICY } from '../../../hub/vouchers/policy'
import { engineTests } from '../helpers/engines'
import { addUserRow, fundedCustomer, hubOn, secondOn, START_MS } from '../helpers/domain-engines'

const engineTest = engineTests(t)
const key = (n: number) => nodeEd25519.keyPairFromSeed(new Uint8Array(32).fill(200 + n)).publicKey

engineTest('a device is bound once per IMEI and key, within its user\'s cap; a keyless one takes a key once', async (t, factory) => {
  const opened = await factory.open(t)
  const clock = new ManualClock(START_MS)
  const { devices, engine } = hubOn(opened, clock, 'devices')
  const userId = await addUserRow(engine)
  const other = await addUserRow(engine)
  const device = (n: number, owner = userId) => ({ id: `dev_b${n}`, userId: owner, imei: `IMEI-b${n}`, publicKey: key(n), model: 'A12', brand: null, boundAtMs: START_MS + n })
  t.equal(await devices.bind(device(1), 2), 'bound')
  t.equal(await devices.bind({ ...device(2), imei: 'IMEI-b1' }, 2), 'taken', 'the IMEI is bound')
  t.equal(await devices.bind({ ...device(2), publicKey: key(1) }, 2), 'taken', 'the key is bound')
  t.equal(await devices.bind(device(2), 2), 'bound')
  t.equal(await devices.bind(device(3), 2), 'full')
  t.same((await devices.boundToUser(userId)).map(d => d.id), ['dev_b1', 'dev_b2'])
  t.same((await devices.boundByPublicKey(key(2)))?.imei, 'IMEI-b2')
  t.equal(await devices.unbind('dev_b1', START_MS + 10), true)
  t.equal(await devices.unbind('dev_b1', START_MS + 11), false, 'unbound once')
  t.equal(await devices.boundByImei('IMEI-b1'), undefined)

  await devices.insert({ id: 'dev_legacy', userId: other, imei: 'IMEI-legacy', publicKey: null, model: null, brand: null, boundAtMs: START_MS })
  t.equal(await devices.bind({ ...device(4, userId), imei: 'IMEI-legacy' }, 20), 'taken', 'another user\'s keyless device')
  t.equal(await devices.bind({ ...device(5, other), id: 'dev_new', imei: 'IMEI-legacy' }, 20), 'bound')
  const legacy = await devices.boundByImei('IMEI-legacy')
  t.same([legacy?.id, toHex(legacy!.publicKey!)], ['dev_legacy', toHex(key(5))], 'the keyless device took the key and kept its id')
  t.equal(await devices.bind({ ...device(6, other), imei: 'IMEI-legacy' }, 20), 'taken', 'it has a key now')
})

engineTest('two hubs binding at once: one device per IMEI, and a user\'s cap holds', async (t, factory) => {
  const opened = await factory.open(t)
  const clock = new ManualClock(START_MS)
  const one = hubOn(opened, clock, 'race-1')
  const two = hubOn(await secondOn(t, opened), clock, 'race-2')
  const userId = await addUserRow(one.engine)
  const device = (n: number) => ({ id: `dev_r${n}`, userId, imei: `IMEI-r${n}`, publicKey: key(10 + n), model: null, brand: null, boundAtMs: START_MS })
  const sameImei = await Promise.all([one.devices.bind(device(1), 20), two.devices.bind({ ...device(2), imei: 'IMEI-r1' }, 20)])
  t.same([...sameImei].sort(), ['bound', 'taken'], 'one bind of the IMEI wins')
  const capped = await Promise.all([3, 4, 5, 6, 7, 8, 9, 10].map(n => (n % 2 === 0 ? one : two).devices.bind(device(n), 4)))
  t.same(capped.filter(outcome => outcome === 'bound').length, 3, 'three more fit under a cap of 4, whichever hub binds')
  t.equal((await one.devices.boundToUser(userId)).length, 4)
})

engineTest('a voucher is issued within the caps with its hold; a refused hold leaves no voucher', async (t, factory) => {
  const opened = await factory.open(t)
  const clock = new ManualClock(START_MS)
  const hub = hubOn(opened, clock, 'issue', { ...DEFAULT_VOUCHER_POLICY, openPerDeviceMax: 2 })
  const customer = await fundedCustomer(hub, 50_000, clock)
  const issued = await hub.vouchers.issue(customer.device, 20_000, 'XOF')
  t.equal((await hub.ledger.hold(issued.voucherIdHex))?.limitMinor, 20_000, 'the hold is placed')
  t.same([...(await hub.vouchers.encoded(issued.voucherIdHex))!], [...issued.encoded])
  const refused = await hub.vouchers.issue(customer.device, 40_000, 'XOF').catch((error: unknown) => error)
  t.match(refused, { code: 'INSUFFICIENT_FUNDS' }, 'the wallet cannot cover a second hold')
  const listed = await hub.vouchers.ofCustomer(customer.userId)
  t.same(listed.map(v => [v.id, v.status, v.spentMinor]), [[issued.voucherIdHex, 'open', 0]], 'the refused voucher\'s row is gone')
  await hub.vouchers.issue(customer.device, 10_000, 'XOF')
  const third = await hub.vouchers.issue(customer.device, 1_000, 'XOF').catch((error: unknown) => error)
  t.ok(third instanceof HttpError && third.code === 'TOO_MANY_OPEN_VOUCHERS', 'two open vouchers per device')
  t.same((await hub.vouchers.openVouchers(customer.device.id)).sort(), (await hub.vouchers.ofCustomer(customer.userId)).map(v => v.id).sort(),
    'both open')
  t.equal(await hub.vouchers.revocableCount(), 2)

  clock.advance(DEFAULT_VOUCHER_POLICY.validity_ms + DEFAULT_VOUCHER_POLICY.uploadGrace_ms + 1)
  t.equal(await hub.vouchers.releaseDue(), 2, 'both holds go back after the upload deadline')
  t.equal(await hub.vouchers.releaseDue(), 0, 'once')
  t.equal((await hub.ledger.account(customer.walletId))?.balanceMinor, 50_000)
})

engineTest('two hubs issuing at once cannot pass the hub-wide bound together', async (t, factory) => {
  const opened = await factory.open(t)
  const clock = new ManualClock(START_MS)
  const policy = { ...DEFAULT_VOUCHER_POLICY, revocableMax: 3 }
  const one = hubOn(opened, clock, 'bound-1', policy)
  const two = hubOn(await secondOn(t, opened), clock, 'bound-2', policy)
  const customers = []
  for (let n = 0; n < 6; n++) customers.push(await fundedCustomer(one, 10_000, clock))
  const outcomes = await Promise.all(customers.map((customer, n) =>
    (n % 2 === 0 ? one : two).vouchers.issue(customer.device, 1_000, 'XOF').then(() => 'issued', (error: unknown) => (error as HttpError).code)))
  t.same([...outcomes].sort(), ['ISSUANCE_SUSPENDED', 'ISSUANCE_SUSPENDED', 'ISSUANCE_SUSPENDED', 'issued', 'issued', 'issued'])
  t.equal(await one.vouchers.revocableCount(), 3)
})

engineTest('revocations: a serial per delta, listed once, taken off once expired past the grace', async (t, factory) => {
  const opened = await factory.open(t)
  const clock = new ManualClock(START_MS)
  const hub = hubOn(opened, clock, 'revoke')
  const customer = await fundedCustomer(hub, 50_000, clock)
  const first = await hub.vouchers.issue(customer.device, 1_000, 'XOF')
  const second = await hub.vouchers.issue(customer.device, 1_000, 'XOF')
  t.equal(await hub.revocations.serial(), 0)
  t.equal(await hub.revocations.revoke([first.voucherIdHex], 'lost'), 1)
  t.equal(await hub.revocations.revoke([first.voucherIdHex, second.voucherIdHex], 'lost'), 2, 'only the second is new')
  t.equal(await hub.revocations.revoke([first.voucherIdHex], 'lost'), 2, 'nothing new: no delta')
  t.same((await hub.revocations.store.deltasAfter(0, 10)).map(d => [d.serial, d.follows, d.added.map(toHex)]),
    [[1, 0, [first.voucherIdHex]], [2, 1, [second.voucherIdHex]]])
  t.same((await hub.revocations.fullList()).flatMap(part => part.voucherIds).map(toHex).sort(), [first.voucherIdHex, second.voucherIdHex].sort())
  t.equal((await hub.ledger.hold(first.voucherIdHex))?.status, 'revoked', 'the hold is marked revoked')
  t.equal(hub.published.length, 2, 'each delta published')

  clock.advance(DEFAULT_VOUCHER_POLICY.validity_ms + DAY_MS + 2 * 60 * 60 * 1000)
  t.equal(await hub.revocations.expire(), 2)
  t.equal(await hub.revocations.expire(), 0, 'once')
  t.same(await hub.revocations.store.listed(10), [])
  t.equal(await hub.revocations.serial(), 3)
  t.equal(await hub.revocations.prune(), 0, 'every delta is recent enough to keep')
})

engineTest('two hubs revoking at once: serials follow one another and no revocation is lost', async (t, factory) => {
  const opened = await factory.open(t)
  const clock = new ManualClock(START_MS)
  const one = hubOn(opened, clock, 'list-1', { ...DEFAULT_VOUCHER_POLICY, openPerCustomerMax: 8, openPerDeviceMax: 8 })
  const two = hubOn(await secondOn(t, opened), clock, 'list-2')
  const customer = await fundedCustomer(one, 50_000, clock)
  const ids: string[] = []
  for (let n = 0; n < 8; n++) ids.push((await one.vouchers.issue(customer.device, 1_000, 'XOF')).voucherIdHex)
  const serials = await Promise.all(ids.map((id, n) => (n % 2 === 0 ? one : two).revocations.revoke([id, ids[0]!], `race ${n}`)))
  const deltas = await one.revocations.store.deltasAfter(0, 20)
  t.same(deltas.map(d => d.follows), deltas.map((_, n) => n), 'each delta follows the one before')
  t.same(deltas.flatMap(d => d.added).map(toHex).sort(), [...ids].sort(), 'every voucher added once')
  t.equal(Math.max(...serials), deltas.length)
  t.equal(await two.revocations.serial(), deltas.length)
  t.same((await two.revocations.store.listed(20)).map(toHex).sort(), [...ids].sort())
  const published = [...one.published, ...two.published].map(message => revocationDeltaCodec.decode(message.payload).serial).sort((a, b) => a - b)
  t.same(published, deltas.map(d => d.serial), 'each hub published the deltas it issued')
})
