// A gateway and a hub serving TLS: provisioned with the hub's certificate, the gateway pins it and
// syncs over mqtts; a hub presenting another certificate (the same hub, its certificate replaced) is
// refused, by the link and by provisioning, until the gateway is provisioned again with the new one.
// Certificates are made by the test (test/helpers/certificates.ts).

import t from 'tap'
import { join } from 'node:path'
import { Agent, getGlobalDispatcher, setGlobalDispatcher } from 'undici'
import { startHub, type RunningHub } from '../../hub/server'
import { pinnedCertificate } from '../../protocol/tls-pin'
import { freePort } from '../../simulator/anvil'
import { main } from '../../terminal/cli'
import { initTerminal } from '../../terminal/init'
import { TerminalStore } from '../../terminal/store/store'
import { systemClock, systemRandom } from '../../protocol/clock'
import { addUser } from '../hub/http/fixtures'
import { hubConfig } from '../hub/e2e/running-hub'
import { OPENSSL, opensslFingerprint256, selfSignedCertificate, type TestCertificate } from '../helpers/certificates'
import { testCliIo } from './cli-world'
import { attachTerminal, customerWithVoucher, merchantBalance, OPERATOR, Rest, shutDown } from './hub-world'

const EUI = '70B3D57ED000E001'
const OWNER = 'khady@shop.example'

t.test('a gateway and a hub serving TLS', { skip: OPENSSL.skip }, async (t) => {
  const dir = t.testdir()
  const certificateA = selfSignedCertificate(dir, 'a')
  const certificateB = selfSignedCertificate(dir, 'b')
  const ports = { httpPort: await freePort(), mqttPort: await freePort() }
  const hubDir = join(dir, 'hub')
  const startHubWith = async (certificate: TestCertificate): Promise<RunningHub> =>
    startHub(hubConfig(hubDir, { ...ports, tlsCertFile: certificate.certFile, tlsKeyFile: certificate.keyFile }))
  let hub = await startHubWith(certificateA)
  t.teardown(() => hub.stop())
  // The test's own REST calls (the operator's, the customer's) trust both certificates; the gateway trusts what it pinned.
  const before = getGlobalDispatcher()
  const testTrust = new Agent({ connect: { ca: [certificateA.pem, certificateB.pem] } })
  setGlobalDispatcher(testTrust)
  t.teardown(async () => {
    setGlobalDispatcher(before)
    await testTrust.close()
  })

  const dataDir = join(dir, EUI)
  initTerminal(dataDir, EUI, { clock: systemClock, random: systemRandom }).close()
  const operator = await new Rest(hub.httpUrl).as(OPERATOR.email, OPERATOR.password)
  const ownerId = await addUser(hub.context, { email: OWNER, password: 'owner password 1', role: 'owner' })
  const gateway = await operator.ok('POST', '/gateways', { name: 'Counter', type: 'pi-nfc', eui: EUI, price: '25000' })
  await operator.ok('POST', `/gateways/${gateway.id}/assign`, { ownerUserId: ownerId })
  const cli = (command: string, ...args: string[]) => runCli([command, '--data-dir', dataDir, ...args])
  const provisionWith = async (extra: string[] = []) => {
    const { token } = await operator.ok('POST', `/gateways/${gateway.id}/provisioning-token`)
    return cli('provision', '--hub', hub.httpUrl, '--token', token, ...extra)
  }

  t.test('provisioned with --hub-cert, the gateway pins the certificate and takes and syncs a payment over mqtts', async (t) => {
    const provisioned = await provisionWith(['--hub-cert', certificateA.certFile])
    t.equal(provisioned.code, 0, provisioned.err)
    t.match(provisioned.out, `hub certificate pinned: SHA-256 ${opensslFingerprint256(certificateA.certFile)}\n`)
    t.match(provisioned.out, /mqtt: mqtts:\/\/127\.0\.0\.1:\d+\n/)

    const store = TerminalStore.open(dataDir)
    t.equal(store.hubPin()?.certificate, pinnedCertificate(certificateA.pem).pem, 'pinned durably, with the hub key')
    t.equal(store.mqttSettings()?.certificate, store.hubPin()?.certificate, 'the broker\'s too')
    // No relay: the gateway's own connection, to the mqtts URL it stored (the simulator's relay hands out mqtt:// URLs).
    const world = await attachTerminal(store, dataDir, OWNER, store.mqttSettings()!.url, { connect: undefined })
    t.teardown(() => shutDown(world))
    t.equal(await world.sync.waitOnline(10_000), true, 'the link is up, over TLS')
    const customer = await customerWithVoucher(operator, 'mariama@phone.example', 50_000, '20000')
    const outcome = await world.pay(customer.phone, 1_500, 'force-offline')
    t.equal(outcome.kind, 'approved')
    // The payment kicks a sync round of its own; this one waits for it, or sends the record itself.
    t.match(await world.sync.syncNow(), { pendingLeft: 0, error: null })
    t.match(world.store.record(1), { status: 'acked', ackOutcome: 'settled' }, 'uploaded and acked over mqtts')
    t.equal(await merchantBalance(hub, OWNER), 1_500, 'settled at the hub')
  })

  t.test('pinned to one certificate, the gateway refuses the hub once it presents another, with HUB_CERT_REFUSED', async (t) => {
    await hub.stop()
    hub = await startHubWith(certificateB)
    const store = TerminalStore.open(dataDir)
    const world = await attachTerminal(store, dataDir, OWNER, store.mqttSettings()!.url, { connect: undefined })
    let linkUp = false
    world.events.on('link', ({ online }) => { linkUp ||= online })
    const [refused] = await world.events.next('sync-error', error => error.code === 'HUB_CERT_REFUSED')
    const pinnedA = opensslFingerprint256(certificateA.certFile)
    t.match(refused.message, `the broker at ${store.mqttSettings()!.url} presented another certificate than the one pinned at provisioning `
      + `(SHA-256 ${pinnedA}), refused (DEPTH_ZERO_SELF_SIGNED_CERT: `)
    t.match(refused.message, 'provision the gateway again with a new token and --hub-cert FILE')
    t.equal(world.sync.online, false)
    await shutDown(world)
    t.equal(linkUp, false, 'never connected, not even for a moment')

    const sync = await cli('sync', '--timeout-ms', '2000')
    t.equal(sync.code, 1)
    t.match(sync.err, /was not reachable within 2000 ms \(HUB_CERT_REFUSED: the broker at mqtts:\S+ presented another certificate/)

    const again = await provisionWith()
    t.equal(again.code, 1, 'provisioning again meets the pinned certificate too')
    t.match(again.err, `payall-terminal provision: HUB_CERT_REFUSED: the hub at ${hub.httpUrl} presented another certificate than the one `
      + `pinned at provisioning (SHA-256 ${pinnedA})`)
    const reopened = TerminalStore.open(dataDir)
    t.equal(reopened.hubPin()?.certificate, pinnedCertificate(certificateA.pem).pem, 'the pin stays as it was')
    reopened.close()
  })

  t.test('provisioned again with the new certificate, the gateway pins it and syncs', async (t) => {
    const provisioned = await provisionWith(['--hub-cert', certificateB.certFile])
    t.equal(provisioned.code, 0, provisioned.err)
    t.match(provisioned.out, `hub certificate pinned: SHA-256 ${opensslFingerprint256(certificateB.certFile)}\n`)
    const sync = await cli('sync', '--timeout-ms', '10000')
    t.equal(sync.code, 0, sync.err)
    t.match(sync.out, /unsynced {3}0 left/)
  })
})

t.test('a certificate given on the command line that holds none is refused, naming the file', async (t) => {
  const dir = t.testdir({ 'not-a-cert.pem': 'hello' })
  const dataDir = join(dir, 'gw')
  initTerminal(dataDir, EUI, { clock: systemClock, random: systemRandom }).close()
  const result = await runCli(['provision', '--data-dir', dataDir, '--hub', 'https://127.0.0.1:1', '--token', 'pt_x', '--hub-cert', join(dir, 'not-a-cert.pem')])
  t.equal(result.code, 1)
  t.match(result.err, `payall-terminal provision: BAD_ARGUMENT: --hub-cert ${join(dir, 'not-a-cert.pem')}: BAD_CERTIFICATE: no PEM certificate`)
})

/** `payall-terminal …`: its output and exit code. */
async function runCli(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = ''
  let err = ''
  const io = testCliIo({ out: text => (out += text), err: text => (err += text) }, {
    // A call to a pinned or given certificate makes its own connections: fetch is never what reaches the hub.
    fetch: () => Promise.reject(new Error('the gateway used the unpinned fetch')),
  })
  const code = await main(argv, io)
  return { code, out, err }
}
