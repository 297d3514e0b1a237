// Pins which 32-byte strings are accepted as Ed25519 public keys, against two independent
// sources: libsodium's small-order blocklist and @noble/curves' point decoding and order checks.

import t from 'tap'
import fc from 'fast-check'
import { ED25519_TORSION_SUBGROUP, ed25519 as noble } from '@noble/curves/ed25519'
import { fromHex, toHex } from '../../protocol/bytes'
import { nodeEd25519 } from '../../protocol/signature/node'
import {
  isAcceptablePublicKey,
  publicKeyProblem,
  requireAcceptablePublicKey,
} from '../../protocol/signature/public-key'

const P = (1n << 255n) - 19n

/** y (and the sign bit of x) as the 32-byte little-endian encoding of RFC 8032 §5.1.2. */
function encode(y: bigint, signBit = 0): Uint8Array {
  const bytes = Uint8Array.from(Buffer.from(y.toString(16).padStart(64, '0'), 'hex').reverse())
  if (signBit === 1) bytes[31]! |= 0x80
  return bytes
}

/** libsodium's blocklist (crypto_core/ed25519/ref10/ed25519_ref10.c, ge25519_has_small_order), copied by hand. */
const LIBSODIUM_BLOCKLIST = [
  '0000000000000000000000000000000000000000000000000000000000000000', // 0 (order 4)
  '0100000000000000000000000000000000000000000000000000000000000000', // 1 (order 1)
  '26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05', // order 8
  'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a', // order 8
  'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f', // p - 1 (order 2)
  'edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f', // p (= 0, order 4)
  'eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f', // p + 1 (= 1, order 1)
]

/** What @noble/curves makes of an encoding: RFC 8032 decoding (y < p), then its small-order test. */
function nobleVerdict(key: Uint8Array): 'accepted' | 'undecodable' | 'small-order' {
  let point
  try {
    point = noble.ExtendedPoint.fromHex(key)
  } catch {
    return 'undecodable'
  }
  return point.isSmallOrder() ? 'small-order' : 'accepted'
}

function honestKey(seedByte: number): Uint8Array {
  return nodeEd25519.keyPairFromSeed(new Uint8Array(32).fill(seedByte)).publicKey
}

t.test('refuses the eight points of small order, with either sign bit', async (t) => {
  t.equal(ED25519_TORSION_SUBGROUP.length, 8, 'premise: noble lists the eight torsion points')
  for (const hex of ED25519_TORSION_SUBGROUP) {
    const key = fromHex(hex)
    t.equal(nobleVerdict(key), 'small-order', `premise: noble decodes ${hex} as small order`)
    t.equal(publicKeyProblem(key), 'small-order', hex)
    const flipped = Uint8Array.from(key)
    flipped[31]! ^= 0x80
    t.equal(isAcceptablePublicKey(flipped), false, `${hex} with the sign bit flipped`)
  }
})

t.test("refuses every encoding on libsodium's small-order blocklist, with either sign bit", async (t) => {
  for (const hex of LIBSODIUM_BLOCKLIST) {
    for (const signBit of [0, 1]) {
      const key = fromHex(hex)
      if (signBit === 1) key[31]! |= 0x80
      t.equal(isAcceptablePublicKey(key), false, `${toHex(key)}`)
    }
  }
})

t.test('refuses every non-canonical encoding, y from p up to 2^255 - 1', async (t) => {
  for (let y = P; y < 1n << 255n; y++) {
    for (const signBit of [0, 1]) {
      t.equal(publicKeyProblem(encode(y, signBit)), 'non-canonical', `y = p + ${y - P}, sign ${signBit}`)
    }
  }
})

t.test('refuses a y with no curve point and the wrong length', async (t) => {
  t.equal(nobleVerdict(encode(2n)), 'undecodable', 'premise: y = 2 is not on the curve')
  t.equal(publicKeyProblem(encode(2n)), 'not-on-curve')
  for (const length of [0, 31, 33, 64]) t.equal(publicKeyProblem(new Uint8Array(length).fill(9)), 'length', `${length} bytes`)
  t.equal(publicKeyProblem('not bytes' as unknown as Uint8Array), 'length')
})

t.test('accepts honest keys, and keys with a small-order component added (mixed order)', async (t) => {
  for (let seedByte = 0; seedByte < 16; seedByte++) {
    const key = honestKey(seedByte)
    t.equal(publicKeyProblem(key), undefined, `honest key ${seedByte}`)
    const torsion = noble.ExtendedPoint.fromHex(ED25519_TORSION_SUBGROUP[1 + (seedByte % 7)]!)
    const mixed = noble.ExtendedPoint.fromHex(key).add(torsion)
    t.equal(mixed.isTorsionFree(), false, 'premise: the sum has a small-order component')
    t.equal(isAcceptablePublicKey(mixed.toRawBytes()), true, `honest key ${seedByte} plus a torsion point`)
  }
})

t.test('agrees with @noble/curves on small y, y near p, torsion neighbours, honest and random encodings', async (t) => {
  const candidates: Uint8Array[] = []
  const ys: bigint[] = []
  for (let y = 0n; y < 64n; y++) ys.push(y, P - 1n - y)
  for (const hex of LIBSODIUM_BLOCKLIST.slice(2, 4)) {
    const y = BigInt(`0x${Buffer.from(fromHex(hex)).reverse().toString('hex')}`)
    for (let delta = -3n; delta <= 3n; delta++) ys.push(y + delta)
  }
  for (const y of ys) candidates.push(encode(y, 0), encode(y, 1))
  for (let seedByte = 0; seedByte < 32; seedByte++) candidates.push(honestKey(seedByte))
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), (key) => {
      const expected = nobleVerdict(key)
      return isAcceptablePublicKey(key) === (expected === 'accepted')
    }),
    { seed: 25519, numRuns: 500 },
  )
  const disagreements = candidates.filter((key) => isAcceptablePublicKey(key) !== (nobleVerdict(key) === 'accepted'))
  t.same(disagreements.map(toHex), [], `${candidates.length} chosen encodings and 500 random ones agree`)
})

t.test('requireAcceptablePublicKey throws ProtocolError BAD_KEY naming the key and the problem', async (t) => {
  t.doesNotThrow(() => requireAcceptablePublicKey(honestKey(1), 'publicKey'))
  t.throws(() => requireAcceptablePublicKey(encode(1n), 'publicKey'), { name: 'ProtocolError', code: 'BAD_KEY', message: /publicKey is a point of small order/ })
  t.throws(() => requireAcceptablePublicKey(encode(P), 'hub key'), { code: 'BAD_KEY', message: /hub key is not canonically encoded/ })
  t.throws(() => requireAcceptablePublicKey(encode(2n), 'publicKey'), { code: 'BAD_KEY', message: /not a point on edwards25519/ })
  t.throws(() => requireAcceptablePublicKey(new Uint8Array(31), 'publicKey'), { code: 'BAD_KEY', message: /is not 32 bytes/ })
})
