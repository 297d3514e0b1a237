// A hub started with --tls-cert/--tls-key: its REST API answers HTTPS only, its embedded broker mqtts
// only (its own client among those reaching it over TLS), and provisioning hands gateways the certificate
// to pin. Certificates are made by the test (test/helpers/certificates.ts).

import t from 'tap'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import mqtt from 'mqtt'
import { Agent, fetch, getGlobalDispatcher, setGlobalDispatcher } from 'undici'
import { toBase64 } from '../../../protocol/bytes'
import { nodeEd25519 } from '../../../protocol/signature/node'
import { certificateRefusal, pinnedCertificate, pinnedTlsOptions } from '../../../protocol/tls-pin'
import { makeGatewayPassword } from '../../../hub/mqtt/gateway-password'
import { startHub, type RunningHub } from '../../../hub/server'
import { addUser } from '../http/fixtures'
import { OPENSSL, selfSignedCertificate } from '../../helpers/certificates'
import { hubConfig, OPERATOR, Rest } from './running-hub'

t.test('a hub with a certificate', { skip: OPENSSL.skip }, async (t) => {
  const dir = t.testdir()
  const certificate = selfSignedCertificate(dir, 'hub')
  const hub = await startHub(hubConfig(join(dir, 'hub'), { tlsCertFile: certificate.certFile, tlsKeyFile: certificate.keyFile }))
  t.teardown(() => hub.stop())
  // The REST steps of these tests (the simulator's HubApi, on the global fetch) trust the hub's certificate.
  const before = getGlobalDispatcher()
  const trusting = new Agent({ connect: { ca: certificate.pem } })
  setGlobalDispatcher(trusting)
  t.teardown(async () => {
    setGlobalDispatcher(before)
    await trusting.close()
  })

  t.test('serves its REST API over HTTPS to a client trusting the certificate, and nothing in clear', async (t) => {
    t.match(hub.httpUrl, /^https:\/\/127\.0\.0\.1:\d+$/)
    const health = await fetch(`${hub.httpUrl}/health`, { dispatcher: trusting })
    t.equal(health.status, 200)

    const plain = hub.httpUrl.replace('https://', 'http://')
    const clear = await fetch(`${plain}/health`, { dispatcher: new Agent() }).then(() => 'answered', (error: Error) => error)
    t.type(clear, Error, 'plain HTTP to the TLS port gets no answer')
    t.equal(certificateRefusal(clear), undefined, 'it is not a certificate matter: there was no TLS at all')

    const untrusting = await fetch(`${hub.httpUrl}/health`, { dispatcher: new Agent() }).then(() => 'answered', (error: Error) => error)
    t.match(certificateRefusal(untrusting), /^DEPTH_ZERO_SELF_SIGNED_CERT: /, 'a client that does not trust it is refused the connection')
  })

  t.test('answers a provisioning gateway with its certificate to pin, and an mqtts broker URL', async (t) => {
    const { reply } = await provisionOver(hub, '70B3D57ED000F001')
    t.equal(reply.certificate, pinnedCertificate(certificate.pem).pem)
    t.match(reply.mqtt.url, /^mqtts:\/\/127\.0\.0\.1:\d+$/)
    t.equal(reply.mqtt.certificate, reply.certificate, 'the embedded broker presents the same certificate')
    t.equal(hub.mqttUrl, reply.mqtt.url)
  })

  t.test('runs its broker over TLS only: a pinned gateway logs in, a plain MQTT client does not', async (t) => {
    const eui = '70B3D57ED000F002'
    const { reply, keys } = await provisionOver(hub, eui)
    const login = () => ({
      clientId: eui, username: eui, reconnectPeriod: 0, clean: true,
      password: makeGatewayPassword(eui, keys.secretKey, Date.now(), n => randomBytes(n), nodeEd25519),
    })
    const pinned = mqtt.connect(reply.mqtt.url, { ...login(), ...pinnedTlsOptions(pinnedCertificate(reply.mqtt.certificate!)) })
    t.teardown(() => pinned.endAsync(true))
    await new Promise<void>((resolve, reject) => {
      pinned.once('connect', () => resolve())
      pinned.once('error', reject)
    })
    t.equal(pinned.connected, true, 'the gateway is in over mqtts (as the hub\'s own client, or the hub would not have started)')

    const plain = mqtt.connect(reply.mqtt.url.replace('mqtts://', 'mqtt://'), { ...login(), connectTimeout: 60_000 })
    t.teardown(() => plain.endAsync(true))
    // The broker cutting the connection is reported as an error too, and an unheard 'error' would throw.
    plain.on('error', () => undefined)
    await new Promise<void>(resolve => plain.once('close', () => resolve()))
    t.equal(plain.connected, false, 'plain MQTT on the TLS port is closed before any CONNACK')
  })
})

/** An owner's gateway made by the operator, then provisioned over the hub's HTTPS: the raw reply. */
async function provisionOver(hub: RunningHub, eui: string) {
  const operator = await new Rest(hub.httpUrl).as(OPERATOR.email, OPERATOR.password)
  const ownerId = await addUser(hub.context, { email: `owner-${eui.toLowerCase()}@shop.example`, password: 'owner password 1', role: 'owner' })
  const gateway = await operator.ok('POST', '/gateways', { name: `Counter ${eui}`, type: 'pi-nfc', eui, price: '25000' })
  await operator.ok('POST', `/gateways/${gateway.id}/assign`, { ownerUserId: ownerId })
  const { token } = await operator.ok('POST', `/gateways/${gateway.id}/provisioning-token`)
  const keys = nodeEd25519.keyPairFromSeed(randomBytes(32))
  const reply = await new Rest(hub.httpUrl).ok('POST', '/provision', { eui, token, publicKey: toBase64(keys.publicKey) }) as {
    certificate?: string; mqtt: { url: string; certificate?: string }
  }
  return { reply, keys }
}
