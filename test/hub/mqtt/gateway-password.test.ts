import t from 'tap'
import { fromBase64, toBase64 } from '../../../protocol/bytes'
import { ManualClock } from '../../../protocol/clock'
import { nodeEd25519 } from '../../../protocol/signature/node'
import { tweetnaclEd25519 } from '../../../protocol/signature/tweetnacl'
import { GATEWAY_PASSWORD_CHARS } from '../../../protocol/mqtt-password'
import {
  GATEWAY_PASSWORD_WINDOW_MS_DEFAULT,
  GatewayPasswordVerifier,
  makeGatewayPassword,
} from '../../../hub/mqtt/gateway-password'
import { GATEWAY_A, GATEWAY_B, START_MS, freshSeenNonces, seededRandom } from './fixtures'

const WINDOW_MS = GATEWAY_PASSWORD_WINDOW_MS_DEFAULT

function setup(options: { entriesMax?: number } = {}) {
  const clock = new ManualClock(START_MS)
  const random = seededRandom(1)
  const verifier = new GatewayPasswordVerifier({ ed25519: nodeEd25519, clock, seenNonces: freshSeenNonces(options) })
  const password = (now_ms = clock.now_ms(), gateway = GATEWAY_A) =>
    makeGatewayPassword(gateway.eui, gateway.keys.secretKey, now_ms, random, nodeEd25519)
  const verify = (value: string, gateway = GATEWAY_A, publicKey = gateway.keys.publicKey) =>
    verifier.verify(gateway.eui, value, publicKey)
  return { clock, verifier, password, verify }
}

t.test('accepts a fresh password once and refuses its replay', async (t) => {
  const { password, verify } = setup()
  const fresh = password()
  t.equal(fresh.length, GATEWAY_PASSWORD_CHARS)
  t.same(await verify(fresh), { ok: true })
  t.same(await verify(fresh), { ok: false, reason: 'REPLAYED' })
  t.same(await verify(password()), { ok: true }, 'a new nonce is a new password')
})

t.test('the same nonce is independent per gateway', async (t) => {
  const { verifier, clock } = setup()
  const nonce = new Uint8Array(16).fill(9)
  for (const gateway of [GATEWAY_A, GATEWAY_B]) {
    const value = makeGatewayPassword(gateway.eui, gateway.keys.secretKey, clock.now_ms(), () => nonce, nodeEd25519)
    t.same(await verifier.verify(gateway.eui, value, gateway.keys.publicKey), { ok: true }, gateway.eui)
  }
})

t.test('accepts a signed time at exactly ±window and refuses one millisecond beyond', async (t) => {
  const { password, verify } = setup()
  t.same(await verify(password(START_MS - WINDOW_MS)), { ok: true })
  t.same(await verify(password(START_MS + WINDOW_MS)), { ok: true })
  t.same(await verify(password(START_MS - WINDOW_MS - 1)), { ok: false, reason: 'EXPIRED' })
  t.same(await verify(password(START_MS + WINDOW_MS + 1)), { ok: false, reason: 'EXPIRED' })
})

t.test('a password captured on the wire is refused once the window has passed', async (t) => {
  const { clock, password, verify } = setup()
  const captured = password()
  clock.advance(WINDOW_MS + 1)
  t.same(await verify(captured), { ok: false, reason: 'EXPIRED' })
})

t.test('refuses a time beyond the safe integer range as expired', async (t) => {
  const { password, verify } = setup()
  const bytes = fromBase64(password())
  bytes.fill(0xff, 0, 8)
  t.same(await verify(toBase64(bytes)), { ok: false, reason: 'EXPIRED' })
})

t.test('refuses a signature by another key, for another EUI, or over altered fields', async (t) => {
  const { clock, password, verify, verifier } = setup()
  t.same(await verify(password(), GATEWAY_A, GATEWAY_B.keys.publicKey), { ok: false, reason: 'BAD_SIGNATURE' }, 'wrong key')
  const signedForB = makeGatewayPassword(GATEWAY_B.eui, GATEWAY_A.keys.secretKey, clock.now_ms(), seededRandom(2), nodeEd25519)
  t.same(await verifier.verify(GATEWAY_A.eui, signedForB, GATEWAY_A.keys.publicKey), { ok: false, reason: 'BAD_SIGNATURE' }, 'other EUI')
  for (const [what, offset] of [
    ['time', 7],
    ['nonce', 8],
    ['signature', 40],
  ] as const) {
    const bytes = fromBase64(password())
    bytes[offset]! ^= 0x01
    t.same(await verify(toBase64(bytes)), { ok: false, reason: 'BAD_SIGNATURE' }, what)
  }
})

t.test('refuses malformed passwords and non-canonical usernames', async (t) => {
  const { password, verifier } = setup()
  const good = password()
  const malformed = [
    '',
    good.slice(0, -4),
    `${good}AAAA`,
    `${good.slice(0, -2)}!!`,
    good.replace(/[A-Za-z]/, '*'),
    'x'.repeat(GATEWAY_PASSWORD_CHARS),
  ]
  for (const value of malformed) {
    t.same(await verifier.verify(GATEWAY_A.eui, value, GATEWAY_A.keys.publicKey), { ok: false, reason: 'MALFORMED' }, JSON.stringify(value.slice(0, 12)))
  }
  t.same(
    await verifier.verify(GATEWAY_A.eui.toLowerCase(), good, GATEWAY_A.keys.publicKey),
    { ok: false, reason: 'MALFORMED' },
    'the username must be the canonical EUI',
  )
})

t.test('a password made with tweetnacl verifies with node:crypto', async (t) => {
  const { clock, verifier } = setup()
  const value = makeGatewayPassword(GATEWAY_A.eui, GATEWAY_A.keys.secretKey, clock.now_ms(), seededRandom(3), tweetnaclEd25519)
  t.same(await verifier.verify(GATEWAY_A.eui, value, GATEWAY_A.keys.publicKey), { ok: true })
})

t.test('forgets nonces once they are out of the window, so the cache stays bounded', async (t) => {
  const { clock, password, verify, verifier } = setup({ entriesMax: 3 })
  for (let index = 0; index < 3; index++) t.same(await verify(password()), { ok: true })
  t.equal(await verifier.rememberedNonces(), 3)
  t.same(await verify(password()), { ok: false, reason: 'OVERLOADED' }, 'a full cache of live nonces refuses rather than forgets')
  clock.advance(WINDOW_MS + 1)
  t.same(await verify(password()), { ok: true }, 'expired nonces made room')
  t.equal(await verifier.rememberedNonces(), 1)
})

t.test('keeps a nonce signed in the future until that time has left the window', async (t) => {
  const { clock, password, verify } = setup()
  const early = password(START_MS + WINDOW_MS)
  t.same(await verify(early), { ok: true })
  clock.advance(2 * WINDOW_MS)
  t.same(await verify(early), { ok: false, reason: 'REPLAYED' }, 'still inside the window at its far edge')
  clock.advance(1)
  t.same(await verify(early), { ok: false, reason: 'EXPIRED' })
})

t.test('a clock stepping back does not reopen a forgotten nonce', async (t) => {
  const { clock, password, verify, verifier } = setup()
  const captured = password()
  t.same(await verify(captured), { ok: true })
  clock.advance(WINDOW_MS + 1)
  t.same(await verify(password()), { ok: true })
  t.equal(await verifier.rememberedNonces(), 1, 'storing the new nonce forgot the captured one')
  clock.set(START_MS)
  t.same(await verify(captured), { ok: false, reason: 'EXPIRED' })
})

t.test('makeGatewayPassword refuses a bad time or a short nonce', async (t) => {
  const sign = (now_ms: number, random: (length: number) => Uint8Array) => () =>
    makeGatewayPassword(GATEWAY_A.eui, GATEWAY_A.keys.secretKey, now_ms, random, nodeEd25519)
  for (const now_ms of [-1, 1.5, Number.NaN, Number.MAX_SAFE_INTEGER + 1]) {
    t.throws(sign(now_ms, seededRandom(1)), { name: 'ProtocolError', code: 'OUT_OF_RANGE' }, String(now_ms))
  }
  t.throws(sign(START_MS, () => new Uint8Array(15)), { name: 'ProtocolError', code: 'BAD_LENGTH' })
})

t.test('the verifier refuses a non-positive window, and the seen nonces a non-positive bound', async (t) => {
  const clock = new ManualClock(START_MS)
  for (const window_ms of [0, 1.5]) {
    t.throws(
      () => new GatewayPasswordVerifier({ ed25519: nodeEd25519, clock, window_ms, seenNonces: freshSeenNonces() }),
      { name: 'MqttError', code: 'INVALID_OPTIONS' },
      String(window_ms),
    )
  }
  for (const entries_max of [0, -1, 2.5]) t.throws(() => freshSeenNonces({ entriesMax: entries_max }), { code: 'INVALID_OPTIONS' }, String(entries_max))
})
