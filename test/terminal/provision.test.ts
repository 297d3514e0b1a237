import t from 'tap'
import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import { toBase64 } from '../../protocol/bytes'
import { riskConfigCodec } from '../../protocol/messages/risk-config'
import { nodeEd25519 } from '../../protocol/signature/node'
import { REVOCATIONS_TOPIC, gatewayTopic } from '../../protocol/topics'
import { provision, type Fetch } from '../../terminal/provision'
import { TerminalStore } from '../../terminal/store/store'
import { IDENTITY_KEY, NO_SECRET_SIGNATURE, rawNodeVerify } from '../helpers/small-order'
import { ManualClock } from '../../protocol/clock'
import { pinnedCertificate } from '../../protocol/tls-pin'
import { OPENSSL, selfSignedCertificate } from '../helpers/certificates'
import { EUI, HUB, T0, limits, signedConfig } from './fixtures'

/** A stand-in for POST /provision answering with this hub key and RiskConfig (and TLS certificates, with `tls`). */
function hubAnswering(
  hubPublicKey: Uint8Array, riskConfig: Uint8Array,
  tls: { certificate?: string; mqttUrl?: string; mqttCertificate?: string; passwordScheme?: string; password?: string } = {},
): Fetch {
  const body = {
    gatewayId: 'gw-1',
    eui: EUI,
    hubPublicKey: toBase64(hubPublicKey),
    certificate: tls.certificate,
    mqtt: {
      url: tls.mqttUrl ?? 'mqtt://127.0.0.1:1883',
      certificate: tls.mqttCertificate,
      passwordScheme: tls.passwordScheme,
      password: tls.password,
      topics: {
        records: gatewayTopic(EUI, 'records'), acks: gatewayTopic(EUI, 'acks'), config: gatewayTopic(EUI, 'config'),
        revocations: REVOCATIONS_TOPIC, onlineRequest: gatewayTopic(EUI, 'online/request'),
        onlineResponse: gatewayTopic(EUI, 'online/response'),
      },
    },
    riskConfig: toBase64(riskConfig),
  }
  return async () => ({ status: 200, text: async () => JSON.stringify(body) })
}

const deps = (fetch: Fetch) => ({ fetch, clock: new ManualClock(T0), ed25519: nodeEd25519 })

t.test('pins the hub key of a well-formed reply', async (t) => {
  const store = TerminalStore.init(t.testdir(), EUI, randomBytes(32), T0)
  t.teardown(() => store.close())
  await provision(store, 'http://hub.example', 'token', deps(hubAnswering(HUB.publicKey, riskConfigCodec.encode(signedConfig()))))
  t.same(store.requireHubPin().publicKey, HUB.publicKey)
})

t.test('an external broker\'s password from the reply is kept for the sync; a scheme it does not know is a bad reply', async (t) => {
  const config = riskConfigCodec.encode(signedConfig())
  const dir = join(t.testdir(), 'given')
  const store = TerminalStore.init(dir, EUI, randomBytes(32), T0)
  await provision(store, 'http://hub.example', 'token',
    deps(hubAnswering(HUB.publicKey, config, { passwordScheme: 'broker-password-v1', password: 'derived-by-the-hub' })))
  store.close()
  const reopened = TerminalStore.open(dir)
  t.teardown(() => reopened.close())
  t.equal(reopened.mqttSettings()?.password, 'derived-by-the-hub', 'stored durably')

  const other = TerminalStore.init(join(t.testdir(), 'signed'), EUI, randomBytes(32), T0)
  t.teardown(() => other.close())
  await provision(other, 'http://hub.example', 'token', deps(hubAnswering(HUB.publicKey, config, { passwordScheme: 'ed25519-signature-v1' })))
  t.equal(other.mqttSettings()?.password, undefined, 'the hub\'s own broker: a signed password per connection')
  for (const [scheme, password, field] of [['broker-password-v1', undefined, /mqtt\.password/], ['plain', 'x', /mqtt\.passwordScheme/]] as const) {
    const store = TerminalStore.init(join(t.testdir(), scheme + String(password)), EUI, randomBytes(32), T0)
    t.teardown(() => store.close())
    await t.rejects(provision(store, 'http://hub.example', 'token', deps(hubAnswering(HUB.publicKey, config, { passwordScheme: scheme, ...(password !== undefined && { password }) }))),
      { name: 'TerminalError', code: 'PROVISION_BAD_REPLY', message: field })
  }
})

t.test('refuses to pin a small-order hub key, under which a config signed with no secret would check out', async (t) => {
  const store = TerminalStore.init(t.testdir(), EUI, randomBytes(32), T0)
  t.teardown(() => store.close())
  const forged = { ...limits(), signature: NO_SECRET_SIGNATURE }
  t.ok(rawNodeVerify(riskConfigCodec.encodeUnsigned(forged), NO_SECRET_SIGNATURE, IDENTITY_KEY), 'premise: node:crypto alone takes the forged config')
  await t.rejects(
    provision(store, 'http://hub.example', 'token', deps(hubAnswering(IDENTITY_KEY, riskConfigCodec.encode(forged)))),
    { name: 'TerminalError', code: 'PROVISION_BAD_REPLY', message: /hubPublicKey/ },
  )
  t.equal(store.hubPin(), undefined, 'nothing was pinned')
})

t.test('the certificates a hub serving TLS names are pinned', { skip: OPENSSL.skip }, async (t) => {
  const certificate = selfSignedCertificate(t.testdir(), 'hub').pem
  const config = riskConfigCodec.encode(signedConfig())

  t.test('with the MQTT settings, durably', async (t) => {
    const dir = t.testdir()
    const store = TerminalStore.init(dir, EUI, randomBytes(32), T0)
    const reply = hubAnswering(HUB.publicKey, config, { certificate, mqttUrl: 'mqtts://127.0.0.1:8883', mqttCertificate: certificate })
    const result = await provision(store, 'https://hub.example', 'token', deps(reply))
    t.equal(result.certificate?.fingerprint256, pinnedCertificate(certificate).fingerprint256)
    store.close()
    const reopened = TerminalStore.open(dir)
    t.teardown(() => reopened.close())
    t.equal(reopened.hubPin()?.certificate, pinnedCertificate(certificate).pem)
    t.equal(reopened.mqttSettings()?.certificate, pinnedCertificate(certificate).pem)
  })

  t.test('a certificate for a broker reached in clear, or one that is no certificate, is a bad reply', async (t) => {
    const store = TerminalStore.init(t.testdir(), EUI, randomBytes(32), T0)
    t.teardown(() => store.close())
    await t.rejects(provision(store, 'https://hub.example', 'token', deps(hubAnswering(HUB.publicKey, config, { mqttCertificate: certificate }))),
      { name: 'TerminalError', code: 'PROVISION_BAD_REPLY', message: /mqtt\.url \(a certificate needs mqtts:\/\/\)/ })
    await t.rejects(provision(store, 'https://hub.example', 'token', deps(hubAnswering(HUB.publicKey, config, { certificate: 'not a PEM' }))),
      { name: 'TerminalError', code: 'PROVISION_BAD_REPLY', message: /no valid certificate/ })
    t.equal(store.hubPin(), undefined, 'nothing was pinned')
  })

  t.test('once pinned, provisioning goes over https only', async (t) => {
    const store = TerminalStore.init(t.testdir(), EUI, randomBytes(32), T0)
    t.teardown(() => store.close())
    await provision(store, 'https://hub.example', 'token', deps(hubAnswering(HUB.publicKey, config, { certificate })))
    let called = false
    const spy: Fetch = async () => {
      called = true
      return { status: 500, text: async () => '' }
    }
    await t.rejects(provision(store, 'http://hub.example', 'token', deps(spy)),
      { name: 'TerminalError', code: 'BAD_ARGUMENT', message: "the hub's certificate is pinned: provision over https://, not http://hub.example" })
    t.equal(called, false, 'nothing was sent in clear')
  })
})
