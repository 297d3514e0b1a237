import t from 'tap'
import { GATEWAY_PAGE_SIZE_MAX, GatewayStore, newGatewayId } from '../../../hub/gateways/store'
import { testContext } from '../http/fixtures'

const EUI = '70B3D57ED0001A2B'

function store(t: Parameters<typeof testContext>[0]) {
  const { context } = testContext(t)
  return { context, gateways: new GatewayStore(context.db) }
}

const newGateway = (id: string, eui: string) => ({ id, eui, name: 'n', type: 'pi-nfc', priceMinor: 1, priceCurrency: 'XOF', createdAtMs: 0 })

t.test('the ingest view of a gateway is its id and seven routing fields, the key as bytes', async (t) => {
  const { context, gateways } = store(t)
  t.equal(gateways.ingestView(EUI), undefined, 'unknown EUI')
  t.ok(gateways.insert(newGateway('g1', EUI)))
  t.same(gateways.ingestView(EUI), {
    id: 'g1', eui: EUI, type: 'pi-nfc', status: 'available', publicKey: null, chain: 1, ownerUserId: null, merchantAccountId: null,
  })
  context.db.prepare('UPDATE gateways SET public_key = ? WHERE id = ?').run(Buffer.alloc(32, 5), 'g1')
  const view = gateways.ingestView(EUI)!
  t.ok(view.publicKey instanceof Uint8Array)
  t.same(view.publicKey, new Uint8Array(32).fill(5))
})

t.test('a taken EUI is refused without writing anything', async (t) => {
  const { gateways } = store(t)
  t.ok(gateways.insert(newGateway('g1', EUI)))
  t.notOk(gateways.insert(newGateway('g2', EUI)))
  t.equal(gateways.byId('g2'), undefined)
  t.equal(gateways.byEui(EUI)!.id, 'g1')
})

t.test('pages are bounded', async (t) => {
  const { gateways } = store(t)
  t.throws(() => gateways.catalogPage(0, GATEWAY_PAGE_SIZE_MAX + 1), RangeError)
  t.throws(() => gateways.ownerPage('u', -1, 10), RangeError)
  t.throws(() => gateways.provisionedConfigsAfter('', 0), RangeError)
  t.same(gateways.catalogPage(0, GATEWAY_PAGE_SIZE_MAX), { gateways: [], total: 0 })
})

t.test('a provisioning token hash is replaced by the next and consumed by provisioning', async (t) => {
  const { gateways, context } = store(t)
  gateways.insert(newGateway('g1', EUI))
  t.notOk(gateways.setProvisioningToken('g1', { sha256Hex: 'a'.repeat(64), expiresAtMs: 10 }), 'not while available')
  const wallet = await context.ledger.openWallet({ id: 'w1', userId: null, currency: 'XOF' })
  context.db.prepare(`INSERT INTO users (id, email, password_hash, created_at_ms) VALUES ('u1', 'u@x.example', 'h', 0)`).run()
  t.ok(gateways.assign('g1', 'u1', wallet.id))
  t.ok(gateways.setProvisioningToken('g1', { sha256Hex: 'a'.repeat(64), expiresAtMs: 10 }))
  t.ok(gateways.setProvisioningToken('g1', { sha256Hex: 'b'.repeat(64), expiresAtMs: 20 }))
  t.same(gateways.provisioningToken('g1'), { sha256Hex: 'b'.repeat(64), expiresAtMs: 20 })
  const provisioning = {
    id: 'g1', publicKey: new Uint8Array(32), riskConfig: new Uint8Array([1]), riskConfigSerial: 1, provisionedAtMs: 5,
  }
  t.notOk(gateways.provision({ ...provisioning, tokenSha256Hex: 'a'.repeat(64) }), 'the replaced token')
  t.ok(gateways.provision({ ...provisioning, tokenSha256Hex: 'b'.repeat(64) }))
  t.equal(gateways.provisioningToken('g1'), undefined)
  t.notOk(gateways.provision({ ...provisioning, tokenSha256Hex: 'b'.repeat(64) }), 'used once')
})

t.test('a risk config is only stored over the serial it was built on', async (t) => {
  const { gateways } = store(t)
  gateways.insert(newGateway('g1', EUI))
  t.ok(gateways.setRiskConfig('g1', new Uint8Array([1]), 1, 0))
  t.notOk(gateways.setRiskConfig('g1', new Uint8Array([2]), 2, 0), 'built on a stale serial')
  t.same(gateways.byId('g1')!.riskConfig, new Uint8Array([1]))
})

t.test('gateway ids are random version 4 UUIDs', async (t) => {
  const id = newGatewayId(() => new Uint8Array(16).fill(0xff))
  t.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
})
