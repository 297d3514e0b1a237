// The LoRa path end to end: a terminal's LoraReporter through the real RAK3172 driver, its
// byte-level emulator and the simulated ChirpStack v4 network server, over a loopback broker,
// to the hub's gateway view; and a revocation back down the same way while IP is down.

import t from 'tap'
import { MockBinding } from '@serialport/binding-mock'
import { nodeEd25519 } from '../../../protocol/signature/node'
import { ManualClock, systemClock } from '../../../protocol/clock'
import { LoraReporter } from '../../../terminal/lora'
import { openEmulatedModem } from '../../../simulator/lora/emulated-modem'
import { SimulatedNetworkServer } from '../../../simulator/lora/network-server'
import { startHub } from '../../../hub/server'
import { fromHex } from '../../../protocol/bytes'
import { insertVouchers } from '../helpers/vouchers'
import { hubConfig, OPERATOR, Rest } from '../e2e/running-hub'
import { customerWithVoucher, provisionedTerminal } from '../../terminal/hub-world'
import { startLoopbackBroker } from '../../simulator/lora/broker'
import { countingBytes, eventLog } from '../../simulator/lora/world'
import { join } from 'node:path'

const EUI = '70B3D57ED0051A2B'
const APP_KEY = '2B7E151628AED2A6ABF7158809CF4F3C'
const APPLICATION_ID = '17c82e96-be03-4f38-aef3-f83d48582d97'

/** The terminal's LoRa reporter over an emulated RAK3172 on `path`, joined to `lns`, its report interval on a manual clock. */
async function joinedReporter(
  t: { teardown(fn: () => unknown): void }, lns: SimulatedNetworkServer,
  terminal: Awaited<ReturnType<typeof provisionedTerminal>>, path: string, online: boolean,
) {
  const emulated = await openEmulatedModem({ model: 'rak3172', radio: lns, path, clock: systemClock })
  t.teardown(async () => {
    await emulated.close()
    MockBinding.reset()
  })
  await emulated.modem.join({ region: 'EU868', devEui: EUI, appEui: '0000000000000001', appKey: APP_KEY })
  // The report interval moves by hand; the modem's replies keep the system's time.
  const clock = new ManualClock(Date.now())
  const reporter = new LoraReporter({
    store: terminal.store, events: terminal.events, modem: emulated.modem, clock, ed25519: nodeEd25519,
    online, settings: { interval_ms: 60_000, uplinkPort: 10, downlinkPort: 11 },
  })
  return { clock, reporter }
}

t.test('a terminal offline reports over LoRa to the hub\'s gateway view, and hears a revocation back', async t => {
  const dir = t.testdir()
  const broker = await startLoopbackBroker()
  t.teardown(() => broker.close())
  const lnsEvents = eventLog()
  const lns = new SimulatedNetworkServer({
    flavour: 'chirpstack-v4', region: 'EU868', tenantId: '52f14cd4-c6f1-4fbd-8f87-4025e1d49242', applicationId: APPLICATION_ID,
    clock: systemClock, randomBytes: countingBytes(), log: lnsEvents.log, uplinkSignal: { rssi: -112, snr: -6.5 },
  })
  lns.register({ devEui: EUI, appKey: APP_KEY })
  await lns.connect(broker.url, { clientId: 'lns' })
  t.teardown(() => lns.close())

  const hub = await startHub(hubConfig(join(dir, 'hub'), {
    loraMqttUrl: broker.url, loraFormat: 'chirpstack', loraApplication: APPLICATION_ID,
  }))
  t.teardown(() => hub.stop())
  await hub.lora!.connected()
  const operator = await new Rest(hub.httpUrl).as(OPERATOR.email, OPERATOR.password)
  const terminal = await provisionedTerminal(hub, operator, dir, EUI, 'lora@shop.example')
  t.teardown(async () => {
    await terminal.sync.stop()
    await terminal.proxy.down()
    terminal.store.close()
  })
  const customer = await customerWithVoucher(operator, 'lora@phone.example', 50_000, '20000')
  for (const amount of [1_500, 2_250]) t.equal((await terminal.pay(customer.phone, amount, 'force-offline')).kind, 'approved')

  const { clock, reporter } = await joinedReporter(t, lns, terminal, '/dev/ttyLoraE2E', terminal.sync.online)
  reporter.start()
  t.teardown(() => reporter.stop())
  t.equal(clock.pendingTimers, 1, 'the IP link is down: the reporter runs')

  const heard = hub.lora!.reports.next()
  await clock.run(60_000)
  await reporter.idle()
  t.match(await heard, { taken: true, check: { state: 'pending' } })
  const url = `/gateways/${(await operator.ok('GET', '/gateways?pageSize=100')).items.find((g: { eui: string }) => g.eui === EUI).id}/lora`
  t.match((await operator.ok('GET', url)).lastReport, {
    gatewaySeq: 2, unsyncedCount: 2, unsyncedAmountMinor: 3_750, currency: 'XOF', rssi: -112, snr: -6.5, check: 'pending',
    headPrefix: Buffer.from(terminal.store.chainHead().hash.slice(0, 16)).toString('hex'),
  })

  // IP comes back: the records arrive, the report is found consistent, the reporter stops.
  const acked = terminal.events.next('records-acked')
  await terminal.proxy.up()
  await acked
  t.equal(clock.pendingTimers, 0, 'online: no more LoRa reports')
  t.match((await operator.ok('GET', url)).lastReport, { check: 'consistent' })

  // IP goes down again; the hub revokes the voucher; the terminal learns it over LoRa only.
  const offline = terminal.events.next('link', ({ online }) => !online)
  await terminal.proxy.down()
  await offline
  t.equal(clock.pendingTimers, 1)
  await hub.services.revocations.revoke([Buffer.from(customer.voucher.voucherId).toString('hex')], 'lost phone')
  await hub.lora!.idle()
  await lnsEvents.next('downlink-queued')
  await lnsEvents.next('downlink-queued')
  t.notOk(terminal.store.isRevoked(customer.voucher.voucherId))
  const applied = terminal.events.next('lora-revocations')
  // Class A: each uplink opens the receive windows for one queued downlink, one fragment each.
  for (let i = 0; i < 2; i++) {
    await clock.run(60_000)
    await reporter.idle()
  }
  t.match((await applied)[0], { kind: 'added', count: 1 })
  t.ok(terminal.store.isRevoked(customer.voucher.voucherId), 'the revoked voucher is refused at the counter')
  t.equal((await terminal.pay(customer.phone, 100, 'force-offline')).kind, 'declined')
})

t.test('a terminal behind hears the whole revocation list over LoRa, every voucher past 256, one downlink a report', async t => {
  const dir = t.testdir()
  const broker = await startLoopbackBroker()
  t.teardown(() => broker.close())
  const lns = new SimulatedNetworkServer({
    flavour: 'chirpstack-v4', region: 'EU868', tenantId: '52f14cd4-c6f1-4fbd-8f87-4025e1d49242', applicationId: APPLICATION_ID,
    clock: systemClock, randomBytes: countingBytes(), log: eventLog().log,
  })
  lns.register({ devEui: EUI, appKey: APP_KEY })
  await lns.connect(broker.url, { clientId: 'lns' })
  t.teardown(() => lns.close())
  const hub = await startHub(hubConfig(join(dir, 'hub'), { loraMqttUrl: broker.url, loraFormat: 'chirpstack', loraApplication: APPLICATION_ID }))
  t.teardown(() => hub.stop())
  await hub.lora!.connected()
  const operator = await new Rest(hub.httpUrl).as(OPERATOR.email, OPERATOR.password)
  const terminal = await provisionedTerminal(hub, operator, dir, EUI, 'behind@shop.example')
  t.teardown(async () => {
    await terminal.sync.stop()
    terminal.store.close()
  })
  // Revoked while the terminal has neither IP nor a LoRa report yet: it is behind from its first report.
  const ids = await insertVouchers(hub.context, 300, hub.context.clock.now_ms() + 24 * 60 * 60 * 1000)
  await hub.services.revocations.revoke(ids, 'revoked before the terminal reported')

  const { clock, reporter } = await joinedReporter(t, lns, terminal, '/dev/ttyLoraBehind', false)
  reporter.start()
  t.teardown(() => reporter.stop())

  const held = () => ids.filter(id => terminal.store.isRevoked(fromHex(id, 16))).length
  let reports = 0
  let queued_max = 0
  // 19 chunks of 16 ids, 8 fragments each at DR0: about 150 reports; bounded well past that.
  for (; reports < 400 && held() < ids.length; reports++) {
    const taken = hub.lora!.reports.next()
    await clock.run(60_000)
    await reporter.idle()
    await taken
    await hub.lora!.idle()
    queued_max = Math.max(queued_max, lns.queued(EUI).length)
  }
  t.equal(held(), ids.length, `all ${ids.length} revoked vouchers are refused at the counter, after ${reports} reports`)
  t.ok(queued_max <= 2, `the network server's queue never grew past ${queued_max}: one downlink queued per report, one delivered`)
})
