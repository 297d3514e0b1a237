import t from 'tap'
import { toHex } from '../../../protocol/bytes'
import { HOUR_MS, MINUTE_MS } from '../../../protocol/clock'
import { revocationDeltaCodec } from '../../../protocol/messages/revocation-delta'
import { REVOCATIONS_TOPIC } from '../../../protocol/topics'
import { buildApp } from '../../../hub/app'
import { VOUCHERS_LISTED_MAX } from '../../../hub/vouchers/vouchers'
import { errorOf } from '../http/fixtures'
import { ingestWorld } from '../ingest/world'
import { insertVouchers } from '../helpers/vouchers'

// A customer with a 4 000 XOF voucher on a phone, a gateway that took 1 000 of it and synced, and 500
// more the phone spent offline at a gateway that has not synced yet.
async function voucherWorld(t: Parameters<typeof ingestWorld>[0]) {
  const w = await ingestWorld(t, { seed: 'customer-vouchers' })
  const gateway = await w.addGateway('00000000000000D1')
  const customer = await w.addCustomer(10_000, 4_000)
  gateway.append(w.pay(customer.phone, gateway, 1_000))
  await w.ingest.ingest(gateway.eui, gateway.batch())
  w.pay(customer.phone, gateway, 500)
  const app = await buildApp(w.context)
  t.teardown(() => app.close())
  await app.ready()
  const tokenOf = async (userId: string) => (await app.issueAccessToken({ sub: userId })).token
  const as = async (userId: string) => ({ authorization: `Bearer ${await tokenOf(userId)}` })
  const list = async (userId: string) => app.inject({ method: 'GET', url: '/api/auth/device/vouchers', headers: await as(userId) })
  const revoke = async (userId: string, id: string) =>
    app.inject({ method: 'POST', url: `/api/auth/device/vouchers/${id}/revoke`, headers: await as(userId) })
  return { w, app, gateway, customer, tokenOf, as, list, revoke }
}

t.test('a customer lists their vouchers newest first, with what the hub settled against each and what is left', async t => {
  const { w, app, customer, list, as } = await voucherWorld(t)
  w.clock.advance(MINUTE_MS)
  const issued = await app.inject({
    method: 'POST', url: '/api/auth/device/voucher', headers: await as(customer.userId),
    payload: { imei: customer.device.imei, amount: '2000', currency: 'XOF' },
  })
  t.equal(issued.statusCode, 201)
  const response = await list(customer.userId)
  t.equal(response.statusCode, 200)
  const issuedAt_ms = w.clock.now_ms()
  t.same(response.json(), {
    vouchers: [
      {
        id: issued.json().voucherId, deviceId: customer.device.id, imei: customer.device.imei, currency: 'XOF',
        amountMinor: 2_000, amount: '2000', spentMinor: 0, remainingMinor: 2_000, remaining: '2000', status: 'open',
        issuedAtMs: issuedAt_ms, expiresAtMs: issuedAt_ms + 72 * HOUR_MS, revokedAtMs: null,
      },
      {
        id: customer.voucherIdHex, deviceId: customer.device.id, imei: customer.device.imei, currency: 'XOF',
        amountMinor: 4_000, amount: '4000', spentMinor: 1_000, remainingMinor: 3_000, remaining: '3000', status: 'open',
        issuedAtMs: issuedAt_ms - MINUTE_MS, expiresAtMs: issuedAt_ms - MINUTE_MS + 72 * HOUR_MS, revokedAtMs: null,
      },
    ],
  }, 'the 500 spent offline and not synced yet is not in spentMinor')

  const other = await w.addCustomer(10_000, 1_000)
  t.same((await list(other.userId)).json().vouchers.map((voucher: { id: string }) => voucher.id), [other.voucherIdHex],
    'another customer sees only their own')
  t.equal((await app.inject({ method: 'GET', url: '/api/auth/device/vouchers' })).statusCode, 401)
})

t.test('a voucher whose whole amount is settled shows used; one past its expiry, expired', async t => {
  const { w, gateway, customer, list } = await voucherWorld(t)
  const spender = await w.addCustomer(10_000, 1_000)
  gateway.append(w.pay(spender.phone, gateway, 1_000))
  await w.ingest.ingest(gateway.eui, gateway.batch())
  t.match((await list(spender.userId)).json().vouchers, [{ status: 'used', spentMinor: 1_000, remainingMinor: 0, remaining: '0' }])
  w.clock.advance(72 * HOUR_MS)
  t.match((await list(customer.userId)).json().vouchers, [{ status: 'expired', spentMinor: 1_000, remainingMinor: 3_000 }])
  t.match((await list(spender.userId)).json().vouchers, [{ status: 'used' }], 'used stays used once expired')
})

t.test('revoking a voucher revokes it as unbinding does: a delta to every gateway, its hold marked; it answers the voucher', async t => {
  const { w, customer, revoke, list } = await voucherWorld(t)
  const deltasBefore = w.published.filter(message => message.topic === REVOCATIONS_TOPIC).length
  const response = await revoke(customer.userId, customer.voucherIdHex)
  t.equal(response.statusCode, 200)
  t.match(response.json(), { id: customer.voucherIdHex, status: 'revoked', revokedAtMs: w.clock.now_ms(), spentMinor: 1_000 })
  const deltas = w.published.filter(message => message.topic === REVOCATIONS_TOPIC)
  t.equal(deltas.length, deltasBefore + 1, 'one delta published')
  t.same(revocationDeltaCodec.decode(deltas.at(-1)!.payload).added.map(toHex), [customer.voucherIdHex], 'it lists the voucher')
  t.equal((await w.ledger.hold(customer.voucherIdHex))!.status, 'revoked', 'its hold still pays what was taken before, until the deadline')
  t.same((await list(customer.userId)).json().vouchers.map((voucher: { status: string }) => voucher.status), ['revoked'])

  const again = await revoke(customer.userId, customer.voucherIdHex)
  t.equal(again.statusCode, 409)
  t.same(errorOf(again), { code: 'VOUCHER_NOT_OPEN', message: `voucher ${customer.voucherIdHex} is revoked already` })
  t.equal(w.published.filter(message => message.topic === REVOCATIONS_TOPIC).length, deltasBefore + 1, 'a second revoke publishes nothing')
})

t.test('a voucher that is someone else’s, unknown, expired or misnamed is not revoked', async t => {
  const { w, customer, revoke } = await voucherWorld(t)
  const other = await w.addCustomer(10_000, 1_000)
  const foreign = await revoke(other.userId, customer.voucherIdHex)
  t.equal(foreign.statusCode, 404)
  t.equal(errorOf(foreign).code, 'NOT_FOUND')
  t.same(errorOf(await revoke(other.userId, 'ab'.repeat(16))), { code: 'NOT_FOUND', message: `you have no voucher ${'ab'.repeat(16)}` },
    'answered as for a voucher that does not exist')
  t.equal((await revoke(customer.userId, 'not-a-voucher-id')).statusCode, 400)
  t.equal((await w.ledger.hold(customer.voucherIdHex))!.status, 'active', 'nothing was revoked')

  w.clock.advance(72 * HOUR_MS)
  const expired = await revoke(customer.userId, customer.voucherIdHex)
  t.equal(expired.statusCode, 409)
  t.same(errorOf(expired), { code: 'VOUCHER_NOT_OPEN', message: `voucher ${customer.voucherIdHex} is expired already` })
  t.equal((await w.ledger.hold(customer.voucherIdHex))!.status, 'active')
})

t.test(`the list holds the newest ${VOUCHERS_LISTED_MAX} vouchers of a customer`, async t => {
  const { w, list } = await voucherWorld(t)
  const ids = await insertVouchers(w.context, VOUCHERS_LISTED_MAX + 1, w.clock.now_ms() + HOUR_MS)
  const userId = w.db.prepare<[string], { user_id: string }>('SELECT user_id FROM vouchers WHERE voucher_id = ?').get(ids[0]!)!.user_id
  const listed = (await list(userId)).json().vouchers.map((voucher: { id: string }) => voucher.id)
  // Issued at the same instant: newest first is then by id, highest first.
  t.same(listed, [...ids].sort().reverse().slice(0, VOUCHERS_LISTED_MAX))
})
