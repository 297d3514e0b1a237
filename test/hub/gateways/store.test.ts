// GatewayStore on both engines (SQLite, PostgreSQL), and on PostgreSQL two hubs racing on one gateway: the database
// decides which one spends a provisioning token, opens a chain, or changes a risk config.

import t from 'tap'
import type { Pool } from 'pg'
import { GATEWAY_PAGE_SIZE_MAX, GatewayStore, newGatewayId, type Provisioning } from '../../../hub/gateways/store'
import { migratePg } from '../../../hub/store/pg/migrate'
import { PgEngine, type SqlEngine } from '../../../hub/store/sql'
import { postgresSkip, testDatabase } from '../../helpers/postgres'
import { engineTests } from '../helpers/engines'

const EUI = '70B3D57ED0001A2B'
const engineTest = engineTests(t)

const newGateway = (id: string, eui: string) => ({ id, eui, name: 'n', type: 'pi-nfc', priceMinor: 1, priceCurrency: 'XOF', createdAtMs: 0 })

/** An owner 'u1' with role owner and a wallet 'w1': what assigning a gateway needs of the other domains. */
async function ownerAndWallet(engine: SqlEngine): Promise<void> {
  await engine.run(`INSERT INTO users (id, email, password_hash, created_at_ms) VALUES ('u1', 'u@x.example', 'h', 0)`)
  await engine.run(`INSERT INTO user_roles (user_id, role, granted_at_ms) VALUES ('u1', 'owner', 0)`)
  await engine.run(`INSERT INTO accounts (id, user_id, kind, currency, created_at_ms) VALUES ('w1', 'u1', 'wallet', 'XOF', 0)`)
}

const provisioning = (tokenSha256Hex: string, key = 0): Provisioning => ({
  id: 'g1', tokenSha256Hex, publicKey: new Uint8Array(32).fill(key), riskConfig: new Uint8Array([1]), riskConfigSerial: 1, provisionedAtMs: 5,
})

engineTest('the ingest view of a gateway is its id and seven routing fields, the key as bytes', async (t, factory) => {
  const { engine } = await factory.open(t)
  const gateways = new GatewayStore(engine)
  t.equal(await gateways.ingestView(EUI), undefined, 'unknown EUI')
  t.ok(await gateways.insert(newGateway('g1', EUI)))
  t.same(await gateways.ingestView(EUI), {
    id: 'g1', eui: EUI, type: 'pi-nfc', status: 'available', publicKey: null, chain: 1, ownerUserId: null, merchantAccountId: null,
  })
  await engine.run('UPDATE gateways SET public_key = ? WHERE id = ?', [Buffer.alloc(32, 5), 'g1'])
  const view = (await gateways.ingestView(EUI))!
  t.ok(view.publicKey instanceof Uint8Array)
  t.same(view.publicKey, new Uint8Array(32).fill(5))
})

engineTest('a taken EUI is refused without writing anything', async (t, factory) => {
  const gateways = new GatewayStore((await factory.open(t)).engine)
  t.ok(await gateways.insert(newGateway('g1', EUI)))
  t.notOk(await gateways.insert(newGateway('g2', EUI)))
  t.equal(await gateways.byId('g2'), undefined)
  t.equal((await gateways.byEui(EUI))!.id, 'g1')
})

engineTest('pages are bounded', async (t, factory) => {
  const gateways = new GatewayStore((await factory.open(t)).engine)
  await t.rejects(gateways.catalogPage(0, GATEWAY_PAGE_SIZE_MAX + 1), RangeError)
  await t.rejects(gateways.ownerPage('u', -1, 10), RangeError)
  await t.rejects(gateways.provisionedConfigsAfter('', 0), RangeError)
  t.same(await gateways.catalogPage(0, GATEWAY_PAGE_SIZE_MAX), { gateways: [], total: 0 })
})

engineTest('a provisioning token hash is replaced by the next and consumed by provisioning', async (t, factory) => {
  const { engine } = await factory.open(t)
  const gateways = new GatewayStore(engine)
  await gateways.insert(newGateway('g1', EUI))
  t.notOk(await gateways.setProvisioningToken('g1', { sha256Hex: 'a'.repeat(64), expiresAtMs: 10 }), 'not while available')
  await ownerAndWallet(engine)
  t.same(await gateways.userRoles('u1'), ['owner'])
  t.equal(await gateways.userRoles('nobody'), undefined)
  t.ok(await gateways.assign('g1', 'u1', 'w1'))
  t.ok(await gateways.setProvisioningToken('g1', { sha256Hex: 'a'.repeat(64), expiresAtMs: 10 }))
  t.ok(await gateways.setProvisioningToken('g1', { sha256Hex: 'b'.repeat(64), expiresAtMs: 20 }))
  t.same(await gateways.provisioningToken('g1'), { sha256Hex: 'b'.repeat(64), expiresAtMs: 20 })
  t.notOk(await gateways.provision(provisioning('a'.repeat(64))), 'the replaced token')
  t.same(await gateways.provision(provisioning('b'.repeat(64))), { chain: 1, opened: true })
  t.equal(await gateways.provisioningToken('g1'), undefined)
  t.notOk(await gateways.provision(provisioning('b'.repeat(64))), 'used once')
  t.same((await gateways.chainStatus((await gateways.byId('g1'))!)),
    { number: 1, chain: null, openGaps: [], openGapCount: 0, forkCount: 0, closingChains: [] }, 'its chain is open, nothing received yet')
})

engineTest('a new key opens the next chain and closes the one before; retiring closes the last', async (t, factory) => {
  const { engine } = await factory.open(t)
  const gateways = new GatewayStore(engine)
  await gateways.insert(newGateway('g1', EUI))
  await ownerAndWallet(engine)
  await gateways.assign('g1', 'u1', 'w1')
  await gateways.setProvisioningToken('g1', { sha256Hex: 'a'.repeat(64), expiresAtMs: 10 })
  t.same(await gateways.provision(provisioning('a'.repeat(64), 1)), { chain: 1, opened: true })
  // Records 1..3 of chain 1 held, 5 too: 4 missing, so the chain closes only once it is written off.
  await engine.run('UPDATE gateway_chains SET contiguous_seq = 3, highest_seq = 5, updated_at_ms = 7 WHERE eui = ? AND chain = 1', [EUI])
  await engine.run('INSERT INTO chain_gaps (eui, chain, from_seq, to_seq, detected_at_ms) VALUES (?, 1, 4, 4, 7)', [EUI])
  await gateways.setProvisioningToken('g1', { sha256Hex: 'b'.repeat(64), expiresAtMs: 10 })
  t.same(await gateways.provision(provisioning('b'.repeat(64), 2)), { chain: 2, opened: true })
  await gateways.setProvisioningToken('g1', { sha256Hex: 'c'.repeat(64), expiresAtMs: 10 })
  t.same(await gateways.provision(provisioning('c'.repeat(64), 2)), { chain: 2, opened: false }, 'the same key again: the same chain')
  const status = await gateways.chainStatus((await gateways.byId('g1'))!)
  t.match(status, { number: 2, chain: null, closingChains: [{ number: 1, contiguousSeq: 3, highestSeq: 5, openGapCount: 1 }] })

  const writeOff = { gatewayId: 'g1', chain: 1, byUserId: 'u1', note: 'lost', atMs: 9 }
  t.same(await engine.write(sql => gateways.writeOffChain(sql, writeOff)), { outcome: 'closed', fromSeq: 4, toSeq: 4 })
  t.same(await engine.write(sql => gateways.writeOffChain(sql, writeOff)), { outcome: 'not_closing', state: 'closed' })
  t.same(await engine.write(sql => gateways.writeOffChain(sql, { ...writeOff, chain: 2 })), { outcome: 'not_closing', state: 'open' })
  t.same(await engine.write(sql => gateways.writeOffChain(sql, { ...writeOff, chain: 3 })), { outcome: 'unknown' })
  t.equal((await gateways.chainStatus((await gateways.byId('g1'))!)).closingChains.length, 0)

  t.ok(await engine.write(sql => gateways.retire(sql, 'g1', 11)))
  t.notOk(await engine.write(sql => gateways.retire(sql, 'g1', 12)), 'once')
  t.same(await engine.all('SELECT chain, state, closed_at_ms FROM gateway_chains WHERE eui = ? ORDER BY chain', [EUI]),
    [{ chain: 1, state: 'closed', closed_at_ms: 9 }, { chain: 2, state: 'closed', closed_at_ms: 11 }], 'held whole: closed at once')
  t.same(await gateways.retiredEuisAfter('', 10), [EUI])
  t.ok(await gateways.insert(newGateway('g2', EUI)), 'a retired gateway\'s EUI is free')
  t.equal((await gateways.byEui(EUI))!.id, 'g2', 'the EUI names the gateway that is not retired')
  t.equal((await gateways.ingestView(EUI))!.id, 'g2')
})

engineTest('a risk config is only stored over the serial it was built on', async (t, factory) => {
  const gateways = new GatewayStore((await factory.open(t)).engine)
  await gateways.insert(newGateway('g1', EUI))
  t.ok(await gateways.setRiskConfig('g1', new Uint8Array([1]), 1, 0))
  t.notOk(await gateways.setRiskConfig('g1', new Uint8Array([2]), 2, 0), 'built on a stale serial')
  t.same((await gateways.byId('g1'))!.riskConfig, new Uint8Array([1]))
})

t.test('gateway ids are random version 4 UUIDs', async (t) => {
  const id = newGatewayId(() => new Uint8Array(16).fill(0xff))
  t.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
})

t.test('PostgreSQL: hubs racing with one provisioning token, one risk serial and one EUI: the database lets one win each', { skip: postgresSkip() }, async (t) => {
  const HUBS = 4
  const database = await testDatabase(t)
  const schema = `gateways_race_${process.pid}`
  const pools: Pool[] = []
  for (let index = 0; index < HUBS; index += 1) {
    const pool = await database.pool(schema)
    t.teardown(() => pool.end())
    pools.push(pool)
  }
  await Promise.all(pools.map(pool => migratePg(pool)))
  const engines = pools.map(pool => new PgEngine(pool))
  const stores = engines.map(engine => new GatewayStore(engine))
  await stores[0]!.insert(newGateway('g1', EUI))
  await ownerAndWallet(engines[0]!)
  await stores[0]!.assign('g1', 'u1', 'w1')
  await stores[0]!.setProvisioningToken('g1', { sha256Hex: 'a'.repeat(64), expiresAtMs: 10 })

  const provisioned = await Promise.all(stores.map((store, index) => store.provision(provisioning('a'.repeat(64), index + 1))))
  t.equal(provisioned.filter(outcome => outcome !== undefined).length, 1, 'one hub spent the token')
  t.same(await engines[0]!.all('SELECT chain, state FROM gateway_chains WHERE eui = ?', [EUI]), [{ chain: 1, state: 'open' }],
    'one chain opened')

  const changed = await Promise.all(stores.map((store, index) => store.setRiskConfig('g1', new Uint8Array([index]), 2, 1)))
  t.equal(changed.filter(Boolean).length, 1, 'one config built on serial 1 stored')

  const inserted = await Promise.all(stores.map((store, index) => store.insert(newGateway(`g-new-${index}`, '70B3D57ED0001A2C'))))
  t.equal(inserted.filter(Boolean).length, 1, 'one gateway took the free EUI')
})
