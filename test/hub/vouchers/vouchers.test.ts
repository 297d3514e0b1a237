import t from 'tap'
import { randomBytes } from 'node:crypto'
import { fromBase64, toBase64, toHex } from '../../../protocol/bytes'
import { AckOutcome } from '../../../protocol/messages/ack'
import { revocationDeltaCodec } from '../../../protocol/messages/revocation-delta'
import { voucherCodec } from '../../../protocol/messages/voucher'
import { nodeEd25519 } from '../../../protocol/signature/node'
import { REVOCATIONS_TOPIC } from '../../../protocol/topics'
import type { PublishedMessage } from '../../../hub/bus'
import { DEVICES_PER_USER_MAX } from '../../../hub/vouchers/device-store'
import { addUser, errorOf, login, testHub } from '../http/fixtures'
import { ingestWorld } from '../ingest/world'
import { IDENTITY_KEY, NO_SECRET_SIGNATURE, SMALL_ORDER_ENCODINGS, rawNodeVerify } from '../../helpers/small-order'
import { addFundedCustomer } from '../helpers/vouchers'

const PASSWORD = 'customer password 1'

async function customerHub(t: Parameters<typeof testHub>[0]) {
  const hub = await testHub(t)
  const { userId, walletId } = await addFundedCustomer(hub.context, {
    email: 'fatou@phone.example', password: PASSWORD, balanceMinor: 10_000, cashInKey: 'seed',
  })
  const token: string = (await login(hub.app, 'fatou@phone.example', PASSWORD)).json().token
  const headers = { authorization: `Bearer ${token}` }
  const keys = nodeEd25519.keyPairFromSeed(randomBytes(32))
  return { ...hub, userId, headers, wallet: walletId, keys }
}

t.test('a bound phone gets a hub-signed voucher backed by a hold on its wallet', async t => {
  const hub = await customerHub(t)
  const bound = await hub.app.inject({
    method: 'POST', url: '/api/auth/device/binding', headers: hub.headers,
    payload: { imei: '356938035643809', publicKey: toBase64(hub.keys.publicKey), model: 'Pixel 8' },
  })
  t.equal(bound.statusCode, 201)
  const again = await hub.app.inject({
    method: 'POST', url: '/api/auth/device/binding', headers: hub.headers,
    payload: { imei: '356938035643809', publicKey: toBase64(hub.keys.publicKey) },
  })
  t.equal(again.statusCode, 409, 'a device is bound once')

  const issued = await hub.app.inject({
    method: 'POST', url: '/api/auth/device/voucher', headers: hub.headers,
    payload: { imei: '356938035643809', amount: '4000', currency: 'XOF' },
  })
  t.equal(issued.statusCode, 201)
  const voucher = voucherCodec.decode(fromBase64(issued.json().voucher))
  t.ok(voucherCodec.verify(voucher, fromBase64(issued.json().hubPublicKey), nodeEd25519), 'signed by the hub')
  t.same(voucher.devicePublicKey, hub.keys.publicKey, 'bound to the phone\'s key')
  t.equal(voucher.limitMinor, 4_000)
  t.equal((await hub.context.ledger.account(hub.wallet))!.balanceMinor, 6_000, 'the limit is set aside')
  t.equal((await hub.context.ledger.hold(toHex(voucher.voucherId)))!.limitMinor, 4_000)

  const tooMuch = await hub.app.inject({
    method: 'POST', url: '/api/auth/device/voucher', headers: hub.headers,
    payload: { imei: '356938035643809', amount: '7000', currency: 'XOF' },
  })
  t.equal(tooMuch.statusCode, 409)
  t.equal(errorOf(tooMuch).code, 'INSUFFICIENT_FUNDS')
  t.equal((await hub.context.ledger.account(hub.wallet))!.balanceMinor, 6_000, 'a refused voucher changes nothing')
  const vouchers = hub.context.db.prepare('SELECT count(*) AS n FROM vouchers').get() as { n: number }
  t.equal(vouchers.n, 1)
})

t.test('binding a small-order or non-canonical key is a 400 BAD_KEY and binds nothing', async t => {
  const hub = await customerHub(t)
  const message = new TextEncoder().encode('pay 40000 XOF')
  t.ok(rawNodeVerify(message, NO_SECRET_SIGNATURE, IDENTITY_KEY), 'premise: under this key node:crypto takes a signature made with no secret')
  for (const [index, publicKey] of SMALL_ORDER_ENCODINGS.entries()) {
    const response = await hub.app.inject({
      method: 'POST', url: '/api/auth/device/binding', headers: hub.headers,
      payload: { imei: `35693803564380${index % 10}`, publicKey: toBase64(publicKey) },
    })
    t.equal(response.statusCode, 400, toHex(publicKey))
    t.equal(errorOf(response).code, 'BAD_KEY')
  }
  t.equal(hub.context.db.prepare('SELECT count(*) FROM devices').pluck().get(), 0, 'no device was bound')
})

t.test('nobody can use or see another customer\'s device', async t => {
  const hub = await customerHub(t)
  await hub.app.inject({
    method: 'POST', url: '/api/auth/device/binding', headers: hub.headers,
    payload: { imei: '111', publicKey: toBase64(hub.keys.publicKey) },
  })
  await addUser(hub.context, { email: 'other@phone.example', password: PASSWORD, role: 'customer' })
  const other = { authorization: `Bearer ${(await login(hub.app, 'other@phone.example', PASSWORD)).json().token}` }
  const stolen = await hub.app.inject({
    method: 'POST', url: '/api/auth/device/voucher', headers: other, payload: { imei: '111', amount: '100', currency: 'XOF' },
  })
  t.equal(stolen.statusCode, 404)
  const unbind = await hub.app.inject({ method: 'POST', url: '/api/auth/device/user-unbind', headers: other, payload: { imei: '111' } })
  t.equal(unbind.statusCode, 404)
  const list = await hub.app.inject({ method: 'GET', url: '/api/auth/device/user', headers: other })
  t.same(list.json().devices, [])
  const anonymous = await hub.app.inject({ method: 'POST', url: '/api/auth/device/binding', payload: { imei: '2', publicKey: toBase64(hub.keys.publicKey) } })
  t.equal(anonymous.statusCode, 401)
  const badKey = await hub.app.inject({ method: 'POST', url: '/api/auth/device/binding', headers: hub.headers, payload: { imei: '2', publicKey: 'not-base64' } })
  t.equal(badKey.statusCode, 400)
})

t.test('unbinding a device revokes its open vouchers at once', async t => {
  const hub = await customerHub(t)
  await hub.app.inject({
    method: 'POST', url: '/api/auth/device/binding', headers: hub.headers, payload: { imei: '222', publicKey: toBase64(hub.keys.publicKey) },
  })
  const issued = await hub.app.inject({
    method: 'POST', url: '/api/auth/device/voucher', headers: hub.headers, payload: { imei: '222', amount: '1000', currency: 'XOF' },
  })
  const unbound = await hub.app.inject({ method: 'POST', url: '/api/auth/device/user-unbind', headers: hub.headers, payload: { imei: '222' } })
  t.same(unbound.json(), { imei: '222', revokedVouchers: 1 })
  const published = (hub.context.bus as unknown as { published: PublishedMessage[] }).published
  const delta = revocationDeltaCodec.decode(published.filter(m => m.topic === REVOCATIONS_TOPIC).at(-1)!.payload)
  t.same(delta.added.map(toHex), [issued.json().voucherId], 'a delta adds it to every gateway\'s list')
})

t.test('after the upload deadline the rest of a hold goes back; a later record is the customer\'s debt', async t => {
  const w = await ingestWorld(t)
  const gateway = await w.addGateway('00000000000000A9')
  const customer = await w.addCustomer(10_000, 4_000)
  gateway.append(w.pay(customer.phone, gateway, 1_000))
  await w.ingest.ingest(gateway.eui, gateway.batch(1, 1))
  const late = w.pay(customer.phone, gateway, 500)
  t.equal(await w.vouchers.releaseDue(), 0, 'nothing is due before the deadline')
  w.clock.advance(5 * 24 * 60 * 60 * 1000)
  t.equal(await w.vouchers.releaseDue(), 1)
  t.equal(await w.vouchers.releaseDue(), 0, 'released once')
  t.equal(await w.balance(customer.wallet), 9_000, 'the unused 3 000 is back')
  gateway.append(late)
  const ack = await w.ingest.ingest(gateway.eui, gateway.batch(2, 2))
  t.same(ack!.entries.map(e => e.outcome), [AckOutcome.Settled], 'the merchant who approved it is still paid')
  t.equal(await w.balance(customer.wallet), 8_500)
  await w.assertLedgerOk(t)
})

t.test('a customer binds at most DEVICES_PER_USER_MAX devices: one more is refused with 409 DEVICE_LIMIT until one is unbound', async t => {
  const hub = await customerHub(t)
  const bind = (imei: string) => hub.app.inject({
    method: 'POST', url: '/api/auth/device/binding', headers: hub.headers,
    payload: { imei, publicKey: toBase64(nodeEd25519.keyPairFromSeed(randomBytes(32)).publicKey) },
  })
  for (let device = 1; device < DEVICES_PER_USER_MAX; device++) t.equal((await bind(`imei-${device}`)).statusCode, 201)

  // Requests in flight together for the last slot: exactly one gets it.
  const racing = await Promise.all(['race-a', 'race-b', 'race-c'].map(bind))
  t.same(racing.map(response => response.statusCode).sort(), [201, 409, 409])
  for (const refused of racing.filter(response => response.statusCode === 409)) {
    t.same(errorOf(refused), { code: 'DEVICE_LIMIT', message: `you have ${DEVICES_PER_USER_MAX} devices bound, the most a user may; unbind one first` })
  }
  const count = () => (hub.context.db.prepare(`SELECT count(*) AS n FROM devices WHERE status = 'bound'`).get() as { n: number }).n
  t.equal(count(), DEVICES_PER_USER_MAX, 'a refused binding stores nothing')
  t.equal((await bind('one-more')).statusCode, 409)

  const unbound = await hub.app.inject({ method: 'POST', url: '/api/auth/device/user-unbind', headers: hub.headers, payload: { imei: 'imei-1' } })
  t.equal(unbound.statusCode, 200)
  t.equal((await bind('one-more')).statusCode, 201, 'an unbound device frees its slot')
  const listed = await hub.app.inject({ method: 'GET', url: '/api/auth/device/user', headers: hub.headers })
  t.equal(listed.json().devices.length, DEVICES_PER_USER_MAX, 'the listing shows every bound device')
})
