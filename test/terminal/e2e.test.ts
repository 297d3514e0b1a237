import t from 'tap'
import { join } from 'node:path'
import { loadOrCreateUpdateKeys } from '../../hub/updates/update-key'
import { toHex } from '../../protocol/bytes'
import { Reason, reasonName } from '../../protocol/reasons'
import { TerminalStore } from '../../terminal/store/store'
import type { PaymentOutcome } from '../../terminal/payment'
import {
  attachTerminal, customerWithVoucher, merchantBalance, provisionedTerminal, shutDown, startTestHub, type WorldTerminal,
} from './hub-world'

function seqOf(outcome: PaymentOutcome): number {
  if (outcome.kind !== 'approved') throw new Error(`expected approved, got ${JSON.stringify(outcome)}`)
  return outcome.record.gatewaySeq
}

function statuses(world: WorldTerminal) {
  return world.store.recordsFrom(1, 1_000).map(record => `${record.gatewaySeq}:${record.status}/${record.ackOutcome}`)
}

t.test('offline payments taken while the link is down are all settled exactly once after it returns', async t => {
  const { hub, operator, dir } = await startTestHub(t)
  const world = await provisionedTerminal(hub, operator, dir, '70B3D57ED0000A01', 'awa@shop.example')
  t.teardown(() => shutDown(world))
  const fatou = await customerWithVoucher(operator, 'fatou@phone.example', 100_000, '30000')
  const moussa = await customerWithVoucher(operator, 'moussa@phone.example', 100_000, '30000')
  t.equal(world.store.riskConfig()!.currency, 'XOF', 'provisioning stored the hub-signed config')

  const amounts = [1_000, 2_500, 4_000, 750, 3_000]
  for (const [index, amount] of amounts.entries()) {
    const outcome = await world.pay(index % 2 === 0 ? fatou.phone : moussa.phone, amount)
    t.equal(outcome.kind === 'approved' && outcome.modeNote, 'offline-link-down', `payment ${index + 1} went offline, and said so`)
  }
  t.equal(world.sync.online, false)
  t.same(world.store.exposure('XOF'), { unsyncedCount: 5, unsyncedTotalMinor: 11_250, oldestUnsyncedTimeMs: world.store.record(1)!.timeMs })
  t.equal(await merchantBalance(hub, world.ownerEmail), 0, 'nothing reached the hub yet')

  const forwarded: string[] = []
  world.events.on('records-forwarded', ({ fromSeq, toSeq }) => forwarded.push(`${fromSeq}-${toSeq}`))
  const linkUp = world.events.next('link', ({ online }) => online)
  await world.proxy.up()
  await linkUp
  const report = await world.sync.syncNow()
  t.equal(report.error, null)
  t.equal(report.pendingLeft, 0)
  t.same(statuses(world), ['1:acked/settled', '2:acked/settled', '3:acked/settled', '4:acked/settled', '5:acked/settled'])
  t.equal(await merchantBalance(hub, world.ownerEmail), 11_250, 'the merchant was paid each payment once')
  t.equal((await operator.ok('GET', '/ledger/verify')).ok, true, 'the hub\'s ledger keeps its invariants')
  t.ok(world.store.syncState().lastAckAtMs !== null)
  t.equal(world.store.syncState().link, 'online')

  const before = forwarded.length
  const again = await world.sync.syncNow()
  t.match(again, { batches: 0, recordsSent: 0, pendingLeft: 0, error: null }, 'a re-sync sends nothing new')
  t.equal(forwarded.length, before)
})

t.test('with the link up, prefer-online asks the hub; its record later settles nothing twice', async t => {
  const { hub, operator, dir } = await startTestHub(t)
  const world = await provisionedTerminal(hub, operator, dir, '70B3D57ED0000A02', 'binta@shop.example')
  t.teardown(() => shutDown(world))
  const customer = await customerWithVoucher(operator, 'ibou@phone.example', 50_000, '20000')
  const linkUp = world.events.next('link', ({ online }) => online)
  const updateKey = world.events.next('update-key')
  await world.proxy.up()
  await linkUp
  t.same(await updateKey, [{ serial: 1 }], 'the hub\'s retained update key arrives with the link')
  const hubUpdateKey = loadOrCreateUpdateKeys(join(dir, 'hub'), () => { throw new Error('the hub made its update key at start') })
  t.same(world.store.updateKey.current()?.publicKey, hubUpdateKey.publicKey, 'the key publish-update signs with')

  const outcome = await world.pay(customer.phone, 6_000)
  t.equal(outcome.kind === 'approved' && outcome.modeNote, 'online')
  t.equal(await merchantBalance(hub, world.ownerEmail), 6_000, 'settled by the online answer')
  await world.sync.syncNow()
  t.same(statuses(world), ['1:acked/duplicate'], 'the chain record of an online payment is a duplicate at the hub')
  t.equal(await merchantBalance(hub, world.ownerEmail), 6_000, 'and was not paid again')

  const linkDown = world.events.next('link', ({ online }) => !online)
  await world.proxy.down()
  await linkDown
  const required = await world.pay(customer.phone, 1_000, 'require-online')
  t.equal(required.kind === 'declined' && reasonName(required.reason), 'OnlineRequired', 'require-online with the link cut declines')
})

t.test('after a restart the terminal resumes its upload exactly at the first unacked record', async t => {
  const { hub, operator, dir } = await startTestHub(t)
  let world = await provisionedTerminal(hub, operator, dir, '70B3D57ED0000A03', 'coumba@shop.example', { batchRecordsMax: 2 })
  const customer = await customerWithVoucher(operator, 'aliou@phone.example', 100_000, '50000')
  for (const amount of [100, 200, 300]) seqOf(await world.pay(customer.phone, amount))
  await world.proxy.up()
  await world.sync.waitOnline(5_000)
  t.match(await world.sync.syncNow(), { batches: 2, recordsSent: 3, settled: 3, pendingLeft: 0 })
  for (const amount of [400, 500]) seqOf(await world.pay(customer.phone, amount, 'force-offline'))
  await shutDown(world)

  // Power back on: the same data directory, a new process.
  const store = TerminalStore.open(world.dataDir)
  t.equal(store.firstPendingSeq(), 4)
  world = await attachTerminal(store, world.dataDir, world.ownerEmail, hub.mqttUrl!, { batchRecordsMax: 2 })
  t.teardown(() => shutDown(world))
  const forwarded: string[] = []
  world.events.on('records-forwarded', ({ fromSeq, toSeq }) => forwarded.push(`${fromSeq}-${toSeq}`))
  await world.proxy.up()
  await world.sync.waitOnline(5_000)
  const report = await world.sync.syncNow()
  t.equal(report.pendingLeft, 0)
  t.ok(forwarded.length > 0 && forwarded.every(range => range === '4-5'), `only 4-5 went up (${forwarded.join(', ')})`)
  t.equal(await merchantBalance(hub, world.ownerEmail), 1_500)
})

t.test('the same phone double-spending at two terminals is flagged, and the revocation reaches both', async t => {
  const { hub, operator, dir } = await startTestHub(t)
  const a = await provisionedTerminal(hub, operator, dir, '70B3D57ED0000A04', 'dia@shop.example')
  const b = await provisionedTerminal(hub, operator, dir, '70B3D57ED0000A05', 'eva@shop.example')
  t.teardown(async () => { await shutDown(a); await shutDown(b) })
  const customer = await customerWithVoucher(operator, 'cloner@phone.example', 20_000, '10000')

  // Offline at both counters, the phone rolled back in between: two payments signed as seq 1.
  t.equal(seqOf(await a.pay(customer.phone, 7_000)), 1)
  customer.phone.forget(customer.voucher)
  t.equal(seqOf(await b.pay(customer.phone, 7_000)), 1)

  const revokedAtA = a.events.next('revocations', ({ count }) => count > 0)
  const revokedAtB = b.events.next('revocations', ({ count }) => count > 0)
  await a.proxy.up()
  await a.sync.waitOnline(5_000)
  t.match(await a.sync.syncNow(), { settled: 1, flagged: 0 })
  await b.proxy.up()
  await b.sync.waitOnline(5_000)
  t.match(await b.sync.syncNow(), { flagged: 1 }, 'the second spend is flagged with the customer\'s own signatures as proof')
  await Promise.all([revokedAtA, revokedAtB])

  const voucherIdHex = toHex(customer.voucher.voucherId)
  for (const world of [a, b]) {
    t.equal(world.store.revocations.state().revoked, 1, `${world.eui} holds the revocation`)
    t.ok(world.store.isRevoked(customer.voucher.voucherId), `of ${voucherIdHex}`)
  }
  t.same(statuses(b), ['1:acked/flagged'])

  // The revoked voucher is refused at the counter from now on, offline too.
  const outcome = await a.pay(customer.phone, 500, 'force-offline')
  t.equal(outcome.kind === 'declined' && outcome.reason, Reason.VoucherRevoked)
  t.equal((await operator.ok('GET', '/ledger/verify')).ok, true)
})
