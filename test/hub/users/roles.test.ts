import t from 'tap'
import { join } from 'node:path'
import { toBase64 } from '../../../protocol/bytes'
import { nodeEd25519 } from '../../../protocol/signature/node'
import { DATABASE_FILE } from '../../../hub/server'
import { openDatabase } from '../../../hub/store/database'
import { MIGRATIONS } from '../../../hub/store/migrations'
import { createPasswordHasher } from '../../../hub/users/passwords'
import { USER_ROLES_AND_EMAIL_PROOFS_SQL } from '../../../hub/users/tables'
import { TEST_SCRYPT_COST, errorOf, login, seededRandom, testHub } from '../http/fixtures'
import { PASSWORD, call, fundedWallet, mobileUser, restHub, type RestHub, type SignedIn } from './fixtures'

/** Every migration before roles added up, whatever its number once branches are merged. */
const BEFORE_ROLE_SETS = MIGRATIONS.slice(0, MIGRATIONS.findIndex((migration) => migration.sql.includes(USER_ROLES_AND_EMAIL_PROOFS_SQL)))

let euis = 0

async function catalogGateway(hub: RestHub): Promise<string> {
  const eui = `70B3D57ED0${(++euis).toString(16).padStart(6, '0').toUpperCase()}`
  const response = await call(hub.app, hub.operator, {
    method: 'POST', url: '/gateways', payload: { name: `Counter ${eui}`, type: 'pi-nfc', eui, price: '25000', currency: 'XOF' },
  })
  if (response.statusCode !== 201) throw new Error(response.body)
  return response.json().id
}

function order(hub: RestHub, as: SignedIn, gatewayIds: string[]) {
  return call(hub.app, as, {
    method: 'POST', url: '/orders',
    payload: { items: gatewayIds.map((gatewayId) => ({ gatewayId, quantity: 1 })), shippingAddress: '12 rue Carnot, Dakar' },
  })
}

function rolesIn(hub: RestHub, userId: string): string[] {
  return (hub.context.db.prepare('SELECT role FROM user_roles WHERE user_id = ? ORDER BY role').all(userId) as Array<{ role: string }>)
    .map((row) => row.role)
}

t.test('users carry over to role sets: an owner holds customer again, and users.role is gone', async (t) => {
  const dataDir = t.testdir()
  const before = openDatabase(join(dataDir, DATABASE_FILE), { migrations: BEFORE_ROLE_SETS })
  const hash = await createPasswordHasher({ random: seededRandom('roles'), cost: TEST_SCRYPT_COST }).hash(PASSWORD)
  const insert = before.prepare(`INSERT INTO users (id, email, full_name, password_hash, role, created_at_ms) VALUES (?, ?, 'Stored', ?, ?, 7)`)
  insert.run('ops', 'ops@payall.example', hash, 'operator')
  insert.run('awa', 'awa@payall.example', hash, 'owner')
  insert.run('fatou', 'fatou@payall.example', hash, 'customer')
  before.close()

  const hub = await testHub(t, { dataDir })
  const roles = hub.context.db.prepare('SELECT user_id, role, granted_at_ms FROM user_roles ORDER BY user_id, role').all()
  t.same(roles, [
    { user_id: 'awa', role: 'customer', granted_at_ms: 7 },
    { user_id: 'awa', role: 'owner', granted_at_ms: 7 },
    { user_id: 'fatou', role: 'customer', granted_at_ms: 7 },
    { user_id: 'ops', role: 'operator', granted_at_ms: 7 },
  ])
  const columns = (hub.context.db.prepare('PRAGMA table_info(users)').all() as Array<{ name: string }>).map((column) => column.name)
  t.notOk(columns.includes('role'), 'one source of truth: the role rows')
  const awa = await login(hub.app, 'awa@payall.example', PASSWORD)
  t.match(awa.json().user, { roles: ['owner', 'customer'], role: 'owner', emailVerified: false })
  const devices = await hub.app.inject({ method: 'GET', url: '/api/auth/device/user', headers: { authorization: `Bearer ${awa.json().token}` } })
  t.equal(devices.statusCode, 200, 'the owner has the customer routes back')
})

t.test('a customer whose order is validated becomes an owner and keeps every customer route, with the token they had', async (t) => {
  const hub = await restHub(t)
  const buyer = hub.customer
  const payee = await mobileUser(hub, { name: 'Moussa' })
  const payeeWallet = await fundedWallet(hub.app, hub.operator, payee, 'XOF', '0')
  await fundedWallet(hub.app, hub.operator, buyer, 'XOF', '100000')
  t.equal((await call(hub.app, buyer, { method: 'GET', url: '/owner/gateways' })).statusCode, 403, 'not an owner yet')

  const placed = (await order(hub, buyer, [await catalogGateway(hub)])).json()
  t.equal((await call(hub.app, hub.operator, { method: 'POST', url: `/orders/${placed.id}/validate` })).statusCode, 200)
  t.same(rolesIn(hub, buyer.userId), ['customer', 'owner'])

  const owned = await call(hub.app, buyer, { method: 'GET', url: '/owner/gateways' })
  t.equal(owned.statusCode, 200, 'the owner routes open at once')
  t.equal(owned.json().total, 1)
  const imei = '356938035643809'
  const publicKey = toBase64(nodeEd25519.keyPairFromSeed(seededRandom('roles-device')(32)).publicKey)
  const customerRoutes: Array<[string, string, object | undefined, number]> = [
    ['POST', '/api/auth/device/binding', { imei, publicKey }, 201],
    ['GET', '/api/auth/device/user', undefined, 200],
    ['POST', '/api/auth/device/voucher', { imei, amount: '1000', currency: 'XOF' }, 201],
    ['GET', `/api/auth/device/balance/${imei}`, undefined, 200],
    ['POST', '/api/auth/device/balancecheck', { imei }, 200],
    ['GET', '/api/auth/device/transaction', undefined, 200],
    ['POST', '/api/auth/binding', { accountNo: 'SN08 0001 0002' }, 201],
    ['POST', '/api/auth/device/pay', { toPhone: payee.phone, amount: '500' }, 202],
    ['POST', '/transactions', { toWalletAddress: payeeWallet, amount: '700', currency: 'XOF' }, 201],
    ['POST', '/orders', { items: [{ gatewayId: await catalogGateway(hub), quantity: 1 }], shippingAddress: 'Dakar' }, 201],
    ['POST', '/api/auth/device/user-unbind', { imei }, 200],
  ]
  for (const [method, url, payload, status] of customerRoutes) {
    const response = await call(hub.app, buyer, { method, url, ...(payload === undefined ? {} : { payload }) })
    t.equal(response.statusCode, status, `${method} ${url}: ${response.statusCode === status ? 'ok' : response.body}`)
  }
  const dashboard = await call(hub.app, buyer, { method: 'GET', url: '/users/dashboard-infos' })
  t.same(Object.keys(dashboard.json()).sort(), ['customer', 'owner', 'role'], 'the dashboard has both sections')
  t.equal(dashboard.json().role, 'owner')
  t.match((await login(hub.app, buyer.email, PASSWORD)).json().user, { roles: ['owner', 'customer'], role: 'owner' })
})

/** Makes the assignment of `gatewayId` fail as if the gateway changed hands while the validation worked. */
function raceOn(hub: RestHub, gatewayId: string): void {
  hub.context.db.exec(`CREATE TRIGGER changed_hands BEFORE UPDATE ON gateways WHEN NEW.id = '${gatewayId}'
    BEGIN SELECT RAISE(ABORT, 'the gateway changed hands meanwhile'); END`)
}

t.test('a validation undone takes back only the owner role it gave: a customer is a customer again, an owner stays one', async (t) => {
  const hub = await restHub(t)
  for (const [buyer, rolesAfter] of [[hub.customer, ['customer']], [hub.owner, ['customer', 'owner']]] as const) {
    const contested = await catalogGateway(hub)
    const placed = (await order(hub, buyer, [await catalogGateway(hub), contested])).json()
    raceOn(hub, contested)
    const response = await call(hub.app, hub.operator, { method: 'POST', url: `/orders/${placed.id}/validate` })
    hub.context.db.exec('DROP TRIGGER changed_hands')
    t.equal(response.statusCode, 500)
    t.match((await call(hub.app, buyer, { method: 'GET', url: `/orders/${placed.id}` })).json(), { status: 'pending' })
    t.same(rolesIn(hub, buyer.userId), rolesAfter)
  }
})

t.test('a route admits a user holding any of its roles: an operator who is also a customer passes both', async (t) => {
  const hub = await restHub(t)
  await hub.services.users.addRole(hub.customer.userId, 'operator', hub.clock.now_ms())
  t.equal((await call(hub.app, hub.customer, { method: 'GET', url: '/ledger/verify' })).statusCode, 200, 'an operator route')
  t.equal((await call(hub.app, hub.customer, { method: 'GET', url: '/api/auth/device/user' })).statusCode, 200, 'a customer route')
  const refused = await call(hub.app, hub.customer, { method: 'GET', url: '/owner/gateways' })
  t.same(errorOf(refused), { code: 'FORBIDDEN', message: 'this route is for owner; your roles are operator, customer' })
  const session = await login(hub.app, hub.customer.email, PASSWORD)
  t.match(session.json().user, { roles: ['operator', 'customer'], role: 'operator' }, 'sorted: operator, owner, customer')
})

t.test('every user keeps at least one role: the database refuses to take the last', async (t) => {
  const hub = await restHub(t)
  await t.rejects(hub.services.users.removeRole(hub.customer.userId, 'customer'), /at least one role/)
  t.same(rolesIn(hub, hub.customer.userId), ['customer'])
  t.ok(await hub.services.users.removeRole(hub.owner.userId, 'owner'), 'a role beside another goes')
})
