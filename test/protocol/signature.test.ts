// Pins both Ed25519 implementations to RFC 8032 and to each other: same keys, same signatures,
// and the same verdict on every signature, including tampered and non-canonical ones and those
// under small-order keys or with a small-order R.

import t from 'tap'
import fc from 'fast-check'
import nacl from 'tweetnacl'
import { createHash } from 'node:crypto'
import { fromHex, toHex } from '../../protocol/bytes'
import {
  GROUP_ORDER,
  PUBLIC_KEY_BYTES,
  SECRET_KEY_BYTES,
  SIGNATURE_BYTES,
  ed25519,
  isCanonicalSignature,
  type Ed25519,
} from '../../protocol/signature/ed25519'
import { createNodeEd25519, nodeEd25519 } from '../../protocol/signature/node'
import { tweetnaclEd25519 } from '../../protocol/signature/tweetnacl'
import { measureVerifyRate } from '../../protocol/signature/verify-rate'
import {
  IDENTITY_KEY,
  NO_SECRET_SIGNATURE,
  ORDER_8_KEY,
  SMALL_ORDER_ENCODINGS,
  rawNodeVerify,
  signatureOf,
} from '../helpers/small-order'

const implementations: readonly Ed25519[] = [tweetnaclEd25519, nodeEd25519]
const FAST_CHECK = { seed: 8032, numRuns: 100 }

interface Vector {
  name: string
  secretKey: string
  publicKey: string
  message: string
  signature: string
}

// RFC 8032 section 7.1, Ed25519 (pure) test vectors.
const RFC_8032_VECTORS: readonly Vector[] = [
  {
    name: 'TEST 1',
    secretKey: '9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60',
    publicKey: 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a',
    message: '',
    signature:
      'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b',
  },
  {
    name: 'TEST 2',
    secretKey: '4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb',
    publicKey: '3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c',
    message: '72',
    signature:
      '92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00',
  },
  {
    name: 'TEST 3',
    secretKey: 'c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7',
    publicKey: 'fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025',
    message: 'af82',
    signature:
      '6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a',
  },
  {
    name: 'TEST 1024',
    secretKey: 'f5e5767cf153319517630f226876b86c8160cc583bc013744c6bf255f5cc0ee5',
    publicKey: '278117fc144c72340f67d0f2316e8386ceffbf2b2428c9c51fef7c597f1d426e',
    message:
      '08b8b2b733424243760fe426a4b54908632110a66c2f6591eabd3345e3e4eb98' +
      'fa6e264bf09efe12ee50f8f54e9f77b1e355f6c50544e23fb1433ddf73be84d8' +
      '79de7c0046dc4996d9e773f4bc9efe5738829adb26c81b37c93a1b270b20329d' +
      '658675fc6ea534e0810a4432826bf58c941efb65d57a338bbd2e26640f89ffbc' +
      '1a858efcb8550ee3a5e1998bd177e93a7363c344fe6b199ee5d02e82d522c4fe' +
      'ba15452f80288a821a579116ec6dad2b3b310da903401aa62100ab5d1a36553e' +
      '06203b33890cc9b832f79ef80560ccb9a39ce767967ed628c6ad573cb116dbef' +
      'efd75499da96bd68a8a97b928a8bbc103b6621fcde2beca1231d206be6cd9ec7' +
      'aff6f6c94fcd7204ed3455c68c83f4a41da4af2b74ef5c53f1d8ac70bdcb7ed1' +
      '85ce81bd84359d44254d95629e9855a94a7c1958d1f8ada5d0532ed8a5aa3fb2' +
      'd17ba70eb6248e594e1a2297acbbb39d502f1a8c6eb6f1ce22b3de1a1f40cc24' +
      '554119a831a9aad6079cad88425de6bde1a9187ebb6092cf67bf2b13fd65f270' +
      '88d78b7e883c8759d2c4f5c65adb7553878ad575f9fad878e80a0c9ba63bcbcc' +
      '2732e69485bbc9c90bfbd62481d9089beccf80cfe2df16a2cf65bd92dd597b07' +
      '07e0917af48bbb75fed413d238f5555a7a569d80c3414a8d0859dc65a46128ba' +
      'b27af87a71314f318c782b23ebfe808b82b0ce26401d2e22f04d83d1255dc51a' +
      'ddd3b75a2b1ae0784504df543af8969be3ea7082ff7fc9888c144da2af58429e' +
      'c96031dbcad3dad9af0dcbaaaf268cb8fcffead94f3c7ca495e056a9b47acdb7' +
      '51fb73e666c6c655ade8297297d07ad1ba5e43f1bca32301651339e22904cc8c' +
      '42f58c30c04aafdb038dda0847dd988dcda6f3bfd15c4b4c4525004aa06eeff8' +
      'ca61783aacec57fb3d1f92b0fe2fd1a85f6724517b65e614ad6808d6f6ee34df' +
      'f7310fdc82aebfd904b01e1dc54b2927094b2db68d6f903b68401adebf5a7e08' +
      'd78ff4ef5d63653a65040cf9bfd4aca7984a74d37145986780fc0b16ac451649' +
      'de6188a7dbdf191f64b5fc5e2ab47b57f7f7276cd419c17a3ca8e1b939ae49e4' +
      '88acba6b965610b5480109c8b17b80e1b7b750dfc7598d5d5011fd2dcc5600a3' +
      '2ef5b52a1ecc820e308aa342721aac0943bf6686b64b2579376504ccc493d97e' +
      '6aed3fb0f9cd71a43dd497f01f17c0e2cb3797aa2a2f256656168e6c496afc5f' +
      'b93246f6b1116398a346f1a641f3b041e989f7914f90cc2c7fff357876e506b5' +
      '0d334ba77c225bc307ba537152f3f1610e4eafe595f6d9d90d11faa933a15ef1' +
      '369546868a7f3a45a96768d40fd9d03412c091c6315cf4fde7cb68606937380d' +
      'b2eaaa707b4c4185c32eddcdd306705e4dc1ffc872eeee475a64dfac86aba41c' +
      '0618983f8741c5ef68d3a101e8a3b8cac60c905c15fc910840b94c00a0b9d0',
    signature:
      '0aab4c900501b3e24d7cdf4663326a3a87df5e4843b2cbdb67cbf6e460fec350aa5371b1508f9f4528ecea23c436d94b5e8fcd4f681e30a6ac00a9704a188a03',
  },
  {
    name: 'TEST SHA(abc)',
    secretKey: '833fe62409237b9d62ec77587520911e9a759cec1d19755b7da901b96dca3d42',
    publicKey: 'ec172b93ad5e563bf4932c70e1245034c35467ef2efd4d64ebf819683467e2bf',
    // SHA-512("abc")
    message:
      'ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f',
    signature:
      'dc2a4459e7369633a52b1bf277839a00201009a3efbf3ecb69bea2186c26b58909351fc9ac90b3ecfdfbc7c66431e0303dca179c138ac17ad9bef1177331a704',
  },
]

function flipBit(bytes: Uint8Array, bitIndex: number): Uint8Array {
  const flipped = Uint8Array.from(bytes)
  flipped[bitIndex >> 3] ^= 1 << (bitIndex & 7)
  return flipped
}

function littleEndianToBigInt(bytes: Uint8Array): bigint {
  let value = 0n
  for (let index = bytes.length - 1; index >= 0; index--) value = (value << 8n) | BigInt(bytes[index]!)
  return value
}

function bigIntToLittleEndian(value: bigint, length_bytes: number): Uint8Array {
  const bytes = new Uint8Array(length_bytes)
  for (let index = 0, rest = value; index < length_bytes; index++, rest >>= 8n) bytes[index] = Number(rest & 0xffn)
  return bytes
}

/** The same signature with S replaced by S + L: the same group element, so a naive verifier accepts it. */
function withSPlusGroupOrder(signature: Uint8Array): Uint8Array {
  const s = littleEndianToBigInt(signature.subarray(32))
  const malleated = Uint8Array.from(signature)
  malleated.set(bigIntToLittleEndian(s + GROUP_ORDER, 32), 32)
  return malleated
}

function withS(signature: Uint8Array, s: bigint): Uint8Array {
  const changed = Uint8Array.from(signature)
  changed.set(bigIntToLittleEndian(s, 32), 32)
  return changed
}

/** Whether a y coordinate has any x on edwards25519: x² = (y² − 1) / (d·y² + 1) must be a square mod p. */
function hasCurvePoint(y: bigint): boolean {
  const p = (1n << 255n) - 19n
  const power = (base: bigint, exponent: bigint): bigint => {
    let result = 1n
    for (let b = base % p, e = exponent; e > 0n; e >>= 1n, b = (b * b) % p) if (e & 1n) result = (result * b) % p
    return result
  }
  const d = (((-121665n * power(121666n, p - 2n)) % p) + p) % p
  const xSquared = (((y * y - 1n) % p) * power((d * y * y + 1n) % p, p - 2n)) % p
  return xSquared === 0n || power(xSquared, (p - 1n) / 2n) === 1n
}

const SEED = fc.uint8Array({ minLength: SECRET_KEY_BYTES, maxLength: SECRET_KEY_BYTES })
const MESSAGE = fc.uint8Array({ minLength: 0, maxLength: 300 })

for (const impl of implementations) {
  for (const vector of RFC_8032_VECTORS) {
    t.test(`${impl.name} reproduces RFC 8032 ${vector.name}: public key, signature and verdict`, async (t) => {
      const message = fromHex(vector.message)
      const keyPair = impl.keyPairFromSeed(fromHex(vector.secretKey, SECRET_KEY_BYTES))
      t.equal(toHex(keyPair.publicKey), vector.publicKey)
      t.equal(toHex(keyPair.secretKey), vector.secretKey)
      t.equal(toHex(impl.sign(message, keyPair.secretKey)), vector.signature)
      t.equal(impl.verify(message, fromHex(vector.signature, SIGNATURE_BYTES), fromHex(vector.publicKey)), true)
    })
  }
}

t.test('the default ed25519 is the node:crypto fast path', async (t) => {
  t.equal(ed25519, nodeEd25519)
  t.equal(ed25519.name, 'node')
})

t.test('both implementations derive the same keys and signatures and accept each other’s signatures', async (t) => {
  fc.assert(
    fc.property(SEED, MESSAGE, (seed, message) => {
      const fromNacl = tweetnaclEd25519.keyPairFromSeed(seed)
      const fromNode = nodeEd25519.keyPairFromSeed(seed)
      const naclSignature = tweetnaclEd25519.sign(message, seed)
      const nodeSignature = nodeEd25519.sign(message, seed)
      return (
        toHex(fromNacl.publicKey) === toHex(fromNode.publicKey) &&
        toHex(naclSignature) === toHex(nodeSignature) &&
        tweetnaclEd25519.verify(message, nodeSignature, fromNode.publicKey) &&
        nodeEd25519.verify(message, naclSignature, fromNacl.publicKey)
      )
    }),
    FAST_CHECK,
  )
  t.pass('no counterexample')
})

t.test('a flipped bit in every byte of message, signature and public key fails verification in both', async (t) => {
  // One bit per byte, rotating through bit positions, keeps tweetnacl affordable while still
  // reaching the sign bit of the public key (bit 255) and the top bit of S (bit 511).
  const bitInByte = (byteIndex: number): number => byteIndex * 8 + (byteIndex % 8)
  const vector = RFC_8032_VECTORS[2]!
  const message = fromHex(vector.message)
  const signature = fromHex(vector.signature)
  const publicKey = fromHex(vector.publicKey)
  for (const impl of implementations) {
    const accepted: string[] = []
    for (let byte = 0; byte < message.length; byte++) {
      if (impl.verify(flipBit(message, bitInByte(byte)), signature, publicKey)) accepted.push(`message byte ${byte}`)
    }
    for (let byte = 0; byte < SIGNATURE_BYTES; byte++) {
      if (impl.verify(message, flipBit(signature, bitInByte(byte)), publicKey)) accepted.push(`signature byte ${byte}`)
    }
    for (let byte = 0; byte < PUBLIC_KEY_BYTES; byte++) {
      if (impl.verify(message, signature, flipBit(publicKey, bitInByte(byte)))) accepted.push(`public key byte ${byte}`)
    }
    t.same(accepted, [], `${impl.name} accepts no tampered input`)
  }
})

t.test('a flipped bit in a random message, signature or public key fails verification in both', async (t) => {
  const part = fc.constantFrom('message', 'signature', 'publicKey')
  fc.assert(
    fc.property(SEED, MESSAGE.filter((message) => message.length > 0), part, fc.nat(), (seed, message, where, bitSeed) => {
      const { publicKey } = nodeEd25519.keyPairFromSeed(seed)
      const signature = nodeEd25519.sign(message, seed)
      const tampered: Record<typeof where, Uint8Array> = { message, signature, publicKey }
      tampered[where] = flipBit(tampered[where], bitSeed % (tampered[where].length * 8))
      return implementations.every((impl) => !impl.verify(tampered.message, tampered.signature, tampered.publicKey))
    }),
    FAST_CHECK,
  )
  t.pass('no counterexample')
})

t.test('a signature with S + L in place of S is rejected by both', async (t) => {
  for (const vector of RFC_8032_VECTORS) {
    const message = fromHex(vector.message)
    const publicKey = fromHex(vector.publicKey)
    const malleated = withSPlusGroupOrder(fromHex(vector.signature))
    // The premise: raw tweetnacl accepts it, which is why the wrapper checks S < L.
    t.equal(nacl.sign.detached.verify(message, malleated, publicKey), true, `raw tweetnacl accepts ${vector.name} with S + L`)
    for (const impl of implementations) {
      t.equal(impl.verify(message, malleated, publicKey), false, `${impl.name} rejects ${vector.name} with S + L`)
    }
  }
})

t.test('isCanonicalSignature accepts S up to L - 1 and rejects S from L up', async (t) => {
  const signature = fromHex(RFC_8032_VECTORS[0]!.signature)
  t.equal(isCanonicalSignature(withS(signature, 0n)), true)
  t.equal(isCanonicalSignature(withS(signature, GROUP_ORDER - 1n)), true)
  t.equal(isCanonicalSignature(withS(signature, GROUP_ORDER)), false)
  t.equal(isCanonicalSignature(withS(signature, GROUP_ORDER + 1n)), false)
  t.equal(isCanonicalSignature(withS(signature, (1n << 256n) - 1n)), false)
  t.equal(isCanonicalSignature(signature.subarray(0, 63)), false)
})

t.test('wrong-length seeds, secret keys and public keys throw ProtocolError BAD_KEY in both', async (t) => {
  const vector = RFC_8032_VECTORS[0]!
  const signature = fromHex(vector.signature)
  const expandedSecretKey = nacl.sign.keyPair.fromSeed(fromHex(vector.secretKey)).secretKey
  const badKey = { name: 'ProtocolError', code: 'BAD_KEY' }
  for (const impl of implementations) {
    for (const length of [0, 31, 33, 64]) {
      const key = new Uint8Array(length).fill(7)
      t.throws(() => impl.keyPairFromSeed(key), badKey, `${impl.name} keyPairFromSeed, ${length} bytes`)
      t.throws(() => impl.sign(new Uint8Array(1), key), badKey, `${impl.name} sign, ${length} bytes`)
      t.throws(() => impl.verify(new Uint8Array(0), signature, key), badKey, `${impl.name} verify, ${length} bytes`)
      t.throws(() => impl.generateKeyPair(() => key), badKey, `${impl.name} generateKeyPair, ${length} bytes`)
    }
    // tweetnacl's own 64-byte secret key form is not accepted in place of the seed.
    t.throws(() => impl.sign(new Uint8Array(1), expandedSecretKey), badKey)
  }
})

t.test('a signature of the wrong length verifies as false in both, without throwing', async (t) => {
  const vector = RFC_8032_VECTORS[2]!
  const message = fromHex(vector.message)
  const publicKey = fromHex(vector.publicKey)
  const signature = fromHex(vector.signature)
  for (const impl of implementations) {
    for (const wrong of [new Uint8Array(0), signature.subarray(0, 63), Uint8Array.of(...signature, 0)]) {
      t.equal(impl.verify(message, wrong, publicKey), false, `${impl.name}, ${wrong.length} bytes`)
    }
  }
})

t.test('a public key that is not a curve point verifies as false in both, without throwing', async (t) => {
  t.equal(hasCurvePoint(2n), false, 'premise: y = 2 is not on the curve')
  const notAPoint = bigIntToLittleEndian(2n, PUBLIC_KEY_BYTES)
  const vector = RFC_8032_VECTORS[0]!
  for (const impl of implementations) {
    t.equal(impl.verify(fromHex(vector.message), fromHex(vector.signature), notAPoint), false, impl.name)
  }
})

/** S = k·a mod L for the given R: the signature with that R only the holder of the seed can make. */
function holderSignatureWithR(seed: Uint8Array, message: Uint8Array, r: Uint8Array): Uint8Array {
  const expanded = createHash('sha512').update(seed).digest()
  expanded[0]! &= 248
  expanded[31]! &= 127
  expanded[31]! |= 64
  const a = littleEndianToBigInt(expanded.subarray(0, 32))
  const publicKey = nodeEd25519.keyPairFromSeed(seed).publicKey
  const k = littleEndianToBigInt(createHash('sha512').update(r).update(publicKey).update(message).digest()) % GROUP_ORDER
  return signatureOf(r, bigIntToLittleEndian((k * a) % GROUP_ORDER, 32))
}

const MESSAGES = Array.from({ length: 32 }, (_, index) => new TextEncoder().encode(`pay ${index} XOF`))

t.test('a signature made with no secret verifies under small-order keys in raw node:crypto and tweetnacl, and in neither verifier', async (t) => {
  // The attack: any message "signed" under the identity key, and one in two to eight under the others.
  t.ok(MESSAGES.every((message) => rawNodeVerify(message, NO_SECRET_SIGNATURE, IDENTITY_KEY)), 'raw node:crypto accepts every message under the identity key')
  t.ok(MESSAGES.every((message) => nacl.sign.detached.verify(message, NO_SECRET_SIGNATURE, IDENTITY_KEY)), 'raw tweetnacl too')
  t.ok(MESSAGES.some((message) => rawNodeVerify(message, NO_SECRET_SIGNATURE, ORDER_8_KEY)), 'raw node:crypto accepts some messages under a point of order 8')
  for (const impl of implementations) {
    const accepted: string[] = []
    for (const key of SMALL_ORDER_ENCODINGS) {
      for (const message of MESSAGES) {
        for (const r of SMALL_ORDER_ENCODINGS.slice(0, 8)) {
          if (impl.verify(message, signatureOf(r, new Uint8Array(32)), key)) accepted.push(`${toHex(key)} R=${toHex(r)}`)
        }
      }
    }
    t.same(accepted, [], `${impl.name} accepts no signature under a small-order key`)
  }
})

t.test('R = identity with S = k·a, which only the key holder can make, verifies in both (RFC 8032 cofactorless)', async (t) => {
  const seed = new Uint8Array(SECRET_KEY_BYTES).fill(5)
  const { publicKey } = nodeEd25519.keyPairFromSeed(seed)
  for (const message of MESSAGES.slice(0, 4)) {
    const signature = holderSignatureWithR(seed, message, IDENTITY_KEY)
    for (const impl of implementations) t.equal(impl.verify(message, signature, publicKey), true, impl.name)
  }
})

t.test('an R of small order other than the identity, or a non-canonical R, fails in both, even with S = k·a', async (t) => {
  const seed = new Uint8Array(SECRET_KEY_BYTES).fill(5)
  const { publicKey } = nodeEd25519.keyPairFromSeed(seed)
  const message = MESSAGES[0]!
  for (const r of SMALL_ORDER_ENCODINGS.slice(1)) {
    for (const signature of [holderSignatureWithR(seed, message, r), signatureOf(r, new Uint8Array(32))]) {
      const verdicts = implementations.map((impl) => impl.verify(message, signature, publicKey))
      t.same(verdicts, [false, false], `R = ${toHex(r)}`)
    }
  }
})

t.test('generateKeyPair with injected randomness is deterministic and agrees across implementations', async (t) => {
  const seeded = (length: number): Uint8Array => new Uint8Array(length).map((_, index) => index * 13 + 5)
  const fromNacl = tweetnaclEd25519.generateKeyPair(seeded)
  const fromNode = nodeEd25519.generateKeyPair(seeded)
  t.equal(toHex(fromNode.secretKey), toHex(seeded(SECRET_KEY_BYTES)))
  t.equal(toHex(fromNacl.publicKey), toHex(fromNode.publicKey))
  t.equal(toHex(nodeEd25519.generateKeyPair(seeded).publicKey), toHex(fromNode.publicKey))
})

t.test('generateKeyPair with default randomness makes distinct keys that sign and verify', async (t) => {
  for (const impl of implementations) {
    const first = impl.generateKeyPair()
    const second = impl.generateKeyPair()
    t.not(toHex(first.secretKey), toHex(second.secretKey), impl.name)
    const message = Uint8Array.of(1, 2, 3)
    t.equal(impl.verify(message, impl.sign(message, first.secretKey), first.publicKey), true, impl.name)
    t.equal(impl.verify(message, impl.sign(message, first.secretKey), second.publicKey), false, impl.name)
  }
})

t.test('node verification stays correct when the key caches evict', async (t) => {
  const tiny = createNodeEd25519({ publicKeyCacheEntriesMax: 2, privateKeyCacheEntriesMax: 2 })
  const message = Uint8Array.of(9)
  const keyPairs = [1, 2, 3, 4, 5].map((fill) => tiny.keyPairFromSeed(new Uint8Array(SECRET_KEY_BYTES).fill(fill)))
  // Two rounds over five keys: every key is evicted and rebuilt at least once.
  for (let round = 0; round < 2; round++) {
    for (const [index, keyPair] of keyPairs.entries()) {
      const signature = tiny.sign(message, keyPair.secretKey)
      t.equal(toHex(signature), toHex(tweetnaclEd25519.sign(message, keyPair.secretKey)))
      t.equal(tiny.verify(message, signature, keyPair.publicKey), true)
      t.equal(tiny.verify(message, signature, keyPairs[(index + 1) % keyPairs.length]!.publicKey), false)
    }
  }
  t.throws(() => createNodeEd25519({ publicKeyCacheEntriesMax: 0 }), /cache bound/)
})

t.test('measureVerifyRate reports a positive rate for both implementations', async (t) => {
  for (const impl of implementations) {
    const rate = measureVerifyRate(impl, 20)
    t.ok(Number.isFinite(rate) && rate > 0, `${impl.name}: ${Math.round(rate)} verifications per second`)
  }
  t.throws(() => measureVerifyRate(nodeEd25519, 0), { code: 'OUT_OF_RANGE' })
})
