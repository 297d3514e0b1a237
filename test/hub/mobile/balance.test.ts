import t from 'tap'
import { toBase64 } from '../../../protocol/bytes'
import { nodeEd25519 } from '../../../protocol/signature/node'
import { errorOf, seededRandom } from '../http/fixtures'
import { call, fatouAndMoussa, fundedWallet, mobileUser, restHub, type MobileUser, type RestHub } from '../users/fixtures'

const random = seededRandom('devices')

async function bindDevice(hub: RestHub, user: MobileUser, imei: string): Promise<void> {
  const response = await call(hub.app, user, {
    method: 'POST', url: '/api/auth/device/binding', payload: { imei, publicKey: toBase64(nodeEd25519.keyPairFromSeed(random(32)).publicKey), model: 'Tecno' },
  })
  if (response.statusCode !== 201) throw new Error(response.body)
}

t.test('the balance behind a device is for the device’s own user, by path or by body', async (t) => {
  const { hub, fatou, moussa, wallet } = await fatouAndMoussa(t, '4200', '999999')
  await bindDevice(hub, fatou, '356938035643809')
  await bindDevice(hub, moussa, '490154203237518')

  const expected = { imei: '356938035643809', accounts: [{ id: wallet, currency: 'XOF', balanceMinor: 4200, balance: '4200', holdMinor: 0, hold: '0' }] }
  const byPath = await call(hub.app, fatou, { method: 'GET', url: '/api/auth/device/balance/356938035643809' })
  t.equal(byPath.statusCode, 200)
  t.same(byPath.json(), expected)
  const byBody = await call(hub.app, fatou, { method: 'POST', url: '/api/auth/device/balancecheck', payload: { imei: '356938035643809' } })
  t.same(byBody.json(), expected)

  for (const response of [
    await call(hub.app, fatou, { method: 'GET', url: '/api/auth/device/balance/490154203237518' }),
    await call(hub.app, fatou, { method: 'POST', url: '/api/auth/device/balancecheck', payload: { imei: '490154203237518' } }),
  ]) {
    t.equal(response.statusCode, 404, 'another user’s IMEI answers as an unbound one')
    t.equal(errorOf(response).code, 'DEVICE_NOT_BOUND')
    t.notMatch(response.body, /999/)
  }
  t.equal((await call(hub.app, fatou, { method: 'GET', url: '/api/auth/device/balance/000000000000000' })).statusCode, 404)
})

t.test('balance routes refuse operators, no token, malformed IMEIs and oversized bodies; an owner is a customer too', async (t) => {
  const hub = await restHub(t)
  const fatou = await mobileUser(hub)
  t.equal((await call(hub.app, undefined, { method: 'GET', url: '/api/auth/device/balance/356938035643809' })).statusCode, 401)
  t.equal((await call(hub.app, hub.operator, { method: 'GET', url: '/api/auth/device/balance/356938035643809' })).statusCode, 403)
  const owners = await call(hub.app, hub.owner, { method: 'POST', url: '/api/auth/device/balancecheck', payload: { imei: '356938035643809' } })
  t.equal(owners.statusCode, 404, 'an owner passes the role check: roles add up')
  t.equal(errorOf(owners).code, 'DEVICE_NOT_BOUND', 'and has bound no such device')
  t.equal((await call(hub.app, fatou, { method: 'GET', url: '/api/auth/device/balance/35693803%20643809' })).statusCode, 400)
  t.equal((await call(hub.app, fatou, { method: 'POST', url: '/api/auth/device/balancecheck', payload: {} })).statusCode, 400)
  t.equal((await call(hub.app, fatou, { method: 'POST', url: '/api/auth/device/balancecheck', payload: { imei: 356938035643809 } })).statusCode, 400)
  t.equal((await call(hub.app, fatou, { method: 'POST', url: '/api/auth/device/balancecheck', payload: { imei: '3'.repeat(65) } })).statusCode, 400)
  t.equal((await call(hub.app, fatou, { method: 'POST', url: '/api/auth/device/balancecheck', payload: { imei: '3'.repeat(9000) } })).statusCode, 413)
})

t.test('the device history is the caller’s own, paged', async (t) => {
  const hub = await restHub(t)
  const fatou = await mobileUser(hub)
  const moussa = await mobileUser(hub)
  await fundedWallet(hub.app, hub.operator, fatou, 'XOF', '100')
  await fundedWallet(hub.app, hub.operator, moussa, 'XOF', '31337')
  const own = await call(hub.app, fatou, { method: 'GET', url: '/api/auth/device/transaction?pageSize=10' })
  t.equal(own.statusCode, 200)
  t.match(own.json(), { page: 1, pageSize: 10, total: 1, items: [{ kind: 'cash_in', direction: 'in', amountMinor: 100 }] })
  t.notMatch(own.body, /31337/)
  t.equal((await call(hub.app, fatou, { method: 'GET', url: '/api/auth/device/transaction?pageSize=0' })).statusCode, 400)
  t.equal((await call(hub.app, fatou, { method: 'GET', url: '/api/auth/device/transaction?imei=490154203237518' })).statusCode, 400)
  t.equal((await call(hub.app, undefined, { method: 'GET', url: '/api/auth/device/transaction' })).statusCode, 401)
})
