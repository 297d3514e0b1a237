import t from 'tap'
import { ManualClock } from '../../../protocol/clock'
import { nodeEd25519 } from '../../../protocol/signature/node'
import { createConnectAuthenticator } from '../../../hub/mqtt/authenticate'
import { GatewayPasswordVerifier, makeGatewayPassword } from '../../../hub/mqtt/gateway-password'
import { GATEWAY_A, GATEWAY_B, GATEWAY_UNKNOWN, HUB_CREDENTIALS, START_MS, freshSeenNonces, seededRandom, type TestGateway } from './fixtures'

function setup() {
  const clock = new ManualClock(START_MS)
  const random = seededRandom(5)
  const keys = new Map([GATEWAY_A, GATEWAY_B].map((gateway) => [gateway.eui, gateway.keys.publicKey]))
  const authenticate = createConnectAuthenticator({
    lookupGatewayKey: async (eui) => keys.get(eui),
    verifier: new GatewayPasswordVerifier({ ed25519: nodeEd25519, clock, seenNonces: freshSeenNonces() }),
    hubCredentials: HUB_CREDENTIALS,
  })
  const password = (gateway: TestGateway) =>
    Buffer.from(makeGatewayPassword(gateway.eui, gateway.keys.secretKey, clock.now_ms(), random, nodeEd25519))
  return { authenticate, password }
}

t.test('a gateway whose client id is its EUI and whose password is fresh is identified by its EUI', async (t) => {
  const { authenticate, password } = setup()
  t.same(await authenticate({ clientId: GATEWAY_A.eui, username: GATEWAY_A.eui, password: password(GATEWAY_A) }), {
    ok: true,
    identity: { kind: 'gateway', eui: GATEWAY_A.eui },
  })
})

t.test('a gateway with any other client id is refused with CONNACK 2, before its password is spent', async (t) => {
  const { authenticate, password } = setup()
  const fresh = password(GATEWAY_A)
  for (const clientId of [GATEWAY_B.eui, `${GATEWAY_A.eui}-2`, GATEWAY_A.eui.toLowerCase(), '']) {
    t.same(
      await authenticate({ clientId, username: GATEWAY_A.eui, password: fresh }),
      { ok: false, reason: 'CLIENT_ID_NOT_EUI', returnCode: 2 },
      JSON.stringify(clientId),
    )
  }
  t.ok((await authenticate({ clientId: GATEWAY_A.eui, username: GATEWAY_A.eui, password: fresh })).ok)
})

t.test('an unprovisioned EUI is refused with CONNACK 4 even with a valid signature', async (t) => {
  const { authenticate, password } = setup()
  t.same(await authenticate({ clientId: GATEWAY_UNKNOWN.eui, username: GATEWAY_UNKNOWN.eui, password: password(GATEWAY_UNKNOWN) }), {
    ok: false,
    reason: 'UNKNOWN_GATEWAY',
    returnCode: 4,
  })
})

t.test('the hub gets in only with both its username and password, and never under an EUI client id', async (t) => {
  const { authenticate } = setup()
  const hubPassword = Buffer.from(HUB_CREDENTIALS.password)
  t.same(await authenticate({ clientId: 'hub-1', username: HUB_CREDENTIALS.username, password: hubPassword }), {
    ok: true,
    identity: { kind: 'hub' },
  })
  t.same(await authenticate({ clientId: 'hub-1', username: HUB_CREDENTIALS.username, password: Buffer.from('wrong') }), {
    ok: false,
    reason: 'BAD_HUB_PASSWORD',
    returnCode: 4,
  })
  t.same(await authenticate({ clientId: 'hub-1', username: 'payall-hub2', password: hubPassword }), {
    ok: false,
    reason: 'UNKNOWN_USERNAME',
    returnCode: 4,
  })
  t.same(await authenticate({ clientId: GATEWAY_A.eui, username: HUB_CREDENTIALS.username, password: hubPassword }), {
    ok: false,
    reason: 'HUB_CLIENT_ID_IS_EUI',
    returnCode: 2,
  })
})

t.test('a client without a username or password is refused with CONNACK 4', async (t) => {
  const { authenticate } = setup()
  t.same(await authenticate({ clientId: 'x', username: undefined, password: undefined }), { ok: false, reason: 'NO_CREDENTIALS', returnCode: 4 })
  t.same(await authenticate({ clientId: GATEWAY_A.eui, username: GATEWAY_A.eui, password: undefined }), {
    ok: false,
    reason: 'NO_CREDENTIALS',
    returnCode: 4,
  })
})

t.test('refuses hub credentials that are empty or whose username is an EUI', async (t) => {
  const verifier = new GatewayPasswordVerifier({ ed25519: nodeEd25519, clock: new ManualClock(START_MS), seenNonces: freshSeenNonces() })
  for (const hubCredentials of [
    { username: '', password: 'p' },
    { username: 'hub', password: '' },
    { username: GATEWAY_A.eui, password: 'p' },
    { username: '00-11-22-33-44-55-66-a1', password: 'p' },
  ]) {
    t.throws(
      () => createConnectAuthenticator({ lookupGatewayKey: async () => undefined, verifier, hubCredentials }),
      { code: 'INVALID_OPTIONS' },
      JSON.stringify(hubCredentials),
    )
  }
})
