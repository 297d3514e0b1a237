import t from 'tap'
import { commitmentFrameCodec } from '../../../protocol/messages/commitment-frame'
import { LoraStore, LORA_REPORTS_KEPT_MAX } from '../../../hub/lora/store'
import type { LoraUplink } from '../../../hub/lora/uplink'
import { EUI, gatewayHub, provisionedGateway } from '../gateways/fixtures'

function uplink(fCnt: number): LoraUplink {
  return { eui: EUI, devEui: EUI.toLowerCase(), deviceId: 'counter-1', fPort: 10, fCnt, payload: new Uint8Array(), rssi: -120, snr: -9 }
}

const frame = (gatewaySeq: number) => commitmentFrameCodec.decode(commitmentFrameCodec.encode({
  gatewaySeq, unsyncedCount: 1, unsyncedAmountMinor: 250, currency: 'EUR', headPrefix: new Uint8Array(16).fill(0xab), timeS: 1_795_000_000,
}))

t.test("the LoRa view is the operator's and the owner's, never another owner's", async t => {
  const hub = await gatewayHub(t)
  const { id } = await provisionedGateway(hub)
  const store = new LoraStore(hub.context.engine)
  await store.addReport(uplink(1), 1, frame(4), { state: 'pending' }, 1_000)
  await store.addReport(uplink(2), 1, frame(5), { state: 'mismatch', mismatch: 'HEAD_MISMATCH', detail: 'another head' }, 2_000)
  const url = `/gateways/${id}/lora`
  const response = await hub.app.inject({ method: 'GET', url, headers: hub.operator.headers })
  t.equal(response.statusCode, 200)
  const view = response.json()
  t.same(view.lastReport, {
    receivedAt: new Date(2_000).toISOString(), fCnt: 2, gatewaySeq: 5, unsyncedCount: 1, unsyncedAmountMinor: 250,
    unsyncedAmount: '2.50', currency: 'EUR', headPrefix: 'ab'.repeat(16), frameTime: new Date(1_795_000_000_000).toISOString(),
    rssi: -120, snr: -9, check: 'mismatch', mismatch: 'HEAD_MISMATCH', mismatchDetail: 'another head',
    checkedAt: new Date(2_000).toISOString(),
  })
  t.same(view.reports.map((r: { fCnt: number }) => r.fCnt), [2, 1], 'newest first')
  t.equal(view.mismatchCount, 1)
  t.equal((await hub.app.inject({ method: 'GET', url, headers: hub.owner.headers })).statusCode, 200)
  t.equal((await hub.app.inject({ method: 'GET', url, headers: hub.otherOwner.headers })).statusCode, 403)
  t.equal((await hub.app.inject({ method: 'GET', url })).statusCode, 401)
  t.equal((await hub.app.inject({ method: 'GET', url: '/gateways/nope/lora', headers: hub.operator.headers })).statusCode, 404)
})

t.test('the history is bounded; mismatches, being flags, are kept beyond it', async t => {
  const hub = await gatewayHub(t)
  await provisionedGateway(hub)
  const store = new LoraStore(hub.context.engine)
  await store.addReport(uplink(0), 1, frame(1), { state: 'mismatch', mismatch: 'UNSYNCED_AMOUNT', detail: 'x' }, 0)
  for (let fCnt = 1; fCnt <= LORA_REPORTS_KEPT_MAX + 20; fCnt++) await store.addReport(uplink(fCnt), 1, frame(1), { state: 'consistent' }, fCnt)
  const count = hub.context.db.prepare('SELECT COUNT(*) AS count FROM lora_reports WHERE eui = ?').get(EUI) as { count: number }
  t.equal(count.count, LORA_REPORTS_KEPT_MAX + 1)
  t.equal(await store.mismatchCount(EUI), 1)
  t.equal((await store.device(EUI))?.lastFCnt, LORA_REPORTS_KEPT_MAX + 20)
})
