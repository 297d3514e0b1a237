import t from 'tap'
import { MINUTE_MS } from '../../../protocol/clock'
import { errorOf } from '../http/fixtures'
import { EUI, addGateway, assignedGateway, gatewayHub, provisionedGateway } from './fixtures'

t.test('status reports the chain position, the open gaps and the forks the hub found', async (t) => {
  const hub = await gatewayHub(t)
  const { id } = await provisionedGateway(hub)
  const db = hub.context.db
  // Provisioning opened chain 1; the hub has taken records of it since.
  db.prepare(`UPDATE gateway_chains SET contiguous_seq = 41, contiguous_hash = ?, highest_seq = 57, updated_at_ms = ?
    WHERE eui = ? AND chain = 1`).run(Buffer.alloc(32), hub.clock.now_ms(), EUI)
  const insertGap = db.prepare('INSERT INTO chain_gaps (eui, chain, from_seq, to_seq, detected_at_ms, resolved_at_ms) VALUES (?, 1, ?, ?, ?, ?)')
  insertGap.run(EUI, 10, 12, 1_000, 2_000)
  insertGap.run(EUI, 50, 51, 3_000, null)
  insertGap.run(EUI, 42, 44, 4_000, null)
  insertGap.run('0000000000000001', 1, 1, 5_000, null)
  db.prepare('INSERT INTO chain_forks (eui, chain, gateway_seq, known_hash, other_record, detected_at_ms) VALUES (?, 1, 7, ?, ?, 0)')
    .run(EUI, Buffer.alloc(32), Buffer.alloc(8))

  const response = await hub.app.inject({ method: 'GET', url: `/gateways/${id}/status`, headers: hub.operator.headers })
  t.equal(response.statusCode, 200)
  t.same(response.json(), {
    gatewayId: id,
    eui: EUI,
    status: 'provisioned',
    provisionedAt: new Date(hub.clock.now_ms()).toISOString(),
    retiredAt: null,
    riskConfigSerial: 1,
    chainNumber: 1,
    chain: { contiguousSeq: 41, highestSeq: 57, updatedAt: new Date(hub.clock.now_ms()).toISOString() },
    openGaps: [
      { fromSeq: 42, toSeq: 44, detectedAt: new Date(4_000).toISOString() },
      { fromSeq: 50, toSeq: 51, detectedAt: new Date(3_000).toISOString() },
    ],
    openGapCount: 2,
    forkCount: 1,
    closingChains: [],
    lastSyncAtMs: hub.clock.now_ms(),
    unsyncedOfflineMinor: null,
    unsyncedOffline: null,
    unsyncedOfflineCurrency: null,
    unsyncedOfflineReportedAtMs: null,
    chainGaps: 2,
    online: false,
    lastSeenAtMs: null,
  })
})

t.test('before its first upload a gateway has no chain at the hub', async (t) => {
  const hub = await gatewayHub(t)
  const gateway = await assignedGateway(hub)
  const response = await hub.app.inject({ method: 'GET', url: `/gateways/${gateway.id}/status`, headers: hub.owner.headers })
  t.match(response.json(), {
    status: 'assigned', provisionedAt: null, chainNumber: null, chain: null, openGaps: [], openGapCount: 0, forkCount: 0, closingChains: [],
  })
})

t.test("an owner sees the status of their own gateways, never another owner's", async (t) => {
  const hub = await gatewayHub(t)
  const { id } = await provisionedGateway(hub)
  const unassigned = await addGateway(hub, { eui: '0000000000000001' })
  const url = `/gateways/${id}/status`
  t.equal((await hub.app.inject({ method: 'GET', url, headers: hub.owner.headers })).statusCode, 200)
  const other = await hub.app.inject({ method: 'GET', url, headers: hub.otherOwner.headers })
  t.equal(other.statusCode, 403)
  t.equal(errorOf(other).code, 'FORBIDDEN')
  t.notMatch(other.body, /provisioned|contiguous/, 'nothing of the gateway in the refusal')
  const nobodys = await hub.app.inject({ method: 'GET', url: `/gateways/${unassigned.id}/status`, headers: hub.owner.headers })
  t.equal(nobodys.statusCode, 403)
  t.equal((await hub.app.inject({ method: 'GET', url, headers: hub.customer.headers })).statusCode, 403)
  t.equal((await hub.app.inject({ method: 'GET', url })).statusCode, 401)
  t.equal((await hub.app.inject({ method: 'GET', url: '/gateways/nope/status', headers: hub.owner.headers })).statusCode, 404)
})

t.test("an owner's gateway list holds their gateways only, retired ones included", async (t) => {
  const hub = await gatewayHub(t)
  const first = await provisionedGateway(hub)
  hub.clock.advance(1)
  const second = await assignedGateway(hub, { eui: '0000000000000001' })
  await addGateway(hub, { eui: '0000000000000002' })
  await hub.app.inject({ method: 'DELETE', url: `/gateways/${first.id}`, headers: hub.operator.headers })

  const mine = await hub.app.inject({ method: 'GET', url: '/owner/gateways', headers: hub.owner.headers })
  t.equal(mine.statusCode, 200)
  const body = mine.json()
  t.match(body, { page: 1, pageSize: 20, total: 2 })
  t.same(body.items.map((item: { id: string; status: string }) => [item.id, item.status]), [[first.id, 'retired'], [second.id, 'assigned']])
  t.equal(body.items[0].ownerUserId, hub.owner.id)

  const paged = (await hub.app.inject({ method: 'GET', url: '/owner/gateways?pageSize=1&page=2', headers: hub.owner.headers })).json()
  t.same(paged.items.map((item: { id: string }) => item.id), [second.id])

  const theirs = await hub.app.inject({ method: 'GET', url: '/owner/gateways', headers: hub.otherOwner.headers })
  t.same(theirs.json(), { items: [], page: 1, pageSize: 20, total: 0 })
  t.equal((await hub.app.inject({ method: 'GET', url: '/owner/gateways', headers: hub.operator.headers })).statusCode, 403)
  t.equal((await hub.app.inject({ method: 'GET', url: '/owner/gateways' })).statusCode, 401)
})

t.test('status and the owner’s list say when a gateway last synced, what its last LoRa report held unsynced, and its open gaps', async (t) => {
  const hub = await gatewayHub(t)
  const { id } = await provisionedGateway(hub)
  const db = hub.context.db
  const syncedAt_ms = hub.clock.now_ms()
  db.prepare(`UPDATE gateway_chains SET contiguous_seq = 41, contiguous_hash = ?, highest_seq = 44, updated_at_ms = ?
    WHERE eui = ? AND chain = 1`).run(Buffer.alloc(32), syncedAt_ms, EUI)
  db.prepare('INSERT INTO chain_gaps (eui, chain, from_seq, to_seq, detected_at_ms) VALUES (?, 1, 42, 43, 0)').run(EUI)
  const report = db.prepare(`INSERT INTO lora_reports (eui, f_cnt, gateway_seq, unsynced_count, unsynced_amount_minor, currency, head_prefix,
    frame_time_s, received_at_ms, check_state) VALUES (?, ?, ?, ?, ?, 'XOF', ?, 0, ?, 'pending')`)
  hub.clock.advance(MINUTE_MS)
  report.run(EUI, 1, 44, 2, 3_000, Buffer.alloc(16), hub.clock.now_ms() - 1)
  report.run(EUI, 2, 46, 5, 7_000, Buffer.alloc(16), hub.clock.now_ms())
  const expected = {
    lastSyncAtMs: syncedAt_ms, unsyncedOfflineMinor: 7_000, unsyncedOffline: '7000', unsyncedOfflineCurrency: 'XOF',
    unsyncedOfflineReportedAtMs: hub.clock.now_ms(), chainGaps: 1,
  }
  const status = async () => (await hub.app.inject({ method: 'GET', url: `/gateways/${id}/status`, headers: hub.owner.headers })).json()
  const listed = async () => (await hub.app.inject({ method: 'GET', url: '/owner/gateways', headers: hub.owner.headers })).json().items[0]
  t.match(await status(), expected, 'the last report’s amount while its records have not all come over IP')
  t.match(await listed(), { id, ...expected }, 'the owner’s list says the same')

  db.prepare('UPDATE gateway_chains SET contiguous_seq = 46, highest_seq = 46, updated_at_ms = ? WHERE eui = ?').run(hub.clock.now_ms(), EUI)
  db.prepare('UPDATE chain_gaps SET resolved_at_ms = ? WHERE eui = ?').run(hub.clock.now_ms(), EUI)
  const caughtUp = { ...expected, lastSyncAtMs: hub.clock.now_ms(), unsyncedOfflineMinor: 0, unsyncedOffline: '0', chainGaps: 0 }
  t.match(await status(), caughtUp, 'once they have, nothing it counted is unsynced')
  t.match(await listed(), caughtUp)

  const fresh = await assignedGateway(hub, { eui: '0000000000000001' })
  const none = (await hub.app.inject({ method: 'GET', url: `/gateways/${fresh.id}/status`, headers: hub.owner.headers })).json()
  t.match(none, {
    lastSyncAtMs: null, unsyncedOfflineMinor: null, unsyncedOffline: null, unsyncedOfflineCurrency: null, unsyncedOfflineReportedAtMs: null,
    chainGaps: 0,
  }, 'no upload and no LoRa report yet')
})
