import t from 'tap'
import { randomBytes } from 'node:crypto'
import { toBase64 } from '../../protocol/bytes'
import { riskConfigCodec } from '../../protocol/messages/risk-config'
import { nodeEd25519 } from '../../protocol/signature/node'
import { REVOCATIONS_TOPIC, gatewayTopic } from '../../protocol/topics'
import { provision, type Fetch } from '../../terminal/provision'
import { TerminalStore } from '../../terminal/store/store'
import { IDENTITY_KEY, NO_SECRET_SIGNATURE, rawNodeVerify } from '../helpers/small-order'
import { ManualClock } from '../../protocol/clock'
import { EUI, HUB, T0, limits, signedConfig } from './fixtures'

/** A stand-in for POST /provision answering with this hub key and RiskConfig. */
function hubAnswering(hubPublicKey: Uint8Array, riskConfig: Uint8Array): Fetch {
  const body = {
    gatewayId: 'gw-1',
    eui: EUI,
    hubPublicKey: toBase64(hubPublicKey),
    mqtt: {
      url: 'mqtt://127.0.0.1:1883',
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
